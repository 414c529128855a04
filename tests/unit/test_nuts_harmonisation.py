"""NUTS harmonisation: the correspondence table and the conversion of cluster cells and region totals into
one NUTS version (hand-computed splits and merges on the real Croatian 2016 -> 2021 change)."""

from __future__ import annotations

import polars as pl
import pytest

from clusterobs import warehouse
from clusterobs.settings import EU27, REFERENCE_DIR, Settings

from .sql_fixtures import chain_output

LEGACY, EBS = "sbs_r_nuts06_r2", "sbs_r_nuts2021"  # NUTS 2016 and NUTS 2021 in datasets.toml
HARMONISE = [
    "intermediate.int_nuts_links__resolved",
    "intermediate.int_nuts_splits__weighted",
    "intermediate.int_nuts_links__routed",
    "intermediate.int_cluster_region_year__harmonised",
    "intermediate.int_region_year__totals",
]


NUTS_VERSIONS = (2006, 2010, 2013, 2016, 2021, 2024)
# NUTS-2 regions that entered NUTS with the version given, so link to no region of an older version
# although their country is in it: Mayotte (FRA5 in NUTS 2013, FRY5 from 2016), Jan Mayen and
# Svalbard (NO0B, 2021).
NEW_TERRITORY = {"FRA5": 2013, "FRY5": 2013, "NO0B": 2021}


def test_correspondence_covers_every_region_and_records_the_croatian_split():
    links = pl.read_csv(REFERENCE_DIR / "nuts_correspondence.csv")
    nuts = {v: pl.read_csv(REFERENCE_DIR / f"nuts_{v}.csv") for v in NUTS_VERSIONS}
    greece_as_el = pl.col("country_code").replace("GR", "EL")
    countries = {v: set(frame.select(greece_as_el).to_series()) for v, frame in nuts.items()}
    for version in NUTS_VERSIONS:
        regions = nuts[version].filter((pl.col("nuts_level") == 2) & ~pl.col("is_extra_regio"))
        for other in NUTS_VERSIONS:
            pair = links.filter(
                (pl.col("from_version") == version) & (pl.col("to_version") == other)
            )
            # a region links to every other version, unless that version does not list its country
            # (Croatia before 2010, the UK and the EFTA and candidate countries outside 2016 and 2021)
            # or it entered NUTS later
            absent = regions.filter(~greece_as_el.is_in(countries[other]))
            newer = [code for code, since in NEW_TERRITORY.items() if other < since <= version]
            expected = set(regions["nuts_code"]) - set(absent["nuts_code"]) - set(newer)
            assert set(pair["from_code"]) == expected, (version, other)
            assert set(pair["to_code"]) <= set(nuts[other]["nuts_code"])
            shares = pair.group_by("from_code").agg(pl.col("nuts3_share").sum())
            assert shares["nuts3_share"].is_between(1 - 1e-5, 1 + 1e-5).all()
    split = links.filter(
        (pl.col("from_version") == 2016)
        & (pl.col("to_version") == 2021)
        & (pl.col("from_code") == "HR04")
    )
    assert dict(zip(split["to_code"], split["change"], strict=True)) == {
        "HR02": "split",
        "HR05": "split",
        "HR06": "split",
    }
    merged = links.filter(
        (pl.col("from_version") == 2021)
        & (pl.col("to_version") == 2016)
        & (pl.col("to_code") == "HR04")
    )
    assert sorted(merged["from_code"]) == ["HR02", "HR05", "HR06"]
    assert set(merged["change"]) == {"merge"}
    lisbon = links.filter(
        (pl.col("from_version") == 2021)
        & (pl.col("to_version") == 2024)
        & (pl.col("from_code") == "PT17")
    )
    assert sorted(lisbon["to_code"]) == ["PT1A", "PT1B"]
    same = links.filter((pl.col("from_version") == 2021) & (pl.col("to_version") == 2021))
    assert (same["from_code"] == same["to_code"]).all() and set(same["change"]) == {"unchanged"}


def cells(rows: list[tuple[str, str, str, int, float]]) -> pl.DataFrame:
    """int_cluster_region_year__mapped rows (dataset, region, category, year, employment); local units
    are a tenth of employment, wages 0.04 MEUR a job."""
    n = len(rows)
    return pl.DataFrame(
        {
            "region_code": [r[1] for r in rows],
            "country_code": [r[1][:2] for r in rows],
            "category_code": [r[2] for r in rows],
            "year": [r[3] for r in rows],
            "dataset": [r[0] for r in rows],
            "indicator_scheme": ["sbs_legacy" if r[0] == LEGACY else "sbs_ebs" for r in rows],
            "employment": [r[4] for r in rows],
            "local_units": [r[4] / 10 for r in rows],
            "wages_meur": [r[4] * 0.04 for r in rows],
            "value_added_meur": [None] * n,
            "imputed_employment": [0.0] * n,
            "n_missing_employment_cells": [0] * n,
            "n_confidential_employment_cells": [0] * n,
            "n_imputed_employment_cells": [0] * n,
            "has_break_flag": [False] * n,
            "has_estimated_flag": [False] * n,
            "has_provisional_flag": [False] * n,
        },
        schema_overrides={"year": pl.Int16, "value_added_meur": pl.Float64},
    )


