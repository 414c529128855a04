"""The whole pipeline on real Eurostat bulk files (../shared/eurostat_realdata, skipped where absent): the
2017 sbs_r_nuts06_r2 alone, then with the LFS and GDP files of the same vintage, both published with
validation on."""

from __future__ import annotations

import duckdb
import pytest

from clusterobs.exports import read_polars
from clusterobs.flows.pipeline import pipeline
from clusterobs.registry import load_registry
from clusterobs.settings import Settings

pytestmark = [pytest.mark.integration, pytest.mark.shared]

# The shared copies carry their publishers' names; a source folder names each file after its dataset.
REAL_FILES = {
    "sbs_r_nuts06_r2.tsv.gz": "kproductivity_sbs_r_nuts06_r2.tsv.gz",
    "lfst_r_lfe2en2.tsv.gz": "jsollari_lfst_r_lfe2en2.tsv.gz",
    "nama_10r_2gdp.tsv.gz": "jsollari_nama_10r_2gdp.tsv.gz",
}


def real_source(shared_dir, folder, names: list[str]):
    folder.mkdir()
    for name in names:
        (folder / name).symlink_to(shared_dir / "eurostat_realdata" / REAL_FILES[name])
    return folder


@pytest.fixture(scope="module")
def sbs_run(prefect_api, shared_dir, tmp_path_factory):
    root = tmp_path_factory.mktemp("real_sbs")
    source = real_source(shared_dir, root / "extracts", ["sbs_r_nuts06_r2.tsv.gz"])
    out = root / "out"
    summary = pipeline(settings=Settings(source=str(source), output_dir=out))
    return summary, out


@pytest.fixture(scope="module")
def three_run(prefect_api, shared_dir, tmp_path_factory):
    root = tmp_path_factory.mktemp("real_three")
    source = real_source(shared_dir, root / "extracts", list(REAL_FILES))
    out = root / "out"
    summary = pipeline(settings=Settings(source=str(source), output_dir=out))
    return summary, out


def query(out, sql: str, params=None) -> list[tuple]:
    with duckdb.connect(str(out / "clusterobs.duckdb"), read_only=True) as con:
        return con.execute(sql, params or []).fetchall()


def test_the_real_sbs_file_alone_publishes_with_validation_on(sbs_run):
    summary, out = sbs_run
    assert summary.status == "published"
    for stage in ("staging", "marts"):
        assert summary.validation[stage]["critical_failures"] == 0, stage
        assert summary.validation[stage]["expectations"] > 10
    # what real data always has is reported, with counts
    warnings = dict(
        query(
            out,
            """select suite || '.' || column_name, unexpected_count from meta.validation_results
               where not success and severity = 'warning'""",
        )
    )
    assert warnings["chk_sbs_nuts_hierarchy.inconsistency"] > 1000
    assert warnings["stg_sbs_r_nuts06_r2.value"] > 200_000  # suppressed and missing cells
    # every other registry dataset is absent, named, and its outputs listed as unavailable
    assert set(summary.absent_datasets) == set(load_registry(Settings().registry_path)) - {
        "sbs_r_nuts06_r2"
    }
    assert summary.unavailable_indicators["gerd_pc_gdp"] == "absent: rd_e_gerdreg"
    assert "average_wage_eur" not in summary.unavailable_indicators  # the SBS file feeds it
    statuses = dict(
        query(
            out, "select dataset, status from meta.run_datasets where run_id = ?", [summary.run_id]
        )
    )
    assert statuses["sbs_r_nuts06_r2"] == "loaded" and statuses["rd_e_gerdreg"] == "absent"
    assert query(out, "select count(*) from raw.rd_e_gerdreg") == [(0,)]
    skipped = query(
        out,
        "select suite from meta.validation_results where expectation = 'suite_skipped' and run_id = ?",
        [summary.run_id],
    )
    assert ("stg_rd_e_gerdreg",) in skipped


