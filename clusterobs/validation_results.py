"""What validation found: each expectation's result, a stage's summary (critical failures stop the run,
warnings are recorded), the report the Prefect UI shows, and the rows of meta.validation_results."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import duckdb


class ValidationFailed(RuntimeError):
    """At least one critical expectation failed; nothing of this run was published."""

    def __init__(self, summary: ValidationSummary):
        self.summary = summary
        failed = "; ".join(
            f"{r.suite}: {r.expectation}({r.column or ''}) unexpected={r.unexpected_count}"
            for r in summary.critical_failures
        )
        super().__init__(f"critical expectations failed, nothing was published: {failed}")


@dataclass(frozen=True)
class ExpectationResult:
    suite: str
    relation: str
    expectation: str
    column: str | None
    severity: str
    success: bool
    observed_value: str | None
    unexpected_count: int | None
    unexpected_sample: str | None


@dataclass
class ValidationSummary:
    """Results of the suites of one stage, and the suites skipped because their datasets are absent."""

    stage: str
    results: list[ExpectationResult] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)  # suite -> why

    @property
    def critical_failures(self) -> list[ExpectationResult]:
        return [r for r in self.results if not r.success and r.severity == "critical"]

    @property
    def warnings(self) -> list[ExpectationResult]:
        return [r for r in self.results if not r.success and r.severity != "critical"]

    @property
    def success(self) -> bool:
        return not self.critical_failures

    def as_dict(self) -> dict:
        return {
            "stage": self.stage,
            "expectations": len(self.results),
            "passed": sum(r.success for r in self.results),
            "critical_failures": len(self.critical_failures),
            "warnings": len(self.warnings),
            "skipped_suites": len(self.skipped),
        }


def markdown_report(summary: ValidationSummary, page: Path | None = None) -> str:
    """The stage's results for the Prefect UI: counts, then every failed expectation with a sample, and
    where the run's validation page is once published."""
    d = summary.as_dict()
    lines = [
        f"# Validation: {summary.stage}",
        "",
        f"{d['expectations']} expectations, {d['passed']} passed, {d['critical_failures']} critical failures, {d['warnings']} warnings.",
    ]
    if summary.skipped:
        lines += [
            "",
            "Skipped suites: " + "; ".join(f"{s} ({why})" for s, why in summary.skipped.items()),
        ]
    failed = [r for r in summary.results if not r.success]
    if failed:
        lines += [
            "",
            "| severity | suite | expectation | column | unexpected | sample |",
            "|---|---|---|---|---|---|",
        ]
        lines += [
            f"| {r.severity} | {r.suite} | {r.expectation} | {r.column or ''} | {r.unexpected_count} | {(r.unexpected_sample or '')[:200]} |"
            for r in failed
        ]
    if page is not None:
        lines += ["", f"Validation page (readable offline): `{page}`"]
    return "\n".join(lines)


def record(con: duckdb.DuckDBPyConnection, run_id: str, summary: ValidationSummary) -> None:
    rows = [
        (
            run_id,
            r.suite,
            r.relation,
            r.expectation,
            r.column,
            r.severity,
            r.success,
            r.observed_value,
            r.unexpected_count,
            r.unexpected_sample,
        )
        for r in summary.results
    ]
    rows += [
        (run_id, suite, None, "suite_skipped", None, "info", None, why, None, None)
        for suite, why in summary.skipped.items()
    ]
    if rows:
        con.executemany(
            "insert into meta.validation_results values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows
        )
