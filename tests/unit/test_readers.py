"""The readers across formats: every format gives the TSV's observations, format sniffing refuses what is
not data, unknown flags, and real files (per format: test_readers_sdmx.py, test_readers_jsonstat.py)."""

from __future__ import annotations

import polars as pl
import pytest

from clusterobs.transforms.readers.extracts import observations
from clusterobs.transforms.readers.observations import ExtractError

from ..formats import (
    OBSERVATIONS,
    write_jsonstat,
    write_sdmx_csv,
    write_sdmx_ml,
    write_tsv,
)

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
        (lambda p: write_sdmx_ml(p / "x.xml"), False),
    ],
    ids=[
        "sdmx-csv-1.0",
        "sdmx-csv-2.0-semicolon",
        "sdmx-csv-2.0",
        "json-stat-sparse",
        "json-stat-dense",
        "sdmx-ml",
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
