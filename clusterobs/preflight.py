"""Checks a run before anything starts (no Prefect, no writes): a wrong setting stops the command with one
line naming the setting and what to do, not a traceback from deep inside a run."""

from __future__ import annotations

import importlib.util

from clusterobs import publish
from clusterobs.run_config import ConfigurationError, RunConfig, resolve_run_config
from clusterobs.settings import Settings
from clusterobs.transforms.readers.extracts import sniffed_format


def check_run_configuration(settings: Settings) -> RunConfig:
    """The run's configuration (resolved once, here) after checking what the run will touch: its extract
    files, its output folder and its task runner; raises ConfigurationError (or MissingDatasetsError, or the
    reader's one-line error for an extract that is not one)."""
    config = resolve_run_config(settings)
    if settings.source not in ("demo", "eurostat"):
        for path in (path for paths in config.plan.files.values() for path in paths):
            sniffed_format(path)  # an empty file, an HTML page, an unknown format
    try:
        publish.check_layout(settings.output_path)
    except OSError as exc:
        raise ConfigurationError(
            f"output_dir {settings.output_path} cannot be created or written "
            f"({exc.strerror or exc}): choose another --output-dir"
        ) from None
    if settings.task_runner == "dask" and importlib.util.find_spec("prefect_dask") is None:
        raise ConfigurationError(
            "task_runner 'dask' needs prefect-dask, which is not installed: "
            "run `uv sync --extra dask`, or set CLUSTEROBS_TASK_RUNNER=threads"
        )
    return config
