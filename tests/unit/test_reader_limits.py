"""Limits of the readers: DuckDB running out of memory, a line too long to read, and values beyond any
published statistic are each refused with one line that names the file (and the line where known), says
what is wrong and what to do, in every format and inside the loader's transaction."""

from __future__ import annotations

import gzip
import json

import duckdb
import pytest

from clusterobs import loads, warehouse
from clusterobs.landing import land_file
from clusterobs.transforms.readers import failures as failures_module
from clusterobs.transforms.readers.extracts import observations, read_extract
from clusterobs.transforms.readers.failures import reader_failure
from clusterobs.transforms.readers.observations import MAX_ABS_VALUE, ExtractError

from ..formats import write_tsv

MEMORY_LIMIT = "1MB"  # far below what reading any of the files below needs


def big_tsv(path):
    lines = ["freq,geo\\TIME_PERIOD\t" + "\t".join(str(2000 + y) for y in range(10))]
    lines += [f"A,G{i}\t" + "\t".join(f"{i}.5 p" for _ in range(10)) for i in range(20_000)]
    path.write_text("\n".join(lines) + "\n")
    return path


def big_sdmx_csv(path):
    lines = ["DATAFLOW,freq,geo,TIME_PERIOD,OBS_VALUE,OBS_FLAG"]
    lines += [f"ESTAT:X(1.0),A,G{i},{2000 + i % 10},{i}.5,p" for i in range(50_000)]
    path.write_text("\n".join(lines) + "\n")
    return path


def big_jsonstat(path):
    geos = [f"G{i}" for i in range(5_000)]
    years = [str(2000 + y) for y in range(10)]
    path.write_text(
        json.dumps(
            {
                "version": "2.0",
                "class": "dataset",
                "id": ["freq", "geo", "time"],
                "size": [1, len(geos), len(years)],
                "dimension": {
                    "freq": {"category": {"index": ["A"]}},
                    "geo": {"category": {"index": geos}},
                    "time": {"category": {"index": years}},
                },
                "value": [i + 0.5 for i in range(len(geos) * len(years))],
                "extension": {"datasetId": "x"},
            }
        )
    )
    return path


def big_sdmx_ml(path):
    series = "".join(
        f'<Series geo="G{i}" freq="A">'
        + "".join(f'<Obs TIME_PERIOD="{2000 + y}" OBS_VALUE="{i}.5"/>' for y in range(10))
        + "</Series>\n"
        for i in range(5_000)
    )
    path.write_text(
        '<?xml version="1.0"?>\n<m:StructureSpecificData xmlns:m="m"><m:Header><m:DataSetID>X'
        f"</m:DataSetID></m:Header><DataSet>\n{series}</DataSet></m:StructureSpecificData>\n"
    )
    return path


BIG_FILES = pytest.mark.parametrize(
    "writer",
    [
        lambda d: big_tsv(d / "x.tsv"),
        lambda d: big_sdmx_csv(d / "x.csv"),
        lambda d: big_jsonstat(d / "x.json"),
        lambda d: big_sdmx_ml(d / "x.xml"),
    ],
    ids=["tsv", "sdmx-csv", "json-stat", "sdmx-ml"],
)


def assert_out_of_memory(message: str, source: str) -> None:
    assert message.startswith(f"{source}: out of memory reading the file")
    assert "raise CLUSTEROBS_DUCKDB_MEMORY_LIMIT (setting duckdb_memory_limit)" in message
    assert "malformed" not in message and "damaged" not in message and "aborted" not in message
    assert "\n" not in message


@BIG_FILES
def test_out_of_memory_is_reported_as_such_with_the_setting_to_raise(tmp_path, writer):
    path = writer(tmp_path)
    con = duckdb.connect()
    con.execute(f"set memory_limit = '{MEMORY_LIMIT}'")
    with pytest.raises(ExtractError) as caught:
        read_extract(con, path, "x")
    assert_out_of_memory(str(caught.value), str(path))
    assert "(DuckDB memory limit 976.5 KiB)" in str(caught.value)
    con.execute("set memory_limit = '1GB'")
    assert read_extract(con, path, "x").dataset == "x"  # the same file loads with memory enough


@BIG_FILES
def test_out_of_memory_inside_the_load_names_the_users_file(tmp_path, writer):
    path = writer(tmp_path)
    landed = land_file(path, tmp_path / "landing", "x")
    with warehouse.connect(tmp_path / "w.duckdb", memory_limit=MEMORY_LIMIT) as con:
        with pytest.raises(ExtractError) as caught:
            loads.load_dataset(con, "x", [landed], "run-1")
        assert_out_of_memory(str(caught.value), str(path))
        assert not loads.loaded_checksums(con, "x")


