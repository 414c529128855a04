"""marts.fct_clusters_matter on hand-computed cases: within-category premium, shares of all jobs and wages,
growth windows that never cross a break, business demography by NACE section, and what is not computable."""

from __future__ import annotations

import polars as pl
import pytest

from .sql_fixtures import model_output

MEASURED = {
    "region_code": pl.String,
    "category_code": pl.String,
    "year": pl.Int16,
    "employment": pl.Float64,
    "wages_meur": pl.Float64,
}


def measured(rows: list[tuple]) -> pl.DataFrame:
    """int_cluster_region_year__measured rows: region, category, year, employment, wages (MEUR)."""
    return pl.DataFrame(rows, schema=MEASURED, orient="row").with_columns(
        pl.lit("sbs_legacy").alias("indicator_scheme")
    )


def stars(specialised: set[tuple[str, str, int]], cells: pl.DataFrame) -> pl.DataFrame:
    """fct_cluster_stars of profile p: one star s, earned by the `specialised` (region, category, year)."""
    keys = cells.select("region_code", "category_code", "year").unique()
    return keys.with_columns(
        pl.lit("p").alias("star_profile"),
        pl.lit("s").alias("star"),
        pl.Series(
            "is_star",
            [(r, c, y) in specialised for r, c, y in keys.iter_rows()],
            pl.Boolean,
        ),
    )


def totals(rows: dict[tuple[str, int], tuple[float, float]]) -> pl.DataFrame:
    """int_region_year__totals: (region, year) -> (business-economy employment, wages MEUR)."""
    return pl.DataFrame(
        {
            "region_code": [r for r, _ in rows],
            "year": [y for _, y in rows],
            "total_employment": [v[0] for v in rows.values()],
            "total_wages_meur": [v[1] for v in rows.values()],
        },
        schema_overrides={"year": pl.Int16},
    )


def trends(rows: list[tuple] | None = None) -> pl.DataFrame:
    """fct_cluster_trends: region, category, start, end, employment start/end, average wage start/end, break."""
    return pl.DataFrame(
        rows or [],
        schema={
            "region_code": pl.String,
            "category_code": pl.String,
            "window_start": pl.Int16,
            "window_end": pl.Int16,
            "employment_start": pl.Float64,
            "employment_end": pl.Float64,
            "avg_wage_eur_start": pl.Float64,
            "avg_wage_eur_end": pl.Float64,
            "break_reason": pl.String,
        },
        orient="row",
    )


def windows(pairs: list[tuple[int, int]] | None = None) -> pl.DataFrame:
    return pl.DataFrame(
        pairs or [],
        schema={"window_start": pl.Int16, "window_end": pl.Int16},
        orient="row",
    ).with_columns(pl.lit("explicit").alias("window_kind"))


def demography(rows: list[tuple] | None = None) -> pl.DataFrame:
    """stg_bd_hgnace2_r3: geo, NACE code, year, indicator, value."""
    frame = pl.DataFrame(
        rows or [],
        schema={
            "geo_code": pl.String,
            "nace_code": pl.String,
            "year": pl.Int16,
            "indicator_code": pl.String,
            "value": pl.Float64,
        },
        orient="row",
    )
    return frame.with_columns((pl.col("geo_code").str.len_chars() - 2).alias("nuts_level"))


def clusters_matter(tmp_path, cells, specialised, **inputs) -> dict[tuple[str, int, int], dict]:
    """fct_clusters_matter rows of profile p by (measure, window_start, window_end)."""
    frames = {
        "intermediate.int_cluster_region_year__measured": cells,
        "marts.fct_cluster_stars": stars(specialised, inputs.pop("star_cells", cells)),
        "intermediate.int_region_year__totals": inputs.pop("totals", totals({})),
        "marts.fct_cluster_trends": inputs.pop("trends", trends()),
        "intermediate.int_trend_windows__resolved": inputs.pop("windows", windows()),
        "staging.stg_bd_hgnace2_r3": inputs.pop("demography", demography()),
        **inputs,
    }
    out = model_output(tmp_path, "marts.fct_clusters_matter", frames)
    return {
        (r["measure"], r["window_start"], r["window_end"]): r
        for r in out.iter_rows(named=True)
        if r["star_profile"] == "p"
    }


