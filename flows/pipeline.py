"""The clusterobs flows.

pipeline:      ingest -> build -> validate -> export (each a flow of its own) -> publish.
ingest:        land or download the extracts and load them into raw.<dataset> (flows/ingest.py).
build:         materialise SQL model layers.
validate:      run the Great Expectations suites of a stage.
export:        marts -> Parquet with a manifest.
ingest_files:  load given extract files into the raw layer, and publish (marts carried over;
               flows/ingest.py).
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.cache_policies import NO_CACHE

from clusterobs import progress, publish, validation
from clusterobs.flows import tasks
from clusterobs.flows.ingest import ingest, ingest_files
from clusterobs.flows.runners import dask_scheduler, task_runner
from clusterobs.landing import remove_interrupted_writes
from clusterobs.run_config import RunConfig, resolve_run_config
from clusterobs.run_summary import (
    RunDeadline,
    RunSummary,
    finish,
    log_failure,
    run_log,
    run_report,
)
from clusterobs.settings import Settings
from clusterobs.validation_results import ValidationSummary

__all__ = ["build", "export", "ingest", "ingest_files", "pipeline", "validate"]


@flow(name="clusterobs-build", log_prints=True)
def build(
    config: RunConfig, db_path: Path, layers: tuple[str, ...], exchange: Path | None = None
) -> dict[str, int | None]:
    """Materialise the SQL models of `layers` in dependency order; returns rows per model (None: a view).

    With an `exchange` folder (task_runner=dask), the models marked `Partitioned: country` are built one
    country at a time by the flow's task runner, from and into partitioned Parquet there
    (clusterobs.partitions), and the writer reads their tables back.
    """
    if exchange is None or "intermediate" not in layers:
        return tasks.build_models(db_path, config, layers)
    countries = tasks.export_partition_inputs(db_path, exchange)
    futures = [
        tasks.build_country.submit(country, exchange, config.settings) for country in countries
    ]
    for future in futures:
        future.result()
    try:
        return tasks.build_models(db_path, config, layers, exchange)
    finally:
        shutil.rmtree(exchange, ignore_errors=True)


@flow(name="clusterobs-validate", log_prints=True)
def validate(
    settings: Settings,
    db_path: Path,
    stage: str,
    run_id: str,
    docs_dir: Path,
    page: tuple[Path, Path] | None = None,
) -> ValidationSummary:
    """Run the Great Expectations suites of `stage` (staging or marts); fails on a critical failure.
    `page`: where the run's validation page is written, and where it is once published."""
    return tasks.validate(
        db_path,
        stage,
        run_id,
        docs_dir,
        settings.validation_engine_rows,
        settings.validation_engine_value_set,
        settings.duckdb_memory_limit,
        page,
    )


@task(name="validate-while-building", cache_policy=NO_CACHE)
def validate_while_building(
    settings: Settings,
    db_path: Path,
    stage: str,
    run_id: str,
    docs_dir: Path,
    page: tuple[Path, Path] | None = None,
) -> ValidationSummary:
    """The validate flow as a task, which the pipeline submits to run beside the build."""
    return validate(settings, db_path, stage, run_id, docs_dir, page)


@flow(name="clusterobs-export", log_prints=True)
def export(settings: Settings, db_path: Path, parquet_dir: Path, run_id: str) -> dict[str, int]:
    """Export every mart to Parquet in the run's folder, with its manifest; returns rows per mart."""
    return tasks.export_parquet(db_path, parquet_dir, run_id, settings.parquet_partitioned)


@flow(name="clusterobs-pipeline", log_prints=True)
def pipeline(
    settings: Settings | None = None, take_lock: bool = True, config: RunConfig | None = None
) -> RunSummary:
    """Ingest, build, validate and export (each a flow), then publish atomically.

    `config`: the run's configuration as resolved at preflight (`clusterobs.preflight`, which the CLI runs
    before Prefect starts); without it, it is resolved here from `settings` (default: `Settings()`).
    `take_lock`: hold the output folder's writer lock for the run (the CLI takes it itself, before
    Prefect starts, and says False)."""
    if config is not None and settings is not None:
        raise ValueError("pipeline takes settings or a resolved config, not both")
    config = config or resolve_run_config(settings or Settings())
    if not take_lock:
        return _pipeline(config)
    with publish.run_lock(
        config.settings.output_path, config.settings.run_lock_timeout_seconds, "clusterobs run"
    ):
        return _pipeline(config)


