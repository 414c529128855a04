"""Row-level expectations evaluated in DuckDB, for relations too large to hand to GX as pandas frames.

Each supported expectation becomes a predicate over the relation; one aggregate query counts, for every
expectation, its elements (non-null values, as GX counts them) and unexpected rows, and a sample of
unexpected values is fetched only for the ones that fail. The semantics follow GX's map expectations:
success when unexpected / elements <= 1 - mostly. The per-expectation metrics are then validated by GX
(see validation.py), so GX still decides pass or fail.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

import duckdb

from clusterobs.transforms.readers.observations import quoted, sql_literal

SUPPORTED = {
    "expect_column_values_to_not_be_null",
    "expect_column_values_to_be_null",
    "expect_column_values_to_be_in_set",
    "expect_column_values_to_be_between",
    "expect_column_values_to_match_regex",
    "expect_compound_columns_to_be_unique",
    "expect_table_row_count_to_be_between",
}


@dataclass
class EngineMetric:
    """What DuckDB measured for one expectation."""

    index: int
    element_count: int
    unexpected_count: int
    allowed_unexpected: float
    observed_value: object = None
    sample: list | None = None


def _bound(value) -> str:
    return repr(value) if isinstance(value, int | float) else sql_literal(value)


# The row conditions measured in DuckDB: `<column> == "<code>"` or `<column> != "<code>"` (pandas syntax,
# as GX evaluates them with condition_parser "pandas"); an expectation with another condition goes to GX.
_ROW_CONDITION = re.compile(r'\s*(\w+)\s*(==|!=)\s*"([^"]*)"\s*')


def row_condition_sql(kwargs: dict) -> str | None:
    """The expectation's row condition as SQL (None: every row); raises ValueError for one not supported."""
    condition = kwargs.get("row_condition")
    if not condition:
        return None
    match = (
        _ROW_CONDITION.fullmatch(condition) if kwargs.get("condition_parser") == "pandas" else None
    )
    if not match:
        raise ValueError(f"row condition not measurable in DuckDB: {condition!r}")
    column, operator, code = match.groups()
    return f"{quoted(column)} {'=' if operator == '==' else '<>'} {sql_literal(code)}"


def unexpected_predicate(expectation: dict) -> tuple[str, str]:
    """(predicate true for an unexpected row, predicate selecting the elements GX counts) for a map
    expectation, within its row condition."""
    unexpected, elements = _unconditional_predicate(expectation)
    condition = row_condition_sql(expectation["kwargs"])
    if condition is None:
        return unexpected, elements
    return f"({condition}) and ({unexpected})", f"({condition}) and ({elements})"


def _unconditional_predicate(expectation: dict) -> tuple[str, str]:
    kind, kwargs = expectation["type"], expectation["kwargs"]
    column = quoted(kwargs.get("column", ""))
    if kind == "expect_column_values_to_not_be_null":
        return f"{column} is null", "true"
    if kind == "expect_column_values_to_be_null":
        return f"{column} is not null", "true"
    if kind == "expect_column_values_to_be_in_set":
        values = ", ".join(
            f"({sql_literal(v) if isinstance(v, str) else repr(v)})" for v in kwargs["value_set"]
        )
        # a subquery becomes a hash join; a long literal list would be compared row by row
        return (
            f"{column} is not null and {column} not in (select * from (values {values}))",
            f"{column} is not null",
        )
    if kind == "expect_column_values_to_be_between":
        parts = []
        if kwargs.get("min_value") is not None:
            parts.append(
                f"{column} {'<=' if kwargs.get('strict_min') else '<'} {_bound(kwargs['min_value'])}"
            )
        if kwargs.get("max_value") is not None:
            parts.append(
                f"{column} {'>=' if kwargs.get('strict_max') else '>'} {_bound(kwargs['max_value'])}"
            )
        return (
            f"{column} is not null and ({' or '.join(parts) or 'false'})",
            f"{column} is not null",
        )
    if kind == "expect_column_values_to_match_regex":
        pattern = sql_literal(kwargs["regex"])
        return (
            f"{column} is not null and not regexp_matches({column}::varchar, {pattern})",
            f"{column} is not null",
        )
    raise ValueError(f"not a map expectation: {kind}")


