"""Eurostat TSV ("bulk download") extracts parsed into the long observation schema, vectorised in DuckDB."""

from __future__ import annotations

import gzip
import re
import zlib
from dataclasses import dataclass
from pathlib import Path

import duckdb
import polars as pl

from transforms.observations import (
    ExtractError,
    ParsedExtract,
    check_dimensions,
    finalised_observations,
    period_table,
    quoted,
    raise_on_duplicates,
    unknown_flag_warning,
)


@dataclass(frozen=True)
class TsvHeader:
    """Dimension ids (in key order), time dimension id and the period labels of a TSV extract."""

    dimensions: list[str]
    time_dimension: str
    labels: list[str]


def is_gzip(path: Path) -> bool:
    with path.open("rb") as handle:
        return handle.read(2) == b"\x1f\x8b"


def header_line(path: Path) -> str:
    """First line of a plain or gzip text file, without its line ending."""
    opener = gzip.open if is_gzip(path) else open
    try:
        with opener(path, "rt", encoding="utf-8", newline="") as handle:
            line = handle.readline(1 << 20)
    except (OSError, EOFError, zlib.error, UnicodeDecodeError) as exc:
        raise ExtractError(path, 1, f"cannot read the header ({exc})") from exc
    return line.rstrip("\r\n")


def parsed_header(path: Path, line: str | None = None) -> TsvHeader:
    """Dimensions and period labels declared by the header of a TSV extract."""
    line = header_line(path) if line is None else line
    if not line.strip():
        raise ExtractError(
            path, 1, "empty file: expected a header like 'freq,indic_sb,nace_r2,geo\\TIME_PERIOD'"
        )
    cells = line.split("\t")
    first = cells[0].strip()
    match = re.match(r"^([^\\/]+)[\\/]\s*([A-Za-z_]+)$", first)
    if not match or len(cells) < 2:
        raise ExtractError(
            path,
            1,
            f"bad header cell {first[:80]!r}: expected dimension ids joined by ',' then '\\' and the time dimension",
        )
    dimensions = [d.strip().lower() for d in match.group(1).split(",")]
    check_dimensions(path, dimensions)
    if not all(re.fullmatch(r"[a-z][a-z0-9_]*", d) for d in dimensions):
        raise ExtractError(path, 1, f"bad dimension id in header cell {first[:80]!r}")
    return TsvHeader(dimensions, match.group(2).lower(), [c.strip() for c in cells[1:]])


def read_tsv(
    con: duckdb.DuckDBPyConnection, path: Path, dataset: str, target: str
) -> ParsedExtract:
    """Parse a TSV extract into temp table `target` (long schema) on `con`; raises ExtractError on bad input."""
    header = parsed_header(path)
    try:
        periods = period_table(header.labels)
    except ValueError as exc:
        raise ExtractError(path, 1, str(exc)) from exc
    if periods["period"].n_unique() != periods.height:
        raise ExtractError(path, 1, "a period appears twice in the header")
    n_periods = periods.height
    period_columns = [f"p{i}" for i in range(n_periods)]
    columns = {"series_key": "VARCHAR", **dict.fromkeys(period_columns, "VARCHAR")}
    wide, cells = f"{target}_wide", f"{target}_cells"
    con.register(
        f"{target}_periods", periods.with_columns(pl.Series("period_column", period_columns))
    )
    try:
        try:
            con.execute(
                f"""
                create or replace temp table {wide} as
                select row_number() over () + 1 as record_number, *
                from read_csv(
                    ?, delim = '\t', header = true, auto_detect = false, columns = {columns!r},
                    quote = '', escape = '', null_padding = false, strict_mode = true
                )
                """,
                [str(path)],
            )
        except duckdb.Error as exc:
            raise ExtractError(
                path, None, f"malformed TSV or damaged file ({first_line_of(exc)})"
            ) from exc
        n_dims = len(header.dimensions)
        dims_sql = ",\n".join(
            f"trim(key_parts[{i + 1}]) as {quoted(d)}" for i, d in enumerate(header.dimensions)
        )
        con.execute(
            f"""
            create or replace temp table {cells} as
            with unpivoted as (
                select record_number, string_split(series_key, ',') as key_parts, period_column, cell
                from (unpivot {wide} on {", ".join(period_columns)} into name period_column value cell)
            ),
            split as (
                select *, regexp_extract(rtrim(cell, chr(13) || ' '), '^\\s*(\\S*)\\s*(.*)$', ['raw_value', 'flags']) as parts
                from unpivoted
            )
            select
                record_number,
                len(key_parts) as n_key_parts,
                {dims_sql},
                p.period,
                p.period_freq,
                parts.raw_value,
                case when parts.raw_value = ':' then null else try_cast(parts.raw_value as double) end as value,
                trim(parts.flags) as flags,
                null::varchar as conf_status,
            from split
            join {target}_periods as p using (period_column)
            """
        )
        bad_key = con.execute(
            f"select record_number, n_key_parts from {cells} where n_key_parts <> {n_dims} order by 1 limit 1"
        ).fetchall()
        if bad_key:
            line, parts = bad_key[0]
            raise ExtractError(
                path,
                line,
                f"series key has {parts} parts, the header declares {n_dims} ({', '.join(header.dimensions)})",
            )
        bad_value = con.execute(
            f"""select record_number, period, raw_value from {cells}
                where raw_value <> ':' and value is null order by 1 limit 1"""
        ).fetchall()
        if bad_value:
            line, period, raw = bad_value[0]
            shown = repr(raw) if raw else "an empty cell"
            raise ExtractError(
                path, line, f"non-numeric value {shown} for period {period} (use ':' for missing)"
            )
        raise_on_duplicates(con, cells, path, header.dimensions)
        finalised_observations(con, cells, target, dataset, header.dimensions)
    finally:
        con.unregister(f"{target}_periods")
        con.execute(f"drop table if exists {wide}")
        con.execute(f"drop table if exists {cells}")
    return ParsedExtract(
        target, dataset, header.dimensions, "tsv", warnings=unknown_flag_warning(con, target, path)
    )


def first_line_of(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