def test_the_real_file_is_loaded_as_eurostat_published_it(sbs_run):
    _, out = sbs_run
    # Known magnitudes (../shared/eurostat_realdata/SOURCES.md)
    [(stuttgart,)] = query(
        out,
        """select value from staging.stg_sbs_r_nuts06_r2
           where geo_code = 'DE11' and nace_code = 'C29' and measure = 'employment' and year = 2015""",
    )
    [(mining,)] = query(
        out,
        """select value from staging.stg_sbs_r_nuts06_r2
           where geo_code = 'DE' and nace_code = 'B' and measure = 'employment' and year = 2015""",
    )
    assert (stuttgart, mining) == (160_445, 60_686)


def test_location_quotients_cover_the_traded_cells(sbs_run):
    _, out = sbs_run
    [(cells, with_lq)] = query(
        out,
        """select count(*), count(lq) from marts.fct_cluster_region_year
           where category_type = 'traded' and year between 2010 and 2014 and employment > 0
             and length(region_code) = 4 and not ends_with(region_code, 'Z')""",
    )
    assert cells > 50_000
    assert with_lq / cells >= 0.95
    # no business-economy total in the file: every region total is derived from its parts
    sources = dict(
        query(
            out,
            "select total_source, count(*) from intermediate.int_region_year__totals group by all",
        )
    )
    assert "reported" not in sources
    assert sources["derived_from_parts"] > 1000 and sources["derived_with_estimates"] > 300


@pytest.mark.parametrize(
    ("region", "category", "min_lq"),
    [
        ("DE11", "T04", 3),  # Stuttgart: automotive
        ("PL22", "T07", 10),  # Silesia: coal mining
        ("ITI3", "T19", 5),  # Marche: footwear
        ("BE31", "T05", 5),  # Walloon Brabant: biopharmaceuticals
        ("DK01", "T05", 3),  # Copenhagen region: biopharmaceuticals
        ("PT11", "T03", 5),  # Norte: apparel
        ("UKI3", "T48", 5),  # Inner London West: video production and distribution
    ],
)
def test_the_specialisations_everyone_knows_show_up(sbs_run, region, category, min_lq):
    _, out = sbs_run
    [(lq, stars, reason)] = query(
        out,
        """select lq, star_count, no_star_reason from marts.fct_cluster_region_year
           where region_code = ? and category_code = ? and year = 2014""",
        [region, category],
    )
    assert lq >= min_lq and reason is None and stars >= 2


def test_real_quirks_are_handled(sbs_run):
    _, out = sbs_run
    # NUTS 2006 codes (DE41, DE42: merged into DE40 in 2010) reach the target version
    [(conversion, sources)] = query(
        out,
        """select nuts_conversion, nuts_source_codes from marts.fct_cluster_region_year
           where region_code = 'DE40' and category_code = 'T04' and year = 2009""",
    )
    assert (conversion, sources) == ("merge", "DE41,DE42")
    # Finland reports its 2006 and its 2010 regions in 2010: counted once
    [(fi_2010, fi_2011)] = query(
        out,
        """select max(total_employment) filter (where year = 2010),
                  max(total_employment) filter (where year = 2011)
           from intermediate.int_region_year__totals where region_code = 'FI1D'""",
    )
    assert fi_2010 == pytest.approx(fi_2011, rel=0.1)
    # UK and Norwegian regions are kept and named
    named = dict(
        query(
            out,
            "select region_code, region_name from marts.dim_region where region_code in ('UKI3', 'NO01')",
        )
    )
    assert set(named) == {"UKI3", "NO01"} and all(named.values())
    # finance lies outside the legacy SBS scope: measured where it can be, never starred
    [(reason, stars)] = query(
        out,
        """select any_value(no_star_reason), max(star_count) from marts.fct_cluster_region_year
           where category_code = 'T16'""",
    )
    assert (reason, stars) == ("outside_dataset_scope", 0)
    # a published negative wage sum is kept, reported as a warning
    assert query(
        out,
        "select value from staging.stg_sbs_r_nuts06_r2 where value < 0 and measure = 'wages_meur'",
    ) == [(-8.3,)]


