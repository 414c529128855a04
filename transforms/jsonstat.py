"""JSON-stat 2.0 datasets (Eurostat statistics API) parsed into the long observation schema, in DuckDB.

The flat row-major index of each value is split into dimension positions with integer arithmetic in
SQL; only the dimension category lists (a few thousand codes at most) pass through Python. JSON-stat is
sparse: a cell is a row when it has a value or a status; cells with neither (a TSV's plain ':') are absent.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import duckdb
import polars as pl

from transforms.observations import (
    ExtractError,
    ParsedExtract,
    check_dimensions,
    drop_scratch,
    finalised_observations,
    period_table,
    quoted,
    reader_failure,
    scratch_prefix,
    unknown_flag_warning,
)

TIME_DIMENSIONS = ("time", "time_period")
LEGACY_MESSAGE = (
    "legacy Eurostat JSON web service format (wsVersion {version}), discontinued: download JSON-stat 2.0 from "
    "the statistics API (.../statistics/1.0/data/<dataset>) or TSV/SDMX-CSV from the SDMX API instead"
)


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
    try:
        head = con.execute(
            f"""select json_type(j), json_keys(j), j->>'version', j->>'class',
                       json_type(j->'value'), j->'id', j->'size', j->'dimension', j->>'updated', j->'extension'
                from {doc}"""
        ).fetchall()
        if len(head) != 1 or head[0][0] != "OBJECT":
            raise ExtractError(path, 1, "expected one JSON-stat object at the top level")
        _kind, keys, _version, klass, value_type, ids, sizes, dimension, updated, extension = head[
            0
        ]
        _refuse_legacy(con, doc, path, keys)
        if klass != "dataset" or value_type is None:
            raise ExtractError(
                path,
                None,
                f"not a JSON-stat 2.0 dataset with values (class={klass!r}); metadata-only responses hold no observations",
            )
        ids, sizes = json.loads(ids), json.loads(sizes)
        dimension = json.loads(dimension)
        extension = json.loads(extension) if extension else {}
        if len(ids) != len(sizes) or not all(isinstance(s, int) and s > 0 for s in sizes):
            raise ExtractError(path, None, "'id' and 'size' do not describe the same dimensions")
        names = [d.lower() for d in ids]
        time_dims = [d for d in names if d in TIME_DIMENSIONS]
        if len(time_dims) != 1:
            raise ExtractError(
                path,
                None,
                f"expected one time dimension ('time' or 'TIME_PERIOD'), found {time_dims or 'none'}",
            )
        dimensions = [d for d in names if d not in TIME_DIMENSIONS]
        check_dimensions(path, dimensions, line=None)
        dataset = (
            extension.get("datasetId") or dataset or path.name.split(".")[0]
        )  # the file's own name wins
        dataset = dataset.lower()
        strides = [math.prod(sizes[k + 1 :]) for k in range(len(sizes))]
        total = math.prod(sizes)
        frames = {}
        for k, (raw_id, size) in enumerate(zip(ids, sizes, strict=True)):
            codes = _category_codes(path, raw_id, dimension.get(raw_id), size)
            frame = pl.DataFrame(
                {"pos": list(range(size)), "code": codes},
                schema={"pos": pl.Int64, "code": pl.String},
            )
            if names[k] in TIME_DIMENSIONS:
                try:
                    periods = period_table(codes)
                except ValueError as exc:
                    raise ExtractError(path, None, f"time dimension: {exc}") from exc
                frame = frame.with_columns(
                    period=periods["period"], period_freq=periods["period_freq"]
                )
            frames[names[k]] = frame
            con.register(f"{work}_dim{k}", frame)
        status_type = con.execute(f"select json_type(j->'status') from {doc}").fetchall()[0][0]
        try:
            value_sql = _entries_sql("value", value_type, "DOUBLE")
            status_sql = _entries_sql("status", status_type, "VARCHAR") if status_type else None
        except ValueError as exc:
            raise ExtractError(path, None, str(exc)) from exc
        cells_source = f"""
            with values_ as ({value_sql.format(doc=doc)}),
            statuses as ({status_sql.format(doc=doc) if status_sql else "select null::bigint as idx, null::varchar as entry where false"}),
            entries as (
                select coalesce(v.idx, s.idx) as idx, v.entry as value, s.entry as status
                from values_ v full outer join statuses s using (idx)
            )
            select * from entries
        """
        entries = f"{work}_entries"
        try:
            con.execute(f"create or replace temp table {entries} as {cells_source}")
        except duckdb.Error as exc:
            raise reader_failure(path, exc, "bad 'value' or 'status'") from exc
        out_of_range = con.execute(
            f"select min(idx) from {entries} where idx < 0 or idx >= {total}"
        ).fetchall()[0][0]
        if out_of_range is not None:
            raise ExtractError(
                path, None, f"value index {out_of_range} outside the cube of {total} cells"
            )
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
        con.execute(
            f"""
            create or replace temp table {cells} as
            select
                e.idx as record_number,
                {", ".join(selects)},
                e.value,
                case when e.status = ':' then null else trim(e.status) end as flags,
                null::varchar as conf_status,
            from {entries} e
            {" ".join(joins)}
            """
        )
        finalised_observations(con, cells, target, dataset, dimensions)
        con.execute(f"drop table if exists {cells}")
        con.execute(f"drop table if exists {entries}")
        for k in range(len(ids)):
            con.unregister(f"{work}_dim{k}")
    finally:
        drop_scratch(con, f"table {doc}")
    return ParsedExtract(
        target,
        dataset,
        dimensions,
        "json-stat-2.0",
        updated,
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


def _category_codes(path: Path, name: str, spec: dict | None, size: int) -> list[str]:
    """Category codes of one dimension in position order (index as object or array, or a single label)."""
    category = (spec or {}).get("category") or {}
    index = category.get("index")
    if isinstance(index, list):
        codes = [str(c) for c in index]
    elif isinstance(index, dict):
        codes = [None] * size
        for code, pos in index.items():
            if not isinstance(pos, int) or not 0 <= pos < size:
                raise ExtractError(
                    path,
                    None,
                    f"dimension {name}: category {code!r} has position {pos!r} outside 0..{size - 1}",
                )
            codes[pos] = str(code)
    elif size == 1 and category.get("label"):
        codes = [str(next(iter(category["label"])))]
    else:
        raise ExtractError(path, None, f"dimension {name} has no category index")
    if len(codes) != size or any(c is None for c in codes):
        raise ExtractError(path, None, f"dimension {name}: {len(codes)} categories for size {size}")
    return codes


def _entries_sql(key: str, json_type: str, sql_type: str) -> str:
    """SELECT idx, entry from the document's sparse object or dense array under `key`."""
    if json_type == "OBJECT":
        return (
            "select cast(e.key as bigint) as idx, e.value as entry from "
            f"(select unnest(map_entries(from_json(j->'{key}', '\"MAP(VARCHAR, {sql_type})\"'))) as e from {{doc}})"
        )
    if json_type == "ARRAY":
        return (
            "select idx, entry from (select unnest(generate_series(0, len(arr) - 1)) as idx, unnest(arr) as entry "
            f"from (select from_json(j->'{key}', '[\"{sql_type}\"]') as arr from {{doc}})) where entry is not null"
        )
    raise ValueError(f"'{key}' must be an object or an array, not {json_type}")
