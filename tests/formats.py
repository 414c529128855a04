"""Writers of Eurostat formats for tests: the same observations as TSV, SDMX-CSV 1.0/2.0, JSON-stat 2.0 and
SDMX-ML 2.1 StructureSpecificData."""

from __future__ import annotations

import gzip
import json
from itertools import product
from pathlib import Path

# (dimension codes..., period, value or None, flags or None); dimensions freq, unit, geo.
OBSERVATIONS = [
    ("A", "MIO_EUR", "AT11", "2019", 1250.5, None),
    ("A", "MIO_EUR", "AT11", "2020", 1190.0, "p"),
    ("A", "MIO_EUR", "AT12", "2019", None, None),
    ("A", "MIO_EUR", "AT12", "2020", None, "c"),
    ("A", "EUR_HAB", "AT11", "2019", 42000.0, "e"),
    ("A", "EUR_HAB", "AT11", "2020", 40100.0, "bp"),
    ("A", "EUR_HAB", "AT12", "2019", 39000.0, None),
    ("A", "EUR_HAB", "AT12", "2020", 38500.0, None),
]
DIMENSIONS = ["freq", "unit", "geo"]
PERIODS = ["2019", "2020"]


def write_tsv(path: Path, rows=OBSERVATIONS, gz: bool = False) -> Path:
    series: dict[tuple, dict] = {}
    for *dims, period, value, flags in rows:
        cell = ":" if value is None else f"{value:g}"
        series.setdefault(tuple(dims), {})[period] = f"{cell} {flags or ''}"
    lines = ["freq,unit,geo\\TIME_PERIOD\t" + "\t".join(PERIODS)]
    for dims, cells in series.items():
        lines.append(",".join(dims) + "\t" + "\t".join(cells.get(p, ": ") for p in PERIODS))
    data = ("\n".join(lines) + "\n").encode()
    path.write_bytes(gzip.compress(data) if gz else data)
    return path


def write_sdmx_csv(
    path: Path, version: str = "1.0", delimiter: str = ",", rows=OBSERVATIONS
) -> Path:
    if version == "1.0":
        header = [
            "DATAFLOW",
            "LAST UPDATE",
            *DIMENSIONS,
            "TIME_PERIOD",
            "OBS_VALUE",
            "OBS_FLAG",
            "CONF_STATUS",
        ]
        lead = ["ESTAT:NAMA_10R_2GDP(1.0)", "28/11/26 11:00:00"]
    else:
        header = [
            "STRUCTURE",
            "STRUCTURE_ID",
            "ACTION",
            *DIMENSIONS,
            "TIME_PERIOD",
            "OBS_VALUE",
            "OBS_FLAG",
            "CONF_STATUS",
        ]
        lead = ["dataflow", "ESTAT:NAMA_10R_2GDP(1.0)", "I"]
    lines = [delimiter.join(header)]
    for *dims, period, value, flags in rows:
        # SDMX-CSV carries confidentiality in CONF_STATUS, not in the flag.
        conf = "C" if flags and "c" in flags else ""
        flag = (flags or "").replace("c", "")
        lines.append(
            delimiter.join([*lead, *dims, period, "" if value is None else repr(value), flag, conf])
        )
    path.write_text("\n".join(lines) + "\n")
    return path


def jsonstat_document(
    rows=OBSERVATIONS, dense: bool = False, dataset: str = "nama_10r_2gdp"
) -> dict:
    categories = {d: sorted({r[i] for r in rows}) for i, d in enumerate(DIMENSIONS)}
    categories["time"] = PERIODS
    ids = [*DIMENSIONS, "time"]
    sizes = [len(categories[d]) for d in ids]
    position = {key: i for i, key in enumerate(product(*(categories[d] for d in ids)))}
    values, status = {}, {}
    for *dims, period, value, flags in rows:
        index = position[(*dims, period)]
        if value is not None:
            values[str(index)] = value
        if flags:
            status[str(index)] = flags
    if dense:
        values = [values.get(str(i)) for i in range(len(position))]
    return {
        "version": "2.0",
        "class": "dataset",
        "label": "test",
        "updated": "2026-11-28T11:00:00+0100",
        "id": ids,
        "size": sizes,
        "dimension": {
            d: {"label": d, "category": {"index": {c: i for i, c in enumerate(categories[d])}}}
            for d in ids
        },
        "value": values,
        "status": status,
        "extension": {"datasetId": dataset},
    }


def write_jsonstat(path: Path, dense: bool = False, rows=OBSERVATIONS) -> Path:
    path.write_text(json.dumps(jsonstat_document(rows, dense)))
    return path


def write_sdmx_ml(path: Path, rows=OBSERVATIONS, dataset: str = "NAMA_10R_2GDP") -> Path:
    """A StructureSpecificData message, one Series per series key; confidentiality in CONF_STATUS."""
    series: dict[tuple, list[str]] = {}
    for *dims, period, value, flags in rows:
        value_attr = "" if value is None else f' OBS_VALUE="{value!r}"'
        flag = (flags or "").replace("c", "")
        flag_attr = f' OBS_FLAG="{flag}"' if flag else ""
        conf_attr = ' CONF_STATUS="C"' if flags and "c" in flags else ""
        series.setdefault(tuple(dims), []).append(
            f'<Obs TIME_PERIOD="{period}"{value_attr}{flag_attr}{conf_attr}/>'
        )
    body = "".join(
        "<Series "
        + " ".join(f'{d}="{c}"' for d, c in zip(DIMENSIONS, dims, strict=True))
        + ">\n"
        + "\n".join(observations)
        + "\n</Series>\n"
        for dims, observations in series.items()
    )
    path.write_text(
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<m:StructureSpecificData xmlns:m="http://www.sdmx.org/resources/sdmxml/schemas/v2_1/message">\n'
        f"<m:Header><m:DataSetID>{dataset}</m:DataSetID></m:Header>\n<DataSet>\n{body}</DataSet>\n"
        "</m:StructureSpecificData>\n"
    )
    return path
