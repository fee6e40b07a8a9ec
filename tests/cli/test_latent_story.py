"""The latent-space story through the command line, on tiny runs (digits, olivetti)."""

import json

import numpy as np
import pytest
from PIL import Image

from vaekit.cli import main

TINY = ["--data", "digits", "--hidden", "32", "--epochs", "2", "--batch-size", "100", "--quiet"]


def _train(tmp_path_factory, name, *flags):
    out = tmp_path_factory.mktemp(name) / "run"
    assert main(["train", "--out", str(out), *TINY, *flags]) == 0
    return out


@pytest.fixture(scope="module")
def vae2(tmp_path_factory):
    return _train(tmp_path_factory, "vae2", "--latent-dim", "2", "--likelihood", "bernoulli")


@pytest.fixture(scope="module")
def vae3(tmp_path_factory):
    return _train(tmp_path_factory, "vae3", "--latent-dim", "3")


@pytest.fixture(scope="module")
def dae(tmp_path_factory):  # a denoising auto-encoder
    return _train(tmp_path_factory, "dae", "--latent-dim", "8", "--autoencoder", "--epochs", "6",
                  "--corruption", "gaussian", "--noise-level", "0.5", "--likelihood", "bernoulli")


def _size(path):
    return Image.open(path).size  # (width, height)


def test_latent_map_2d_draws_scatter_and_manifold(vae2, capsys):
    assert main(["latent-map", str(vae2), "--grid", "5", "--range", "2"]) == 0
    figures = vae2 / "figures"
    assert _size(figures / "latent-map.png") == (600, 600)
    assert _size(figures / "manifold.png") == ((5 * 10 + 2) * 2,) * 2  # 8 px tiles, pad 2, x2
    assert "2-D codes" in capsys.readouterr().out


def test_latent_map_projects_higher_dimensions(vae3, tmp_path, capsys):
    assert main(["latent-map", str(vae3), "--out-dir", str(tmp_path)]) == 0
    assert (tmp_path / "latent-map.png").is_file() and not (tmp_path / "manifold.png").exists()
    assert "PCA" in capsys.readouterr().out
    assert main(["latent-map", str(vae3), "--grid", "1"]) == 2


def test_traverse_one_row_per_dimension(vae3, capsys):
    assert main(["traverse", str(vae3), "--dims", "0", "2", "--steps", "5", "--range", "2",
                 "--from-index", "4"]) == 0
    assert _size(vae3 / "figures" / "traversal.png") == ((5 * 10 + 2) * 2, (2 * 10 + 2) * 2)
    assert "dimensions [0, 2]" in capsys.readouterr().out
    assert main(["traverse", str(vae3), "--dims", "3"]) == 2


def test_interpolate_between_image_files_with_halfway_and_gif(vae2, tmp_path):
    from vaekit.viz.images import save_png

    for name, value in (("a.png", 0.0), ("b.png", 1.0)):  # 32 px files, resized to 8 px
        picture = np.zeros((32, 32, 1), np.uint8)
        picture[8:24, 12:20] = int(255 * value) or 128
        save_png(picture, tmp_path / name)
    out = tmp_path / "strip.png"
    assert main(["interpolate", str(vae2), "--from-image", str(tmp_path / "a.png"),
                 "--to-image", str(tmp_path / "b.png"), "--steps", "6", "--halfway", "--gif",
                 "--method", "slerp", "--out", str(out)]) == 0
    assert _size(out) == ((8 * 10 + 2) * 2, (10 + 2) * 2)  # inputs + 6 decodings in one row
    gif = Image.open(tmp_path / "strip.gif")
    assert gif.n_frames == 6 + 4  # forwards, then back without repeating the ends
    assert _size(tmp_path / "halfway.png") == ((10 + 2) * 4,) * 2
    assert main(["interpolate", str(vae2), "--from-image", str(tmp_path / "nope.png")]) == 2


def test_denoise_uses_the_runs_corruption_and_improves_psnr(dae, capsys):
    assert main(["denoise", str(dae), "--n", "6"]) == 0
    assert "gaussian 0.5" in capsys.readouterr().out
    assert _size(dae / "figures" / "denoise-gaussian-0.5.png") == ((6 * 10 + 2) * 2,
                                                                   (3 * 10 + 2) * 2)
    assert main(["denoise", str(dae), "--noise-level", "0.3", "--seed", "1"]) == 0
    doc = json.loads((dae / "denoise.json").read_text())
    assert set(doc) == {"gaussian@0.3", "gaussian@0.5"}
    row = doc["gaussian@0.5"]
    assert 8 < row["psnr_noisy_db"] < 12 and row["gain_db"] > 1 and row["model"] == "AE"
    assert row["psnr_denoised_db"] == pytest.approx(row["psnr_noisy_db"] + row["gain_db"],
                                                    abs=0.01)
    assert doc["gaussian@0.3"]["psnr_noisy_db"] > row["psnr_noisy_db"] + 2


def test_denoise_needs_a_corruption_for_a_plain_run(vae2, capsys):
    assert main(["denoise", str(vae2)]) == 2
    assert "--corruption" in capsys.readouterr().err


