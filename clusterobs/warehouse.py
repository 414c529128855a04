"""The DuckDB warehouse: schemas, reference seeds, run configuration, raw loads with lineage, Parquet export."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import duckdb
import polars as pl

from clusterobs.settings import REFERENCE_DIR, Settings
from transforms.duckdb_results import first_row, scalar
from transforms.eurostat_tsv import observations_from_tsv

META_DDL = [
    "create schema if not exists raw",
    "create schema if not exists ref",
    "create schema if not exists config",
    "create schema if not exists meta",
    """create table if not exists meta.load_runs (
        run_id varchar primary key,
        started_at timestamptz,
        source varchar,
        status varchar,
        finished_at timestamptz
    )""",
    """create table if not exists meta.extracts (
        dataset varchar,
        extract_sha256 varchar,
        source_path varchar,
        bytes bigint,
        series bigint,
        observations bigint,
        values_present bigint,
        loaded_at timestamptz,
        load_run_id varchar,
        primary key (dataset, extract_sha256)
    )""",
    """create table if not exists meta.validation_results (
        run_id varchar,
        suite varchar,
        relation varchar,
        expectation varchar,
        column_name varchar,
        severity varchar,
        success boolean,
        observed_value varchar,
        unexpected_count bigint,
        unexpected_sample varchar
    )""",
]

REFERENCE_TABLES = {
    "nuts_2021": "nuts_2021.csv",
    "nace_rev2": "nace_rev2.csv",
    "cluster_categories": "cluster_categories.csv",
    "ecosystem_indicators": "ecosystem_indicators.csv",
}


@dataclass(frozen=True)
class LoadResult:
    """What loading one extract file did."""

    dataset: str
    path: str
    extract_sha256: str
    series: int
    observations: int
    values_present: int
    status: str  # "loaded" or "unchanged"


def connect(path: Path) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(str(path))
    for statement in META_DDL:
        con.execute(statement)
    return con


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def load_reference(con: duckdb.DuckDBPyConnection, cluster_mapping: Path) -> dict[str, int]:
    """(Re)load the reference seeds into schema ref; returns rows per table."""
    tables = {name: REFERENCE_DIR / file for name, file in REFERENCE_TABLES.items()}
    tables["nace_cluster_mapping"] = cluster_mapping
    counts = {}
    for name, path in tables.items():
        if not path.is_file():
            raise FileNotFoundError(f"reference table {name}: {path} not found")
        con.execute(
            f"create or replace table ref.{name} as select * from read_csv(?, header = true, auto_detect = true)",
            [str(path)],
        )
        counts[name] = scalar(con, f"select count(*) from ref.{name}")
    check_mapping(con, cluster_mapping)
    return counts


def check_mapping(con: duckdb.DuckDBPyConnection, path: Path) -> None:
    """Raise if a NACE code's allocation weights exceed 1 or name an unknown category."""
    over = first_row(
        con,
        """
        select nace_code, sum(allocation_weight) from ref.nace_cluster_mapping
        group by nace_code having sum(allocation_weight) > 1 + 1e-9 order by 1 limit 1
        """,
    )
    if over:
        raise ValueError(
            f"{path}: allocation weights of {over[0]} add up to {over[1]:g} (at most 1)"
        )
    unknown = first_row(
        con,
        """
        select m.category_code from ref.nace_cluster_mapping m
        anti join ref.cluster_categories c using (category_code) order by 1 limit 1
    """,
    )
    if unknown:
        raise ValueError(
            f"{path}: unknown category code {unknown[0]} (see data/reference/cluster_categories.csv)"
        )


def apply_run_config(con: duckdb.DuckDBPyConnection, settings: Settings) -> None:
    """Expose the run's methodological settings to the SQL models (variables and config tables)."""
    variables = {
        "lq_denominator": f"'{settings.lq_denominator}'",
        "size_top_share": f"{settings.stars.size_top_share!r}::double",
        "specialisation_min_lq": f"{settings.stars.specialisation_min_lq!r}::double",
        "focus_top_share": f"{settings.stars.focus_top_share!r}::double",
    }
    for name, literal in variables.items():
        con.execute(f"set variable {name} = {literal}")
    windows = pl.DataFrame(
        {
            "window_start": [w.start for w in settings.trend_windows],
            "window_end": [w.end for w in settings.trend_windows],
        },
        schema={"window_start": pl.Int16, "window_end": pl.Int16},
    )
    con.register("trend_windows_frame", windows)
    con.execute("create or replace table config.trend_windows as select * from trend_windows_frame")
    con.unregister("trend_windows_frame")


def load_extract(
    con: duckdb.DuckDBPyConnection, path: Path, dataset: str, run_id: str
) -> LoadResult:
    """Load one extract into raw.<dataset>, replacing that dataset's observations in one transaction.

    An extract whose checksum is already the loaded version of the dataset is not parsed again.
    """
    sha = file_sha256(path)
    current = first_row(
        con,
        """select e.series, e.observations, e.values_present from meta.extracts e
           where e.dataset = ? and e.extract_sha256 = ?
             and exists (select 1 from duckdb_tables() t where t.schema_name = 'raw' and t.table_name = ?)""",
        [dataset, sha, dataset],
    )
    if current and _loaded_version(con, dataset) == sha:
        return LoadResult(dataset, str(path), sha, *current, status="unchanged")
    frame = observations_from_tsv(path, dataset)
    series = frame["line_number"].n_unique()
    values_present = frame["value"].is_not_null().sum()
    frame = frame.with_columns(
        pl.lit(sha).alias("extract_sha256"), pl.lit(run_id).alias("load_run_id")
    )
    con.execute("begin transaction")
    try:
        con.register("extract_frame", frame)
        con.execute(f'create or replace table raw."{dataset}" as select * from extract_frame')
        con.unregister("extract_frame")
        con.execute(
            """insert or replace into meta.extracts
               values (?, ?, ?, ?, ?, ?, ?, now(), ?)""",
            [
                dataset,
                sha,
                str(path),
                path.stat().st_size,
                series,
                frame.height,
                values_present,
                run_id,
            ],
        )
        con.execute("commit")
    except Exception:
        con.execute("rollback")
        raise
    return LoadResult(
        dataset, str(path), sha, series, frame.height, values_present, status="loaded"
    )


def _loaded_version(con: duckdb.DuckDBPyConnection, dataset: str) -> str | None:
    row = first_row(con, f'select any_value(extract_sha256) from raw."{dataset}"')
    return row[0] if row else None


def export_marts(con: duckdb.DuckDBPyConnection, out_dir: Path) -> dict[str, int]:
    """Write every table of schema marts to <out_dir>/<table>.parquet (ZSTD, deterministic row order)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    tables = [
        row[0]
        for row in con.execute(
            "select table_name from duckdb_tables() where schema_name = 'marts' order by table_name"
        ).fetchall()
    ]
    counts = {}
    for table in tables:
        target = out_dir / f"{table}.parquet"
        con.execute(
            f"copy (select * from marts.{table} order by all) to '{target}' (format parquet, compression zstd)"
        )
        counts[table] = scalar(con, f"select count(*) from marts.{table}")
    return counts
