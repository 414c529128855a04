"""Each kind of check catches its corruption, exactly that expectation fails, and nothing is published."""

from __future__ import annotations

import gzip
import json
import shutil
from pathlib import Path

import duckdb
import pytest

from clusterobs import models, validation, warehouse
from clusterobs.flows.pipeline import pipeline
from clusterobs.run_config import resolve_run_config
from clusterobs.settings import Settings
from clusterobs.validation_results import ValidationFailed

from ..conftest import DEMO_DIR
from .run_outputs import output_fingerprint

pytestmark = pytest.mark.integration
LEGACY = "sbs_r_nuts06_r2.tsv.gz"


@pytest.fixture(scope="module")
def published(prefect_api, tmp_path_factory):
    out = tmp_path_factory.mktemp("gates")
    pipeline(settings=Settings(source="demo", output_dir=out))
    return out


@pytest.fixture
def warehouse_copy(published, tmp_path) -> Path:
    """A copy of the published warehouse that a test may corrupt."""
    db = tmp_path / "copy.duckdb"
    shutil.copy(published / "clusterobs.duckdb", db)
    return db


def corrupted_source(tmp_path: Path, edit) -> Path:
    source = tmp_path / "extracts"
    shutil.copytree(DEMO_DIR, source)
    path = source / LEGACY
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        lines = handle.read().splitlines()
    lines = edit(lines)
    with gzip.open(path, "wt", encoding="utf-8") as handle:
        handle.write("\n".join(lines) + "\n")
    return source


def set_cell(key: str, year: str, text: str):
    def edit(lines: list[str]) -> list[str]:
        column = lines[0].split("\t").index(year)
        for number, line in enumerate(lines):
            cells = line.split("\t")
            if cells[0] == key:
                cells[column] = text
                lines[number] = "\t".join(cells)
                return lines
        raise AssertionError(f"no series {key}")

    return edit


def drop_year(year: str):
    def edit(lines: list[str]) -> list[str]:
        column = lines[0].split("\t").index(year)
        return [
            "\t".join(c for i, c in enumerate(line.split("\t")) if i != column) for line in lines
        ]

    return edit


def add_series(line: str):
    return lambda lines: [*lines, line]


def failed_critical(exc: ValidationFailed) -> set[tuple[str, str, str | None]]:
    return {(r.suite, r.expectation, r.column) for r in exc.summary.critical_failures}


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (
            add_series("A,V16110,C10,XX11\t" + "\t".join([": "] * 13)),
            {("stg_sbs_r_nuts06_r2", "expect_column_values_to_be_in_set", "geo_code")},
        ),
        (
            set_cell("A,V16110,B-N_S95_X_K,ESZZ", "2015", "-5 "),
            {("stg_sbs_r_nuts06_r2", "expect_column_values_to_be_between", "value")},
        ),
        (
            set_cell("A,V16110,B-N_S95_X_K,AT1", "2015", "999999 "),
            {("chk_sbs_nuts_hierarchy", "expect_column_values_to_be_null", "problem")},
        ),
        (
            drop_year("2015"),
            {("chk_sbs_coverage", "expect_column_values_to_be_null", "problem")},
        ),
    ],
    ids=["unknown-nuts-code", "negative-employment", "regions-do-not-add-up", "missing-year"],
)
def test_corruption_fails_exactly_its_expectation_and_publishes_nothing(
    published, tmp_path, edit, expected
):
    before = output_fingerprint(published)
    source = corrupted_source(tmp_path, edit)
    with pytest.raises(ValidationFailed) as caught:
        pipeline(settings=Settings(source=str(source), output_dir=published))
    assert failed_critical(caught.value) == expected
    assert output_fingerprint(published) == before


