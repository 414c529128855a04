"""Cluster mapping, location quotients and stars on hand-computed fixture rows (trends:
test_cluster_trends.py)."""

from __future__ import annotations

import polars as pl
import pytest

from clusterobs.settings import Settings

from .sql_fixtures import chain_output, classic_profile, model_output, star_profiles_file

# Region A: total 1000 (T01 300, T02 100). Region B: total 3000 (T01 200, T02 900).
# Europe: total 4000, T01 500, T02 1000.
CELLS = pl.DataFrame(
    {
        "region_code": ["AT11", "AT11", "AT12", "AT12"],
        "country_code": ["AT"] * 4,
        "category_code": ["T01", "T02", "T01", "T02"],
        "year": [2019] * 4,
        "dataset": ["sbs_r_nuts06_r2"] * 4,
        "indicator_scheme": ["sbs_legacy"] * 4,
        "employment": [300.0, 100.0, 200.0, 900.0],
        "local_units": [30.0, 10.0, 20.0, 90.0],
        "wages_meur": [12.0, 3.0, 6.0, 27.0],
        "value_added_meur": [None, 6.0, None, None],
        "imputed_employment": [0.0, 10.0, 0.0, 0.0],
        "n_missing_employment_cells": [0] * 4,
        "n_confidential_employment_cells": [0, 1, 0, 0],
        "n_imputed_employment_cells": [0, 1, 0, 0],
        "has_break_flag": [False] * 4,
        "has_estimated_flag": [False] * 4,
        "has_provisional_flag": [False] * 4,
    }
)
TOTALS = pl.DataFrame(
    {
        "region_code": ["AT11", "AT12"],
        "country_code": ["AT", "AT"],
        "year": [2019, 2019],
        "dataset": ["sbs_r_nuts06_r2"] * 2,
        "indicator_scheme": ["sbs_legacy"] * 2,
        "total_employment": [1000.0, 3000.0],
        "total_local_units": [100.0, 300.0],
        "total_wages_meur": [40.0, 90.0],
        "traded_employment": [400.0, 1100.0],
    }
)
INPUTS = {
    "intermediate.int_cluster_region_year__harmonised": CELLS,
    "intermediate.int_region_year__totals": TOTALS,
}
EMPTY_INDICATORS = pl.DataFrame(
    schema={
        "region_code": pl.String,
        "year": pl.Int16,
        "indicator_code": pl.String,
        "value": pl.Float64,
    }
)
CLUSTER_MODELS = [
    "intermediate.int_cluster_region_year__measured",
    "marts.fct_cluster_stars",
    "marts.fct_cluster_region_year",
]


def cluster_rows(tmp_path, profiles: str | None = None, **settings) -> dict[tuple[str, str], dict]:
    """fct_cluster_region_year on the fixture cells, with median classic stars unless told otherwise
    (T02, Agricultural Inputs and Services, lies mostly outside the legacy SBS scope: the star tests count
    it in unless they say otherwise)."""
    settings.setdefault("min_category_scope_share", 0.0)
    path = star_profiles_file(tmp_path, profiles or classic_profile(size=0.5, focus=0.5))
    inputs = {**INPUTS, "intermediate.int_ecosystem_indicators__harmonised": EMPTY_INDICATORS}
    out = chain_output(tmp_path, CLUSTER_MODELS, inputs, Settings(star_profiles=path, **settings))
    return by_key(out)


def by_key(frame: pl.DataFrame) -> dict[tuple[str, str], dict]:
    return {(r["region_code"], r["category_code"]): r for r in frame.iter_rows(named=True)}


