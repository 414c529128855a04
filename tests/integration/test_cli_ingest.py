"""`clusterobs ingest` through the command line, with a real Prefect API."""

from __future__ import annotations

import json
import os

import duckdb
import pytest
from typer.testing import CliRunner

from clusterobs.cli import app

from ..formats import OBSERVATIONS, write_sdmx_csv, write_tsv

pytestmark = pytest.mark.integration
runner = CliRunner()


def test_ingest_reports_each_file_and_is_idempotent(prefect_api, tmp_path):
    out = tmp_path / "out"
    tsv = write_tsv(tmp_path / "nama_10r_2gdp.tsv")
    csv = (
        write_sdmx_csv(tmp_path / "rd.csv", rows=OBSERVATIONS)
        .read_text()
        .replace("NAMA_10R_2GDP", "RD_E_GERDREG")
    )
    (tmp_path / "rd.csv").write_text(csv)
    result = runner.invoke(
        app, ["ingest", str(tsv), str(tmp_path / "rd.csv"), "--output-dir", str(out), "--json"]
    )
    assert result.exit_code == 0, result.output
    reports = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    assert [r["dataset"] for r in reports] == ["nama_10r_2gdp", "rd_e_gerdreg"]
    expected_sum = sum(v for *_, v, _ in OBSERVATIONS if v is not None)
    for report in reports:
        assert (
            report["observations"] == 8
            and report["values"] == 6
            and report["missing"] == 2
            and report["series"] == 4
        )
        assert report["value_sum"] == pytest.approx(expected_sum)
    assert reports[0]["flags"] == {"b": 1, "c": 1, "e": 1, "p": 2}
    assert reports[1]["flags"] == {
        "C": 1,
        "b": 1,
        "e": 1,
        "p": 2,
    }  # SDMX-CSV: confidentiality in CONF_STATUS
    published = os.readlink(out / "current")

    again = runner.invoke(app, ["ingest", str(tsv), "--output-dir", str(out), "--json"])
    assert again.exit_code == 0
    assert json.loads(again.stdout.strip().splitlines()[-1]) == reports[0]
    with duckdb.connect(str(out / "clusterobs.duckdb"), read_only=True) as con:
        assert con.execute("select count(*) from meta.extracts").fetchall() == [(2,)]
        assert con.execute(
            "select count(distinct load_run_id) from raw.nama_10r_2gdp"
        ).fetchall() == [(1,)]
    assert os.readlink(out / "current") != published  # a new run was published, with the same data

    quiet = runner.invoke(app, ["ingest", str(tsv), "--output-dir", str(out), "--quiet"])
    assert quiet.exit_code == 0
    lines = [line for line in quiet.output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("ingested 1 file(s) into"), quiet.output
    assert "0 dataset(s) loaded, 8 observations" in lines[0]  # unchanged: nothing reloaded


def test_bad_file_fails_closed(prefect_api, tmp_path):
    out = tmp_path / "out"
    good = write_tsv(tmp_path / "nama_10r_2gdp.tsv")
    assert runner.invoke(app, ["ingest", str(good), "--output-dir", str(out)]).exit_code == 0
    published = os.readlink(out / "current")
    bad = tmp_path / "nama_10r_2gdp__bad.tsv"
    bad.write_text("freq,unit,geo\\TIME_PERIOD\t2019\nA,MIO_EUR\t1\n")
    result = runner.invoke(app, ["ingest", str(bad), "--output-dir", str(out)])
    assert result.exit_code == 1
    assert (
        "nothing was loaded" in result.output
        and "line 2: series key has 2 parts" in result.output.replace("\n", "")
    )
    assert os.readlink(out / "current") == published


def test_missing_file_is_refused_before_anything_runs(tmp_path):
    result = runner.invoke(
        app, ["ingest", str(tmp_path / "nope.tsv"), "--output-dir", str(tmp_path / "out")]
    )
    assert result.exit_code == 2 and "not a file" in result.output
    assert not (tmp_path / "out").exists()
