"""Eurostat TSV ("bulk download") extracts parsed into one long, typed table, vectorised in DuckDB."""

from __future__ import annotations

import gzip
import re
import zlib
from dataclasses import dataclass
from pathlib import Path

import duckdb
import polars as pl

from transforms.duckdb_results import first_row

# Observation status and confidentiality letters documented by Eurostat (DOMAIN.md 1.3).
KNOWN_FLAG_LETTERS = frozenset("bdefimnpuc" + "szr" + "CNP")

_PERIOD_PATTERNS = [
    (re.compile(r"^(\d{4})$"), "A", "{y}"),
    (re.compile(r"^(\d{4})-?S([12])$"), "S", "{y}-S{n}"),
    (re.compile(r"^(\d{4})-?Q([1-4])$"), "Q", "{y}-Q{n}"),
    (re.compile(r"^(\d{4})(?:-|M)(0[1-9]|1[0-2])$"), "M", "{y}-{n}"),
    (re.compile(r"^(\d{4})-?W(0[1-9]|[1-4]\d|5[0-3])$"), "W", "{y}-W{n}"),
]


class ExtractError(ValueError):
    """An extract file that cannot be loaded; the message names the file, line and problem."""

    def __init__(self, path: Path | str, line: int | None, problem: str):
        self.path, self.line, self.problem = str(path), line, problem
        where = f"{path}, line {line}" if line else str(path)
        super().__init__(f"{where}: {problem}")


@dataclass(frozen=True)
class TsvHeader:
    """Dimension ids (in key order), time dimension id and the normalised periods of a TSV extract."""

    dimensions: list[str]
    time_dimension: str
    periods: list[str]
    frequencies: list[str]


def normalised_period(label: str) -> tuple[str, str]:
    """Return (period, freq) for a TSV period label such as '2015', '2015Q4', '2015M02' or '2015-W01'."""
    text = label.strip()
    for pattern, freq, template in _PERIOD_PATTERNS:
        match = pattern.match(text)
        if match:
            year, *rest = match.groups()
            return template.format(y=year, n=rest[0] if rest else ""), freq
    raise ValueError(f"unrecognised period {label!r}")


def is_gzip(path: Path) -> bool:
    with path.open("rb") as handle:
        return handle.read(2) == b"\x1f\x8b"


def header_line(path: Path) -> str:
    """First line of a plain or gzip TSV file, without its line ending."""
    opener = gzip.open if is_gzip(path) else open
    try:
        with opener(path, "rt", encoding="utf-8", newline="") as handle:
            line = handle.readline()
    except (OSError, EOFError, zlib.error, UnicodeDecodeError) as exc:
        raise ExtractError(path, 1, f"cannot read the header ({exc})") from exc
    return line.rstrip("\r\n")


def parsed_header(path: Path) -> TsvHeader:
    """Dimensions and periods declared by the header of a TSV extract."""
    line = header_line(path)
    if not line.strip():
        raise ExtractError(
            path, 1, "empty file: expected a header like 'freq,indic_sb,nace_r2,geo\\TIME_PERIOD'"
        )
    if line.lstrip().lower().startswith(("<!doctype", "<html", "{")):
        raise ExtractError(
            path, 1, "this is not a TSV extract (HTML or JSON content); check the download"
        )
    cells = line.split("\t")
    first = cells[0].strip()
    match = re.match(r"^([A-Za-z0-9_,\s]+)[\\/]\s*([A-Za-z_]+)$", first)
    if not match or len(cells) < 2:
        raise ExtractError(
            path,
            1,
            f"bad header cell {first!r}: expected dimension ids joined by ',' then '\\' and the time dimension",
        )
    dimensions = [d.strip().lower() for d in match.group(1).split(",")]
    if any(not d for d in dimensions) or len(set(dimensions)) != len(dimensions):
        raise ExtractError(path, 1, f"empty or repeated dimension id in header cell {first!r}")
    periods, frequencies = [], []
    for label in cells[1:]:
        try:
            period, freq = normalised_period(label)
        except ValueError as exc:
            raise ExtractError(path, 1, str(exc)) from exc
        periods.append(period)
        frequencies.append(freq)
    if len(set(periods)) != len(periods):
        raise ExtractError(path, 1, "a period appears twice in the header")
    return TsvHeader(dimensions, match.group(2).lower(), periods, frequencies)


