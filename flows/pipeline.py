"""The clusterobs flows.

pipeline:      ingest -> build -> validate -> export (each a flow of its own) -> publish.
ingest:        land or download the extracts and load them into raw.<dataset>.
build:         materialise SQL model layers.
validate:      run the Great Expectations suites of a stage.
export:        marts -> Parquet with a manifest.
ingest_files:  load given extract files into the raw layer, and publish (marts carried over).
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import time
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.cache_policies import NO_CACHE
from prefect.task_runners import ThreadPoolTaskRunner

from clusterobs import loads, progress, publish, run_records, validation, warehouse
from clusterobs.flows import tasks
from clusterobs.landing import LandedFile, remove_interrupted_writes
from clusterobs.registry import checked_dataset_code, declared_schema, load_registry
from clusterobs.settings import Settings
from clusterobs.sources import SourcePlan, source_plan
from clusterobs.transforms.readers.conformance import DeclaredSchema
from clusterobs.validation_results import ValidationSummary


@dataclass
class RunSummary:
    """What a run did: the numbers printed at the end of `clusterobs run` and `clusterobs ingest`."""

    run_id: str
    status: str = "running"
    datasets: dict[str, dict] = field(default_factory=dict)
    files: list[dict] = field(default_factory=list)
    validation: dict[str, dict] = field(default_factory=dict)
    marts: dict[str, int] = field(default_factory=dict)
    warehouse: str | None = None
    parquet: str | None = None
    run_folder: str | None = None
    elapsed_seconds: float = 0.0
    stage_seconds: dict[str, float] = field(default_factory=dict)
    # registry datasets the run went without, and why
    absent_datasets: dict[str, str] = field(default_factory=dict)
    # scoreboard indicators the run could not compute, and why
    unavailable_indicators: dict[str, str] = field(default_factory=dict)
    # per SBS dataset and year: published, confidential, estimated (marts.fct_data_quality)
    data_quality: list[dict] = field(default_factory=list)

    def as_dict(self) -> dict:
        return asdict(self)

    @contextmanager
    def timed(self, stage: str) -> Iterator[None]:
        """Add the wall time of the block to `stage_seconds[stage]`."""
        progress.emit("stage", stage)
        started = time.perf_counter()
        try:
            yield
        finally:
            spent = time.perf_counter() - started
            self.stage_seconds[stage] = round(self.stage_seconds.get(stage, 0.0) + spent, 2)

    def record(self, load: loads.DatasetLoad) -> None:
        self.datasets[load.dataset] = {
            "status": load.status,
            "files": len(load.files),
            "series": load.series,
            "observations": load.observations,
            "values": load.values,
        }
        self.files += [f.as_dict() for f in load.files]


class RunTimeoutError(TimeoutError):
    """A run went past settings.run_timeout_seconds; nothing of it was published."""


@dataclass
class RunDeadline:
    """The run's time limit (settings.run_timeout_seconds), checked as each stage starts: a stage is never
    cut off half-way, and the run fails cleanly between two. (Prefect's own flow timeout interrupts the
    main thread with a signal wherever it is, which a library's broad `except` can swallow.)"""

    seconds: float
    started: float = field(default_factory=time.perf_counter)

    def check(self, stage: str) -> None:
        spent = time.perf_counter() - self.started
        if spent > self.seconds:
            raise RunTimeoutError(
                f"run exceeded run_timeout_seconds={self.seconds:g} ({spent:.1f} s) before the {stage} stage"
            )


@contextmanager
def dask_scheduler(settings: Settings) -> Iterator[str | None]:
    """The run's Dask scheduler address (task_runner=dask): settings.dask_address, else a local cluster
    started for the run (one for all its flows); None with the thread runner."""
    if settings.task_runner != "dask":
        yield None
    elif settings.dask_address:
        yield settings.dask_address
    else:
        from distributed import LocalCluster  # optional: uv sync --extra dask

        with LocalCluster(
            n_workers=settings.dask_workers,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
        ) as cluster:
            yield cluster.scheduler_address


def task_runner(dask_address: str | None):
    """Threads of this process, or the Dask cluster at `dask_address`."""
    if dask_address is None:
        return ThreadPoolTaskRunner()
    from prefect_dask import DaskTaskRunner

    return DaskTaskRunner(address=dask_address)


def downloaded_extracts(
    settings: Settings, db_path: Path, plan: SourcePlan
) -> dict[str, list[LandedFile]]:
    """Landed Eurostat extracts per dataset: downloads run concurrently, each reused from Prefect's
    cache when its request and Eurostat's `updated` stamp are unchanged."""
    api = settings.eurostat
    wanted = {name: plan.registry[name] for name in plan.loaded}
    requests = tasks.eurostat_requests(db_path, wanted, settings)
    stamp = tasks.eurostat_updated_stamp.with_options(
        retries=api.task_retries,
        retry_delay_seconds=api.task_retry_delay_seconds,
        timeout_seconds=api.timeout_seconds * (api.retries + 1),
    )
    download = tasks.download_dataset.with_options(
        retries=api.task_retries,
        retry_delay_seconds=api.task_retry_delay_seconds,
        timeout_seconds=api.task_timeout_seconds,
        result_storage=settings.download_cache_path,
    )
    stamps = {name: stamp.submit(name, api) for name in requests}
    futures = {
        name: download.submit(spec, geo_codes, stamps[name], api, settings.landing_path)
        for name, (spec, geo_codes) in requests.items()
    }
    extracts = {}
    for name, future in futures.items():
        files = future.result()
        if not all(f.path.is_file() for f in files):  # a cached download whose files were removed
            spec, geo_codes = requests[name]
            files = (
                download.with_options(refresh_cache=True)
                .submit(spec, geo_codes, stamps[name], api, settings.landing_path)
                .result()
            )
        extracts[name] = files
    return extracts


def collect_extracts(
    settings: Settings, db_path: Path, plan: SourcePlan
) -> dict[str, list[LandedFile]]:
    """Landed extract files per dataset, from the bundled demo, a folder, or the Eurostat API."""
    if settings.source == "eurostat":
        return downloaded_extracts(settings, db_path, plan)
    return landed_files(plan.files, settings)


def declared_schemas(settings: Settings, datasets) -> dict[str, DeclaredSchema]:
    """What the registry declares for each of `datasets` it knows (files of others are read as they are)."""
    registry = load_registry(settings.registry_path)
    return {name: declared_schema(registry[name]) for name in datasets if name in registry}


def landed_files(files: dict[str, list[Path]], settings: Settings) -> dict[str, list[LandedFile]]:
    """Local extract files per dataset, copied into the landing folder."""
    return {
        name: tasks.land_files(name, paths, settings.landing_path) for name, paths in files.items()
    }


@flow(name="clusterobs-ingest", log_prints=True)
def ingest(
    settings: Settings,
    db_path: Path,
    run_id: str,
    work_dir: Path,
    files: dict[str, list[Path]] | None = None,
    plan: SourcePlan | None = None,
) -> dict[str, loads.DatasetLoad]:
    """Land (or download) each dataset's extracts and load them into raw.<dataset>, one transaction each.

    `files`: these extract files per dataset instead of the settings' source, loaded as they are (the other
    datasets are left as they are). Otherwise the run's source `plan` (default: `source_plan(settings)`)
    says what to load, every file is held against what the registry declares for its dataset
    (transforms.conformance), and each dataset the plan goes without is recorded as absent and its raw
    table emptied. With the thread runner,
    loads run concurrently in this process (each on its own tables; gzip decompression is
    single-threaded, so two loads keep both cores busy), largest first. With Dask, the extracts are
    parsed on the workers into Parquet in the run folder, and this process, the warehouse's one writer,
    loads those.
    """
    if files:
        extracts = landed_files(files, settings)
    else:
        plan = plan or source_plan(settings)
        extracts = collect_extracts(settings, db_path, plan)
    by_size = sorted(extracts, key=lambda d: -sum(f.bytes for f in extracts[d]))
    memory = settings.duckdb_memory_limit
    declared = {} if files else declared_schemas(settings, extracts)
    if settings.task_runner == "dask":
        loads = tasks.unchanged_loads(db_path, extracts, declared)
        exchange = work_dir / "exchange"
        parsed = {
            dataset: [
                tasks.parse_extract.submit(
                    landed, dataset, number, exchange, memory, declared.get(dataset)
                )
                for number, landed in enumerate(extracts[dataset])
            ]
            for dataset in by_size
            if dataset not in loads
        }
        for dataset, futures in parsed.items():
            parts = [future.result() for future in futures]
            loads[dataset] = tasks.load_parsed(db_path, dataset, parts, run_id, memory)
        shutil.rmtree(exchange, ignore_errors=True)
    else:
        futures = {
            dataset: tasks.load_dataset.submit(
                db_path, dataset, extracts[dataset], run_id, memory, declared.get(dataset)
            )
            for dataset in by_size
        }
        loads = {dataset: future.result() for dataset, future in futures.items()}
    loads = {dataset: loads[dataset] for dataset in extracts}
    if plan is not None:
        tasks.record_run_datasets(db_path, run_id, loads, plan.absent, plan.registry)
    return loads


@flow(name="clusterobs-build", log_prints=True)
def build(
    settings: Settings, db_path: Path, layers: tuple[str, ...], exchange: Path | None = None
) -> dict[str, int | None]:
    """Materialise the SQL models of `layers` in dependency order; returns rows per model (None: a view).

    With an `exchange` folder (task_runner=dask), the models marked `Partitioned: country` are built one
    country at a time by the flow's task runner, from and into partitioned Parquet there
    (clusterobs.partitions), and the writer reads their tables back.
    """
    if exchange is None or "intermediate" not in layers:
        return tasks.build_models(db_path, settings, layers)
    countries = tasks.export_partition_inputs(db_path, exchange)
    futures = [tasks.build_country.submit(country, exchange, settings) for country in countries]
    for future in futures:
        future.result()
    try:
        return tasks.build_models(db_path, settings, layers, exchange)
    finally:
        shutil.rmtree(exchange, ignore_errors=True)


@flow(name="clusterobs-validate", log_prints=True)
def validate(
    settings: Settings, db_path: Path, stage: str, run_id: str, docs_dir: Path
) -> ValidationSummary:
    """Run the Great Expectations suites of `stage` (staging or marts); fails on a critical failure."""
    return tasks.validate(
        db_path,
        stage,
        run_id,
        docs_dir,
        settings.validation_engine_rows,
        settings.validation_engine_value_set,
        settings.duckdb_memory_limit,
    )


@task(name="validate-while-building", cache_policy=NO_CACHE)
def validate_while_building(
    settings: Settings, db_path: Path, stage: str, run_id: str, docs_dir: Path
) -> ValidationSummary:
    """The validate flow as a task, which the pipeline submits to run beside the build."""
    return validate(settings, db_path, stage, run_id, docs_dir)


@flow(name="clusterobs-export", log_prints=True)
def export(settings: Settings, db_path: Path, parquet_dir: Path, run_id: str) -> dict[str, int]:
    """Export every mart to Parquet in the run's folder, with its manifest; returns rows per mart."""
    return tasks.export_parquet(db_path, parquet_dir, run_id, settings.parquet_partitioned)


@flow(name="clusterobs-pipeline", log_prints=True)
def pipeline(settings: Settings | None = None, take_lock: bool = True) -> RunSummary:
    """Ingest, build, validate and export (each a flow), then publish atomically.

    `take_lock`: hold the output folder's writer lock for the run (the CLI takes it itself, before
    Prefect starts, and says False)."""
    settings = settings or Settings()
    if not take_lock:
        return _pipeline(settings)
    with publish.run_lock(
        settings.output_path, settings.run_lock_timeout_seconds, "clusterobs run"
    ):
        return _pipeline(settings)


@contextmanager
def run_log(path: Path) -> Iterator[None]:
    """Copy the run's log lines (Prefect's flow and task loggers) into `path`, the run folder's run.log."""
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    handler.setLevel(logging.INFO)
    loggers = [logging.getLogger(name) for name in ("prefect.flow_runs", "prefect.task_runs")]
    for logger in loggers:
        logger.addHandler(handler)
    try:
        yield
    finally:
        for logger in loggers:
            logger.removeHandler(handler)
        handler.close()


def log_failure(run: publish.RunPaths, exc: BaseException) -> None:
    """Add the failure's traceback to the run's log (the terminal shows one line and this file's path)."""
    text = f"{datetime.now(UTC).isoformat()} ERROR run {run.run_id} failed:\n" + "".join(
        traceback.format_exception(exc)
    )
    log = run.work_dir / publish.RUN_LOG
    with contextlib.suppress(OSError), log.open("a", encoding="utf-8") as handle:
        handle.write(text)  # on a full disk failure.json still says why


def _pipeline(settings: Settings) -> RunSummary:
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
                _stages(settings, run, summary, docs, dask_address, deadline)
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
    settings: Settings,
    run: publish.RunPaths,
    summary: RunSummary,
    docs: Path,
    dask_address: str | None,
    deadline: RunDeadline,
) -> None:
    """Ingest, build, validate, export: each a flow; with Dask, extraction and the per-country builds
    run on the cluster."""
    runner = task_runner(dask_address)
    with summary.timed("ingest"):
        plan = source_plan(settings)
        summary.absent_datasets = dict(plan.absent)
        if warning := plan.warning():
            get_run_logger().warning(warning)
        tasks.prepare_warehouse(run.warehouse, settings, run.run_id)
        ingest_flow = ingest.with_options(task_runner=runner)
        loads = ingest_flow(settings, run.warehouse, run.run_id, run.work_dir, plan=plan)
        for load in loads.values():
            summary.record(load)
    deadline.check("build")
    with summary.timed("build"):
        build(settings, run.warehouse, ("staging",))
    staging_check = None
    if settings.validate_outputs:
        # The staging suites only read staging tables: they run while the marts are built on them, and
        # their verdict is awaited before anything is exported or published.
        staging_check = validate_while_building.submit(
            settings, run.warehouse, "staging", run.run_id, docs / "staging"
        )
    try:
        with summary.timed("build"):  # the staging suites run meanwhile
            build.with_options(task_runner=runner)(
                settings,
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
                settings, run.warehouse, "marts", run.run_id, docs / "marts"
            ).as_dict()
    deadline.check("export")
    with summary.timed("export"):
        summary.marts = export(settings, run.warehouse, run.parquet, run.run_id)


