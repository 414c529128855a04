"""The TSV reader on hand-written extracts (every format variant) and on real Eurostat files."""

from __future__ import annotations

import gzip
from pathlib import Path

import polars as pl
import pytest

from clusterobs.transforms.readers.extracts import observations
from clusterobs.transforms.readers.observations import ExtractError, normalised_period


def write(path: Path, text: str, gz: bool = False) -> Path:
    data = text.encode("utf-8")
    if gz:
        path.write_bytes(gzip.compress(data))
    else:
        path.write_bytes(data)
    return path


NEW_FORMAT = (
    "freq,indic_sb,nace_r2,geo\\TIME_PERIOD\t2019 \t2020 \t2021 \r\n"
    "A,V16110,C10,AT11\t12 \t: c\t3.16 p\r\n"
    "A,V16110,C,AT11\t: \t1500 bu\t1600 \r\n"
)


@pytest.mark.parametrize("gz", [False, True])
def test_new_format_cells_become_typed_rows_with_flags(tmp_path, gz):
    path = write(tmp_path / ("x.tsv.gz" if gz else "x.tsv"), NEW_FORMAT, gz=gz)
    rows = observations(path, "sbs_r_nuts06_r2").sort("nace_r2", "period")
    assert rows.columns[:6] == ["freq", "indic_sb", "nace_r2", "geo", "period", "value"]
    assert {"dataset", "year", "is_confidential", "extract_sha256", "load_run_id"} <= set(
        rows.columns
    )
    assert rows["dataset"].unique().to_list() == ["sbs_r_nuts06_r2"] and rows[
        "year"
    ].unique().sort().to_list() == [2019, 2020, 2021]
    assert rows.height == 6
    got = rows.select(
        "nace_r2",
        "period",
        "value",
        "flags",
        "conf_status",
        "is_confidential",
        "is_provisional",
        "is_break",
    ).rows()
    assert got == [
        ("C", "2019", None, None, None, False, False, False),
        ("C", "2020", 1500.0, "bu", None, False, False, True),
        ("C", "2021", 1600.0, None, None, False, False, False),
        ("C10", "2019", 12.0, None, None, False, False, False),
        ("C10", "2020", None, "c", "C", True, False, False),
        ("C10", "2021", 3.16, "p", None, False, True, False),
    ]
    assert rows["record_number"].unique().sort().to_list() == [2, 3]


def test_old_format_without_freq_descending_quarters(tmp_path):
    text = "indic_sb,nace_r2,geo/time\t2016Q2 \t2016Q1 \t2015Q4 \nV11210,C10.1,DE11\t1 e\t2 \t: \n"
    rows = observations(write(tmp_path / "old.tsv", text), "q").sort("period")
    assert rows["period"].to_list() == ["2015-Q4", "2016-Q1", "2016-Q2"]
    assert rows["freq"].unique().to_list() == ["Q"]
    assert rows["value"].to_list() == [None, 2.0, 1.0]
    assert rows["is_estimated"].to_list() == [False, False, True]
    assert rows["nace_r2"].unique().to_list() == ["C10.1"]


def test_upper_case_header_is_accepted(tmp_path):
    text = "FREQ,UNIT,GEO\\TIME_PERIOD\t2020\nA,THS,AT\t5\n"
    rows = observations(write(tmp_path / "u.tsv", text), "u")
    assert rows.columns[:3] == ["freq", "unit", "geo"]
    assert rows["value"].to_list() == [5.0]


@pytest.mark.parametrize(
    ("label", "expected"),
    [
        ("2015", ("2015", "A")),
        ("2015 ", ("2015", "A")),
        ("2015-S1", ("2015-S1", "S")),
        ("2015-Q4", ("2015-Q4", "Q")),
        ("2015Q4", ("2015-Q4", "Q")),
        ("2015-02", ("2015-02", "M")),
        ("2015M02", ("2015-02", "M")),
        ("2015-W01", ("2015-W01", "W")),
    ],
)
def test_period_labels_are_normalised(label, expected):
    assert normalised_period(label) == expected


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ("", 1, "empty file"),
        ("<!DOCTYPE html><html>error</html>\n", 1, "an HTML page instead of data"),
        ("freq,geo\t2020\nA,AT\t1\n", 1, "bad header cell"),
        ("freq,geo\\TIME_PERIOD\t2020\nA,AT,extra\t1\n", 2, "series key has 3 parts"),
        ("freq,geo\\TIME_PERIOD\t2020\t2021\nA,AT\t1\t12x\n", 2, "non-numeric value '12x'"),
        (
            "freq,geo\\TIME_PERIOD\t2020\nA,AT\t1\nA,BE\t2\nA,AT\t3\n",
            4,
            "duplicate series: same key as line 2",
        ),
        ("freq,geo\\TIME_PERIOD\t2020\tnext year\nA,AT\t1\t2\n", 1, "unrecognised period"),
    ],
)
def test_bad_input_names_file_line_and_problem(tmp_path, text, line, message):
    path = write(tmp_path / "bad.tsv", text)
    with pytest.raises(ExtractError) as caught:
        observations(path, "bad")
    assert caught.value.line == line
    assert message in str(caught.value)
    assert str(path) in str(caught.value)


