"""The report and reference labels read well: whole labels, a log scale for series of different size, a
year axis spanning the data, thousands separators, labels as Eurostat writes them."""

from __future__ import annotations

import polars as pl

from clusterobs.paths import REFERENCE_DIR
from clusterobs.report import html_table
from clusterobs.report_charts import LABEL_LIMIT, specialisation_chart, trend_chart


def layer_encoding(spec: dict, mark: str) -> dict:
    return next(layer["encoding"] for layer in spec["layer"] if mark in str(layer["mark"]))


def test_series_of_different_size_get_a_log_scale_and_the_axis_spans_the_data():
    data = [
        {"category_name": name, "year": year, "employment": size * (1 + 0.01 * (year - 2015))}
        for name, size in (("Business services", 2_000_000), ("Tobacco", 12_000))
        for year in range(2015, 2024)
    ]
    encoding = layer_encoding(trend_chart(data, "category_name"), "line")
    assert encoding["y"]["scale"] == {"type": "log"} and "log scale" in encoding["y"]["title"]
    assert encoding["x"]["scale"] == {"domain": [2015, 2023], "nice": False}
    similar = [dict(row, employment=row["employment"] % 3 + 100) for row in data]
    assert layer_encoding(trend_chart(similar, "category_name"), "line")["y"]["scale"] == {
        "zero": False
    }


def test_category_labels_are_not_cut():
    spec = specialisation_chart(
        [{"cluster": "Distribution and electronic commerce", "lq": 2.5, "employment": 1e4}],
        "cluster",
    )
    assert layer_encoding(spec, "bar")["y"]["axis"]["labelLimit"] == LABEL_LIMIT >= 400


def test_tables_show_what_they_are_given_escaped():
    page = html_table([{"persons employed": f"{1782.5714284823:,.0f}", "note": "<b>"}])
    assert "<td>1,783</td>" in page and "&lt;b&gt;" in page


def test_nace_sections_are_in_sentence_case_as_eurostat_writes_them():
    nace = pl.read_csv(REFERENCE_DIR / "nace_rev2.csv", infer_schema=False)
    labels = dict(nace.filter(pl.col("nace_level") == "1").select("nace_code", "nace_label").rows())
    assert labels["A"] == "Agriculture, forestry and fishing"
    assert labels["G"] == "Wholesale and retail trade; repair of motor vehicles and motorcycles"
    assert not any(" And " in label or " Of " in label for label in nace["nace_label"])


def test_the_sbs_break_is_marked_only_within_the_years_shown():
    def rules(first: int, last: int) -> int:
        data = [
            {"category_name": "Tobacco", "year": y, "employment": 100.0}
            for y in range(first, last + 1)
        ]
        return sum(
            "rule" in str(layer["mark"]) for layer in trend_chart(data, "category_name")["layer"]
        )

    assert rules(2015, 2023) == 1
    assert rules(2008, 2015) == 0  # a real 2017-vintage extract ends before the 2020/2021 change
