"""The shipped reference tables: current with the third-party copies they are derived from, consistent."""

from __future__ import annotations

import importlib.util

import polars as pl
import pytest

from ..conftest import PROJECT_ROOT

REFERENCE = PROJECT_ROOT / "data" / "reference"


def test_reference_tables_are_current(shared_dir):
    spec = importlib.util.spec_from_file_location(
        "build_reference", PROJECT_ROOT / "scripts" / "build_reference.py"
    )
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    for name, frame in script.tables(shared_dir / "reference").items():
        assert frame.write_csv().encode() == (REFERENCE / f"{name}.csv").read_bytes(), (
            f"data/reference/{name}.csv is stale: run `uv run python scripts/build_reference.py`"
        )


NON_EU_2016 = {"UK", "IS", "LI", "NO", "CH", "ME", "MK", "AL", "RS", "TR"}
EU27_2024 = {
    "BE", "BG", "CZ", "DK", "DE", "EE", "IE", "EL", "ES", "FR", "HR", "IT", "CY", "LV",
    "LT", "LU", "HU", "MT", "NL", "AT", "PL", "PT", "RO", "SI", "SK", "FI", "SE",
}  # fmt: skip
# Countries of each version's list (Greece is GR in NUTS 2006, EL from 2010; Croatia joins in 2010;
# the 2016 and 2021 lists hold the UK and the statistical regions of EFTA and candidate countries; the
# NUTS 2024 list is the EU-27) and its NUTS-2 regions without extra-regio.
COUNTRIES = {
    2006: EU27_2024 - {"EL", "HR"} | {"GR", "UK"},
    2010: EU27_2024 | {"UK"},
    2013: EU27_2024 | {"UK"},
    2016: EU27_2024 | NON_EU_2016,
    2021: EU27_2024 | NON_EU_2016,
    2024: EU27_2024,
}
NUTS2_REGIONS = {2006: 271, 2010: 272, 2013: 276, 2016: 332, 2021: 334, 2024: 244}


def nuts(version: int) -> pl.DataFrame:
    return pl.read_csv(REFERENCE / f"nuts_{version}.csv")


def changes(from_version: int, to_version: int, codes: list[str]) -> dict[tuple[str, str], str]:
    """{(from_code, to_code): change} of the correspondence links from `codes`."""
    links = pl.read_csv(REFERENCE / "nuts_correspondence.csv").filter(
        (pl.col("from_version") == from_version)
        & (pl.col("to_version") == to_version)
        & pl.col("from_code").is_in(codes)
    )
    return {
        (a, b): change for a, b, change in links.select("from_code", "to_code", "change").rows()
    }


def test_nuts_versions_are_complete_trees():
    for version, regions in NUTS2_REGIONS.items():
        codes = nuts(version)
        assert (codes["nuts_version"] == version).all()
        assert codes["nuts_code"].is_unique().all()
        countries = codes.filter(pl.col("nuts_level") == 0)["nuts_code"]
        assert set(countries) == set(codes["country_code"]) == COUNTRIES[version], version
        level2 = codes.filter((pl.col("nuts_level") == 2) & ~pl.col("is_extra_regio"))
        assert level2.height == regions, version
        assert set(codes["parent_code"].drop_nulls()) <= set(codes["nuts_code"]), version
        assert codes["nuts_name"].str.strip_chars().str.len_chars().min() > 0, version
    # NUTS 2016 numbers the NUTS-3 regions of UKN0 on past UKN09: UKN10 is not a child of "UKN1".
    assert nuts(2016).filter(pl.col("nuts_code") == "UKN10")["parent_code"].to_list() == ["UKN0"]
    # Known changes: Croatia's NUTS 2 regions were redrawn in 2021 and again in 2024.
    codes = {v: set(nuts(v)["nuts_code"]) for v in NUTS2_REGIONS}
    assert "HR04" in codes[2016] and "HR04" not in codes[2021]
    assert {"HR02", "HR05", "HR06"} <= codes[2021]
    assert {"GR11", "DE41", "DE42", "FI13", "FI18", "FI1A", "DED1", "DED3"} <= codes[2006]
    assert not {"EL11", "DE40", "FI1D"} & codes[2006]
    assert {"EL11", "DE40", "FI1B", "FI1C", "FI1D", "UKI1", "SI01", "HR03", "HR04"} <= codes[2010]
    assert {"EL51", "UKI3", "SI03", "FRA5", "FR21", "HU10", "PL12", "LT00", "IE01"} <= codes[2013]


