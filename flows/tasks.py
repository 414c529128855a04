"""Prefect tasks: thin wrappers that add logging, retries (network only) and timeouts to clusterobs/ and transforms/.

Tasks take and return paths and small summaries, never connections or large frames.
"""

from __future__ import annotations

import asyncio
import re
import time
from pathlib import Path

from prefect import get_run_logger, task
from prefect.artifacts import create_markdown_artifact
from prefect.cache_policies import NO_CACHE

from clusterobs import (
    catalog,
    exports,
    loads,
    models,
    parquet_exchange,
    partitions,
    progress,
    run_records,
    validation,
    validation_results,
    warehouse,
)
from clusterobs.eurostat_api import EurostatClient, request_fingerprint
from clusterobs.failpoints import failpoint
from clusterobs.landing import LandedFile, land_file
from clusterobs.registry import DatasetSpec, within_years
from clusterobs.run_config import RunConfig
from clusterobs.settings import EurostatApi, Settings
from clusterobs.transforms.readers.conformance import DeclaredSchema
from clusterobs.validation_page import write_validation_page


@task(name="prepare-warehouse", cache_policy=NO_CACHE)
def prepare_warehouse(db_path: Path, config: RunConfig, run_id: str) -> dict[str, int]:
    """Create schemas, load reference seeds and the run's configuration; record the run as started."""
    settings = config.settings
    with warehouse.connect(db_path) as con:
        counts = warehouse.load_reference(
            con, settings.cluster_mapping_path, settings.emerging_mapping_path
        )
        warehouse.apply_run_config(con, config)
        run_records.record_run_started(con, run_id, settings.source)
    return counts


@task(name="land-files", cache_policy=NO_CACHE)
def land_files(dataset: str, paths: list[Path], landing_dir: Path) -> list[LandedFile]:
    """Copy local extract files into the landing folder under their checksums."""
    return [land_file(path, landing_dir, dataset) for path in paths]


@task(name="eurostat-requests", cache_policy=NO_CACHE)
def eurostat_requests(
    db_path: Path, registry: dict[str, DatasetSpec], settings: Settings
) -> dict[str, tuple[DatasetSpec, list[str]]]:
    """Per dataset, what to ask Eurostat for: its registry entry within the run's years, and the NUTS
    codes (of its version and newer, in the run's countries) and the EU aggregates of the scoreboard's
    EU = 100 (scoreboard.eu_aggregates) a too-big request is split by."""
    with warehouse.connect(db_path) as con:
        return {
            name: (
                within_years(spec, settings.first_year, settings.last_year),
                warehouse.nuts_codes(con, spec.nuts_levels, settings.countries, spec.nuts_version)
                + settings.scoreboard.eu_aggregates,
            )
            for name, spec in registry.items()
        }


# The network tasks are async around a thread: Prefect's timeout then stops the task on time (in a
# worker thread it could only act once the blocking call returned). Each request has its own timeout.
@task(name="eurostat-updated-stamp", cache_policy=NO_CACHE)
async def eurostat_updated_stamp(dataset: str, api: EurostatApi) -> str | None:
    """Eurostat's last data update of a dataset (None when Eurostat does not say)."""

    def ask() -> str | None:
        with EurostatClient(api) as client:
            return client.updated_stamp(dataset)

    return await asyncio.to_thread(ask)


def download_cache_key(_context, parameters: dict) -> str | None:
    """Cache key of a download: dataset, Eurostat's `updated` stamp and a fingerprint of the request
    (filters, years, NUTS codes, API). No stamp, no caching: the data might have changed."""
    updated = parameters["updated"]
    if not updated:
        return None
    spec = parameters["spec"]
    fingerprint = request_fingerprint(parameters["api"], spec, parameters["geo_codes"])
    return f"eurostat-{spec.name}-{re.sub(r'[^0-9A-Za-z]+', '', updated)}-{fingerprint[:16]}"


@task(
    name="download-dataset",
    cache_key_fn=download_cache_key,
    persist_result=True,
    result_serializer="json",
)
async def download_dataset(
    spec: DatasetSpec,
    geo_codes: list[str],
    updated: str | None,
    api: EurostatApi,
    landing_dir: Path,
) -> list[LandedFile]:
    """Download a registry dataset from Eurostat into the landing folder.

    Cached across runs (Prefect persists the result, the list of landed files, as JSON under
    settings.download_cache_path): a dataset whose request and `updated` stamp are unchanged is not
    downloaded again. Retries, backoff, timeout and result storage are set by the flow from settings.
    """

    def download() -> list[LandedFile]:
        with EurostatClient(api) as client:
            return client.download(spec, landing_dir, geo_codes, updated)

    files = await asyncio.to_thread(download)
    get_run_logger().info(
        "%s: %s file(s), %s bytes", spec.name, len(files), sum(f.bytes for f in files)
    )
    return files


