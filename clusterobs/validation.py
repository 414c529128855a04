"""Great Expectations suites (expectations/*.json) run against warehouse tables pulled as pandas frames.

GX 1.x has no DuckDB datasource that works (see ../shared/STACK.md), so each suite's table is read from
DuckDB into pandas and validated with a pandas dataframe asset. Severity is GX's own field on each
expectation: "critical" failures stop the run before publishing, "warning" failures are recorded.

This module runs them (validate_stage) and routes the expectations of large tables to DuckDB
(measured_in_duckdb); validation_suites.py reads the suites, validation_results.py holds what they found.
"""

from __future__ import annotations

import importlib
import json
import logging
import threading
from pathlib import Path

import duckdb

from clusterobs import engine_checks, progress
from clusterobs.validation_results import ExpectationResult, ValidationSummary, record
from clusterobs.validation_suites import (
    batch_frame,
    columns_used,
    loaded_datasets,
    resolved_expectations,
    suite_files,
)

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


TABLE_EXPECTATIONS = {
    "expect_table_row_count_to_be_between"
}  # GX reports no unexpected count for these
SCHEMA_EXPECTATIONS = {
    "expect_table_columns_to_match_set",
    "expect_table_columns_to_match_ordered_list",
    "expect_column_to_exist",
}


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


def _joined(columns: list[str] | None) -> str | None:
    return ",".join(columns) if columns else None


def _text(value) -> str | None:
    if value is None:
        return None
    return json.dumps(value, default=str)[:1000]
