"""Great Expectations suites (expectations/*.json) run against warehouse tables pulled as pandas frames.

GX 1.x has no DuckDB datasource that works (see ../shared/STACK.md), so each suite's table is read from
DuckDB into pandas and validated with a pandas dataframe asset. Severity is GX's own field on each
expectation: "critical" failures stop the run before publishing, "warning" failures are recorded.
"""

from __future__ import annotations

import importlib
import json
import logging
import threading
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from clusterobs import engine_checks, progress
from clusterobs.settings import EXPECTATIONS_DIR
from clusterobs.transforms.readers.observations import quoted

_import_started = threading.Event()


def import_great_expectations_in_background() -> None:
    """Start importing Great Expectations (about 4.5 s of CPU) in a daemon thread, once per process.

    Called before Prefect's temporary API server starts and again when a run starts: the import then
    overlaps the server's start-up (a subprocess) and the loads (DuckDB releases the GIL).
    """
    if _import_started.is_set():
        return
    _import_started.set()
    threading.Thread(
        target=importlib.import_module, args=("great_expectations",), daemon=True
    ).start()


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


def suite_files(stage: str, expectations_dir: Path = EXPECTATIONS_DIR) -> list[tuple[Path, dict]]:
    """Suite definitions of a stage ('staging' or 'marts'), read from JSON files."""
    suites = []
    for path in sorted(expectations_dir.glob("*.json")):
        spec = json.loads(path.read_text(encoding="utf-8"))
        meta = spec.get("meta", {})
        if "query_file" in meta:
            meta["query"] = (expectations_dir / meta["query_file"]).read_text(encoding="utf-8")
        if not ("relation" in meta or "query" in meta) or "stage" not in meta:
            raise ValueError(
                f"{path}: suite meta must name the 'relation' (or 'query_file') it validates and its 'stage'"
            )
        if meta["stage"] == stage:
            suites.append((path, spec))
    return suites


# Value sets an expectation may name as "$ref:<name>" instead of listing them.
REFERENCE_SETS = {
    "nuts_codes": "select distinct nuts_code from ref.nuts_regions",
    "nace_codes": "select nace_code from ref.nace_rev2 union all select nace_code from ref.nace_aggregates",
    "cluster_categories": "select category_code from ref.cluster_categories",
}
TABLE_EXPECTATIONS = {
    "expect_table_row_count_to_be_between"
}  # GX reports no unexpected count for these
SCHEMA_EXPECTATIONS = {
    "expect_table_columns_to_match_set",
    "expect_table_columns_to_match_ordered_list",
    "expect_column_to_exist",
}


def resolved_expectations(
    con: duckdb.DuckDBPyConnection, path: Path, expectations: list[dict]
) -> list[dict]:
    """Expectations with "$ref:<name>" value sets replaced by the codes of the named reference set."""
    resolved = []
    for expectation in expectations:
        kwargs = dict(expectation.get("kwargs", {}))
        value_set = kwargs.get("value_set")
        if isinstance(value_set, str) and value_set.startswith("$ref:"):
            name = value_set.removeprefix("$ref:")
            if name not in REFERENCE_SETS:
                raise ValueError(
                    f"{path}: unknown reference set {name!r} (known: {', '.join(REFERENCE_SETS)})"
                )
            kwargs["value_set"] = [r[0] for r in con.execute(REFERENCE_SETS[name]).fetchall()]
        resolved.append({**expectation, "kwargs": kwargs})
    return resolved


def columns_used(expectations: list[dict]) -> list[str]:
    """Columns the data expectations read (so only those are pulled out of DuckDB)."""
    names: list[str] = []
    for expectation in expectations:
        kwargs = expectation.get("kwargs", {})
        for key in ("column", "column_A", "column_B"):
            if key in kwargs:
                names.append(kwargs[key])
        names += kwargs.get("column_list", [])
        if kwargs.get("row_condition"):  # `<column> == "<code>"`: the column it reads
            names.append(kwargs["row_condition"].split("=")[0].strip(" !"))
    return list(dict.fromkeys(names))


def batch_frame(con: duckdb.DuckDBPyConnection, source: str, columns: list[str] | None):
    """The rows to validate as pandas, through Arrow, with text as categoricals (codes repeat a lot)."""
    projection = ", ".join(quoted(c) for c in columns) if columns else "*"
    table = con.sql(f"select {projection} from {source}").to_arrow_table()
    return table.to_pandas(strings_to_categorical=True, self_destruct=True)


