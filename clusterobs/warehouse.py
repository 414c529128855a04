"""The DuckDB warehouse: connection, schemas, reference seeds and mapping checks, the run's configuration
(variables and config.* tables). Raw loads: clusterobs/loads.py; the Dask exchange: clusterobs/parquet_exchange.py;
the run's records: clusterobs/run_records.py."""

from __future__ import annotations

from pathlib import Path

import duckdb
import polars as pl

from clusterobs.registry import run_years
from clusterobs.run_config import RunConfig
from clusterobs.settings import EU27, REFERENCE_DIR, Settings
from clusterobs.stars import performance_levels, star_rules
from clusterobs.transforms.duckdb_results import first_row, scalar

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
    "alter table meta.extracts add column if not exists landing_path varchar",
    "alter table meta.extracts add column if not exists format varchar",
    "alter table meta.extracts add column if not exists eurostat_updated varchar",
    "alter table meta.extracts add column if not exists fetched_at varchar",
    "alter table meta.extracts add column if not exists missing bigint",
    "alter table meta.extracts add column if not exists value_sum double",
    "alter table meta.extracts add column if not exists flag_counts json",
    "alter table meta.extracts add column if not exists notes json",
    """create table if not exists meta.run_datasets (
        run_id varchar,
        dataset varchar,
        status varchar,
        files integer,
        observations bigint,
        reason varchar
    )""",
    """create table if not exists meta.indicator_availability (
        run_id varchar,
        indicator_code varchar,
        dimension varchar,
        source_dataset varchar,
        status varchar,
        regions bigint,
        first_year smallint,
        last_year smallint,
        absent_datasets varchar
    )""",
    """create table if not exists meta.row_counts (
        run_id varchar,
        relation varchar,
        rows bigint
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

NUTS_VERSIONS = (2006, 2010, 2013, 2016, 2021, 2024)  # the shipped NUTS code lists
REFERENCE_TABLES = {
    **{f"nuts_{version}": f"nuts_{version}.csv" for version in NUTS_VERSIONS},
    "nuts_correspondence": "nuts_correspondence.csv",
    "nace_rev2": "nace_rev2.csv",
    "cluster_categories": "cluster_categories.csv",
    "ecosystem_indicators": "ecosystem_indicators.csv",
    "nace_aggregates": "nace_aggregates.csv",
    "code_aliases": "code_aliases.csv",
    "sbs_total_scopes": "sbs_total_scopes.csv",
    "geo_aggregates": "geo_aggregates.csv",
}


def connect(
    path: Path, memory_limit: str | None = None, ddl: bool = True
) -> duckdb.DuckDBPyConnection:
    """Open the warehouse (creating schemas and meta tables unless `ddl` is off, for a connection that runs
    beside a writer); work over `memory_limit` spills to disk."""
    con = duckdb.connect(str(path))
    if memory_limit:
        con.execute("set memory_limit = ?", [memory_limit])
    for statement in META_DDL if ddl else ():
        con.execute(statement)
    return con


def load_reference(
    con: duckdb.DuckDBPyConnection, cluster_mapping: Path, emerging_mapping: Path | None = None
) -> dict[str, int]:
    """(Re)load the reference seeds into schema ref; returns rows per table."""
    tables = {name: REFERENCE_DIR / file for name, file in REFERENCE_TABLES.items()}
    tables["nace_cluster_mapping"] = cluster_mapping
    tables["nace_emerging_mapping"] = (
        emerging_mapping or REFERENCE_DIR / "nace_emerging_mapping.csv"
    )
    counts = {}
    for name, path in tables.items():
        if not path.is_file():
            raise FileNotFoundError(f"reference table {name}: {path} not found")
        con.execute(
            f"create or replace table ref.{name} as select * from read_csv(?, header = true, auto_detect = true)",
            [str(path)],
        )
        counts[name] = scalar(con, f"select count(*) from ref.{name}")
    con.execute(
        "create or replace table ref.nuts_regions as "
        + " union all by name ".join(f"select * from ref.nuts_{v}" for v in NUTS_VERSIONS)
    )
    check_mapping(con, cluster_mapping)
    check_emerging_mapping(con, tables["nace_emerging_mapping"])
    return counts


def check_mapping(con: duckdb.DuckDBPyConnection, path: Path) -> None:
    """Raise if a NACE code's allocation weights exceed 1 or name an unknown category."""
    over = first_row(
        con,
        """
        select nace_code, sum(allocation_weight) from ref.nace_cluster_mapping
        group by nace_code having sum(allocation_weight) > 1 + 1e-6 order by 1 limit 1
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


def check_emerging_mapping(con: duckdb.DuckDBPyConnection, path: Path) -> None:
    """Raise if an emerging-industry weight is outside (0, 1] or names a code that is not emerging."""
    bad = first_row(
        con,
        """
        select m.nace_code, m.category_code, m.allocation_weight from ref.nace_emerging_mapping m
        left join ref.cluster_categories c using (category_code)
        where c.category_type is distinct from 'emerging' or not (m.allocation_weight > 0 and m.allocation_weight <= 1)
        order by 1, 2 limit 1
        """,
    )
    if bad:
        raise ValueError(
            f"{path}: {bad[0]} -> {bad[1]} (weight {bad[2]}): categories must be emerging industries "
            "(E01-E10 in data/reference/cluster_categories.csv) with weights in (0, 1]"
        )


def set_run_variables(con: duckdb.DuckDBPyConnection, settings: Settings) -> None:
    """The run's settings as DuckDB session variables, passed as parameters (never pasted into SQL);
    works on a read-only connection too."""
    variables = {
        "max_row_count_drift": (settings.max_row_count_drift, "double"),
        "lq_denominator": (settings.lq_denominator, "varchar"),
        "star_profile": (settings.star_profile, "varchar"),
        "trend_max_imputed_share": (settings.trend_max_imputed_share, "double"),
        "scoreboard_outlier_sd": (settings.scoreboard.outlier_sd, "double"),
        "scoreboard_max_carry_years": (settings.scoreboard.max_carry_years, "integer"),
        "scoreboard_leader_index": (settings.scoreboard.leader_index, "double"),
        "scoreboard_strong_index": (settings.scoreboard.strong_index, "double"),
        "scoreboard_moderate_index": (settings.scoreboard.moderate_index, "double"),
        "scoreboard_peer_count": (settings.scoreboard.peer_count, "integer"),
        "scoreboard_min_coverage": (settings.scoreboard.min_coverage, "double"),
        "scoreboard_nuts1_countries": (settings.scoreboard.nuts1_countries, "varchar[]"),
        "nuts_target_version": (settings.nuts_target_version, "smallint"),
        "nuts_split_rule": (settings.nuts_split_rule, "varchar"),
        "first_year": (settings.first_year or 0, "smallint"),
        "last_year": (settings.last_year or 9999, "smallint"),
        "reference_countries": (settings.reference_countries or [], "varchar[]"),
        "min_category_scope_share": (settings.min_category_scope_share, "double"),
        "imputation_split": (settings.imputation_split, "varchar"),
        "lq_min_reference_employment": (settings.lq_min_reference_employment, "double"),
        "region_year_min_cells_share": (settings.region_year_min_cells_share, "double"),
        "max_imputed_share_for_stars": (settings.max_imputed_share_for_stars, "double"),
        "star_max_carry_years": (settings.star_max_carry_years, "integer"),
    }
    for name, (value, sql_type) in variables.items():
        con.execute(f"set variable {name} = ?::{sql_type}", [value])


def apply_run_config(con: duckdb.DuckDBPyConnection, config: RunConfig) -> None:
    """Expose the run's methodological settings to the SQL models (variables and config tables)."""
    settings = config.settings
    # Models may be written in any row order (their threads need not wait for each other): nothing reads a
    # table's physical order, the export sorts every mart (`order by all`). A global setting: it lasts
    # while any connection to the database in this process is open, and never outlives the build.
    con.execute("set preserve_insertion_order = false")
    # DuckDB's common-subplan optimiser materialises a subquery that a model reads twice (in
    # int_sbs_estimates__computed, 9 million cells): scanning them twice is cheaper (5.7 s -> 4.7 s CPU).
    con.execute("set disabled_optimizers = 'common_subplan'")
    set_run_variables(con, settings)
    for table, frame in config_tables(config).items():
        con.register("config_frame", frame)
        con.execute(f"create or replace table config.{table} as select * from config_frame")
        con.unregister("config_frame")


def config_tables(config: RunConfig) -> dict[str, pl.DataFrame]:
    """The tables of schema `config` the models read, by name."""
    settings, registry = config.settings, config.registry
    year_spans = [
        run_years(spec, settings.first_year, settings.last_year) for spec in registry.values()
    ]
    spans = [("last_years", n) for n in settings.trend_last_years]
    spans += [("full_span", None)] if settings.trend_full_span else []
    spans += [("year_on_year", 1)] if settings.trend_year_on_year else []
    weights = settings.scoreboard.dimension_weights
    return {
        "registry": pl.DataFrame(
            {
                "dataset": list(registry),
                "start_year": [start for start, _ in year_spans],
                "end_year": [end for _, end in year_spans],
                "nuts_version": [spec.nuts_version for spec in registry.values()],
            },
            schema={
                "dataset": pl.String,
                "start_year": pl.Int16,
                "end_year": pl.Int16,
                "nuts_version": pl.Int16,
            },
        ),
        "trend_windows": pl.DataFrame(
            {
                "window_start": [w.start for w in config.trend_windows],
                "window_end": [w.end for w in config.trend_windows],
            },
            schema={"window_start": pl.Int16, "window_end": pl.Int16},
        ),
        "trend_spans": pl.DataFrame(
            spans, schema={"kind": pl.String, "years": pl.Int16}, orient="row"
        ),
        "star_rules": star_rules(config.star_profiles),
        "star_levels": performance_levels(config.star_profiles),
        "scoreboard_weights": pl.DataFrame(
            {
                "dimension": config.dimensions,
                "weight": [weights.get(d, 1.0) for d in config.dimensions],
            },
            schema={"dimension": pl.String, "weight": pl.Float64},
        ),
        "eu_aggregates": pl.DataFrame(
            {
                "geo_code": settings.scoreboard.eu_aggregates,
                "preference": range(1, len(settings.scoreboard.eu_aggregates) + 1),
            },
            schema={"geo_code": pl.String, "preference": pl.Int16},
        ),
        "peer_variables": pl.DataFrame(
            {"indicator_code": settings.scoreboard.peer_variables},
            schema={"indicator_code": pl.String},
        ),
    }


def nuts_codes(
    con: duckdb.DuckDBPyConnection,
    levels: list[int],
    countries: list[str] | None,
    version: int = 2021,
) -> list[str]:
    """NUTS codes of `version` (extra-regio included, so a split request loses nothing) at the given
    levels in `countries` (default: the EU-27), plus the codes of newer versions (Eurostat mixes
    versions in one dataset)."""
    rows = con.execute(
        """select distinct nuts_code from ref.nuts_regions
           where nuts_version >= ?
             and list_contains(?, nuts_level)
             and list_contains(?, country_code)
           order by nuts_code""",
        [version, levels, countries or EU27],
    ).fetchall()
    return [r[0] for r in rows]