@flow(name="clusterobs-ingest-files", log_prints=True)
def ingest_files(
    paths: list[Path],
    dataset: str | None = None,
    settings: Settings | None = None,
    take_lock: bool = True,
) -> RunSummary:
    """Load extract files into the warehouse's raw layer and publish; the marts and Parquet are carried
    over. `take_lock` as for `pipeline`."""
    settings = settings or Settings()
    if not take_lock:
        return _ingest_files(paths, dataset, settings)
    with publish.run_lock(
        settings.output_path, settings.run_lock_timeout_seconds, "clusterobs ingest"
    ):
        return _ingest_files(paths, dataset, settings)


def _ingest_files(paths: list[Path], dataset: str | None, settings: Settings) -> RunSummary:
    started = time.perf_counter()
    run = publish.start_run(settings.output_path)
    progress.emit("run", run.run_id, detail=str(run.work_dir))
    summary = RunSummary(run_id=run.run_id)
    try:
        with run_log(run.work_dir / publish.RUN_LOG):
            _ingest_into(run, paths, dataset, settings, summary)
        with summary.timed("publish"):
            carry_over_parquet(settings.output_path, run.parquet)
            tasks.finish_run(run.warehouse, run.run_id)
            published = publish.publish(run, settings.keep_runs, settings.keep_failed_runs)
    except BaseException as exc:
        log_failure(run, exc)
        publish.mark_failed(run, exc, settings.keep_failed_runs)
        raise
    finish(summary, settings, published, started)
    return summary


