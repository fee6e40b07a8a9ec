"""Shared test set-up: real data from ../shared/data, never the network."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"

# Tests read the real data sets through $VAEKIT_DATA_DIR and never download.
os.environ.setdefault("VAEKIT_DATA_DIR", str(SHARED_DATA))
os.environ["VAEKIT_NO_DOWNLOAD"] = "1"


# Fuzz tests (marked `fuzz`) take their example count from a hypothesis profile:
# "ci" (the default, 1,000 examples per reader) or "slow" (20,000; `make fuzz`).
_FUZZ = {"deadline": None, "suppress_health_check": [HealthCheck.too_slow]}
settings.register_profile("ci", max_examples=1000, **_FUZZ)
settings.register_profile("slow", max_examples=20000, **_FUZZ)
settings.load_profile(os.environ.get("VAEKIT_FUZZ_PROFILE", "ci"))


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The read-only real data sets (MNIST, Fashion-MNIST, faces, music, text)."""
    if not SHARED_DATA.is_dir():
        pytest.fail(f"the shared data sets are expected at {SHARED_DATA}")
    return SHARED_DATA
