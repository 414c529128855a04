"""The clusterobs flows.

pipeline: land or download extracts -> load -> validate -> build -> validate -> export -> publish.
ingest:   land and load given extract files into the raw layer, and publish (marts carried over).
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path

from prefect import flow, get_run_logger
from prefect.artifacts import create_markdown_artifact, create_table_artifact

from clusterobs import publish, validation, warehouse
from clusterobs.landing import LandedFile, remove_interrupted_writes
from clusterobs.registry import load_registry
from clusterobs.settings import Settings
from flows import tasks

# Called with a stage's name as it starts (the CLI's progress display listens here).
STAGE_LISTENERS: list[Callable[[str], None]] = []
STAGES = ("ingest", "build", "validate", "export", "publish")


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

    def as_dict(self) -> dict:
        return asdict(self)

    @contextmanager
    def timed(self, stage: str) -> Iterator[None]:
        """Add the wall time of the block to `stage_seconds[stage]`."""
        for listener in STAGE_LISTENERS:
            listener(stage)
        started = time.perf_counter()
        try:
            yield
        finally:
            spent = time.perf_counter() - started
            self.stage_seconds[stage] = round(self.stage_seconds.get(stage, 0.0) + spent, 2)

    def record(self, load: warehouse.DatasetLoad) -> None:
        self.datasets[load.dataset] = {
            "status": load.status,
            "files": len(load.files),
            "series": load.series,
            "observations": load.observations,
            "values": load.values,
        }
        self.files += [f.as_dict() for f in load.files]


def registry_datasets(settings: Settings):
    registry = load_registry(settings.registry_path)
    if settings.datasets:
        unknown = sorted(set(settings.datasets) - registry.keys())
        if unknown:
            raise ValueError(f"dataset(s) {', '.join(unknown)} not in {settings.registry_path}")
        registry = {name: spec for name, spec in registry.items() if name in settings.datasets}
    return registry


def collect_extracts(settings: Settings, db_path: Path) -> dict[str, list[LandedFile]]:
    """Landed extract files per dataset, from the bundled demo, a folder, or the Eurostat API."""
    registry = registry_datasets(settings)
    if settings.source == "eurostat":
        download = tasks.download_dataset.with_options(
            retries=settings.eurostat.task_retries,
            retry_delay_seconds=settings.eurostat.task_retry_delay_seconds,
        )
        futures = {
            name: download.submit(spec, settings, db_path) for name, spec in registry.items()
        }
        return {name: future.result() for name, future in futures.items()}
    found = tasks.extract_files(settings.source_dir, registry)
    return {
        name: tasks.land_files(name, paths, settings.landing_path) for name, paths in found.items()
    }


@flow(name="clusterobs-pipeline", log_prints=True)
def pipeline(settings: Settings | None = None) -> RunSummary:
    """Load the extracts, validate them, build the marts, export Parquet and publish atomically."""
    settings = settings or Settings()
    with publish.run_lock(
        settings.output_path, settings.run_lock_timeout_seconds, "clusterobs run"
    ):
        return _pipeline(settings)


def _pipeline(settings: Settings) -> RunSummary:
    logger = get_run_logger()
    started = time.perf_counter()
    run = publish.start_run(settings.output_path)
    remove_interrupted_writes(settings.landing_path)
    summary = RunSummary(run_id=run.run_id)
    logger.info("run %s: source %s -> %s", run.run_id, settings.source, run.work_dir)
    if settings.validate_outputs:
        validation.import_great_expectations_in_background()
    try:
        with summary.timed("ingest"):
            tasks.prepare_warehouse(run.warehouse, settings, run.run_id)
            extracts = collect_extracts(settings, run.warehouse)
            # Loads run concurrently (each dataset in its own transaction on its own tables; gzip
            # decompression is single-threaded, so two loads keep both cores busy), largest first.
            by_size = sorted(extracts, key=lambda d: -sum(f.bytes for f in extracts[d]))
            loads = {
                dataset: tasks.load_dataset.submit(
                    run.warehouse,
                    dataset,
                    extracts[dataset],
                    run.run_id,
                    settings.duckdb_memory_limit,
                )
                for dataset in by_size
            }
            for dataset in extracts:
                summary.record(loads[dataset].result())
        with summary.timed("build"):
            tasks.build_models(run.warehouse, settings, ("staging",))
        docs = run.work_dir / "data_docs"
        staging_check = None
        if settings.validate_outputs:
            # The staging suites only read staging tables: they run while the marts are built on them, and
            # their verdict is awaited before anything is exported or published.
            staging_check = tasks.validate.submit(
                run.warehouse,
                "staging",
                run.run_id,
                docs / "staging",
                settings.validation_engine_rows,
                settings.validation_engine_value_set,
                settings.duckdb_memory_limit,
            )
        try:
            with summary.timed("build"):  # the staging suites run meanwhile
                tasks.build_models(run.warehouse, settings, ("intermediate", "marts", "analyst"))
        finally:
            if staging_check is not None:
                with summary.timed("validate"):  # what is left of them once the build is done
                    summary.validation["staging"] = staging_check.result().as_dict()
        if settings.validate_outputs:
            with summary.timed("validate"):
                summary.validation["marts"] = tasks.validate(
                    run.warehouse,
                    "marts",
                    run.run_id,
                    docs / "marts",
                    settings.validation_engine_rows,
                    settings.validation_engine_value_set,
                    settings.duckdb_memory_limit,
                ).as_dict()
        with summary.timed("export"):
            summary.marts = tasks.export_parquet(
                run.warehouse, run.parquet, run.run_id, settings.parquet_partitioned
            )
        with summary.timed("publish"):
            tasks.finish_run(run.warehouse, run.run_id)
            published = publish.publish(run, settings.keep_runs)
    except BaseException as exc:
        publish.mark_failed(run)
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


@flow(name="clusterobs-ingest", log_prints=True)
def ingest(
    paths: list[Path], dataset: str | None = None, settings: Settings | None = None
) -> RunSummary:
    """Load extract files into the warehouse's raw layer and publish; the marts and Parquet are carried over."""
    settings = settings or Settings()
    with publish.run_lock(
        settings.output_path, settings.run_lock_timeout_seconds, "clusterobs ingest"
    ):
        return _ingest(paths, dataset, settings)


def _ingest(paths: list[Path], dataset: str | None, settings: Settings) -> RunSummary:
    from transforms.extracts import declared_dataset

    started = time.perf_counter()
    run = publish.start_run(settings.output_path)
    remove_interrupted_writes(settings.landing_path)
    summary = RunSummary(run_id=run.run_id)
    try:
        by_dataset: dict[str, list[Path]] = {}
        for path in paths:
            by_dataset.setdefault(dataset or declared_dataset(path), []).append(path)
        with warehouse.connect(run.warehouse) as con:
            con.execute(
                "insert into meta.load_runs values (?, now(), ?, 'running', null)",
                [run.run_id, "ingest"],
            )
        for name, files in by_dataset.items():
            landed = tasks.land_files(name, files, settings.landing_path)
            summary.record(
                tasks.load_dataset(
                    run.warehouse, name, landed, run.run_id, settings.duckdb_memory_limit
                )
            )
        carry_over_parquet(settings.output_path, run.parquet)
        tasks.finish_run(run.warehouse, run.run_id)
        published = publish.publish(run, settings.keep_runs)
    except BaseException:
        publish.mark_failed(run)
        raise
    finish(summary, settings, published, started)
    return summary


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
