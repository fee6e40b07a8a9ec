"""The architecture rules of docs/architecture.md, checked by import-linter's contracts
(pyproject.toml, [tool.importlinter]), and shown to fail when a rule is broken."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import tomllib

REPO = Path(__file__).resolve().parents[1]
SRC = REPO / "src" / "vaekit"
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def _lint(pythonpath: Path | None = None) -> subprocess.CompletedProcess:
    env = dict(os.environ)
    if pythonpath is not None:  # a planted copy of the package, found before the real one
        env["PYTHONPATH"] = str(pythonpath)
    return subprocess.run([str(LINT_IMPORTS), "--no-cache", str(REPO / "pyproject.toml")],
                          capture_output=True, text=True, env=env, cwd=REPO, timeout=120)


def _layers() -> list[str]:
    config = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["importlinter"]
    (layers,) = [c["layers"] for c in config["contracts"] if c["type"] == "layers"]
    return [name.strip() for layer in layers for name in layer.split("|")]


def test_the_contracts_hold():
    result = _lint()
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def test_every_module_of_the_package_is_in_a_layer():
    modules = {f"vaekit.{p.stem}" for p in SRC.glob("*.py") if p.stem != "__init__"}
    modules |= {f"vaekit.{p.name}" for p in SRC.iterdir() if (p / "__init__.py").is_file()}
    assert modules - set(_layers()) == set()


@pytest.mark.parametrize("where, line", [
    ("data/prepare.py", "from vaekit import training"),  # data above training
    ("objectives.py", "from vaekit.training import trainer"),
    ("analysis/latent.py", "import vaekit.web.app"),
    ("checkpoint.py", "from vaekit.cli import common"),
    ("config.py", "from vaekit.models import vae"),
    ("models/vae.py", "from vaekit.viz import images"),  # models and viz are independent
    ("models/vae.py", "from vaekit.data import dataset"),  # so are models and data
    ("analysis/evaluate.py", "from vaekit.viz import curves"),  # analysis draws nothing
    ("viz/images.py", "import torch"),  # viz takes arrays
])
def test_a_planted_violation_breaks_a_contract(tmp_path, where, line):
    copy = tmp_path / "vaekit"
    shutil.copytree(SRC, copy, ignore=shutil.ignore_patterns("*.gz", "*.safetensors",
                                                             "__pycache__"))
    with open(copy / where, "a") as fh:
        fh.write(f"\n{line}  # planted\n")
    result = _lint(pythonpath=tmp_path)
    assert result.returncode == 1, result.stdout
    assert "BROKEN" in result.stdout
