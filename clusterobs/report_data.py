"""What the report's sections are made of: the section record, its error, and the warehouse lookups every
page uses (rows as dicts, region names, the NUTS version the maps draw)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import duckdb

from clusterobs import report_maps


class ReportError(ValueError):
    """The report cannot be made (unknown region, nothing published for it); the message says why."""


@dataclass(frozen=True)
class Section:
    title: str
    note: str
    table: list[dict] | None = None
    chart: dict | None = None


@dataclass(frozen=True)
class Link:
    """A table cell naming a region or category: a link where pages exist for them (the atlas), else
    its text."""

    text: str
    kind: str  # "region" or "category"
    code: str

    def __str__(self) -> str:
        return self.text


# Where a linked region or category page is, relative to the page linking to it (None: no link)
Resolver = Callable[[str, str], str | None]


def rows(con: duckdb.DuckDBPyConnection, sql: str, params: list | None = None) -> list[dict]:
    """Query result as a list of dicts."""
    result = con.execute(sql, params or [])
    names = [d[0] for d in result.description]
    return [dict(zip(names, r, strict=True)) for r in result.fetchall()]


def stars_text(row: dict) -> str:
    return "★" * int(row.get("star_count") or 0)


def map_version(con: duckdb.DuckDBPyConnection) -> int:
    """The NUTS version whose boundaries the maps draw: the run's target version (or the nearest shipped)."""
    found = rows(
        con,
        "select mode(nuts_version) as version from marts.dim_region "
        "where is_in_target_version and nuts_level = 2",
    )
    return report_maps.shape_version(found[0]["version"] if found else None)


def region_names(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    return dict(con.execute("select region_code, region_name from marts.dim_region").fetchall())
