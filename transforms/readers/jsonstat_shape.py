"""The shape of a JSON-stat 2.0 document, checked before anything is read from it: its top-level fields
(class, id, size, dimension, extension, ...) and each dimension's categories. A field of the wrong type
or size is refused with an ExtractError naming the field (never a TypeError or a DuckDB error)."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from clusterobs.transforms.readers.observations import ExtractError

TIME_DIMENSIONS = ("time", "time_period")
MISSING = object()  # a field the document does not have (None is a JSON null)
# Flat cell indices are BIGINT arithmetic in SQL; a cube beyond this is no Eurostat dataset.
MAX_CELLS = 1 << 62
NUMBER_KINDS = ("UBIGINT", "BIGINT", "DOUBLE")  # json_type of a JSON number


class Shape:
    """What the top-level fields of a checked document say."""

    def __init__(self, ids: list[str], sizes: list[int], dataset: str | None):
        self.ids, self.sizes, self.dataset = ids, sizes, dataset
        self.names = [d.lower() for d in ids]
        self.total = math.prod(sizes)


def _kind(value: Any) -> str:
    """The JSON type of a parsed value, for messages."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    return "an array" if isinstance(value, list) else "an object"


def shown_value(value: Any) -> str:
    """A value as JSON (cut short) and its type, for messages: '"2" (a string)'."""
    if value is None:
        return "null"
    text = json.dumps(value, ensure_ascii=False)
    return f"{text if len(text) <= 40 else text[:37] + '...'} ({_kind(value)})"


