"""Shared fixtures: the project's paths, third-party files in ../shared, a Prefect test API."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
os.environ.setdefault("DASK_LOGGING__DISTRIBUTED", "warning")

PROJECT_ROOT = Path(__file__).resolve().parents[1]
SHARED_DIR = Path(os.environ.get("CLUSTEROBS_SHARED_DIR", PROJECT_ROOT.parent / "shared"))
DEMO_DIR = PROJECT_ROOT / "data" / "demo"


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    """../shared (real Eurostat files, reference tables); skipped where a clone does not have it."""
    if not (SHARED_DIR / "eurostat_realdata").is_dir():
        pytest.skip(
            f"third-party files not found at {SHARED_DIR} (set CLUSTEROBS_SHARED_DIR to run these tests)"
        )
    return SHARED_DIR


@pytest.fixture(scope="session")
def prefect_api():
    """A real, temporary Prefect API for the whole test session."""
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=90):
        yield
