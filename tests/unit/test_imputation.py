"""Suppressed SBS cells estimated by the classic Observatory algorithm, and allocated to categories."""

from __future__ import annotations

import polars as pl
import pytest

from clusterobs.settings import Settings

from .sql_fixtures import chain_output, empty_sbs_inputs, model_output, sbs_staging

# A small NACE tree: section C with divisions C10, C11, C12; C10 has groups C101, C102, C103;
# C101 has classes C1011, C1012.
NACE = pl.DataFrame(
    {
        "nace_code": ["C", "C10", "C11", "C12", "C101", "C102", "C103", "C1011", "C1012"],
        "nace_level": [1, 2, 2, 2, 3, 3, 3, 4, 4],
        "section": ["C"] * 9,
        "parent_code": [None, "C", "C", "C", "C10", "C10", "C10", "C101", "C101"],
    }
)


def unioned(values: dict[str, float | None], region: str = "AT11") -> pl.DataFrame:
    codes = list(values)
    n = len(codes)
    return pl.DataFrame(
        {
            "region_code": [region] * n,
            "country_code": [region[:2]] * n,
            "nace_code": codes,
            "is_business_economy_total": [False] * n,
            "year": [2019] * n,
            "measure": ["employment"] * n,
            "value": [values[c] for c in codes],
            "flags": [None if values[c] is not None else "c" for c in codes],
            "is_confidential": [values[c] is None for c in codes],
            "is_provisional": [False] * n,
            "is_estimated": [False] * n,
            "is_break": [False] * n,
            "dataset": ["sbs_r_nuts06_r2"] * n,
            "indicator_scheme": ["sbs_legacy"] * n,
        },
        schema_overrides={"value": pl.Float64, "flags": pl.String},
    )


IMPUTATION = ["intermediate.int_sbs_estimates__computed", "intermediate.int_sbs__imputed"]


def impute(tmp_path, inputs: dict, settings: Settings | None = None) -> pl.DataFrame:
    """int_sbs__imputed (the estimates, then the cells filled with them) on the fixture inputs."""
    return chain_output(tmp_path, IMPUTATION, inputs, settings)


def imputed(tmp_path, values, national: list[tuple] | None = None, **settings) -> dict[str, dict]:
    """int_sbs__imputed of one region's cells; `national`: the country's published (code, value) cells."""
    inputs = empty_sbs_inputs() | {
        "intermediate.int_sbs__unioned": unioned(values),
        "ref.nace_rev2": NACE,
    }
    if national:
        inputs["staging.stg_sbs_r_nuts06_r2"] = sbs_staging(
            [("AT", code, 2019, "employment", value) for code, value in national]
        )
    out = impute(tmp_path, inputs, Settings(**settings))
    return {r["nace_code"]: r for r in out.iter_rows(named=True)}


def test_remainder_of_the_first_reported_parent_is_split_equally(tmp_path):
    """With no national values to weigh by (or imputation_split = equal), the classic equal split."""
    # C = 1000; C10 suppressed, C11 = 300, C12 suppressed -> C10 = C12 = (1000 - 300) / 2 = 350.
    # C10 (350): C101 suppressed, C102 = 50, C103 suppressed -> C101 = C103 = (350 - 50) / 2 = 150.
    # C101 (150): C1011 = 100, C1012 suppressed -> 50.
    rows = imputed(
        tmp_path,
        {"C": 1000.0, "C10": None, "C11": 300.0, "C12": None, "C101": None, "C102": 50.0,
         "C103": None, "C1011": 100.0, "C1012": None},
    )  # fmt: skip
    assert {c: r["value"] for c, r in rows.items()} == {
        "C": 1000, "C10": 350, "C11": 300, "C12": 350, "C101": 150, "C102": 50, "C103": 150,
        "C1011": 100, "C1012": 50,
    }  # fmt: skip
    assert {c for c, r in rows.items() if r["is_imputed"]} == {
        "C10",
        "C12",
        "C101",
        "C103",
        "C1012",
    }
    assert {c for c, r in rows.items() if r["is_leaf"]} == {
        "C11",
        "C12",
        "C102",
        "C103",
        "C1011",
        "C1012",
    }
    assert rows["C1012"]["reported_value"] is None


def test_the_remainder_is_shared_by_the_country_structure(tmp_path):
    # C = 1000, C11 = 300: 700 to share between C10 and C12, which the country has at 9000 and 1000.
    values = {"C": 1000.0, "C10": None, "C11": 300.0, "C12": None}
    national = [("C10", 9000.0), ("C12", 1000.0)]
    rows = imputed(tmp_path, values, national)
    assert rows["C10"]["value"] == pytest.approx(630)
    assert rows["C12"]["value"] == pytest.approx(70)
    rows = imputed(tmp_path, values, national, imputation_split="equal")
    assert rows["C10"]["value"] == rows["C12"]["value"] == 350
    # A country that hides one of them gives no weights: equal split.
    rows = imputed(tmp_path, values, [("C10", 9000.0)])
    assert rows["C10"]["value"] == rows["C12"]["value"] == 350