def test_nuts_correspondence_records_the_known_changes():
    """The changes of the Eurostat change tables, followed through the versions (NUTS-2)."""
    # 2006 -> 2010: Brandenburg's two regions merged; Chemnitz and Leipzig redrawn (the tables move the
    # whole NUTS-3 region Döbeln, DED33, from Leipzig into Mittelsachsen, DED43, so the NUTS-2 border
    # shift is a split and a merge); Greece recoded GR -> EL; Finland's regions redrawn (these are
    # 2006 -> 2010 changes: FI13, FI18 and FI1A are no NUTS 2010 codes).
    assert changes(2006, 2010, ["DE41", "DE42"]) == {
        ("DE41", "DE40"): "merge",
        ("DE42", "DE40"): "merge",
    }
    assert changes(2006, 2010, ["DED1", "DED3"]) == {
        ("DED1", "DED4"): "merge",
        ("DED3", "DED4"): "split_merge",
        ("DED3", "DED5"): "split",
    }
    assert changes(2006, 2010, ["GR11"]) == {("GR11", "EL11"): "recoded"}
    assert changes(2006, 2010, ["FI13", "FI1A", "FI18"]) == {
        ("FI13", "FI1D"): "merge",
        ("FI1A", "FI1D"): "merge",
        ("FI18", "FI1B"): "split",
        ("FI18", "FI1C"): "split",
    }
    assert changes(2006, 2010, ["UKD2", "UKD5"]) == {
        ("UKD2", "UKD6"): "boundary_shift",
        ("UKD5", "UKD7"): "boundary_shift",
    }
    # 2010 -> 2013: Greece's regions recoded; London's two regions split in five; Slovenia's two
    # regions redrawn (a part of Osrednjeslovenska, SI021, went to Zasavska, SI035: `SI035=SI015+parts
    # of SI021`); Croatia's HR03 and HR04 unchanged (Croatia's NUTS 2010 list has no HR01 or HR02).
    assert changes(2010, 2013, ["EL11", "EL30"]) == {
        ("EL11", "EL51"): "recoded",
        ("EL30", "EL30"): "unchanged",
    }
    assert changes(2010, 2013, ["UKI1", "UKI2"]) == {
        ("UKI1", "UKI3"): "split",
        ("UKI1", "UKI4"): "split",
        ("UKI2", "UKI5"): "split",
        ("UKI2", "UKI6"): "split",
        ("UKI2", "UKI7"): "split",
    }
    assert changes(2010, 2013, ["SI01", "SI02"]) == {
        ("SI01", "SI03"): "merge",
        ("SI02", "SI03"): "split_merge",
        ("SI02", "SI04"): "split",
    }
    assert changes(2010, 2013, ["HR03", "HR04"]) == {
        ("HR03", "HR03"): "unchanged",
        ("HR04", "HR04"): "unchanged",
    }
    assert changes(2010, 2013, ["FR91", "FR94"]) == {
        ("FR91", "FRA1"): "boundary_shift",
        ("FR94", "FRA4"): "recoded",
    }
    # 2013 -> 2016: France recoded; Budapest, Warsaw and Vilnius split off; Ireland redrawn.
    assert changes(2013, 2016, ["FR21", "HU10", "PL12", "LT00"]) == {
        ("FR21", "FRF2"): "recoded",
        ("HU10", "HU11"): "split",
        ("HU10", "HU12"): "split",
        ("PL12", "PL91"): "split",
        ("PL12", "PL92"): "split",
        ("LT00", "LT01"): "split",
        ("LT00", "LT02"): "split",
    }
    assert changes(2013, 2016, ["IE01", "IE02"]) == {
        ("IE01", "IE04"): "split",
        ("IE01", "IE06"): "split_merge",
        ("IE02", "IE05"): "split",
        ("IE02", "IE06"): "split_merge",
    }
    # Chains across several change tables.
    assert changes(2006, 2021, ["GR11", "DE41", "DE42"]) == {
        ("GR11", "EL51"): "recoded",
        ("DE41", "DE40"): "merge",
        ("DE42", "DE40"): "merge",
    }
    assert changes(2006, 2024, ["FI13", "FI1A"]) == {
        ("FI13", "FI1D"): "merge",
        ("FI1A", "FI1D"): "merge",
    }
    assert changes(2010, 2024, ["FI1D"]) == {("FI1D", "FI1D"): "unchanged"}
    assert changes(2021, 2006, ["EL51", "DE40"]) == {
        ("EL51", "GR11"): "recoded",
        ("DE40", "DE41"): "split",
        ("DE40", "DE42"): "split",
    }


