"""The demo run's published outputs (the shared `published` run): the summary, the trends and the long
form, each export read back as in the warehouse, the analyst views and the data dictionary, per-country
builds, and stars across the end of an input dataset."""

from __future__ import annotations

import hashlib

import duckdb
import numpy as np
import polars as pl
import pytest

from clusterobs import exports
from clusterobs.registry import load_registry
from clusterobs.settings import REFERENCE_DIR, Settings

from ..conftest import DEMO_DIR

pytestmark = pytest.mark.integration


def test_outputs_published_and_summarised(published):
    out, summary = published
    assert (out / "clusterobs.duckdb").is_symlink() and (out / "parquet").is_symlink()
    assert set(summary.datasets) == set(load_registry(Settings().registry_path))
    assert all(d["status"] == "loaded" and d["observations"] > 0 for d in summary.datasets.values())
    assert summary.validation["staging"]["critical_failures"] == 0
    assert list(summary.stage_seconds) == ["ingest", "build", "validate", "export", "publish"]
    assert 0 < sum(summary.stage_seconds.values()) <= summary.elapsed_seconds + 0.05
    assert summary.validation["staging"]["expectations"] > 20
    parquet = sorted(exports.read_manifest(out / "parquet")["tables"])
    assert (
        parquet
        == sorted(summary.marts)
        == [
            "dim_cluster_category",
            "dim_region",
            "fct_category_scope",
            "fct_category_trends",
            "fct_cluster_region_year",
            "fct_cluster_stars",
            "fct_cluster_timeseries",
            "fct_cluster_trends",
            "fct_clusters_matter",
            "fct_data_quality",
            "fct_ecosystem_indicators",
            "fct_ecosystem_scoreboard",
            "fct_region_peers",
            "fct_region_trends",
            "fct_scoreboard_changes",
        ]
    )
    for table, rows in summary.marts.items():
        assert exports.read_polars(out / "parquet", table).height == rows > 0
    with duckdb.connect(str(out / "clusterobs.duckdb"), read_only=True) as con:
        lineage = con.sql(
            "select distinct dataset, extract_sha256, load_run_id from staging.stg_sbs_r_nuts06_r2"
        ).fetchall()
        assert len(lineage) == 1 and lineage[0][2] == summary.run_id
        assert (
            lineage[0][1]
            == hashlib.sha256((DEMO_DIR / "sbs_r_nuts06_r2.tsv.gz").read_bytes()).hexdigest()
        )
        indicators = con.sql(
            "select count(distinct indicator_code) from marts.fct_ecosystem_indicators"
        ).fetchall()[0][0]
        catalogue = pl.read_csv(REFERENCE_DIR / "ecosystem_indicators.csv")
        assert indicators == catalogue.height  # every catalogued indicator is computed on the demo
        groups = con.sql(
            "select count(distinct performance_group) from marts.fct_ecosystem_scoreboard where dimension = 'overall'"
        ).fetchall()[0][0]
        assert groups == 4
        results = con.sql(
            "select count(*), bool_and(success or severity <> 'critical') from meta.validation_results"
        ).fetchall()[0]
        assert results[0] > 20 and results[1]


def test_trends_parquet_matches_hand_computed_cagr(published):
    out, _ = published
    facts = pl.read_parquet(out / "parquet" / "fct_cluster_region_year.parquet")
    trends = pl.read_parquet(out / "parquet" / "fct_cluster_trends.parquet").filter(
        (pl.col("window_start") == 2015)
        & (pl.col("window_end") == 2020)
        & pl.col("break_reason").is_null()
    )
    assert trends.height > 1000
    start = facts.filter(pl.col("year") == 2015).select(
        "region_code", "category_code", pl.col("employment").alias("e0")
    )
    end = facts.filter(pl.col("year") == 2020).select(
        "region_code", "category_code", pl.col("employment").alias("e1")
    )
    check = trends.join(start, on=["region_code", "category_code"]).join(
        end, on=["region_code", "category_code"]
    )
    expected = (check["e1"] / check["e0"]) ** (1 / 5) - 1
    assert np.allclose(check["employment_cagr"], expected, rtol=1e-12)
    crossing = pl.read_parquet(out / "parquet" / "fct_cluster_trends.parquet").filter(
        (pl.col("window_start") == 2018) & (pl.col("window_end") == 2023)
    )
    assert set(crossing["window_kind"]) == {"explicit,last_5_years"}
    assert (crossing["break_reason"] == "sbs_regime_change_2020_2021").all()


