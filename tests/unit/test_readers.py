"""SDMX-CSV, JSON-stat and SDMX-ML readers, format sniffing, and agreement between all formats."""

from __future__ import annotations

import json

import polars as pl
import pytest

from clusterobs.transforms.readers.extracts import declared_dataset, observations
from clusterobs.transforms.readers.observations import ExtractError

from ..formats import (
    OBSERVATIONS,
    jsonstat_document,
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


def category(dimension: str):
    """The `category` object of a dimension of a JSON-stat document."""
    return lambda d: d["dimension"][dimension]["category"]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d.update(value={"99": 1.0}), "'value' index 99 outside the cube of 8 cells"),
        (lambda d: d.update(size=[1, 2]), "'id' and 'size' do not describe the same dimensions"),
        (lambda d: d.update(value="x"), "'value' must be an object or an array of numbers, not a string"),
        (lambda d: category("geo")(d).update(index={"AT11": 0, "AT12": 7}), "outside 0..1"),
        (lambda d: d.update(id=["freq", "unit", "geo", "year"]), "one time dimension"),
        # the known failure: 'the JSON object must be str, bytes or bytearray, not NoneType'
        (lambda d: d.pop("id"), "no 'id': not a JSON-stat 2.0 dataset"),
        (lambda d: d.pop("size"), "no 'size': not a JSON-stat 2.0 dataset"),
        (lambda d: d.update(id="freq"), """'id' must be a non-empty array of dimension names, not "freq" (a string)"""),
        (lambda d: d.update(id=[["freq"], "unit", "geo", "time"]), """'id' entry 0 is ["freq"] (an array), not a dimension name"""),
        (lambda d: d.update(id=[1, "unit", "geo", "time"]), "'id' entry 0 is 1 (a number), not a dimension name"),
        (lambda d: d.update(id=["freq", "unit", "GEO", "geo"]), "'id' names dimension 'geo' twice"),
        (lambda d: d.update(size=["1", 2, 2, 2]), """size of 'freq' is "1" (a string), not a positive whole number"""),
        (lambda d: d.update(size=[1, 2, 2, 2.5]), "size of 'time' is 2.5 (a number), not a positive whole number"),
        (lambda d: d.update(size=[True, 2, 2, 2]), "size of 'freq' is true (a boolean), not a positive whole number"),
        (lambda d: d.update(size=[1, 2, 2]), "'id' and 'size' do not describe the same dimensions: 4 ids, 3 sizes"),
        (lambda d: d.update(size={"time": 2}), """'size' must be an array of category counts, not {"time": 2} (an object)"""),
        (lambda d: d.update(size=[1, 2, 2, 10**12]), "'dimension.time.category.index' has 2 categories, 'size' says 1000000000000"),
        (lambda d: d.update(size=[1, 2, 2, 10**30]), "too large to index"),
        (lambda d: d.pop("dimension"), "'dimension' must be an object of the dimensions in 'id', not missing"),
        (lambda d: d["dimension"].pop("geo"), "'dimension' has no entry for 'geo' (named in 'id')"),
        (lambda d: d["dimension"].update(geo=["AT11"]), """'dimension.geo' must be an object, not ["AT11"] (an array)"""),
        (lambda d: d["dimension"]["geo"].pop("category"), "'dimension.geo.category' must be an object, not missing"),
        (lambda d: category("geo")(d).update(index="AT11"), """'dimension.geo.category.index' must be an array or an object of codes, not "AT11" (a string)"""),
        (lambda d: category("geo")(d).update(index=7), "'dimension.geo.category.index' must be an array or an object of codes, not 7 (a number)"),
        (lambda d: category("geo")(d).pop("index"), "dimension geo has no category index"),
        (lambda d: category("geo")(d).update(index=[["AT11"], ["AT12"]]), """'dimension.geo.category.index' entry 0 is ["AT11"] (an array), not a code"""),
        (lambda d: category("geo")(d).update(index=["AT11", None]), "'dimension.geo.category.index' entry 1 is null, not a code"),
        (lambda d: category("geo")(d).update(index=["AT11", "AT11"]), "'dimension.geo.category.index' lists category 'AT11' twice"),
        (lambda d: category("geo")(d).update(index={"AT11": "0", "AT12": 1}), """category 'AT11' has position "0" (a string) outside 0..1"""),
        (lambda d: category("geo")(d).update(index={"AT11": 0, "AT12": 0}), "gives position 0 to both 'AT11' and 'AT12'"),
        (lambda d: category("time")(d).update(index=["2019", "2019 "]), "time dimension time: period 2019 appears twice"),
        (lambda d: category("geo")(d).update(label=["Burgenland", "Niederösterreich"]), "'dimension.geo.category.label' must be an object, not"),
        (lambda d: category("geo")(d).update(label={"AT11": 5}), "'dimension.geo.category.label' of 'AT11' is 5 (a number), not a string"),
        (lambda d: d["dimension"]["geo"].update(label=["geo"]), """'dimension.geo.label' must be a string, not ["geo"] (an array)"""),
        (lambda d: d.update(label=None), "'label' must be a string, not null"),
        (lambda d: d.update(value=None), "'value' must be an object or an array of numbers, not null"),
        (lambda d: d.update(value=[[1250.5]]), "'value' entry 0 is [1250.5] (an array), not a number or null"),
        (lambda d: d.update(value={"0": "1250.5"}), """'value' entry 0 is "1250.5" (a string), not a number or null"""),
        (lambda d: d.update(value={"0": True}), "'value' entry 0 is true (a boolean), not a number or null"),
        (lambda d: d.update(value={"a": 1}), "'value' key 'a' is not a cell index (a whole number from 0)"),
        (lambda d: d.update(value={"1.5": 1}), "'value' key '1.5' is not a cell index (a whole number from 0)"),
        (lambda d: d.update(value={"01": 1}), "'value' key '01' is not a cell index (a whole number from 0)"),
        (lambda d: d.update(value=[1.0] * 9), "'value' has more entries than the 8 cells of the cube"),
        (lambda d: d.update(status="c"), "'status' must be an object or an array of strings, not a string"),
        (lambda d: d.update(status=None), "'status' must be an object or an array of strings, not null"),
        (lambda d: d.update(status={"3": ["c"]}), """'status' entry 3 is ["c"] (an array), not a string or null"""),
        (lambda d: d.update(status=[None, 5]), "'status' entry 1 is 5 (a number), not a string or null"),
        (lambda d: d.update(updated=20261128), "'updated' must be a string, not 20261128 (a number)"),
        (lambda d: d.update(extension="nama_10r_2gdp"), """'extension' must be an object, not "nama_10r_2gdp" (a string)"""),
        (lambda d: d.update(extension={"datasetId": 5}), "'extension.datasetId' must be a dataset code, not 5 (a number)"),
    ],
)  # fmt: skip
def test_bad_jsonstat_is_refused_naming_the_file_and_the_field(tmp_path, change, message):
    document = jsonstat_document()
    change(document)
    path = tmp_path / "x.json"
    path.write_text(json.dumps(document))
    with pytest.raises(ExtractError) as caught:
        observations(path)
    assert str(caught.value).startswith(f"{path}: ")
    assert message in str(caught.value) and "\n" not in str(caught.value)


