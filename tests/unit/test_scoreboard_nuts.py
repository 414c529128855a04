"""The scoreboard's regions in one NUTS version: indicator values follow recodes, splits and merges."""

from __future__ import annotations

import polars as pl

from .sql_fixtures import chain_output
from .test_scoreboard import catalogue, computed


def harmonised(tmp_path, rows) -> dict[tuple[str, int], tuple[float | None, str]]:
    indicators = catalogue([("gdp", 1, "demand_conditions", "none")]).with_columns(
        source_dataset=pl.lit("nama_10r_2gdp")  # registry nuts_version 2021
    )
    out = chain_output(
        tmp_path,
        ["intermediate.int_ecosystem_indicators__harmonised"],
        {
            "intermediate.int_ecosystem_indicators__computed": computed(rows),
            "ref.ecosystem_indicators": indicators,
        },
    )
    return {
        (r["region_code"], r["year"]): (r["value"], r["nuts_conversion"])
        for r in out.iter_rows(named=True)
    }


def test_a_split_region_lends_its_value_to_successors_that_do_not_report_their_own(tmp_path):
    # HR04 (NUTS 2016) became HR02, HR05 and HR06 (NUTS 2021); HR05 is also reported under its new code
    got = harmonised(
        tmp_path,
        [("HR04", 2019, "gdp", 10.0), ("HR05", 2019, "gdp", 12.0), ("HR03", 2019, "gdp", 7.0)],
    )
    assert got["HR02", 2019] == (10.0, "split") and got["HR06", 2019] == (10.0, "split")
    assert got["HR05", 2019] == (12.0, "unchanged")  # the newer version's code counts
    assert got["HR03", 2019] == (7.0, "unchanged")
    assert ("HR04", 2019) not in got  # never ranked beside its successors


def test_merged_regions_give_no_rate_and_nuts1_rows_are_kept(tmp_path):
    # DE41 and DE42 (NUTS 2006) were merged into DE40
    got = harmonised(
        tmp_path,
        [("DE41", 2008, "gdp", 10.0), ("DE42", 2008, "gdp", 30.0), ("DE4", 2008, "gdp", 20.0)],
    )
    assert got["DE40", 2008] == (None, "merge")
    assert got["DE4", 2008] == (20.0, "unchanged")
    assert {region for region, _ in got} == {"DE40", "DE4"}


def scored_units(tmp_path, rows, countries) -> dict[str, tuple[float, bool]]:
    from clusterobs.settings import Scoreboard, Settings

    out = chain_output(
        tmp_path,
        [
            "intermediate.int_ecosystem_indicators__harmonised",
            "intermediate.int_ecosystem_indicators__filled",
        ],
        {"intermediate.int_ecosystem_indicators__computed": computed(rows)},
        Settings(scoreboard=Scoreboard(nuts1_countries=countries)),
    )
    return {r["region_code"]: (r["value"], r["is_from_parent"]) for r in out.iter_rows(named=True)}


NUTS1_ROWS = [
    ("DE11", 2019, "gdp", 10.0),
    ("DE12", 2019, "gdp", 30.0),
    ("DE1", 2019, "gdp", 20.0),
    ("AT11", 2019, "gdp", 5.0),
    ("AT1", 2019, "gdp", 6.0),
]


def test_a_country_scored_at_nuts1_is_scored_by_its_nuts1_regions(tmp_path):
    assert scored_units(tmp_path, NUTS1_ROWS, ["DE"]) == {
        "DE1": (20.0, False),  # its own published value, not a mix of its NUTS-2 regions'
        "AT11": (5.0, False),
    }
    assert scored_units(tmp_path, NUTS1_ROWS, []) == {
        "DE11": (10.0, False),
        "DE12": (30.0, False),
        "AT11": (5.0, False),
    }


def test_its_nuts2_regions_take_the_nuts1_score_in_region_trends_flagged(tmp_path):
    from .test_cluster_trends import region_trend_inputs

    inputs = region_trend_inputs(["DE11", "AT11"], scored_as={"DE11": "DE1", "AT11": "AT11"})
    out = chain_output(tmp_path, ["marts.fct_region_trends"], inputs)
    rows = {(r["region_code"], r["window_end"]): r for r in out.iter_rows(named=True)}
    de11 = rows["DE11", 2021]
    assert de11["scoreboard_region_code"] == "DE1"  # the default: BE, DE and UK scored at NUTS 1
    assert de11["scoreboard_index_start"] == 90.0 and de11["scoreboard_index_change"] == 18.5
    assert rows["AT11", 2021]["scoreboard_region_code"] == "AT11"
