"""The regional ecosystem scoreboard on hand-computed examples: gaps, outliers, scores, composites, peers."""

from __future__ import annotations

import math

import polars as pl
import pytest

from clusterobs.settings import Scoreboard, Settings

from .sql_fixtures import chain_output, model_output

COMPUTED_SCHEMA = {
    "region_code": pl.String,
    "year": pl.Int16,
    "indicator_code": pl.String,
    "value": pl.Float64,
    "nuts_level": pl.Int8,
    "is_eu_aggregate": pl.Boolean,
}
EU_AGGREGATES = ("EU27_2020", "EU28")


def computed(rows: list[tuple[str, int, str, float]]) -> pl.DataFrame:
    """int_ecosystem_indicators__computed rows (region or EU aggregate, year, indicator, value)."""
    return pl.DataFrame(
        [
            (r, y, i, v, None if r in EU_AGGREGATES else len(r) - 2, r in EU_AGGREGATES)
            for r, y, i, v in rows
        ],
        schema=COMPUTED_SCHEMA,
        orient="row",
    )


def catalogue(rows: list[tuple[str, int, str, str]]) -> pl.DataFrame:
    """(indicator_code, direction, dimension, transformation) rows as ref.ecosystem_indicators."""
    return pl.DataFrame(
        {
            "indicator_code": [r[0] for r in rows],
            "indicator_label": [""] * len(rows),
            "unit": [""] * len(rows),
            "direction": [r[1] for r in rows],
            "transformation": [r[3] for r in rows],
            "dimension": [r[2] for r in rows],
            "source_dataset": [""] * len(rows),
            "source_note": [""] * len(rows),
        }
    )


DIMENSION = {"k": "knowledge_and_skills", "d": "demand_conditions"}
NO_CLUSTERS = pl.DataFrame(
    schema={
        "region_code": pl.String,
        "category_code": pl.String,
        "category_type": pl.String,
        "year": pl.Int16,
        "employment": pl.Float64,
        "star_count": pl.Int8,
        "region_total_employment": pl.Float64,
    }
)


def test_gaps_are_filled_from_recent_years_then_from_the_nuts1_region(tmp_path):
    rows = [
        ("AT11", 2017, "gdp", 10.0),
        ("AT11", 2019, "gdp", 12.0),
        ("AT12", 2016, "gdp", 20.0),  # too old for 2019 with a 2-year carry: parent used
        ("AT1", 2018, "gdp", 15.0),
        ("AT13", 2019, "gdp", 30.0),
        ("AT21", 2015, "gdp", 5.0),  # nothing usable in 2019, no parent value either
    ]
    out = chain_output(
        tmp_path,
        [
            "intermediate.int_ecosystem_indicators__harmonised",
            "intermediate.int_ecosystem_indicators__filled",
        ],
        {"intermediate.int_ecosystem_indicators__computed": computed(rows)},
        Settings(scoreboard=Scoreboard(max_carry_years=2)),
    )
    got = {
        (r["region_code"], r["year"]): (
            r["value"],
            r["source_year"],
            r["is_carried"],
            r["is_from_parent"],
        )
        for r in out.iter_rows(named=True)
    }
    assert got["AT11", 2019] == (12.0, 2019, False, False)
    assert got["AT11", 2018] == (10.0, 2017, True, False)
    assert got["AT12", 2019] == (15.0, 2018, True, True)
    assert got["AT12", 2017] == (20.0, 2016, True, False)
    assert got["AT13", 2019] == (30.0, 2019, False, False)
    assert got["AT21", 2019] == (None, None, False, False)
    assert got["AT13", 2016] == (None, None, False, False)  # a region's data do not reach back
    assert {r for r, _ in got} == {"AT11", "AT12", "AT13", "AT21"}  # NUTS-1 rows only lend values


