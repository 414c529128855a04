"""The suites of a stage (expectations/*.json) and what they read: "$ref:" value sets resolved from the
reference tables, the columns a suite's data expectations use, the datasets a run loaded (a suite of
absent datasets is skipped), and a table or query pulled from DuckDB as a pandas frame."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb

from clusterobs.settings import EXPECTATIONS_DIR
from clusterobs.transforms.readers.observations import quoted


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
    # the staged scoreboard datasets also hold the EU aggregates of setting scoreboard.eu_aggregates
    "nuts_and_eu_codes": "select distinct nuts_code from ref.nuts_regions "
    "union select geo_code from config.eu_aggregates",
    "nace_codes": "select nace_code from ref.nace_rev2 union all select nace_code from ref.nace_aggregates",
    "cluster_categories": "select category_code from ref.cluster_categories",
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
