"""What a run did and how it is recorded: the summary printed at the end of `clusterobs run` and
`clusterobs ingest` (and its Markdown report for the Prefect UI), the run's time limit, and its log file."""

from __future__ import annotations

import contextlib
import logging
import time
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from clusterobs import loads, progress, publish
from clusterobs.publish import VALIDATION_PAGE
from clusterobs.settings import Settings


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
    # the run's validation page (validation.html in the published run folder), when it validated
    validation_page: str | None = None
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


def finish(summary: RunSummary, settings: Settings, published: Path, started: float) -> None:
    summary.status = "published"
    summary.warehouse = str(settings.warehouse_path)
    summary.parquet = str(settings.parquet_path)
    summary.run_folder = str(published)
    if (published / VALIDATION_PAGE).is_file():
        summary.validation_page = str(published / VALIDATION_PAGE)
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
    if summary.validation:
        lines += [
            "",
            "| validation | expectations | passed | critical failures | warnings | skipped suites |",
            "|---|---|---|---|---|---|",
        ] + [
            f"| {stage} | {v['expectations']} | {v['passed']} | {v['critical_failures']} "
            f"| {v['warnings']} | {v['skipped_suites']} |"
            for stage, v in summary.validation.items()
        ]
    if summary.validation_page:
        lines += ["", f"Validation page (readable offline): `{summary.validation_page}`"]
    lines += [
        "",
        f"Warehouse: `{summary.warehouse}`, Parquet: `{summary.parquet}`",
        "",
        f"Time: {summary.elapsed_seconds} s; by stage: "
        + ", ".join(f"{stage} {seconds} s" for stage, seconds in summary.stage_seconds.items()),
    ]
    return "\n".join(lines)
