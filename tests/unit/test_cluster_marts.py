"""Cluster mapping, stars, trends and ecosystem scores on hand-computed fixture rows."""

from __future__ import annotations

import math

import polars as pl
import pytest

from clusterobs.settings import Settings, TrendWindow

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
    inputs = {**INPUTS, "intermediate.int_ecosystem_indicators__computed": EMPTY_INDICATORS}
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
        "intermediate.int_ecosystem_indicators__computed": EMPTY_INDICATORS,
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


def trend_cells(
    values: dict[int, tuple[float | None, str, bool]],
    missing_cells: dict[int, int] | None = None,
    imputed_shares: dict[int, float] | None = None,
    zero_estimate_years: frozenset[int] = frozenset(),
) -> pl.DataFrame:
    """fct_cluster_region_year rows of AT11 x T01; `zero_estimate_years` have one cell estimated at 0."""
    years = sorted(values)
    shares = imputed_shares or {}
    return pl.DataFrame(
        {
            "region_code": ["AT11"] * len(years),
            "category_code": ["T01"] * len(years),
            "year": years,
            "employment": [values[y][0] for y in years],
            "indicator_scheme": [values[y][1] for y in years],
            "has_break_flag": [values[y][2] for y in years],
            "n_missing_employment_cells": [(missing_cells or {}).get(y, 0) for y in years],
            "imputed_employment_share": [shares.get(y, 0.0) for y in years],
            "imputed_employment": [shares.get(y, 0.0) * (values[y][0] or 0.0) for y in years],
            "n_imputed_employment_cells": [
                int(y in shares or y in zero_estimate_years) for y in years
            ],
            # Other measures follow employment: local units a tenth, wages 40 000 EUR a job, LQ 1 + e/1000.
            "local_units": [None if values[y][0] is None else values[y][0] / 10 for y in years],
            "wages_meur": [None if values[y][0] is None else values[y][0] * 0.04 for y in years],
            "avg_wage_eur": [40_000.0] * len(years),
            "lq": [None if values[y][0] is None else 1 + values[y][0] / 1000 for y in years],
            "size_star": [int(y >= 2020) for y in years],
            "specialisation_star": [int(y < 2016) for y in years],
            "focus_star": [0] * len(years),
        },
        schema_overrides={
            "size_star": pl.Int8,
            "specialisation_star": pl.Int8,
            "focus_star": pl.Int8,
        },
    )


def strong_judgements(strong_years: set[int], years: list[int]) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "region_code": ["AT11"] * len(years),
            "category_code": ["T01"] * len(years),
            "year": years,
            "profile": ["us-cmp-strong"] * len(years),
            "star": ["strong"] * len(years),
            "is_star": [y in strong_years for y in years],
        }
    )


def test_a_definition_that_differs_at_one_endpoint_is_a_break(tmp_path):
    # Eurostat flags cells d (definition differs) in 2008-2009 only, as it does Stuttgart's motor-vehicle
    # local units in the 2017 sbs_r_nuts06_r2: no growth from 2009 to 2010, growth within either side.
    cells = trend_cells(
        {2008: (100.0, "sbs_legacy", False), 2009: (110.0, "sbs_legacy", False),
         2010: (400.0, "sbs_legacy", False), 2011: (420.0, "sbs_legacy", False)},
    ).with_columns(pl.col("year").is_in([2008, 2009]).alias("has_definition_flag"))  # fmt: skip
    windows = [(2008, 2009), (2009, 2010), (2010, 2011), (2008, 2011)]
    out = model_output(
        tmp_path,
        "marts.fct_cluster_trends",
        {
            "marts.fct_cluster_region_year": cells,
            "marts.fct_cluster_stars": strong_judgements(set(), cells["year"].to_list()),
            "intermediate.int_trend_windows__resolved": pl.DataFrame(
                {
                    "window_start": [w[0] for w in windows],
                    "window_end": [w[1] for w in windows],
                    "window_kind": ["explicit"] * len(windows),
                },
                schema_overrides={"window_start": pl.Int16, "window_end": pl.Int16},
            ),
        },
    )
    rows = {(r["window_start"], r["window_end"]): r for r in out.iter_rows(named=True)}
    assert (
        rows[2009, 2010]["break_reason"] == rows[2008, 2011]["break_reason"] == "definition_differs"
    )
    assert rows[2009, 2010]["employment_cagr"] is None
    assert rows[2008, 2009]["employment_cagr"] == pytest.approx(0.10)
    assert rows[2010, 2011]["employment_cagr"] == pytest.approx(0.05)


