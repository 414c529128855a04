"""Any supported Eurostat extract -> the long observation schema: format sniffing and dispatch."""

from __future__ import annotations

import gzip
import itertools
import re
import zlib
from collections.abc import Callable
from pathlib import Path

import duckdb
import polars as pl

from clusterobs.transforms.readers.eurostat_tsv import is_gzip, read_tsv
from clusterobs.transforms.readers.failures import (
    reader_failure,
)
from clusterobs.transforms.readers.jsonstat import read_jsonstat
from clusterobs.transforms.readers.observations import (
    ExtractError,
    ParsedExtract,
    quoted,
    raise_on_non_finite,
)
from clusterobs.transforms.readers.sdmx_csv import (
    dataset_from_structure,
    looks_like_sdmx_csv,
    read_sdmx_csv,
)
from clusterobs.transforms.readers.sdmx_ml import looks_like_sdmx_ml, read_sdmx_ml

SUPPORTED_FORMATS = "Eurostat TSV, SDMX-CSV 1.0/2.0, JSON-stat 2.0 or SDMX-ML StructureSpecificData"
_counter = itertools.count()


def head_text(path: Path, size: int = 8192) -> str:
    """The first characters of a plain or gzip file (BOM and leading white space removed)."""
    try:
        if is_gzip(path):
            with gzip.open(path, "rb") as handle:
                data = handle.read(size)
        else:
            with path.open("rb") as handle:
                data = handle.read(size)
    except (OSError, EOFError, zlib.error) as exc:
        raise ExtractError(
            path, None, f"cannot read the file ({exc}); a truncated download?"
        ) from exc
    return data.decode("utf-8", errors="replace").lstrip("\ufeff \r\n\t")


def sniffed_format(path: Path) -> str:
    """'tsv', 'sdmx-csv', 'json-stat' or 'sdmx-ml' from the file's content; raises ExtractError otherwise."""
    if not path.is_file():
        raise ExtractError(path, None, "file not found")
    head = head_text(path)
    if not head:
        raise ExtractError(path, 1, "empty file")
    lowered = head[:500].lower()
    if lowered.startswith(("<!doctype html", "<html")) or "<html" in lowered[:200]:
        title = re.search(r"<title>([^<]{0,200})", head, re.IGNORECASE)
        shown = f" ({title.group(1).strip()})" if title else ""
        raise ExtractError(
            path,
            1,
            f"an HTML page instead of data{shown}: the download failed or hit a login/error page",
        )
    if head.startswith("{") or head.startswith("["):
        return "json-stat"
    if head.startswith("<"):
        if looks_like_sdmx_ml(head):
            return "sdmx-ml"
        message = re.search(r"<(?:\w+:)?Text[^>]*>([^<]{1,300})", head)
        detail = f": {message.group(1).strip()}" if message else ""
        raise ExtractError(path, 1, f"XML that is not SDMX-ML data{detail}")
    first_line = head.splitlines()[0]
    if looks_like_sdmx_csv(first_line):
        return "sdmx-csv"
    first_cell = first_line.split("\t")[0]
    if "\t" in first_line or "\\" in first_cell or "/" in first_cell:
        return "tsv"
    raise ExtractError(path, 1, f"unrecognised format (expected {SUPPORTED_FORMATS})")


def dataset_from_filename(path: Path) -> str:
    """'sbs_r_nuts06_r2.tsv.gz' or 'sbs_r_nuts06_r2__AT.tsv' -> 'sbs_r_nuts06_r2'."""
    return path.name.split(".")[0].split("__")[0].lower()


def declared_dataset(path: Path) -> str:
    """The dataset an extract declares (SDMX-CSV structure, JSON-stat extension, SDMX-ML DataSetID), else its file name."""
    fmt = sniffed_format(path)
    head = head_text(path, 1 << 16)
    found = None
    if fmt == "sdmx-csv":
        lines = head.splitlines()
        if len(lines) > 1:
            found = dataset_from_structure(
                lines[1].split(";" if lines[0].count(";") > lines[0].count(",") else ",")[0]
            )
    elif fmt == "json-stat":
        match = re.search(r'"datasetId"\s*:\s*"([^"]+)"', head)
        found = match.group(1) if match else None
    elif fmt == "sdmx-ml":
        match = re.search(r"<(?:\w+:)?DataSetID>([^<]+)<", head)
        found = match.group(1) if match else None
    return (found or dataset_from_filename(path)).lower()


READERS: dict[str, Callable[..., ParsedExtract]] = {
    "tsv": lambda con, path, dataset, target: read_tsv(
        con, path, dataset or dataset_from_filename(path), target
    ),
    "sdmx-csv": read_sdmx_csv,
    "json-stat": read_jsonstat,
    "sdmx-ml": read_sdmx_ml,
}


# What a reader's record_number counts (the line of an error when it is a line).
RECORDS = {"tsv": "line", "sdmx-csv": "line", "json-stat": "cell index", "sdmx-ml": "observation"}


def read_extract(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    dataset: str | None = None,
    target: str | None = None,
) -> ParsedExtract:
    """Parse any supported extract into a temp table on `con` (long schema); the dataset is checked if given.

    A DuckDB error the reader did not name (out of memory, say) becomes an ExtractError naming the file;
    inside a transaction nothing runs after it, so it is the error the user sees."""
    path = Path(path)
    target = target or f"_extract_{next(_counter)}"
    fmt = sniffed_format(path)
    try:
        parsed = READERS[fmt](con, path, dataset, target)
        raise_on_non_finite(con, parsed.table, path, RECORDS[fmt])
    except duckdb.Error as exc:
        raise reader_failure(path, exc, "DuckDB could not read the file") from exc
    if dataset and parsed.dataset != dataset:
        con.execute(f"drop table if exists {target}")
        raise ExtractError(path, None, f"holds dataset {parsed.dataset!r}, expected {dataset!r}")
    return parsed


def observations(path: Path | str, dataset: str | None = None) -> pl.DataFrame:
    """The long observation table of one extract as a Polars frame (an in-memory DuckDB does the work).

    Dimension columns come back as strings (in DuckDB they are ENUMs of the extract's codes).
    """
    con = duckdb.connect()
    try:
        parsed = read_extract(con, Path(path), dataset)
        dims = ["freq", *(d for d in parsed.dimensions if d != "freq")]
        as_text = ", ".join(f"{quoted(d)}::varchar as {quoted(d)}" for d in dims)
        return con.sql(f"select * replace ({as_text}) from {parsed.table}").pl()
    finally:
        con.close()
