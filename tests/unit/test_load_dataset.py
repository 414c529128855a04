"""Loading datasets: idempotent, replaced in one transaction, nothing from a bad file, lineage kept."""

from __future__ import annotations

import json
import os
import stat

import pytest

from clusterobs import loads, parquet_exchange, warehouse
from clusterobs.landing import land_file
from clusterobs.transforms.readers import eurostat_tsv, jsonstat, sdmx_csv, sdmx_ml
from clusterobs.transforms.readers.extracts import observations
from clusterobs.transforms.readers.observations import ExtractError

from ..formats import (
    OBSERVATIONS,
    jsonstat_document,
    write_jsonstat,
    write_sdmx_csv,
    write_sdmx_ml,
    write_tsv,
)


@pytest.fixture
def con(tmp_path):
    connection = warehouse.connect(tmp_path / "w.duckdb")
    yield connection
    connection.close()


def landed(tmp_path, path, dataset="nama_10r_2gdp"):
    return land_file(path, tmp_path / "landing", dataset)


def raw_rows(con, dataset="nama_10r_2gdp"):
    return con.execute(
        f"select geo, unit, period, value, extract_sha256, load_run_id from raw.{dataset} order by all"
    ).fetchall()


def test_same_file_twice_changes_nothing(tmp_path, con):
    file = landed(tmp_path, write_tsv(tmp_path / "nama_10r_2gdp.tsv"))
    first = loads.load_dataset(con, "nama_10r_2gdp", [file], "run-1")
    before = raw_rows(con)
    second = loads.load_dataset(con, "nama_10r_2gdp", [file], "run-2")
    assert (first.status, second.status) == ("loaded", "unchanged")
    assert raw_rows(con) == before and {r[5] for r in before} == {"run-1"}
    assert second.files[0].observations == first.files[0].observations == len(OBSERVATIONS)
    assert second.files[0].flags == first.files[0].flags == {"b": 1, "c": 1, "e": 1, "p": 2}
    assert con.execute("select count(*) from meta.extracts").fetchall() == [(1,)]


def test_new_version_replaces_the_dataset(tmp_path, con):
    v1 = landed(tmp_path, write_tsv(tmp_path / "v1.tsv"))
    loads.load_dataset(con, "nama_10r_2gdp", [v1], "run-1")
    changed = [(*r[:4], (r[4] or 0) + 1, r[5]) for r in OBSERVATIONS]
    v2 = landed(tmp_path, write_tsv(tmp_path / "v2.tsv", changed))
    result = loads.load_dataset(con, "nama_10r_2gdp", [v2], "run-2")
    rows = raw_rows(con)
    assert result.status == "loaded"
    assert {r[4] for r in rows} == {v2.sha256} and {r[5] for r in rows} == {"run-2"}
    assert sum(r[3] for r in rows if r[3] is not None) == sum((r[4] or 0) + 1 for r in OBSERVATIONS)
    assert con.execute(
        "select count(*) from meta.extracts where dataset = 'nama_10r_2gdp'"
    ).fetchall() == [(2,)]


def test_a_bad_file_loads_nothing_of_its_dataset(tmp_path, con):
    good = landed(tmp_path, write_tsv(tmp_path / "nama_10r_2gdp.tsv"))
    loads.load_dataset(con, "nama_10r_2gdp", [good], "run-1")
    before = raw_rows(con)
    bad_path = tmp_path / "nama_10r_2gdp__bad.tsv"
    bad_path.write_text("freq,unit,geo\\TIME_PERIOD\t2021\nA,MIO_EUR,AT13\t12,5\n")
    other = landed(
        tmp_path,
        write_tsv(tmp_path / "other.tsv", [(*r[:3], "2021", *r[4:]) for r in OBSERVATIONS[:2]]),
    )
    with pytest.raises(ExtractError) as caught:
        loads.load_dataset(con, "nama_10r_2gdp", [other, landed(tmp_path, bad_path)], "run-2")
    assert str(bad_path.resolve()) in str(caught.value) and "line 2" in str(caught.value)
    assert raw_rows(con) == before
    assert con.execute("select count(*) from meta.extracts").fetchall() == [(1,)]