def test_cagr_and_break_reasons(tmp_path):
    legacy, ebs = "sbs_legacy", "sbs_ebs"
    cells = trend_cells(
        {
            2015: (100.0, legacy, False),
            2016: (110.0, legacy, False),
            2017: (120.0, legacy, True),  # break flagged in 2017
            2018: (130.0, legacy, False),
            2019: (150.0, legacy, False),
            2020: (161.051, legacy, False),
            2021: (170.0, ebs, False),
            2022: (175.0, ebs, False),
            2023: (None, ebs, False),
        },
        missing_cells={2022: 1},
        imputed_shares={2019: 0.6, 2018: 0.1},
    )
    windows = [
        TrendWindow(start=2018, end=2020),
        TrendWindow(start=2015, end=2016),
        TrendWindow(start=2015, end=2020),
        TrendWindow(start=2020, end=2021),
        TrendWindow(start=2021, end=2023),
        TrendWindow(start=2010, end=2015),
        TrendWindow(start=2021, end=2022),
        TrendWindow(start=2019, end=2020),
    ]
    out = model_output(
        tmp_path,
        "marts.fct_cluster_trends",
        {
            "marts.fct_cluster_region_year": cells,
            "marts.fct_cluster_stars": strong_judgements({2020}, cells["year"].to_list()),
            "intermediate.int_trend_windows__resolved": pl.DataFrame(
                {
                    "window_start": [w.start for w in windows],
                    "window_end": [w.end for w in windows],
                    "window_kind": ["explicit"] * len(windows),
                },
                schema_overrides={"window_start": pl.Int16, "window_end": pl.Int16},
            ),
        },
    )
    rows = {(r["window_start"], r["window_end"]): r for r in out.iter_rows(named=True)}
    window = rows[2018, 2020]
    assert window["local_units_cagr"] == pytest.approx(math.sqrt(16.1051 / 13) - 1)
    assert window["local_units_change"] == pytest.approx(3.1051)
    assert window["wages_cagr"] == pytest.approx(math.sqrt(161.051 / 130) - 1)
    assert window["avg_wage_cagr"] == pytest.approx(0.0)
    assert window["lq_change"] == pytest.approx(0.031051)
    assert (window["stars_gained"], window["stars_lost"]) == (1, 0)  # size star won in 2020
    assert window["strong_cluster_transition"] == "entered"
    assert (rows[2015, 2016]["stars_gained"], rows[2015, 2016]["stars_lost"]) == (0, 1)
    assert rows[2015, 2016]["strong_cluster_transition"] == "never"
    assert rows[2020, 2021]["lq_change"] is None  # no change across the regime break
    assert rows[2018, 2020]["employment_cagr"] == pytest.approx(math.sqrt(161.051 / 130) - 1)
    assert rows[2018, 2020]["employment_change"] == pytest.approx(31.051)
    assert rows[2015, 2016]["employment_cagr"] == pytest.approx(0.10)
    assert (
        rows[2015, 2020]["break_reason"] == "break_in_series"
        and rows[2015, 2020]["employment_cagr"] is None
    )
    assert rows[2020, 2021]["break_reason"] == "sbs_regime_change_2020_2021"
    assert (
        rows[2020, 2021]["employment_cagr"] is None
        and rows[2020, 2021]["employment_change"] is None
    )
    assert rows[2021, 2023]["break_reason"] == "missing_endpoint"
    assert rows[2010, 2015]["break_reason"] == "window_outside_data"
    assert rows[2021, 2022]["break_reason"] == "suppressed_cells_at_endpoint"
    assert rows[2021, 2022]["employment_cagr"] is None
    # 60 % of 2019's employment was estimated (above trend_max_imputed_share, 25 %); 10 % in 2018 is fine
    assert rows[2019, 2020]["break_reason"] == "imputed_endpoint"
    assert rows[2019, 2020]["employment_cagr"] is None


def test_relative_trend_windows_resolve_against_the_data_years(tmp_path):
    mapped = pl.DataFrame({"year": [2015, 2016, 2018, 2019, 2020]}, schema={"year": pl.Int16})
    settings = Settings(
        trend_windows=[TrendWindow(start=2015, end=2020), TrendWindow(start=2016, end=2019)],
        trend_last_years=[4, 10],
        trend_full_span=True,
        trend_year_on_year=True,
    )
    out = model_output(
        tmp_path,
        "intermediate.int_trend_windows__resolved",
        {"intermediate.int_cluster_region_year__mapped": mapped},
        settings,
    )
    windows = {
        (r["window_start"], r["window_end"]): r["window_kind"] for r in out.iter_rows(named=True)
    }
    assert windows == {
        (2015, 2020): "explicit,full_span",  # named twice, listed once
        (2016, 2019): "explicit",
        (2016, 2020): "last_4_years",
        (2015, 2016): "year_on_year",
        (2018, 2019): "year_on_year",  # 2016-2017 and 2017-2018: no data in 2017
        (2019, 2020): "year_on_year",
    }  # last 10 years reach before the data: left out