@task(name="load-dataset", cache_policy=NO_CACHE)
def load_dataset(
    db_path: Path,
    dataset: str,
    files: list[LandedFile],
    run_id: str,
    memory_limit: str,
    declared: DeclaredSchema | None = None,
) -> loads.DatasetLoad:
    """Parse a dataset's extracts (held against the registry's `declared` schema) and replace
    raw.<dataset> in one transaction (skipped when unchanged)."""
    with warehouse.connect(db_path, memory_limit) as con:
        result = loads.load_dataset(con, dataset, files, run_id, declared)
    _log_load(result)
    return result


@task(name="unchanged-loads", cache_policy=NO_CACHE)
def unchanged_loads(
    db_path: Path,
    extracts: dict[str, list[LandedFile]],
    declared: dict[str, DeclaredSchema],
) -> dict[str, loads.DatasetLoad]:
    """The datasets whose extracts are the ones already loaded (nothing to parse), with their recorded counts."""
    with warehouse.connect(db_path, ddl=False) as con:
        return {
            dataset: loads.unchanged_load(con, dataset, files)
            for dataset, files in extracts.items()
            if loads.is_loaded(con, dataset, files, declared.get(dataset))
        }


@task(name="parse-extract", cache_policy=NO_CACHE)
def parse_extract(
    landed: LandedFile,
    dataset: str,
    number: int,
    exchange_dir: Path,
    memory_limit: str,
    declared: DeclaredSchema | None = None,
) -> parquet_exchange.ParsedFile:
    """Parse one extract into a Parquet file in the exchange folder (runs on any worker)."""
    return parquet_exchange.parse_to_parquet(
        landed, dataset, number, exchange_dir, memory_limit, declared
    )


@task(name="load-parsed", cache_policy=NO_CACHE)
def load_parsed(
    db_path: Path,
    dataset: str,
    parsed: list[parquet_exchange.ParsedFile],
    run_id: str,
    memory_limit: str,
) -> loads.DatasetLoad:
    """Replace raw.<dataset> by its parsed Parquet files in one transaction (the warehouse's one writer)."""
    with warehouse.connect(db_path, memory_limit) as con:
        result = parquet_exchange.load_parsed(con, dataset, parsed, run_id)
    _log_load(result)
    return result


@task(name="record-run-datasets", cache_policy=NO_CACHE)
def record_run_datasets(
    db_path: Path,
    run_id: str,
    loads: dict[str, loads.DatasetLoad],
    absent: dict[str, str],
    registry: dict[str, DatasetSpec],
) -> None:
    """Record what the run did with each registry dataset; an absent one's raw table is emptied."""
    with warehouse.connect(db_path) as con:
        run_records.record_run_datasets(con, run_id, loads, absent, registry)


@task(name="record-indicator-availability", cache_policy=NO_CACHE)
def record_indicator_availability(db_path: Path, run_id: str) -> dict[str, str]:
    """Record which scoreboard indicators the run computed; returns the unavailable ones with the reason."""
    with warehouse.connect(db_path) as con:
        unavailable = run_records.record_indicator_availability(con, run_id)
    if unavailable:
        get_run_logger().warning(
            "%s scoreboard indicator(s) unavailable: %s",
            len(unavailable),
            "; ".join(f"{code} ({why})" for code, why in unavailable.items()),
        )
    return unavailable


@task(name="summarise-data-quality", cache_policy=NO_CACHE)
def summarise_data_quality(db_path: Path) -> list[dict]:
    """Per SBS dataset and year: how much was published, confidential, estimated (marts.fct_data_quality)."""
    with warehouse.connect(db_path, ddl=False) as con:
        return run_records.data_quality(con)


def _log_load(result: loads.DatasetLoad) -> None:
    logger = get_run_logger()
    for stats in result.files:
        for warning in stats.warnings:
            logger.warning(warning)
        for note in stats.notes:
            logger.info("%s: %s", stats.file, note)
    logger.info(
        "%s: %s (%s observations, %s values)",
        result.dataset,
        result.status,
        result.observations,
        result.values,
    )
    progress.emit("dataset", result.dataset, done=result.observations, detail=result.status)


