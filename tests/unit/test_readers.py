"""SDMX-CSV, JSON-stat and SDMX-ML readers, format sniffing, and agreement between all formats."""

from __future__ import annotations

import json

import polars as pl
import pytest

from transforms.extracts import declared_dataset, observations
from transforms.observations import ExtractError

from ..formats import OBSERVATIONS, jsonstat_document, write_jsonstat, write_sdmx_csv, write_tsv

COMPARED = [
    "freq",
    "unit",
    "geo",
    "period",
    "year",
    "value",
    "is_confidential",
    "is_provisional",
    "is_estimated",
    "is_break",
]


def comparable(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.select(COMPARED).sort("unit", "geo", "period")


@pytest.fixture
def tsv_rows(tmp_path):
    return observations(write_tsv(tmp_path / "nama_10r_2gdp.tsv"), "nama_10r_2gdp")


@pytest.mark.parametrize(
    ("writer", "sparse"),
    [
        (lambda p: write_sdmx_csv(p / "x.csv", "1.0", ","), False),
        (lambda p: write_sdmx_csv(p / "x.csv", "2.0", ";"), False),
        (lambda p: write_sdmx_csv(p / "x.csv", "2.0", ","), False),
        (lambda p: write_jsonstat(p / "x.json"), True),
        (lambda p: write_jsonstat(p / "x.json", dense=True), True),
    ],
    ids=[
        "sdmx-csv-1.0",
        "sdmx-csv-2.0-semicolon",
        "sdmx-csv-2.0",
        "json-stat-sparse",
        "json-stat-dense",
    ],
)
def test_every_format_gives_the_same_observations_as_tsv(tmp_path, tsv_rows, writer, sparse):
    rows = observations(writer(tmp_path))
    assert rows["dataset"].unique().to_list() == ["nama_10r_2gdp"]
    if sparse:
        # JSON-stat is sparse: a plain ':' cell (no value, no flag) is simply absent from the document.
        tsv_rows = tsv_rows.filter(pl.col("value").is_not_null() | pl.col("flags").is_not_null())
        assert tsv_rows.height == len(OBSERVATIONS) - 1
    assert comparable(rows).equals(comparable(tsv_rows))
    assert rows.filter(pl.col("is_confidential"))["conf_status"].to_list() == ["C"]
    assert set(rows.columns) == set(tsv_rows.columns)


def test_tsv_counts_of_the_fixture(tsv_rows):
    assert tsv_rows.height == len(OBSERVATIONS)
    assert tsv_rows["value"].is_null().sum() == 2
    assert tsv_rows.filter(
        pl.col("geo") == "AT11", pl.col("unit") == "EUR_HAB", pl.col("period") == "2020"
    )["flags"].to_list() == ["bp"]


def test_sdmx_csv_last_update_labels_and_dataset(tmp_path):
    path = tmp_path / "data.csv"
    path.write_text(
        "DATAFLOW,LAST UPDATE,freq: Time frequency,geo: Geopolitical entity,TIME_PERIOD,OBS_VALUE,OBS_FLAG\n"
        "ESTAT:RD_E_GERDREG(1.0),27/11/26 23:00:00,A:Annual,AT11:Burgenland,2021,1.5,p\n"
    )
    rows = observations(path)
    assert rows.select("dataset", "freq", "geo", "period", "value", "flags").rows() == [
        ("rd_e_gerdreg", "A", "AT11", "2021", 1.5, "p")
    ]
    assert declared_dataset(path) == "rd_e_gerdreg"


@pytest.mark.parametrize(
    ("body", "line", "message"),
    [
        (
            "DATAFLOW,LAST UPDATE,geo,TIME_PERIOD,OBS_VALUE\nESTAT:X(1.0),d,AT,2020,12a\n",
            2,
            "non-numeric value '12a'",
        ),
        (
            "DATAFLOW,LAST UPDATE,geo,TIME_PERIOD,OBS_VALUE\nESTAT:X(1.0),d,AT,,1\n",
            2,
            "empty TIME_PERIOD",
        ),
        (
            "DATAFLOW,LAST UPDATE,geo,TIME_PERIOD,OBS_VALUE\nESTAT:X(1.0),d,AT,2020,1\nESTAT:X(1.0),d,AT,2020,2\n",
            3,
            "duplicate observation",
        ),
        (
            "DATAFLOW,LAST UPDATE,geo,TIME_PERIOD,OBS_VALUE\nESTAT:X(1.0),d,AT,2020\n",
            None,
            "malformed SDMX-CSV",
        ),
    ],
)
def test_bad_sdmx_csv_names_line_and_problem(tmp_path, body, line, message):
    path = tmp_path / "x.csv"
    path.write_text(body)
    with pytest.raises(ExtractError, match=message) as caught:
        observations(path)
    assert caught.value.line == line


def test_jsonstat_status_only_cell_and_updated(tmp_path):
    rows = observations(write_jsonstat(tmp_path / "x.json"))
    confidential = rows.filter(pl.col("is_confidential"))
    assert confidential.select("geo", "unit", "period", "value").rows() == [
        ("AT12", "MIO_EUR", "2020", None)
    ]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d.update(value={"99": 1.0}), "outside the cube"),
        (lambda d: d.update(size=[1, 2]), "'id' and 'size'"),
        (lambda d: d.update(value="x"), "must be an object or an array"),
        (
            lambda d: d["dimension"]["geo"]["category"].update(index={"AT11": 0, "AT12": 7}),
            "outside 0..1",
        ),
        (lambda d: d.update(id=["freq", "unit", "geo", "year"]), "time dimension"),
    ],
)
def test_bad_jsonstat_is_refused(tmp_path, change, message):
    document = jsonstat_document()
    change(document)
    path = tmp_path / "x.json"
    path.write_text(json.dumps(document))
    with pytest.raises(ExtractError, match=message):
        observations(path)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            "<!DOCTYPE html><html><head><title>Service unavailable</title></head></html>",
            r"HTML page instead of data \(Service unavailable\)",
        ),
        (
            '<?xml version="1.0"?><S:Error><c:Text>No results found</c:Text></S:Error>',
            "XML that is not SDMX-ML data: No results found",
        ),
        ("just some words", "unrecognised format"),
        ("", "empty file"),
    ],
)
def test_sniffing_refuses_what_is_not_data(tmp_path, body, message):
    path = tmp_path / "download.tsv"
    path.write_text(body)
    with pytest.raises(ExtractError, match=message):
        observations(path)


