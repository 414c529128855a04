"""What the published tables mean: column meanings (from the schema files next to the models,
`sql/<layer>/_schema.toml`), written into the warehouse as `COMMENT ON COLUMN`, and the data dictionary
(docs/data_dictionary.md) generated from the models (description, grain, sources) and those meanings."""

from __future__ import annotations

import tomllib
from pathlib import Path

import duckdb

from clusterobs import models
from clusterobs.paths import PROJECT_ROOT, SQL_DIR
from clusterobs.transforms.sql_text import quoted, sql_literal

SCHEMA_FILE = "_schema.toml"
# written by `clusterobs dictionary --write` in a checkout (None when installed from the wheel)
DICTIONARY = PROJECT_ROOT / "docs" / "data_dictionary.md" if PROJECT_ROOT else None


class SchemaFileError(ValueError):
    """A schema file names a model that does not exist, or holds something other than column meanings."""


def documented_columns(sql_dir: Path = SQL_DIR) -> dict[str, dict[str, str]]:
    """{model name: {column: meaning}} from the schema file of each layer (`[<model>]` tables of
    `column = "meaning"` entries)."""
    docs: dict[str, dict[str, str]] = {}
    for path in sorted(sql_dir.glob(f"*/{SCHEMA_FILE}")):
        layer = path.parent.name
        try:
            tables = tomllib.loads(path.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise SchemaFileError(f"{path}: not valid TOML ({exc})") from None
        for model, columns in tables.items():
            if not (path.parent / f"{model}.sql").is_file():
                raise SchemaFileError(f"{path}: [{model}] is not a model of sql/{layer}/")
            if not isinstance(columns, dict) or not all(
                isinstance(v, str) for v in columns.values()
            ):
                raise SchemaFileError(f'{path}: [{model}] must hold `column = "meaning"` entries')
            docs[model] = columns
    return docs


def relation_columns(
    con: duckdb.DuckDBPyConnection, schema: str, name: str
) -> list[tuple[str, str]]:
    """(column, type) of a table or view, in order."""
    return con.execute(
        """select column_name, data_type from duckdb_columns()
           where schema_name = ? and table_name = ? order by column_index""",
        [schema, name],
    ).fetchall()


def column_meanings(docs: dict[str, dict[str, str]], model: models.Model) -> dict[str, str]:
    """Meanings for a model's columns: its own documented ones, then those of the marts it reads (a view
    that adds labels to a mart inherits the mart's column meanings)."""
    meanings: dict[str, str] = {}
    for relation in [model.relation, *sorted(model.depends_on)]:
        for column, meaning in docs.get(relation.split(".")[-1], {}).items():
            meanings.setdefault(column, meaning)
    return meanings


def published_columns(
    con: duckdb.DuckDBPyConnection, layers: tuple[str, ...], docs: dict[str, dict[str, str]]
) -> list[tuple[models.Model, list[tuple[str, str, str | None]]]]:
    """Per model of `layers`, in dependency order: its columns as (name, type, meaning or None)."""
    described = []
    for model in models.ordered_models(models.discovered_models(), layers):
        meanings = column_meanings(docs, model)
        columns = relation_columns(con, model.layer, model.name)
        described.append((model, [(c, dtype, meanings.get(c)) for c, dtype in columns]))
    return described


def stale_entries(
    described: list[tuple[models.Model, list[tuple[str, str, str | None]]]],
    docs: dict[str, dict[str, str]],
) -> list[str]:
    """Schema-file entries naming a column their model does not have, as `sql/<layer>/_schema.toml:
    [model] column`."""
    stale = []
    for model, columns in described:
        present = {column for column, _, _ in columns}
        stale += [
            f"sql/{model.layer}/{SCHEMA_FILE}: [{model.name}] {column}"
            for column in docs.get(model.name, {})
            if column not in present
        ]
    return stale


def comment_columns(
    con: duckdb.DuckDBPyConnection, layers: tuple[str, ...] = ("marts", "analyst")
) -> int:
    """Write every documented column meaning as a column comment; returns how many."""
    written = 0
    for model, columns in published_columns(con, layers, documented_columns()):
        for column, _, meaning in columns:
            if meaning is not None:
                con.execute(
                    f"comment on column {model.relation}.{quoted(column)} is "
                    + sql_literal(meaning)
                )
                written += 1
    return written


def data_dictionary(
    con: duckdb.DuckDBPyConnection, layers: tuple[str, ...] = ("marts", "analyst")
) -> str:
    """The data dictionary as Markdown: per published table or view, its description, grain, sources and
    columns (type and meaning); raises SchemaFileError for schema entries naming columns that do not exist."""
    docs = documented_columns()
    described = published_columns(con, layers, docs)
    stale = stale_entries(described, docs)
    if stale:
        raise SchemaFileError(
            "columns documented but not in the warehouse (rename or remove them): "
            + "; ".join(stale)
        )
    lines = [
        "# Data dictionary",
        "",
        "Generated by `clusterobs dictionary` from the SQL models (description, grain, the relations each",
        "reads) and the column meanings of their schema files, `sql/<layer>/_schema.toml` (also written",
        "into the warehouse as column comments); a test fails when this file is not current. Marts are",
        "exported to Parquet (`output/parquet/`); `analyst` views add names to the marts and live in the",
        "warehouse only.",
        "",
    ]
    for model, columns in described:
        sources = ", ".join(f"`{d}`" for d in sorted(model.depends_on)) or "none"
        lines += [
            f"## `{model.relation}`",
            "",
            model.description,
            "",
            f"- Grain: {model.grain}",
            f"- Built as: {model.materialized}, from {sources}",
            f"- Model: `sql/{model.layer}/{model.name}.sql`",
            "",
            "| column | type | meaning |",
            "|---|---|---|",
        ]
        lines += [
            f"| `{column}` | {dtype} | {meaning or '(undocumented)'} |"
            for column, dtype, meaning in columns
        ]
        lines.append("")
    return "\n".join(lines)
