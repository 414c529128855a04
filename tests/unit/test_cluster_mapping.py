"""The NACE -> cluster category derivation: its voting rules on hand-made links, and the shipped table."""

from __future__ import annotations

import importlib.util

import polars as pl
import pytest

from clusterobs.transforms.cluster_mapping import (
    class_assignments,
    cluster_name_key,
    nace_cluster_mapping,
    naics_isic_links,
)

from ..conftest import PROJECT_ROOT

# Links of NAICS industries to ISIC classes, with the benchmark category of each industry (None: local).
LINKS = pl.DataFrame(
    {
        "naics": ["1", "2", "3", "4", "5", "6", "7", "8", "9", "10"],
        "isic_rev4": ["1010", "1010", "1010", "2910", "2910", "4711", "4711", "4711", "3030", "3030"],
        "category_code": ["T28", "T28", "T17", None, "T04", None, None, "T10", "T01", "T04"],
        "category_number": [28, 28, 17, None, 4, None, None, 10, 1, 4],
    }
)  # fmt: skip
NACE = pl.DataFrame(
    {
        "nace_code": ["C", "C10", "C101", "C1011", "C1012", "C29", "C291", "C2910", "C30", "C303", "C3030", "G", "G47", "G471", "G4711", "C1092"],
        "nace_level": [1, 2, 3, 4, 4, 2, 3, 4, 2, 3, 4, 1, 2, 3, 4, 4],
        "parent_code": [None, "C", "C10", "C101", "C101", "C", "C29", "C291", "C", "C30", "C303", None, "G", "G47", "G471", "C101"],
        "isic_rev4": [None, None, None, "1010", "1010", None, None, "2910", None, None, "3030", None, None, None, "4711", "1080"],
    }
)  # fmt: skip


@pytest.fixture
def assignments() -> pl.DataFrame:
    classes = NACE.filter(pl.col("nace_level") == 4).select("nace_code", "isic_rev4")
    return class_assignments(classes, LINKS)


def row(frame: pl.DataFrame, code: str) -> dict:
    return frame.filter(pl.col("nace_code") == code).row(0, named=True)


def test_the_category_with_most_linked_industries_wins(assignments):
    meat = row(assignments, "C1011")
    assert (meat["category_code"], meat["linked_naics"], meat["needs_review"]) == ("T28", 3, False)
    assert meat["link_share"] == pytest.approx(2 / 3)
    assert "T28 (2), T17 (1)" in meat["rationale"]


def test_half_traded_is_traded_less_than_half_is_local(assignments):
    assert row(assignments, "C2910")["category_code"] == "T04"  # 1 traded of 2 linked
    retail = row(assignments, "G4711")  # 1 traded of 3 linked
    assert retail["category_code"] is None
    assert retail["rationale"].startswith("1 of 3 linked NAICS industries are traded")


def test_a_tie_goes_to_the_lower_number_and_is_flagged(assignments):
    aircraft = row(assignments, "C3030")
    assert (aircraft["category_code"], aircraft["needs_review"]) == ("T01", True)


def test_a_class_no_industry_links_to_is_local(assignments):
    other_food = row(assignments, "C1092")
    assert (other_food["category_code"], other_food["linked_naics"]) == (None, 0)


def test_coarser_codes_are_allocated_by_their_classes_shares(assignments):
    mapping = nace_cluster_mapping(NACE, assignments)
    weights = {
        (r["nace_code"], r["category_code"]): r["allocation_weight"]
        for r in mapping.iter_rows(named=True)
    }
    assert weights[("C1011", "T28")] == 1.0
    assert weights[("C101", "T28")] == pytest.approx(2 / 3)  # C1011, C1012 of C1011, C1012, C1092
    assert weights[("C10", "T28")] == pytest.approx(2 / 3)
    assert weights[("C30", "T01")] == 1.0
    assert weights[("C", "T28")] == pytest.approx(2 / 5)  # of the five classes under section C
    assert not any(code.startswith("G") for code, _ in weights)  # retail stays local


def test_vintages_prefer_the_2017_concordance():
    clusters = pl.DataFrame(
        {"naics": ["111", "222"], "traded": [True, True], "category_code": ["T01", "T02"]}
    )
    links_2017 = pl.DataFrame({"naics": ["111"], "isic_rev4": ["0100"]})
    links_2012 = pl.DataFrame({"naics": ["111", "222"], "isic_rev4": ["0999", "0200"]})
    links = naics_isic_links(clusters, links_2017, links_2012)
    assert links.select("naics", "isic_rev4").rows() == [("111", "0100"), ("222", "0200")]