def _pipeline(config: RunConfig) -> RunSummary:
    settings = config.settings
    logger = get_run_logger()
    started = time.perf_counter()
    run = publish.start_run(settings.output_path)
    progress.emit("run", run.run_id, detail=str(run.work_dir))
    summary = RunSummary(run_id=run.run_id)
    docs = run.work_dir / "data_docs"
    deadline = RunDeadline(settings.run_timeout_seconds)
    try:
        with run_log(run.work_dir / publish.RUN_LOG):
            logger.info("run %s: source %s -> %s", run.run_id, settings.source, run.work_dir)
            remove_interrupted_writes(settings.landing_path)
            publish.seed_warehouse(run)
            if settings.validate_outputs:
                validation.import_great_expectations_in_background()
            with dask_scheduler(settings) as dask_address:
                _stages(config, run, summary, docs, dask_address, deadline)
            deadline.check("publish")
        with summary.timed("publish"):
            tasks.finish_run(run.warehouse, run.run_id)
            published = publish.publish(run, settings.keep_runs, settings.keep_failed_runs)
    except BaseException as exc:
        log_failure(run, exc)
        publish.mark_failed(run, exc, settings.keep_failed_runs)
        logger.error("run %s failed, previous outputs left as they were: %s", run.run_id, exc)
        raise
    finish(summary, settings, published, started)
    create_markdown_artifact(
        key="clusterobs-run", markdown=run_report(summary), description="clusterobs run summary"
    )
    create_table_artifact(
        key="clusterobs-datasets",
        table=[{"dataset": name, **counts} for name, counts in summary.datasets.items()],
        description="datasets of the run: load status, files, series, observations, values",
    )
    create_table_artifact(
        key="clusterobs-marts",
        table=[{"mart": name, "rows": rows} for name, rows in summary.marts.items()],
        description="published marts and their rows",
    )
    return summary


def _stages(
    config: RunConfig,
    run: publish.RunPaths,
    summary: RunSummary,
    docs: Path,
    dask_address: str | None,
    deadline: RunDeadline,
) -> None:
    """Ingest, build, validate, export: each a flow; with Dask, extraction and the per-country builds
    run on the cluster."""
    settings, runner = config.settings, task_runner(dask_address)
    # the run's validation page: written in its folder, named by the path it has once published
    page = (run.work_dir / publish.VALIDATION_PAGE, run.published_dir / publish.VALIDATION_PAGE)
    with summary.timed("ingest"):
        summary.absent_datasets = dict(config.plan.absent)
        if warning := config.absent_warning():
            get_run_logger().warning(warning)
        tasks.prepare_warehouse(run.warehouse, config, run.run_id)
        ingest_flow = ingest.with_options(task_runner=runner)
        loads = ingest_flow(settings, run.warehouse, run.run_id, run.work_dir, config=config)
        for load in loads.values():
            summary.record(load)
    deadline.check("build")
    with summary.timed("build"):
        build(config, run.warehouse, ("staging",))
    staging_check = None
    if settings.validate_outputs:
        # The staging suites only read staging tables: they run while the marts are built on them, and
        # their verdict is awaited before anything is exported or published.
        staging_check = validate_while_building.submit(
            settings, run.warehouse, "staging", run.run_id, docs / "staging", page
        )
    try:
        with summary.timed("build"):  # the staging suites run meanwhile
            build.with_options(task_runner=runner)(
                config,
                run.warehouse,
                ("intermediate", "marts", "analyst"),
                run.work_dir / "exchange" if dask_address else None,
            )
    finally:
        if staging_check is not None:
            with summary.timed("validate"):  # what is left of them once the build is done
                summary.validation["staging"] = staging_check.result().as_dict()
    summary.unavailable_indicators = tasks.record_indicator_availability(run.warehouse, run.run_id)
    summary.data_quality = tasks.summarise_data_quality(run.warehouse)
    if settings.validate_outputs:
        deadline.check("validate")
        with summary.timed("validate"):
            summary.validation["marts"] = validate(
                settings, run.warehouse, "marts", run.run_id, docs / "marts", page
            ).as_dict()
    deadline.check("export")
    with summary.timed("export"):
        summary.marts = export(settings, run.warehouse, run.parquet, run.run_id)
