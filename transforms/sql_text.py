"""The one place text is made into SQL: a value as a string literal, a name as a quoted identifier. Paths,
names and settings otherwise reach DuckDB as parameters."""

from __future__ import annotations


def quoted(name: str) -> str:
    """`name` as a double-quoted SQL identifier."""
    return '"' + name.replace('"', '""') + '"'


def sql_literal(value: object) -> str:
    """`value` as a single-quoted SQL string literal (None: null)."""
    if value is None:
        return "null"
    return "'" + str(value).replace("'", "''") + "'"
