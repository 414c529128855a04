"""The long observation schema every Eurostat reader produces, and what the readers share.

Every reader fills a temporary DuckDB table of cells with columns
    record_number, <dimension columns>, period, period_freq, value DOUBLE, flags VARCHAR, conf_status VARCHAR
and `finalised_observations` turns it into the published long schema:
    freq, <dimensions>, period, value, flags, conf_status, record_number, extract_number (stored) and
    dataset, year, is_confidential, is_provisional, is_estimated, is_break, has_unknown_flag,
    extract_sha256, load_run_id (virtual: derived from the stored columns when read)
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import polars as pl

from clusterobs.transforms.sql_text import quoted, sql_literal

# Observation status letters (DOMAIN.md 1.3) plus the older c/s/z/r; confidentiality codes are upper case.
KNOWN_FLAG_LETTERS = frozenset("bdefimnpu" + "cszr")
KNOWN_CONF_STATUS = frozenset("CNPFD")

# Beyond this many distinct codes a dimension column stays VARCHAR rather than ENUM.
MAX_ENUM_CODES = 65_535

# The largest magnitude of a value that is loaded (a larger one is refused). Far above any statistic
# Eurostat publishes (a GDP in national currency units is ~1e14) and far inside the DECIMAL(38, 12) the
# models cast values to and sum them in (below 1e26): 100,000 values at the bound still sum.
MAX_ABS_VALUE = 1e20

_PERIOD_PATTERNS = [
    (re.compile(r"^(\d{4})$"), "A", "{y}"),
    (re.compile(r"^(\d{4})-?S([12])$"), "S", "{y}-S{n}"),
    (re.compile(r"^(\d{4})-?Q([1-4])$"), "Q", "{y}-Q{n}"),
    (re.compile(r"^(\d{4})(?:-|M)(0[1-9]|1[0-2])$"), "M", "{y}-{n}"),
    (re.compile(r"^(\d{4})-?W(0[1-9]|[1-4]\d|5[0-3])$"), "W", "{y}-W{n}"),
]
PERIOD_FREQUENCIES = frozenset(freq for _, freq, _ in _PERIOD_PATTERNS)


class ExtractError(ValueError):
    """An extract that cannot be loaded; the message names the file, line and problem. Nothing of it is loaded."""

    def __init__(self, path: Path | str, line: int | None, problem: str):
        self.path, self.line, self.problem = str(path), line, problem
        where = f"{path}, line {line}" if line else str(path)
        super().__init__(f"{where}: {problem}")


@dataclass
class ParsedExtract:
    """A parsed extract: the name of its temporary observations table and what was learnt on the way."""

    table: str
    dataset: str
    dimensions: list[str]
    format: str
    updated: str | None = None
    warnings: list[str] = field(default_factory=list)
    series: int | None = None  # series (TSV lines) when the reader knows it without counting


def normalised_period(label: str) -> tuple[str, str]:
    """Return (period, freq) for a period label such as '2015', '2015Q4', '2015M02' or '2015-W01'."""
    text = label.strip()
    for pattern, freq, template in _PERIOD_PATTERNS:
        match = pattern.match(text)
        if match:
            year, *rest = match.groups()
            return template.format(y=year, n=rest[0] if rest else ""), freq
    raise ValueError(f"unrecognised period {label!r}")


def period_table(labels: list[str]) -> pl.DataFrame:
    """(label, period, period_freq) for a handful of distinct period labels; raises ValueError on a bad one."""
    parsed = [normalised_period(label) for label in labels]
    return pl.DataFrame(
        {"label": labels, "period": [p for p, _ in parsed], "period_freq": [f for _, f in parsed]},
        schema={"label": pl.String, "period": pl.String, "period_freq": pl.String},
    )


def scratch_prefix(target: str) -> str:
    """A plain identifier prefix for a reader's helper tables ('raw."__incoming_x"' -> '_w_raw___incoming_x')."""
    return "_w_" + re.sub(r"\W+", "_", target).strip("_")


