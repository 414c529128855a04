"""A run's configuration, resolved and checked once (at preflight) and passed down to every stage.

Settings say where the configuration files are; `resolve_run_config` reads them (the dataset registry, the
star profiles, the scoreboard's indicator catalogue), selects the run's datasets and finds their extracts,
and checks that they agree with each other and with the settings. Every failed check is a
`ConfigurationError` (the loaders' RegistryError and StarProfileError are kinds of it) naming the setting
or file and what to do; a dataset the run must have and the source lacks is a MissingDatasetsError.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Literal

import polars as pl
from pydantic import BaseModel, BeforeValidator, StringConstraints, ValidationError

from clusterobs import models
from clusterobs.paths import REFERENCE_DIR
from clusterobs.registry import DatasetSpec, load_registry
from clusterobs.settings import Settings, TrendWindow
from clusterobs.sources import SourcePlan, source_plan
from clusterobs.stars import StarProfile, StarProfileError, load_star_profiles
from clusterobs.toml_tables import ConfigurationError

__all__ = ["ConfigurationError", "IndicatorSpec", "RunConfig", "resolve_run_config"]

INDICATOR_CATALOGUE = REFERENCE_DIR / "ecosystem_indicators.csv"
GEO_AGGREGATES = REFERENCE_DIR / "geo_aggregates.csv"
# The Regional Ecosystem Scoreboard's modernisation themes (DOMAIN.md 3): a catalogue row may name one.
THEMES = (
    "service_innovation",
    "key_enabling_technologies",
    "digitalisation",
    "creativity",
    "eco_innovation",
    "start_ups_and_scale_ups",
)
# The model every cluster table is built on: a dataset it reads feeds the cluster tables.
CLUSTER_BASE_MODEL = "intermediate.int_sbs__unioned"


class IndicatorSpec(BaseModel, extra="ignore"):
    """One scoreboard indicator of the catalogue (data/reference/ecosystem_indicators.csv)."""

    indicator_code: str
    indicator_label: str
    unit: str = ""
    direction: Annotated[Literal[1, -1], BeforeValidator(int)]
    transformation: Literal["none", "sqrt", "log"]
    dimension: str
    sub_dimension: str = ""
    source_dataset: str = ""
    nuts_level: int = 2
    # the modernisation theme the indicator also speaks to (DOMAIN.md 3), or none
    theme: Literal[("", *THEMES)] = ""
    # true where the indicator stands in for a concept Eurostat does not measure regionally
    is_proxy: bool = False
    # why the indicator measures its dimension (and theme); a proxy's says what it stands in for
    rationale: Annotated[str, StringConstraints(min_length=1)]

    @property
    def source_datasets(self) -> list[str]:
        """The datasets the indicator reads (`source_dataset` 'a + b' names two)."""
        return [part.strip() for part in self.source_dataset.split("+") if part.strip()]


def load_indicator_catalogue(path: Path = INDICATOR_CATALOGUE) -> dict[str, IndicatorSpec]:
    """The scoreboard's indicators keyed by code, in file order; ConfigurationError names the line."""
    if not path.is_file():
        raise ConfigurationError(f"indicator catalogue {path} not found")
    rows = pl.read_csv(path, infer_schema=False).to_dicts()
    catalogue: dict[str, IndicatorSpec] = {}
    for line, row in enumerate(rows, start=2):
        try:
            spec = IndicatorSpec.model_validate({k: v or "" for k, v in row.items()})
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"])
            raise ConfigurationError(f"{path}, line {line}: {where}: {first['msg']}") from None
        if spec.indicator_code in catalogue:
            raise ConfigurationError(
                f"{path}, line {line}: indicator {spec.indicator_code} appears twice"
            )
        catalogue[spec.indicator_code] = spec
    return catalogue


def catalogue_dimensions(indicators: dict[str, IndicatorSpec]) -> list[str]:
    """The dimensions the catalogue's indicators belong to, sorted."""
    return sorted({spec.dimension for spec in indicators.values()})