def scored(tmp_path, rows, indicators, **scoreboard) -> pl.DataFrame:
    return chain_output(
        tmp_path,
        [
            "intermediate.int_ecosystem_indicators__harmonised",
            "intermediate.int_ecosystem_indicators__filled",
            "intermediate.int_ecosystem_indicators__eu_reference",
            "marts.fct_ecosystem_indicators",
        ],
        {
            "intermediate.int_ecosystem_indicators__computed": computed(rows),
            "ref.ecosystem_indicators": catalogue(indicators),
            "marts.fct_cluster_region_year": NO_CLUSTERS,
        },
        Settings(scoreboard=Scoreboard(**scoreboard)),
    )


def test_scores_are_capped_transformed_and_min_max_scaled_with_direction(tmp_path):
    values = [1.0, 2.0, 4.0, 3.0, 2.0, 100.0]
    rows = [(f"AT{11 + i}", 2019, "rd", v) for i, v in enumerate(values)]
    rows += [("AT11", 2019, "cost", 10.0), ("AT12", 2019, "cost", 30.0)]
    out = scored(
        tmp_path,
        rows,
        [("rd", 1, "knowledge", "sqrt"), ("cost", -1, "demand", "none")],
        outlier_sd=1.5,
    )
    got = {(r["region_code"], r["indicator_code"]): r for r in out.iter_rows(named=True)}
    mean = sum(values) / 6
    sd = math.sqrt(sum((v - mean) ** 2 for v in values) / 6)
    cap = mean + 1.5 * sd
    assert (
        got["AT16", "rd"]["capped_value"] == pytest.approx(cap) and got["AT16", "rd"]["is_capped"]
    )
    assert got["AT16", "rd"]["value"] == 100  # the published value is kept
    transformed = [math.sqrt(min(v, cap)) for v in values]
    low, high = min(transformed), max(transformed)
    for i in range(6):
        row = got[f"AT{11 + i}", "rd"]
        assert row["score"] == pytest.approx((transformed[i] - low) / (high - low))
    mean_score = sum((t - low) / (high - low) for t in transformed) / 6
    assert got["AT13", "rd"]["score_index"] == pytest.approx(
        100 * got["AT13", "rd"]["score"] / mean_score
    )
    assert (
        got["AT11", "cost"]["score"] == 1 and got["AT12", "cost"]["score"] == 0
    )  # lower is better


def test_star_employment_share_counts_traded_categories_only(tmp_path):
    clusters = pl.DataFrame(
        {
            "region_code": ["AT11", "AT11", "AT12"],
            "category_code": ["T01", "E04", "T01"],
            "category_type": ["traded", "emerging", "traded"],
            "year": [2019, 2019, 2019],
            "employment": [50.0, 70.0, 10.0],
            "star_count": [1, 1, 0],
            "region_total_employment": [200.0, 200.0, 100.0],
        },
        schema_overrides={"year": pl.Int16, "star_count": pl.Int8},
    )
    out = chain_output(
        tmp_path,
        [
            "intermediate.int_ecosystem_indicators__harmonised",
            "intermediate.int_ecosystem_indicators__filled",
            "intermediate.int_ecosystem_indicators__eu_reference",
            "marts.fct_ecosystem_indicators",
        ],
        {
            "intermediate.int_ecosystem_indicators__computed": computed([]),
            "marts.fct_cluster_region_year": clusters,
        },
    )
    share = {
        r["region_code"]: r["value"]
        for r in out.filter(pl.col("indicator_code") == "star_cluster_employment_share").iter_rows(
            named=True
        )
    }
    assert share == {"AT11": 25.0, "AT12": 0.0}
    # an emerging industry (E04 creative industries) gives its own share of the region's employment
    creative = out.filter(pl.col("indicator_code") == "creative_industries_employment_share")
    assert creative.select("region_code", "value").rows() == [("AT11", 35.0)]


