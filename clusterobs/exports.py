"""The Parquet export of the marts: one file per mart, or a Hive-partitioned folder for the large ones
(`<mart>/year=2019/data_0.parquet`), ZSTD, rows in a fixed order, and `_manifest.json` describing it all.

The export is written into the run's own folder and becomes visible only when the run is published
(one atomic rename, clusterobs/publish.py), so readers never see half an export.
"""

from __future__ import annotations

import hashlib
import json
import os
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from clusterobs.catalog import relation_columns
from clusterobs.failpoints import failpoint
from clusterobs.loads import loaded_checksums, loaded_updated_stamp
from clusterobs.transforms.duckdb_results import scalar
from clusterobs.transforms.readers.observations import quoted, sql_literal

MANIFEST = "_manifest.json"
MANIFEST_VERSION = 1


def mart_tables(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Tables of schema marts, by name."""
    return [
        row[0]
        for row in con.execute(
            "select table_name from duckdb_tables() where schema_name = 'marts' order by table_name"
        ).fetchall()
    ]


def table_columns(con: duckdb.DuckDBPyConnection, table: str) -> list[dict[str, str]]:
    """[{name, type}] of a mart, in column order."""
    return [{"name": name, "type": dtype} for name, dtype in relation_columns(con, "marts", table)]


def file_entry(path: Path, root: Path) -> dict:
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    return {"path": str(path.relative_to(root)), "bytes": path.stat().st_size, "sha256": digest}


def export_marts(
    con: duckdb.DuckDBPyConnection,
    out_dir: Path,
    run_id: str,
    partitioned: dict[str, list[str]],
) -> dict[str, int]:
    """Write every mart and the manifest into `out_dir`; returns rows per mart."""
    out_dir.mkdir(parents=True, exist_ok=True)
    tables = {}
    for table in mart_tables(con):
        columns = table_columns(con, table)
        by = [c for c in partitioned.get(table, []) if c in {col["name"] for col in columns}]
        if by:
            files = write_partitions(con, table, out_dir / table, by)
            path = f"{table}/"
        else:
            target = out_dir / f"{table}.parquet"
            con.execute(
                f"copy (select * from marts.{quoted(table)} order by all) to ? "
                "(format parquet, compression zstd)",
                [str(target)],
            )
            files = [target]
            path = target.name
        tables[table] = {
            "path": path,
            "partitioned_by": by,
            "rows": scalar(con, f"select count(*) from marts.{quoted(table)}"),
            "columns": columns,
            "grain": table_grain(con, table),
            "files": [file_entry(f, out_dir) for f in files],
        }
        failpoint("export")
    manifest = {
        "manifest_version": MANIFEST_VERSION,
        "run_id": run_id,
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "tables": tables,
        "sources": source_stamps(con),
    }
    (out_dir / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return {table: entry["rows"] for table, entry in tables.items()}


def write_partitions(
    con: duckdb.DuckDBPyConnection, table: str, folder: Path, by: list[str]
) -> list[Path]:
    """One file per partition (`<col>=<value>/.../data_0.parquet`), each written on its own so that its
    rows keep the table's order (a single partitioned COPY interleaves threads' rows)."""
    keys = ", ".join(quoted(c) for c in by)
    files = []
    for values in con.execute(
        f"select distinct {keys} from marts.{quoted(table)} order by all"
    ).fetchall():
        if any(v is None for v in values):
            raise ValueError(f"marts.{table}: NULL in partition column(s) {by}")
        target = folder.joinpath(*(f"{c}={v}" for c, v in zip(by, values, strict=True)))
        target.mkdir(parents=True, exist_ok=True)
        where = " and ".join(f"{quoted(c)} = ?" for c in by)
        con.execute(
            f"copy (select * exclude ({keys}) from marts.{quoted(table)} where {where} order by all) "
            "to ? (format parquet, compression zstd)",
            [*values, str(target / "data_0.parquet")],
        )
        files.append(target / "data_0.parquet")
    return files


def table_grain(con: duckdb.DuckDBPyConnection, table: str) -> str | None:
    """The model's stated grain (`One row per ...`), from the table comment the model runner wrote."""
    comment = scalar(
        con,
        "select comment from duckdb_tables() where schema_name = 'marts' and table_name = ?",
        [table],
    )
    _, found, grain = (comment or "").rpartition("Grain: ")
    return grain.strip() if found else None


def source_stamps(con: duckdb.DuckDBPyConnection) -> dict[str, dict]:
    """Per loaded dataset: Eurostat's `updated` stamp and the checksums of the extracts behind the marts."""
    datasets = [
        row[0]
        for row in con.execute(
            "select table_name from duckdb_tables() where schema_name = 'raw' order by table_name"
        ).fetchall()
    ]
    return {
        dataset: {
            "eurostat_updated": loaded_updated_stamp(con, dataset),
            "extract_sha256": sorted(loaded_checksums(con, dataset)),
        }
        for dataset in datasets
    }