def test_an_error_that_says_out_of_memory_is_reported_as_such(tmp_path):
    path = tmp_path / "x.tsv"
    error = duckdb.Error(
        "IO Error: Out of memory: could not grow the buffer (1.9 GiB/2.0 GiB used)"
    )
    message = str(reader_failure(path, error, "malformed TSV or damaged file"))
    assert message.startswith(
        f"{path}: out of memory reading the file (DuckDB memory limit 2.0 GiB)"
    )
    assert "CLUSTEROBS_DUCKDB_MEMORY_LIMIT" in message and "malformed" not in message


@pytest.fixture
def short_lines(monkeypatch):
    """Lines limited to 1,000 bytes (DuckDB's max_line_size; its read buffer, 16,000 bytes)."""
    monkeypatch.setattr(failures_module, "MAX_LINE_BYTES", 1_000)


def tsv_with_a_long_line(path, length, line=4, gz=False):
    lines = ["freq,geo\\TIME_PERIOD\t2020\t2021"] + [f"A,G{i}\t1\t2" for i in range(5)]
    lines[line - 1] = f"A,GX\t1\t1{' ' * (length - 8)}"  # trailing blanks: a valid cell
    data = ("\n".join(lines) + "\n").encode()
    path.write_bytes(gzip.compress(data) if gz else data)
    return path


@pytest.mark.parametrize("gz", [False, True], ids=["plain", "gzip"])
@pytest.mark.parametrize(
    "length", [2_000, 40_000], ids=["over max_line_size", "over the read buffer"]
)
@pytest.mark.parametrize("line", [2, 4, 6])
def test_a_line_too_long_is_named_with_its_length_and_the_limit(
    tmp_path, short_lines, gz, length, line
):
    path = tsv_with_a_long_line(tmp_path / ("x.tsv.gz" if gz else "x.tsv"), length, line, gz)
    with pytest.raises(ExtractError) as caught:
        observations(path, "x")
    assert str(caught.value) == (
        f"{path}, line {line}: line too long ({length:,} bytes): the limit is 1,000 bytes per line; "
        "a damaged file, or one whose line breaks were lost?"
    )


def test_a_line_just_within_the_limit_loads(tmp_path, short_lines):
    path = tsv_with_a_long_line(tmp_path / "x.tsv", 1_000)
    assert observations(path, "x").height == 10


def test_a_header_line_too_long_is_line_1(tmp_path, short_lines):
    path = tmp_path / "x.tsv"
    periods = [str(1000 + i) for i in range(300)]
    path.write_text(
        "freq,geo\\TIME_PERIOD\t" + "\t".join(periods) + "\nA,AT\t" + "\t1" * 299 + "\n"
    )
    with pytest.raises(ExtractError, match=r"x\.tsv, line 1: line too long \(1,520 bytes\)"):
        observations(path, "x")


@pytest.mark.parametrize("line", [3, 5], ids=["inside", "last"])
@pytest.mark.parametrize("length", [2_000, 40_000])
def test_an_sdmx_csv_line_too_long_is_named(tmp_path, short_lines, length, line):
    path = tmp_path / "x.csv"
    lines = ["DATAFLOW,freq,geo,TIME_PERIOD,OBS_VALUE"]
    lines += [f"ESTAT:X(1.0),A,G{i},2020,1" for i in range(4)]
    lines[line - 1] = f"ESTAT:X(1.0),A,GX,2020,1 {'x' * (length - 25)}"
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(ExtractError) as caught:
        observations(path)
    assert str(caught.value).startswith(f"{path}, line {line}: line too long ({length:,} bytes)")


@pytest.mark.parametrize("line", [3, 6], ids=["inside", "last"])
def test_a_40_mb_line_at_the_real_limit(tmp_path, line):
    """Past DuckDB's 32 MB read buffer its parallel reader 'does not support a full read' inside the
    file, and silently leaves out the last line: both are named."""
    path = tsv_with_a_long_line(tmp_path / "x.tsv", 40_000_000, line=line)
    with pytest.raises(ExtractError) as caught:
        observations(path, "x")
    assert str(caught.value) == (
        f"{path}, line {line}: line too long (40,000,000 bytes): the limit is 2,000,000 bytes per "
        "line; a damaged file, or one whose line breaks were lost?"
    )


@pytest.mark.parametrize("gz", [False, True], ids=["plain", "gzip"])
def test_a_file_whose_line_breaks_were_lost_is_not_loaded_empty(tmp_path, short_lines, gz):
    """The body as one line (line breaks turned into carriage returns) longer than the read buffer."""
    body = "\r".join(f"A,G{i}\t{i}\t{i}" for i in range(3_000))
    data = f"freq,geo\\TIME_PERIOD\t2020\t2021\n{body}\n".encode()
    path = tmp_path / ("x.tsv.gz" if gz else "x.tsv")
    path.write_bytes(gzip.compress(data) if gz else data)
    with pytest.raises(ExtractError) as caught:
        observations(path, "x")
    assert str(caught.value).startswith(f"{path}, line 2: line too long ({len(body):,} bytes)")


