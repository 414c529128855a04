"""JSON-stat 2.0 datasets (Eurostat statistics API) parsed into the long observation schema, in DuckDB.

The flat row-major index of each value is split into dimension positions with integer arithmetic in
SQL; only the dimension category lists (a few thousand codes at most) pass through Python. JSON-stat is
sparse: a cell is a row when it has a value or a status; cells with neither (a TSV's plain ':') are absent.

The document's shape is checked before anything is read from it (jsonstat_shape.py): a field of the
wrong type or size is refused with an ExtractError naming the field (never a TypeError or a DuckDB
error), and no failing cast runs inside the loader's transaction (entries are typed first, then
converted).
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import duckdb
import polars as pl

from clusterobs.transforms.readers.failures import (
    reader_failure,
)
from clusterobs.transforms.readers.jsonstat_shape import (
    MISSING,
    NUMBER_KINDS,
    TIME_DIMENSIONS,
    category_codes,
    checked_shape,
    shown_value,
)
from clusterobs.transforms.readers.observations import (
    ExtractError,
    ParsedExtract,
    check_dimensions,
    drop_scratch,
    finalised_observations,
    period_table,
    quoted,
    scratch_prefix,
    unknown_flag_warning,
)

LEGACY_MESSAGE = (
    "legacy Eurostat JSON web service format (wsVersion {version}), discontinued: download JSON-stat 2.0 from "
    "the statistics API (.../statistics/1.0/data/<dataset>) or TSV/SDMX-CSV from the SDMX API instead"
)
# Top-level fields read from the document (as JSON text; SQL NULL when absent).
FIELDS = ("class", "version", "label", "updated", "id", "size", "dimension", "extension")


def read_jsonstat(
    con: duckdb.DuckDBPyConnection, path: Path, dataset: str | None, target: str
) -> ParsedExtract:
    """Parse a JSON-stat 2.0 dataset into temp table `target`; refuses the legacy Eurostat JSON format."""
    work = scratch_prefix(target)
    doc = f"{work}_doc"
    try:
        con.execute(
            f"""create or replace temp table {doc} as
                select json as j from read_json_objects(?, format = 'unstructured', maximum_object_size = ?)""",
            [str(path), max(16 << 20, 2 * path.stat().st_size + 4096)],
        )
    except duckdb.Error as exc:
        raise reader_failure(path, exc, "not valid JSON") from exc
    scratch = [f"table {doc}"]
    try:
        head = con.execute(
            f"""select json_type(j), json_keys(j), json_type(j->'value'), json_type(j->'status'),
                       {", ".join(f"j->'{name}'" for name in FIELDS)}
                from {doc}"""
        ).fetchall()
        if len(head) != 1 or head[0][0] != "OBJECT":
            raise ExtractError(path, 1, "expected one JSON-stat object at the top level")
        _kind, keys, value_type, status_type, *raw = head[0]
        _refuse_legacy(con, doc, path, keys)
        fields = {
            name: MISSING if text is None else json.loads(text)
            for name, text in zip(FIELDS, raw, strict=True)
        }
        shape = checked_shape(path, fields, value_type, status_type)
        ids, sizes, names = shape.ids, shape.sizes, shape.names
        dimensions = [d for d in names if d not in TIME_DIMENSIONS]
        check_dimensions(path, dimensions, line=None)
        dataset = (shape.dataset or dataset or path.name.split(".")[0]).lower()
        strides = [math.prod(sizes[k + 1 :]) for k in range(len(sizes))]
        for k, (raw_id, size) in enumerate(zip(ids, sizes, strict=True)):
            codes = category_codes(path, raw_id, fields["dimension"][raw_id], size)
            frame = pl.DataFrame(
                {"pos": list(range(size)), "code": codes},
                schema={"pos": pl.Int64, "code": pl.String},
            )
            if names[k] in TIME_DIMENSIONS:
                frame = frame.with_columns(_periods(path, raw_id, codes))
            scratch.append(f"frame {work}_dim{k}")
            con.register(f"{work}_dim{k}", frame)
        values, statuses = f"{work}_values", f"{work}_statuses"
        scratch += [f"table {values}", f"table {statuses}"]
        _typed_entries(con, path, doc, "value", value_type, values, shape.total)
        if status_type:
            _typed_entries(con, path, doc, "status", status_type, statuses, shape.total)
        else:
            con.execute(f"create or replace temp table {statuses} (idx bigint, entry varchar)")
        joins, selects = [], []
        for k, name in enumerate(names):
            alias = f"d{k}"
            joins.append(
                f"join {work}_dim{k} {alias} on {alias}.pos = (e.idx // {strides[k]}) % {sizes[k]}"
            )
            if name in TIME_DIMENSIONS:
                selects += [f"{alias}.period", f"{alias}.period_freq"]
            else:
                selects.append(f"{alias}.code as {quoted(name)}")
        cells = f"{work}_cells"
        scratch.append(f"table {cells}")
        con.execute(
            f"""
            create or replace temp table {cells} as
            with entries as (
                select coalesce(v.idx, s.idx) as idx, v.entry as value, s.entry as status
                from {values} v full outer join {statuses} s using (idx)
            )
            select
                e.idx as record_number,
                {", ".join(selects)},
                e.value,
                case when e.status = ':' then null else trim(e.status) end as flags,
                null::varchar as conf_status,
            from entries e
            {" ".join(joins)}
            """
        )
        finalised_observations(con, cells, target, dataset, dimensions)
    finally:
        drop_scratch(con, *reversed(scratch))
    updated = fields["updated"]
    return ParsedExtract(
        target,
        dataset,
        dimensions,
        "json-stat-2.0",
        None if updated is MISSING else updated,
        unknown_flag_warning(con, target, path),
    )


def _refuse_legacy(con: duckdb.DuckDBPyConnection, doc: str, path: Path, keys: list[str]) -> None:
    """The pre-2023 Eurostat JSON web service wrapped the dataset under its code and carried 'wsVersion'."""
    version = None
    if "wsVersion" in keys:
        version = con.execute(f"select j->>'wsVersion' from {doc}").fetchall()[0][0]
    elif len(keys) == 1:
        version = con.execute(f"select j->?->>'wsVersion' from {doc}", [keys[0]]).fetchall()[0][0]
    if version:
        raise ExtractError(path, None, LEGACY_MESSAGE.format(version=version))


def _periods(path: Path, name: str, codes: list[str]) -> list[pl.Series]:
    """(period, period_freq) columns of the time dimension's codes; raises ExtractError on a bad one."""
    try:
        periods = period_table(codes)
    except ValueError as exc:
        raise ExtractError(path, None, f"time dimension: {exc}") from exc
    if periods["period"].n_unique() != periods.height:
        period = periods.filter(periods["period"].is_duplicated())["period"][0]
        raise ExtractError(path, None, f"time dimension {name}: period {period} appears twice")
    return [periods["period"], periods["period_freq"]]