def test_an_estimate_never_exceeds_what_the_country_leaves_unpublished(tmp_path):
    # AT11: C = 1000, C11 = 300, so 700 for C10 and C12, shared 9 : 1 by the country (C10 9000, C12 1000)
    # -> C12 70. But AT12 publishes 950 of the country's 1000 in C12: AT11's C12 is capped at 50.
    at11 = unioned({"C": 1000.0, "C10": None, "C11": 300.0, "C12": None})
    at12 = unioned({"C": 6000.0, "C10": 5000.0, "C11": 50.0, "C12": 950.0}, region="AT12")
    inputs = empty_sbs_inputs() | {
        "intermediate.int_sbs__unioned": pl.concat([at11, at12]),
        "ref.nace_rev2": NACE,
        "staging.stg_sbs_r_nuts06_r2": sbs_staging(
            [("AT", "C10", 2019, "employment", 9000.0), ("AT", "C12", 2019, "employment", 1000.0)]
        ),
    }
    out = impute(tmp_path, inputs)
    rows = {
        r["nace_code"]: r for r in out.filter(pl.col("region_code") == "AT11").iter_rows(named=True)
    }
    assert rows["C12"]["value"] == pytest.approx(50)
    assert rows["C12"]["is_imputed"]
    assert rows["C10"]["value"] == pytest.approx(630)  # its cap (9000 - 5000) does not bind
    # the classic split knows no cap: 350 each
    out = impute(tmp_path, inputs, Settings(imputation_split="equal"))
    rows = {
        r["nace_code"]: r for r in out.filter(pl.col("region_code") == "AT11").iter_rows(named=True)
    }
    assert rows["C12"]["value"] == rows["C10"]["value"] == 350


def test_a_section_estimated_down_the_nuts_tree_is_the_parent_of_its_divisions(tmp_path):
    # Section C suppressed in the region, estimated at 800 from its NUTS-1 region: C10 and C12 share
    # 800 - 300.
    parts = empty_sbs_inputs()["intermediate.int_sbs_parts__estimated"].vstack(
        pl.DataFrame(
            {
                "dataset": ["sbs_r_nuts06_r2"],
                "region_code": ["AT11"],
                "part_code": ["C"],
                "year": [2019],
                "measure": ["employment"],
                "value": [800.0],
                "published_value": [None],
                "is_estimated_part": [True],
            },
            schema_overrides={"year": pl.Int16, "published_value": pl.Float64},
        )
    )
    inputs = empty_sbs_inputs() | {
        "intermediate.int_sbs__unioned": unioned(
            {"C": None, "C10": None, "C11": 300.0, "C12": None}
        ),
        "ref.nace_rev2": NACE,
        "intermediate.int_sbs_parts__estimated": parts,
    }
    out = impute(tmp_path, inputs)
    rows = {r["nace_code"]: r for r in out.iter_rows(named=True)}
    assert rows["C"]["value"] == 800 and rows["C"]["is_imputed"]
    assert rows["C10"]["value"] == rows["C12"]["value"] == 250
    # the classic algorithm estimates no section: nothing below it either
    out = impute(tmp_path, inputs, Settings(imputation_split="equal"))
    rows = {r["nace_code"]: r for r in out.iter_rows(named=True)}
    assert rows["C"]["value"] is None and rows["C10"]["value"] is None


def test_reported_children_above_their_parent_leave_nothing_to_split(tmp_path):
    rows = imputed(tmp_path, {"C": 100.0, "C10": 80.0, "C11": 30.0, "C12": None})
    assert rows["C12"]["value"] == 0
    assert rows["C12"]["is_imputed"]


def test_nothing_is_estimated_below_an_unknown_section(tmp_path):
    rows = imputed(tmp_path, {"C": None, "C10": None, "C11": 30.0})
    assert rows["C10"]["value"] is None
    assert not rows["C10"]["is_imputed"]
    # not even the country's unpublished remainder (a bound, not an estimate)
    rows = imputed(tmp_path, {"C": None, "C10": None, "C11": 30.0}, [("C10", 500.0)])
    assert rows["C10"]["value"] is None and not rows["C10"]["is_imputed"]


def test_imputed_employment_is_allocated_and_reported(tmp_path):
    cells = imputed(
        tmp_path,
        {"C": 1000.0, "C10": None, "C11": 300.0, "C12": None, "C101": None, "C102": 50.0,
         "C103": None, "C1011": 100.0, "C1012": None},
    )  # fmt: skip
    frame = pl.DataFrame(list(cells.values()))
    mapping = pl.DataFrame(
        {
            "nace_code": ["C1011", "C1012", "C102", "C12", "C103"],
            "category_code": ["T28", "T28", "T18", "T48", "T18"],
            "allocation_weight": [1.0, 1.0, 1.0, 1.0, 0.5],
        }
    )
    out = model_output(
        tmp_path,
        "intermediate.int_cluster_region_year__mapped",
        {
            "intermediate.int_sbs__imputed": frame,
            "ref.nace_cluster_mapping": mapping,
            "ref.nace_emerging_mapping": mapping.clear(),
        },
    )
    rows = {r["category_code"]: r for r in out.iter_rows(named=True)}
    assert rows["T28"]["employment"] == 150  # C1011 100 + C1012 50 (imputed)
    assert rows["T28"]["imputed_employment"] == 50
    assert rows["T18"]["employment"] == pytest.approx(50 + 0.5 * 150)
    assert rows["T18"]["imputed_employment"] == pytest.approx(75)
    assert rows["T48"]["employment"] == 350
    assert rows["T48"]["n_imputed_employment_cells"] == 1
    assert "C11" not in set(mapping["nace_code"]) and set(rows) == {"T18", "T28", "T48"}
