import vaekit


def test_all_names_resolve():
    for name in vaekit.__all__:
        assert getattr(vaekit, name) is not None, name


def test_public_api_is_stable():
    expected = {"load", "load_run", "train", "VAE", "build_vae", "negative_elbo",
                "load_dataset", "RunConfig", "ModelConfig", "DataConfig", "TrainConfig",
                "VaekitError", "__version__"}
    assert expected <= set(vaekit.__all__)


def test_import_is_light():
    import subprocess
    import sys

    code = "import sys, vaekit; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.stdout.strip() == "False"
