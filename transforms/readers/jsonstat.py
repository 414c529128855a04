"""JSON-stat 2.0 datasets (Eurostat statistics API) parsed into the long observation schema, in DuckDB.

The flat row-major index of each value is split into dimension positions with integer arithmetic in
SQL; only the dimension category lists (a few thousand codes at most) pass through Python. JSON-stat is
sparse: a cell is a row when it has a value or a status; cells with neither (a TSV's plain ':') are absent.

The document's shape is checked before anything is read from it: a field of the wrong type or size is
refused with an ExtractError naming the field (never a TypeError or a DuckDB error), and no failing cast
runs inside the loader's transaction (entries are typed first, then converted).
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import duckdb
import polars as pl

from clusterobs.transforms.readers.failures import (
    reader_failure,
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

TIME_DIMENSIONS = ("time", "time_period")
LEGACY_MESSAGE = (
    "legacy Eurostat JSON web service format (wsVersion {version}), discontinued: download JSON-stat 2.0 from "
    "the statistics API (.../statistics/1.0/data/<dataset>) or TSV/SDMX-CSV from the SDMX API instead"
)
# Top-level fields read from the document (as JSON text; SQL NULL when absent).
FIELDS = ("class", "version", "label", "updated", "id", "size", "dimension", "extension")
MISSING = object()
# Flat cell indices are BIGINT arithmetic in SQL; a cube beyond this is no Eurostat dataset.
MAX_CELLS = 1 << 62
NUMBER_KINDS = ("UBIGINT", "BIGINT", "DOUBLE")  # json_type of a JSON number


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
        shape = _checked_shape(path, fields, value_type, status_type)
        ids, sizes, names = shape.ids, shape.sizes, shape.names
        dimensions = [d for d in names if d not in TIME_DIMENSIONS]
        check_dimensions(path, dimensions, line=None)
        dataset = (shape.dataset or dataset or path.name.split(".")[0]).lower()
        strides = [math.prod(sizes[k + 1 :]) for k in range(len(sizes))]
        for k, (raw_id, size) in enumerate(zip(ids, sizes, strict=True)):
            codes = _category_codes(path, raw_id, fields["dimension"][raw_id], size)
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


class _Shape:
    """What the top-level fields of a checked document say."""

    def __init__(self, ids: list[str], sizes: list[int], dataset: str | None):
        self.ids, self.sizes, self.dataset = ids, sizes, dataset
        self.names = [d.lower() for d in ids]
        self.total = math.prod(sizes)


def _kind(value: Any) -> str:
    """The JSON type of a parsed value, for messages."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    return "an array" if isinstance(value, list) else "an object"


def _shown(value: Any) -> str:
    """A value as JSON (cut short) and its type, for messages: '"2" (a string)'."""
    if value is None:
        return "null"
    text = json.dumps(value, ensure_ascii=False)
    return f"{text if len(text) <= 40 else text[:37] + '...'} ({_kind(value)})"