def validate_stage(
    con: duckdb.DuckDBPyConnection,
    stage: str,
    run_id: str,
    record_results: bool = True,
    docs_dir: Path | None = None,
    engine_rows: int | None = 100_000,
    engine_value_set: int | None = 100,
) -> ValidationSummary:
    """Run every suite of the stage, record the results in meta.validation_results (unless told not to).

    With `docs_dir`, GX Data Docs (HTML: suites and their validation results) are written there.
    Tables with more than `engine_rows` rows have their row-level expectations measured in DuckDB
    (engine_checks.py) and GX validates those measurements; smaller ones go to GX as pandas frames,
    except membership in value sets of more than `engine_value_set` codes (GX's cost grows with the
    size of the set: the NUTS and NACE code lists cost seconds), also measured in DuckDB.
    """
    import great_expectations as gx
    from great_expectations.core.expectation_suite import ExpectationSuite
    from great_expectations.data_context.types.base import ProgressBarsConfig
    from great_expectations.expectations.expectation_configuration import ExpectationConfiguration

    # GX pins this module's logger to INFO and announces a temporary docs folder on every context.
    logging.getLogger("great_expectations.data_context.types.base").setLevel(logging.WARNING)
    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False, metric_calculations=False)
    datasource = context.data_sources.add_pandas("warehouse")
    if docs_dir is not None:
        docs_dir.mkdir(parents=True, exist_ok=True)
        site = {
            "class_name": "SiteBuilder",
            "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
            "store_backend": {
                "class_name": "TupleFilesystemStoreBackend",
                "base_directory": str(docs_dir),
            },
        }
        context.add_data_docs_site(site_name="clusterobs", site_config=site)
    summary = ValidationSummary(stage)
    con.execute("set variable validation_stage = ?", [stage])  # queries may look at their own stage
    loaded = loaded_datasets(con)
    for path, spec in suite_files(stage):
        meta = spec["meta"]
        needs = meta.get("datasets")
        if needs and not loaded.intersection(needs):
            summary.skipped[spec["name"]] = f"no data: {' and '.join(needs)} absent from the run"
            continue
        already = len(summary.results)
        relation = meta.get("relation") or f"({meta['query']})"
        label = meta.get("relation") or spec["name"]
        expectations = resolved_expectations(con, path, spec["expectations"])
        schema_part = [e for e in expectations if e["type"] in SCHEMA_EXPECTATIONS]
        data_part = [e for e in expectations if e["type"] not in SCHEMA_EXPECTATIONS]
        measured, data_part = measured_in_duckdb(
            data_part,
            engine_checks.relation_rows(con, meta.get("relation", "")),
            engine_rows,
            engine_value_set,
        )
        if measured:
            metrics = engine_checks.engine_metrics(con, meta["relation"], measured)
            run_metrics_suite(context, datasource, spec["name"], label, measured, metrics, summary)
        for part, suffix, columns in (
            (schema_part, "__schema", None),
            (data_part, "", columns_used(data_part)),
        ):
            if not part:
                continue
            name = spec["name"] + suffix
            suite = context.suites.add(
                ExpectationSuite(
                    name=name, expectations=[ExpectationConfiguration(**e) for e in part], meta=meta
                )
            )
            batch = datasource.add_dataframe_asset(name).add_batch_definition_whole_dataframe("all")
            definition = context.validation_definitions.add(
                gx.ValidationDefinition(name=name, data=batch, suite=suite)
            )
            try:
                source = f"{relation} limit 0" if suffix else relation
                frame = batch_frame(con, f"(select * from {source})", columns)
            except duckdb.Error as exc:
                raise ValueError(
                    f"{path}: cannot read {label} ({str(exc).splitlines()[0]})"
                ) from exc
            checkpoint = context.checkpoints.add(
                gx.Checkpoint(name=name, validation_definitions=[definition])
            )
            outcome = checkpoint.run(batch_parameters={"dataframe": frame})
            del frame
            results = [r for run in outcome.run_results.values() for r in run.results]
            for result in results:
                config = result.expectation_config
                details = result.result or {}
                sample = details.get("partial_unexpected_list")
                summary.results.append(
                    ExpectationResult(
                        suite=spec["name"],
                        relation=label,
                        expectation=config.type,
                        column=config.kwargs.get("column")
                        or _joined(config.kwargs.get("column_list")),
                        severity=str(
                            getattr(config.severity, "value", config.severity) or "critical"
                        ),
                        success=bool(result.success),
                        observed_value=_text(details.get("observed_value")),
                        unexpected_count=details.get("unexpected_count"),
                        unexpected_sample=_text(sample[:10]) if sample else None,
                    )
                )
        mine = summary.results[already:]
        progress.emit(
            "suite", spec["name"], done=sum(r.success for r in mine), total=len(mine), detail=stage
        )
    if docs_dir is not None:
        context.build_data_docs(
            site_names=["clusterobs"]
        )  # once, from the results the checkpoints stored
    if record_results:
        record(con, run_id, summary)
    return summary