# T01 pays well, T02 badly. AT11-T01 and AT12-T02 are specialised.
TWO_CATEGORIES = [
    ("AT11", "T01", 2019, 100.0, 6.0),  # 60 000 EUR a job, specialised
    ("AT12", "T01", 2019, 100.0, 5.0),  # 50 000
    ("AT12", "T02", 2019, 300.0, 6.6),  # 22 000, specialised
    ("AT11", "T02", 2019, 100.0, 2.0),  # 20 000
]
SPECIALISED = {("AT11", "T01", 2019), ("AT12", "T02", 2019)}


def test_wage_premium_is_within_category_then_weighted_by_employment(tmp_path):
    rows = clusters_matter(tmp_path, measured(TWO_CATEGORIES), SPECIALISED)
    premium = rows["wage_premium", 2019, 2019]
    # T01: 60 000 / 50 000 - 1 = 0.20 (weight 100); T02: 22 000 / 20 000 - 1 = 0.10 (weight 300).
    assert premium["value"] == pytest.approx((100 * 0.20 + 300 * 0.10) / 400)
    assert premium["categories"] == 2
    assert premium["seed_value"] == pytest.approx(0.135)
    # The all-cells comparison mixes the two industries: the specialised cells look worse paid.
    mixed = rows["wage_premium_all_cells", 2019, 2019]
    assert mixed["value"] == pytest.approx((12.6 / 400) / (7.0 / 200) - 1)
    assert mixed["value"] < 0 < premium["value"]


def test_jobs_and_wages_shares_are_of_the_whole_business_economy(tmp_path):
    cells = measured(TWO_CATEGORIES)
    business = totals({("AT11", 2019): (1000.0, 40.0), ("AT12", 2019): (1000.0, 40.0)})
    rows = clusters_matter(tmp_path, cells, SPECIALISED, totals=business)
    assert rows["jobs_share", 2019, 2019]["value"] == pytest.approx(400 / 2000)
    assert rows["wages_share", 2019, 2019]["value"] == pytest.approx(12.6 / 80)
    assert rows["jobs_share", 2019, 2019]["specialised_cells"] == 2


def test_growth_differences_never_cross_a_break(tmp_path):
    cells = measured(
        [(r, "T01", y, 100.0, 5.0) for r in ("AT11", "AT12", "AT13") for y in (2018, 2020)]
    )
    specialised = {("AT11", "T01", 2018), ("AT13", "T01", 2018)}
    window = trends(
        [
            # specialised, +10 % a year in jobs and in pay
            ("AT11", "T01", 2018, 2020, 100.0, 121.0, 50_000.0, 60_500.0, None),
            # elsewhere, flat
            ("AT12", "T01", 2018, 2020, 100.0, 100.0, 50_000.0, 50_000.0, None),
            # specialised but its window crosses a break: left out (it would quadruple)
            ("AT13", "T01", 2018, 2020, 100.0, 400.0, 50_000.0, 200_000.0, "break_in_series"),
        ]
    )
    rows = clusters_matter(
        tmp_path, cells, specialised, trends=window, windows=windows([(2018, 2020)])
    )
    jobs = rows["employment_growth_difference_pp", 2018, 2020]
    pay = rows["wage_growth_difference_pp", 2018, 2020]
    assert jobs["value"] == pytest.approx(10.0)
    assert pay["value"] == pytest.approx(10.0)
    assert (jobs["specialised_cells"], jobs["other_cells"]) == (1, 1)


