"""The tables and lines run, ingest and validate print once their work is done (on stderr)."""

from __future__ import annotations

from pathlib import Path

from rich.table import Table

from clusterobs.cli.common import console

INGEST_REPORT_KEYS = (
    "file",
    "dataset",
    "series",
    "observations",
    "values",
    "missing",
    "flags",
    "value_sum",
)


def validation_table(title: str, stages: dict[str, dict], skipped: str) -> Table:
    """One row per stage of its expectation counts (ValidationSummary.as_dict); `skipped` names the
    column of skipped suites."""
    table = Table(title=title)
    for col in ("stage", "expectations", "passed", "critical failures", "warnings", skipped):
        table.add_column(col)
    for stage, v in stages.items():
        table.add_row(
            stage,
            str(v["expectations"]),
            str(v["passed"]),
            str(v["critical_failures"]),
            str(v["warnings"]),
            str(v.get("skipped_suites", 0)),
        )
    return table


def _quality_table(rows: list[dict]) -> Table:
    """Per SBS dataset, its years' average shares of marts.fct_data_quality (the mart has them per year)."""
    table = Table(title="SBS cells, average of the years (per year: marts.fct_data_quality)")
    for col in ("dataset", "years", "published", "confid.", "estim.", "no total"):
        table.add_column(col, justify="left" if col == "dataset" else "right", no_wrap=True)
    for dataset in dict.fromkeys(r["dataset"] for r in rows):
        mine = [r for r in rows if r["dataset"] == dataset]

        def mean(key: str, mine=mine) -> str:
            return f"{sum(r[key] for r in mine) / len(mine):.0%}"

        table.add_row(
            dataset,
            f"{mine[0]['year']}-{mine[-1]['year']}",
            mean("published_share"),
            mean("confidential_share"),
            mean("estimated_share"),
            f"{sum(r['regions_without_total'] for r in mine) / len(mine):.0f}",
        )
    return table


def print_run_summary(summary, wall_seconds: float) -> None:
    """The tables of a finished `clusterobs run`: loads, validation, data quality, marts, where and how long."""
    loads = Table(title=f"Run {summary.run_id}: {summary.status}", show_lines=False)
    for col in ("dataset", "status", "series", "observations", "values"):
        loads.add_column(col, justify="right" if col not in ("dataset", "status") else "left")
    for dataset, d in summary.datasets.items():
        loads.add_row(
            dataset, d["status"], f"{d['series']:,}", f"{d['observations']:,}", f"{d['values']:,}"
        )
    for dataset in summary.absent_datasets:
        loads.add_row(dataset, "absent", "-", "-", "-")
    console.print(loads)
    if summary.unavailable_indicators:
        console.print(
            f"unavailable scoreboard indicators ({len(summary.unavailable_indicators)}): "
            + "; ".join(f"{code} ({why})" for code, why in summary.unavailable_indicators.items()),
            soft_wrap=True,
            markup=False,
        )
    console.print(validation_table("Validation", summary.validation, "skipped suites"))
    if summary.validation_page:
        console.print(
            f"validation page (opens offline): {summary.validation_page}",
            markup=False,
            soft_wrap=True,
        )
    if summary.data_quality:
        console.print(_quality_table(summary.data_quality))
    marts = Table(title="Marts")
    marts.add_column("table")
    marts.add_column("rows", justify="right")
    for table, rows in summary.marts.items():
        marts.add_row(table, f"{rows:,}")
    console.print(marts)
    console.print(
        f"warehouse: {summary.warehouse}\nparquet:   {summary.parquet}/\nrun folder: {summary.run_folder}"
    )
    stages = ", ".join(f"{name} {seconds:.1f} s" for name, seconds in summary.stage_seconds.items())
    console.print(
        f"elapsed: {wall_seconds:.1f} s (pipeline {summary.elapsed_seconds:.1f} s"
        + (f": {stages})" if stages else ")")
    )


def print_ingest_summary(summary, settings) -> None:
    """What `clusterobs ingest` loaded: a row per file, its warnings, the datasets already loaded."""
    table = Table(title=f"Ingested into {settings.warehouse_path} (run {summary.run_id})")
    for key in INGEST_REPORT_KEYS:
        table.add_column(
            key.replace("_", " "),
            justify="left" if key in ("file", "dataset", "flags") else "right",
        )
    for f in summary.files:
        flags = " ".join(f"{k}:{v}" for k, v in f["flags"].items()) or "-"
        total = "-" if f["value_sum"] is None else f"{f['value_sum']:,.2f}"
        table.add_row(
            Path(f["file"]).name,
            f["dataset"],
            f"{f['series']:,}",
            f"{f['observations']:,}",
            f"{f['values']:,}",
            f"{f['missing']:,}",
            flags,
            total,
        )
    console.print(table)
    for warning in (w for f in summary.files for w in f["warnings"]):
        console.print(f"[yellow]warning:[/yellow] {warning}")
    for name, d in summary.datasets.items():
        if d["status"] == "unchanged":
            console.print(f"{name}: already loaded (same checksums), nothing changed")
    console.print("the marts are unchanged until the next `clusterobs run`")


def print_validation(summaries: list, settings) -> None:
    """What `clusterobs validate` found: counts per stage, skipped suites, every failed expectation."""
    stages = {summary.stage: summary.as_dict() for summary in summaries}
    console.print(validation_table(f"Validation of {settings.warehouse_path}", stages, "skipped"))
    for summary in summaries:
        for suite, why in summary.skipped.items():
            console.print(f"skipped {suite}: {why}", markup=False)
    for r in (r for summary in summaries for r in summary.results if not r.success):
        level = "[red]critical[/red]" if r.severity == "critical" else "[yellow]warning[/yellow]"
        console.print(
            f"{level} {r.suite}: {r.expectation}({r.column or ''}) unexpected={r.unexpected_count} {r.unexpected_sample or ''}"
        )
