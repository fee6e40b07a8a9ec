import vaekit

# The public API, as the README documents it ("Python API"): exactly these names.
DOCUMENTED = {
    "__version__",
    "load", "load_run", "Run", "train", "TrainResult", "Trainer",
    "VAE", "VAEOutput", "build_vae",
    "negative_elbo", "iwae_bound", "Loss",
    "evaluate", "log_likelihood", "Evaluation", "elbo_terms", "ElboTerms",
    "load_dataset", "Dataset", "Split", "sample_latents", "sample_quality",
    "ModelConfig", "DataConfig", "TrainConfig", "RunConfig", "load_toml",
    "VaekitError", "ConfigError", "DataError", "CheckpointError", "TrainingError",
}


def test_all_names_resolve():
    for name in vaekit.__all__:
        assert getattr(vaekit, name) is not None, name


def test_public_api_is_exactly_the_documented_list():
    assert set(vaekit.__all__) == DOCUMENTED
    assert len(vaekit.__all__) == len(DOCUMENTED)  # no name listed twice


def test_import_is_light():
    import subprocess
    import sys

    code = "import sys, vaekit; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.stdout.strip() == "False"