def test_jsonstat_value_with_a_cell_index_twice_is_refused(tmp_path):
    """A JSON object with a key twice: DuckDB's from_json makes it NULL, which read as no values at all."""
    path = tmp_path / "x.json"
    text = json.dumps(jsonstat_document())
    path.write_text(text.replace('"value": {', '"value": {"0": 1.0, ', 1))
    with pytest.raises(ExtractError, match="'value' has a cell index twice"):
        observations(path)


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda d: category("freq")(d).update(index=None, label={"A": "Annual"}), ["A"]),
        (lambda d: category("freq")(d).pop("index") and category("freq")(d).update(label={"A": "x"}), ["A"]),
        (lambda d: category("geo")(d).update(index=["AT11", "AT12"]), ["AT11", "AT12"]),
        (lambda d: d.update(status=None) or d.pop("status"), ["AT11", "AT12"]),
    ],
    ids=["single category by its label", "no index, one label", "index as array", "no status"],
)  # fmt: skip
def test_jsonstat_variants_that_load(tmp_path, change, expected):
    document = jsonstat_document()
    change(document)
    if document["dimension"]["freq"]["category"].get("index", 0) is None:
        del document["dimension"]["freq"]["category"]["index"]
    path = tmp_path / "x.json"
    path.write_text(json.dumps(document))
    rows = observations(path)
    assert sorted(rows["geo" if expected != ["A"] else "freq"].unique()) == expected


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


SDMX_CSV_ROW = "ESTAT:NAMA_10R_2GDP(1.0),A,AT11,2020,1.5"