def test_the_data_quality_summary_is_published(sbs_run):
    _, out = sbs_run
    quality = read_polars(out / "parquet", "fct_data_quality").sort("year")
    assert quality["year"].to_list() == list(range(2008, 2016))
    assert (
        quality["published_share"] + quality["confidential_share"] + quality["missing_share"]
    ).to_list() == pytest.approx([1.0] * 8)
    assert quality.filter(quality["year"] == 2014)["confidential_share"].item() > 0.05
    assert (quality["regions_total_reported"] == 0).all()
    scope = read_polars(out / "parquet", "fct_category_scope")
    legacy = {
        r["category_code"]: r
        for r in scope.filter(scope["indicator_scheme"] == "sbs_legacy").iter_rows(named=True)
    }
    assert legacy["T16"]["is_mostly_outside"] and legacy["T04"]["scope_share"] == 1.0


def test_real_lfs_and_gdp_files_of_older_vintages_are_read(three_run):
    summary, out = three_run
    assert summary.status == "published"
    assert all(v["critical_failures"] == 0 for v in summary.validation.values())
    assert set(summary.datasets) == {"sbs_r_nuts06_r2", "lfst_r_lfe2en2", "nama_10r_2gdp"}
    notes = dict(query(out, "select dataset, notes::varchar from meta.extracts"))
    assert "dimension sex absent from the file: read as sex = T" in notes["lfst_r_lfe2en2"]
    assert "unit code THS is read as THS_PER" in notes["lfst_r_lfe2en2"]
    assert "unit code PPS_HAB is read as PPS_EU27_2020_HAB" in notes["nama_10r_2gdp"]
    available = dict(
        query(
            out,
            "select indicator_code, regions from meta.indicator_availability where run_id = ? and status = 'available'",
            [summary.run_id],
        )
    )
    # scored regions: NUTS 2, and NUTS 1 in BE, DE and UK (scoreboard.nuts1_countries)
    assert available["knowledge_services_employment_share"] > 220
    assert available["gdp_pps_per_head"] > 220
    by_level = query(
        out,
        """select length(region_code) = 3, count(distinct region_code) from marts.fct_ecosystem_indicators
           where left(region_code, 2) in ('BE', 'DE', 'UK') group by 1""",
    )
    assert dict(by_level).keys() == {True}  # only their NUTS-1 regions
    assert dict(by_level)[True] > 25
    # Known magnitudes: LFS TOTAL Y_GE15 DE 40,210.9 thousand (2015); GDP MIO_EUR DE 2,915,650 (2014)
    assert query(
        out,
        "select employment_ths from staging.stg_lfst_r_lfe2en2 where geo_code = 'DE' and nace_code = 'TOTAL' and year = 2015",
    ) == [(40210.9,)]
    assert query(
        out,
        "select value from staging.stg_nama_10r_2gdp where geo_code = 'DE' and unit = 'MIO_EUR' and year = 2014",
    ) == [(2915650.0,)]
    # The EU aggregate of the setting scoreboard.eu_aggregates the file carries (EU28) is staged with no
    # NUTS level; the other European aggregates (EA, EU, EA19...) are not staged
    staged = dict(
        query(
            out,
            """select geo_code, count(*) filter (where nuts_level is not null)
               from staging.stg_nama_10r_2gdp
               where geo_code in (select geo_code from ref.geo_aggregates) group by geo_code""",
        )
    )
    assert staged == {"EU28": 0}


def test_the_real_eu28_aggregate_is_the_indices_100(three_run, shared_dir):
    import gzip

    _, out = three_run
    with gzip.open(
        shared_dir / "eurostat_realdata" / REAL_FILES["nama_10r_2gdp.tsv.gz"], "rt"
    ) as f:
        header, *lines = f.read().splitlines()
    years = [int(y) for y in header.split("\t")[1:]]
    cells = next(line.split("\t")[1:] for line in lines if line.startswith("PPS_HAB,EU28\t"))
    eu28 = {y: float(c.split()[0]) for y, c in zip(years, cells, strict=True) if ":" not in c}
    rows = query(
        out,
        """select year, any_value(index_reference), any_value(eu_value), count(distinct eu_value),
                  any_value(reference_score), count(*) filter (where region_code like 'EU%')
           from marts.fct_ecosystem_indicators
           where indicator_code = 'gdp_pps_per_head' group by year order by year""",
    )
    assert {year for year, *_ in rows} <= set(eu28) and len(rows) >= 10
    for year, reference, eu_value, n_values, reference_score, eu_rows in rows:
        assert (reference, eu_value, n_values, eu_rows) == ("EU28", eu28[year], 1, 0), year
        assert 0 < reference_score < 1  # the EU sits inside the regions' range
    # the index of a region is its score over the EU28's: in PPS per head, richer than the EU is above 100
    above = query(
        out,
        """select bool_and((value > eu_value) = (score_index > 100))
           from marts.fct_ecosystem_indicators
           where indicator_code = 'gdp_pps_per_head' and not is_capped""",
    )
    assert above == [(True,)]
    # the SBS-based indicators have no aggregate: the regions' average is their 100
    assert query(
        out,
        """select distinct index_reference from marts.fct_ecosystem_indicators
           where indicator_code = 'star_cluster_employment_share'""",
    ) == [("regions_average",)]


