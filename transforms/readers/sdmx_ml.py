"""SDMX-ML 2.1 StructureSpecificData (small responses) parsed into the long observation schema.

Series and Obs elements are picked out of the document with regular expressions in Polars (Rust),
not walked element by element in Python; each element's attributes become columns. What the regular
expressions rely on is checked first: the message is whole (ends with its closing tag), every Obs is
inside a Series, Series are not nested, and every Series has the same attributes (its dimensions).
"""

from __future__ import annotations

import gzip
import re
import zlib
from pathlib import Path

import duckdb
import polars as pl

from clusterobs.transforms.readers.observations import (
    ExtractError,
    ParsedExtract,
    check_dimensions,
    drop_scratch,
    finalised_observations,
    period_table,
    quoted,
    raise_on_duplicates,
    scratch_prefix,
    unknown_flag_warning,
)

OBS_ATTRIBUTES = {"TIME_PERIOD", "OBS_VALUE", "OBS_FLAG", "OBS_STATUS", "CONF_STATUS"}
# An opening, closing or empty Series or Obs element (any namespace prefix).
ELEMENT = r"</?(?:\w+:)?(?:Series|Obs)(?:\s[^>]*)?/?>"
# The names of an element's attributes without a namespace prefix (xsi:type is not a dimension).
ATTRIBUTE_NAME = r"""\s\w+\s*=\s*["']"""


def looks_like_sdmx_ml(head: str) -> bool:
    return "StructureSpecificData" in head or "GenericData" in head


def read_sdmx_ml(
    con: duckdb.DuckDBPyConnection, path: Path, dataset: str | None, target: str
) -> ParsedExtract:
    """Parse an SDMX-ML StructureSpecificData message into temp table `target`."""
    work = scratch_prefix(target)
    text = _text(path)
    if "GenericData" in text[:2000]:
        raise ExtractError(
            path,
            None,
            "SDMX-ML GenericData is not supported: request StructureSpecificData, TSV or SDMX-CSV",
        )
    if not re.search(r"</(?:\w+:)?StructureSpecificData\s*>\s*$", text[-1000:]):
        raise ExtractError(
            path,
            None,
            "the message does not end with its closing StructureSpecificData tag: a truncated download?",
        )
    found = re.search(r"<(?:\w+:)?DataSetID>([^<]+)<", text) or re.search(
        r'<Ref[^>]*\bid="([^"]+)"', text
    )
    dataset = ((found.group(1) if found else None) or dataset or path.name.split(".")[0]).lower()
    tags = _checked_elements(path, text)
    series_tags = tags.filter("is_series")
    first = series_tags["tag"][0]
    dimensions_raw = [m for m in _attribute_names(path, first, 1) if m not in OBS_ATTRIBUTES]
    if not dimensions_raw:
        raise ExtractError(path, None, "the first Series element has no dimension attributes")
    dimensions = [d.lower() for d in dimensions_raw]
    check_dimensions(path, dimensions, line=None)
    _check_series_attributes(path, series_tags, sorted(_attribute_names(path, first, 1)))

    def attribute(name: str) -> pl.Expr:
        value = rf"""\s{name}\s*=\s*(?:"([^"]*)"|'([^']*)')"""
        return pl.coalesce(
            pl.col("tag").str.extract(value, 1), pl.col("tag").str.extract(value, 2)
        ).alias(name.lower())

    series = series_tags.select("series_number", *[attribute(d) for d in dimensions_raw])
    obs = (
        tags.filter(~pl.col("is_series"))
        .with_row_index("record_number", offset=1)
        .select(
            pl.col("record_number").cast(pl.Int64),
            "series_number",
            attribute("TIME_PERIOD"),
            attribute("OBS_VALUE"),
            pl.coalesce(attribute("OBS_FLAG"), attribute("OBS_STATUS")).alias("flags"),
            attribute("CONF_STATUS"),
        )
        .join(series, on="series_number", how="left")
    )
    if obs["time_period"].null_count():
        number = obs.filter(pl.col("time_period").is_null())["record_number"][0]
        raise ExtractError(path, None, f"observation {number}: the Obs element has no TIME_PERIOD")
    labels = obs["time_period"].unique().sort().to_list()
    try:
        periods = period_table(labels)
    except ValueError as exc:
        raise ExtractError(path, None, str(exc)) from exc
    cells = obs.join(periods, left_on="time_period", right_on="label").with_columns(
        pl.col("obs_value").str.strip_chars().cast(pl.Float64, strict=False).alias("value")
    )
    bad = cells.filter(
        pl.col("obs_value").is_not_null()
        & pl.col("value").is_null()
        & (pl.col("obs_value") != "NaN")
    ).sort("record_number")
    if bad.height:
        raise ExtractError(
            path,
            None,
            f"observation {bad['record_number'][0]}: non-numeric OBS_VALUE {bad['obs_value'][0]!r}",
        )
    cells = cells.select(
        "record_number",
        *[quoted(d).strip('"') for d in dimensions],
        "period",
        "period_freq",
        "value",
        "flags",
        "conf_status",
    )
    frame, table = f"{work}_cells_frame", f"{work}_cells"
    con.register(frame, cells)
    try:
        con.execute(f"create or replace temp table {table} as select * from {frame}")
        drop_scratch(con, f"frame {frame}")
        raise_on_duplicates(con, table, path, dimensions, unit="observation")
        finalised_observations(con, table, target, dataset, dimensions)
    finally:
        drop_scratch(con, f"frame {frame}", f"table {table}")
    return ParsedExtract(
        target, dataset, dimensions, "sdmx-ml-2.1", warnings=unknown_flag_warning(con, target, path)
    )


