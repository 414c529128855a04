"""Run one SQL model on fixture rows in a fresh DuckDB file."""

from __future__ import annotations

from pathlib import Path

import duckdb
import polars as pl

from clusterobs import models, warehouse
from clusterobs.run_config import resolve_run_config
from clusterobs.settings import Settings

# Relations whose rows carry how a NUTS revision converted them; fixtures without those columns stand for
# rows no revision touched, and no region is recoded unless a test says so.
NUTS_CONVERTED = {
    "intermediate.int_cluster_region_year__harmonised",
    "intermediate.int_region_year__totals",
    "marts.fct_cluster_region_year",
}
NO_RECODED_REGIONS = {
    "intermediate.int_nuts_regions__recoded": pl.DataFrame(schema={"region_code": pl.String})
}


def sbs_staging(rows: list[tuple] | None = None) -> pl.DataFrame:
    """staging.stg_sbs_r_nuts06_r2 rows (geo, NACE code, year, measure, value): the columns the SBS
    intermediate models read."""
    rows = rows or []
    geos = [r[0] for r in rows]
    return pl.DataFrame(
        {
            "geo_code": geos,
            "nuts_level": [len(g) - 2 for g in geos],
            "is_extra_regio": [g.endswith("Z") for g in geos],
            "nace_code": [r[1] for r in rows],
            "is_business_economy_total": [r[1] == "B-N_S95_X_K" for r in rows],
            "year": [r[2] for r in rows],
            "measure": [r[3] for r in rows],
            "value": [r[4] for r in rows],
            "flags": [None if r[4] is not None else "c" for r in rows],
            "is_confidential": [r[4] is None for r in rows],
            "is_provisional": [False] * len(rows),
            "is_estimated": [False] * len(rows),
            "is_break": [False] * len(rows),
            "dataset": ["sbs_r_nuts06_r2"] * len(rows),
            "indicator_scheme": ["sbs_legacy"] * len(rows),
        },
        schema_overrides={
            "year": pl.Int16,
            "value": pl.Float64,
            "nuts_level": pl.Int32,
            "flags": pl.String,
        },
    )


def empty_sbs_inputs() -> dict[str, pl.DataFrame]:
    """No SBS staging rows and no estimated business-economy parts (models that read them see none)."""
    return {
        "staging.stg_sbs_r_nuts06_r2": sbs_staging(),
        "staging.stg_sbs_r_nuts2021": sbs_staging(),
        "intermediate.int_sbs_parts__estimated": pl.DataFrame(
            schema={
                "dataset": pl.String,
                "region_code": pl.String,
                "part_code": pl.String,
                "year": pl.Int16,
                "measure": pl.String,
                "value": pl.Float64,
                "published_value": pl.Float64,
                "is_estimated_part": pl.Boolean,
            }
        ),
    }


def with_nuts_defaults(name: str, frame: pl.DataFrame) -> pl.DataFrame:
    """The fixture with nuts_conversion 'unchanged' (and its own region as source) where it has none,
    region totals as Eurostat reported them where the fixture does not say how they were obtained, and no
    cell flagged d (definition differs) unless it says so."""
    if (
        name in ("intermediate.int_region_year__totals", "intermediate.int_region_year__reported")
        and "total_source" not in frame.columns
    ):
        frame = frame.with_columns(
            pl.lit("reported").alias("total_source"), pl.lit(0.0).alias("total_estimated_share")
        )
    flag_columns = {
        "intermediate.int_sbs__unioned": "is_definition_differs",
        "intermediate.int_sbs__imputed": "is_definition_differs",
        "intermediate.int_cluster_region_year__mapped": "has_definition_flag",
        "intermediate.int_cluster_region_year__harmonised": "has_definition_flag",
        "marts.fct_cluster_region_year": "has_definition_flag",
    }
    if name in flag_columns and flag_columns[name] not in frame.columns:
        frame = frame.with_columns(pl.lit(False).alias(flag_columns[name]))
    if name not in NUTS_CONVERTED or "nuts_conversion" in frame.columns:
        return frame
    extra = [pl.lit("unchanged").alias("nuts_conversion")]
    if "region_code" in frame.columns:
        extra.append(pl.col("region_code").alias("nuts_source_codes"))
    return frame.with_columns(extra)