def test_a_wage_star_profile_states_the_premium_without_it(tmp_path):
    cells = measured(TWO_CATEGORIES)
    keys = cells.select("region_code", "category_code", "year")
    # Profile eocic (shipped) has a productivity star on the average wage: AT11-T01 has only that star,
    # AT12-T02 only specialisation.
    eocic = pl.concat(
        [
            keys.with_columns(
                pl.lit("eocic").alias("star_profile"),
                pl.lit(star).alias("star"),
                pl.Series(
                    "is_star",
                    [(r, c) == cell for r, c, _ in keys.iter_rows()],
                    pl.Boolean,
                ),
            )
            for star, cell in (
                ("productivity", ("AT11", "T01")),
                ("specialisation", ("AT12", "T02")),
            )
        ]
    )
    out = model_output(
        tmp_path,
        "marts.fct_clusters_matter",
        {
            "intermediate.int_cluster_region_year__measured": cells,
            "marts.fct_cluster_stars": eocic,
            "intermediate.int_region_year__totals": totals({}),
            "marts.fct_cluster_trends": trends(),
            "intermediate.int_trend_windows__resolved": windows(),
            "staging.stg_bd_hgnace2_r3": demography(),
        },
    )
    rows = {r["measure"]: r for r in out.iter_rows(named=True) if r["star_profile"] == "eocic"}
    assert rows["wage_premium"]["value"] == pytest.approx((100 * 0.20 + 300 * 0.10) / 400)
    # Without the wage star only T02's specialised cell counts: 22 000 / 20 000 - 1.
    assert rows["wage_premium_without_wage_stars"]["value"] == pytest.approx(0.10)
    assert "productivity" in rows["wage_premium_without_wage_stars"]["note"]


def test_business_demography_by_nace_section_is_allocated_to_categories(tmp_path):
    cells = measured([("AT11", "T01", 2019, 100.0, 5.0), ("AT12", "T01", 2019, 100.0, 5.0)])
    mapping = pl.DataFrame(
        {
            "nace_code": ["C10"],
            "nace_level": [3],
            "category_code": ["T01"],
            "allocation_weight": [1.0],
        }
    )
    bd = demography(
        [
            ("AT11", "C10", 2019, "V11910", 100.0),
            ("AT11", "C10", 2019, "V97460", 10.0),
            ("AT11", "C10", 2019, "V11920", 5.0),
            # AT12 only at NUTS 3: its two regions are added up
            ("AT121", "C10", 2019, "V11910", 150.0),
            ("AT122", "C10", 2019, "V11910", 50.0),
            ("AT121", "C10", 2019, "V97460", 10.0),
            ("AT121", "C10", 2019, "V11920", 20.0),
            ("AT11", "B-S_X_K642", 2019, "V11910", 1e6),  # the business economy: no category
        ]
    )
    rows = clusters_matter(
        tmp_path,
        cells,
        {("AT11", "T01", 2019)},
        demography=bd,
        **{"ref.nace_cluster_mapping": mapping},
    )
    # High-growth per active enterprise: 10 / 100 against 10 / 200; births 5 / 100 against 20 / 200.
    assert rows["high_growth_share_difference", 2019, 2019]["value"] == pytest.approx(1.0)
    assert rows["birth_rate_difference", 2019, 2019]["value"] == pytest.approx(-0.5)


def test_what_the_data_cannot_say_is_stated(tmp_path):
    rows = clusters_matter(tmp_path, measured(TWO_CATEGORIES), SPECIALISED)
    frontier = rows["frontier_firms_difference", 2019, 2019]
    assert frontier["value"] is None and frontier["note"].startswith("not computable")
    assert frontier["seed_value"] == pytest.approx(1.43)
    # Business demography only for the business economy as a whole (as in the demo): no difference.
    high_growth = rows["high_growth_share_difference", 2019, 2019]
    assert high_growth["value"] is None and "NACE section" in high_growth["note"]


def test_the_comparison_of_an_empty_warehouse_says_what_to_do(tmp_path):
    import duckdb

    from clusterobs.clusters_matter import ClustersMatterError, comparison_markdown

    with duckdb.connect(str(tmp_path / "w.duckdb")) as con:
        con.execute("create schema marts")
        con.execute(
            "create table marts.fct_clusters_matter (star_profile varchar, measure varchar, window_start smallint, "
            "window_end smallint, value double, note varchar, categories integer, specialised_cells integer)"
        )
        with pytest.raises(ClustersMatterError, match="run the pipeline on SBS data first"):
            comparison_markdown(con)
