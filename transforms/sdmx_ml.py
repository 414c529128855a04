"""SDMX-ML 2.1 StructureSpecificData (small responses) parsed into the long observation schema.

Series and Obs elements are picked out of the document with regular expressions in Polars (Rust),
not walked element by element in Python; each element's attributes become columns.
"""

from __future__ import annotations

import re
from pathlib import Path

import duckdb
import polars as pl

from transforms.observations import (
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


def looks_like_sdmx_ml(head: str) -> bool:
    return "StructureSpecificData" in head or "GenericData" in head


def read_sdmx_ml(
    con: duckdb.DuckDBPyConnection, path: Path, dataset: str | None, target: str
) -> ParsedExtract:
    """Parse an SDMX-ML StructureSpecificData message into temp table `target`."""
    work = scratch_prefix(target)
    text = path.read_text(encoding="utf-8")
    if "GenericData" in text[:2000]:
        raise ExtractError(
            path,
            None,
            "SDMX-ML GenericData is not supported: request StructureSpecificData, TSV or SDMX-CSV",
        )
    found = re.search(r"<(?:\w+:)?DataSetID>([^<]+)<", text) or re.search(
        r'<Ref[^>]*\bid="([^"]+)"', text
    )
    dataset = ((found.group(1) if found else None) or dataset or path.name.split(".")[0]).lower()
    tags = (
        pl.DataFrame({"doc": [text]})
        .select(pl.col("doc").str.extract_all(r"<(?:\w+:)?(?:Series|Obs)\s[^>]*>").alias("tag"))
        .explode("tag")
        .drop_nulls()
        .with_columns(pl.col("tag").str.contains(r"^<(?:\w+:)?Series\s").alias("is_series"))
        .with_columns(pl.col("is_series").cum_sum().alias("series_number"))
    )
    if tags.is_empty() or not tags["is_series"].any():
        raise ExtractError(path, None, "no Series/Obs elements found in the SDMX-ML message")
    series_tags = tags.filter("is_series")
    first = series_tags["tag"][0]
    dimensions_raw = [m for m in re.findall(r'(\w+)="', first) if m not in OBS_ATTRIBUTES]
    dimensions = [d.lower() for d in dimensions_raw]
    check_dimensions(path, dimensions, line=None)

    def attribute(name: str) -> pl.Expr:
        return pl.col("tag").str.extract(rf'\b{name}="([^"]*)"').alias(name.lower())

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
        raise ExtractError(path, None, "an Obs element has no TIME_PERIOD")
    try:
        periods = period_table(obs["time_period"].unique().sort().to_list())
    except ValueError as exc:
        raise ExtractError(path, None, str(exc)) from exc
    cells = obs.join(periods, left_on="time_period", right_on="label").with_columns(
        pl.col("obs_value").cast(pl.Float64, strict=False).alias("value")
    )
    bad = cells.filter(
        pl.col("obs_value").is_not_null()
        & pl.col("value").is_null()
        & (pl.col("obs_value") != "NaN")
    )
    if bad.height:
        raise ExtractError(path, None, f"non-numeric OBS_VALUE {bad['obs_value'][0]!r}")
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
