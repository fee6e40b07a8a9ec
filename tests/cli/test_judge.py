"""`vaekit judge` for both shipped judges (MNIST's train/test round trip is in
test_latent_story.py)."""

import json

from vaekit.cli import main


def test_judge_test_reports_validity_on_junk(capsys):
    assert main(["judge", "test", "--data", "fashion-mnist", "--limit-test", "300"]) == 0
    summary, accuracy = capsys.readouterr().out.strip().splitlines()[-2:]
    assert "noise 0.0" in summary and "strokes" in summary and "scrambled" in summary
    assert "fashion-mnist test split" in accuracy
    assert float(accuracy.split("split: ")[1].split()[0]) >= 0.85


def test_judge_train_records_its_data_and_junk_validity(tmp_path):
    out = tmp_path / "fashion.safetensors"
    assert main(["judge", "train", "--data", "fashion-mnist", "--limit-train", "300",
                 "--limit-test", "100", "--epochs", "1", "--out", str(out)]) == 0
    meta = json.loads(out.with_suffix(".json").read_text())
    assert meta["data"] == "fashion-mnist" and meta["train_images"] == 300
    assert {"validity_noise", "validity_blobs", "test_validity"} <= set(meta)
    assert main(["judge", "test", "--data", "digits"]) == 2  # argparse: not a judged data set