def _is_count(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def checked_shape(
    path: Path, fields: dict[str, Any], value_type: str | None, status_type: str | None
) -> Shape:
    """Check the top-level fields of a JSON-stat dataset; raises ExtractError naming the wrong one."""

    def refuse(problem: str) -> ExtractError:
        return ExtractError(path, None, problem)

    klass = fields["class"]
    if klass != "dataset" or value_type is None:
        shown = None if klass is MISSING else klass
        raise refuse(
            f"not a JSON-stat 2.0 dataset with values (class={shown!r}); metadata-only responses hold no observations"
        )
    if value_type not in ("OBJECT", "ARRAY"):
        raise refuse(
            f"'value' must be an object or an array of numbers, not {_json_kind(value_type)}"
        )
    if status_type is not None and status_type not in ("OBJECT", "ARRAY"):
        raise refuse(
            f"'status' must be an object or an array of strings, not {_json_kind(status_type)}"
        )
    for name in ("version", "label", "updated"):
        if fields[name] is not MISSING and not isinstance(fields[name], str):
            raise refuse(f"'{name}' must be a string, not {shown_value(fields[name])}")
    ids, sizes = fields["id"], fields["size"]
    if ids is MISSING or sizes is MISSING:
        raise refuse(f"no '{'id' if ids is MISSING else 'size'}': not a JSON-stat 2.0 dataset")
    if not isinstance(ids, list) or not ids:
        raise refuse(f"'id' must be a non-empty array of dimension names, not {shown_value(ids)}")
    for k, name in enumerate(ids):
        if not isinstance(name, str) or not name.strip():
            raise refuse(f"'id' entry {k} is {shown_value(name)}, not a dimension name")
    lowered = [name.lower() for name in ids]
    twice = next((name for k, name in enumerate(lowered) if name in lowered[:k]), None)
    if twice is not None:
        raise refuse(f"'id' names dimension {twice!r} twice")
    if not isinstance(sizes, list):
        raise refuse(f"'size' must be an array of category counts, not {shown_value(sizes)}")
    if len(sizes) != len(ids):
        raise refuse(
            f"'id' and 'size' do not describe the same dimensions: {len(ids)} ids, {len(sizes)} sizes"
        )
    for name, size in zip(ids, sizes, strict=True):
        if not _is_count(size) or size < 1:
            raise refuse(
                f"'id' and 'size' do not describe the same dimensions: size of {name!r} is {shown_value(size)}, not a positive whole number"
            )
    if math.prod(sizes) >= MAX_CELLS:
        raise refuse(f"'size' describes a cube of {math.prod(sizes):,} cells, too large to index")
    time_dims = [d for d in lowered if d in TIME_DIMENSIONS]
    if len(time_dims) != 1:
        raise refuse(
            f"expected one time dimension ('time' or 'TIME_PERIOD') in 'id', found {time_dims or 'none'}"
        )
    dimension = fields["dimension"]
    if not isinstance(dimension, dict):
        shown = "missing" if dimension is MISSING else shown_value(dimension)
        raise refuse(f"'dimension' must be an object of the dimensions in 'id', not {shown}")
    for name in ids:
        if name not in dimension:
            raise refuse(f"'dimension' has no entry for {name!r} (named in 'id')")
        if not isinstance(dimension[name], dict):
            raise refuse(
                f"'dimension.{name}' must be an object, not {shown_value(dimension[name])}"
            )
    extension = {} if fields["extension"] is MISSING else fields["extension"]
    if not isinstance(extension, dict):
        raise refuse(f"'extension' must be an object, not {shown_value(extension)}")
    dataset = extension.get("datasetId")
    if dataset is not None and (not isinstance(dataset, str) or not dataset.strip()):
        raise refuse(f"'extension.datasetId' must be a dataset code, not {shown_value(dataset)}")
    return Shape(ids, sizes, dataset)


def _json_kind(json_type: str) -> str:
    """A DuckDB json_type as the JSON type it stands for, for messages."""
    return {
        "VARCHAR": "a string",
        "BOOLEAN": "a boolean",
        "NULL": "null",
        "ARRAY": "an array",
        "OBJECT": "an object",
    }.get(json_type, "a number" if json_type in (*NUMBER_KINDS, "HUGEINT") else json_type)


def category_codes(path: Path, name: str, spec: dict, size: int) -> list[str]:
    """Category codes of one dimension in position order (index as object or array, or a single label)."""
    where = f"'dimension.{name}"

    def refuse(problem: str) -> ExtractError:
        return ExtractError(path, None, problem)

    if "label" in spec and not isinstance(spec["label"], str):
        raise refuse(f"{where}.label' must be a string, not {shown_value(spec['label'])}")
    category = spec.get("category", MISSING)
    if not isinstance(category, dict):
        shown = "missing" if category is MISSING else shown_value(category)
        raise refuse(f"{where}.category' must be an object, not {shown}")
    labels = category.get("label")
    if labels is not None:
        if not isinstance(labels, dict):
            raise refuse(f"{where}.category.label' must be an object, not {shown_value(labels)}")
        for code, label in labels.items():
            if not isinstance(label, str):
                raise refuse(
                    f"{where}.category.label' of {code!r} is {shown_value(label)}, not a string"
                )
    index = category.get("index", MISSING)
    if isinstance(index, list):
        if len(index) != size:
            raise refuse(f"{where}.category.index' has {len(index)} categories, 'size' says {size}")
        for pos, code in enumerate(index):
            if not isinstance(code, str):
                raise refuse(
                    f"{where}.category.index' entry {pos} is {shown_value(code)}, not a code"
                )
        codes = list(index)
    elif isinstance(index, dict):
        if len(index) != size:
            raise refuse(f"{where}.category.index' has {len(index)} categories, 'size' says {size}")
        placed: list[str | None] = [None] * size
        for code, pos in index.items():
            if not _is_count(pos) or not 0 <= pos < size:
                raise refuse(
                    f"dimension {name}: category {code!r} has position {shown_value(pos)} outside 0..{size - 1}"
                )
            if placed[pos] is not None:
                raise refuse(
                    f"{where}.category.index' gives position {pos} to both {placed[pos]!r} and {code!r}"
                )
            placed[pos] = code
        codes = [c for c in placed if c is not None]
    elif index is MISSING and size == 1 and labels and len(labels) == 1:
        codes = list(labels)  # JSON-stat: a single category may be given by its label alone
    elif index is MISSING:
        raise refuse(f"dimension {name} has no category index ({where}.category.index' is missing)")
    else:
        raise refuse(
            f"{where}.category.index' must be an array or an object of codes, not {shown_value(index)}"
        )
    twice = len(set(codes)) != len(codes)
    if twice:
        code = next(c for k, c in enumerate(codes) if c in codes[:k])
        raise refuse(f"{where}.category.index' lists category {code!r} twice")
    return codes
