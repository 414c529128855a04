"""Cluster and region trends on hand-computed fixture rows: growth over windows, the reasons a window
has no growth (breaks, missing, suppressed or estimated endpoints, NUTS recodes), and window resolution."""

from __future__ import annotations

import math

import polars as pl
import pytest

from clusterobs.settings import Settings, TrendWindow

from .sql_fixtures import model_output


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
            "star_profile": ["us-cmp-strong"] * len(years),
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
    rows = trend_rows(tmp_path, cells, windows)
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


def region_trend_inputs(regions: list[str], scored_as: dict[str, str]) -> dict[str, pl.DataFrame]:
    """fct_region_trends' inputs: the same hand-made totals for each of `regions`, and overall scoreboard
    indexes (90 in 2015, 110 in 2021; 18.5 over the indicators both share) for the unit each is scored as."""
    units = sorted(set(scored_as.values()))
    totals = pl.DataFrame(
        {
            "region_code": [r for r in regions for _ in range(4)],
            "year": [2015, 2020, 2021, 2023] * len(regions),
            "indicator_scheme": ["sbs_legacy", "sbs_legacy", "sbs_ebs", "sbs_ebs"] * len(regions),
            "total_employment": [1000.0, 1200.0, 1500.0, 1600.0] * len(regions),
            "total_wages_meur": [30.0, 40.0, 50.0, 60.0] * len(regions),
        },
        schema_overrides={"year": pl.Int16},
    )
    scores = pl.DataFrame(
        {
            "region_code": [u for u in units for _ in range(2)],
            "year": [2015, 2021] * len(units),
            "dimension": ["overall"] * 2 * len(units),
            "composite_index": [90.0, 110.0] * len(units),
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
    changes = pl.DataFrame(  # over the indicators 2015 and 2021 share (fct_scoreboard_changes)
        {
            "region_code": units,
            "dimension": ["overall"] * len(units),
            "window_start": [2015] * len(units),
            "window_end": [2021] * len(units),
            "index_change": [18.5] * len(units),
            "n_common_indicators": [12] * len(units),
            "break_reason": [None] * len(units),
        },
        schema_overrides={
            "window_start": pl.Int16,
            "window_end": pl.Int16,
            "break_reason": pl.String,
        },
    )
    return {
        "intermediate.int_region_year__totals": totals,
        "marts.fct_ecosystem_scoreboard": scores,
        "marts.fct_scoreboard_changes": changes,
        "intermediate.int_trend_windows__resolved": windows,
    }


def test_region_trends_on_hand_computed_totals(tmp_path):
    inputs = region_trend_inputs(["AT11"], {"AT11": "AT11"})
    out = model_output(tmp_path, "marts.fct_region_trends", inputs)
    rows = {(r["window_start"], r["window_end"]): r for r in out.iter_rows(named=True)}
    assert rows[2015, 2020]["employment_cagr"] == pytest.approx(1.2 ** (1 / 5) - 1)
    assert rows[2015, 2020]["employment_change"] == 200
    assert rows[2015, 2020]["wages_cagr"] == pytest.approx((40 / 30) ** (1 / 5) - 1)
    assert rows[2021, 2023]["employment_cagr"] == pytest.approx((1600 / 1500) ** 0.5 - 1)
    crossing = rows[2015, 2021]
    assert crossing["break_reason"] == "sbs_regime_change_2020_2021"
    assert crossing["employment_cagr"] is None and crossing["employment_change"] is None
    # the scoreboard does not depend on the SBS regime; its change is over the common indicators, which
    # is why it is not 110 - 90
    assert crossing["scoreboard_index_change"] == 18.5
    assert crossing["scoreboard_common_indicators"] == 12
    assert crossing["scoreboard_break_reason"] is None
    assert rows[2015, 2020]["scoreboard_index_change"] is None  # no composite in 2020
    assert rows[2015, 2020]["scoreboard_break_reason"] == "missing_endpoint"


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
