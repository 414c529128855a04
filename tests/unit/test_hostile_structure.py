"""Hostile structure: a valid document of each format (JSON-stat, SDMX-CSV, SDMX-ML) mutated at random
(keys and columns deleted, retyped, duplicated, reordered, nested), not only its cells. Every outcome is
a whole load or an ExtractError that names the file in one line. Property-based (Hypothesis, bounded in
examples and time)."""

from __future__ import annotations

import json
import math
from pathlib import Path

import polars as pl
from hypothesis import given
from hypothesis import strategies as st

from clusterobs.transforms.readers.extracts import observations
from clusterobs.transforms.readers.observations import MAX_ABS_VALUE, ExtractError

from ..formats import jsonstat_document
from .fuzzing import bounded_fuzz

STRUCTURE_FUZZ = bounded_fuzz(120)
JSON_VALUES = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(-3, 12),
        st.sampled_from([2**63, 10**30, 1e300, -0.0, 1.5, float("nan"), float("inf")]),
        st.sampled_from(
            ["", "x", "1", "2.5", "1e400", "time", "geo", "A", "AT11", "2020", ":", "c"]
        ),
        st.text(max_size=4),
    ),
    lambda children: st.one_of(
        st.lists(children, max_size=3),
        st.dictionaries(
            st.sampled_from(["0", "1", "7", "index", "label", "category", "geo", "x"]),
            children,
            max_size=3,
        ),
    ),
    max_leaves=6,
)
JSON_MUTATIONS = ["delete", "replace", "as string", "wrap in array", "duplicate", "rename", "copy"]


def json_paths(node, prefix=()) -> list[tuple]:
    """Every path (keys and indices) inside a parsed JSON document, the root excluded."""
    children = (
        node.items()
        if isinstance(node, dict)
        else enumerate(node)
        if isinstance(node, list)
        else []
    )
    paths = []
    for key, child in children:
        paths.append((*prefix, key))
        paths += json_paths(child, (*prefix, key))
    return paths


def mutated_json(draw, document: dict) -> None:
    """Apply one random structural change to `document` in place."""
    if not json_paths(document):
        return
    path = draw(st.sampled_from(json_paths(document)))
    *parents, key = path
    parent = document
    for step in parents:
        parent = parent[step]
    value = parent[key]
    mutation = draw(st.sampled_from(JSON_MUTATIONS))
    if mutation == "delete":
        del parent[key]
    elif mutation == "replace":
        parent[key] = draw(JSON_VALUES)
    elif mutation == "as string":
        parent[key] = value if isinstance(value, str) else json.dumps(value)
    elif mutation == "wrap in array":
        parent[key] = [value]
    elif mutation == "duplicate" and isinstance(value, list) and value:
        value.append(value[draw(st.integers(0, len(value) - 1))])
    elif mutation == "duplicate" and isinstance(value, dict) and value:
        value[draw(st.sampled_from(["0", "x", "GEO", "TIME"]))] = value[next(iter(value))]
    elif mutation == "rename" and isinstance(parent, dict):
        parent[draw(st.sampled_from([key.upper(), key.lower(), key + " ", "x"]))] = parent.pop(key)
    elif mutation == "copy":  # another part of the document in its place
        other = draw(st.sampled_from(json_paths(document)))
        source = document
        for step in other:
            source = source[step]
        parent[key] = json.loads(json.dumps(source))


@STRUCTURE_FUZZ
@given(data=st.data(), dense=st.booleans(), mutations=st.integers(1, 3))
def test_any_json_stat_structure_loads_whole_or_is_refused(
    tmp_path_factory, data, dense, mutations
):
    document = jsonstat_document(dense=dense)
    for _ in range(mutations):
        mutated_json(data.draw, document)
    path = tmp_path_factory.mktemp("json") / "x.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    frame = refused_in_one_line_or_loaded(path)
    if frame is not None:
        assert frame.height <= math.prod(document["size"])
        assert all(abs(v) < MAX_ABS_VALUE for v in frame["value"].drop_nulls())


def refused_in_one_line_or_loaded(path: Path, dataset: str | None = None) -> pl.DataFrame | None:
    """`loaded_or_refused`, and a refusal names the file in one line."""
    try:
        return observations(path, dataset)
    except ExtractError as exc:
        assert str(exc).startswith(str(path)) and "\n" not in str(exc)
        return None


SDMX_CSV_COLUMNS = ["DATAFLOW", "LAST UPDATE", "freq", "unit", "geo", "TIME_PERIOD", "OBS_VALUE",
                    "OBS_FLAG", "CONF_STATUS"]  # fmt: skip
SDMX_CSV_EXTRA = ["STRUCTURE", "STRUCTURE_ID", "ACTION", "OBS_COMMENT", "", "value", "a b", "a_b",
                  "geo: Geopolitical entity", '"quoted"', "Ö", "TIME_PERIOD", "DATAFLOW"]  # fmt: skip


