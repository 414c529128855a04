"""The scoreboard's datasets: each demo extract loaded and staged, values checked against the file's own
cells; the indicator catalogue covers every dimension and theme from registry datasets."""

from __future__ import annotations

import gzip

import polars as pl
import pytest

from clusterobs import loads, models, warehouse
from clusterobs.landing import land_file
from clusterobs.registry import load_registry
from clusterobs.run_config import THEMES, load_indicator_catalogue, resolve_run_config
from clusterobs.settings import Settings

from ..conftest import DEMO_DIR

# dataset -> (staged value column, filter on the staged rows, first and last year of the demo series)
STAGED = {
    "edat_lfse_04": ("tertiary_attainment_pc", {}, 2008, 2023),
    "trng_lfse_04": ("adult_learning_pc", {}, 2008, 2023),
    "edat_lfse_16": ("early_leavers_pc", {}, 2008, 2023),
    "htec_emp_reg2": ("employment_pc", {"sector_code": "KIS"}, 2008, 2023),
    "hrst_st_rcat": ("hrst_pc_active", {}, 2008, 2023),
    "rd_p_persreg": ("rd_personnel_pc_active", {}, 2008, 2022),
    "pat_ep_rtot": ("patents_per_million", {}, 2008, 2012),
    "isoc_r_broad_h": ("households_pc", {}, 2010, 2023),
    "isoc_r_iuse_i": ("individuals_pc", {}, 2010, 2023),
    "lfst_r_lfu3rt": ("unemployment_rate", {}, 2008, 2023),
    "nama_10r_2hhinc": ("income_pps_per_head", {}, 2008, 2022),
    "demo_r_d3dens": ("persons_per_km2", {}, 2008, 2023),
}
# a country each extract leaves out, as real extracts leave out regions
ABSENT = {"rd_p_persreg": "HR", "isoc_r_iuse_i": "PT"}
# extracts published without the EU aggregate (the others carry EU27_2020)
WITHOUT_EU = {"pat_ep_rtot", "demo_r_d3dens"}
LINEAGE = ["flags", "dataset", "extract_sha256", "load_run_id"]


def file_cells(dataset: str, geo: str, key: dict[str, str]) -> dict[int, tuple[float | None, str]]:
    """The demo file's cells of one region's series, read as plain text: year -> (value, flags)."""
    with gzip.open(DEMO_DIR / f"{dataset}.tsv.gz", "rt") as handle:
        header, *lines = handle.read().splitlines()
    dims = header.split("\t")[0].split("\\")[0].split(",")
    years = [int(cell) for cell in header.split("\t")[1:]]
    for line in lines:
        codes, *cells = line.split("\t")
        row = dict(zip(dims, codes.split(","), strict=True))
        if row["geo"] == geo and all(row[d] == c for d, c in key.items()):
            parsed = {}
            for year, cell in zip(years, cells, strict=True):
                value, _, flags = cell.strip().partition(" ")
                parsed[year] = (None if value == ":" else float(value), flags.strip())
            return parsed
    raise AssertionError(f"{geo} not in {dataset}")


def staged(tmp_path, dataset: str) -> pl.DataFrame:
    """The demo extract of `dataset` loaded into raw and its staging model run on it."""
    con = warehouse.connect(tmp_path / "unit.duckdb")
    try:
        settings = Settings()
        warehouse.apply_run_config(con, resolve_run_config(settings))
        warehouse.load_reference(con, settings.cluster_mapping_path, settings.emerging_mapping_path)
        landed = land_file(DEMO_DIR / f"{dataset}.tsv.gz", tmp_path / "landing", dataset)
        loads.load_dataset(con, dataset, [landed], "run-1")
        models.run_model(con, models.discovered_models()[f"staging.stg_{dataset}"])
        return con.sql(f"select * from staging.stg_{dataset}").pl()
    finally:
        con.close()