def totals(rows: list[tuple[str, str, int, float]]) -> pl.DataFrame:
    """int_region_year__reported rows (dataset, region, year, business-economy employment)."""
    return pl.DataFrame(
        {
            "region_code": [r[1] for r in rows],
            "country_code": [r[1][:2] for r in rows],
            "year": [r[2] for r in rows],
            "dataset": [r[0] for r in rows],
            "indicator_scheme": ["sbs_legacy" if r[0] == LEGACY else "sbs_ebs" for r in rows],
            "total_employment": [r[3] for r in rows],
            "total_local_units": [r[3] / 10 for r in rows],
            "total_wages_meur": [r[3] * 0.04 for r in rows],
        },
        schema_overrides={"year": pl.Int16},
    )


# HR04 (NUTS 2016) became HR02, HR05 and HR06 in NUTS 2021; HR03 did not change.
MAPPED = cells(
    [
        (LEGACY, "HR04", "T01", 2020, 1000.0),
        (LEGACY, "HR04", "T02", 2020, 500.0),
        (LEGACY, "HR04", "T03", 2020, 100.0),
        (LEGACY, "HR03", "T01", 2020, 300.0),
        (LEGACY, "HR05", "T01", 2019, 580.0),  # a NUTS 2021 code in the NUTS 2016 extract
        (EBS, "HR02", "T01", 2021, 200.0),
        (EBS, "HR05", "T01", 2021, 600.0),
        (EBS, "HR06", "T01", 2021, 200.0),
        (EBS, "HR02", "T02", 2021, 100.0),  # T02: HR06 missing in 2021, all three first in 2022
        (EBS, "HR05", "T02", 2021, 300.0),
        (EBS, "HR02", "T02", 2022, 50.0),
        (EBS, "HR05", "T02", 2022, 100.0),
        (EBS, "HR06", "T02", 2022, 50.0),
        (EBS, "HR05", "T03", 2021, 40.0),  # T03: never reported by all three successors
        (EBS, "HR03", "T01", 2021, 310.0),
    ]
)
REPORTED = totals(
    [
        (LEGACY, "HR04", 2020, 2000.0),
        (LEGACY, "HR03", 2020, 700.0),
        (LEGACY, "HR05", 2019, 1150.0),
        (EBS, "HR02", 2021, 500.0),
        (EBS, "HR05", 2021, 1000.0),
        (EBS, "HR06", 2021, 500.0),
        (EBS, "HR03", 2021, 720.0),
    ]
)


def harmonise(tmp_path, relation: str, **settings) -> dict[tuple, dict]:
    """Rows of `relation` after harmonising the fixture cells, keyed by region, category (if any), year."""
    inputs = {
        "intermediate.int_cluster_region_year__mapped": MAPPED,
        "intermediate.int_region_year__reported": REPORTED,
    }
    chain = HARMONISE[: HARMONISE.index(relation) + 1]
    out = chain_output(tmp_path, chain, inputs, Settings(**settings))
    key = [c for c in ("region_code", "category_code", "year") if c in out.columns]
    return {tuple(r[c] for c in key): r for r in out.iter_rows(named=True)}


