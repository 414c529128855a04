"""Star-rule fixtures: harmonised cells and region totals for one year, regional indicator values, and the
cluster models run on them under a star profile."""

from __future__ import annotations

import polars as pl

from clusterobs.settings import PROJECT_ROOT, Settings

from .sql_fixtures import chain_output, star_profiles_file

MEASURED = [
    "intermediate.int_cluster_region_year__measured",
    "marts.fct_cluster_stars",
    "marts.fct_cluster_region_year",
]


def cells_frame(employment: dict[tuple[str, str], float], local_units: dict | None = None):
    """int_cluster_region_year__harmonised rows for one year (wages 40 000 EUR per job) and region totals."""
    keys = list(employment)
    mapped = pl.DataFrame(
        {
            "region_code": [r for r, _ in keys],
            "country_code": [r[:2] for r, _ in keys],
            "category_code": [c for _, c in keys],
            "year": [2019] * len(keys),
            "dataset": ["sbs_r_nuts06_r2"] * len(keys),
            "indicator_scheme": ["sbs_legacy"] * len(keys),
            "employment": [employment[k] for k in keys],
            "local_units": [(local_units or {}).get(k, employment[k] / 10) for k in keys],
            "wages_meur": [employment[k] * 0.04 for k in keys],
            "value_added_meur": [employment[k] * 0.07 for k in keys],
            "imputed_employment": [0.0] * len(keys),
            "n_missing_employment_cells": [0] * len(keys),
            "n_confidential_employment_cells": [0] * len(keys),
            "n_imputed_employment_cells": [0] * len(keys),
            "has_break_flag": [False] * len(keys),
            "has_estimated_flag": [False] * len(keys),
            "has_provisional_flag": [False] * len(keys),
        },
        schema_overrides={"year": pl.Int16},
    )
    traded = mapped.group_by("region_code", "country_code").agg(
        pl.col("employment").sum().alias("traded_employment")
    )
    totals = traded.with_columns(
        pl.lit(2019, pl.Int16).alias("year"),
        pl.lit("sbs_r_nuts06_r2").alias("dataset"),
        pl.lit("sbs_legacy").alias("indicator_scheme"),
        (2 * pl.col("traded_employment")).alias("total_employment"),
        pl.lit(None, pl.Float64).alias("total_local_units"),
        pl.lit(None, pl.Float64).alias("total_wages_meur"),
    )
    return mapped, totals


def indicators(values: dict[str, float] | None = None, code: str = "berd_pc_gdp") -> pl.DataFrame:
    values = values or {}
    return pl.DataFrame(
        {
            "region_code": list(values),
            "year": [2019] * len(values),
            "indicator_code": [code] * len(values),
            "value": list(values.values()),
        },
        schema={
            "region_code": pl.String,
            "year": pl.Int16,
            "indicator_code": pl.String,
            "value": pl.Float64,
        },
    )


def run(tmp_path, mapped, totals, profiles: str, profile: str, regional=None, **kw):
    kw.setdefault("min_category_scope_share", 0.0)  # T02 lies mostly outside the legacy SBS scope
    kw.setdefault("lq_min_reference_employment", 0.0)  # the properties hold for any reference size
    path = star_profiles_file(tmp_path, profiles)
    inputs = {
        "intermediate.int_cluster_region_year__harmonised": mapped,
        "intermediate.int_region_year__totals": totals,
        "intermediate.int_ecosystem_indicators__harmonised": regional
        if regional is not None
        else indicators(),
    }
    settings_ = Settings(star_profiles=path, star_profile=profile, **kw)
    return chain_output(tmp_path, MEASURED, inputs, settings_)


def shipped_profiles() -> str:
    return (PROJECT_ROOT / "star_profiles.toml").read_text()


# Employment of six regions in two categories: LQs from 0.2 to 1.8, some cells specialised (LQ >= 1.5).
SIX_REGIONS = {
    (f"AT{11 + r}", c): float(jobs)
    for c, column in (
        ("T01", [900, 200, 600, 100, 500, 300]),
        ("T02", [100, 800, 200, 700, 300, 400]),
    )
    for r, jobs in enumerate(column)
}
