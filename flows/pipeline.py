"""The clusterobs pipeline flow: ingest -> validate -> build -> validate -> export -> publish."""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field

from prefect import flow, get_run_logger
from prefect.artifacts import create_markdown_artifact

from clusterobs import publish
from clusterobs.settings import Settings
from flows import tasks


@dataclass
class RunSummary:
    """What a run did: the numbers printed at the end of `clusterobs run`."""

    run_id: str
    status: str = "running"
    datasets: dict[str, dict] = field(default_factory=dict)
    validation: dict[str, dict] = field(default_factory=dict)
    marts: dict[str, int] = field(default_factory=dict)
    warehouse: str | None = None
    parquet: str | None = None
    run_folder: str | None = None
    elapsed_seconds: float = 0.0
    error: str | None = None

    def as_dict(self) -> dict:
        return asdict(self)


@flow(name="clusterobs-pipeline", log_prints=True)
def pipeline(settings: Settings | None = None) -> RunSummary:
    """Load the extracts, validate them, build the marts, export Parquet and publish atomically."""
    settings = settings or Settings()
    logger = get_run_logger()
    started = time.perf_counter()
    run = publish.start_run(settings.output_path)
    summary = RunSummary(run_id=run.run_id)
    logger.info("run %s: source %s -> %s", run.run_id, settings.source_dir, run.work_dir)
    try:
        files = tasks.extract_files(settings.source_dir, settings.datasets)
        tasks.prepare_warehouse(run.warehouse, settings, run.run_id)
        for dataset, path in files.items():
            result = tasks.ingest_extract(run.warehouse, path, dataset, run.run_id)
            summary.datasets[dataset] = {
                "status": result.status,
                "series": result.series,
                "observations": result.observations,
                "values": result.values_present,
                "file": result.path,
            }
        tasks.build_models(run.warehouse, settings, ("staging",))
        summary.validation["staging"] = tasks.validate(
            run.warehouse, "staging", run.run_id
        ).as_dict()
        tasks.build_models(run.warehouse, settings, ("intermediate", "marts"))
        summary.validation["marts"] = tasks.validate(run.warehouse, "marts", run.run_id).as_dict()
        summary.marts = tasks.export_parquet(run.warehouse, run.parquet)
        tasks.finish_run(run.warehouse, run.run_id)
        published = publish.publish(run, settings.keep_runs)
    except BaseException as exc:
        failed = publish.mark_failed(run)
        summary.status = "failed"
        summary.error = str(exc)
        summary.run_folder = str(failed)
        summary.elapsed_seconds = round(time.perf_counter() - started, 2)
        logger.error("run %s failed, previous outputs left as they were: %s", run.run_id, exc)
        raise
    summary.status = "published"
    summary.warehouse = str(settings.warehouse_path)
    summary.parquet = str(settings.parquet_path)
    summary.run_folder = str(published)
    summary.elapsed_seconds = round(time.perf_counter() - started, 2)
    create_markdown_artifact(
        key="clusterobs-run", markdown=run_report(summary), description="clusterobs run summary"
    )
    return summary


def run_report(summary: RunSummary) -> str:
    """Markdown summary of a run for the Prefect UI."""
    lines = [
        f"# clusterobs run {summary.run_id}: {summary.status}",
        "",
        "| dataset | status | observations | values |",
        "|---|---|---|---|",
    ]
    lines += [
        f"| {d} | {v['status']} | {v['observations']} | {v['values']} |"
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
    ]
    return "\n".join(lines)