def engine_metrics(
    con: duckdb.DuckDBPyConnection, relation: str, expectations: list[dict]
) -> list[EngineMetric]:
    """Measure every expectation over `relation` in DuckDB (one scan for the map expectations)."""
    maps = [
        (i, e)
        for i, e in enumerate(expectations)
        if e["type"]
        not in ("expect_compound_columns_to_be_unique", "expect_table_row_count_to_be_between")
    ]
    selects = ["count(*)"]
    for _, expectation in maps:
        unexpected, element = unexpected_predicate(expectation)
        selects += [f"count(*) filter (where {element})", f"count(*) filter (where {unexpected})"]
    row = con.execute(f"select {', '.join(selects)} from {relation}").fetchall()[0]
    total, counts = row[0], row[1:]
    metrics = {}
    for n, (i, expectation) in enumerate(maps):
        elements, unexpected = counts[2 * n], counts[2 * n + 1]
        mostly = expectation["kwargs"].get("mostly", 1.0)
        metrics[i] = EngineMetric(i, elements, unexpected, (1 - mostly) * elements)
        if unexpected:
            predicate, _ = unexpected_predicate(expectation)
            column = quoted(expectation["kwargs"]["column"])
            metrics[i].sample = [
                r[0]
                for r in con.execute(
                    f"select {column} from {relation} where {predicate} limit 20"
                ).fetchall()
            ]
    for i, expectation in enumerate(expectations):
        kwargs = expectation["kwargs"]
        if expectation["type"] == "expect_compound_columns_to_be_unique":
            duplicated = duplicated_keys(con, relation, kwargs["column_list"])
            metrics[i] = EngineMetric(
                i, total, int(duplicated[0]), (1 - kwargs.get("mostly", 1.0)) * total
            )
            if duplicated[0]:
                metrics[i].sample = [json.loads(json.dumps(k, default=str)) for k in duplicated[1]]
        elif expectation["type"] == "expect_table_row_count_to_be_between":
            low, high = kwargs.get("min_value"), kwargs.get("max_value")
            outside = (low is not None and total < low) or (high is not None and total > high)
            metrics[i] = EngineMetric(i, total, int(outside), 0, observed_value=total)
    return [metrics[i] for i in range(len(expectations))]


def duplicated_keys(
    con: duckdb.DuckDBPyConnection, relation: str, columns: list[str]
) -> tuple[int, list]:
    """(rows whose key is not unique, up to 20 such keys), exactly, in two passes.

    Grouping by one 64-bit hash of the key is much cheaper than by the text columns themselves; equal keys
    have equal hashes, so only the rows of hashes seen twice (usually none) are grouped by the real key.
    """
    keys = ", ".join(quoted(c) for c in columns)
    candidates = con.execute(
        f"select list(key_hash) from (select hash({keys}) as key_hash from {relation} group by key_hash having count(*) > 1)"
    ).fetchall()[0][0]
    if not candidates:
        return 0, []
    total, sample = con.execute(
        f"""select coalesce(sum(n), 0), coalesce(list(keys)[:20], [])
            from (select count(*) as n, struct_pack({keys}) as keys from {relation}
                  where hash({keys}) in (select unnest(?::ubigint[])) group by {keys} having count(*) > 1)""",
        [candidates],
    ).fetchall()[0]
    return int(total), sample


def supported(expectations: list[dict]) -> bool:
    """Whether DuckDB can measure every one of `expectations` (their kind and row condition)."""
    try:
        for expectation in expectations:
            row_condition_sql(expectation["kwargs"])
    except ValueError:
        return False
    return all(e["type"] in SUPPORTED for e in expectations)


def relation_rows(con: duckdb.DuckDBPyConnection, relation: str) -> int | None:
    """Rows of a table (from the catalog, cheap), or None for anything that is not a plain table name."""
    match = re.fullmatch(r"(\w+)\.(\w+)", relation)
    if not match:
        return None
    rows = con.execute(
        "select estimated_size from duckdb_tables() where schema_name = ? and table_name = ?",
        list(match.groups()),
    ).fetchall()
    return rows[0][0] if rows else None
