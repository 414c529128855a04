"""Security: no path, name or setting reaches SQL as text; `clusterobs query` reads the published warehouse
and nothing else, writes nothing; published files are checked against the manifest."""

from __future__ import annotations

import json
import os
import shutil
import stat

import duckdb
import pytest
from typer.testing import CliRunner

from clusterobs import publish
from clusterobs.cli import app
from clusterobs.flows.pipeline import pipeline
from clusterobs.registry import RegistryError, load_registry
from clusterobs.settings import Settings

pytestmark = pytest.mark.integration
runner = CliRunner()


@pytest.fixture(scope="module")
def crafted_run(prefect_api, tmp_path_factory):
    """A whole run into an output folder whose name is an SQL injection attempt."""
    root = tmp_path_factory.mktemp("inject")
    proof = root / "inj_proof.csv"
    out = root / f"a'; copy (select 42 as pwned) to '{proof}'; --"
    summary = pipeline(settings=Settings(source="demo", output_dir=out))
    return summary, out, proof


def test_an_output_folder_named_like_sql_runs_no_sql(crafted_run):
    summary, out, proof = crafted_run
    assert summary.status == "published"
    assert not proof.exists()
    assert (out / "parquet" / "_manifest.json").is_file()
    done = runner.invoke(app, ["validate", "--outputs", "--output-dir", str(out)])
    assert done.exit_code == 0, done.output


def test_settings_and_names_that_would_be_sql_are_refused_before_anything_starts(tmp_path):
    with pytest.raises(ValueError, match="is not a memory size"):
        Settings(duckdb_memory_limit=f"2GB'; copy (select 1) to '{tmp_path / 'x.csv'}'; --")
    with pytest.raises(ValueError, match="are not country codes"):
        Settings(reference_countries=["DE'); drop table x; --"])
    registry = tmp_path / "datasets.toml"
    registry.write_text('[datasets."x\\"; drop table y; --"]\ndimensions = ["geo"]\n')
    with pytest.raises(RegistryError, match="is not a Eurostat dataset code"):
        load_registry(registry)
    done = runner.invoke(
        app,
        ["ingest", str(registry), "--dataset", 'x"; drop', "--output-dir", str(tmp_path / "out")],
    )
    assert done.exit_code == 2 and "is not a Eurostat dataset code" in done.output
    assert not (tmp_path / "out").exists()


def query(out, sql: str, *extra: str):
    return runner.invoke(app, ["query", sql, "--output-dir", str(out), "--format", "csv", *extra])


def test_query_reads_the_warehouse_and_nothing_else(crafted_run, tmp_path):
    _, out, _ = crafted_run
    published = publish.published_run(out)
    target = published / "parquet" / "dim_region.parquet"
    before = target.read_bytes()
    assert (
        target.stat().st_mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH) == 0
    )  # read-only on disk

    def text(path) -> str:  # the test's own SQL: the folder's name holds quotes
        return "'" + str(path).replace("'", "''") + "'"

    refused = {
        f"copy (select 1 as x) to {text(target)} (format parquet)": "not COPY",
        f"attach {text(published / 'clusterobs.duckdb')} as w (read_write)": "not ATTACH",
        "set enable_external_access = true": "not SET",
        "install httpfs": "not LOAD",  # DuckDB files INSTALL under its LOAD statement type
        "select 1; select 2": "one statement at a time",
        "create table t as select 1": "not CREATE",
    }
    for sql, message in refused.items():
        done = query(out, sql)
        assert done.exit_code == 2 and message in done.output, (sql, done.output)
    secret = tmp_path / "secret.txt"
    secret.write_text("not for queries")
    done = query(out, f"select content from read_text('{secret}')")
    assert (
        done.exit_code == 1
        and "--allow-files" in done.output
        and "not for queries" not in done.output
    )
    allowed = query(out, f"select content from read_text('{secret}')", "--allow-files")
    assert allowed.exit_code == 0 and "not for queries" in allowed.stdout
    ok = query(out, "select count(*) as n from marts.dim_cluster_category")
    assert ok.exit_code == 0 and ok.stdout.splitlines() == ["n", "61"]
    assert target.read_bytes() == before


def test_validate_outputs_finds_a_changed_file(crafted_run, tmp_path):
    _, out, _ = crafted_run
    published = publish.published_run(out)
    copy = tmp_path / "copy"
    (copy / "runs").mkdir(parents=True)
    shutil.copytree(published, copy / "runs" / published.name, symlinks=True)
    os.symlink(f"runs/{published.name}", copy / "current")
    target = copy / "runs" / published.name / "parquet" / "dim_region.parquet"
    os.chmod(target, 0o644)
    with target.open("r+b") as handle:
        handle.seek(100)
        handle.write(b"X")
    (copy / "runs" / published.name / "parquet" / "stray.parquet").write_bytes(b"?")
    done = runner.invoke(app, ["validate", "--outputs", "--output-dir", str(copy)])
    assert done.exit_code == 1
    assert "dim_region: dim_region.parquet has changed (SHA-256 differs)" in done.output
    assert "stray.parquet is not in the manifest" in done.output


def test_the_warehouse_read_by_query_is_the_run_the_parquet_belongs_to(crafted_run):
    _, out, _ = crafted_run
    published = publish.published_run(out)
    manifest = json.loads((published / "parquet" / "_manifest.json").read_text())
    with duckdb.connect(str(published / "clusterobs.duckdb"), read_only=True) as con:
        [(run_id,)] = con.execute(
            "select run_id from meta.load_runs where status = 'published' order by finished_at desc limit 1"
        ).fetchall()
    assert manifest["run_id"] == run_id == published.name
