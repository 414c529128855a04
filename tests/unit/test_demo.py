"""The demo generator: deterministic, committed files current, realistic and internally consistent."""

from __future__ import annotations

import hashlib

import polars as pl
import pytest

from clusterobs.demo import generate
from clusterobs.transforms.readers.extracts import observations

from ..conftest import DEMO_DIR


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    out = tmp_path_factory.mktemp("demo")
    generate(out, scale="demo")
    return out


def digest(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_generator_is_deterministic_and_committed_demo_is_current(generated, tmp_path):
    again = tmp_path / "again"
    generate(again, scale="demo")
    files = sorted(p.name for p in generated.iterdir())
    assert (
        files
        == sorted(p.name for p in again.iterdir())
        == sorted(p.name for p in DEMO_DIR.iterdir())
    )
    for name in files:
        assert digest(generated / name) == digest(again / name), name
        assert digest(generated / name) == digest(DEMO_DIR / name), (
            f"data/demo/{name} is stale: run `clusterobs generate-demo`"
        )


def test_a_different_seed_gives_different_data(generated, tmp_path):
    generate(tmp_path, scale="demo", seed=1)
    assert digest(tmp_path / "sbs_r_nuts06_r2.tsv.gz") != digest(
        generated / "sbs_r_nuts06_r2.tsv.gz"
    )


@pytest.fixture(scope="module")
def legacy_sbs():
    return observations(DEMO_DIR / "sbs_r_nuts06_r2.tsv.gz", "sbs_r_nuts06_r2")


def test_demo_covers_countries_regions_years_and_flags(legacy_sbs):
    nuts2 = legacy_sbs.filter(
        (pl.col("geo").str.len_chars() == 4) & ~pl.col("geo").str.ends_with("Z")
    )
    assert nuts2["geo"].str.slice(0, 2).n_unique() >= 8
    assert 75 <= nuts2["geo"].n_unique() <= 100
    assert legacy_sbs["year"].unique().sort().to_list() == list(range(2008, 2021))
    assert set(legacy_sbs["indic_sb"].unique()) == {"V11210", "V16110", "V13320"}
    assert legacy_sbs["is_confidential"].sum() > 0
    assert legacy_sbs.filter(pl.col("value").is_null() & ~pl.col("is_confidential")).height > 0
    assert legacy_sbs["is_estimated"].sum() > 0 and legacy_sbs["is_break"].sum() > 0
    # NUTS-1 and NUTS-0 parents and extra-regio codes are published too.
    levels = set(legacy_sbs["geo"].str.len_chars().unique())
    assert {2, 3, 4} <= levels
    assert legacy_sbs.filter(pl.col("geo").str.ends_with("ZZ"))["value"].is_null().all()
    # Divisions and some groups.
    codes = set(legacy_sbs["nace_r2"].unique())
    assert {"C10", "C101", "C29", "C291", "J62", "B-N_S95_X_K"} <= codes
    ebs = observations(DEMO_DIR / "sbs_r_nuts2021.tsv.gz", "sbs_r_nuts2021")
    assert ebs["year"].unique().sort().to_list() == [2021, 2022, 2023]
    assert ebs.filter((pl.col("year") == 2023) & pl.col("value").is_not_null())[
        "is_provisional"
    ].all()


def test_regional_totals_add_up(legacy_sbs):
    emp = legacy_sbs.filter(pl.col("indic_sb") == "V16110")
    sections = [*list("BCDEFGHIJLMN"), "S95"]
    # S95 is a division and may be suppressed itself: compare where all 13 parts are published.
    by_sections = (
        emp.filter(pl.col("nace_r2").is_in(sections))
        .group_by("geo", "year")
        .agg(pl.col("value").sum().alias("sections"), pl.col("value").count().alias("published"))
        .filter(pl.col("published") == len(sections))
    )
    totals = emp.filter(pl.col("nace_r2") == "B-N_S95_X_K").select(
        "geo", "year", pl.col("value").alias("total")
    )
    joined = totals.join(by_sections, on=["geo", "year"]).filter(pl.col("total").is_not_null())
    assert joined.height > 1000
    assert (joined["total"] == joined["sections"]).all()
    # NUTS-1 totals equal the sum of their NUTS-2 regions.
    nuts2 = totals.filter(pl.col("geo").str.len_chars() == 4).with_columns(
        pl.col("geo").str.slice(0, 3).alias("parent")
    )
    summed = nuts2.group_by("parent", "year").agg(pl.col("total").sum().alias("children"))
    nuts1 = totals.filter(pl.col("geo").str.len_chars() == 3).rename({"geo": "parent"})
    check = nuts1.join(summed, on=["parent", "year"])
    assert check.height > 100 and (check["total"] == check["children"]).all()


def test_magnitudes_are_plausible(legacy_sbs):
    totals = legacy_sbs.filter(
        (pl.col("nace_r2") == "B-N_S95_X_K")
        & (pl.col("geo").str.len_chars() == 4)
        & (pl.col("year") == 2019)
    )
    emp = totals.filter(pl.col("indic_sb") == "V16110").select("geo", pl.col("value").alias("emp"))
    wages = totals.filter(pl.col("indic_sb") == "V13320").select(
        "geo", pl.col("value").alias("wages")
    )
    units = totals.filter(pl.col("indic_sb") == "V11210").select(
        "geo", pl.col("value").alias("units")
    )
    frame = emp.join(wages, on="geo").join(units, on="geo")
    assert frame["emp"].median() > 100_000 and frame["emp"].max() < 5_000_000
    avg_wage = frame["wages"] * 1e6 / frame["emp"]
    assert avg_wage.min() > 10_000 and avg_wage.max() < 100_000
    avg_size = frame["emp"] / frame["units"]
    assert 3 < avg_size.median() < 20