def _ingest_into(
    run: publish.RunPaths,
    paths: list[Path],
    dataset: str | None,
    settings: Settings,
    summary: RunSummary,
) -> None:
    """Load `paths` into the run's copy of the warehouse (the ingest command's work)."""
    from clusterobs.transforms.readers.extracts import declared_dataset

    with summary.timed("ingest"):
        remove_interrupted_writes(settings.landing_path)
        publish.seed_warehouse(run)
        by_dataset: dict[str, list[Path]] = {}
        for path in paths:
            name = checked_dataset_code(dataset or declared_dataset(path))
            by_dataset.setdefault(name, []).append(path)
        with warehouse.connect(run.warehouse) as con:
            run_records.record_run_started(con, run.run_id, "ingest")
        with dask_scheduler(settings) as dask_address:
            ingest_flow = ingest.with_options(task_runner=task_runner(dask_address))
            for load in ingest_flow(
                settings, run.warehouse, run.run_id, run.work_dir, files=by_dataset
            ).values():
                summary.record(load)


def carry_over_parquet(output_dir: Path, target: Path) -> None:
    """Hard-link the published Parquet export into a new run folder (files are never modified in place)."""
    current = output_dir / "current" / publish.PARQUET_DIR
    if current.is_dir():
        shutil.copytree(current, target, copy_function=os.link, dirs_exist_ok=True)
    target.mkdir(parents=True, exist_ok=True)