def test_location_quotient_and_shares_match_hand_computation(tmp_path):
    rows = cluster_rows(tmp_path)
    assert rows["AT11", "T01"]["lq"] == pytest.approx((300 / 1000) / (500 / 4000))  # 2.4
    assert rows["AT11", "T02"]["lq"] == pytest.approx((100 / 1000) / (1000 / 4000))  # 0.4
    assert rows["AT12", "T01"]["lq"] == pytest.approx((200 / 3000) / (500 / 4000))
    assert rows["AT12", "T02"]["lq"] == pytest.approx((900 / 3000) / (1000 / 4000))  # 1.2
    assert rows["AT11", "T01"]["eu_category_employment"] == 500
    assert rows["AT11", "T01"]["eu_total_employment"] == 4000
    assert rows["AT11", "T01"]["focus_share"] == pytest.approx(0.3)
    assert rows["AT12", "T02"]["eu_category_share"] == pytest.approx(0.9)
    assert rows["AT11", "T01"]["avg_wage_eur"] == pytest.approx(12e6 / 300)
    assert rows["AT11", "T02"]["productivity_eur"] == pytest.approx(6e6 / 100)
    assert rows["AT11", "T01"]["productivity_eur"] is None  # no value added in the extracts


def test_classic_stars_on_hand_computed_thresholds(tmp_path):
    rows = cluster_rows(tmp_path)
    # Size: median employment T01 = 250 -> AT11 (300); T02 = 500 -> AT12 (900).
    # Specialisation: LQ >= 2 only for AT11-T01 (2.4).
    # Focus: median share T01 = (0.3 + 0.0667)/2 -> AT11; T02 = (0.1 + 0.3)/2 -> AT12.
    expected = {
        ("AT11", "T01"): (1, 1, 1, 3),
        ("AT11", "T02"): (0, 0, 0, 0),
        ("AT12", "T01"): (0, 0, 0, 0),
        ("AT12", "T02"): (1, 0, 1, 2),
    }
    for key, stars in expected.items():
        row = rows[key]
        assert (
            row["size_star"],
            row["specialisation_star"],
            row["focus_star"],
            row["star_count"],
        ) == stars, key


def test_a_category_mostly_outside_the_sbs_scope_earns_no_star(tmp_path):
    # T02 (Agricultural Inputs and Services): 2 of its 6 NACE classes lie in the legacy SBS scope.
    rows = cluster_rows(tmp_path, min_category_scope_share=0.4)
    assert rows["AT12", "T02"]["scope_share"] == pytest.approx(1 / 3)
    assert rows["AT12", "T02"]["no_star_reason"] == "outside_dataset_scope"
    assert rows["AT12", "T02"]["star_count"] == 0
    assert rows["AT12", "T02"]["lq"] == pytest.approx(1.2)  # still measured, and shown
    assert rows["AT11", "T01"]["no_star_reason"] is None
    assert rows["AT11", "T01"]["star_count"] == 3


def test_a_mostly_estimated_cell_earns_no_star(tmp_path):
    # AT11-T02 has 10 of its 100 jobs estimated: no star above a 5 % allowance.
    rows = cluster_rows(tmp_path, max_imputed_share_for_stars=0.05)
    assert rows["AT11", "T02"]["no_star_reason"] == "mostly_estimated"
    rows = cluster_rows(tmp_path, max_imputed_share_for_stars=0.5)
    assert rows["AT11", "T02"]["no_star_reason"] is None