@STRUCTURE_FUZZ
@given(
    data=st.data(),
    n_rows=st.integers(0, 5),
    header_separator=st.sampled_from([",", ";"]),
    row_separator=st.sampled_from([",", ",", ";"]),
)
def test_any_sdmx_csv_structure_loads_whole_or_is_refused(
    tmp_path_factory, data, n_rows, header_separator, row_separator
):
    columns = list(SDMX_CSV_COLUMNS)
    for _ in range(data.draw(st.integers(0, 3))):
        change = data.draw(st.sampled_from(["drop", "duplicate", "extra", "move"]))
        k = data.draw(st.integers(0, len(columns) - 1))
        if change == "drop" and len(columns) > 1:
            columns.pop(k)
        elif change == "duplicate":
            columns.insert(data.draw(st.integers(0, len(columns))), columns[k])
        elif change == "extra":
            columns.insert(k, data.draw(st.sampled_from(SDMX_CSV_EXTRA)))
        elif change == "move":
            columns.insert(data.draw(st.integers(0, len(columns) - 1)), columns.pop(k))
    header = columns if data.draw(st.booleans()) else data.draw(st.permutations(columns))
    cells = {"DATAFLOW": "ESTAT:NAMA_10R_2GDP(1.0)", "STRUCTURE": "dataflow", "ACTION": "I",
             "STRUCTURE_ID": "ESTAT:NAMA_10R_2GDP(1.0)", "LAST UPDATE": "28/11/26 11:00:00",
             "freq": "A", "unit": "MIO_EUR", "OBS_FLAG": "p", "CONF_STATUS": "F"}  # fmt: skip
    lines = [header_separator.join(header)]
    for i in range(n_rows):
        row = {**cells, "geo": f"AT{i}", "TIME_PERIOD": "2020", "OBS_VALUE": f"{i}.5"}
        values = [row.get(c, "x") for c in columns]  # the columns before the header's reordering
        width = data.draw(
            st.sampled_from([len(values), len(values), len(values) - 1, len(values) + 1])
        )
        lines.append(row_separator.join([*values, "y"][:width]))
    path = tmp_path_factory.mktemp("csv") / "x.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    frame = refused_in_one_line_or_loaded(path, "nama_10r_2gdp")
    if frame is not None:
        assert frame.height == n_rows  # every row, once
        assert all(abs(v) < MAX_ABS_VALUE for v in frame["value"].drop_nulls())


SDMX_ML_HEAD = (
    '<?xml version="1.0" encoding="UTF-8"?>\n<m:StructureSpecificData xmlns:m="m" xmlns:u="u">\n'
    "<m:Header><m:DataSetID>NAMA_10R_2GDP</m:DataSetID></m:Header>\n<u:DataSet>"
)
SDMX_ML_TAIL = "</u:DataSet>\n</m:StructureSpecificData>\n"


def sdmx_ml_elements() -> list[str]:
    """The elements of a small valid StructureSpecificData message, one a line."""
    elements = [SDMX_ML_HEAD]
    for geo in ("AT11", "AT12"):
        elements.append(f'<Series freq="A" unit="MIO_EUR" geo="{geo}">')
        for year, flag in (("2019", ""), ("2020", ' OBS_FLAG="p"')):
            elements.append(f'<Obs TIME_PERIOD="{year}" OBS_VALUE="1{year[-1]}.5"{flag}/>')
        elements.append("</Series>")
    return [*elements, SDMX_ML_TAIL]


SDMX_ML_ATTRIBUTES = ['freq="A"', 'geo="AT11"', 'sex="T"', 'TIME_PERIOD="2021"', 'OBS_VALUE="x"',
                      'OBS_VALUE="1e300"', 'CONF_STATUS="C"', "geo='AT13'", 'xsi:type="t"']  # fmt: skip


@STRUCTURE_FUZZ
@given(data=st.data(), mutations=st.integers(1, 3))
def test_any_sdmx_ml_structure_loads_whole_or_is_refused(tmp_path_factory, data, mutations):
    elements = sdmx_ml_elements()
    for _ in range(mutations):
        if not elements:
            break
        k = data.draw(st.integers(0, len(elements) - 1))
        change = data.draw(
            st.sampled_from(["delete", "duplicate", "move", "drop attribute", "add attribute",
                             "rename", "self-close", "cut"])
        )  # fmt: skip
        element = elements[k]
        if change == "delete":
            elements.pop(k)
        elif change == "duplicate":
            elements.insert(data.draw(st.integers(0, len(elements))), element)
        elif change == "move":
            elements.insert(data.draw(st.integers(0, len(elements) - 1)), elements.pop(k))
        elif change == "drop attribute" and "=" in element:
            attributes = element.split(" ")
            attributes.pop(data.draw(st.integers(1, len(attributes) - 1)))
            elements[k] = " ".join(attributes) + ("" if attributes[-1].endswith(">") else ">")
        elif change == "add attribute" and element.startswith(("<Series", "<Obs")):
            name, rest = element.split(" ", 1)
            elements[k] = f"{name} {data.draw(st.sampled_from(SDMX_ML_ATTRIBUTES))} {rest}"
        elif change == "rename":
            elements[k] = element.replace(
                "Series", data.draw(st.sampled_from(["series", "Obs", "Group"]))
            )
        elif change == "self-close" and element.endswith('">'):
            elements[k] = element[:-1] + "/>"
        elif change == "cut":
            text = "\n".join(elements)
            elements = [text[: data.draw(st.integers(0, len(text)))]]
    text = "\n".join(elements)
    path = tmp_path_factory.mktemp("xml") / "x.xml"
    path.write_text(text, encoding="utf-8")
    frame = refused_in_one_line_or_loaded(path)
    if frame is not None:
        assert frame.height == text.count("<Obs ") + text.count("<Obs/")  # every observation, once
        assert all(abs(v) < MAX_ABS_VALUE for v in frame["value"].drop_nulls())