def test_every_region_links_to_every_later_version():
    """Every NUTS-2 region (extra-regio left out) links to a region of each later version, except the
    regions of countries that version does not list: NUTS 2024 has neither the UK nor the EFTA and
    candidate countries (every other country of a version is in the later ones, Greece as EL)."""
    links = pl.read_csv(REFERENCE / "nuts_correspondence.csv")
    not_listed = {2024: NON_EU_2016}
    versions = sorted(NUTS2_REGIONS)
    for version in versions:
        regions = nuts(version).filter((pl.col("nuts_level") == 2) & ~pl.col("is_extra_regio"))
        for later in versions[versions.index(version) :]:
            linked = links.filter(
                (pl.col("from_version") == version) & (pl.col("to_version") == later)
            )
            unlinked = set(regions["nuts_code"]) - set(linked["from_code"])
            absent = regions.filter(pl.col("country_code").is_in(not_listed.get(later, set())))
            assert unlinked == set(absent["nuts_code"]), (version, later)
    assert COUNTRIES[2021] - COUNTRIES[2024] == NON_EU_2016


def build_reference_script():
    spec = importlib.util.spec_from_file_location(
        "build_reference_shapes", PROJECT_ROOT / "scripts" / "build_reference.py"
    )
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    return script


def test_map_shapes_are_current(shared_dir):
    for name, text in build_reference_script().shape_files(shared_dir / "reference").items():
        assert text == (REFERENCE / name).read_text(encoding="utf-8"), (
            f"data/reference/{name} is stale: run `uv run python scripts/build_reference.py`"
        )


@pytest.mark.parametrize("version", [2016, 2021, 2024])
def test_every_nuts2_region_has_a_shape_with_the_acknowledgement(version):
    import json

    shapes = json.loads((REFERENCE / f"nuts_{version}_shapes.geojson").read_text(encoding="utf-8"))
    assert shapes["acknowledgement"] == "© EuroGeographics for the administrative boundaries"
    drawn = {f["id"] for f in shapes["features"] if f["properties"]["level"] == 2}
    regions = nuts(version).filter((pl.col("nuts_level") == 2) & ~pl.col("is_extra_regio"))
    missing = set(regions["nuts_code"]) - drawn
    assert not missing, f"NUTS {version} regions without a shape: {sorted(missing)}"
    countries = {f["id"] for f in shapes["features"] if f["properties"]["level"] == 0}
    assert set(regions["country_code"]) <= countries
    assert all(f["geometry"]["type"] in ("Polygon", "MultiPolygon") for f in shapes["features"])