def drop_scratch(con: duckdb.DuckDBPyConnection, *relations: str) -> None:
    """Drop a reader's helper tables and views ('table x', 'view y') and unregister its data frames
    ('frame z'); inside a transaction a failed statement has aborted, the rollback removes them, and the
    reader's own error (not the cleanup's) is the one the user sees."""
    for relation in relations:
        kind, name = relation.split(" ", 1)
        try:
            if kind == "frame":
                con.unregister(name)
            else:
                con.execute(f"drop {kind} if exists {name}")
        except duckdb.TransactionException:
            return


def dimension_name(raw: str) -> str:
    """Dimension id as a column name: lower case, labels after ':' dropped ('geo: Geopolitical entity' -> 'geo')."""
    return raw.split(":")[0].strip().lower()


def check_dimensions(path: Path, dimensions: list[str], line: int | None = 1) -> None:
    if not dimensions or any(not d for d in dimensions):
        raise ExtractError(path, line, "the header names no dimensions or an empty one")
    if len(set(dimensions)) != len(dimensions):
        raise ExtractError(
            path, line, f"a dimension appears twice in the header: {', '.join(dimensions)}"
        )
    reserved = {"dataset", "period", "year", "value", "flags", "conf_status", "record_number"}
    clash = reserved.intersection(d for d in dimensions if d != "freq")
    if clash:
        raise ExtractError(
            path, line, f"dimension name(s) {', '.join(sorted(clash))} clash with output columns"
        )


def raise_on_duplicates(
    con: duckdb.DuckDBPyConnection,
    cells: str,
    path: Path,
    dimensions: list[str],
    unit: str = "line",
) -> None:
    """Raise ExtractError if two cells share the same dimension codes and period."""
    keys = ", ".join(quoted(d) for d in dimensions)
    rows = con.execute(
        f"""select min(record_number), max(record_number) from {cells}
            group by {keys}, period having count(*) > 1 order by 1 limit 1"""
    ).fetchall()
    if rows:
        first, second = rows[0]
        problem = f"duplicate observation: same dimensions and period as {unit} {first}"
        if unit == "line":
            raise ExtractError(path, second, problem)
        raise ExtractError(path, None, f"{unit} {second}: {problem}")


def stored_columns(dimensions: list[str]) -> list[str]:
    """Columns a parsed extract stores (the others are virtual), in table order."""
    dims = [d for d in dimensions if d != "freq"]
    return [
        "freq",
        *dims,
        "period",
        "value",
        "flags",
        "conf_status",
        "record_number",
        "extract_number",
    ]


def lineage_from_variables(con: duckdb.DuckDBPyConnection) -> tuple[list[str], str | None, int]:
    """(checksums of the load's extract files, load run id, this file's number), set by the loader as variables."""
    checksums, run_id, number = con.execute(
        "select getvariable('extract_checksums'), getvariable('load_run_id'), getvariable('extract_number')"
    ).fetchall()[0]
    return list(checksums or []), run_id, int(number or 0)


def dimension_domains(
    con: duckdb.DuckDBPyConnection, source: str, dimensions: list[str]
) -> dict[str, list[str] | None]:
    """Sorted distinct codes of each dimension column of `source`; None for one too varied for an ENUM."""
    counts = con.execute(
        "select "
        + ", ".join(f"count(distinct {quoted(d)})" for d in dimensions)
        + f" from {source}"
    ).fetchall()[0]
    small = [d for d, n in zip(dimensions, counts, strict=True) if n <= MAX_ENUM_CODES]
    domains: dict[str, list[str] | None] = dict.fromkeys(dimensions)
    if small:
        lists = con.execute(
            "select "
            + ", ".join(f"list(distinct {quoted(d)} order by {quoted(d)})" for d in small)
            + f" from {source}"
        ).fetchall()[0]
        domains.update(
            {
                d: [c for c in codes or [] if c is not None]  # no rows: list() is NULL
                for d, codes in zip(small, lists, strict=True)
            }
        )
    return domains


