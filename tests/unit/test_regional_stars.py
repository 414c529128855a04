"""Region-wide stars (a regional indicator such as R&D spending, judged for every cell of a region): over-all
percentiles, a missing or stale regional value makes the star unknown rather than withheld, the star goes
only to cells with the star it requires, and star counts hold the year an input dataset ends."""

from __future__ import annotations

import polars as pl

from .star_fixtures import SIX_REGIONS, cells_frame, indicators, run, shipped_profiles


def test_regional_metric_and_over_all_percentile(tmp_path):
    employment = {(f"AT{i}", c): 100.0 * i for i in range(11, 16) for c in ("T01", "T02")}
    mapped, totals = cells_frame(employment)
    profile = """
[profiles.innovation]
performance_levels = [["leader", 2]]
stars = [
  { name = "paid", conditions = [{ metric = "avg_wage_eur", comparison = ">", threshold = "absolute", value = 39999 }] },
  { name = "innovation_leader", requires_star = "paid", conditions = [
    { metric = "region.berd_pc_gdp", comparison = ">=", threshold = "percentile_over_all", value = 0.5 },
  ] },
]
"""
    # Over all 10 cells (2 per region, every one in the population) the median BERD is 2.0, so AT13,
    # AT14 and AT15 qualify.
    regional = indicators({"AT11": 0.5, "AT12": 1.0, "AT13": 2.0, "AT14": 3.0, "AT15": 4.0})
    out = run(tmp_path, mapped, totals, profile, "innovation", regional=regional)
    leaders = sorted({r["region_code"] for r in out.iter_rows(named=True) if r["star_count"] == 2})
    assert leaders == ["AT13", "AT14", "AT15"]


def rd_profile(threshold: float) -> str:
    """Profile p: a cell-level star every cell with jobs earns, and an R&D star (region-wide) requiring it."""
    return f"""
[profiles.p]
performance_levels = [["basic", 1]]
stars = [
  {{ name = "present", conditions = [{{ metric = "employment", threshold = "absolute", value = 0 }}] }},
  {{ name = "rd", requires_star = "present", conditions = [{{ metric = "region.berd_pc_gdp", threshold = "absolute", value = {threshold} }}] }},
]
"""


def test_a_missing_regional_input_makes_the_star_unknown_not_withheld(tmp_path):
    employment = {("AT11", "T01"): 100.0, ("AT12", "T01"): 200.0}
    mapped, totals = cells_frame(employment)
    out = run(tmp_path, mapped, totals, rd_profile(0), "p", regional=indicators({"AT11": 1.0}))
    counts = {
        r["region_code"]: (r["star_count"], r["stars_evaluated"], r["stars_in_profile"])
        for r in out.iter_rows(named=True)
    }
    assert counts == {"AT11": (2, 2, 2), "AT12": (1, 1, 2)}
    stars = stars_of(tmp_path)
    assert stars["AT12", "rd"] == (None, "no value of region.berd_pc_gdp for 2019")
    assert stars["AT11", "rd"] == (True, None)


def test_a_regional_value_carries_over_a_few_years_then_the_star_is_unknown(tmp_path):
    employment = {("AT11", "T01"): 100.0, ("AT12", "T01"): 200.0}
    mapped, totals = cells_frame(employment)
    regional = indicators({"AT11": 1.0, "AT12": 1.0}).with_columns(
        pl.Series("year", [2017, 2015], pl.Int16)
    )  # AT11's value is 2 years old in 2019, AT12's 4
    run(tmp_path, mapped, totals, rd_profile(0.5), "p", regional=regional, star_max_carry_years=3)
    stars = stars_of(tmp_path, carried=True)
    assert stars["AT11", "rd"] == (True, None, True)
    assert stars["AT12", "rd"] == (
        None,
        "no value of region.berd_pc_gdp (latest 2015) for 2019",
        False,
    )


