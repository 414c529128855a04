"""Hostile input: whatever bytes arrive, the TSV, SDMX-CSV, JSON-stat and SDMX-ML readers either load them
whole or raise ExtractError (never another exception, never a hang), and a failed load leaves the
warehouse as it was. Property-based (Hypothesis, bounded in examples and time) over cells, plus the named
nasty cases; over the documents' structure: test_hostile_structure.py."""

from __future__ import annotations

import gzip
import json
import time
from pathlib import Path

import duckdb
import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from clusterobs import loads, warehouse
from clusterobs.landing import LandedFile, file_sha256
from clusterobs.transforms.readers.extracts import observations
from clusterobs.transforms.readers.observations import MAX_ABS_VALUE, ExtractError

from .fuzzing import bounded_fuzz

FUZZ = bounded_fuzz(60)
CELLS = st.one_of(
    st.sampled_from(
        [":", ": c", ":c", "1", "-0", "12 p", "3 bu", "0.5 e", "1e308", "1e400", "-1e400", "NaN",
         "inf", "-Infinity", "1,5", "", " ", "x", "١٢", "ＡＢ", "9" * 40, "1 ", ": ", "\u00a05"]
    ),
    st.text(max_size=6),
)  # fmt: skip
CODES = st.one_of(
    st.sampled_from(["A", "AT", "AT11", "DE1", "", "Ö", "Zürich", "北京", "EMP_LOC_NR", "C10.1"]),
    # no surrogates: a file's text is UTF-8, which cannot hold them (the test could not write it)
    st.text(
        alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\t\n\r,"),
        max_size=5,
    ),
)
PERIODS = st.one_of(
    st.sampled_from(["2020", "2021", "2020Q1", "2020-01", "2020M01", "2019 "]), st.text(max_size=5)
)


def loaded_or_refused(path: Path, dataset: str | None = None) -> pl.DataFrame | None:
    """The observations, or None when the reader refused the file with ExtractError; the time is bounded."""
    started = time.perf_counter()
    try:
        return observations(path, dataset)
    except ExtractError:
        return None
    finally:
        assert time.perf_counter() - started < 10


@st.composite
def tsv_documents(draw) -> tuple[str, int, int]:
    """(text, data lines, periods) of something shaped like a Eurostat TSV, often broken."""
    dims = draw(st.lists(st.sampled_from(["freq", "geo", "unit", "nace_r2", "ünït", "a b", ""]),
                         min_size=1, max_size=4))  # fmt: skip
    periods = draw(st.lists(PERIODS, min_size=1, max_size=5))
    lines = [",".join(dims) + "\\TIME_PERIOD\t" + "\t".join(periods)]
    n_rows = draw(st.integers(0, 6))
    for _ in range(n_rows):
        key = ",".join(draw(st.lists(CODES, min_size=len(dims), max_size=len(dims))))
        width = draw(
            st.sampled_from([len(periods), len(periods), len(periods) - 1, len(periods) + 1])
        )
        lines.append(key + "\t" + "\t".join(draw(st.lists(CELLS, min_size=width, max_size=width))))
    if n_rows and draw(st.booleans()):
        lines.append(lines[-1])  # a duplicate series
    return "\n".join(lines) + draw(st.sampled_from(["\n", "", "\r\n"])), n_rows, len(periods)


@FUZZ
@given(document=tsv_documents(), compressed=st.booleans())
def test_any_tsv_loads_whole_or_is_refused(tmp_path_factory, document, compressed):
    text, _, n_periods = document
    path = tmp_path_factory.mktemp("tsv") / ("x.tsv.gz" if compressed else "x.tsv")
    path.write_bytes(gzip.compress(text.encode()) if compressed else text.encode())
    frame = loaded_or_refused(path, "x")
    if frame is not None:
        series = frame.select([c for c in frame.columns if c in ("freq", "geo", "unit", "nace_r2")])
        assert frame.height == frame["record_number"].n_unique() * n_periods  # every cell, once
        assert series.height == frame.height
        assert all(abs(v) < MAX_ABS_VALUE for v in frame["value"].drop_nulls())  # finite too


@FUZZ
@given(
    rows=st.lists(st.tuples(CODES, PERIODS, CELLS, st.sampled_from(["", "p", "c", "zz"])), max_size=6),
    separator=st.sampled_from([",", ";"]),
    header=st.sampled_from(
        ["DATAFLOW,LAST UPDATE,geo,TIME_PERIOD,OBS_VALUE,OBS_FLAG",
         "STRUCTURE,STRUCTURE_ID,ACTION,geo,TIME_PERIOD,OBS_VALUE,OBS_FLAG",
         "DATAFLOW,geo,TIME_PERIOD,OBS_VALUE", "geo,OBS_VALUE", "DATAFLOW,geo,geo,TIME_PERIOD,OBS_VALUE"]
    ),
)  # fmt: skip
def test_any_sdmx_csv_loads_whole_or_is_refused(tmp_path_factory, rows, separator, header):
    columns = header.split(",")
    lines = [separator.join(columns)]
    for geo, period, value, flag in rows:
        fields = {"DATAFLOW": "ESTAT:X(1.0)", "STRUCTURE": "dataflow", "STRUCTURE_ID": "ESTAT:X(1.0)",
                  "ACTION": "I", "LAST UPDATE": "01/01/24", "geo": geo, "TIME_PERIOD": period,
                  "OBS_VALUE": value, "OBS_FLAG": flag}  # fmt: skip
        lines.append(separator.join(fields[c] for c in columns))
    path = tmp_path_factory.mktemp("csv") / "x.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    frame = loaded_or_refused(path)
    if frame is not None:
        assert frame.height == len(rows)
        assert all(abs(v) < MAX_ABS_VALUE for v in frame["value"].drop_nulls())  # finite too


