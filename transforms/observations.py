"""The long observation schema every Eurostat reader produces, and what the readers share.

Every reader fills a temporary DuckDB table of cells with columns
    record_number, <dimension columns>, period, period_freq, value DOUBLE, flags VARCHAR, conf_status VARCHAR
and `finalised_observations` turns it into the published long schema:
    dataset, freq, <dimensions>, period, year, value, flags, conf_status,
    is_confidential, is_provisional, is_estimated, is_break, has_unknown_flag, record_number
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import polars as pl

# Observation status letters (DOMAIN.md 1.3) plus the older c/s/z/r; confidentiality codes are upper case.
KNOWN_FLAG_LETTERS = frozenset("bdefimnpu" + "cszr")
KNOWN_CONF_STATUS = frozenset("CNPFD")

_PERIOD_PATTERNS = [
    (re.compile(r"^(\d{4})$"), "A", "{y}"),
    (re.compile(r"^(\d{4})-?S([12])$"), "S", "{y}-S{n}"),
    (re.compile(r"^(\d{4})-?Q([1-4])$"), "Q", "{y}-Q{n}"),
    (re.compile(r"^(\d{4})(?:-|M)(0[1-9]|1[0-2])$"), "M", "{y}-{n}"),
    (re.compile(r"^(\d{4})-?W(0[1-9]|[1-4]\d|5[0-3])$"), "W", "{y}-W{n}"),
]


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


def quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


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
        raise ExtractError(
            path, second, f"duplicate observation: same dimensions and period as {unit} {first}"
        )


def finalised_observations(
    con: duckdb.DuckDBPyConnection, cells: str, target: str, dataset: str, dimensions: list[str]
) -> None:
    """Create temp table `target` in the long schema from the reader's cells table."""
    freq = quoted("freq") if "freq" in dimensions else "period_freq"
    dims = ", ".join(quoted(d) for d in dimensions if d != "freq")
    dims = f"{dims}," if dims else ""
    letters = "".join(sorted(KNOWN_FLAG_LETTERS))
    confidential = (
        "contains(coalesce(flags, ''), 'c') or coalesce(conf_status, '') in ('C', 'N', 'P')"
    )
    con.execute(
        f"""
        create or replace temp table {target} as
        select
            ?::varchar as dataset,
            {freq}::varchar as freq,
            {dims}
            period,
            cast(left(period, 4) as smallint) as year,
            value,
            nullif(flags, '') as flags,
            case when nullif(conf_status, '') is not null then conf_status
                 when contains(coalesce(flags, ''), 'c') then 'C' end as conf_status,
            {confidential} as is_confidential,
            contains(coalesce(flags, ''), 'p') as is_provisional,
            contains(coalesce(flags, ''), 'e') as is_estimated,
            contains(coalesce(flags, ''), 'b') as is_break,
            coalesce(regexp_matches(flags, '[^{letters}]'), false)
                or coalesce(nullif(conf_status, '') not in ({", ".join(f"'{c}'" for c in sorted(KNOWN_CONF_STATUS))}), false)
                as has_unknown_flag,
            record_number,
        from {cells}
        order by record_number, period
        """,
        [dataset],
    )


def unknown_flag_warning(con: duckdb.DuckDBPyConnection, table: str, path: Path) -> list[str]:
    """A warning naming flags outside the documented sets (they are kept as published)."""
    rows = con.execute(
        f"select distinct coalesce(flags, '') || '/' || coalesce(conf_status, '') from {table} where has_unknown_flag order by 1 limit 5"
    ).fetchall()
    if not rows:
        return []
    return [
        f"{path}: unknown flags kept as published (flags/conf_status): {', '.join(r[0] for r in rows)}"
    ]
