"""SDMX-CSV 1.0 and 2.0 extracts parsed into the long observation schema, driven by the header, in DuckDB."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import duckdb

from clusterobs.transforms.readers.eurostat_tsv import header_line, is_gzip
from clusterobs.transforms.readers.failures import (
    csv_line_options,
    last_line_checked,
    reader_failure,
)
from clusterobs.transforms.readers.observations import (
    ExtractError,
    ParsedExtract,
    check_dimensions,
    dimension_name,
    drop_scratch,
    finalised_observations,
    normalised_period,
    period_table,
    quoted,
    raise_on_duplicates,
    raise_on_unparsed,
    scratch_prefix,
    sql_literal,
    unknown_flag_warning,
)

# Columns that are not dimensions (SDMX-CSV 1.0 and 2.0, Eurostat's attributes).
STRUCTURE_COLUMNS = {
    "dataflow",
    "last update",
    "structure",
    "structure_id",
    "action",
    "structure_name",
}
MEASURE_COLUMNS = {
    "time_period",
    "obs_value",
    "obs_flag",
    "obs_status",
    "conf_status",
    "unit_mult",
    "decimals",
}


def looks_like_sdmx_csv(header: str) -> bool:
    lowered = header.lower()
    return "obs_value" in lowered and ("dataflow" in lowered or "structure" in lowered)


def dataset_from_structure(value: str | None) -> str | None:
    """'ESTAT:NAMA_10R_2GDP(1.0)' or 'dataflow=ESTAT:NAMA_10R_2GDP(1.0)' -> 'nama_10r_2gdp'."""
    if not value:
        return None
    match = re.search(r"(?:[A-Z0-9_]+:)?([A-Za-z0-9_]+)\(", value)
    return match.group(1).lower() if match else None


def read_sdmx_csv(
    con: duckdb.DuckDBPyConnection, path: Path, dataset: str | None, target: str
) -> ParsedExtract:
    """Parse an SDMX-CSV file (',' or ';') into temp table `target`; the dataset comes from the file if not given."""
    work = scratch_prefix(target)
    header = header_line(path)
    delimiter = ";" if header.count(";") > header.count(",") else ","
    raw_columns = [c.strip() for c in next(csv.reader([header], delimiter=delimiter))]
    lowered = [
        dimension_name(c) if ":" in c and not c.lower().startswith("last update") else c.lower()
        for c in raw_columns
    ]
    if "time_period" not in lowered or "obs_value" not in lowered:
        raise ExtractError(path, 1, "SDMX-CSV header must have TIME_PERIOD and OBS_VALUE columns")
    dimensions = [c for c in lowered if c not in STRUCTURE_COLUMNS | MEASURE_COLUMNS]
    version = "2.0" if "structure" in lowered else "1.0"
    check_dimensions(path, dimensions)
    names = [re.sub(r"\W+", "_", c) for c in lowered]
    for k, name in enumerate(names):
        if name in names[:k]:
            first, again = raw_columns[names.index(name)], raw_columns[k]
            problem = (
                f"column {again!r} appears twice in the header"
                if first.lower() == again.lower()
                else f"columns {first!r} and {again!r} name the same column"
            )
            raise ExtractError(path, 1, problem)
    columns = "{" + ", ".join(f"{sql_literal(n)}: 'VARCHAR'" for n in names) + "}"
    raw = f"{work}_raw"
    with last_line_checked(path):
        try:
            con.execute(
                f"""
                create or replace temp table {raw} as
                select row_number() over () + 1 as record_number, *
                from read_csv(?, delim = ?, header = true, auto_detect = false, columns = {columns},
                              quote = '"', escape = '"', strict_mode = true,
                              compression = '{"gzip" if is_gzip(path) else "none"}', {csv_line_options()})
                """,
                [str(path), delimiter],
            )
        except duckdb.Error as exc:
            raise reader_failure(path, exc, "malformed SDMX-CSV") from exc
    try:
        # SDMX-CSV 2.0 names the dataflow in STRUCTURE_ID, 1.0 in DATAFLOW
        structure_col = next((c for c in ("structure_id", "dataflow") if c in names), None)
        updated = None
        if "last_update" in names:
            updated = con.execute(f"select max(last_update) from {raw}").fetchall()[0][0]
        found_dataset = structure_col and dataset_from_structure(
            con.execute(f"select any_value({structure_col}) from {raw}").fetchall()[0][0]
        )
        dataset = found_dataset or dataset  # what the file declares wins; read_extract checks it
        if not dataset:
            column = structure_col.upper() if structure_col else "STRUCTURE_ID or DATAFLOW"
            raise ExtractError(
                path, 2, f"no dataset named in column {column}; pass the dataset name"
            )
        labels = [
            r[0]
            for r in con.execute(
                f"select distinct trim(time_period) from {raw} where time_period is not null"
            ).fetchall()
        ]
        try:
            periods = period_table(labels)
        except ValueError as exc:
            bad = next(label for label in labels if not _is_period(label))
            line = con.execute(
                f"select min(record_number) from {raw} where trim(time_period) = ?", [bad]
            ).fetchall()[0][0]
            raise ExtractError(path, line, str(exc)) from exc
        con.register(f"{work}_periods", periods)
        code = "trim(split_part({col}, ':', 1))"  # 'A:Annual' (labels=both) -> 'A'
        dims_sql = ",\n".join(
            f"{code.format(col=quoted(names[lowered.index(d)]))} as {quoted(d)}" for d in dimensions
        )
        flag_col = (
            "obs_flag" if "obs_flag" in names else ("obs_status" if "obs_status" in names else None)
        )
        flags_sql = f"trim({flag_col})" if flag_col else "null::varchar"
        conf_sql = (
            "upper(trim(split_part(conf_status, ':', 1)))"
            if "conf_status" in names
            else "null::varchar"
        )
        missing_period = con.execute(
            f"select min(record_number) from {raw} where nullif(trim(time_period), '') is null"
        ).fetchall()[0][0]
        if missing_period:
            raise ExtractError(path, missing_period, "empty TIME_PERIOD")
        cells = f"{work}_cells"
        con.execute(
            f"""
            create or replace temp table {cells} as
            select
                record_number,
                {dims_sql},
                p.period,
                p.period_freq,
                nullif(trim(obs_value), '') as raw_value,
                case when nullif(trim(obs_value), '') in (':', 'NaN') then null
                     else try_cast(nullif(trim(obs_value), '') as double) end as value,
                {flags_sql} as flags,
                {conf_sql} as conf_status,
            from {raw}
            join {work}_periods as p on p.label = trim({raw}.time_period)
            """
        )
        raise_on_duplicates(con, cells, path, dimensions)
        raise_on_unparsed(con, cells, path, (":", "NaN"), "OBS_VALUE must be a number or empty")
        finalised_observations(con, cells, target, dataset, dimensions)
    finally:
        drop_scratch(con, f"table {work}_cells", f"frame {work}_periods", f"table {raw}")
    return ParsedExtract(
        target,
        dataset,
        dimensions,
        f"sdmx-csv-{version}",
        str(updated) if updated else None,
        unknown_flag_warning(con, target, path),
    )


def _is_period(label: str) -> bool:
    try:
        normalised_period(label)
    except ValueError:
        return False
    return True
