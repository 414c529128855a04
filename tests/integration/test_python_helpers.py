"""The Python helpers a report builder calls take a folder as text or as a Path alike."""

from __future__ import annotations

from pathlib import Path

import pytest

from clusterobs import exports
from clusterobs import published as published_runs
from clusterobs.demo import generate
from clusterobs.landing import land_file

pytestmark = pytest.mark.integration


@pytest.mark.parametrize("as_type", [str, Path], ids=["str", "Path"])
def test_export_readers_take_str_and_path(published, as_type):
    out, _ = published
    parquet_dir = as_type(out / "parquet")
    frame = exports.read_polars(parquet_dir, "fct_ecosystem_scoreboard")  # partitioned by year
    assert frame.height > 0 and frame.columns[0] == "region_code"
    assert exports.read_manifest(parquet_dir)["tables"].keys() >= {"dim_region"}
    assert exports.parquet_glob(parquet_dir, "dim_region").endswith("dim_region.parquet")
    assert exports.read_parquet_sql(parquet_dir, "dim_region").startswith("read_parquet(")
    assert exports.export_problems(parquet_dir) == []
    run = published_runs.published_run(as_type(out))
    assert run is not None and (run / "clusterobs.duckdb").is_file()
    with published_runs.open_published(as_type(run / "clusterobs.duckdb")) as con:
        assert con.execute("select count(*) > 0 from marts.dim_region").fetchone() == (True,)


def test_an_unknown_mart_names_the_ones_there(published):
    out, _ = published
    with pytest.raises(
        ValueError, match=r"no mart 'fct_nothing' in .*_manifest.json \(there: dim_"
    ):
        exports.read_polars(str(out / "parquet"), "fct_nothing")


def test_demo_and_landing_take_str(tmp_path):
    written = generate(str(tmp_path / "demo"), seed=7)
    assert written["nama_10r_2gdp"] > 0 and (tmp_path / "demo" / "nama_10r_2gdp.tsv.gz").is_file()
    landed = land_file(
        str(tmp_path / "demo" / "nama_10r_2gdp.tsv.gz"), str(tmp_path / "landing"), "nama_10r_2gdp"
    )
    assert landed.path.parent == tmp_path / "landing" and landed.path.is_file()
