"""Small helpers that read a query's result completely (DuckDB 2.x refuses new work while a result is open)."""

from __future__ import annotations

from typing import Any

import duckdb


def first_row(con: duckdb.DuckDBPyConnection, sql: str, params: list | None = None) -> tuple | None:
    """First row of a query (or None), with the result fully consumed."""
    rows = con.execute(sql, params or []).fetchall()
    return rows[0] if rows else None


def scalar(con: duckdb.DuckDBPyConnection, sql: str, params: list | None = None) -> Any:
    """The single value of a one-row, one-column query."""
    row = first_row(con, sql, params)
    return row[0] if row else None
