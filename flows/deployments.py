"""Scheduled deployments, served from this machine (`prefect.serve`: no work pool needed).

    uv run prefect server start --host 127.0.0.1                       # terminal 1: API, UI, scheduler
    PREFECT_API_URL=http://127.0.0.1:4200/api uv run python -m clusterobs.flows.deployments   # terminal 2

- `clusterobs-refresh/monthly-full-refresh`: the whole pipeline from the Eurostat API on the 1st of each
  month at 03:00 (extracts whose `updated` stamp did not change are reused, not downloaded again);
- `clusterobs-update-check/daily-update-check`: every day at 06:00, asks Eurostat for each registry
  dataset's `updated` stamp and runs the pipeline only when one changed since the published warehouse.

Every knob is a flow parameter (source, output folder, datasets, countries, years, NUTS version, star
profile);
both flows time out after `timeout_seconds`. Only one run writes an output folder at a time (the run
lock): a scheduled run that meets a running one fails at once and says which run holds the folder.
"""

from __future__ import annotations

import asyncio

import duckdb
from prefect import flow, get_run_logger, serve, task

from clusterobs import loads
from clusterobs.eurostat_api import EurostatClient
from clusterobs.flows.pipeline import pipeline
from clusterobs.registry import DatasetSpec
from clusterobs.run_config import resolve_run_config
from clusterobs.run_summary import RunSummary
from clusterobs.settings import Settings

MONTHLY = "0 3 1 * *"
DAILY = "0 6 * * *"
RUN_TIMEOUT_SECONDS = Settings.model_fields["run_timeout_seconds"].default


@flow(name="clusterobs-refresh", timeout_seconds=RUN_TIMEOUT_SECONDS)
def refresh(
    source: str = "eurostat",
    output_dir: str = "output",
    datasets: list[str] | None = None,
    countries: list[str] | None = None,
    first_year: int | None = None,
    last_year: int | None = None,
    nuts_target_version: int = 2021,
    star_profile: str = "eco-classic",
) -> RunSummary:
    """The whole pipeline with the given parameters (the scheduled full refresh)."""
    # Every parameter is a Settings field; the other settings come from the environment.
    settings = Settings(**locals())
    return pipeline(settings=settings)


@task(name="changed-datasets", retries=2, retry_delay_seconds=30, timeout_seconds=600)
async def changed_datasets(settings: Settings, registry: dict[str, DatasetSpec]) -> list[str]:
    """Registry datasets whose Eurostat `updated` stamp differs from the published warehouse's."""
    # async: the timeout acts on time
    return await asyncio.to_thread(updated_datasets, settings, registry)


def updated_datasets(settings: Settings, registry: dict[str, DatasetSpec]) -> list[str]:
    """Registry datasets whose Eurostat `updated` stamp differs from the published warehouse's."""
    loaded: dict[str, str | None] = {}
    if settings.warehouse_path.exists():
        with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
            loaded = {name: loads.loaded_updated_stamp(con, name) for name in registry}
    with EurostatClient(settings.eurostat) as client:
        return [
            name
            for name in registry
            if (stamp := client.updated_stamp(name)) is None or stamp != loaded.get(name)
        ]


@flow(name="clusterobs-update-check", timeout_seconds=RUN_TIMEOUT_SECONDS)
def update_check(
    output_dir: str = "output",
    datasets: list[str] | None = None,
    countries: list[str] | None = None,
    first_year: int | None = None,
    last_year: int | None = None,
    nuts_target_version: int = 2021,
    star_profile: str = "eco-classic",
) -> list[str]:
    """Run the pipeline from the Eurostat API if a dataset was updated; returns the updated datasets."""
    settings = Settings(source="eurostat", **locals())  # as in refresh
    config = resolve_run_config(settings)
    changed = changed_datasets.submit(settings, config.registry).result()
    logger = get_run_logger()
    if changed:
        logger.info("updated at Eurostat: %s; running the pipeline", ", ".join(changed))
        pipeline(config=config)
    else:
        logger.info("no dataset updated since the published run")
    return changed


def deployments() -> list:
    """The repository's scheduled deployments."""
    return [
        refresh.to_deployment(name="monthly-full-refresh", cron=MONTHLY),
        update_check.to_deployment(name="daily-update-check", cron=DAILY),
    ]


if __name__ == "__main__":
    serve(*deployments())