def test_ragged_row_is_refused(tmp_path):
    path = write(
        tmp_path / "ragged.tsv", "freq,geo\\TIME_PERIOD\t2020\t2021\nA,AT\t1\t2\nA,BE\t1\n"
    )
    with pytest.raises(ExtractError, match="malformed TSV or damaged file"):
        observations(path, "ragged")


def test_truncated_gzip_is_refused(tmp_path):
    data = gzip.compress(NEW_FORMAT.encode() * 200)
    path = tmp_path / "cut.tsv.gz"
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(ExtractError):
        observations(path, "cut")


@pytest.mark.shared
def test_real_nama_10r_3empers_sample_counts(shared_dir):
    rows = observations(
        shared_dir / "eurostat_realdata" / "datacommons_nama_10r_3empers_sample.tsv",
        "nama_10r_3empers",
    )
    assert rows.height == 99 * 28 == 2772
    assert rows["value"].is_not_null().sum() == 2242
    assert rows["value"].is_null().sum() == 530
    assert rows["is_provisional"].sum() == 71
    assert rows["is_break"].sum() == 21
    assert rows.filter(pl.col("flags").is_not_null())["flags"].unique().sort().to_list() == [
        "b",
        "p",
    ]
    assert sorted(rows["unit"].unique()) == ["THS"]
    assert sorted(rows["wstatus"].unique()) == ["EMP", "SAL"]
    assert rows["period"].min() == "1995" and rows["period"].max() == "2022"


@pytest.mark.shared
def test_real_nama_10r_3gdp_sample_with_trailing_spaces(shared_dir):
    rows = observations(
        shared_dir / "eurostat_realdata" / "dataciviclab_nama_10r_3gdp_sample.tsv", "nama_10r_3gdp"
    )
    assert rows.height == 9 * 25
    assert rows["geo"].n_unique() == 9
    assert rows["period"].unique().sort().to_list() == [str(y) for y in range(2000, 2025)]
    assert rows["flags"].is_null().all()
    assert rows.filter(pl.col("geo") == "AL011", pl.col("period") == "2008")["value"].to_list() == [
        1700.0
    ]
    assert rows["value"].is_null().sum() == rows.height - rows["value"].is_not_null().sum()
    assert rows["value"].is_not_null().sum() == 135


@pytest.mark.parametrize("in_transaction", [False, True])
def test_line_numbers_hold_in_large_files_read_in_parallel(tmp_path, in_transaction):
    """Lines are numbered from the table's rowids: check them deep into a file DuckDB reads in chunks."""
    import duckdb

    from clusterobs.transforms.readers.extracts import read_extract

    n = 300_000
    lines = [f"A,R{i:06d}\t{i}\t{i} p" for i in range(n)]
    lines[250_000] = "A,R000007\t1\t2"  # repeats the key of line 9
    path = write(
        tmp_path / "big.tsv", "freq,geo\\TIME_PERIOD\t2020\t2021\n" + "\n".join(lines) + "\n"
    )
    con = duckdb.connect()
    if in_transaction:
        con.execute("begin transaction")
    with pytest.raises(ExtractError) as caught:
        read_extract(con, path, "big")
    assert (caught.value.line, caught.value.problem) == (
        250_002,
        "duplicate series: same key as line 9",
    )

    lines[250_000] = "A,R250000\t250000\t250000 p"
    write(path, "freq,geo\\TIME_PERIOD\t2020\t2021\n" + "\n".join(lines) + "\n")
    parsed = read_extract(con, path, "big")
    wrong = con.execute(
        f"""select count(*) from {parsed.table}
            where record_number <> cast(substr(geo::varchar, 2) as bigint) + 2
               or value <> cast(substr(geo::varchar, 2) as bigint)"""
    ).fetchall()
    assert wrong == [(0,)]
    assert con.execute(f"select count(*) from {parsed.table}").fetchall() == [(2 * n,)]
