"""Prefect tasks: thin wrappers that add logging, retries (network only) and timeouts to clusterobs/ and transforms/.

Tasks take and return paths and small summaries, never connections or large frames.
"""

from __future__ import annotations

import time
from pathlib import Path

from prefect import get_run_logger, task
from prefect.artifacts import create_markdown_artifact
from prefect.cache_policies import NO_CACHE

from clusterobs import catalog, exports, models, validation, warehouse
from clusterobs.eurostat_api import EurostatClient
from clusterobs.failpoints import failpoint
from clusterobs.landing import LandedFile, land_file
from clusterobs.registry import DatasetSpec
from clusterobs.settings import Settings
from transforms.extracts import dataset_from_filename

EXTRACT_SUFFIXES = (".tsv", ".tsv.gz", ".csv", ".csv.gz", ".json", ".xml")


def extract_files(source_dir: Path, registry: dict[str, DatasetSpec]) -> dict[str, list[Path]]:
    """Extract files per registry dataset in a folder (<dataset>.<ext> or slices <dataset>__<part>.<ext>)."""
    if not source_dir.is_dir():
        raise FileNotFoundError(
            f"source folder {source_dir} does not exist (use --source demo, eurostat or a folder of extracts)"
        )
    found: dict[str, list[Path]] = {}
    for path in sorted(source_dir.iterdir()):
        if path.is_file() and path.name.lower().endswith(EXTRACT_SUFFIXES):
            dataset = dataset_from_filename(path)
            if dataset in registry:
                found.setdefault(dataset, []).append(path)
    missing = [name for name, spec in registry.items() if spec.required and name not in found]
    if missing:
        raise FileNotFoundError(
            f"{source_dir} has no extract for: {', '.join(missing)} "
            "(expected <dataset>.tsv[.gz], .csv[.gz] (SDMX-CSV), .json (JSON-stat) or .xml (SDMX-ML))"
        )
    return found


@task(name="prepare-warehouse", cache_policy=NO_CACHE)
def prepare_warehouse(db_path: Path, settings: Settings, run_id: str) -> dict[str, int]:
    """Create schemas, load reference seeds and the run's configuration; record the run as started."""
    with warehouse.connect(db_path) as con:
        counts = warehouse.load_reference(
            con, settings.cluster_mapping_path, settings.emerging_mapping_path
        )
        warehouse.apply_run_config(con, settings)
        con.execute(
            "insert into meta.load_runs values (?, now(), ?, 'running', null)",
            [run_id, settings.source],
        )
    return counts


@task(name="land-files", cache_policy=NO_CACHE)
def land_files(dataset: str, paths: list[Path], landing_dir: Path) -> list[LandedFile]:
    """Copy local extract files into the landing folder under their checksums."""
    return [land_file(path, landing_dir, dataset) for path in paths]


@task(name="download-dataset", cache_policy=NO_CACHE)
def download_dataset(spec: DatasetSpec, settings: Settings, db_path: Path) -> list[LandedFile]:
    """Download a registry dataset from Eurostat into the landing folder, unless its update stamp is unchanged.

    Time is bounded by the client (a timeout per request, bounded retries and splits); Prefect retries
    (settings.eurostat.task_retries) are set by the flow. A Prefect task timeout could not interrupt
    this thread's network calls, so none is set.
    """
    logger = get_run_logger()
    client = EurostatClient(settings.eurostat)
    try:
        with warehouse.connect(db_path) as con:
            loaded_stamp = warehouse.loaded_updated_stamp(con, spec.name)
            previous = warehouse.loaded_files(con, spec.name)
            geo_codes = warehouse.nuts_codes(
                con, spec.nuts_levels, settings.countries, spec.nuts_version
            )
        stamp = client.updated_stamp(spec.name)
        if stamp and stamp == loaded_stamp and previous:
            logger.info("%s: unchanged since %s, not downloaded", spec.name, stamp)
            return previous
        files = client.download(spec, settings.landing_path, geo_codes)
    finally:
        client.close()
    logger.info("%s: %s file(s), %s bytes", spec.name, len(files), sum(f.bytes for f in files))
    return files


@task(name="load-dataset", cache_policy=NO_CACHE)
def load_dataset(
    db_path: Path, dataset: str, files: list[LandedFile], run_id: str, memory_limit: str
) -> warehouse.DatasetLoad:
    """Parse a dataset's extracts and replace raw.<dataset> in one transaction (skipped when unchanged)."""
    logger = get_run_logger()
    with warehouse.connect(db_path, memory_limit) as con:
        result = warehouse.load_dataset(con, dataset, files, run_id)
    for stats in result.files:
        for warning in stats.warnings:
            logger.warning(warning)
    logger.info(
        "%s: %s (%s observations, %s values)",
        dataset,
        result.status,
        result.observations,
        result.values,
    )
    return result


@task(name="build-models", cache_policy=NO_CACHE)
def build_models(
    db_path: Path, settings: Settings, layers: tuple[str, ...]
) -> dict[str, int | None]:
    """Materialise the SQL models of the given layers in dependency order; returns rows per model (None: view)."""
    logger = get_run_logger()
    counts = {}
    with warehouse.connect(db_path, settings.duckdb_memory_limit) as con:
        warehouse.apply_run_config(con, settings)
        for model in models.ordered_models(models.discovered_models(), layers):
            started = time.perf_counter()
            counts[model.relation] = models.run_model(con, model)
            failpoint(f"build:{model.relation}")
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


@task(name="validate", cache_policy=NO_CACHE)
def validate(
    db_path: Path,
    stage: str,
    run_id: str,
    docs_dir: Path | None = None,
    engine_rows: int | None = 100_000,
    engine_value_set: int | None = 100,
    memory_limit: str | None = None,
) -> validation.ValidationSummary:
    """Run the stage's Great Expectations suites; raises ValidationFailed on a critical failure."""
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
        markdown=validation.markdown_report(summary, docs_dir),
        description=f"{stage} validation",
    )
    if not summary.success:
        raise validation.ValidationFailed(summary)
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
        con.execute(
            "update meta.load_runs set status = 'published', finished_at = now() where run_id = ?",
            [run_id],
        )
        warehouse.record_row_counts(con, run_id)
        con.execute("checkpoint")
