"""Configuration files made of named TOML tables ([<section>.<name>]), each validated by a pydantic model."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import TypeVar

from pydantic import BaseModel, ValidationError

Model = TypeVar("Model", bound=BaseModel)


class ConfigurationError(ValueError):
    """A setting or configuration file that makes a run impossible; the message names it and what to do.

    The one error type of the checks run at preflight (clusterobs.run_config); the loaders of the
    configuration files raise subclasses of it."""


def load_named_tables(
    path: Path,
    section: str,
    model: type[Model],
    error: type[Exception],
    file_label: str,
    key_label: str,
) -> dict[str, Model]:
    """Tables of [<section>.<name>] as `model(name=..., **table)`, in file order.

    Raises `error` naming the file, the table and the field for a missing file, bad TOML or bad table.
    """
    if not path.is_file():
        raise error(f"{file_label} {path} not found")
    try:
        document = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise error(f"{path}: not valid TOML ({exc})") from exc
    tables = document.get(section)
    if not isinstance(tables, dict) or not tables:
        raise error(f"{path}: no [{section}.<{key_label}>] tables")
    loaded = {}
    for name, table in tables.items():
        try:
            loaded[name] = model(name=name, **table)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"]) or "table"
            raise error(f"{path}: [{section}.{name}] {where}: {first['msg']}") from None
    return loaded
