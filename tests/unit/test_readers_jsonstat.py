"""The JSON-stat 2.0 reader: status-only cells, the variants that load, and each malformed field refused
naming the file and the field."""

from __future__ import annotations

import json

import polars as pl
import pytest

from clusterobs.transforms.readers.extracts import observations
from clusterobs.transforms.readers.observations import ExtractError

from ..formats import jsonstat_document, write_jsonstat


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