def observations_from_tsv(path: Path | str, dataset: str) -> pl.DataFrame:
    """Long table of one TSV extract: one row per series x period with value, raw flags and derived booleans.

    Columns: dataset, one column per dimension (freq included), period, year, value (NULL for ':'),
    flags (raw string), conf_status, is_confidential/is_provisional/is_estimated/is_break,
    has_unknown_flag, line_number.
    """
    path = Path(path)
    header = parsed_header(path)
    n_periods = len(header.periods)
    period_columns = [f"p{i}" for i in range(n_periods)]
    columns = {"series_key": "VARCHAR", **dict.fromkeys(period_columns, "VARCHAR")}
    con = duckdb.connect()
    try:
        first_row(con, "set preserve_insertion_order = true")
        periods = pl.DataFrame(
            {
                "period_column": period_columns,
                "period": header.periods,
                "period_freq": header.frequencies,
            }
        )
        con.register("periods", periods)
        source = f"""
            select
                row_number() over () + 1 as line_number,
                *
            from read_csv(
                ?,
                delim = '\t',
                header = true,
                auto_detect = false,
                columns = {columns!r},
                quote = '',
                escape = '',
                null_padding = false,
                strict_mode = true
            )
        """
        try:
            con.execute(f"create temp table wide as {source}", [str(path)])
        except duckdb.Error as exc:
            raise ExtractError(path, None, f"malformed TSV ({first_line_of(exc)})") from exc
        dims_sql = ",\n".join(
            f"trim(string_split(series_key, ',')[{i + 1}]) as {duckdb_identifier(d)}"
            for i, d in enumerate(header.dimensions)
        )
        long_sql = f"""
            with unpivoted as (
                unpivot wide on {", ".join(period_columns)} into name period_column value cell
            ),
            split as (
                select
                    line_number,
                    series_key,
                    len(string_split(series_key, ',')) as n_key_parts,
                    period_column,
                    regexp_extract(rtrim(cell, chr(13) || ' '), '^\\s*(\\S*)\\s*(.*)$', ['raw_value', 'flags']) as parts
                from unpivoted
            )
            select
                line_number,
                n_key_parts,
                {dims_sql},
                periods.period,
                periods.period_freq,
                parts.raw_value,
                nullif(trim(parts.flags), '') as flags
            from split
            join periods using (period_column)
        """
        con.execute(f"create temp table cells as {long_sql}")
        _raise_on_bad_cells(con, path, header)
        freq_expr = "freq" if "freq" in header.dimensions else "period_freq"
        dim_cols = ", ".join(duckdb_identifier(d) for d in header.dimensions if d != "freq")
        letters = "".join(sorted(KNOWN_FLAG_LETTERS))
        result = con.sql(f"""
            select
                '{dataset}' as dataset,
                {freq_expr} as freq,
                {dim_cols},
                period,
                cast(left(period, 4) as smallint) as year,
                case when raw_value = ':' then null else cast(raw_value as double) end as value,
                flags,
                case when contains(coalesce(flags, ''), 'c') or contains(coalesce(flags, ''), 'C') then 'C'
                     when contains(coalesce(flags, ''), 'N') then 'N'
                     when contains(coalesce(flags, ''), 'P') then 'P' end as conf_status,
                contains(coalesce(flags, ''), 'c') or contains(coalesce(flags, ''), 'C') as is_confidential,
                contains(coalesce(flags, ''), 'p') as is_provisional,
                contains(coalesce(flags, ''), 'e') as is_estimated,
                contains(coalesce(flags, ''), 'b') as is_break,
                coalesce(regexp_matches(flags, '[^{letters}]'), false) as has_unknown_flag,
                line_number
            from cells
            order by line_number, period
        """).pl()
    finally:
        con.close()
    return result


def _raise_on_bad_cells(con: duckdb.DuckDBPyConnection, path: Path, header: TsvHeader) -> None:
    """Raise ExtractError for the first line with a wrong key length, a non-numeric value or a duplicate series."""
    n_dims = len(header.dimensions)
    bad_key = first_row(
        con,
        f"select line_number, n_key_parts from cells where n_key_parts <> {n_dims} order by line_number limit 1",
    )
    if bad_key:
        raise ExtractError(
            path,
            bad_key[0],
            f"series key has {bad_key[1]} parts, the header declares {n_dims} ({', '.join(header.dimensions)})",
        )
    bad_value = first_row(
        con,
        """
        select line_number, period, raw_value from cells
        where raw_value <> ':' and try_cast(raw_value as double) is null
        order by line_number limit 1
    """,
    )
    if bad_value:
        line, period, raw = bad_value
        shown = raw if raw else "an empty cell"
        raise ExtractError(
            path, line, f"non-numeric value {shown!r} for period {period} (use ':' for missing)"
        )
    dims = ", ".join(duckdb_identifier(d) for d in header.dimensions)
    duplicate = first_row(
        con,
        f"""
        select min(line_number), max(line_number) from cells
        group by {dims}, period having count(*) > 1 order by 1 limit 1
    """,
    )
    if duplicate:
        raise ExtractError(path, duplicate[1], f"duplicate series: same key as line {duplicate[0]}")


def duckdb_identifier(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def first_line_of(exc: BaseException) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
