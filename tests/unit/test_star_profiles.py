"""Star rules from star_profiles.toml, judged on hand-computed cells; profile errors; property tests."""

from __future__ import annotations

import random

import numpy as np
import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from clusterobs.settings import PROJECT_ROOT, Settings
from clusterobs.stars import StarProfileError, load_star_profiles

from .sql_fixtures import chain_output, classic_profile, star_profiles_file

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
        "intermediate.int_ecosystem_indicators__computed": regional
        if regional is not None
        else indicators(),
    }
    settings_ = Settings(star_profiles=path, star_profile=profile, **kw)
    return chain_output(tmp_path, MEASURED, inputs, settings_)


def shipped_profiles() -> str:
    return (PROJECT_ROOT / "star_profiles.toml").read_text()


def test_us_strong_cluster_rule_on_hand_computed_quantiles(tmp_path):
    # Five regions in T01, one also in T02 so LQs differ from employment shares.
    employment = {
        ("AT11", "T01"): 100.0, ("AT12", "T01"): 200.0, ("AT13", "T01"): 300.0,
        ("AT21", "T01"): 400.0, ("AT22", "T01"): 1000.0, ("AT11", "T02"): 900.0,
        ("AT12", "T02"): 100.0, ("AT13", "T02"): 100.0, ("AT21", "T02"): 100.0, ("AT22", "T02"): 100.0,
    }  # fmt: skip
    units = {k: 10.0 for k in employment} | {("AT22", "T01"): 5.0, ("AT21", "T01"): 20.0}
    mapped, totals = cells_frame(employment, units)
    out = run(tmp_path, mapped, totals, shipped_profiles(), "us-cmp-strong")
    measured = {(r["region_code"], r["category_code"]): r for r in out.iter_rows(named=True)}
    # Hand computation of the rule for T01 (quantiles with linear interpolation over the 5 regions).
    t01 = {r: measured[r, "T01"] for r in ("AT11", "AT12", "AT13", "AT21", "AT22")}
    lqs = np.array([row["lq"] for row in t01.values()])
    lq_p75 = np.quantile(lqs, 0.75)
    emp_p25 = np.quantile([100, 200, 300, 400, 1000], 0.25)  # 200
    units_p25 = np.quantile([10, 10, 10, 20, 5], 0.25)  # 10
    for region, row in t01.items():
        strong = (
            row["lq"] >= lq_p75
            and row["lq"] >= 1
            and row["employment"] > emp_p25
            and units[region, "T01"] > units_p25
        )
        assert row["star_count"] == int(strong), region
        assert row["performance_level"] == ("strong" if strong else None)
    # AT22 has the highest LQ in T01 but too few establishments; AT21 passes every condition.
    assert (t01["AT22"]["star_count"], t01["AT21"]["star_count"]) == (0, 1)


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


def test_performance_levels_follow_the_star_count(tmp_path):
    employment = {
        (f"AT{i}", c): 100.0 * i * (1 + j)
        for i in range(11, 21)
        for j, c in enumerate(("T01", "T02"))
    }
    mapped, totals = cells_frame(employment)
    out = run(tmp_path, mapped, totals, classic_profile(size=0.5, lq=1.0, focus=0.5), "eco-classic")
    levels = {0: None, 1: "basic", 2: "medium", 3: "high"}
    for row in out.iter_rows(named=True):
        assert row["performance_level"] == levels[row["star_count"]]
        assert (
            row["star_count"] == row["size_star"] + row["specialisation_star"] + row["focus_star"]
        )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[profiles.p]\nperformance_levels = [['b', 1]]\nstars = []", "stars"),
        (
            "[profiles.p]\nperformance_levels = [['b', 1]]\n"
            "stars = [{ name = 's', conditions = [{ metric = 'gdp', threshold = 'absolute', value = 1 }] }]",
            "unknown metric 'gdp'",
        ),
        (
            "[profiles.p]\nperformance_levels = [['b', 1]]\n"
            "stars = [{ name = 's', conditions = [{ metric = 'lq', threshold = 'percentile_over_all', value = 90 }] }]",
            "needs a value in [0, 1]",
        ),
        (
            "[profiles.p]\nperformance_levels = [['b', 2]]\n"
            "stars = [{ name = 's', conditions = [{ metric = 'lq', threshold = 'absolute', value = 1 }] }]",
            "ascending star counts between 1 and 1",
        ),
        (
            "[profiles.p]\nperformance_levels = [['b', 1]]\n"
            "stars = [{ name = 's', conditions = [{ metric = 'region.berd_pc_gdp', threshold = 'absolute', value = 1 }] }]",
            "name the cell-level star it requires with requires_star",
        ),
        (
            "[profiles.p]\nperformance_levels = [['b', 1]]\n"
            "stars = [{ name = 's', requires_star = 'x', conditions = [{ metric = 'lq', threshold = 'absolute', value = 1 }] }]",
            "requires_star 'x' is not another star of the profile",
        ),
        ("not toml [", "not valid TOML"),
    ],
)
def test_bad_profiles_name_file_profile_and_problem(tmp_path, text, message):
    path = star_profiles_file(tmp_path, text)
    with pytest.raises(StarProfileError) as caught:
        load_star_profiles(path)
    assert str(path) in str(caught.value) and message in str(caught.value)