@FUZZ
@given(
    geos=st.lists(CODES, min_size=1, max_size=3, unique=True),
    years=st.lists(PERIODS, min_size=1, max_size=3, unique=True),
    values=st.dictionaries(
        st.integers(-2, 12),
        st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.integers(), st.none(), st.text(max_size=3)),
        max_size=8,
    ),
    status=st.dictionaries(st.integers(-1, 10), st.sampled_from(["c", "p", ":", ""]), max_size=3),
    size_error=st.integers(-1, 1),
)  # fmt: skip
def test_any_json_stat_loads_whole_or_is_refused(
    tmp_path_factory, geos, years, values, status, size_error
):
    document = {
        "version": "2.0",
        "class": "dataset",
        "label": "x",
        "updated": "2024-01-01",
        "id": ["freq", "geo", "time"],
        "size": [1, len(geos), len(years) + size_error],
        "dimension": {
            "freq": {"category": {"index": {"A": 0}}},
            "geo": {"category": {"index": {g: i for i, g in enumerate(geos)}}},
            "time": {"category": {"index": {y: i for i, y in enumerate(years)}}},
        },
        "value": {str(k): v for k, v in values.items()},
        "status": {str(k): v for k, v in status.items()},
        "extension": {"id": "x"},
    }
    path = tmp_path_factory.mktemp("json") / "x.json"
    path.write_text(json.dumps(document), encoding="utf-8")  # NaN/Infinity as JavaScript literals
    frame = loaded_or_refused(path)
    if frame is not None:
        cells = len(geos) * len(years)
        assert frame.height <= cells
        assert all(abs(v) < MAX_ABS_VALUE for v in frame["value"].drop_nulls())  # finite too


@pytest.mark.parametrize(
    ("cell", "problem"),
    [
        ("inf", "not a finite number"),
        ("NaN", "not a finite number"),
        ("1e400", "not a finite number"),
        ("1e308", "too large: beyond ±1e20"),
        ("-1e20", "too large: beyond ±1e20"),
        ("1,5", "non-numeric value"),
        ("١٢", "non-numeric value"),
    ],
)
def test_non_finite_and_foreign_numbers_are_refused_with_the_line(tmp_path, cell, problem):
    path = tmp_path / "x.tsv"
    path.write_text(f"freq,geo\\TIME_PERIOD\t2020\t2021\nA,AT\t1\t2\nA,DE\t3\t{cell}\n")
    with pytest.raises(ExtractError, match=problem) as caught:
        observations(path, "x")
    assert caught.value.line == 3


def test_large_values_unicode_labels_and_10000_columns_load(tmp_path):
    """Values just inside the bound (±1e20, `raise_on_non_finite`) load."""
    periods = [f"{1200 + i // 12}-{i % 12 + 1:02d}" for i in range(10_000)]  # months
    path = tmp_path / "wide.tsv.gz"
    body = ["freq,geo,unit\\TIME_PERIOD\t" + "\t".join(periods)]
    body.append("A,AT,Zürich 北京\t" + "\t".join(["9.99999999999e19 p"] * len(periods)))
    body.append("A,DE,ÖŒ\t" + "\t".join([": c"] * len(periods)))
    path.write_bytes(gzip.compress(("\n".join(body) + "\n").encode()))
    started = time.perf_counter()
    frame = observations(path, "wide")
    assert time.perf_counter() - started < 60
    assert frame.height == 20_000
    assert frame.filter(pl.col("geo") == "AT")["value"].max() == 9.99999999999e19
    assert set(frame["unit"]) == {"Zürich 北京", "ÖŒ"}
    assert frame.filter(pl.col("geo") == "DE")["is_confidential"].all()


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("freq,geo\\TIME_PERIOD\t2020\nA,AT\t1\nA,AT\t2\n", "duplicate"),
        ("freq,\\TIME_PERIOD\t2020\nA,AT\t1\n", "no dimensions or an empty one"),
        ("\\TIME_PERIOD\t2020\n\t1\n", "expected dimension ids"),
        ("freq,geo\\TIME_PERIOD\t2020\nA,AT\t1\t2\n", "malformed TSV"),
    ],
    ids=["duplicate series", "empty dimension name", "no dimensions", "extra cell"],
)
def test_broken_structure_is_refused(tmp_path, text, problem):
    path = tmp_path / "x.tsv"
    path.write_text(text)
    with pytest.raises(ExtractError, match=problem):
        observations(path, "x")


def test_a_refused_file_loads_nothing_and_leaves_the_previous_load(tmp_path):
    good = tmp_path / "good.tsv"
    good.write_text("freq,geo\\TIME_PERIOD\t2020\nA,AT\t1\nA,DE\t2\n")
    bad = tmp_path / "bad.tsv"
    bad.write_text("freq,geo\\TIME_PERIOD\t2020\nA,AT\t1\nA,DE\tinf\n")

    def landed(path: Path) -> LandedFile:
        return LandedFile("x", path, file_sha256(path), path.stat().st_size, str(path))

    with warehouse.connect(tmp_path / "w.duckdb") as con:
        loads.load_dataset(con, "x", [landed(good)], "run-1")
        before = con.sql("select * from raw.x order by all").fetchall()
        extracts = con.sql("select count(*) from meta.extracts").fetchall()
        with pytest.raises(ExtractError, match="not a finite number"):
            loads.load_dataset(con, "x", [landed(good), landed(bad)], "run-2")
        assert con.sql("select * from raw.x order by all").fetchall() == before
        assert con.sql("select count(*) from meta.extracts").fetchall() == extracts
    assert duckdb.connect(str(tmp_path / "w.duckdb")).sql(
        "select count(*) from raw.x"
    ).fetchall() == [(2,)]