def test_timeseries_is_the_cluster_table_in_long_form(published):
    out, _ = published
    wide = pl.read_parquet(out / "parquet" / "fct_cluster_region_year.parquet")
    long = exports.read_polars(out / "parquet", "fct_cluster_timeseries")
    assert long.height == 8 * wide.height
    keys = ["region_code", "category_code", "year"]
    for measure in ("employment", "lq", "star_count"):
        joined = wide.join(long.filter(pl.col("measure") == measure), on=keys)
        assert joined.height == wide.height
        same = (joined[measure].cast(pl.Float64) == joined["value"]) | (
            joined[measure].is_null() & joined["value"].is_null()
        )
        assert same.all(), measure
    flagged = long.join(wide.select(*keys, "has_break_flag"), on=keys)
    assert (flagged["flags"].str.contains("b") == flagged["has_break_flag"]).all()


def test_every_export_reads_back_with_duckdb_and_polars_as_in_the_warehouse(published):
    out, summary = published
    parquet_dir = out / "parquet"
    manifest = exports.read_manifest(parquet_dir)
    assert manifest["run_id"] == (out / "current").resolve().name
    assert set(manifest["tables"]) == set(summary.marts)
    listed = {f["path"]: f for entry in manifest["tables"].values() for f in entry["files"]}
    on_disk = {str(p.relative_to(parquet_dir)) for p in parquet_dir.rglob("*.parquet")}
    assert set(listed) == on_disk
    for path, entry in listed.items():
        assert hashlib.sha256((parquet_dir / path).read_bytes()).hexdigest() == entry["sha256"]
    assert manifest["tables"]["fct_cluster_stars"]["partitioned_by"] == ["year"]
    assert len(manifest["tables"]["fct_cluster_stars"]["files"]) == 16  # one per year
    with duckdb.connect(str(out / "clusterobs.duckdb"), read_only=True) as con:
        for table, entry in manifest["tables"].items():
            assert entry["grain"].startswith("One row per"), table
            numeric = [
                c["name"]
                for c in entry["columns"]
                if c["type"] in ("DOUBLE", "BIGINT", "INTEGER", "SMALLINT", "TINYINT")
            ]
            sums = ", ".join([f'sum("{c}")::double' for c in numeric] + ["count(*)"])
            expected = con.sql(f"select {sums} from marts.{table}").fetchall()[0]
            exported = con.sql(
                f"select {sums} from {exports.read_parquet_sql(parquet_dir, table)}"
            ).fetchall()[0]
            for got, want in zip(exported, expected, strict=True):
                # a column of changes sums to nearly 0, where the order of a parallel sum shows
                assert got == want or got == pytest.approx(want, rel=1e-12, abs=1e-6), table
            types = con.sql(
                f"describe select * from {exports.read_parquet_sql(parquet_dir, table)}"
            ).fetchall()
            assert {name: dtype for name, dtype, *_ in types} == {
                c["name"]: c["type"] for c in entry["columns"]
            }, table
            frame = exports.read_polars(parquet_dir, table)
            assert frame.columns == [c["name"] for c in entry["columns"]]
            assert frame.height == entry["rows"] == expected[-1]
            for column, total in zip(numeric, expected, strict=False):
                assert frame[column].cast(pl.Float64).sum() == pytest.approx(
                    total or 0.0, rel=1e-9
                ), (table, column)  # Polars sums an all-null column to 0
        current = {
            dataset: sorted(
                r[0]
                for r in con.sql(f'select distinct extract_sha256 from raw."{dataset}"').fetchall()
            )
            for dataset in summary.datasets
        }
    assert {d: s["extract_sha256"] for d, s in manifest["sources"].items()} == current