def test_a_split_region_is_shared_by_its_successors_first_full_year(tmp_path):
    rows = harmonise(tmp_path, "intermediate.int_cluster_region_year__harmonised")
    # T01: successors all reported in 2021 (200, 600, 200 of 1000).
    assert rows["HR02", "T01", 2020]["employment"] == pytest.approx(1000 * 0.2)
    assert rows["HR05", "T01", 2020]["employment"] == pytest.approx(1000 * 0.6)
    assert rows["HR06", "T01", 2020]["employment"] == pytest.approx(1000 * 0.2)
    assert rows["HR05", "T01", 2020]["local_units"] == pytest.approx(100 * 0.6)
    assert rows["HR05", "T01", 2020]["nuts_conversion"] == "split"
    assert rows["HR05", "T01", 2020]["nuts_source_codes"] == "HR04"
    # T02: the first year all three report is 2022 (50, 100, 50 of 200).
    assert rows["HR02", "T02", 2020]["employment"] == pytest.approx(500 * 0.25)
    assert rows["HR05", "T02", 2020]["employment"] == pytest.approx(500 * 0.5)
    # T03: never reported by all three: the business-economy total's shares (500, 1000, 500 of 2000).
    assert rows["HR05", "T03", 2020]["employment"] == pytest.approx(100 * 0.5)
    assert rows["HR06", "T03", 2020]["employment"] == pytest.approx(100 * 0.25)
    # Nothing is lost: the successors add up to the split region.
    for category, total in [("T01", 1000), ("T02", 500), ("T03", 100)]:
        parts = [rows[r, category, 2020]["employment"] for r in ("HR02", "HR05", "HR06")]
        assert sum(parts) == pytest.approx(total)
    assert ("HR04", "T01", 2020) not in rows
    # Unchanged regions and target-version codes pass through.
    assert rows["HR03", "T01", 2020]["employment"] == 300
    assert rows["HR03", "T01", 2020]["nuts_conversion"] == "unchanged"
    assert (
        rows["HR05", "T01", 2019]["employment"] == 580
    )  # read in NUTS 2021, the version that has it
    assert rows["HR05", "T01", 2021]["nuts_conversion"] == "unchanged"


def test_region_totals_follow_the_same_conversion(tmp_path):
    rows = harmonise(tmp_path, "intermediate.int_region_year__totals")
    assert rows["HR02", 2020]["total_employment"] == pytest.approx(2000 * 0.25)
    assert rows["HR05", 2020]["total_employment"] == pytest.approx(2000 * 0.5)
    assert rows["HR05", 2020]["nuts_conversion"] == "split"
    # traded employment comes from the harmonised cluster cells (T01 and T02 are traded, T03 too)
    assert rows["HR05", 2020]["traded_employment"] == pytest.approx(600 + 250 + 50)
    assert rows["HR03", 2020]["total_employment"] == 700


def test_merging_into_an_older_version_sums_only_complete_sets(tmp_path):
    rows = harmonise(
        tmp_path, "intermediate.int_cluster_region_year__harmonised", nuts_target_version=2016
    )
    merged = rows["HR04", "T01", 2021]
    assert merged["employment"] == 1000 and merged["wages_meur"] == pytest.approx(40)
    assert merged["nuts_conversion"] == "merge"
    assert merged["nuts_source_codes"] == "HR02,HR05,HR06"
    assert rows["HR04", "T01", 2020]["employment"] == 1000  # already NUTS 2016
    assert rows["HR04", "T01", 2020]["nuts_conversion"] == "unchanged"
    # HR06 did not report T02 in 2021: no partial sum.
    assert rows["HR04", "T02", 2021]["employment"] is None
    assert rows["HR04", "T02", 2021]["nuts_conversion"] == "incomplete_merge"
    assert rows["HR04", "T02", 2022]["employment"] == 200
    assert ("HR05", "T01", 2021) not in rows


def test_without_a_split_rule_the_old_region_keeps_its_code(tmp_path):
    rows = harmonise(
        tmp_path, "intermediate.int_cluster_region_year__harmonised", nuts_split_rule="none"
    )
    kept = rows["HR04", "T01", 2020]
    assert kept["employment"] == 1000 and kept["nuts_conversion"] == "unbridged"
    assert ("HR02", "T01", 2020) not in rows
    assert rows["HR02", "T01", 2021]["employment"] == 200


def test_older_codes_in_an_extract_are_read_in_the_newest_version_that_has_them(tmp_path):
    # Eurostat's legacy SBS files (NUTS 2016 in datasets.toml) still carry NUTS 2006 and 2013 codes.
    mapped = cells(
        [
            (LEGACY, "DE41", "T01", 2008, 100.0),  # NUTS 2006: merged with DE42 into DE40 in 2010
            (LEGACY, "DE42", "T01", 2008, 300.0),
            (LEGACY, "FR21", "T01", 2012, 50.0),  # NUTS 2006-2013: recoded FRF2 in 2016
            (LEGACY, "DE40", "T01", 2016, 420.0),
        ]
    )
    reported = totals([(LEGACY, "DE40", 2016, 900.0)])
    inputs = {
        "intermediate.int_cluster_region_year__mapped": mapped,
        "intermediate.int_region_year__reported": reported,
    }
    links = chain_output(tmp_path, HARMONISE[:1], inputs, Settings())
    resolved = {
        r["region_code"]: (r["source_version"], r["target_code"], r["change"])
        for r in links.iter_rows(named=True)
    }
    assert resolved == {
        "DE41": (2006, "DE40", "merge"),
        "DE42": (2006, "DE40", "merge"),
        "FR21": (2013, "FRF2", "recoded"),
        "DE40": (2016, "DE40", "unchanged"),
    }
    out = chain_output(tmp_path, HARMONISE[:4], inputs, Settings())
    rows = {(r["region_code"], r["year"]): r for r in out.iter_rows(named=True)}
    assert rows["DE40", 2008]["employment"] == 400
    assert rows["DE40", 2008]["nuts_conversion"] == "merge"
    assert rows["DE40", 2008]["nuts_source_codes"] == "DE41,DE42"
    assert rows["FRF2", 2012]["employment"] == 50
    assert rows["FRF2", 2012]["nuts_conversion"] == "recoded"


