"""Per-country builds: the models marked `-- Partitioned: country` (the SBS cells, their imputation and
their allocation to cluster categories: the heaviest part of the build) built one country at a time on
workers, with partitioned Parquet as the exchange format.

    writer   export_inputs:  their staging inputs -> <exchange>/inputs/<relation>/country=XX/*.parquet,
                             ref and config inputs -> <exchange>/inputs/<relation>.parquet
    workers  build_country:  an in-memory DuckDB per country runs the same SQL models over those files
                             and writes each table to <exchange>/outputs/<relation>/country=XX.parquet
    writer   partitioned_select: the model's table is the union of its countries' files

No worker opens the warehouse: DuckDB has one writer per database file, and it stays the only one.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from clusterobs.models import Model, country_partitioned, discovered_models, run_model
from clusterobs.settings import Settings
from clusterobs.transforms.readers.observations import sql_literal
from clusterobs.warehouse import set_run_variables

COUNTRY_COLUMN = "country"


def inputs_of(partitioned: list[Model]) -> tuple[list[str], list[str]]:
    """(staging relations read by country, other source relations read whole) of the partitioned models."""
    built = {m.relation for m in partitioned}
    reads = sorted({d for m in partitioned for d in m.depends_on} - built)
    staging = [r for r in reads if r.startswith("staging.")]
    return staging, [r for r in reads if r not in staging]


def export_inputs(con: duckdb.DuckDBPyConnection, exchange: Path) -> list[str]:
    """Write the partitioned models' inputs to `exchange`; returns the countries found in them."""
    staging, whole = inputs_of(country_partitioned(discovered_models()))
    countries: set[str] = set()
    (exchange / "inputs").mkdir(parents=True, exist_ok=True)
    for relation in staging:
        target = exchange / "inputs" / relation
        con.execute(
            f"""copy (select *, left(geo_code, 2) as {COUNTRY_COLUMN} from {relation})
                to ? (format parquet, partition_by ({COUNTRY_COLUMN}), overwrite)""",
            [str(target)],
        )
        countries |= {p.name.split("=", 1)[1] for p in target.glob(f"{COUNTRY_COLUMN}=*")}
        # its columns, for a country absent from it (no partition folder)
        con.execute(f"copy (select * from {relation} limit 0) to ?", [f"{target}.empty.parquet"])
    for relation in whole:
        target = exchange / "inputs" / f"{relation}.parquet"
        con.execute(f"copy (select * from {relation}) to ? (format parquet)", [str(target)])
    return sorted(countries)


def build_country(country: str, exchange: Path, settings: Settings) -> dict[str, int | None]:
    """Build the partitioned models for one country from the exchange inputs (an in-memory DuckDB);
    writes each table model's rows to the exchange outputs; returns rows per model (None: a view)."""
    partitioned = country_partitioned(discovered_models())
    staging, whole = inputs_of(partitioned)
    inputs = exchange / "inputs"
    counts: dict[str, int | None] = {}
    config = {"memory_limit": settings.duckdb_memory_limit}
    with duckdb.connect(config=config) as con:
        set_run_variables(con, settings)
        for relation in staging + whole:
            con.execute(f"create schema if not exists {relation.split('.')[0]}")
        for relation in staging:
            own = inputs / relation / f"{COUNTRY_COLUMN}={country}"
            rows = (
                f"select * exclude ({COUNTRY_COLUMN}) from "
                f"read_parquet({sql_literal(f'{own}/*.parquet')}, hive_partitioning = true)"
                if own.is_dir()
                else f"select * from read_parquet({sql_literal(f'{inputs / relation}.empty.parquet')})"
            )
            con.execute(f"create view {relation} as {rows}")
        for relation in whole:
            con.execute(
                f"create view {relation} as select * from "
                f"read_parquet({sql_literal(f'{inputs / relation}.parquet')})"
            )
        for model in partitioned:
            counts[model.relation] = run_model(con, model)
            if model.materialized == "table":
                target = output_dir(exchange, model) / f"{COUNTRY_COLUMN}={country}.parquet"
                target.parent.mkdir(parents=True, exist_ok=True)
                con.execute(
                    f"copy (select * from {model.relation}) to ? (format parquet)", [str(target)]
                )
    return counts


def output_dir(exchange: Path, model: Model) -> Path:
    return exchange / "outputs" / model.relation


def partitioned_select(exchange: Path, model: Model) -> str:
    """SELECT of a partitioned table model's rows from its countries' files (for the writer)."""
    return f"select * from read_parquet({sql_literal(f'{output_dir(exchange, model)}/*.parquet')})"
