"""EU = 100 on hand-computed examples: Eurostat's EU aggregate where the extract carries it (staged apart from
the regions, scored on their scale), else the regions' average; index_reference says which."""

from __future__ import annotations

import polars as pl
import pytest

from clusterobs import loads, models, warehouse
from clusterobs.landing import land_file
from clusterobs.run_config import ConfigurationError, resolve_run_config
from clusterobs.settings import Scoreboard, Settings

from .test_scoreboard import SCORES, scoreboard_changes, scoreboard_rows, scored
from .test_scoreboard_over_time import CHANGING_SET

EDAT_HEADER = "freq,unit,sex,age,isced11,geo\\TIME_PERIOD\t2019 \t2020 \n"


def staged_edat(tmp_path, lines: list[str], settings: Settings) -> dict[str, tuple]:
    """An edat_lfse_04 file of `lines` loaded and staged: geo -> (nuts_level, 2020 value)."""
    tmp_path.mkdir(parents=True, exist_ok=True)
    path = tmp_path / "edat_lfse_04.tsv"
    path.write_text(EDAT_HEADER + "".join(f"A,PC,T,Y25-64,ED5-8,{line}\n" for line in lines))
    con = warehouse.connect(tmp_path / "unit.duckdb")
    try:
        warehouse.apply_run_config(con, resolve_run_config(settings))
        warehouse.load_reference(con, settings.cluster_mapping_path, settings.emerging_mapping_path)
        landed = land_file(path, tmp_path / "landing", "edat_lfse_04")
        loads.load_dataset(con, "edat_lfse_04", [landed], "run-1")
        models.run_model(con, models.discovered_models()["staging.stg_edat_lfse_04"])
        rows = con.execute(
            "select geo_code, nuts_level, tertiary_attainment_pc from staging.stg_edat_lfse_04 where year = 2020"
        ).fetchall()
    finally:
        con.close()
    return {geo: (level, value) for geo, level, value in rows}


EDAT_LINES = [
    "AT\t40.1 \t41.0 ",
    "AT13\t45.0 \t46.5 p",
    "EU27_2020\t32.0 \t33.4 ",
    "EU28\t31.0 \t32.2 ",
    "EA19\t33.0 \t34.0 ",
]


def test_the_configured_eu_aggregates_are_staged_without_a_nuts_level(tmp_path):
    got = staged_edat(tmp_path, EDAT_LINES, Settings())
    assert got == {
        "AT": (0, 41.0),
        "AT13": (2, 46.5),
        "EU27_2020": (None, 33.4),  # default scoreboard.eu_aggregates: EU27_2020, EU28
        "EU28": (None, 32.2),
    }  # EA19 (the euro area) is not an EU reference: dropped as before
    none = staged_edat(
        tmp_path / "none", EDAT_LINES, Settings(scoreboard=Scoreboard(eu_aggregates=[]))
    )
    assert set(none) == {"AT", "AT13"}


def test_an_unknown_aggregate_code_is_a_configuration_error():
    with pytest.raises(
        ConfigurationError, match=r"scoreboard.eu_aggregates: EU99 not a Eurostat aggregate"
    ):
        resolve_run_config(Settings(scoreboard=Scoreboard(eu_aggregates=["EU27_2020", "EU99"])))
    with pytest.raises(ValueError, match="named more than once: EU28"):
        Scoreboard(eu_aggregates=["EU28", "EU28"])


# rd (sqrt): regions 1, 4, 9, 16 -> 1, 2, 3, 4 -> scores 0, 1/3, 2/3, 1; EU27_2020 7.84 -> 2.8 -> 0.6,
# EU28 2.25 -> 1.5 -> 1/6. cost (lower is better): regions 10, 30; EU28 40 is beyond the least favourable
# end (score -0.5): no base for an index. None of these is capped (3 standard deviations).
EU_ROWS = [
    ("AT11", 2019, "rd", 1.0),
    ("AT12", 2019, "rd", 4.0),
    ("AT13", 2019, "rd", 9.0),
    ("AT14", 2019, "rd", 16.0),
    ("EU27_2020", 2019, "rd", 7.84),
    ("EU28", 2019, "rd", 2.25),
    ("AT11", 2019, "cost", 10.0),
    ("AT12", 2019, "cost", 30.0),
    ("EU28", 2019, "cost", 40.0),
]
EU_CATALOGUE = [("rd", 1, "knowledge", "sqrt"), ("cost", -1, "demand", "none")]


def indicator_rows(tmp_path, rows, **scoreboard) -> dict[tuple[str, str], dict]:
    tmp_path.mkdir(parents=True, exist_ok=True)
    out = scored(tmp_path, rows, EU_CATALOGUE, **scoreboard)
    return {(r["region_code"], r["indicator_code"]): r for r in out.iter_rows(named=True)}


