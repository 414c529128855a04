"""What a run publishes, and what it refuses to: a failed gate or an unparseable extract leaves the previous
outputs byte-identical, a rerun on the same inputs reuses its loads, a concurrent run is refused, and a
run limited to some datasets builds what they support."""

from __future__ import annotations

import gzip
import json
import shutil
from pathlib import Path

import duckdb
import pytest

from clusterobs.flows.pipeline import pipeline
from clusterobs.registry import load_registry
from clusterobs.settings import Settings
from clusterobs.validation_results import ValidationFailed

from ..conftest import DEMO_DIR
from .run_outputs import all_exports, output_fingerprint

pytestmark = pytest.mark.integration


def corrupt_copy(tmp_path: Path, old: str, new: str) -> Path:
    """Copy of the demo extracts with one line of the legacy SBS file changed."""
    source = tmp_path / "extracts"
    shutil.copytree(DEMO_DIR, source)
    path = source / "sbs_r_nuts06_r2.tsv.gz"
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        text = handle.read()
    assert old in text
    with gzip.open(path, "wt", encoding="utf-8") as handle:
        handle.write(text.replace(old, new, 1))
    return source


def test_failed_critical_expectation_blocks_publishing(published, tmp_path):
    out, _ = published
    before = output_fingerprint(out)
    with gzip.open(DEMO_DIR / "sbs_r_nuts06_r2.tsv.gz", "rt", encoding="utf-8") as handle:
        line = next(row for row in handle if row.startswith("A,V16110,C10,AT11\t"))
    cells = line.rstrip("\n").split("\t")
    cells[3] = "-5 "
    source = corrupt_copy(tmp_path, line.rstrip("\n"), "\t".join(cells))
    with pytest.raises(ValidationFailed, match="expect_column_values_to_be_between"):
        pipeline(settings=Settings(source=str(source), output_dir=out))
    assert output_fingerprint(out) == before, "previous outputs must stay byte-identical"
    failed = sorted((out / "runs").glob("*.failed"))
    assert failed, "the failed run's record is kept for inspection"
    assert not (failed[-1] / "clusterobs.duckdb").exists(), "its warehouse copy is removed at once"
    assert (
        "critical expectations failed"
        in json.loads((failed[-1] / "failure.json").read_text())["reason"]
    )
    results = json.loads((failed[-1] / "validation_results.json").read_text())
    rows = [
        (r["suite"], r["column_name"], r["unexpected_count"])
        for r in results
        if r["success"] is False and r["severity"] == "critical"
    ]
    warned = [
        (r["suite"], r["column_name"], r["unexpected_count"])
        for r in results
        if r["success"] is False
        and r["severity"] == "warning"
        and r["suite"].startswith("chk_sbs_n")
    ]
    # The negative count breaks the value range (a gate); the regional and industry sums it belongs to
    # no longer add up, which Eurostat's own tables also show: warnings.
    assert sorted(rows) == [("stg_sbs_r_nuts06_r2", "value", 1)]
    assert sorted(warned) == [
        ("chk_sbs_nace_hierarchy", "inconsistency", 1),
        ("chk_sbs_nuts_hierarchy", "inconsistency", 1),
    ]


def test_unparseable_extract_fails_before_publishing(published, tmp_path):
    out, _ = published
    before = output_fingerprint(out)
    with gzip.open(DEMO_DIR / "sbs_r_nuts06_r2.tsv.gz", "rt", encoding="utf-8") as handle:
        line = next(row for row in handle if row.startswith("A,V16110,C10,AT11\t")).rstrip("\n")
    source = corrupt_copy(tmp_path, line, line.replace("\t", "\tabc", 1))
    with pytest.raises(
        Exception, match=r"extracts/sbs_r_nuts06_r2.tsv.gz, line \d+: non-numeric value"
    ):
        pipeline(settings=Settings(source=str(source), output_dir=out))
    assert output_fingerprint(out) == before


def test_rerun_on_same_inputs_reuses_loads_and_gives_identical_marts(published):
    out, first = published
    before = all_exports(out / "parquet")
    second = pipeline(settings=Settings(source="demo", output_dir=out))
    assert second.run_id != first.run_id
    assert {d["status"] for d in second.datasets.values()} == {"unchanged"}
    after = all_exports(out / "parquet")
    assert before.keys() == after.keys()
    for name, frame in before.items():
        assert frame.equals(after[name]), name


def test_a_second_concurrent_run_is_refused_and_changes_nothing(published):
    """While a run holds the output folder's lock, another fails at once with a clear message."""
    from clusterobs import publish

    out, _ = published
    before = output_fingerprint(out)
    runs_before = sorted(p.name for p in (out / "runs").iterdir())
    with (
        publish.run_lock(out, 0, "clusterobs run"),
        pytest.raises(publish.RunLockedError, match="another clusterobs run is writing"),
    ):
        pipeline(settings=Settings(source="demo", output_dir=out))
    assert output_fingerprint(out) == before
    assert sorted(p.name for p in (out / "runs").iterdir()) == runs_before


def test_a_run_limited_to_some_datasets_builds_what_they_support(prefect_api, tmp_path):
    """CLUSTEROBS_DATASETS with the legacy SBS dataset alone: the cluster tables of its years are built,
    the other datasets are absent (their raw tables empty, their suites skipped) and the indicators they
    feed are listed as unavailable."""
    out = tmp_path / "out"
    summary = pipeline(
        settings=Settings(source="demo", output_dir=out, datasets=["sbs_r_nuts06_r2"])
    )
    assert summary.status == "published" and set(summary.datasets) == {"sbs_r_nuts06_r2"}
    others = len(load_registry(Settings().registry_path)) - 1
    assert len(summary.absent_datasets) == others
    assert all("not among the run's datasets" in why for why in summary.absent_datasets.values())
    assert summary.validation["staging"]["skipped_suites"] == others
    assert summary.unavailable_indicators["egovernment_users_pc"] == "absent: isoc_r_gov_i"
    with duckdb.connect(str(out / "clusterobs.duckdb"), read_only=True) as con:
        years = con.sql(
            "select min(year), max(year), count(lq) > 0 from marts.fct_cluster_region_year"
        ).fetchall()
        assert years == [(2008, 2020, True)]
        assert con.sql("select count(*) from raw.sbs_r_nuts2021").fetchall() == [(0,)]
        availability = dict(
            con.sql("select indicator_code, status from meta.indicator_availability").fetchall()
        )
    assert availability["average_wage_eur"] == "available"
    assert availability["gdp_pps_per_head"] == "unavailable"
