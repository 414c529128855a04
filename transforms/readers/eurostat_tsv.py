"""Eurostat TSV ("bulk download") extracts parsed into the long observation schema, vectorised in DuckDB.

Series keys are split and checked once per line (not per cell); the cells are unpivoted and split
into value and flags in one pass that writes the only materialised copy of the observations.
"""

from __future__ import annotations

import gzip
import re
import zlib
from dataclasses import dataclass
from pathlib import Path

import duckdb

from clusterobs.transforms.readers import failures
from clusterobs.transforms.readers.failures import (
    csv_line_options,
    last_line_checked,
    line_too_long,
    reader_failure,
)
from clusterobs.transforms.readers.observations import (
    ExtractError,
    ParsedExtract,
    check_dimensions,
    dimension_domains,
    dimension_type,
    drop_scratch,
    finalised_observations,
    period_table,
    quoted,
    raise_on_unparsed,
    scratch_prefix,
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
    """First line of a plain or gzip text file, without its line ending or a byte order mark (at most
    MAX_LINE_BYTES long)."""
    opener = gzip.open if is_gzip(path) else open
    limit = failures.MAX_LINE_BYTES
    try:
        with opener(path, "rt", encoding="utf-8", newline="") as handle:
            line = handle.readline(limit + 1)
    except (OSError, EOFError, zlib.error, UnicodeDecodeError) as exc:
        raise ExtractError(path, 1, f"cannot read the header ({exc})") from exc
    line = line.rstrip("\r\n")
    if len(line) > limit:
        raise line_too_long(path)
    return line.removeprefix("\ufeff")


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
    work = scratch_prefix(target)
    header = parsed_header(path)
    try:
        periods = period_table(header.labels)
    except ValueError as exc:
        raise ExtractError(path, 1, str(exc)) from exc
    if periods["period"].n_unique() != periods.height:
        raise ExtractError(path, 1, "a period appears twice in the header")
    period_columns = periods[
        "period"
    ].to_list()  # columns named by their normalised period: no join later
    freq_of = dict(zip(periods["period"], periods["period_freq"], strict=True))
    if len(set(freq_of.values())) == 1:
        period_freq = f"'{next(iter(freq_of.values()))}'"
    else:
        period_freq = (
            "case period " + " ".join(f"when '{p}' then '{f}'" for p, f in freq_of.items()) + " end"
        )
    columns = {"series_key": "VARCHAR", **dict.fromkeys(period_columns, "VARCHAR")}
    wide, cells = f"{work}_wide", f"{work}_cells"
    record_number = "record_number"  # replaced below by the line number derived from the rowid
    n_dims = len(header.dimensions)
    try:
        with last_line_checked(path):
            try:
                # Series keys are split once per line here, so the unpivot below only copies them.
                dims_sql = ", ".join(
                    f"trim(key_parts[{i + 1}]) as {quoted(d)}"
                    for i, d in enumerate(header.dimensions)
                )
                con.execute(
                    f"""
                    create or replace temp table {wide} as
                    select len(key_parts) as n_key_parts, {dims_sql}, * exclude (series_key, key_parts)
                    from (
                        select string_split(series_key, ',') as key_parts, *
                        from read_csv(
                            ?, delim = '\t', header = true, auto_detect = false, columns = {columns!r},
                            quote = '', escape = '', null_padding = false, strict_mode = true,
                            compression = '{"gzip" if is_gzip(path) else "none"}', {csv_line_options()}
                        )
                    )
                    """,
                    [str(path)],
                )
            except duckdb.Error as exc:
                raise reader_failure(path, exc, "malformed TSV or damaged file") from exc
        # The wide table keeps the file's line order, so a line's number follows from its rowid (cheaper
        # than row_number(), which makes the parallel CSV read wait for one window over every line).
        # Inside a transaction rowids start at a large offset, hence the first rowid.
        first_rowid = con.execute(f"select min(rowid) from {wide}").fetchall()[0][0] or 0
        record_number = f"(rowid - {first_rowid} + 2)"
        bad_key = con.execute(
            f"select {record_number}, n_key_parts from {wide} where n_key_parts <> {n_dims} order by 1 limit 1"
        ).fetchall()
        if bad_key:
            line, parts = bad_key[0]
            raise ExtractError(
                path,
                line,
                f"series key has {parts} parts, the header declares {n_dims} ({', '.join(header.dimensions)})",
            )
        keys = ", ".join(quoted(d) for d in header.dimensions)
        duplicate = con.execute(
            f"select min({record_number}), max({record_number}) from {wide} group by {keys} having count(*) > 1 order by 1 limit 1"
        ).fetchall()
        if duplicate:
            raise ExtractError(
                path, duplicate[0][1], f"duplicate series: same key as line {duplicate[0][0]}"
            )
        dim_columns = ", ".join(quoted(d) for d in header.dimensions)
        # Dimension codes become ENUMs once per line, before the unpivot copies them to every cell.
        domains = dimension_domains(con, wide, header.dimensions)
        typed_dims = ", ".join(
            f"{quoted(d)}::{dimension_type(domains[d])} as {quoted(d)}" for d in header.dimensions
        )
        unpivot_on = ", ".join(quoted(c) for c in period_columns)
        con.execute(
            f"""
            create or replace temp view {cells} as
            with unpivoted as (
                select record_number, {dim_columns}, period, rtrim(cell, chr(13) || ' ') as cell
                from (unpivot (select {record_number} as record_number, {typed_dims}, * exclude (n_key_parts, {dim_columns}) from {wide})
                      on {unpivot_on} into name period value cell)
            ),
            split as (
                select *, ltrim(cell) as text, strpos(ltrim(cell), ' ') as gap from unpivoted
            ),
            parts as (
                select
                    record_number,
                    {dim_columns},
                    period,
                    case when gap = 0 then text else left(text, gap - 1) end as raw_value,
                    case when gap = 0 then null else trim(substr(text, gap + 1)) end as flags,
                from split
            )
            select
                *,
                {period_freq} as period_freq,
                try_cast(nullif(raw_value, ':') as double) as value,
                null::varchar as conf_status,
            from parts
            """
        )
        finalised_observations(con, cells, target, dataset, header.dimensions, domains)
        # Every cell not starting with ':' must have become a number (a failed cast would abort the
        # load's transaction, so count instead): count on the wide table, and only look for the culprit
        # (an unpivot again) when the counts differ.
        # One count per column, added up here, at most 100 columns per query: a `+` chain over
        # thousands of columns exceeds DuckDB's expression depth, and one query with thousands of
        # filtered aggregates costs memory quadratic in their number (2.5 GB for 2,000).
        expected = 0
        for start in range(0, len(period_columns), 100):
            published = ", ".join(
                f"count(*) filter (where not starts_with(ltrim({quoted(c)}), ':'))"
                for c in period_columns[start : start + 100]
            )
            expected += sum(con.execute(f"select {published} from {wide}").fetchall()[0])
        if expected != con.execute(f"select count(value) from {target}").fetchall()[0][0]:
            raise_on_unparsed(con, cells, path, (":",), "use ':' for missing")
        n_series = con.execute(f"select count(*) from {wide}").fetchall()[0][0]
    finally:
        drop_scratch(con, f"view {cells}", f"table {wide}")
    return ParsedExtract(
        target,
        dataset,
        header.dimensions,
        "tsv",
        warnings=unknown_flag_warning(con, target, path),
        series=n_series,
    )