@pytest.mark.parametrize(
    ("header", "row", "message"),
    [
        ("DATAFLOW,freq,geo,TIME_PERIOD,OBS_VALUE,OBS_VALUE", SDMX_CSV_ROW + ",2", "line 1: column 'OBS_VALUE' appears twice in the header"),
        ("DATAFLOW,freq,geo,TIME_PERIOD,TIME_PERIOD,OBS_VALUE", "ESTAT:X(1.0),A,AT,2020,2021,1", "line 1: column 'TIME_PERIOD' appears twice in the header"),
        ("DATAFLOW,freq,geo,Geo,TIME_PERIOD,OBS_VALUE", "ESTAT:X(1.0),A,AT,AT,2020,1", "line 1: a dimension appears twice in the header"),
        ("DATAFLOW,freq,a b,a_b,TIME_PERIOD,OBS_VALUE", "ESTAT:X(1.0),A,AT,AT,2020,1", "line 1: columns 'a b' and 'a_b' name the same column"),
        ("DATAFLOW,freq,geo,OBS_VALUE", "ESTAT:X(1.0),A,AT,1", "line 1: SDMX-CSV header must have TIME_PERIOD and OBS_VALUE"),
        ("DATAFLOW;freq;geo;TIME_PERIOD;OBS_VALUE", SDMX_CSV_ROW, "malformed SDMX-CSV (Invalid Input Error: CSV Error on Line: 2: Expected Number of Columns: 5 Found: 1)"),
        ("DATAFLOW,freq,geo,TIME_PERIOD,OBS_VALUE", SDMX_CSV_ROW + ",x", "Expected Number of Columns: 5 Found: 6"),
        ("STRUCTURE,ACTION,freq,geo,TIME_PERIOD,OBS_VALUE", "dataflow,I,A,AT,2020,1", "line 2: no dataset named in column STRUCTURE_ID or DATAFLOW"),
        ("DATAFLOW,freq,geo,TIME_PERIOD,OBS_VALUE", "ESTAT:X(1.0),A,AT,20'20,1", "line 2: unrecognised period \"20'20\""),
    ],
    ids=["value twice", "time twice", "dimension twice", "same column", "no time", "wrong separator",
         "extra cell", "2.0 without STRUCTURE_ID", "quote in period"],
)  # fmt: skip
def test_bad_sdmx_csv_structure_is_refused_in_one_line(tmp_path, header, row, message):
    path = tmp_path / "x.csv"
    path.write_text(f"{header}\n{row}\n")
    with pytest.raises(ExtractError) as caught:
        observations(path)
    assert str(caught.value).startswith(str(path)) and message in str(caught.value)
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize(
    ("header", "row"),
    [
        ("\ufeffDATAFLOW,freq,geo,TIME_PERIOD,OBS_VALUE", SDMX_CSV_ROW),
        ('"DATAFLOW","freq","geo: Geopolitical entity, reporting","TIME_PERIOD","OBS_VALUE"', SDMX_CSV_ROW),
        ("OBS_VALUE,TIME_PERIOD,geo,freq,DATAFLOW", "1.5,2020,AT11,A,ESTAT:NAMA_10R_2GDP(1.0)"),
    ],
    ids=["byte order mark", "quoted labels with the separator", "reordered"],
)  # fmt: skip
def test_sdmx_csv_header_variants_load(tmp_path, header, row):
    path = tmp_path / "x.csv"
    path.write_text(f"{header}\n{row}\n")
    rows = observations(path)
    assert rows.select("dataset", "freq", "geo", "period", "value").rows() == [
        ("nama_10r_2gdp", "A", "AT11", "2020", 1.5)
    ]


def test_gzip_sdmx_csv_loads(tmp_path):
    import gzip

    path = tmp_path / "x.csv"  # a landed file keeps no .gz suffix
    path.write_bytes(gzip.compress(write_sdmx_csv(tmp_path / "plain.csv").read_bytes()))
    assert observations(path).height == len(OBSERVATIONS)


