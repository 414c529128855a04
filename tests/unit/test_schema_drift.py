"""Files of older vintages held against the registry: an absent dimension read as its total, codes under
older names, extra dimensions and codes reported, and one line for what cannot be read."""

from __future__ import annotations

import gzip
import json

import pytest

from clusterobs import loads, warehouse
from clusterobs.landing import land_file
from clusterobs.registry import DatasetSpec, declared_schema
from clusterobs.transforms.readers.observations import ExtractError

LFS = DatasetSpec(
    name="lfst_r_lfe2en2",
    dimensions=["freq", "unit", "sex", "age", "nace_r2", "geo"],
    filters={"freq": ["A"], "unit": ["THS_PER"], "sex": ["T"], "age": ["Y_GE15"]},
    totals={"sex": "T"},
)
# The 2017 bulk file: no sex dimension, unit THS, descending years with a trailing space.
OLD_LFS = (
    "unit,nace_r2,age,geo\\time\t2015 \t2014 \n"
    "THS,TOTAL,Y_GE15,AT11\t120.5 \t119.0 b\n"
    "THS,TOTAL,Y15-24,AT11\t20.1 \t: \n"
    "THS,J,Y_GE15,AT11\t3.0 u\t2.9 u\n"
)


@pytest.fixture
def con(tmp_path):
    connection = warehouse.connect(tmp_path / "w.duckdb")
    yield connection
    connection.close()


def extract(tmp_path, text: str, name: str = "lfst_r_lfe2en2.tsv.gz"):
    path = tmp_path / name
    path.write_bytes(gzip.compress(text.encode()))
    return land_file(path, tmp_path / "landing", "lfst_r_lfe2en2")


def test_a_file_without_the_sex_dimension_is_read_as_both_sexes(tmp_path, con):
    file = extract(tmp_path, OLD_LFS)
    load = loads.load_dataset(con, "lfst_r_lfe2en2", [file], "run-1", declared_schema(LFS))
    rows = con.execute(
        "select sex::varchar, unit::varchar, age::varchar, period, value from raw.lfst_r_lfe2en2 order by all"
    ).fetchall()
    assert {r[0] for r in rows} == {"T"} and len(rows) == 6
    notes = load.files[0].notes
    assert (
        "lfst_r_lfe2en2: dimension sex absent from the file: read as sex = T (the total)" in notes
    )
    assert any("unit code THS is read as THS_PER" in n for n in notes)
    assert any(
        "age codes the registry does not ask for are kept in raw only: Y15-24" in n for n in notes
    )
    recorded = con.execute("select notes from meta.extracts").fetchall()[0][0]
    assert json.loads(recorded) == list(notes)  # kept in lineage


def test_the_staging_model_reads_the_old_vintage(tmp_path, con):
    from clusterobs import models
    from clusterobs.run_config import resolve_run_config
    from clusterobs.settings import Settings

    settings = Settings()
    warehouse.load_reference(con, settings.cluster_mapping_path, settings.emerging_mapping_path)
    warehouse.apply_run_config(con, resolve_run_config(settings))
    loads.load_dataset(
        con, "lfst_r_lfe2en2", [extract(tmp_path, OLD_LFS)], "r", declared_schema(LFS)
    )
    models.run_model(con, models.discovered_models()["staging.stg_lfst_r_lfe2en2"])
    rows = con.execute(
        "select nace_code, year, employment_ths from staging.stg_lfst_r_lfe2en2 order by all"
    ).fetchall()
    assert rows == [
        ("J", 2014, 2.9),
        ("J", 2015, 3.0),
        ("TOTAL", 2014, 119.0),
        ("TOTAL", 2015, 120.5),
    ]


def test_a_missing_dimension_without_a_total_fails_in_one_line(tmp_path, con):
    spec = LFS.model_copy(update={"totals": {}})
    file = extract(tmp_path, OLD_LFS)
    with pytest.raises(ExtractError) as caught:
        loads.load_dataset(con, "lfst_r_lfe2en2", [file], "run-1", declared_schema(spec))
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith(str(file.source))
    assert "lfst_r_lfe2en2: the file has no sex dimension; expected codes: T" in message
    assert "[datasets.lfst_r_lfe2en2.totals]" in message
    tables = con.execute(
        "select table_name from duckdb_tables() where schema_name = 'raw'"
    ).fetchall()
    assert tables == []  # nothing of it was loaded


def test_a_total_the_filter_does_not_ask_for_is_refused(tmp_path, con):
    spec = LFS.model_copy(update={"filters": {**LFS.filters, "sex": ["F", "M"]}})
    with pytest.raises(
        ExtractError, match=r"no sex dimension; expected codes: F, M \(the registry's total"
    ):
        loads.load_dataset(
            con, "lfst_r_lfe2en2", [extract(tmp_path, OLD_LFS)], "r", declared_schema(spec)
        )


def test_extra_dimensions_and_absent_codes_are_reported_not_fatal(tmp_path, con):
    text = (
        "unit,sex,wstatus,age,nace_r2,geo\\time\t2015 \n"
        "PC,T,EMP,Y_GE15,TOTAL,AT11\t50 \n"
        "PC,T,SAL,Y_GE15,TOTAL,AT11\t40 \n"
    )
    load = loads.load_dataset(
        con, "lfst_r_lfe2en2", [extract(tmp_path, text)], "r", declared_schema(LFS)
    )
    notes = " | ".join(load.files[0].notes)
    assert "extra dimension wstatus (codes EMP, SAL) is not in the registry" in notes
    assert (
        "none of the unit codes the registry asks for (THS_PER) is in the file (it has PC)" in notes
    )
    warnings = " | ".join(load.files[0].warnings)
    assert "extra dimension wstatus" in warnings and "none of the unit codes" in warnings
    assert load.status == "loaded" and load.observations == 2


def test_a_registry_that_learnt_a_total_reloads_the_same_file(tmp_path, con):
    file = extract(tmp_path, OLD_LFS)
    loads.load_dataset(con, "lfst_r_lfe2en2", [file], "run-1")  # loaded as it is: no sex column
    again = loads.load_dataset(con, "lfst_r_lfe2en2", [file], "run-2", declared_schema(LFS))
    assert again.status == "loaded"
    columns = {
        r[0]
        for r in con.execute(
            "select column_name from duckdb_columns() where table_name = 'lfst_r_lfe2en2'"
        ).fetchall()
    }
    assert "sex" in columns
    assert (
        loads.load_dataset(con, "lfst_r_lfe2en2", [file], "run-3", declared_schema(LFS)).status
        == "unchanged"
    )