def test_slices_are_unioned_with_their_own_lineage(tmp_path, con):
    at11 = landed(
        tmp_path, write_tsv(tmp_path / "a.tsv", [r for r in OBSERVATIONS if r[2] == "AT11"])
    )
    at12 = landed(
        tmp_path,
        write_sdmx_csv(tmp_path / "b.csv", rows=[r for r in OBSERVATIONS if r[2] == "AT12"]),
    )
    result = loads.load_dataset(con, "nama_10r_2gdp", [at11, at12], "run-1")
    assert result.observations == len(OBSERVATIONS)
    by_geo = dict(
        con.execute(
            "select geo, any_value(extract_sha256) from raw.nama_10r_2gdp group by geo"
        ).fetchall()
    )
    assert by_geo == {"AT11": at11.sha256, "AT12": at12.sha256}
    # each file's codes become one ENUM covering both slices
    geo_type = con.execute(
        "select data_type from duckdb_columns() where table_name = 'nama_10r_2gdp' and column_name = 'geo'"
    ).fetchall()[0][0]
    assert geo_type == "ENUM('AT11', 'AT12')"


def test_overlapping_slices_are_refused(tmp_path, con):
    one = landed(tmp_path, write_tsv(tmp_path / "one.tsv", OBSERVATIONS[:3]))
    two = landed(tmp_path, write_tsv(tmp_path / "two.tsv", OBSERVATIONS[2:]))
    with pytest.raises(ExtractError, match="the same observation"):
        loads.load_dataset(con, "nama_10r_2gdp", [one, two], "run-1")
    assert not loads.loaded_checksums(con, "nama_10r_2gdp")


def test_file_of_another_dataset_is_refused(tmp_path, con):
    csv = landed(tmp_path, write_sdmx_csv(tmp_path / "x.csv"), dataset="rd_e_gerdreg")
    with pytest.raises(
        ExtractError, match="holds dataset 'nama_10r_2gdp', expected 'rd_e_gerdreg'"
    ):
        loads.load_dataset(con, "rd_e_gerdreg", [csv], "run-1")


def test_landing_is_by_checksum_and_read_only(tmp_path):
    source = write_tsv(tmp_path / "nama_10r_2gdp.tsv", gz=True)
    first = landed(tmp_path, source)
    again = landed(tmp_path, source)
    assert first.path == again.path and first.path.name == f"{first.sha256}.tsv"
    assert not os.stat(first.path).st_mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH)
    other = landed(tmp_path, write_tsv(tmp_path / "changed.tsv", OBSERVATIONS[:2]))
    assert other.path != first.path and len(list((tmp_path / "landing").iterdir())) == 2


def full_table(con, dataset="nama_10r_2gdp"):
    """Every column (virtual lineage included) and each column's type."""
    types = con.execute(
        "select column_name, data_type from duckdb_columns() where schema_name = 'raw' and table_name = ? order by column_index",
        [dataset],
    ).fetchall()
    return types, con.execute(f"select * from raw.{dataset} order by all").fetchall()


@pytest.mark.parametrize("split", [False, True])
def test_parsed_parquet_loads_the_same_table_as_a_direct_load(tmp_path, split):
    """The Dask path (parse on a worker into Parquet, load by the one writer) equals the direct load."""
    if split:
        files = [
            landed(tmp_path, write_tsv(tmp_path / "a.tsv", [r for r in OBSERVATIONS if r[2] == "AT11"])),
            landed(tmp_path, write_sdmx_csv(tmp_path / "b.csv", rows=[r for r in OBSERVATIONS if r[2] == "AT12"])),
        ]  # fmt: skip
    else:
        files = [landed(tmp_path, write_tsv(tmp_path / "nama_10r_2gdp.tsv"))]
    with warehouse.connect(tmp_path / "direct.duckdb") as con:
        direct = loads.load_dataset(con, "nama_10r_2gdp", files, "run-1")
        expected = full_table(con)
        expected_meta = con.execute("select * exclude (loaded_at) from meta.extracts").fetchall()
    exchange = tmp_path / "exchange"
    parsed = [
        parquet_exchange.parse_to_parquet(f, "nama_10r_2gdp", n, exchange, "500MB")
        for n, f in enumerate(files)
    ]
    assert sorted(p.name for p in exchange.iterdir()) == [
        f"nama_10r_2gdp__{n}.parquet" for n in range(len(files))
    ]
    with warehouse.connect(tmp_path / "exchanged.duckdb") as con:
        result = parquet_exchange.load_parsed(con, "nama_10r_2gdp", parsed, "run-1")
        assert full_table(con) == expected
        assert (
            con.execute("select * exclude (loaded_at) from meta.extracts").fetchall()
            == expected_meta
        )
    assert result == direct and result.observations == len(OBSERVATIONS)