def dimension_type(codes: list[str] | None) -> str:
    """ENUM of the codes (dictionary-encoded: cheap to store and group by), VARCHAR when there are too many."""
    if not codes:
        return "varchar"
    return "enum(" + ", ".join(sql_literal(c) for c in codes) + ")"


def create_observation_table(
    con: duckdb.DuckDBPyConnection,
    target: str,
    dataset: str,
    dimensions: list[str],
    domains: dict[str, list[str] | None],
) -> None:
    """Create the empty long-schema table `target` (temporary unless schema-qualified).

    Only what was published is stored (dimensions, period, value, flags, confidentiality, record number,
    which extract file); the derived columns (year, flag booleans, dataset, lineage) are DuckDB virtual
    generated columns, computed from the stored ones when read. Lineage comes from the variables
    `extract_checksums`, `load_run_id` and `extract_number` (NULL outside a load). Dimension columns
    are ENUMs of the codes present (see `dimension_type`).
    """
    checksums, run_id, _ = lineage_from_variables(con)
    dims = [d for d in dimensions if d != "freq"]
    letters = "".join(sorted(KNOWN_FLAG_LETTERS))
    conf_codes = ", ".join(f"'{c}'" for c in sorted(KNOWN_CONF_STATUS))
    sha_case = " ".join(f"when {i} then {sql_literal(c)}" for i, c in enumerate(checksums))
    virtual = {
        "dataset": ("varchar", sql_literal(dataset)),
        "year": ("smallint", "cast(left(period, 4) as smallint)"),
        "is_confidential": (
            "boolean",
            "coalesce(contains(flags, 'c'), false) or coalesce(conf_status in ('C', 'N', 'P'), false)",
        ),
        "is_provisional": ("boolean", "coalesce(contains(flags, 'p'), false)"),
        "is_estimated": ("boolean", "coalesce(contains(flags, 'e'), false)"),
        "is_break": ("boolean", "coalesce(contains(flags, 'b'), false)"),
        "has_unknown_flag": (
            "boolean",
            f"coalesce(regexp_matches(flags, '[^{letters}]'), false) or coalesce(conf_status not in ({conf_codes}), false)",
        ),
        "extract_sha256": (
            "varchar",
            f"case extract_number {sha_case} end" if checksums else "null",
        ),
        "load_run_id": ("varchar", sql_literal(run_id)),
    }
    freq_codes = domains["freq"] if "freq" in dimensions else sorted(PERIOD_FREQUENCIES)
    columns = [
        f"freq {dimension_type(freq_codes)}",
        *(f"{quoted(d)} {dimension_type(domains[d])}" for d in dims),
        "period varchar",
        "value double",
        "flags varchar",
        "conf_status varchar",
        "record_number bigint",
        "extract_number smallint",
        *(
            f"{name} {kind} generated always as ({expr}) virtual"
            for name, (kind, expr) in virtual.items()
        ),
    ]
    temp = (
        "" if "." in target else "temp"
    )  # a schema-qualified target is a real table (written in place)
    con.execute(f"drop table if exists {target}")
    con.execute(f"create {temp} table {target} ({', '.join(columns)})")


