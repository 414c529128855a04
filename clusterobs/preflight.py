"""Checks a run's configuration before anything starts (no Prefect, no writes): a wrong setting stops the
command with one line naming the setting and what to do, not a traceback from deep inside a run."""

from __future__ import annotations

import importlib.util

from clusterobs import publish
from clusterobs.registry import load_registry
from clusterobs.settings import Settings
from clusterobs.sources import source_plan
from clusterobs.stars import load_star_profiles
from clusterobs.transforms.readers.extracts import sniffed_format


class ConfigurationError(ValueError):
    """A setting that makes the run impossible; the message names it and what to do."""


def check_run_configuration(settings: Settings) -> None:
    """Raise ConfigurationError (or the loaders' own one-line errors) for a run that cannot start."""
    registry = load_registry(settings.registry_path)
    unknown = sorted(set(settings.datasets or []) - set(registry))
    if unknown:
        raise ConfigurationError(
            f"datasets: {', '.join(unknown)} not in {settings.registry_path} "
            f"(known: {', '.join(registry)})"
        )
    profiles = load_star_profiles(settings.star_profiles_path)
    if settings.star_profile not in profiles:
        raise ConfigurationError(
            f"star_profile {settings.star_profile!r} is not in {settings.star_profiles_path} "
            f"(choose one of {', '.join(profiles)})"
        )
    if settings.source not in ("demo", "eurostat") and not settings.source_dir.is_dir():
        raise ConfigurationError(
            f"source {settings.source!r} is not 'demo', 'eurostat' or a folder of extract files"
        )
    plan = source_plan(
        settings
    )  # a dataset the run must have (strict, required) and does not: one line
    if settings.source not in ("demo", "eurostat"):
        for path in (path for paths in plan.files.values() for path in paths):
            sniffed_format(
                path
            )  # an empty file, an HTML page, an unknown format: before Prefect starts
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