def build_reference_models(con: duckdb.DuckDBPyConnection, inputs: dict[str, pl.DataFrame]) -> None:
    """Build the models made from reference and configuration tables alone (not given as fixtures)."""
    found = models.discovered_models()
    for model in models.ordered_models(found):
        sources = {d.split(".")[0] for d in model.depends_on}
        if model.relation not in inputs and sources <= {"ref", "config"}:
            models.run_model(con, model)


def load_fixtures(con: duckdb.DuckDBPyConnection, inputs: dict[str, pl.DataFrame]) -> None:
    """Each frame as table <schema>.<name> (replacing a view of that name)."""
    for name, frame in (NO_RECODED_REGIONS | inputs).items():
        con.execute(f"create schema if not exists {name.split('.')[0]}")
        drop_view(con, name)
        con.register("fixture", with_nuts_defaults(name, frame))
        con.execute(f"create or replace table {name} as select * from fixture")
        con.unregister("fixture")


def model_output(
    tmp_path: Path, relation: str, inputs: dict[str, pl.DataFrame], settings: Settings | None = None
) -> pl.DataFrame:
    """Output rows of one model given its input relations as frames (only that model runs; the shipped
    reference tables are loaded first, and a fixture named ref.<table> replaces one)."""
    con = warehouse.connect(tmp_path / "unit.duckdb")
    try:
        settings = settings or Settings()
        warehouse.apply_run_config(con, resolve_run_config(settings))
        warehouse.load_reference(con, settings.cluster_mapping_path, settings.emerging_mapping_path)
        load_fixtures(con, inputs)
        build_reference_models(con, inputs)
        model = models.discovered_models()[relation]
        models.run_model(con, model)
        return con.sql(f"select * from {relation}").pl()
    finally:
        con.close()


def drop_view(con: duckdb.DuckDBPyConnection, relation: str) -> None:
    """Drop `relation` if it is a view (a model materialised as a view, replaced here by fixture rows)."""
    schema, name = relation.split(".")
    views = con.execute(
        "select 1 from information_schema.tables where table_schema = ? and table_name = ? and table_type = 'VIEW'",
        [schema, name],
    ).fetchall()
    if views:
        con.execute(f"drop view {relation}")


def connect(tmp_path: Path) -> duckdb.DuckDBPyConnection:
    return warehouse.connect(tmp_path / "unit.duckdb")


def chain_output(
    tmp_path: Path,
    relations: list[str],
    inputs: dict[str, pl.DataFrame],
    settings: Settings | None = None,
) -> pl.DataFrame:
    """Output rows of the last of `relations`, each model run in order on the fixture inputs."""
    con = warehouse.connect(tmp_path / "unit.duckdb")
    try:
        settings = settings or Settings()
        warehouse.apply_run_config(con, resolve_run_config(settings))
        warehouse.load_reference(con, settings.cluster_mapping_path, settings.emerging_mapping_path)
        load_fixtures(con, inputs)
        build_reference_models(con, inputs)
        found = models.discovered_models()
        for relation in relations:
            models.run_model(con, found[relation])
        return con.sql(f"select * from {relations[-1]}").pl()
    finally:
        con.close()


def star_profiles_file(tmp_path: Path, text: str) -> Path:
    """A star_profiles.toml with the given profiles (tests pass their own thresholds)."""
    path = tmp_path / "star_profiles.toml"
    path.write_text(text)
    return path


def classic_profile(size: float = 0.9, lq: float = 2.0, focus: float = 0.9) -> str:
    """The eco-classic profile with the given size and focus quantiles and LQ threshold."""
    return f"""
[profiles.eco-classic]
performance_levels = [["basic", 1], ["medium", 2], ["high", 3]]
stars = [
  {{ name = "size", conditions = [{{ metric = "employment", threshold = "percentile_within_category", value = {size} }}] }},
  {{ name = "specialisation", conditions = [{{ metric = "lq", threshold = "absolute", value = {lq} }}] }},
  {{ name = "focus", conditions = [{{ metric = "focus_share", threshold = "percentile_within_category", value = {focus} }}] }},
]
"""
