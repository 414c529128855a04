"""Reading a published run (the query, dictionary, report and validate commands): which run folder is
published, and a connection that cannot change it. Imports DuckDB and nothing heavier."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from datetime import date, datetime, time
from decimal import Decimal
from pathlib import Path

import duckdb

from clusterobs import publish

FETCH_ROWS = 10_000  # rows per fetch when a result is written out


def output_path(output_dir: Path) -> Path:
    """The output folder as an absolute path (relative to the working folder, as Settings.output_path)."""
    return output_dir if output_dir.is_absolute() else (Path.cwd() / output_dir).resolve()


def published_run(output_dir: Path) -> Path | None:
    """The published run folder of `output_dir` (its `current` link resolved once, so every file read is
    of the same run), or None when nothing is published."""
    folder = publish.published_run(output_path(output_dir))
    if folder is None or not (folder / publish.WAREHOUSE_FILE).is_file():
        return None
    return folder


def open_published(path: Path, allow_files: bool = False) -> duckdb.DuckDBPyConnection:
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


def _plain(value):
    """A value as CSV and JSON write it (ISO dates, numbers as numbers, true/false)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    return value


def write_csv(result: duckdb.DuckDBPyConnection, columns: list[str], out) -> int:
    """Write the result as CSV (header, then rows) to `out`; returns the rows written."""
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    count = 0
    for rows in batches(result):
        writer.writerows([["" if v is None else _plain(v) for v in row] for row in rows])
        count += len(rows)
    return count


def write_json(result: duckdb.DuckDBPyConnection, columns: list[str], out) -> int:
    """Write the result as a JSON array of row objects to `out`; returns the rows written."""
    count = 0
    out.write("[")
    for rows in batches(result):
        for row in rows:
            out.write(("," if count else "") + "\n")
            record = {
                c: (v if isinstance(v, bool) else _plain(v))
                for c, v in zip(columns, row, strict=True)
            }
            out.write(json.dumps(record, ensure_ascii=False, default=str))
            count += 1
    out.write("\n]\n" if count else "]\n")
    return count