def export_problems(parquet_dir: str | os.PathLike) -> list[str]:
    """What does not match the manifest in an export folder: a file missing, changed (size or SHA-256) or
    not listed; empty when every published file is the one the run wrote."""
    parquet_dir = Path(parquet_dir)
    try:
        manifest = read_manifest(parquet_dir)
    except (OSError, ValueError) as exc:
        return [f"{parquet_dir / MANIFEST}: cannot be read ({exc})"]
    problems = []
    listed = {MANIFEST}
    for table, entry in sorted(manifest["tables"].items()):
        for file in entry["files"]:
            listed.add(file["path"])
            path = parquet_dir / file["path"]
            if not path.is_file():
                problems.append(f"{table}: {file['path']} is missing")
            elif path.stat().st_size != file["bytes"]:
                problems.append(
                    f"{table}: {file['path']} has {path.stat().st_size} bytes, not {file['bytes']}"
                )
            elif hashlib.sha256(path.read_bytes()).hexdigest() != file["sha256"]:
                problems.append(f"{table}: {file['path']} has changed (SHA-256 differs)")
    for path in sorted(p for p in parquet_dir.rglob("*") if p.is_file()):
        relative = str(path.relative_to(parquet_dir))
        if relative not in listed:
            problems.append(f"{relative} is not in the manifest")
    return problems


def read_manifest(parquet_dir: str | os.PathLike) -> dict:
    """The manifest of an export folder."""
    return json.loads((Path(parquet_dir) / MANIFEST).read_text(encoding="utf-8"))


def manifest_entry(parquet_dir: str | os.PathLike, table: str) -> dict:
    """The manifest's entry of one exported mart; ValueError naming the marts there when it has none."""
    tables = read_manifest(parquet_dir)["tables"]
    if table not in tables:
        raise ValueError(
            f"no mart {table!r} in {Path(parquet_dir) / MANIFEST} (there: {', '.join(sorted(tables))})"
        )
    return tables[table]


def parquet_glob(parquet_dir: str | os.PathLike, table: str) -> str:
    """A path pattern reading one exported mart (a file, or every file of its partition folders)."""
    parquet_dir = Path(parquet_dir)
    entry = manifest_entry(parquet_dir, table)
    if entry["partitioned_by"]:
        return str(parquet_dir / entry["path"] / "**" / "*.parquet")
    return str(parquet_dir / entry["path"])


POLARS_TYPES = {"TINYINT": "Int8", "SMALLINT": "Int16", "INTEGER": "Int32", "BIGINT": "Int64",
                "VARCHAR": "String", "BOOLEAN": "Boolean", "DOUBLE": "Float64"}  # fmt: skip


def read_parquet_sql(parquet_dir: str | os.PathLike, table: str) -> str:
    """A DuckDB `read_parquet(...)` expression for one exported mart, partition columns typed as in the
    warehouse (a Hive path holds only text)."""
    parquet_dir = Path(parquet_dir)
    entry = manifest_entry(parquet_dir, table)
    pattern = sql_literal(parquet_glob(parquet_dir, table))
    if not entry["partitioned_by"]:
        return f"read_parquet({pattern})"
    types = {c["name"]: c["type"] for c in entry["columns"]}
    unknown = {types[c] for c in entry["partitioned_by"]} - POLARS_TYPES.keys()
    if (
        unknown
    ):  # the manifest is a file on disk: its types are checked, never pasted in as they are
        raise ValueError(
            f"{parquet_dir / MANIFEST}: unexpected partition column type {sorted(unknown)}"
        )
    hive = ", ".join(f"{sql_literal(c)}: {types[c]}" for c in entry["partitioned_by"])
    return f"read_parquet({pattern}, hive_partitioning = true, hive_types = {{{hive}}})"


def read_polars(parquet_dir: str | os.PathLike, table: str):
    """One exported mart as a Polars frame, with the warehouse's column order and partition column types."""
    import polars as pl

    entry = manifest_entry(parquet_dir, table)
    names = [c["name"] for c in entry["columns"]]
    if not entry["partitioned_by"]:
        return pl.read_parquet(parquet_glob(parquet_dir, table))
    types = {c["name"]: c["type"] for c in entry["columns"]}
    schema = {c: getattr(pl, POLARS_TYPES[types[c]]) for c in entry["partitioned_by"]}
    frame = pl.read_parquet(
        parquet_glob(parquet_dir, table), hive_partitioning=True, hive_schema=schema
    )
    return frame.select(names)
