"""Reading a published run (the query, dictionary, report and validate commands): which run folder is
published, and a connection that cannot change it. Imports DuckDB and nothing heavier."""

from __future__ import annotations

import csv
import json
import math
import os
from collections.abc import Iterator
from datetime import date, datetime, time
from decimal import Decimal
from pathlib import Path

import duckdb

from clusterobs import publish

FETCH_ROWS = 10_000  # rows per fetch when a result is written out
NON_FINITE = {"nan": "NaN", "inf": "Infinity", "-inf": "-Infinity"}  # JSON has no number for these


def output_path(output_dir: str | os.PathLike) -> Path:
    """The output folder as an absolute path (relative to the working folder, as Settings.output_path)."""
    output_dir = Path(output_dir)
    return output_dir if output_dir.is_absolute() else (Path.cwd() / output_dir).resolve()


def published_run(output_dir: str | os.PathLike) -> Path | None:
    """The published run folder of `output_dir` (its `current` link resolved once, so every file read is
    of the same run), or None when nothing is published."""
    folder = publish.published_run(output_path(output_dir))
    if folder is None or not (folder / publish.WAREHOUSE_FILE).is_file():
        return None
    return folder


def open_published(path: str | os.PathLike, allow_files: bool = False) -> duckdb.DuckDBPyConnection:
    """A read-only connection to a published warehouse for the user-facing read commands: it can write
    no file and, unless `allow_files`, read none but the warehouse (COPY, ATTACH, read_text and friends
    are refused); no extension is installed or loaded, and its configuration is locked."""
    return duckdb.connect(
        str(path),
        config={
            "access_mode": "READ_ONLY",
            "enable_external_access": allow_files,
            "autoinstall_known_extensions": False,
            "autoload_known_extensions": False,
            "allow_community_extensions": False,
            "lock_configuration": True,
        },
    )


def batches(result: duckdb.DuckDBPyConnection) -> Iterator[list[tuple]]:
    """The rows of an executed query, a batch at a time."""
    while rows := result.fetchmany(FETCH_ROWS):
        yield rows


def json_value(value):
    """A value as JSON holds it: numbers as numbers (NaN and infinities as text), true/false, ISO dates
    and times, blobs as DuckDB prints them (\\xAB), UUIDs and intervals as text; lists, structs and maps
    nested, their members converted alike."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else NON_FINITE[str(value)]
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, bytes | bytearray):
        return "".join(chr(b) if 32 <= b < 127 and b != 92 else f"\\x{b:02X}" for b in value)
    if isinstance(value, list | tuple):
        return [json_value(v) for v in value]
    if isinstance(value, dict):
        return {str(k): json_value(v) for k, v in value.items()}
    return str(value)  # UUID, timedelta (INTERVAL), ...


def text_value(value) -> str:
    """A value as one CSV or table cell: nested values (lists, structs, maps) as JSON text, NULL empty."""
    if value is None:
        return ""
    converted = json_value(value)
    if isinstance(converted, list | dict):
        return json.dumps(converted, ensure_ascii=False)
    if isinstance(converted, bool):
        return "true" if converted else "false"
    return str(converted)


def write_csv(result: duckdb.DuckDBPyConnection, columns: list[str], out) -> int:
    """Write the result as CSV (header, then rows) to `out`; returns the rows written."""
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    count = 0
    for rows in batches(result):
        writer.writerows([[text_value(v) for v in row] for row in rows])
        count += len(rows)
    return count


def write_json(result: duckdb.DuckDBPyConnection, columns: list[str], out) -> int:
    """Write the result as a JSON array of row objects to `out`; returns the rows written."""
    count = 0
    out.write("[")
    for rows in batches(result):
        for row in rows:
            out.write(("," if count else "") + "\n")
            record = {c: json_value(v) for c, v in zip(columns, row, strict=True)}
            out.write(json.dumps(record, ensure_ascii=False))
            count += 1
    out.write("\n]\n" if count else "]\n")
    return count


def write_parquet(relation: duckdb.DuckDBPyRelation, path: Path) -> int:
    """Write a query's rows to a Parquet file with DuckDB's writer (it holds every DuckDB type: intervals,
    unions ...); returns the rows written. The query runs where it was made; the writing connection,
    in memory, sees only its Arrow stream."""
    with duckdb.connect(config={"autoinstall_known_extensions": False}) as writer:
        writer.register("query_result", relation.to_arrow_reader(FETCH_ROWS))
        return writer.execute(
            "copy (select * from query_result) to ? (format parquet, compression zstd)", [str(path)]
        ).fetchone()[0]