def test_an_indicator_index_is_against_the_eu_aggregate_where_the_extract_carries_it(tmp_path):
    got = indicator_rows(tmp_path, EU_ROWS)
    assert {region for region, _ in got} == {"AT11", "AT12", "AT13", "AT14"}  # the EU is not scored
    at13 = got["AT13", "rd"]
    assert at13["score"] == pytest.approx(2 / 3)  # the aggregate does not move the regions' scale
    assert at13["index_reference"] == "EU27_2020"  # first in the setting's order
    assert at13["eu_value"] == 7.84 and at13["reference_score"] == pytest.approx(0.6)
    assert at13["score_index"] == pytest.approx(100 * (2 / 3) / 0.6)
    cost = got["AT11", "cost"]
    assert (cost["index_reference"], cost["eu_value"]) == ("regions_average", None)
    assert cost["score_index"] == pytest.approx(100 * 1 / 0.5)


def test_the_setting_orders_the_aggregates_and_an_empty_list_means_the_regions_average(tmp_path):
    eu28 = indicator_rows(tmp_path / "eu28", EU_ROWS, eu_aggregates=["EU28", "EU27_2020"])
    assert eu28["AT13", "rd"]["index_reference"] == "EU28"
    assert eu28["AT13", "rd"]["score_index"] == pytest.approx(100 * (2 / 3) / (1 / 6))
    average = indicator_rows(tmp_path / "none", EU_ROWS, eu_aggregates=[])
    assert average["AT13", "rd"]["index_reference"] == "regions_average"
    assert average["AT13", "rd"]["score_index"] == pytest.approx(100 * (2 / 3) / 0.5)
    absent = indicator_rows(tmp_path / "absent", [r for r in EU_ROWS if not r[0].startswith("EU")])
    assert absent["AT13", "rd"]["score_index"] == average["AT13", "rd"]["score_index"]
    assert absent["AT13", "rd"]["index_reference"] == "regions_average"


# 2019: k1 and d1 have an EU aggregate (scores 0.5 and 0.4), k2 has none (regions' average 0.8, 0.3, 0)
EU_SCORES = {(2019, "k1"): ("EU27_2020", 0.5), (2019, "d1"): ("EU27_2020", 0.4)}


def test_a_composite_index_is_against_the_eu_composite(tmp_path):
    rows = scoreboard_rows(tmp_path, SCORES, eu=EU_SCORES)
    knowledge_eu = (0.5 + (0.8 + 0.3 + 0.0) / 3) / 2
    knowledge = rows["AT11", 2019, "knowledge_and_skills"]
    assert knowledge["composite_index"] == pytest.approx(100 * 0.9 / knowledge_eu)
    assert knowledge["index_reference"] == "EU27_2020 + regions_average"
    demand = rows["AT11", 2019, "demand_conditions"]
    assert demand["composite_index"] == pytest.approx(100 * 0.6 / 0.4)
    assert demand["index_reference"] == "EU27_2020"
    overall_eu = (knowledge_eu + 0.4) / 2
    overall = {r: rows[r, 2019, "overall"] for r in ("AT11", "AT12", "AT13")}
    assert overall["AT11"]["composite_index"] == pytest.approx(100 * 0.75 / overall_eu)  # 180
    assert overall["AT12"]["composite_index"] == pytest.approx(100 * 0.25 / overall_eu)  # 60
    assert [overall[r]["performance_group"] for r in overall] == ["leader", "emerging", "emerging"]
    # 2018 has no aggregate: the regions' average composite is 100, as without any
    assert rows["AT11", 2018, "overall"]["index_reference"] == "regions_average"
    assert rows["AT11", 2018, "overall"]["composite_index"] == pytest.approx(100.0)


def test_a_change_indexes_both_years_against_the_eu_over_the_shared_indicators(tmp_path):
    eu = {(2019, "k1"): ("EU27_2020", 0.5), (2020, "k1"): ("EU27_2020", 0.45)}
    change = scoreboard_changes(tmp_path, CHANGING_SET, eu=eu)["AT11", "overall", 2019, 2020]
    # shared: k1 (EU aggregate) and d1 (regions' average: 0.3 in 2019, 0.3 in 2020)
    assert change["index_start"] == pytest.approx(100 * 0.8 / ((0.5 + 0.3) / 2))
    assert change["index_end"] == pytest.approx(100 * 0.8 / ((0.45 + 0.3) / 2))
    assert change["index_reference_start"] == "EU27_2020 + regions_average"
    assert change["composite_change"] == pytest.approx(0.0)
    assert change["index_change"] == pytest.approx(change["index_end"] - change["index_start"])


def test_without_any_aggregate_the_indices_are_as_before(tmp_path):
    rows = scoreboard_rows(tmp_path, SCORES)
    mean = (0.75 + 0.25 + 0.15) / 3
    assert rows["AT11", 2019, "overall"]["composite_index"] == pytest.approx(100 * 0.75 / mean)
    assert {r["index_reference"] for r in rows.values()} == {"regions_average"}
    assert (
        pl.Series([r["composite_index"] for r in rows.values() if r["year"] == 2018])
        .is_not_null()
        .all()
    )
