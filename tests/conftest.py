"""Shared test set-up: real data from ../shared/data, never the network."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"

# Tests read the real data sets through $VAEKIT_DATA_DIR and never download.
os.environ.setdefault("VAEKIT_DATA_DIR", str(SHARED_DATA))
os.environ["VAEKIT_NO_DOWNLOAD"] = "1"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The read-only real data sets (MNIST, Fashion-MNIST, faces, music, text)."""
    if not SHARED_DATA.is_dir():
        pytest.fail(f"the shared data sets are expected at {SHARED_DATA}")
    return SHARED_DATA