@task(name="build-models", cache_policy=NO_CACHE)
def build_models(
    db_path: Path, config: RunConfig, layers: tuple[str, ...], built_by_country: Path | None = None
) -> dict[str, int | None]:
    """Materialise the SQL models of the given layers in dependency order; returns rows per model (None: view).

    `built_by_country`: the exchange folder where the partitioned models' tables were built per country
    (`build-country`); they are read from there."""
    logger = get_run_logger()
    counts = {}
    with warehouse.connect(db_path, config.settings.duckdb_memory_limit) as con:
        warehouse.apply_run_config(con, config)
        ordered = models.ordered_models(models.discovered_models(), layers)
        for number, model in enumerate(ordered, start=1):
            started = time.perf_counter()
            select_sql = None
            if built_by_country and model.partitioned_by_country and model.materialized == "table":
                select_sql = partitions.partitioned_select(built_by_country, model)
            counts[model.relation] = models.run_model(con, model, select_sql)
            failpoint(f"build:{model.relation}")
            progress.emit("model", model.relation, done=number, total=len(ordered))
            rows = counts[model.relation]
            logger.info(
                "built %s (%s) in %.2f s",
                model.relation,
                "view" if rows is None else f"{rows} rows",
                time.perf_counter() - started,
            )
        if "analyst" in layers:
            catalog.comment_columns(con)
    return counts


@task(name="export-partition-inputs", cache_policy=NO_CACHE)
def export_partition_inputs(db_path: Path, exchange: Path) -> list[str]:
    """Write the inputs of the models partitioned by country to the exchange folder; returns the countries."""
    with warehouse.connect(db_path, ddl=False) as con:
        return partitions.export_inputs(con, exchange)


@task(name="build-country", cache_policy=NO_CACHE)
def build_country(country: str, exchange: Path, settings: Settings) -> dict[str, int | None]:
    """Build the models partitioned by country for one country, from and into the exchange folder
    (runs on any worker: it never opens the warehouse)."""
    return partitions.build_country(country, exchange, settings)


@task(name="validate", cache_policy=NO_CACHE)
def validate(
    db_path: Path,
    stage: str,
    run_id: str,
    docs_dir: Path | None = None,
    engine_rows: int | None = 100_000,
    engine_value_set: int | None = 100,
    memory_limit: str | None = None,
    page: tuple[Path, Path] | None = None,
) -> validation_results.ValidationSummary:
    """Run the stage's Great Expectations suites; raises ValidationFailed on a critical failure. `page`:
    where to write the run's validation page (every stage validated so far) and the path it will have
    once published (which the Prefect artifact names)."""
    logger = get_run_logger()
    failpoint(f"validate:{stage}")
    with warehouse.connect(db_path, memory_limit, ddl=False) as con:
        summary = validation.validate_stage(
            con,
            stage,
            run_id,
            docs_dir=docs_dir,
            engine_rows=engine_rows,
            engine_value_set=engine_value_set,
        )
        if page is not None:
            write_validation_page(con, run_id, page[0])
    for warning in summary.warnings:
        logger.warning(
            "warning: %s %s(%s) unexpected=%s",
            warning.suite,
            warning.expectation,
            warning.column,
            warning.unexpected_count,
        )
    create_markdown_artifact(
        key=f"validation-{stage}",
        markdown=validation_results.markdown_report(summary, page[1] if page else None),
        description=f"{stage} validation",
    )
    if not summary.success:
        raise validation_results.ValidationFailed(summary)
    logger.info("%s validation: %s", stage, summary.as_dict())
    return summary


@task(name="export-parquet", cache_policy=NO_CACHE)
def export_parquet(
    db_path: Path, parquet_dir: Path, run_id: str, partitioned: dict[str, list[str]]
) -> dict[str, int]:
    """Export every mart to Parquet in the run's folder, with its manifest."""
    with warehouse.connect(db_path) as con:
        return exports.export_marts(con, parquet_dir, run_id, partitioned)


@task(name="finish-run", cache_policy=NO_CACHE)
def finish_run(db_path: Path, run_id: str) -> None:
    with warehouse.connect(db_path) as con:
        run_records.record_run_published(con, run_id)
        con.execute("checkpoint")