@dataclass(frozen=True)
class RunConfig:
    """Everything a run reads from its configuration: the settings, the dataset registry, the datasets the
    run loads and goes without (`plan`), the star profiles and the indicator catalogue."""

    settings: Settings
    registry: dict[str, DatasetSpec]
    plan: SourcePlan
    star_profiles: dict[str, StarProfile]
    indicators: dict[str, IndicatorSpec]

    @property
    def star_profile(self) -> StarProfile:
        """The run's star profile (setting star_profile)."""
        return self.star_profiles[self.settings.star_profile]

    @property
    def trend_windows(self) -> list[TrendWindow]:
        return self.settings.trend_windows

    @property
    def dimensions(self) -> list[str]:
        """The scoreboard's dimensions, sorted."""
        return catalogue_dimensions(self.indicators)

    def dataset_uses(self, dataset: str) -> list[str]:
        """What a registry dataset feeds: the cluster tables (for its years) and the scoreboard indicators
        that read it."""
        spec, uses = self.registry[dataset], []
        cluster_inputs = models.upstream_relations(models.discovered_models(), CLUSTER_BASE_MODEL)
        if f"raw.{dataset}" in cluster_inputs:
            years = f" {spec.start}-{spec.end or ''}" if spec.start else ""
            uses.append(f"cluster tables{years}")
        readers = [code for code, i in self.indicators.items() if dataset in i.source_datasets]
        if readers:
            uses.append("indicators " + ", ".join(readers))
        return uses or ["no output of this project yet"]

    def absent_warning(self) -> str | None:
        """One line naming the datasets the run goes without and what each would have fed (None when
        none is absent)."""
        absent = self.plan.absent
        if not absent:
            return None
        parts = [f"{name} ({', '.join(self.dataset_uses(name))})" for name in absent]
        reasons = sorted(set(absent.values()))
        return (
            f"{len(absent)} of {len(self.registry)} registry datasets absent ({'; '.join(reasons)}): "
            f"{', '.join(parts)}. Their outputs are listed as unavailable (meta.run_datasets, "
            "meta.indicator_availability); --strict makes a missing dataset an error"
        )


def resolve_run_config(settings: Settings) -> RunConfig:
    """The run's configuration, every file read once and every cross-check made; raises
    ConfigurationError (or MissingDatasetsError for datasets the source lacks)."""
    registry = load_registry(settings.registry_path)
    selected = selected_datasets(settings, registry)
    profiles = load_star_profiles(settings.star_profiles_path)
    if settings.star_profile not in profiles:
        raise StarProfileError(
            f"star_profile {settings.star_profile!r} is not in {settings.star_profiles_path} "
            f"(choose one of {', '.join(profiles)})"
        )
    indicators = load_indicator_catalogue()
    dimensions = catalogue_dimensions(indicators)
    unknown = sorted(set(settings.scoreboard.dimension_weights) - set(dimensions))
    if unknown:
        raise ConfigurationError(
            f"scoreboard.dimension_weights: unknown dimension(s) {', '.join(unknown)}; "
            f"known: {', '.join(dimensions)}"
        )
    known_aggregates = pl.read_csv(GEO_AGGREGATES, infer_schema=False)["geo_code"].to_list()
    unknown = [code for code in settings.scoreboard.eu_aggregates if code not in known_aggregates]
    if unknown:
        raise ConfigurationError(
            f"scoreboard.eu_aggregates: {', '.join(unknown)} not a Eurostat aggregate of {GEO_AGGREGATES} "
            f"(e.g. {', '.join(known_aggregates[:8])})"
        )
    if settings.source not in ("demo", "eurostat") and not settings.source_dir.is_dir():
        raise ConfigurationError(
            f"source {settings.source!r} is not 'demo', 'eurostat' or a folder of extract files"
        )
    plan = source_plan(settings, registry, selected)
    return RunConfig(settings, registry, plan, profiles, indicators)


def selected_datasets(
    settings: Settings, registry: dict[str, DatasetSpec]
) -> dict[str, DatasetSpec]:
    """The registry datasets the run's `datasets` setting selects (all by default)."""
    if not settings.datasets:
        return dict(registry)
    unknown = sorted(set(settings.datasets) - registry.keys())
    if unknown:
        raise ConfigurationError(
            f"datasets: {', '.join(unknown)} not in {settings.registry_path} "
            f"(known: {', '.join(registry)})"
        )
    return {name: spec for name, spec in registry.items() if name in settings.datasets}