def test_attribute_by_label_and_by_files(vae2, tmp_path, capsys):
    assert main(["attribute", str(vae2), "--label", "3", "--n", "4", "--measure",
                 "--scales", "-1", "0", "1"]) == 0
    assert _size(vae2 / "figures" / "attribute-label-3.png") == ((4 * 10 + 2) * 2,
                                                                 (4 * 10 + 2) * 2)
    doc = json.loads((vae2 / "attribute-label-3.json").read_text())
    assert set(doc["probability_at_scale"]) == {"-1", "+0", "+1"}
    assert 0 <= doc["probability_originals"] <= 1 and doc["examples"] > 200
    from vaekit.viz.images import save_png

    files = []
    for i in range(4):
        picture = np.zeros((8, 8, 1), np.uint8)
        picture[:, : 2 + i] = 255 if i < 2 else 0
        files.append(str(tmp_path / f"{i}.png"))
        save_png(picture, files[-1])
    assert main(["attribute", str(vae2), "--with", *files[:2], "--without", *files[2:],
                 "--n", "3", "--out", str(tmp_path / "f.png")]) == 0
    assert (tmp_path / "f.png").is_file()
    assert main(["attribute", str(vae2), "--attribute", "glasses"]) == 2
    assert "unknown attribute" in capsys.readouterr().err


def test_attribute_glasses_on_olivetti_is_measured(tmp_path_factory, capsys):
    run = tmp_path_factory.mktemp("faces") / "run"
    assert main(["train", "--out", str(run), "--data", "olivetti", "--hidden", "32",
                 "--latent-dim", "4", "--epochs", "2", "--batch-size", "32", "--quiet"]) == 0
    assert main(["attribute", str(run), "--attribute", "glasses", "--measure", "--n", "3"]) == 0
    doc = json.loads((run / "attribute-glasses.json").read_text())
    assert doc["probe_train_examples"] == 2 * 320  # train people only, originals + decodings
    from vaekit.data.registry import load_dataset

    test = load_dataset("olivetti").test  # 8 people never trained on
    assert doc["examples"] == int((test.attrs["glasses"] == 0).sum())  # faces without glasses
    assert all(0 <= p <= 1 for p in doc["probability_at_scale"].values())
    assert "mean P(glasses)" in capsys.readouterr().out


def test_compare_trains_both_at_each_latent_and_scores_both_samplers(tmp_path, capsys):
    out = tmp_path / "cmp"
    argv = ["compare", "--out", str(out), *TINY, "--epochs", "1", "--latent-dims", "2", "3",
            "--n-samples", "200"]
    assert main(argv) == 0
    stdout = capsys.readouterr().out
    doc = json.loads((out / "compare.json").read_text())
    assert set(doc["models"]) == {"ae-2", "vae-2", "ae-3", "vae-3"}
    assert set(doc["reference"]) == {"test", "noise"}
    assert doc["protocol"]["n"] == 200 and doc["protocol"]["features"] == "pixel-pca"
    assert "no judge ships" in doc["protocol"]["note"]  # digits: the fallback, said
    noise, test = doc["reference"]["noise"], doc["reference"]["test"]
    assert test["fd"] < noise["fd"] and test["recall"] > noise["recall"] == 0
    for name, entry in doc["models"].items():
        assert entry["latent_dim"] == int(name.split("-")[1]) and len(entry["gmm_components"]) == 1
        for sampler in ("prior", "gmm"):
            row = entry[sampler]
            assert row["n"] == 200
            assert row["fd"] > 0 and 0 <= row["precision"] <= 1 and row["validity"] is None
    assert set(doc["verdict"]) == {"2", "3"}
    assert set(doc["verdict"]["3"]) == {"seed_claim", "ae_gmm_halves_fd", "vae_gmm_not_worse",
                                        "ae_gmm_beats_vae_prior"}
    assert doc["config"]["model"]["hidden"] == [32]
    assert "AE-3 gmm" in stdout and "reference noise" in stdout and "latent 3:" in stdout
    assert (out / "compare.png").is_file() and (out / "vae-3" / "figures" / "compare.png").is_file()
    assert (out / "ae-2" / "latent_density.safetensors").is_file()  # the mixture, kept
    assert json.loads((out / "ae-2" / "config.json").read_text())["model"]["autoencoder"] is True
    assert main(argv) == 2  # the runs exist: --overwrite or another --out
    assert main([*argv, "--overwrite", "--autoencoder"]) == 2
    assert main([*argv, "--overwrite", "--latent-dim", "4"]) == 2
    assert "--latent-dims" in capsys.readouterr().err
    assert main(["report", str(out / "vae-3")]) == 0
    page = (out / "vae-3" / "report.html").read_text()
    assert "AE vs VAE" in page and "ae_gmm_halves_fd" in page


def test_report_inlines_every_figure(vae2, capsys):
    assert main(["report", str(vae2)]) == 0
    page = (vae2 / "report.html").read_text()
    figures = sorted(p.name for p in (vae2 / "figures").glob("*.png"))
    assert {"samples.png", "reconstructions.png", "latent-map.png", "loss.png"} <= set(figures)
    assert page.count('src="data:image/') == len(figures) + len(
        list((vae2 / "figures").glob("*.gif")))
    assert "http" not in page and "Training (nats per example)" in page
    assert "wrote" in capsys.readouterr().out


def test_sample_keeps_its_temperature(vae2, tmp_path):
    assert main(["sample", str(vae2), "--n", "8", "--temperature", "0.5",
                 "--out", str(tmp_path / "s.png")]) == 0
    assert main(["sample", str(vae2), "--temperature", "0"]) == 2


def test_judge_command_trains_and_tests(tmp_path, capsys):
    out = tmp_path / "judge.safetensors"
    assert main(["judge", "train", "--limit-train", "300", "--limit-test", "200",
                 "--epochs", "1", "--out", str(out)]) == 0
    meta = json.loads(out.with_suffix(".json").read_text())
    assert meta["train_images"] == 300 and 0 <= meta["test_accuracy"] <= 1
    assert main(["judge", "test", "--limit-test", "500"]) == 0
    line = capsys.readouterr().out.strip().splitlines()[-1]
    assert float(line.split("split: ")[1].split()[0]) >= 0.98
    assert main(["judge", "test", "--weights", str(tmp_path / "none.safetensors")]) == 2
