"""Business-economy totals Eurostat does not publish: derived from their parts, with suppressed parts
estimated down the NUTS tree, chosen per region-year; stray region-years of another NUTS version left out."""

from __future__ import annotations

import polars as pl
import pytest

from clusterobs.settings import Settings

from .sql_fixtures import chain_output, empty_sbs_inputs, sbs_staging

CHAIN = [
    "intermediate.int_sbs_region_years__reporting",
    "intermediate.int_sbs__unioned",
    "intermediate.int_sbs_parts__estimated",
    "intermediate.int_region_year__reported",
]
# A business economy of two parts (sections C and D) keeps the hand computation small.
SCOPES = pl.DataFrame(
    {
        "indicator_scheme": ["sbs_legacy", "sbs_legacy"],
        "total_code": ["B-N_S95_X_K", "B-N_S95_X_K"],
        "part_code": ["C", "D"],
        "note": [None, None],
    },
    schema_overrides={"note": pl.String},
)
# AT1 has three NUTS-2 regions; D is confidential in AT12 and AT13. AT11 also publishes its total.
CELLS = [
    ("AT", "C", 2019, "employment", 1000.0),
    ("AT", "D", 2019, "employment", 100.0),
    ("AT1", "C", 2019, "employment", 600.0),
    ("AT1", "D", 2019, "employment", 60.0),
    ("AT11", "C", 2019, "employment", 300.0),
    ("AT11", "D", 2019, "employment", 30.0),
    ("AT11", "B-N_S95_X_K", 2019, "employment", 335.0),
    ("AT12", "C", 2019, "employment", 200.0),
    ("AT12", "D", 2019, "employment", None),
    ("AT13", "C", 2019, "employment", 100.0),
    ("AT13", "D", 2019, "employment", None),
]


def run(tmp_path, cells=CELLS, relation=CHAIN[-1], **settings) -> dict[tuple, dict]:
    inputs = empty_sbs_inputs() | {
        "staging.stg_sbs_r_nuts06_r2": sbs_staging(cells),
        "ref.sbs_total_scopes": SCOPES,
    }
    inputs.pop("intermediate.int_sbs_parts__estimated")
    chain = CHAIN[: CHAIN.index(relation) + 1]
    out = chain_output(tmp_path, chain, inputs, Settings(**settings))
    key = [c for c in ("region_code", "part_code", "year", "measure") if c in out.columns]
    return {tuple(r[c] for c in key): r for r in out.iter_rows(named=True)}


def test_suppressed_parts_are_estimated_down_the_nuts_tree(tmp_path):
    parts = run(tmp_path, relation="intermediate.int_sbs_parts__estimated")
    # AT1's D (60) minus AT11's 30, shared by the sizes of AT12 (200) and AT13 (100).
    assert parts["AT12", "D", 2019, "employment"]["value"] == pytest.approx(20)
    assert parts["AT13", "D", 2019, "employment"]["value"] == pytest.approx(10)
    assert parts["AT12", "D", 2019, "employment"]["is_estimated_part"]
    assert not parts["AT12", "C", 2019, "employment"]["is_estimated_part"]
    equal = run(
        tmp_path, relation="intermediate.int_sbs_parts__estimated", imputation_split="equal"
    )
    assert equal["AT12", "D", 2019, "employment"]["value"] == pytest.approx(15)


def test_the_total_is_reported_where_published_and_derived_from_its_parts_elsewhere(tmp_path):
    totals = run(tmp_path)
    assert totals["AT11", 2019]["total_employment"] == 335
    assert totals["AT11", 2019]["total_source"] == "reported"
    assert totals["AT12", 2019]["total_employment"] == pytest.approx(220)
    assert totals["AT12", 2019]["total_source"] == "derived_with_estimates"
    assert totals["AT12", 2019]["total_estimated_share"] == pytest.approx(20 / 220)
    assert totals["AT13", 2019]["total_employment"] == pytest.approx(110)


def test_a_part_that_cannot_be_estimated_leaves_no_total(tmp_path):
    # Without AT1's D, it is estimated from the country's (100: AT1 is AT's only NUTS-1 region),
    # and AT12 and AT13 share 100 - 30 by their sizes.
    cells = [c for c in CELLS if c[:2] != ("AT1", "D")]
    totals = run(tmp_path, cells)
    assert totals["AT12", 2019]["total_employment"] == pytest.approx(200 + 70 * 2 / 3)
    # Without the country's D either, nothing bounds AT12's and AT13's: no derived total for them.
    cells = [c for c in cells if c[:2] != ("AT", "D")]
    totals = run(tmp_path, cells)
    assert totals["AT12", 2019]["total_employment"] is None
    assert totals["AT12", 2019]["total_source"] is None
    # AT11 publishes all its parts: derived from them once its published total is gone too
    cells = [c for c in cells if c[1] != "B-N_S95_X_K"]
    totals = run(tmp_path, cells)
    assert totals["AT11", 2019]["total_employment"] == 330
    assert totals["AT11", 2019]["total_source"] == "derived_from_parts"


def test_stray_cells_under_another_version_s_code_do_not_make_a_region(tmp_path):
    # AT14 reports C and D in 2018 and a lone D cell in 2019 (like UKD6 in the 2017 real file).
    cells = [
        *CELLS,
        ("AT14", "C", 2018, "employment", 50.0),
        ("AT14", "D", 2018, "employment", 5.0),
        ("AT14", "C", 2019, "employment", None),
        ("AT14", "D", 2019, "employment", 4.0),
    ]
    totals = run(tmp_path, cells, region_year_min_cells_share=0.6)
    assert ("AT14", 2018) in totals and ("AT14", 2019) not in totals
    parts = run(
        tmp_path, cells, "intermediate.int_sbs_parts__estimated", region_year_min_cells_share=0.6
    )
    # AT14 takes no part in 2019, so AT12 and AT13 still share AT1's remainder alone
    assert parts["AT12", "D", 2019, "employment"]["value"] == pytest.approx(20)