def test_unknown_active_profile_is_refused(tmp_path):
    mapped, totals = cells_frame({("AT11", "T01"): 1.0})
    with pytest.raises(StarProfileError, match="choose one of eco-classic, eocic, us-cmp-strong"):
        run(tmp_path, mapped, totals, shipped_profiles(), "eocic-2031")


employment_matrices = st.lists(
    st.lists(st.integers(min_value=1, max_value=10_000), min_size=3, max_size=3),
    min_size=4,
    max_size=8,
)


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(matrix=employment_matrices, seed=st.integers(0, 2**16))
def test_lq_shares_and_stars_properties(tmp_path_factory, matrix, seed):
    """Traded LQs weighted by Europe's category shares average to 1 in every region; European shares of
    a category add up to 1; stars do not depend on the order of the input rows."""
    employment = {
        (f"AT{r + 11}", f"T0{c + 1}"): float(v)
        for r, row in enumerate(matrix)
        for c, v in enumerate(row)
    }
    mapped, totals = cells_frame(employment)
    tmp = tmp_path_factory.mktemp("prop")
    profiles = shipped_profiles()
    out = run(tmp, mapped, totals, profiles, "us-cmp-strong", lq_denominator="traded")
    categories = out.group_by("category_code").agg(pl.col("eu_category_employment").first())
    eu_share = categories.select(
        "category_code",
        (pl.col("eu_category_employment") / pl.col("eu_category_employment").sum()).alias("w"),
    )
    weighted = (
        out.join(eu_share, on="category_code")
        .group_by("region_code")
        .agg((pl.col("lq") * pl.col("w")).sum().alias("mean_lq"))
    )
    assert np.allclose(weighted["mean_lq"], 1.0, rtol=1e-9)
    sums = out.group_by("category_code").agg(pl.col("eu_category_share").sum())
    assert np.allclose(sums["eu_category_share"], 1.0, rtol=1e-9)

    order = list(range(mapped.height))
    random.Random(seed).shuffle(order)
    shuffled = run(
        tmp_path_factory.mktemp("prop"),
        mapped[order],
        totals.reverse(),
        profiles,
        "us-cmp-strong",
        lq_denominator="traded",
    )

    def stars(frame):
        return sorted(
            frame.select(
                "region_code", "category_code", "star_count", "size_star", "focus_star"
            ).rows()
        )

    assert stars(out) == stars(shuffled)


# Employment of six regions in two categories: LQs from 0.2 to 1.8, some cells specialised (LQ >= 1.5).
SIX_REGIONS = {
    (f"AT{11 + r}", c): float(jobs)
    for c, column in (
        ("T01", [900, 200, 600, 100, 500, 300]),
        ("T02", [100, 800, 200, 700, 300, 400]),
    )
    for r, jobs in enumerate(column)
}


def test_shipped_eocic_profile_on_hand_computed_thresholds(tmp_path):
    mapped, totals = cells_frame(SIX_REGIONS)
    # Different wages per job so that the productivity proxy (average wage) varies.
    mapped = mapped.with_columns(
        (
            pl.col("employment")
            * (0.03 + 0.002 * pl.col("region_code").str.slice(2).cast(pl.Int32) % 7 / 10)
        ).alias("wages_meur")
    )
    growth = {f"AT{11 + r}": v for r, v in enumerate([1.0, 4.0, 2.0, 8.0, 3.0, 5.0])}
    berd = {f"AT{11 + r}": v for r, v in enumerate([0.5, 0.1, 2.5, 1.5, 3.0, 0.2])}
    regional = pl.concat(
        [indicators(growth, "high_growth_enterprise_share"), indicators(berd, "berd_pc_gdp")]
    )
    out = run(tmp_path, mapped, totals, shipped_profiles(), "eocic", regional=regional)
    rows = out.to_dicts()
    for row in rows:
        same = [r for r in rows if r["category_code"] == row["category_code"]]
        size = row["employment"] >= np.quantile([r["employment"] for r in same], 0.8)
        wage = row["avg_wage_eur"] >= np.quantile([r["avg_wage_eur"] for r in same], 0.8)
        # Regional metrics: quantile over all cells of the year (two cells per region).
        sme = growth[row["region_code"]] >= np.quantile(
            [growth[r["region_code"]] for r in rows], 0.8
        )
        rd = berd[row["region_code"]] >= np.quantile([berd[r["region_code"]] for r in rows], 0.8)
        specialised = row["lq"] >= 1.5  # the region-wide stars go only to specialised cells
        stars = (
            int(specialised)
            + int(size)
            + int(wage)
            + int(specialised and sme)
            + int(specialised and rd)
        )
        assert row["star_count"] == stars, row["region_code"]
        level = None if stars == 0 else "basic" if stars < 3 else "medium" if stars < 4 else "high"
        assert row["performance_level"] == level
    assert len({r["star_count"] for r in rows}) >= 3  # the example exercises several levels


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