def test_the_warehouse_holds_every_version_and_splits_requests_by_eu_countries(tmp_path):
    settings = Settings()
    with warehouse.connect(tmp_path / "warehouse.duckdb") as con:
        warehouse.load_reference(con, settings.cluster_mapping_path, settings.emerging_mapping_path)
        versions = con.sql(
            "select distinct nuts_version from ref.nuts_regions order by 1"
        ).fetchall()
        assert [v for (v,) in versions] == list(NUTS_VERSIONS)
        # the reference also lists the UK and EFTA and candidate countries; requests are split by the
        # EU-27 unless the run names its countries
        codes = warehouse.nuts_codes(con, [2], None, 2006)
        assert {code[:2] for code in codes} == set(EU27)
        assert {"DE41", "DE40", "FRF2", "PT1D"} <= set(codes)
        assert warehouse.nuts_codes(con, [0], ["NO", "UK"], 2016) == ["NO", "UK"]


def test_a_split_and_a_merge_of_the_2006_2010_tables_reach_the_target_version(tmp_path):
    # NUTS 2006 -> 2010 in Finland: FI18 split into FI1B and FI1C; FI13 and FI1A merged into FI1D.
    # The 2017 sbs_r_nuts06_r2 reports the old codes until 2010 and the new ones from 2011 (and both
    # in 2010).
    mapped = cells(
        [
            (LEGACY, "FI18", "T01", 2009, 1000.0),
            (LEGACY, "FI13", "T01", 2009, 100.0),
            (LEGACY, "FI1A", "T01", 2009, 150.0),
            (LEGACY, "FI1B", "T01", 2011, 600.0),
            (LEGACY, "FI1C", "T01", 2011, 200.0),
            (LEGACY, "FI1D", "T01", 2011, 260.0),
            # 2010: both versions report the same regions; only the newer codes count
            (LEGACY, "FI13", "T01", 2010, 110.0),
            (LEGACY, "FI1A", "T01", 2010, 140.0),
            (LEGACY, "FI1D", "T01", 2010, 255.0),
        ]
    )
    reported = totals(
        [
            (LEGACY, "FI18", 2009, 4000.0),
            (LEGACY, "FI1B", 2011, 2400.0),
            (LEGACY, "FI1C", 2011, 1600.0),
            (LEGACY, "FI13", 2009, 500.0),
            (LEGACY, "FI1A", 2009, 700.0),
            (LEGACY, "FI1D", 2011, 1250.0),
            (LEGACY, "FI13", 2010, 510.0),
            (LEGACY, "FI1A", 2010, 690.0),
            (LEGACY, "FI1D", 2010, 1190.0),
        ]
    )
    inputs = {
        "intermediate.int_cluster_region_year__mapped": mapped,
        "intermediate.int_region_year__reported": reported,
    }
    links = chain_output(tmp_path, HARMONISE[:1], inputs, Settings())
    resolved = {
        r["region_code"]: (r["source_version"], r["change"]) for r in links.iter_rows(named=True)
    }
    assert resolved["FI18"] == (2006, "split") and resolved["FI13"] == (2006, "merge")
    out = chain_output(tmp_path, HARMONISE[:4], inputs, Settings())
    rows = {(r["region_code"], r["year"]): r for r in out.iter_rows(named=True)}
    # the split shared by the successors' T01 in their first year (600 : 200)
    assert rows["FI1B", 2009]["employment"] == pytest.approx(750)
    assert rows["FI1C", 2009]["employment"] == pytest.approx(250)
    assert rows["FI1B", 2009]["nuts_conversion"] == "split"
    # the merge summed
    assert rows["FI1D", 2009]["employment"] == 250
    assert rows["FI1D", 2009]["nuts_conversion"] == "merge"
    # 2010: FI1D's own 255, not 255 + 110 + 140
    assert rows["FI1D", 2010]["employment"] == 255
    assert rows["FI1D", 2010]["nuts_source_codes"] == "FI1D"
    region_totals = chain_output(tmp_path, HARMONISE, inputs, Settings())
    by_year = {(r["region_code"], r["year"]): r for r in region_totals.iter_rows(named=True)}
    assert by_year["FI1D", 2010]["total_employment"] == 1190
    assert by_year["FI1B", 2009]["total_employment"] == pytest.approx(4000 * 0.6)