def test_a_region_wide_star_goes_only_to_cells_with_the_required_star(tmp_path):
    # Both regions lead on R&D, but only AT11's T01 is specialised (LQ >= 1.5).
    employment = {
        ("AT11", "T01"): 300.0, ("AT11", "T02"): 100.0,
        ("AT12", "T01"): 100.0, ("AT12", "T02"): 300.0,
    }  # fmt: skip
    mapped, totals = cells_frame(employment)
    profile = """
[profiles.p]
performance_levels = [["basic", 1]]
stars = [
  { name = "specialisation", conditions = [{ metric = "lq", threshold = "absolute", value = 1.4 }] },
  { name = "rd", requires_star = "specialisation", conditions = [{ metric = "region.berd_pc_gdp", threshold = "absolute", value = 0 }] },
]
"""
    run(tmp_path, mapped, totals, profile, "p", regional=indicators({"AT11": 1.0, "AT12": 1.0}))
    rd = {
        region_category: v[0]
        for (region_category, star), v in stars_of(tmp_path, by_category=True).items()
        if star == "rd"
    }
    assert rd == {
        ("AT11", "T01"): True, ("AT11", "T02"): False,
        ("AT12", "T01"): False, ("AT12", "T02"): True,
    }  # fmt: skip


def stars_of(tmp_path, carried: bool = False, by_category: bool = False) -> dict:
    """marts.fct_cluster_stars of the last `run`: (is_star, unknown_reason[, is_carried]) by (region, star)."""
    import duckdb

    columns = "is_star, unknown_reason" + (", is_carried" if carried else "")
    with duckdb.connect(str(tmp_path / "unit.duckdb"), read_only=True) as con:
        rows = con.execute(
            f"select region_code, category_code, star, {columns} from marts.fct_cluster_stars"
        ).fetchall()
    if by_category:
        return {((r[0], r[1]), r[2]): tuple(r[3:]) for r in rows}
    return {(r[0], r[2]): tuple(r[3:]) for r in rows}


def test_star_counts_do_not_drop_the_year_an_input_dataset_ends(tmp_path):
    # The same economy in 2019-2021; business demography and R&D (the regional inputs) end in 2019.
    mapped, totals = cells_frame(SIX_REGIONS)
    mapped = pl.concat(
        [mapped.with_columns(pl.lit(y, pl.Int16).alias("year")) for y in (2019, 2020, 2021)]
    )
    totals = pl.concat(
        [totals.with_columns(pl.lit(y, pl.Int16).alias("year")) for y in (2019, 2020, 2021)]
    )
    growth = {f"AT{11 + r}": v for r, v in enumerate([9.0, 4.0, 2.0, 8.0, 3.0, 5.0])}
    berd = {f"AT{11 + r}": v for r, v in enumerate([3.5, 0.1, 2.5, 1.5, 3.0, 0.2])}
    regional = pl.concat(
        [indicators(growth, "high_growth_enterprise_share"), indicators(berd, "berd_pc_gdp")]
    )
    out = run(tmp_path, mapped, totals, shipped_profiles(), "eocic", regional=regional)
    counts = {
        (r["region_code"], r["category_code"], r["year"]): (r["star_count"], r["stars_evaluated"])
        for r in out.iter_rows(named=True)
    }
    for (region, category, year), count in counts.items():
        assert count == counts[region, category, 2019], (region, category, year)
    assert max(c for c, _ in counts.values()) >= 4  # regional stars were earned, and stay
    assert {e for _, e in counts.values()} == {5}
    # Past the carry-over the regional stars are unknown, not lost: counts say so.
    out = run(
        tmp_path,
        mapped,
        totals,
        shipped_profiles(),
        "eocic",
        regional=regional,
        star_max_carry_years=1,
    )
    evaluated: dict[int, set] = {}
    for r in out.iter_rows(named=True):
        specialised = r["lq"] >= 1.5  # eocic's specialisation star
        evaluated.setdefault(r["year"], set()).add((specialised, r["stars_evaluated"]))
    assert evaluated[2020] == {(False, 5), (True, 5)}
    # 2021: a specialised cell's two regional stars are unknown; a cell without the specialisation star
    # cannot have them whatever the value, so they are judged (not earned).
    assert evaluated[2021] == {(False, 5), (True, 3)}
