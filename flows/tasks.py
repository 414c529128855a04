"""Prefect tasks: thin wrappers that add logging to the plain functions in clusterobs/ and transforms/.

Tasks take and return paths and small summaries, never connections or large frames, so each one can
run (and be retried) on its own. Nothing here touches the network, so no task retries.
"""

from __future__ import annotations

from pathlib import Path

from prefect import get_run_logger, task
from prefect.cache_policies import NO_CACHE

from clusterobs import models, validation, warehouse
from clusterobs.settings import Settings


def extract_files(source_dir: Path, datasets: list[str]) -> dict[str, Path]:
    """The extract file of each dataset in the source folder; raises naming every missing one."""
    if not source_dir.is_dir():
        raise FileNotFoundError(
            f"source folder {source_dir} does not exist (use --source demo or a folder of extracts)"
        )
    found, missing = {}, []
    for dataset in datasets:
        candidates = [source_dir / f"{dataset}.tsv.gz", source_dir / f"{dataset}.tsv"]
        path = next((c for c in candidates if c.is_file()), None)
        if path is None:
            missing.append(dataset)
        else:
            found[dataset] = path
    if missing:
        raise FileNotFoundError(
            f"{source_dir} has no extract for: {', '.join(missing)} (expected <dataset>.tsv or <dataset>.tsv.gz)"
        )
    return found


@task(name="prepare-warehouse", cache_policy=NO_CACHE)
def prepare_warehouse(db_path: Path, settings: Settings, run_id: str) -> dict[str, int]:
    """Create schemas, load reference seeds and the run's configuration; record the run as started."""
    with warehouse.connect(db_path) as con:
        counts = warehouse.load_reference(con, settings.cluster_mapping_path)
        warehouse.apply_run_config(con, settings)
        con.execute(
            "insert into meta.load_runs values (?, now(), ?, 'running', null)",
            [run_id, str(settings.source_dir)],
        )
    return counts


@task(name="ingest-extract", cache_policy=NO_CACHE)
def ingest_extract(db_path: Path, path: Path, dataset: str, run_id: str) -> warehouse.LoadResult:
    """Parse one extract and load it into raw.<dataset> (skipped when the same file is already loaded)."""
    with warehouse.connect(db_path) as con:
        result = warehouse.load_extract(con, path, dataset, run_id)
    get_run_logger().info(
        "%s: %s (%s observations, %s values) from %s",
        dataset,
        result.status,
        result.observations,
        result.values_present,
        path.name,
    )
    return result


@task(name="build-models", cache_policy=NO_CACHE)
def build_models(db_path: Path, settings: Settings, layers: tuple[str, ...]) -> dict[str, int]:
    """Materialise the SQL models of the given layers in dependency order; returns rows per model."""
    logger = get_run_logger()
    counts = {}
    with warehouse.connect(db_path) as con:
        warehouse.apply_run_config(con, settings)
        for model in models.ordered_models(models.discovered_models(), layers):
            counts[model.relation] = models.run_model(con, model)
            logger.info("built %s (%s rows)", model.relation, counts[model.relation])
    return counts


@task(name="validate", cache_policy=NO_CACHE)
def validate(db_path: Path, stage: str, run_id: str) -> validation.ValidationSummary:
    """Run the stage's Great Expectations suites; raises ValidationFailed on a critical failure."""
    logger = get_run_logger()
    with warehouse.connect(db_path) as con:
        summary = validation.validate_stage(con, stage, run_id)
    for warning in summary.warnings:
        logger.warning(
            "warning: %s %s(%s) unexpected=%s",
            warning.suite,
            warning.expectation,
            warning.column,
            warning.unexpected_count,
        )
    if not summary.success:
        raise validation.ValidationFailed(summary)
    logger.info("%s validation: %s", stage, summary.as_dict())
    return summary


@task(name="export-parquet", cache_policy=NO_CACHE)
def export_parquet(db_path: Path, parquet_dir: Path) -> dict[str, int]:
    """Export every mart to Parquet in the run's folder."""
    with warehouse.connect(db_path) as con:
        return warehouse.export_marts(con, parquet_dir)


@task(name="finish-run", cache_policy=NO_CACHE)
def finish_run(db_path: Path, run_id: str) -> None:
    with warehouse.connect(db_path) as con:
        con.execute(
            "update meta.load_runs set status = 'published', finished_at = now() where run_id = ?",
            [run_id],
        )
        con.execute("checkpoint")