def loaded_datasets(con: duckdb.DuckDBPyConnection) -> set[str]:
    """Datasets whose raw table holds observations (a suite whose `meta.datasets` are all absent is skipped)."""
    tables = [
        r[0]
        for r in con.execute(
            "select table_name from duckdb_tables() where schema_name = 'raw' and not starts_with(table_name, '__')"
        ).fetchall()
    ]
    return {
        t
        for t in tables
        if con.execute(f"select exists (select 1 from raw.{quoted(t)})").fetchall()[0][0]
    }


def measured_in_duckdb(
    expectations: list[dict],
    table_rows: int | None,
    engine_rows: int | None,
    engine_value_set: int | None,
) -> tuple[list[dict], list[dict]]:
    """(expectations to measure in DuckDB, expectations GX evaluates on a pandas frame) of one table.

    `table_rows` is None for a query (those always go to GX).
    """
    if table_rows is None:
        return [], expectations
    if (
        engine_rows is not None
        and table_rows > engine_rows
        and engine_checks.supported(expectations)
    ):
        return expectations, []
    if engine_value_set is None:
        return [], expectations
    large_set = [
        e for e in expectations if len(e["kwargs"].get("value_set") or ()) > engine_value_set
    ]
    return large_set, [e for e in expectations if e not in large_set]


def run_metrics_suite(
    context, datasource, suite_name, label, expectations, metrics, summary
) -> None:
    """GX validates DuckDB's measurements of a large table: each expectation's unexpected rows within its allowance."""
    import great_expectations as gx
    import pandas as pd
    from great_expectations.core.expectation_suite import ExpectationSuite
    from great_expectations.expectations.expectation_configuration import ExpectationConfiguration

    name = f"{suite_name}__measured_in_duckdb"
    # One row, one column per expectation: how many unexpected rows exceed what `mostly` allows.
    frame = pd.DataFrame(
        {f"excess_{i}": [m.unexpected_count - m.allowed_unexpected] for i, m in enumerate(metrics)}
    )
    gates = [
        ExpectationConfiguration(
            type="expect_column_values_to_be_between",
            kwargs={"column": f"excess_{i}", "max_value": 0},
            meta={
                "measures": f"{e['type']}({_joined(e['kwargs'].get('column_list')) or e['kwargs'].get('column', '')})"
            },
        )
        for i, e in enumerate(expectations)
    ]
    suite = context.suites.add(ExpectationSuite(name=name, expectations=gates))
    batch = datasource.add_dataframe_asset(name).add_batch_definition_whole_dataframe("all")
    definition = context.validation_definitions.add(
        gx.ValidationDefinition(name=name, data=batch, suite=suite)
    )
    checkpoint = context.checkpoints.add(
        gx.Checkpoint(name=name, validation_definitions=[definition])
    )
    outcome = checkpoint.run(batch_parameters={"dataframe": frame})
    passed = {
        r.expectation_config.kwargs["column"]: bool(r.success)
        for run in outcome.run_results.values()
        for r in run.results
    }
    failing = {i for i in range(len(metrics)) if not passed[f"excess_{i}"]}
    for index, (expectation, metric) in enumerate(zip(expectations, metrics, strict=True)):
        kwargs = expectation["kwargs"]
        summary.results.append(
            ExpectationResult(
                suite=suite_name,
                relation=label,
                expectation=expectation["type"],
                column=kwargs.get("column") or _joined(kwargs.get("column_list")),
                severity=expectation.get("severity", "critical"),
                success=index not in failing,
                observed_value=_text(metric.observed_value),
                unexpected_count=None
                if expectation["type"] in TABLE_EXPECTATIONS
                else metric.unexpected_count,
                unexpected_sample=_text(metric.sample[:10]) if metric.sample else None,
            )
        )


def markdown_report(summary: ValidationSummary, docs_dir: Path | None = None) -> str:
    """The stage's results for the Prefect UI: counts, then every failed expectation with a sample."""
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
    if docs_dir is not None:
        lines += ["", f"Data Docs: `{docs_dir / 'index.html'}`"]
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


def _joined(columns: list[str] | None) -> str | None:
    return ",".join(columns) if columns else None


def _text(value) -> str | None:
    if value is None:
        return None
    return json.dumps(value, default=str)[:1000]
