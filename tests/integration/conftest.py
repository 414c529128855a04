"""Fixtures of the integration tests: the demo run that several test modules read."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def published(prefect_api, tmp_path_factory):
    """(output folder, summary) of the whole flow on the demo extracts, run once for the session (a run
    takes about 20 s). Tests may add runs to the folder (refused, failed, rerun on the same inputs) but
    leave its published marts as they were."""
    from clusterobs.flows.pipeline import pipeline
    from clusterobs.settings import Settings

    out = tmp_path_factory.mktemp("output")
    summary = pipeline(settings=Settings(source="demo", output_dir=out))
    return out, summary
