"""Great Expectations suites (expectations/*.json) run against warehouse tables pulled as pandas frames.

GX 1.x has no DuckDB datasource that works (see ../shared/STACK.md), so each suite's table is read from
DuckDB into pandas and validated with a pandas dataframe asset. Severity is GX's own field on each
expectation: "critical" failures stop the run before publishing, "warning" failures are recorded.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from clusterobs.settings import EXPECTATIONS_DIR


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
    """Results of the suites of one stage."""

    stage: str
    results: list[ExpectationResult] = field(default_factory=list)

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
        }


def suite_files(stage: str, expectations_dir: Path = EXPECTATIONS_DIR) -> list[tuple[Path, dict]]:
    """Suite definitions of a stage ('staging' or 'marts'), read from JSON files."""
    suites = []
    for path in sorted(expectations_dir.glob("*.json")):
        spec = json.loads(path.read_text(encoding="utf-8"))
        meta = spec.get("meta", {})
        if "relation" not in meta or "stage" not in meta:
            raise ValueError(
                f"{path}: suite meta must name the 'relation' it validates and its 'stage'"
            )
        if meta["stage"] == stage:
            suites.append((path, spec))
    return suites


def validate_stage(con: duckdb.DuckDBPyConnection, stage: str, run_id: str) -> ValidationSummary:
    """Run every suite of the stage, record the results in meta.validation_results, return the summary."""
    import great_expectations as gx
    from great_expectations.core.expectation_suite import ExpectationSuite
    from great_expectations.data_context.types.base import ProgressBarsConfig
    from great_expectations.expectations.expectation_configuration import ExpectationConfiguration

    # GX pins this module's logger to INFO and announces a temporary docs folder on every context.
    logging.getLogger("great_expectations.data_context.types.base").setLevel(logging.WARNING)
    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False, metric_calculations=False)
    datasource = context.data_sources.add_pandas("warehouse")
    summary = ValidationSummary(stage)
    for path, spec in suite_files(stage):
        relation = spec["meta"]["relation"]
        suite = context.suites.add(
            ExpectationSuite(
                name=spec["name"],
                expectations=[ExpectationConfiguration(**e) for e in spec["expectations"]],
                meta=spec["meta"],
            )
        )
        batch = datasource.add_dataframe_asset(spec["name"]).add_batch_definition_whole_dataframe(
            "all"
        )
        definition = context.validation_definitions.add(
            gx.ValidationDefinition(name=spec["name"], data=batch, suite=suite)
        )
        try:
            frame = con.sql(f"select * from {relation}").df()
        except duckdb.CatalogException as exc:
            raise ValueError(
                f"{path}: suite validates {relation}, which the warehouse does not have"
            ) from exc
        outcome = definition.run(batch_parameters={"dataframe": frame})
        for result in outcome.results:
            config = result.expectation_config
            details = result.result or {}
            sample = details.get("partial_unexpected_list")
            summary.results.append(
                ExpectationResult(
                    suite=spec["name"],
                    relation=relation,
                    expectation=config.type,
                    column=config.kwargs.get("column") or _joined(config.kwargs.get("column_list")),
                    severity=str(getattr(config.severity, "value", config.severity) or "critical"),
                    success=bool(result.success),
                    observed_value=_text(details.get("observed_value")),
                    unexpected_count=details.get("unexpected_count"),
                    unexpected_sample=_text(sample[:10]) if sample else None,
                )
            )
    record(con, run_id, summary)
    return summary


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
    if rows:
        con.executemany(
            "insert into meta.validation_results values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows
        )


def _joined(columns: list[str] | None) -> str | None:
    return ",".join(columns) if columns else None


def _text(value) -> str | None:
    if value is None:
        return None
    return json.dumps(value, default=str)[:1000]
