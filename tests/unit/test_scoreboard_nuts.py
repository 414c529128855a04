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
