"""The SDMX-CSV and SDMX-ML readers: labels, dataset and last update, header and document variants that
load, gzip, and broken structure refused in one line naming the line or element."""

from __future__ import annotations

import pytest

from clusterobs.transforms.readers.extracts import declared_dataset, observations
from clusterobs.transforms.readers.observations import ExtractError

from ..formats import OBSERVATIONS, write_sdmx_csv


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