SDMX_ML = (
    '<?xml version="1.0" encoding="UTF-8"?>\n<m:StructureSpecificData xmlns:m="m" xmlns:u="u">'
    "<m:Header><m:DataSetID>NAMA_10_GDP</m:DataSetID></m:Header><u:DataSet>\n{body}"
    "</u:DataSet>\n</m:StructureSpecificData>\n"
)
SERIES = (
    '<Series geo="{geo}" unit="CP_MEUR" freq="A">\n<Obs TIME_PERIOD="2012" OBS_VALUE="1.5"/>\n'
    '<Obs TIME_PERIOD="2013" OBS_VALUE="2" OBS_FLAG="p"/>\n</Series>\n'
)
OBS = '<Obs TIME_PERIOD="2014" OBS_VALUE="3"/>\n'


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (SDMX_ML.format(body=SERIES.format(geo="LU"))[:-40], "the message does not end with its closing StructureSpecificData tag: a truncated download?"),
        (SDMX_ML.format(body=OBS + SERIES.format(geo="LU")), "observation 1: the Obs element is not inside a Series"),
        (SDMX_ML.format(body=SERIES.format(geo="LU") + OBS), "observation 3: the Obs element is not inside a Series"),
        (SDMX_ML.format(body=SERIES.format(geo="LU").replace("</Series>\n", "") + SERIES.format(geo="BE") + "</Series>"), "Series element 2 is inside another Series"),
        (SDMX_ML.format(body=SERIES.format(geo="LU") + "</Series>"), "a closing Series tag after Series element 1 closes no Series"),
        (SDMX_ML.format(body=SERIES.format(geo="LU") + SERIES.format(geo="BE").replace("</Series>", "")), "Series element 2 is not closed"),
        (SDMX_ML.format(body=SERIES.format(geo="LU") + SERIES.format(geo="BE").replace(' geo="BE"', "")), "Series element 2 lacks attribute(s) geo of the first Series"),
        (SDMX_ML.format(body=SERIES.format(geo="LU") + SERIES.format(geo='BE" sex="T')), "Series element 2 has attribute(s) sex that the first Series has not"),
        (SDMX_ML.format(body=SERIES.format(geo='LU" geo="BE')), "Series element 1 has attribute 'geo' twice"),
        (SDMX_ML.format(body="<Series>" + OBS + "</Series>"), "the first Series element has no dimension attributes"),
        (SDMX_ML.format(body=SERIES.format(geo="LU").replace('TIME_PERIOD="2013" ', "")), "observation 2: the Obs element has no TIME_PERIOD"),
        (SDMX_ML.format(body=SERIES.format(geo="LU").replace('"2"', '"1,5"')), "observation 2: non-numeric OBS_VALUE '1,5'"),
        (SDMX_ML.format(body=SERIES.format(geo="LU") * 2), "observation 3: duplicate observation: same dimensions and period as observation 1"),
        (SDMX_ML.format(body=OBS), "no Series elements found in the SDMX-ML message"),
    ],
    ids=["truncated", "obs before any series", "obs after a series", "nested series", "stray closing tag",
         "series not closed", "series without a dimension", "series with another dimension",
         "attribute twice", "series without attributes", "obs without period", "non-numeric value",
         "duplicate observation", "flat observations"],
)  # fmt: skip
def test_bad_sdmx_ml_structure_is_refused_in_one_line(tmp_path, text, message):
    path = tmp_path / "x.xml"
    path.write_text(text)
    with pytest.raises(ExtractError) as caught:
        observations(path)
    assert str(caught.value) == f"{path}: {message}" or str(caught.value).startswith(
        f"{path}: {message}"
    )


@pytest.mark.parametrize(
    "change",
    [
        lambda t: t,
        lambda t: t.replace('"', "'"),
        lambda t: t.replace('unit="CP_MEUR" geo="BE"', 'geo="BE" unit="CP_MEUR"'),
        lambda t: t.replace(' OBS_FLAG="p"/>', ' OBS_FLAG="p"><Annotations/></Obs>'),
        lambda t: t.replace("<u:DataSet>\n", '<u:DataSet>\n<Series geo="XX" unit="CP_MEUR" freq="A"/>\n'),
    ],
    ids=["as written", "single quotes", "attributes in another order", "obs with children", "empty series"],
)  # fmt: skip
def test_sdmx_ml_variants_load(tmp_path, change):
    path = tmp_path / "x.xml"
    path.write_text(change(SDMX_ML.format(body=SERIES.format(geo="LU") + SERIES.format(geo="BE"))))
    rows = observations(path)
    assert rows.select("geo", "period", "value", "flags").sort("geo", "period").rows() == [
        ("BE", "2012", 1.5, None), ("BE", "2013", 2.0, "p"), ("LU", "2012", 1.5, None), ("LU", "2013", 2.0, "p"),
    ]  # fmt: skip


def test_sdmx_ml_gzip_and_not_utf8(tmp_path):
    import gzip

    text = SDMX_ML.format(body=SERIES.format(geo="LU"))
    path = tmp_path / "x.xml"
    path.write_bytes(gzip.compress(text.encode()))
    assert observations(path).height == 2
    path.write_bytes(text.replace("LU", "L\u00dc").encode("latin-1"))
    with pytest.raises(ExtractError, match=r"x\.xml: not UTF-8 text"):
        observations(path)