def test_unknown_flag_is_kept_and_marked(tmp_path):
    path = tmp_path / "x.tsv"
    path.write_text("freq,geo\\TIME_PERIOD\t2020\t2021\nA,AT\t1 x\t2 p\n")
    rows = observations(path, "x")
    assert rows.filter(pl.col("has_unknown_flag"))["flags"].to_list() == ["x"]
    assert rows.filter(pl.col("period") == "2021")["has_unknown_flag"].to_list() == [False]


@pytest.mark.shared
def test_real_sdmx_ml_sample(shared_dir):
    rows = observations(
        shared_dir / "eurostat_realdata" / "sdmx-test-data_ESTAT_NAMA_10_GDP-ss.xml"
    )
    assert rows["dataset"].unique().to_list() == ["nama_10_gdp"]
    assert rows.select("geo", "na_item", "unit", "freq").unique().rows() == [
        ("LU", "B1GQ", "CP_MEUR", "A")
    ]
    assert rows["period"].to_list() == ["2012", "2013", "2014", "2015"]
    assert rows["value"].to_list() == [46526.2, 49094.5, 51791.3, 54142.3]
    assert rows["flags"].is_null().all()


@pytest.mark.shared
def test_real_legacy_json_is_refused_with_a_reason(shared_dir):
    with pytest.raises(
        ExtractError,
        match=r"legacy Eurostat JSON web service format \(wsVersion V1_1\), discontinued",
    ):
        observations(
            shared_dir
            / "eurostat_realdata"
            / "jsonstatpy_legacy_eurostat-name_gpd_c-geo_IT_FR.json"
        )


@pytest.mark.shared
def test_real_dataflow_metadata_holds_no_observations(shared_dir):
    with pytest.raises(ExtractError, match="metadata-only"):
        observations(
            shared_dir / "eurostat_realdata" / "duckdb-eurostat_DEMO_R_D2JAN---dataflow.json"
        )