def test_hierarchy_failure_names_the_cells(published, tmp_path):
    source = corrupted_source(tmp_path, set_cell("A,V16110,B-N_S95_X_K,AT1", "2015", "999999 "))
    with pytest.raises(ValidationFailed) as caught:
        pipeline(settings=Settings(source=str(source), output_dir=published))
    [failure] = caught.value.summary.critical_failures
    assert failure.unexpected_count == 2  # AT1 against its regions, and AT against AT1..AT3
    assert "B-N_S95_X_K 2015 employment: regions sum to" in failure.unexpected_sample
    assert "AT1 is 999999" in failure.unexpected_sample
    # the failed run keeps its validation page, which names the failure
    pages = [
        p
        for p in (published / "runs").glob("*.failed/validation.html")
        if "AT1 is 999999" in p.read_text()
    ]
    newest = max(pages, key=lambda p: p.stat().st_mtime)
    assert "Failed expectations (1)" in newest.read_text()


def test_duplicate_key_fails_the_grain_expectation(warehouse_copy):
    """The readers refuse duplicate series, so a duplicate can only come from a faulty load: inject one."""
    db = warehouse_copy
    with warehouse.connect(db) as con:
        stored = [
            c
            for c, g in con.execute(
                "select column_name, column_default from duckdb_columns() where table_name = 'sbs_r_nuts06_r2'"
            ).fetchall()
            if g is None
        ]
        columns = ", ".join(f'"{c}"' for c in stored)
        con.execute(
            f"insert into raw.sbs_r_nuts06_r2 ({columns}) select {columns} from raw.sbs_r_nuts06_r2 where geo = 'ESZZ' and period = '2015' and indic_sb = 'V16110'"
        )
        warehouse.apply_run_config(con, resolve_run_config(Settings()))
        for model in models.ordered_models(models.discovered_models(), ("staging",)):
            models.run_model(con, model)
        summary = validation.validate_stage(con, "staging", "test-run")
        stored_results = con.execute(
            "select suite, column_name, unexpected_count from meta.validation_results where run_id = 'test-run' and not success"
        ).fetchall()
    assert {(r.suite, r.expectation, r.column) for r in summary.critical_failures} == {
        (
            "stg_sbs_r_nuts06_r2",
            "expect_compound_columns_to_be_unique",
            "geo_code,nace_code,year,measure",
        )
    }
    assert stored_results == [("stg_sbs_r_nuts06_r2", "geo_code,nace_code,year,measure", 2)]
    with duckdb.connect(str(db), read_only=True) as con:
        assert (
            con.execute(
                "select count(*) from meta.validation_results where run_id = 'test-run'"
            ).fetchall()[0][0]
            > 90
        )


def test_validate_command_exit_codes(published, tmp_path):
    from typer.testing import CliRunner

    from clusterobs.cli import app

    runner = CliRunner()
    ok = runner.invoke(app, ["validate", "--output-dir", str(published)])
    assert ok.exit_code == 0, ok.output
    assert "unexpected=" not in ok.output  # no failed expectation listed

    tampered = tmp_path / "tampered"
    (tampered / "runs" / "r").mkdir(parents=True)
    (tampered / "current").symlink_to("runs/r")
    shutil.copyfile(published / "clusterobs.duckdb", tampered / "runs" / "r" / "clusterobs.duckdb")
    with duckdb.connect(str(tampered / "current" / "clusterobs.duckdb")) as con:
        con.execute(
            "update marts.fct_cluster_region_year set lq = -1 where region_code = 'AT11' and year = 2019"
        )
    before = (tampered / "current" / "clusterobs.duckdb").read_bytes()
    failed = runner.invoke(
        app, ["validate", "--output-dir", str(tampered), "--stage", "marts", "--json"]
    )
    assert failed.exit_code == 1
    results = json.loads(failed.stdout[failed.stdout.index("[") :])
    bad = [
        (r["suite"], r["expectation"], r["column"])
        for r in results
        if not r["success"] and r["severity"] == "critical"
    ]
    assert bad == [("fct_cluster_region_year", "expect_column_values_to_be_between", "lq")]
    assert (tampered / "current" / "clusterobs.duckdb").read_bytes() == before, (
        "validate must not write to the warehouse"
    )

    missing = runner.invoke(app, ["validate", "--output-dir", str(tmp_path / "nothing")])
    assert missing.exit_code == 2 and "run `clusterobs run` first" in missing.output