def test_clusters_matter_on_the_real_file_matches_an_independent_recomputation(sbs_run):
    import polars as pl

    from clusterobs.clusters_matter import latest_complete_year

    _, out = sbs_run
    with duckdb.connect(str(out / "clusterobs.duckdb"), read_only=True) as con:
        year = latest_complete_year(con)
    cells = read_polars(out / "parquet", "fct_cluster_region_year").filter(
        (pl.col("year") == year)
        & (pl.col("category_type") == "traded")
        & (pl.col("employment") > 0)
    )
    stars = (
        read_polars(out / "parquet", "fct_cluster_stars")
        .filter((pl.col("year") == year) & (pl.col("star_profile") == "eocic"))
        .group_by("region_code", "category_code")
        .agg(pl.col("is_star").fill_null(False).any().alias("specialised"))
    )
    cells = cells.join(stars, on=["region_code", "category_code"], how="left").with_columns(
        pl.col("specialised").fill_null(False)
    )
    # Share of all business-economy jobs: the regions' totals, once per region.
    regions = cells.unique("region_code").select("region_code", "region_total_employment")
    jobs_share = (
        cells.filter(pl.col("specialised"))["employment"].sum()
        / regions["region_total_employment"].sum()
    )
    # Wage premium within each category, weighted by the specialised cells' employment.
    paid = cells.filter(pl.col("wages_meur").is_not_null())
    by_group = paid.group_by("category_code", "specialised").agg(
        (pl.col("wages_meur").sum() / pl.col("employment").sum()).alias("wage"),
        pl.col("employment").sum().alias("employment"),
    )
    premiums, weights = [], []
    for category in by_group["category_code"].unique():
        rows = {
            r["specialised"]: r
            for r in by_group.filter(pl.col("category_code") == category).to_dicts()
        }
        if True in rows and False in rows and rows[False]["wage"] > 0:
            premiums.append(rows[True]["wage"] / rows[False]["wage"] - 1)
            weights.append(rows[True]["employment"])
    premium = sum(p * w for p, w in zip(premiums, weights, strict=True)) / sum(weights)
    computed = {
        measure: value
        for measure, value in query(
            out,
            "select measure, value from marts.fct_clusters_matter "
            "where star_profile = 'eocic' and window_start = ? and window_end = ?",
            [year, year],
        )
    }
    assert computed["jobs_share"] == pytest.approx(jobs_share, rel=1e-9)
    assert computed["wage_premium"] == pytest.approx(premium, rel=1e-9)
    assert 0.01 < jobs_share < 0.6 and -0.5 < premium < 1  # plausible, not a degenerate case
    assert computed["frontier_firms_difference"] is None


def test_the_committed_clusters_matter_doc_is_the_real_files(sbs_run):
    from clusterobs.clusters_matter import comparison_markdown
    from clusterobs.settings import PROJECT_ROOT

    _, out = sbs_run
    with duckdb.connect(str(out / "clusterobs.duckdb"), read_only=True) as con:
        text = comparison_markdown(con)
    committed = (PROJECT_ROOT / "docs" / "clusters_matter.md").read_text(encoding="utf-8")
    assert text == committed, (
        "docs/clusters_matter.md is stale: run the pipeline on ../shared/eurostat_realdata's "
        "sbs_r_nuts06_r2 (a folder holding it as sbs_r_nuts06_r2.tsv.gz) and "
        "`clusterobs clusters-matter --output-dir <its output> --output docs/clusters_matter.md`"
    )