def test_analyst_views_comments_and_the_data_dictionary(published):
    from clusterobs import catalog

    out, _ = published
    with duckdb.connect(str(out / "clusterobs.duckdb"), read_only=True) as con:
        unlabelled = con.sql(
            """select count(*) filter (where region_name is null or country_name is null
                                          or category_name is null), count(*)
               from analyst.v_cluster_region_year"""
        ).fetchall()[0]
        assert unlabelled[0] == 0 and unlabelled[1] > 1000
        assert (
            con.sql("select count(*) from analyst.v_cluster_region_year").fetchall()
            == con.sql("select count(*) from marts.fct_cluster_region_year").fetchall()
        )
        undocumented = con.sql(
            """select table_name || '.' || column_name from duckdb_columns()
               where schema_name in ('marts', 'analyst') and comment is null"""
        ).fetchall()
        assert undocumented == []
        lq = con.sql(
            """select comment from duckdb_columns()
               where table_name = 'fct_cluster_region_year' and column_name = 'lq'"""
        ).fetchall()
        assert "location quotient" in lq[0][0]
        generated = catalog.data_dictionary(con)
    assert generated == catalog.DICTIONARY.read_text(encoding="utf-8"), (
        "docs/data_dictionary.md is stale: run `clusterobs dictionary --write`"
    )
    assert "(undocumented)" not in generated


def test_per_country_builds_union_to_the_warehouse_tables(published, tmp_path):
    """The models partitioned by country, built one country at a time from the exchange Parquet (what Dask
    workers do, here in this process), add up to exactly the tables the run built in one piece."""
    from clusterobs import partitions
    from clusterobs.models import country_partitioned, discovered_models

    out, _ = published
    exchange = tmp_path / "exchange"
    with duckdb.connect(str(out / "clusterobs.duckdb"), read_only=True) as con:
        countries = partitions.export_inputs(con, exchange)
    assert len(countries) == 10 and "HR" in countries
    settings = Settings(source="demo", output_dir=out)
    for country in [*countries, "XX"]:  # XX: in no input, builds empty tables
        partitions.build_country(country, exchange, settings)
    tables = [m for m in country_partitioned(discovered_models()) if m.materialized == "table"]
    assert {m.name for m in tables} == {
        "int_sbs_region_years__reporting",
        "int_sbs_parts__estimated",
        "int_sbs_estimates__computed",
        "int_cluster_region_year__mapped",
        "int_region_year__reported",
    }
    with duckdb.connect(str(out / "clusterobs.duckdb"), read_only=True) as con:
        for model in tables:
            by_country = f"({partitions.partitioned_select(exchange, model)})"
            for left, right in ((model.relation, by_country), (by_country, model.relation)):
                missing = con.execute(
                    f"select count(*) from (select * from {left} except all select * from {right})"
                ).fetchone()[0]
                assert missing == 0, (model.relation, left)
            assert (
                con.execute(f"select count(*) from {by_country}").fetchone()[0]
                == con.execute(f"select count(*) from {model.relation}").fetchone()[0]
                > 0
            )


def test_demo_stars_do_not_vanish_when_an_input_dataset_ends(published):
    """Business demography ends in 2020 and R&D in 2022 in the demo, SBS runs to 2023: the region-wide
    eocic stars carry the last values over (star_max_carry_years) instead of dropping to none."""
    out, _ = published
    with duckdb.connect(str(out / "clusterobs.duckdb"), read_only=True) as con:
        rows = con.execute(
            """select star, year, count(*) filter (where is_star), count(*) filter (where is_star is null)
               from marts.fct_cluster_stars where star_profile = 'eocic' and year between 2019 and 2023
               and star in ('sme_performance', 'innovation_leader') group by all"""
        ).fetchall()
        earned = {(star, year): n for star, year, n, _ in rows}
        for star in ("sme_performance", "innovation_leader"):
            counts = [earned[star, year] for year in range(2019, 2024)]
            assert min(counts) > 0.7 * max(counts) > 0, (star, counts)
        # a region-wide star only ever goes to a cell with the specialisation star
        stray = con.execute(
            """select count(*) from marts.fct_cluster_stars as s
               join marts.fct_cluster_stars as spec using (region_code, category_code, year, star_profile)
               where s.star_profile = 'eocic' and s.star in ('sme_performance', 'innovation_leader')
               and spec.star = 'specialisation' and s.is_star and not spec.is_star"""
        ).fetchone()[0]
        assert stray == 0
