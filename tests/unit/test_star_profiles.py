"""Star rules from star_profiles.toml, judged on hand-computed cells; profile errors; property tests
(region-wide stars: test_regional_stars.py)."""

from __future__ import annotations

import random

import numpy as np
import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from clusterobs.stars import StarProfileError, load_star_profiles

from .sql_fixtures import classic_profile, star_profiles_file
from .star_fixtures import SIX_REGIONS, cells_frame, indicators, run, shipped_profiles


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