def test_overlapping_parsed_slices_are_refused(tmp_path, con):
    files = [
        landed(tmp_path, write_tsv(tmp_path / "one.tsv", OBSERVATIONS[:3])),
        landed(tmp_path, write_tsv(tmp_path / "two.tsv", OBSERVATIONS[2:])),
    ]
    parsed = [
        parquet_exchange.parse_to_parquet(f, "nama_10r_2gdp", n, tmp_path / "x", None)
        for n, f in enumerate(files)
    ]
    with pytest.raises(ExtractError, match="the same observation"):
        parquet_exchange.load_parsed(con, "nama_10r_2gdp", parsed, "run-1")
    assert not loads.loaded_checksums(con, "nama_10r_2gdp")


def test_a_bad_file_fails_its_parse_naming_the_file(tmp_path):
    bad_path = tmp_path / "nama_10r_2gdp.tsv"
    bad_path.write_text("freq,unit,geo\\TIME_PERIOD\t2021\nA,MIO_EUR,AT13\t12,5\n")
    with pytest.raises(ExtractError) as caught:
        parquet_exchange.parse_to_parquet(
            landed(tmp_path, bad_path), "nama_10r_2gdp", 0, tmp_path / "x", None
        )
    assert str(bad_path.resolve()) in str(caught.value) and "line 2" in str(caught.value)
    assert not list((tmp_path / "x").iterdir())  # no half-written Parquet