def scoreboard_models(
    tmp_path,
    models: list[str],
    scores: dict[tuple[str, int, str], float],
    weights=None,
    extra_catalogue: tuple[str, ...] = (),
    eu: dict[tuple[int, str], tuple[str, float]] | None = None,
    **scoreboard,
) -> pl.DataFrame:
    """The last of the scoreboard `models` on indicator scores; the catalogue holds the scored indicators
    and `extra_catalogue` (k*: knowledge and skills, d*: demand conditions). Each indicator and year's
    100 is the regions' average score, or the EU aggregate's score `eu[year, code]` = (aggregate, score)."""
    indicators = pl.DataFrame(
        [
            (region, year, code, DIMENSION[code[0]], score)
            for (region, year, code), score in scores.items()
        ],
        schema={
            "region_code": pl.String,
            "year": pl.Int16,
            "indicator_code": pl.String,
            "dimension": pl.String,
            "score": pl.Float64,
        },
        orient="row",
    ).with_columns(is_carried=False, is_from_parent=False)
    references = indicators.group_by("year", "indicator_code").agg(
        reference_score=pl.col("score").mean(), index_reference=pl.lit("regions_average")
    )
    for (year, code), (aggregate, score) in (eu or {}).items():
        here = (pl.col("year") == year) & (pl.col("indicator_code") == code)
        references = references.with_columns(
            reference_score=pl.when(here).then(score).otherwise("reference_score"),
            index_reference=pl.when(here).then(pl.lit(aggregate)).otherwise("index_reference"),
        )
    indicators = indicators.join(references, on=["year", "indicator_code"])
    codes = sorted({code for _, _, code in scores})
    return chain_output(
        tmp_path,
        models,
        {
            "marts.fct_ecosystem_indicators": indicators,
            "ref.ecosystem_indicators": catalogue(
                [(c, 1, DIMENSION[c[0]], "none") for c in [*codes, *extra_catalogue]]
            ),
        },
        Settings(scoreboard=Scoreboard(dimension_weights=weights or {}, **scoreboard)),
    )


def scoreboard_rows(tmp_path, scores, **options) -> dict[tuple[str, int, str], dict]:
    """fct_ecosystem_scoreboard rows by (region, year, dimension)."""
    models = ["marts.fct_scoreboard_changes", "marts.fct_ecosystem_scoreboard"]
    out = scoreboard_models(tmp_path, models, scores, **options)
    return {(r["region_code"], r["year"], r["dimension"]): r for r in out.iter_rows(named=True)}


def scoreboard_changes(tmp_path, scores, **options) -> dict[tuple[str, str, int, int], dict]:
    """fct_scoreboard_changes rows by (region, dimension, window_start, window_end)."""
    out = scoreboard_models(tmp_path, ["marts.fct_scoreboard_changes"], scores, **options)
    return {
        (r["region_code"], r["dimension"], r["window_start"], r["window_end"]): r
        for r in out.iter_rows(named=True)
    }


SCORES = {
    # region, year, indicator: score (k* knowledge, d* demand)
    ("AT11", 2019, "k1"): 1.0, ("AT11", 2019, "k2"): 0.8, ("AT11", 2019, "d1"): 0.6,
    ("AT12", 2019, "k1"): 0.5, ("AT12", 2019, "k2"): 0.3, ("AT12", 2019, "d1"): 0.1,
    ("AT13", 2019, "k1"): 0.2, ("AT13", 2019, "k2"): 0.0, ("AT13", 2019, "d1"): 0.2,
    ("AT11", 2018, "k1"): 0.5, ("AT11", 2018, "k2"): 0.5, ("AT11", 2018, "d1"): 0.5,
    ("AT12", 2018, "k1"): 0.5, ("AT12", 2018, "k2"): 0.5, ("AT12", 2018, "d1"): 0.5,
}  # fmt: skip