def _is_count(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _checked_shape(
    path: Path, fields: dict[str, Any], value_type: str | None, status_type: str | None
) -> _Shape:
    """Check the top-level fields of a JSON-stat dataset; raises ExtractError naming the wrong one."""

    def refuse(problem: str) -> ExtractError:
        return ExtractError(path, None, problem)

    klass = fields["class"]
    if klass != "dataset" or value_type is None:
        shown = None if klass is MISSING else klass
        raise refuse(
            f"not a JSON-stat 2.0 dataset with values (class={shown!r}); metadata-only responses hold no observations"
        )
    if value_type not in ("OBJECT", "ARRAY"):
        raise refuse(
            f"'value' must be an object or an array of numbers, not {_json_kind(value_type)}"
        )
    if status_type is not None and status_type not in ("OBJECT", "ARRAY"):
        raise refuse(
            f"'status' must be an object or an array of strings, not {_json_kind(status_type)}"
        )
    for name in ("version", "label", "updated"):
        if fields[name] is not MISSING and not isinstance(fields[name], str):
            raise refuse(f"'{name}' must be a string, not {_shown(fields[name])}")
    ids, sizes = fields["id"], fields["size"]
    if ids is MISSING or sizes is MISSING:
        raise refuse(f"no '{'id' if ids is MISSING else 'size'}': not a JSON-stat 2.0 dataset")
    if not isinstance(ids, list) or not ids:
        raise refuse(f"'id' must be a non-empty array of dimension names, not {_shown(ids)}")
    for k, name in enumerate(ids):
        if not isinstance(name, str) or not name.strip():
            raise refuse(f"'id' entry {k} is {_shown(name)}, not a dimension name")
    lowered = [name.lower() for name in ids]
    twice = next((name for k, name in enumerate(lowered) if name in lowered[:k]), None)
    if twice is not None:
        raise refuse(f"'id' names dimension {twice!r} twice")
    if not isinstance(sizes, list):
        raise refuse(f"'size' must be an array of category counts, not {_shown(sizes)}")
    if len(sizes) != len(ids):
        raise refuse(
            f"'id' and 'size' do not describe the same dimensions: {len(ids)} ids, {len(sizes)} sizes"
        )
    for name, size in zip(ids, sizes, strict=True):
        if not _is_count(size) or size < 1:
            raise refuse(
                f"'id' and 'size' do not describe the same dimensions: size of {name!r} is {_shown(size)}, not a positive whole number"
            )
    if math.prod(sizes) >= MAX_CELLS:
        raise refuse(f"'size' describes a cube of {math.prod(sizes):,} cells, too large to index")
    time_dims = [d for d in lowered if d in TIME_DIMENSIONS]
    if len(time_dims) != 1:
        raise refuse(
            f"expected one time dimension ('time' or 'TIME_PERIOD') in 'id', found {time_dims or 'none'}"
        )
    dimension = fields["dimension"]
    if not isinstance(dimension, dict):
        shown = "missing" if dimension is MISSING else _shown(dimension)
        raise refuse(f"'dimension' must be an object of the dimensions in 'id', not {shown}")
    for name in ids:
        if name not in dimension:
            raise refuse(f"'dimension' has no entry for {name!r} (named in 'id')")
        if not isinstance(dimension[name], dict):
            raise refuse(f"'dimension.{name}' must be an object, not {_shown(dimension[name])}")
    extension = {} if fields["extension"] is MISSING else fields["extension"]
    if not isinstance(extension, dict):
        raise refuse(f"'extension' must be an object, not {_shown(extension)}")
    dataset = extension.get("datasetId")
    if dataset is not None and (not isinstance(dataset, str) or not dataset.strip()):
        raise refuse(f"'extension.datasetId' must be a dataset code, not {_shown(dataset)}")
    return _Shape(ids, sizes, dataset)


def _json_kind(json_type: str) -> str:
    """A DuckDB json_type as the JSON type it stands for, for messages."""
    return {
        "VARCHAR": "a string",
        "BOOLEAN": "a boolean",
        "NULL": "null",
        "ARRAY": "an array",
        "OBJECT": "an object",
    }.get(json_type, "a number" if json_type in (*NUMBER_KINDS, "HUGEINT") else json_type)


def _refuse_legacy(con: duckdb.DuckDBPyConnection, doc: str, path: Path, keys: list[str]) -> None:
    """The pre-2023 Eurostat JSON web service wrapped the dataset under its code and carried 'wsVersion'."""
    version = None
    if "wsVersion" in keys:
        version = con.execute(f"select j->>'wsVersion' from {doc}").fetchall()[0][0]
    elif len(keys) == 1:
        version = con.execute(f"select j->?->>'wsVersion' from {doc}", [keys[0]]).fetchall()[0][0]
    if version:
        raise ExtractError(path, None, LEGACY_MESSAGE.format(version=version))


def _category_codes(path: Path, name: str, spec: dict, size: int) -> list[str]:
    """Category codes of one dimension in position order (index as object or array, or a single label)."""
    where = f"'dimension.{name}"

    def refuse(problem: str) -> ExtractError:
        return ExtractError(path, None, problem)

    if "label" in spec and not isinstance(spec["label"], str):
        raise refuse(f"{where}.label' must be a string, not {_shown(spec['label'])}")
    category = spec.get("category", MISSING)
    if not isinstance(category, dict):
        shown = "missing" if category is MISSING else _shown(category)
        raise refuse(f"{where}.category' must be an object, not {shown}")
    labels = category.get("label")
    if labels is not None:
        if not isinstance(labels, dict):
            raise refuse(f"{where}.category.label' must be an object, not {_shown(labels)}")
        for code, label in labels.items():
            if not isinstance(label, str):
                raise refuse(
                    f"{where}.category.label' of {code!r} is {_shown(label)}, not a string"
                )
    index = category.get("index", MISSING)
    if isinstance(index, list):
        if len(index) != size:
            raise refuse(f"{where}.category.index' has {len(index)} categories, 'size' says {size}")
        for pos, code in enumerate(index):
            if not isinstance(code, str):
                raise refuse(f"{where}.category.index' entry {pos} is {_shown(code)}, not a code")
        codes = list(index)
    elif isinstance(index, dict):
        if len(index) != size:
            raise refuse(f"{where}.category.index' has {len(index)} categories, 'size' says {size}")
        placed: list[str | None] = [None] * size
        for code, pos in index.items():
            if not _is_count(pos) or not 0 <= pos < size:
                raise refuse(
                    f"dimension {name}: category {code!r} has position {_shown(pos)} outside 0..{size - 1}"
                )
            if placed[pos] is not None:
                raise refuse(
                    f"{where}.category.index' gives position {pos} to both {placed[pos]!r} and {code!r}"
                )
            placed[pos] = code
        codes = [c for c in placed if c is not None]
    elif index is MISSING and size == 1 and labels and len(labels) == 1:
        codes = list(labels)  # JSON-stat: a single category may be given by its label alone
    elif index is MISSING:
        raise refuse(f"dimension {name} has no category index ({where}.category.index' is missing)")
    else:
        raise refuse(
            f"{where}.category.index' must be an array or an object of codes, not {_shown(index)}"
        )
    twice = len(set(codes)) != len(codes)
    if twice:
        code = next(c for k, c in enumerate(codes) if c in codes[:k])
        raise refuse(f"{where}.category.index' lists category {code!r} twice")
    return codes


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
                f"'{key}' entry {raw} is {_shown(json.loads(entry))}, not {noun} or null",
            )
        cast = "entry::double" if key == "value" else "entry->>'$'"
        con.execute(
            f"""create or replace temp table {table} as
                select {index} as idx, {cast} as entry from {typed} where kind <> 'NULL'"""
        )
    finally:
        drop_scratch(con, f"table {typed}", f"table {parsed}")