def _typed_entries(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    doc: str,
    key: str,
    json_type: str,
    table: str,
    total: int,
) -> None:
    """Temp table `table` (idx, entry) of the document's `key` ('value': DOUBLE, 'status': VARCHAR), an
    object of cell index -> entry or a dense array; JSON nulls are left out. Every entry is typed before
    anything is cast, so a wrong one is refused by name and no failing cast aborts a transaction."""
    typed, parsed = f"{table}_typed", f"{table}_map"
    try:
        if json_type == "OBJECT":
            con.execute(
                f"""create or replace temp table {parsed} as
                    select from_json(j->'{key}', '"MAP(VARCHAR, JSON)"') as m from {doc}"""
            )
            # from_json makes NULL of an object that has a key twice
            if con.execute(f"select m is null from {parsed}").fetchall()[0][0]:
                raise ExtractError(path, None, f"'{key}' has a cell index twice")
            con.execute(
                f"""create or replace temp table {typed} as
                    select e.key as raw, json_type(e.value) as kind, e.value as entry
                    from (select unnest(map_entries(m)) as e from {parsed})"""
            )
        else:
            con.execute(
                f"""create or replace temp table {typed} as
                    select idx::varchar as raw, json_type(entry) as kind, entry
                    from (select unnest(generate_series(0, len(arr) - 1)) as idx, unnest(arr) as entry
                          from (select from_json(j->'{key}', '["JSON"]') as arr from {doc}))"""
            )
        index = "try_cast(raw as bigint)"
        bad_index = con.execute(
            f"""select raw, regexp_full_match(raw, '0|[1-9][0-9]{{0,17}}') from {typed}
                where not regexp_full_match(raw, '0|[1-9][0-9]{{0,17}}') or {index} >= {total}
                order by 2, {index} limit 1"""
        ).fetchall()
        if bad_index:
            raw, is_number = bad_index[0]
            if json_type == "ARRAY":
                raise ExtractError(
                    path, None, f"'{key}' has more entries than the {total} cells of the cube"
                )
            if not is_number:
                raise ExtractError(
                    path, None, f"'{key}' key {raw!r} is not a cell index (a whole number from 0)"
                )
            raise ExtractError(path, None, f"'{key}' index {raw} outside the cube of {total} cells")
        wanted, noun = (NUMBER_KINDS, "a number") if key == "value" else (("VARCHAR",), "a string")
        kinds = ", ".join(f"'{k}'" for k in (*wanted, "NULL"))
        bad_entry = con.execute(
            f"""select raw, entry from {typed} where kind not in ({kinds})
                order by {index} limit 1"""
        ).fetchall()
        if bad_entry:
            raw, entry = bad_entry[0]
            raise ExtractError(
                path,
                None,
                f"'{key}' entry {raw} is {shown_value(json.loads(entry))}, not {noun} or null",
            )
        cast = "entry::double" if key == "value" else "entry->>'$'"
        con.execute(
            f"""create or replace temp table {table} as
                select {index} as idx, {cast} as entry from {typed} where kind <> 'NULL'"""
        )
    finally:
        drop_scratch(con, f"table {typed}", f"table {parsed}")