def _text(path: Path) -> str:
    """The message as text (plain or gzip, UTF-8)."""
    try:
        with path.open("rb") as handle:
            data = handle.read()
        if data[:2] == b"\x1f\x8b":
            data = gzip.decompress(data)
        return data.decode("utf-8")
    except (OSError, EOFError, zlib.error) as exc:
        raise ExtractError(
            path, None, f"cannot read the file ({exc}); a truncated download?"
        ) from exc
    except UnicodeDecodeError as exc:
        raise ExtractError(path, None, f"not UTF-8 text ({exc})") from exc


def _checked_elements(path: Path, text: str) -> pl.DataFrame:
    """Opening Series and Obs elements in document order (tag, is_series, series_number), after checking
    that every Obs is inside a Series and that Series are closed and not nested."""
    elements = (
        pl.DataFrame({"doc": [text]})
        .select(pl.col("doc").str.extract_all(ELEMENT).alias("tag"))
        .explode("tag")
        .drop_nulls()
        .with_columns(
            is_series=pl.col("tag").str.contains(r"^</?(?:\w+:)?Series\b"),
            is_closing=pl.col("tag").str.starts_with("</"),
            is_empty=pl.col("tag").str.ends_with("/>"),
        )
    )
    if elements.is_empty() or not elements["is_series"].any():
        raise ExtractError(
            path,
            None,
            "no Series elements found in the SDMX-ML message (observations must be grouped in "
            "Series: request dimensionAtObservation=TIME_PERIOD)",
        )
    opened = pl.col("is_series") & ~pl.col("is_closing")
    closed = pl.col("is_series") & pl.col("is_closing")
    checked = elements.with_columns(
        delta=pl.when(opened & ~pl.col("is_empty")).then(1).when(closed).then(-1).otherwise(0),
        series_number=opened.cast(pl.Int64).cum_sum(),
        obs_number=(~pl.col("is_series") & ~pl.col("is_closing")).cast(pl.Int64).cum_sum(),
    ).with_columns(depth=pl.col("delta").cum_sum())  # Series open after the element
    before = pl.col("depth") - pl.col("delta")
    misplaced = checked.filter((opened & (before != 0)) | (closed & (before != 1)))
    if misplaced.height:
        row = misplaced.row(0, named=True)
        problem = (
            f"a closing Series tag after Series element {row['series_number']} closes no Series"
            if row["is_closing"]
            else f"Series element {row['series_number']} is inside another Series"
        )
        raise ExtractError(path, None, problem)
    outside = checked.filter(~pl.col("is_series") & ~pl.col("is_closing") & (pl.col("depth") != 1))
    if outside.height:
        raise ExtractError(
            path,
            None,
            f"observation {outside['obs_number'][0]}: the Obs element is not inside a Series",
        )
    if checked["depth"][-1] != 0:
        raise ExtractError(
            path, None, f"Series element {checked['series_number'][-1]} is not closed"
        )
    return checked.filter(~pl.col("is_closing")).select("tag", "is_series", "series_number")


def _attribute_names(path: Path, tag: str, number: int) -> list[str]:
    names = [m.strip(" \t\r\n=\"'") for m in re.findall(ATTRIBUTE_NAME, tag)]
    twice = next((n for k, n in enumerate(names) if n in names[:k]), None)
    if twice:
        raise ExtractError(path, None, f"Series element {number} has attribute {twice!r} twice")
    return names


def _check_series_attributes(path: Path, series_tags: pl.DataFrame, expected: list[str]) -> None:
    """Every Series element has the attributes of the first (its dimensions): none missing, none more."""
    names = series_tags.select(
        "series_number",
        pl.col("tag")
        .str.extract_all(ATTRIBUTE_NAME)
        .list.eval(pl.element().str.strip_chars(" \t\r\n=\"'"))
        .list.sort()
        .alias("names"),
    )
    joined = pl.col("names").list.join("\n")
    differing = names.filter(joined != "\n".join(expected))
    if differing.height:
        number, found = differing.row(0)
        missing = sorted(set(expected) - set(found))
        extra = sorted(set(found) - set(expected))
        if missing:
            said = f"lacks attribute(s) {', '.join(missing)} of the first Series"
        elif extra:
            said = f"has attribute(s) {', '.join(extra)} that the first Series has not"
        else:
            said = "has an attribute twice"
        raise ExtractError(path, None, f"Series element {number} {said}")