def finalised_observations(
    con: duckdb.DuckDBPyConnection,
    cells: str,
    target: str,
    dataset: str,
    dimensions: list[str],
    domains: dict[str, list[str] | None] | None = None,
) -> None:
    """Create table `target` in the long schema (`create_observation_table`) from the reader's cells.

    `domains` are the dimension codes when the reader knows them more cheaply than a scan of `cells`.
    """
    if domains is None:
        domains = dimension_domains(con, cells, dimensions)
    create_observation_table(con, target, dataset, dimensions, domains)
    _, _, number = lineage_from_variables(con)
    dims = [d for d in dimensions if d != "freq"]
    freq = quoted("freq") if "freq" in dimensions else "period_freq"
    stored = [quoted(c) for c in stored_columns(dimensions)]
    # Rows may land in any order (record_number keeps each cell's line): the insert's threads need not
    # wait for each other (4.6 -> 4.2 s for 11 M cells). Only here: the reader's scratch tables above
    # take their line numbers from their rowids, which needs the file's order.
    previous = con.execute("select current_setting('preserve_insertion_order')").fetchall()[0][0]
    con.execute("set preserve_insertion_order = false")
    try:
        _insert_observations(con, cells, target, dims, freq, stored, number)
    finally:
        con.execute(f"set preserve_insertion_order = {'true' if previous else 'false'}")


def _insert_observations(
    con: duckdb.DuckDBPyConnection,
    cells: str,
    target: str,
    dims: list[str],
    freq: str,
    stored: list[str],
    number: str,
) -> None:
    con.execute(
        f"""
        insert into {target} ({", ".join(stored)})
        select
            {freq},
            {"".join(f"{quoted(d)}, " for d in dims)}
            period,
            value,
            nullif(flags, ''),
            coalesce(nullif(conf_status, ''), case when contains(flags, 'c') then 'C' end),
            record_number,
            {number},
        from {cells}
        """
    )


def raise_on_unparsed(
    con: duckdb.DuckDBPyConnection, cells: str, path: Path, missing: tuple[str, ...], hint: str
) -> None:
    """Raise ExtractError naming the first cell whose published value is neither a number nor a missing marker.

    `cells` has record_number, period, raw_value and value; run it only when counts show a problem.
    """
    markers = ", ".join(sql_literal(m) for m in missing)
    rows = con.execute(
        f"""select record_number, period, raw_value from {cells}
            where value is null and raw_value is not null and raw_value not in ({markers}) order by 1 limit 1"""
    ).fetchall()
    if rows:
        line, period, raw = rows[0]
        shown = repr(raw) if raw else "an empty cell"
        raise ExtractError(path, line, f"non-numeric value {shown} for period {period} ({hint})")


def raise_on_non_finite(
    con: duckdb.DuckDBPyConnection, table: str, path: Path, record: str = "line"
) -> None:
    """Raise ExtractError naming the first observation of `table` whose value is infinite, NaN or beyond
    ±MAX_ABS_VALUE (`inf`, `NaN`, an overflow such as `1e400` or a finite `1e308` parse as doubles;
    Eurostat never publishes them, and the models' DECIMAL(38, 12) sums cannot hold the huge ones).

    `record` is what record_number counts: a line (the error's line), else e.g. 'cell index'."""
    rows = con.execute(
        f"""select record_number, period, value from {table}
            where not isfinite(value) or abs(value) >= {MAX_ABS_VALUE!r}
            order by record_number limit 1"""
    ).fetchall()
    if rows:
        number, period, value = rows[0]
        if math.isfinite(value):
            bound = f"{MAX_ABS_VALUE:.0e}".replace("e+", "e")
            problem = (
                f"value {value:g} for period {period} is too large: beyond ±{bound}, "
                "far outside any published statistic (the models sum values as DECIMAL(38, 12))"
            )
        else:
            problem = f"value {value} for period {period} is not a finite number"
        if record == "line":
            raise ExtractError(path, number, problem)
        raise ExtractError(path, None, f"{record} {number}: {problem}")


def unknown_flag_warning(con: duckdb.DuckDBPyConnection, table: str, path: Path) -> list[str]:
    """A warning naming flags outside the documented sets (they are kept as published)."""
    rows = con.execute(
        f"select distinct coalesce(flags, '') || '/' || coalesce(conf_status, '') from {table} where (flags is not null or conf_status is not null) and has_unknown_flag order by 1 limit 5"
    ).fetchall()
    if not rows:
        return []
    return [
        f"{path}: unknown flags kept as published (flags/conf_status): {', '.join(r[0] for r in rows)}"
    ]