def test_row_count_drift_is_a_recorded_warning(warehouse_copy):
    db = warehouse_copy
    with warehouse.connect(db) as con:
        con.execute(
            "update meta.row_counts set rows = rows * 2 where relation = 'marts.fct_cluster_trends'"
        )
        warehouse.set_run_variables(con, Settings())
        summary = validation.validate_stage(con, "marts", "drift-test")
    assert summary.success
    [warning] = summary.warnings
    assert warning.suite == "chk_row_count_drift_marts" and warning.unexpected_count == 1
    assert "marts.fct_cluster_trends" in warning.unexpected_sample


def test_column_type_check_catches_a_retyped_column(warehouse_copy):
    db = warehouse_copy
    with warehouse.connect(db) as con:
        con.execute("alter table marts.fct_ecosystem_indicators alter score type varchar")
        warehouse.set_run_variables(con, Settings())
        summary = validation.validate_stage(con, "marts", "types-test")
    failures = {(r.suite, r.column): r for r in summary.critical_failures}
    assert ("chk_column_types", "problem") in failures
    assert (
        "fct_ecosystem_indicators.score is VARCHAR, expected DOUBLE"
        in failures["chk_column_types", "problem"].unexpected_sample
    )


def test_data_docs_and_artifacts_are_published(published):
    import asyncio

    from prefect.client.orchestration import get_client

    for stage in ("staging", "marts"):
        index = published / "current" / "data_docs" / stage / "index.html"
        assert index.is_file()
        pages = list((published / "current" / "data_docs" / stage / "validations").rglob("*.html"))
        assert len(pages) >= 3
    assert "stg_sbs_r_nuts06_r2" in " ".join(
        str(p) for p in (published / "current" / "data_docs" / "staging").rglob("*.html")
    )

    async def artifact_keys() -> set[str]:
        async with get_client() as client:
            return {a.key for a in await client.read_artifacts()}

    keys = asyncio.run(artifact_keys())
    assert {
        "validation-staging",
        "validation-marts",
        "clusterobs-run",
        "clusterobs-datasets",
        "clusterobs-marts",
    } <= keys


def test_duckdb_measured_and_pandas_validation_agree(warehouse_copy):
    """Large tables are measured in DuckDB; on a corrupted warehouse both paths report the same results."""
    db = warehouse_copy
    with warehouse.connect(db) as con:
        con.execute(
            "update staging.stg_sbs_r_nuts06_r2 set value = -value where geo_code = 'AT11' and year = 2015 and nace_code like 'C1%'"
        )
        con.execute(
            "update staging.stg_sbs_r_nuts06_r2 set geo_code = 'XX11' where geo_code = 'AT12' and year = 2016 and nace_code = 'J62'"
        )
        con.execute(
            "update staging.stg_sbs_r_nuts06_r2 set flags = 'q' where geo_code = 'AT13' and year = 2017 and nace_code = 'F41'"
        )
        con.execute(
            "insert into staging.stg_sbs_r_nuts06_r2 select * from staging.stg_sbs_r_nuts06_r2 where geo_code = 'BE10' and year = 2018 and nace_code = 'G46'"
        )
        warehouse.set_run_variables(con, Settings())
        pandas_path = validation.validate_stage(
            con, "staging", "p", record_results=False, engine_rows=None, engine_value_set=None
        )
        duckdb_path = validation.validate_stage(
            con, "staging", "d", record_results=False, engine_rows=0
        )

    def outcome(summary):
        return sorted(
            (r.suite, r.expectation, r.column, r.success, r.unexpected_count)
            for r in summary.results
            if r.suite == "stg_sbs_r_nuts06_r2"
        )

    assert outcome(duckdb_path) == outcome(pandas_path)
    failed = {
        (r.expectation, r.column)
        for r in duckdb_path.results
        if not r.success and r.suite == "stg_sbs_r_nuts06_r2"
    }
    assert failed == {
        ("expect_column_values_to_be_between", "value"),
        ("expect_column_values_to_be_in_set", "geo_code"),
        ("expect_column_values_to_match_regex", "flags"),
        ("expect_compound_columns_to_be_unique", "geo_code,nace_code,year,measure"),
    }