def finish(summary: RunSummary, settings: Settings, published: Path, started: float) -> None:
    summary.status = "published"
    summary.warehouse = str(settings.warehouse_path)
    summary.parquet = str(settings.parquet_path)
    summary.run_folder = str(published)
    summary.elapsed_seconds = round(time.perf_counter() - started, 2)


def run_report(summary: RunSummary) -> str:
    """Markdown summary of a run for the Prefect UI."""
    lines = [
        f"# clusterobs run {summary.run_id}: {summary.status}",
        "",
        "| dataset | Eurostat updated | status | files | observations | values |",
        "|---|---|---|---|---|---|",
    ]
    stamps: dict[str, set[str]] = {}
    for record in summary.files:
        if record.get("updated"):
            stamps.setdefault(record["dataset"], set()).add(record["updated"])
    lines += [
        f"| {d} | {', '.join(sorted(stamps.get(d, []))) or '-'} | {v['status']} | {v['files']} "
        f"| {v['observations']} | {v['values']} |"
        for d, v in summary.datasets.items()
    ]
    lines += [
        f"| {d} | - | absent: {why} | 0 | 0 | 0 |" for d, why in summary.absent_datasets.items()
    ]
    if summary.unavailable_indicators:
        lines += ["", "| unavailable scoreboard indicator | why |", "|---|---|"] + [
            f"| {code} | {why} |" for code, why in summary.unavailable_indicators.items()
        ]
    if summary.data_quality:
        lines += [
            "",
            "| SBS dataset | year | regions | published | confidential | estimated | totals derived | no total |",
            "|---|---|---|---|---|---|---|---|",
        ] + [
            f"| {q['dataset']} | {q['year']} | {q['regions']} | {q['published_share']:.1%} "
            f"| {q['confidential_share']:.1%} | {q['estimated_share']:.1%} "
            f"| {q['regions_total_derived']} | {q['regions_without_total']} |"
            for q in summary.data_quality
        ]
    lines += ["", "| mart | rows |", "|---|---|"] + [
        f"| {m} | {n} |" for m, n in summary.marts.items()
    ]
    lines += [
        "",
        f"Validation: {summary.validation}",
        "",
        f"Warehouse: `{summary.warehouse}`, Parquet: `{summary.parquet}`",
        "",
        f"Time: {summary.elapsed_seconds} s; by stage (s): {summary.stage_seconds}",
    ]
    return "\n".join(lines)