@pytest.mark.parametrize("dataset", sorted(STAGED))
def test_demo_extract_is_staged_with_its_values_flags_and_gaps(tmp_path, dataset):
    column, key, first, last = STAGED[dataset]
    rows = staged(tmp_path, dataset)
    assert set(LINEAGE) | {"geo_code", "nuts_level", "year", column} <= set(rows.columns)
    assert rows["load_run_id"].unique().to_list() == ["run-1"]
    assert rows["dataset"].unique().to_list() == [dataset]
    region = rows.filter(pl.col("geo_code") == "AT13", **key)
    key_codes = {"sector_code": "nace_r2"}
    expected = file_cells(dataset, "AT13", {key_codes[k]: v for k, v in key.items()})
    got = {r["year"]: (r[column], r["flags"] or "") for r in region.iter_rows(named=True)}
    assert got == expected and len(got) == last - first + 1  # ':' is NULL, never 0
    assert rows["year"].min() == first and rows["year"].max() == last
    assert rows.filter(pl.col(column).is_null()).height > 0  # the demo's missing cells
    assert set(rows["nuts_level"].drop_nulls().unique()) == {0, 1, 2}
    eu = rows.filter(pl.col("nuts_level").is_null())
    if dataset in WITHOUT_EU:
        assert eu.is_empty()
    else:  # the EU aggregate is staged, with no NUTS level, as the scoreboard's EU = 100
        assert set(eu["geo_code"]) == {"EU27_2020"}
        expected = file_cells(dataset, "EU27_2020", {key_codes[k]: v for k, v in key.items()})
        eu = eu.filter(**key)
        assert {
            r["year"]: (r[column], r["flags"] or "") for r in eu.iter_rows(named=True)
        } == expected
    if dataset in ABSENT:
        assert not rows["geo_code"].str.starts_with(ABSENT[dataset]).any()
    if dataset != "pat_ep_rtot":  # the patent series end before the last year is provisional
        assert rows.filter(pl.col("year") == last)["flags"].str.contains("p").all()


def test_staging_drops_european_aggregates_and_other_codes(tmp_path):
    rows = staged(tmp_path, "htec_emp_reg2")
    assert set(rows["sector_code"]) == {"C_HTC_MH", "KIS"}
    hightech = rows.filter((pl.col("sector_code") == "C_HTC_MH") & (pl.col("geo_code") == "AT13"))
    assert hightech["employment_pc"].drop_nulls().is_between(1, 20).all()


@pytest.fixture(scope="module")
def catalogue():
    return load_indicator_catalogue()


def test_catalogue_covers_every_dimension_and_theme_from_registry_datasets(catalogue):
    assert len(catalogue) >= 30
    dimensions = {spec.dimension for spec in catalogue.values()}
    assert dimensions == {
        "knowledge_and_skills",
        "access_to_finance",
        "collaboration_and_internationalisation",
        "demand_conditions",
        "entrepreneurial_conditions",
        "quality_of_governance",
    }
    assert {spec.theme for spec in catalogue.values()} - {""} == set(THEMES)
    registry = load_registry(Settings().registry_path)
    for code, spec in catalogue.items():
        assert spec.source_datasets and set(spec.source_datasets) <= set(registry), code


def test_every_indicator_says_why_and_proxies_say_so(catalogue):
    for code, spec in catalogue.items():
        assert len(spec.rationale) > 40, code
        assert spec.is_proxy == spec.rationale.startswith("PROXY:"), code
    proxies = {code for code, spec in catalogue.items() if spec.is_proxy}
    assert {
        "gfcf_pc_gdp",
        "egovernment_users_pc",
        "high_tech_manufacturing_employment_pc",
    } <= proxies


def test_every_registry_dataset_has_a_staging_model_and_a_suite():
    found = models.discovered_models()
    for dataset in load_registry(Settings().registry_path):
        assert f"staging.stg_{dataset}" in found, dataset
        assert (DEMO_DIR.parent.parent / "expectations" / f"stg_{dataset}.json").is_file(), dataset


def test_the_scoreboard_docs_list_every_indicator(catalogue):
    docs = (DEMO_DIR.parent.parent / "docs" / "scoreboard_tables.md").read_text()
    for code in catalogue:
        assert f"| `{code}` " in docs, code