def test_the_european_reference_is_a_setting(tmp_path):
    # Europe = AT1 only: AT12 is measured against it but does not count in it.
    inputs_totals = TOTALS.with_columns(pl.Series("country_code", ["AT", "DE"]))
    cells = CELLS.with_columns(
        pl.when(pl.col("region_code") == "AT12")
        .then(pl.lit("DE"))
        .otherwise(pl.lit("AT"))
        .alias("country_code")
    )
    path = star_profiles_file(tmp_path, classic_profile(size=0.5, focus=0.5))
    inputs = {
        "intermediate.int_cluster_region_year__harmonised": cells,
        "intermediate.int_region_year__totals": inputs_totals,
        "intermediate.int_ecosystem_indicators__harmonised": EMPTY_INDICATORS,
    }
    out = chain_output(
        tmp_path,
        CLUSTER_MODELS,
        inputs,
        Settings(star_profiles=path, reference_countries=["AT"], min_category_scope_share=0),
    )
    rows = by_key(out)
    assert rows["AT11", "T01"]["eu_total_employment"] == 1000
    assert rows["AT11", "T01"]["eu_category_employment"] == 300
    assert rows["AT11", "T01"]["lq"] == pytest.approx(1.0)
    assert rows["AT12", "T02"]["lq"] == pytest.approx((900 / 3000) / (100 / 1000))
    assert not rows["AT12", "T02"]["is_in_reference"] and rows["AT11", "T02"]["is_in_reference"]
    # a region outside the reference has no share of it (AT12 holds 9 times Europe's T02)
    assert rows["AT12", "T02"]["eu_category_share"] is None
    assert rows["AT11", "T02"]["eu_category_share"] == pytest.approx(1.0)
    # a reference of fewer persons than lq_min_reference_employment gives no LQ (T02: 100 in AT11)
    out = chain_output(
        tmp_path,
        CLUSTER_MODELS,
        inputs,
        Settings(
            star_profiles=path,
            reference_countries=["AT"],
            min_category_scope_share=0,
            lq_min_reference_employment=200,
        ),
    )
    rows = by_key(out)
    assert rows["AT12", "T02"]["lq"] is None and rows["AT11", "T01"]["lq"] == pytest.approx(1.0)


def test_specialisation_threshold_is_configurable(tmp_path):
    rows = cluster_rows(tmp_path, classic_profile(size=0.5, lq=1.1, focus=0.5))
    assert [rows[k]["specialisation_star"] for k in sorted(rows)] == [1, 0, 0, 1]


def test_traded_lq_denominator(tmp_path):
    rows = cluster_rows(tmp_path, lq_denominator="traded")
    assert rows["AT11", "T01"]["lq"] == pytest.approx((300 / 400) / (500 / 1500))  # 2.25


def test_mapping_applies_allocation_weights_and_counts_missing_cells(tmp_path):
    # Leaves of int_sbs__imputed: C10 reported; C11 confidential and not estimable (its section unknown);
    # C1 is not a leaf (its children are in the data) and must not be counted again.
    cells = pl.DataFrame(
        {
            "region_code": ["AT11"] * 4,
            "country_code": ["AT"] * 4,
            "nace_code": ["C10", "C10", "C11", "C"],
            "nace_level": [2, 2, 2, 1],
            "parent_code": ["C", "C", "C", None],
            "year": [2019] * 4,
            "measure": ["employment", "local_units", "employment", "employment"],
            "value": [1000.0, 40.0, None, None],
            "reported_value": [1000.0, 40.0, None, None],
            "is_imputed": [False] * 4,
            "is_leaf": [True, True, True, False],
            "is_confidential": [False, False, True, True],
            "is_break": [False, False, False, True],
            "is_estimated": [False] * 4,
            "is_provisional": [False] * 4,
            "dataset": ["sbs_r_nuts06_r2"] * 4,
            "indicator_scheme": ["sbs_legacy"] * 4,
        }
    )
    mapping = pl.DataFrame(
        {
            "nace_code": ["C10", "C10", "C11", "C"],
            "category_code": ["T18", "T28", "T18", "T18"],
            "allocation_weight": [0.75, 0.25, 1.0, 0.5],
            "rationale": ["", "", "", ""],
        }
    )
    out = model_output(
        tmp_path,
        "intermediate.int_cluster_region_year__mapped",
        {
            "intermediate.int_sbs__imputed": cells,
            "ref.nace_cluster_mapping": mapping,
            "ref.nace_emerging_mapping": mapping.clear(),
        },
    )
    rows = {r["category_code"]: r for r in out.iter_rows(named=True)}
    assert rows["T18"]["employment"] == 750 and rows["T28"]["employment"] == 250
    assert rows["T18"]["local_units"] == 30 and rows["T28"]["local_units"] == 10
    assert (
        rows["T18"]["n_missing_employment_cells"] == 1
        and rows["T18"]["n_confidential_employment_cells"] == 1
    )
    assert rows["T28"]["n_missing_employment_cells"] == 0
    assert not rows["T18"][
        "has_break_flag"
    ]  # the section's flags are not counted: it is not a leaf