def test_composites_index_groups_rank_and_change(tmp_path):
    rows = scoreboard_rows(tmp_path, SCORES)
    assert rows["AT11", 2019, "knowledge_and_skills"]["composite"] == pytest.approx(0.9)
    assert rows["AT11", 2019, "demand_conditions"]["composite"] == pytest.approx(0.6)
    overall = {r: rows[r, 2019, "overall"]["composite"] for r in ("AT11", "AT12", "AT13")}
    assert overall == pytest.approx({"AT11": 0.75, "AT12": 0.25, "AT13": 0.15})
    mean = (0.75 + 0.25 + 0.15) / 3
    index = {r: 100 * v / mean for r, v in overall.items()}  # 195.7, 65.2, 39.1
    for region, expected in index.items():
        row = rows[region, 2019, "overall"]
        assert row["composite_index"] == pytest.approx(expected)
    assert [rows[r, 2019, "overall"]["performance_group"] for r in ("AT11", "AT12", "AT13")] == [
        "leader",
        "emerging",
        "emerging",
    ]
    assert [rows[r, 2019, "overall"]["rank"] for r in ("AT11", "AT12", "AT13")] == [1, 2, 3]
    assert rows["AT11", 2019, "overall"]["change_since_previous"] == pytest.approx(0.25)
    assert rows["AT11", 2019, "overall"]["previous_year"] == 2018
    assert rows["AT13", 2019, "overall"]["change_since_previous"] is None  # first edition


def test_dimension_weights_shape_the_overall_composite(tmp_path):
    rows = scoreboard_rows(
        tmp_path, SCORES, weights={"knowledge_and_skills": 3.0, "demand_conditions": 1.0}
    )
    assert rows["AT11", 2019, "overall"]["composite"] == pytest.approx((3 * 0.9 + 0.6) / 4)
    with pytest.raises(ValueError, match="unknown dimension"):
        scoreboard_rows(tmp_path, SCORES, weights={"finance": 1.0})


def test_groups_follow_the_documented_thresholds():
    with pytest.raises(ValueError, match="leader_index > strong_index > moderate_index"):
        Scoreboard(leader_index=100, strong_index=100)


def test_peers_are_the_nearest_regions_on_standardised_variables(tmp_path):
    rows = []
    points = {"AT11": (0.0, 0.0), "AT12": (1.0, 0.0), "AT13": (0.0, 3.0), "AT14": (10.0, 10.0)}
    for region, (x, y) in points.items():
        rows += [(region, 2019, "x", x), (region, 2019, "y", y)]
    rows.append(("AT15", 2019, "x", 0.5))  # no value of y: left out
    indicators = pl.DataFrame(
        rows, schema=["region_code", "year", "indicator_code", "value"], orient="row"
    )
    out = model_output(
        tmp_path,
        "marts.fct_region_peers",
        {"marts.fct_ecosystem_indicators": indicators},
        Settings(scoreboard=Scoreboard(peer_variables=["x", "y"], peer_count=2)),
    )
    peers = {
        (r["region_code"], r["peer_rank"]): (r["peer_region_code"], r["distance"])
        for r in out.iter_rows(named=True)
    }

    def z(values):
        mean = sum(values) / len(values)
        sd = math.sqrt(sum((v - mean) ** 2 for v in values) / len(values))
        return [(v - mean) / sd for v in values]

    regions = list(points)
    zx = dict(zip(regions, z([p[0] for p in points.values()]), strict=True))
    zy = dict(zip(regions, z([p[1] for p in points.values()]), strict=True))

    def distance(a, b):
        return math.hypot(zx[a] - zx[b], zy[a] - zy[b])

    nearest = sorted((r for r in regions if r != "AT11"), key=lambda r: distance("AT11", r))
    assert [peers["AT11", k][0] for k in (1, 2)] == nearest[:2]
    assert peers["AT11", 1][1] == pytest.approx(distance("AT11", nearest[0]))
    assert {r for r, _ in peers} == set(points)  # AT15 takes no part
    assert all(rank <= 2 for _, rank in peers)
