"""The dataset registry (datasets.toml): which Eurostat datasets a run loads, with filters and years."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Literal

import polars as pl
from pydantic import BaseModel, Field, field_validator, model_validator

from clusterobs.settings import REFERENCE_DIR
from clusterobs.toml_tables import ConfigurationError, load_named_tables
from clusterobs.transforms.readers.conformance import DeclaredSchema

CODE_ALIASES = REFERENCE_DIR / "code_aliases.csv"
# A Eurostat dataset code as a table name: lower-case letters, digits and underscores.
DATASET_CODE = re.compile(r"[a-z][a-z0-9_]{0,62}")


def checked_dataset_code(name: str) -> str:
    """`name` if it is a Eurostat dataset code; raises ValueError saying what one looks like."""
    if not DATASET_CODE.fullmatch(name):
        raise ValueError(
            f"dataset {name!r} is not a Eurostat dataset code (lower-case letters, digits and _, "
            "starting with a letter, e.g. sbs_r_nuts06_r2)"
        )
    return name


class RegistryError(ConfigurationError):
    """The registry file is missing or invalid; the message names the file, dataset and field."""


class DatasetSpec(BaseModel, extra="forbid"):
    """One dataset of the registry."""

    name: str
    description: str = ""
    api: Literal["sdmx", "statistics"] = "sdmx"
    format: Literal["tsv", "sdmx-csv", "json-stat"] = "tsv"
    dimensions: list[str] = Field(min_length=1)
    filters: dict[str, list[str]] = Field(default_factory=dict)
    start: int | None = Field(None, ge=1900, le=2100)
    end: int | None = Field(None, ge=1900, le=2100)
    nuts_levels: list[Literal[0, 1, 2, 3]] = Field(default_factory=lambda: [0, 1, 2])
    nuts_version: Literal[2006, 2010, 2013, 2016, 2021, 2024] = 2021
    totals: dict[str, str] = Field(default_factory=dict)
    required: bool = False

    @field_validator("name")
    @classmethod
    def _dataset_code(cls, name: str) -> str:
        return checked_dataset_code(name)

    @model_validator(mode="after")
    def _consistent(self) -> DatasetSpec:
        unknown = (set(self.filters) | set(self.totals)) - set(self.dimensions)
        if unknown:
            raise ValueError(
                f"filters or totals on {', '.join(sorted(unknown))}, which are not among dimensions {self.dimensions}"
            )
        if self.start and self.end and self.end < self.start:
            raise ValueError(f"end {self.end} is before start {self.start}")
        if (self.api == "statistics") != (self.format == "json-stat"):
            raise ValueError(
                "the statistics api serves format 'json-stat'; the sdmx api serves 'tsv' or 'sdmx-csv'"
            )
        return self


def load_registry(path: Path) -> dict[str, DatasetSpec]:
    """Datasets keyed by code, in file order."""
    return load_named_tables(
        path, "datasets", DatasetSpec, RegistryError, "dataset registry", "code"
    )


def run_years(
    spec: DatasetSpec, first_year: int | None, last_year: int | None
) -> tuple[int | None, int | None]:
    """(start, end) of a dataset in a run: its registry years within [first_year, last_year]
    (None: open; start > end: no year of it is in the run)."""
    start = max(filter(None, (spec.start, first_year)), default=None)
    end = min(filter(None, (spec.end, last_year)), default=None)
    return start, end


def within_years(spec: DatasetSpec, first_year: int | None, last_year: int | None) -> DatasetSpec:
    """The spec with its requested years narrowed to the run's; unchanged when they do not overlap its own
    (then the staging models keep none of them)."""
    start, end = run_years(spec, first_year, last_year)
    if start and end and end < start:
        return spec
    return spec.model_copy(update={"start": start, "end": end})


def declared_schema(spec: DatasetSpec, aliases_path: Path = CODE_ALIASES) -> DeclaredSchema:
    """What an extract of the dataset must look like: the registry's dimensions, filters and totals, with
    the older code names of data/reference/code_aliases.csv."""
    aliases: dict[str, dict[str, str]] = {}
    rows = pl.read_csv(aliases_path, infer_schema=False).filter(pl.col("dataset") == spec.name)
    for dimension, code, canonical in rows.select(
        "dimension", "code", "canonical_code"
    ).iter_rows():
        aliases.setdefault(dimension, {})[code] = canonical
    return DeclaredSchema(spec.name, spec.dimensions, spec.filters, spec.totals, aliases)