def test_a_long_line_inside_the_load_names_the_users_file(tmp_path, short_lines):
    path = tsv_with_a_long_line(tmp_path / "x.tsv", 40_000, gz=True)
    landed = land_file(path, tmp_path / "landing", "x")
    with warehouse.connect(tmp_path / "w.duckdb") as con, pytest.raises(ExtractError) as caught:
        loads.load_dataset(con, "x", [landed], "run-1")
    assert str(caught.value).startswith(f"{path}, line 4: line too long (40,000 bytes)")


def test_the_value_bound_is_far_above_statistics_and_inside_decimal_38_12():
    assert MAX_ABS_VALUE > 1e15 and MAX_ABS_VALUE * 100_000 < 1e26


@pytest.mark.parametrize(
    "cell", ["1e20", "-1e20", "1e308 p", "-1.5e25", "123456789012345678901234"]
)
def test_values_beyond_the_bound_are_refused_with_line_and_period(tmp_path, cell):
    path = tmp_path / "x.tsv"
    path.write_text(f"freq,geo\\TIME_PERIOD\t2020\t2021\nA,AT\t1\t2\nA,DE\t3\t{cell}\n")
    with pytest.raises(ExtractError) as caught:
        observations(path, "x")
    assert caught.value.line == 3
    assert caught.value.problem.startswith("value ") and "for period 2021 is too large" in str(
        caught.value
    )
    assert "beyond ±1e20, far outside any published statistic" in str(caught.value)


def test_values_just_below_the_bound_load(tmp_path):
    path = tmp_path / "x.tsv"
    path.write_text("freq,geo\\TIME_PERIOD\t2020\nA,AT\t99999999999999990000 p\nA,DE\t-9.9e19\n")
    assert sorted(observations(path, "x")["value"]) == [-9.9e19, 99999999999999990000.0]


@pytest.mark.parametrize(
    ("name", "text", "where"),
    [
        (
            "x.csv",
            "DATAFLOW,freq,geo,TIME_PERIOD,OBS_VALUE\nESTAT:X(1.0),A,AT,2020,1\nESTAT:X(1.0),A,DE,2021,2e30\n",
            "x.csv, line 3: value 2e+30 for period 2021",
        ),
        (
            "x.json",
            json.dumps(
                {
                    "version": "2.0",
                    "class": "dataset",
                    "id": ["freq", "geo", "time"],
                    "size": [1, 1, 2],
                    "dimension": {
                        "freq": {"category": {"index": ["A"]}},
                        "geo": {"category": {"index": ["AT"]}},
                        "time": {"category": {"index": ["2020", "2021"]}},
                    },
                    "value": [1, 1e300],
                }
            ),
            "x.json: cell index 1: value 1e+300 for period 2021",
        ),
        (
            "x.xml",
            '<m:StructureSpecificData xmlns:m="m"><DataSet><Series geo="AT" freq="A">'
            '<Obs TIME_PERIOD="2020" OBS_VALUE="1"/><Obs TIME_PERIOD="2021" OBS_VALUE="-5E+21"/>'
            "</Series></DataSet></m:StructureSpecificData>",
            "x.xml: observation 2: value -5e+21 for period 2021",
        ),
    ],
    ids=["sdmx-csv", "json-stat", "sdmx-ml"],
)
def test_huge_values_are_refused_in_every_format(tmp_path, name, text, where):
    path = tmp_path / name
    path.write_text(text)
    with pytest.raises(ExtractError) as caught:
        observations(path, "x")
    assert str(caught.value).startswith(str(tmp_path / where))
    assert "is too large: beyond ±1e20" in str(caught.value)


def test_a_huge_value_inside_the_load_loads_nothing(tmp_path):
    good = land_file(
        write_tsv(tmp_path / "nama_10r_2gdp.tsv"), tmp_path / "landing", "nama_10r_2gdp"
    )
    bad_path = tmp_path / "nama_10r_2gdp__bad.tsv"
    bad_path.write_text("freq,unit,geo\\TIME_PERIOD\t2021\nA,MIO_EUR,AT13\t1e300\n")
    bad = land_file(bad_path, tmp_path / "landing", "nama_10r_2gdp")
    with warehouse.connect(tmp_path / "w.duckdb") as con:
        with pytest.raises(ExtractError) as caught:
            loads.load_dataset(con, "nama_10r_2gdp", [good, bad], "run-1")
        assert not loads.loaded_checksums(con, "nama_10r_2gdp")
    assert str(caught.value).startswith(
        f"{bad_path}, line 2: value 1e+300 for period 2021 is too large"
    )