def test_region_trends_on_hand_computed_totals(tmp_path):
    totals = pl.DataFrame(
        {
            "region_code": ["AT11"] * 4,
            "year": [2015, 2020, 2021, 2023],
            "indicator_scheme": ["sbs_legacy", "sbs_legacy", "sbs_ebs", "sbs_ebs"],
            "total_employment": [1000.0, 1200.0, 1500.0, 1600.0],
            "total_wages_meur": [30.0, 40.0, 50.0, 60.0],
        },
        schema_overrides={"year": pl.Int16},
    )
    scores = pl.DataFrame(
        {
            "region_code": ["AT11", "AT11"],
            "year": [2015, 2021],
            "dimension": ["overall", "overall"],
            "composite_index": [90.0, 110.0],
        },
        schema_overrides={"year": pl.Int16},
    )
    windows = pl.DataFrame(
        {
            "window_start": [2015, 2021, 2015],
            "window_end": [2020, 2023, 2021],
            "window_kind": ["explicit"] * 3,
        },
        schema_overrides={"window_start": pl.Int16, "window_end": pl.Int16},
    )
    out = model_output(
        tmp_path,
        "marts.fct_region_trends",
        {
            "intermediate.int_region_year__totals": totals,
            "marts.fct_ecosystem_scoreboard": scores,
            "intermediate.int_trend_windows__resolved": windows,
        },
    )
    rows = {(r["window_start"], r["window_end"]): r for r in out.iter_rows(named=True)}
    assert rows[2015, 2020]["employment_cagr"] == pytest.approx(1.2 ** (1 / 5) - 1)
    assert rows[2015, 2020]["employment_change"] == 200
    assert rows[2015, 2020]["wages_cagr"] == pytest.approx((40 / 30) ** (1 / 5) - 1)
    assert rows[2021, 2023]["employment_cagr"] == pytest.approx((1600 / 1500) ** 0.5 - 1)
    crossing = rows[2015, 2021]
    assert crossing["break_reason"] == "sbs_regime_change_2020_2021"
    assert crossing["employment_cagr"] is None and crossing["employment_change"] is None
    assert (
        crossing["scoreboard_index_change"] == 20
    )  # the scoreboard does not depend on the SBS regime


def trend_rows(tmp_path, cells: pl.DataFrame, windows: list[tuple[int, int]], recoded=()) -> dict:
    """fct_cluster_trends on fixture cells, by window."""
    out = model_output(
        tmp_path,
        "marts.fct_cluster_trends",
        {
            "marts.fct_cluster_region_year": cells,
            "marts.fct_cluster_stars": strong_judgements(set(), cells["year"].to_list()),
            "intermediate.int_nuts_regions__recoded": pl.DataFrame(
                {"region_code": list(recoded)}, schema={"region_code": pl.String}
            ),
            "intermediate.int_trend_windows__resolved": pl.DataFrame(
                {
                    "window_start": [a for a, _ in windows],
                    "window_end": [b for _, b in windows],
                    "window_kind": ["explicit"] * len(windows),
                },
                schema_overrides={"window_start": pl.Int16, "window_end": pl.Int16},
            ),
        },
    )
    return {(r["window_start"], r["window_end"]): r for r in out.iter_rows(named=True)}


def test_an_endpoint_with_a_cell_estimated_at_zero_gives_no_growth(tmp_path):
    legacy = "sbs_legacy"
    cells = trend_cells(
        {2015: (100.0, legacy, False), 2016: (6.0, legacy, False), 2017: (110.0, legacy, False)},
        zero_estimate_years=frozenset({2016}),
    )
    rows = trend_rows(tmp_path, cells, [(2015, 2016), (2016, 2017), (2015, 2017)])
    assert (
        rows[2015, 2016]["break_reason"] == rows[2016, 2017]["break_reason"] == "imputed_endpoint"
    )
    assert rows[2016, 2017]["employment_cagr"] is None
    assert rows[2015, 2017]["employment_cagr"] == pytest.approx(1.1**0.5 - 1)


def test_nuts_recode_breaks_unless_the_region_is_bridged(tmp_path):
    legacy = "sbs_legacy"
    values = {y: (100.0 + y - 2015, legacy, False) for y in range(2015, 2021)}
    cells = trend_cells(values | {2019: (None, legacy, False)})  # no 2019 value
    conversion = {2015: "split", 2016: "unbridged", 2017: "unchanged"}
    cells = cells.with_columns(
        pl.col("year").replace_strict(conversion, default="unchanged").alias("nuts_conversion")
    )
    windows = [(2015, 2017), (2016, 2017), (2017, 2018), (2018, 2019)]
    rows = trend_rows(tmp_path, cells, windows, recoded=["AT11"])
    bridged = rows[2015, 2017]  # a split shared by weights: growth, marked as converted
    assert bridged["break_reason"] is None and bridged["is_nuts_converted"]
    assert bridged["employment_cagr"] == pytest.approx(math.sqrt(102 / 100) - 1)
    assert rows[2016, 2017]["break_reason"] == "nuts_recode"  # unbridged endpoint
    assert rows[2016, 2017]["employment_cagr"] is None and rows[2016, 2017]["is_nuts_converted"]
    assert rows[2017, 2018]["break_reason"] is None and not rows[2017, 2018]["is_nuts_converted"]
    # A region touched by a revision with a missing endpoint: the recode, not plain missing data.
    assert rows[2018, 2019]["break_reason"] == "nuts_recode"
    (tmp_path / "plain").mkdir()
    plain = trend_rows(tmp_path / "plain", cells, [(2018, 2019)])
    assert plain[2018, 2019]["break_reason"] == "missing_endpoint"