def test_a_truncated_gzip_inside_the_load_names_the_users_file(tmp_path, con):
    """The reader's own error reaches the user, not the aborted transaction's (the real 2017 SBS file cut
    short raised 'Current transaction is aborted')."""
    import gzip

    whole = gzip.compress(write_tsv(tmp_path / "whole.tsv").read_bytes() * 50)
    cut = tmp_path / "nama_10r_2gdp.tsv.gz"
    cut.write_bytes(whole[: len(whole) // 2])
    with pytest.raises(ExtractError) as caught:
        loads.load_dataset(con, "nama_10r_2gdp", [landed(tmp_path, cut)], "run-1")
    message = str(caught.value)
    assert message.startswith(str(cut)) and "landing" not in message
    assert "malformed TSV or damaged file" in message or "truncated" in message


def broken_jsonstat(change) -> str:
    document = jsonstat_document()
    change(document)
    return json.dumps(document)


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        ("x.tsv", "freq,unit,geo\\TIME_PERIOD\t2021\nA,MIO_EUR,AT13\t1\t2\n",
         "malformed TSV or damaged file (Invalid Input Error: CSV Error on Line: 2: Expected Number of Columns: 2 Found: 3)"),
        ("x.tsv", "freq,unit,geo\\TIME_PERIOD\t2021\nA,MIO_EUR\t1\n", "line 2: series key has 2 parts"),
        ("x.csv", "DATAFLOW,freq,unit,geo,TIME_PERIOD,OBS_VALUE\nESTAT:NAMA_10R_2GDP(1.0),A,MIO_EUR,AT13\n",
         "malformed SDMX-CSV (Invalid Input Error: CSV Error on Line: 2: Expected Number of Columns: 6 Found: 4)"),
        ("x.csv", "DATAFLOW,freq,unit,geo,TIME_PERIOD,OBS_VALUE\nESTAT:NAMA_10R_2GDP(1.0),A,MIO_EUR,AT13,2021,1\n"
         "ESTAT:NAMA_10R_2GDP(1.0),A,MIO_EUR,AT13,2021X,2\n", "line 3: unrecognised period '2021X'"),
        ("x.json", '{"version": "2.0", "class": "dataset", "id": [', "not valid JSON"),
        ("x.json", broken_jsonstat(lambda d: d.update(value={"0": "1250.5"})),
         """'value' entry 0 is "1250.5" (a string), not a number or null"""),
        ("x.json", broken_jsonstat(lambda d: d.update(status={"x": "c"})), "'status' key 'x' is not a cell index"),
        ("x.json", broken_jsonstat(lambda d: d.pop("id")), "no 'id': not a JSON-stat 2.0 dataset"),
        ("x.xml", '<m:StructureSpecificData xmlns:m="m"><m:DataSetID>NAMA_10R_2GDP</m:DataSetID><DataSet>'
         '<Series geo="AT" freq="A"><Obs TIME_PERIOD="2020" OBS_VALUE="1"/><Obs TIME_PERIOD="2020" OBS_VALUE="2"/>'
         "</Series></DataSet></m:StructureSpecificData>", "observation 2: duplicate observation"),
    ],
    ids=["tsv ragged line", "tsv short key", "sdmx-csv short row", "sdmx-csv bad period", "json truncated",
         "json-stat string value", "json-stat bad status key", "json-stat without id", "sdmx-ml duplicate"],
)  # fmt: skip
def test_inside_the_load_the_readers_own_error_reaches_the_user(tmp_path, con, name, text, message):
    """Readers run inside the loader's transaction: after a failed DuckDB statement it is aborted, and
    the error the user sees is the reader's (the same as outside a load), never 'transaction is aborted'."""
    good = landed(tmp_path, write_tsv(tmp_path / "nama_10r_2gdp.tsv"))
    loads.load_dataset(con, "nama_10r_2gdp", [good], "run-1")
    before = raw_rows(con)
    path = tmp_path / name
    path.write_text(text)
    with pytest.raises(ExtractError) as caught:
        loads.load_dataset(con, "nama_10r_2gdp", [landed(tmp_path, path)], "run-2")
    assert str(caught.value).startswith(str(path)) and message in str(caught.value)
    assert "aborted" not in str(caught.value) and "landing" not in str(caught.value)
    with pytest.raises(ExtractError) as outside:
        observations(path, "nama_10r_2gdp")
    assert str(outside.value) == str(caught.value)
    assert raw_rows(con) == before  # rolled back; the connection works


@pytest.mark.parametrize(
    ("reader", "writer"),
    [
        (eurostat_tsv, lambda p: write_tsv(p / "x.tsv")),
        (sdmx_csv, lambda p: write_sdmx_csv(p / "x.csv")),
        (jsonstat, lambda p: write_jsonstat(p / "x.json")),
        (sdmx_ml, lambda p: write_sdmx_ml(p / "x.xml")),
    ],
    ids=["tsv", "sdmx-csv", "json-stat", "sdmx-ml"],
)
def test_a_duckdb_error_late_in_any_reader_is_not_replaced_inside_the_load(
    tmp_path, con, monkeypatch, reader, writer
):
    """A DuckDB statement failing after a reader made its scratch tables (here where it writes the long
    table): its cleanup does not replace the error with 'Current transaction is aborted'."""

    def failing(connection, *args, **kwargs):
        connection.execute("select 'not a number'::integer")

    monkeypatch.setattr(reader, "finalised_observations", failing)
    path = writer(tmp_path)
    with pytest.raises(ExtractError) as caught:
        loads.load_dataset(con, "nama_10r_2gdp", [landed(tmp_path, path)], "run-1")
    assert str(caught.value) == (
        f"{path}: DuckDB could not read the file (Conversion Error: Could not convert string "
        "'not a number' to INT32)"
    )
    monkeypatch.undo()
    result = loads.load_dataset(con, "nama_10r_2gdp", [landed(tmp_path, path)], "run-2")
    assert result.status == "loaded" and result.observations == observations(path).height