def test_cluster_names_match_across_punctuation():
    assert cluster_name_key("Marketing, Design, and Publishing") == cluster_name_key(
        "Marketing Design and Publishing"
    )


def shipped_mapping() -> pl.DataFrame:
    return pl.read_csv(
        PROJECT_ROOT / "data" / "reference" / "nace_cluster_mapping.csv",
        schema_overrides={"nace_level": pl.Int8},
    )


def test_shipped_mapping_puts_each_class_in_at_most_one_category_and_weights_add_up():
    mapping = shipped_mapping()
    classes = mapping.filter(pl.col("nace_level") == 4)
    assert classes["nace_code"].is_unique().all()
    assert (classes["allocation_weight"] == 1.0).all()
    assert (
        mapping.group_by("nace_code")
        .agg(pl.col("allocation_weight").sum())["allocation_weight"]
        .max()
        <= 1.0 + 1e-6  # weights are written with 10 decimals
    )
    nace = pl.read_csv(PROJECT_ROOT / "data" / "reference" / "nace_rev2.csv")
    assert set(mapping["nace_code"]) <= set(nace["nace_code"])
    categories = pl.read_csv(PROJECT_ROOT / "data" / "reference" / "cluster_categories.csv")
    assert set(mapping["category_code"]) <= set(categories["category_code"])
    known = {"C2110": "T05", "C2910": "T04", "I5510": "T22", "C1011": "T28", "C3030": "T01"}
    assert {c: row(classes, c)["category_code"] for c in known} == known


def test_shipped_mapping_and_report_are_current(shared_dir):
    """Re-derive from ../shared/reference: the committed table and docs/cluster_mapping.md must match."""
    spec = importlib.util.spec_from_file_location(
        "build_cluster_mapping", PROJECT_ROOT / "scripts" / "build_cluster_mapping.py"
    )
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    mapping, report = script.derived(shared_dir / "reference")
    stale = "stale: run `uv run python scripts/build_cluster_mapping.py`"
    assert mapping.write_csv(float_precision=10) == script.MAPPING_CSV.read_text(), stale
    assert report == script.REPORT_MD.read_text(), stale


def test_emerging_mapping_is_current_and_overlaps_only_across_industries():
    spec = importlib.util.spec_from_file_location(
        "build_cluster_mapping", PROJECT_ROOT / "scripts" / "build_cluster_mapping.py"
    )
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    mapping, report = script.emerging_outputs()
    stale = "stale: run `uv run python scripts/build_cluster_mapping.py --emerging-only`"
    assert mapping.write_csv(float_precision=10) == script.EMERGING_MAPPING_CSV.read_text(), stale
    assert report + "\n" == script.EMERGING_MD.read_text(), stale
    # the doc measures the overlaps it states: J5821 (software publishing) is creative and digital
    assert "J5821 (E04, E05)" in report
    assert set(mapping["category_code"]) == {f"E{i:02d}" for i in range(1, 11)}
    assert mapping.select("nace_code", "category_code").is_unique().all()
    weights = mapping.group_by("nace_code", "category_code").agg(pl.col("allocation_weight").sum())
    assert weights["allocation_weight"].max() <= 1.0 + 1e-9
    overlapping = mapping.filter(pl.col("nace_level") == 4).group_by("nace_code").len()
    assert overlapping["len"].max() > 1  # e.g. J5821 is creative and digital


def test_hand_review_overrides_replace_votes(assignments):
    from clusterobs.transforms.cluster_mapping import reviewed_assignments

    overrides = pl.DataFrame(
        {"nace_code": ["C3030", "C1011"], "category_code": ["T04", None], "reason": ["r1", "r2"]},
        schema_overrides={"category_code": pl.String},
    )
    reviewed = reviewed_assignments(assignments, overrides)
    aircraft, meat = row(reviewed, "C3030"), row(reviewed, "C1011")
    assert (aircraft["category_code"], aircraft["needs_review"]) == ("T04", False)
    assert aircraft["rationale"].startswith("hand review: r1 (vote: 1 of 2")
    assert (meat["category_code"], meat["link_share"]) == (None, None)
    assert row(reviewed, "C2910") == row(assignments, "C2910")
    with pytest.raises(ValueError, match="not NACE classes"):
        reviewed_assignments(
            assignments, overrides.with_columns(pl.lit("X9999").alias("nace_code"))
        )
