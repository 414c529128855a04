"""Cluster star profiles (star_profiles.toml): named rule sets evaluated by marts.fct_cluster_stars."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import polars as pl
from pydantic import BaseModel, Field, model_validator

from clusterobs.toml_tables import ConfigurationError, load_named_tables

CELL_METRICS = (
    "employment",
    "local_units",
    "wages_meur",
    "avg_wage_eur",
    "productivity_eur",
    "lq",
    "focus_share",
    "eu_category_share",
)


# Metrics of pay: fct_clusters_matter also states its wage premium without stars on them.
WAGE_METRICS = ("wages_meur", "avg_wage_eur")


class StarProfileError(ConfigurationError):
    """The profiles file is missing or invalid; the message names the file, profile and field."""


class Condition(BaseModel, extra="forbid"):
    """One test of a metric against a threshold."""

    metric: str
    comparison: Literal[">=", ">", "<=", "<"] = ">="
    threshold: Literal["absolute", "percentile_within_category", "percentile_over_all"]
    value: float

    @model_validator(mode="after")
    def _valid(self) -> Condition:
        if self.metric not in CELL_METRICS and not self.metric.startswith("region."):
            raise ValueError(
                f"unknown metric {self.metric!r}: one of {', '.join(CELL_METRICS)} or 'region.<indicator_code>'"
            )
        if self.threshold != "absolute" and not 0 <= self.value <= 1:
            raise ValueError(f"a percentile threshold needs a value in [0, 1], not {self.value}")
        return self


class Star(BaseModel, extra="forbid"):
    """A star: earned when all its conditions hold (and the cell earned `requires_star`, when named)."""

    name: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    conditions: list[Condition] = Field(min_length=1)
    requires_star: str | None = None

    @property
    def is_region_wide(self) -> bool:
        """Whether a condition reads a region-wide value (the same for every category of a region)."""
        return any(c.metric.startswith("region.") for c in self.conditions)


class StarProfile(BaseModel, extra="forbid"):
    """A rule set: its stars and the star counts that start each performance level."""

    name: str
    description: str = ""
    stars: list[Star] = Field(min_length=1)
    performance_levels: list[tuple[str, int]] = Field(min_length=1)

    @model_validator(mode="after")
    def _consistent(self) -> StarProfile:
        names = [s.name for s in self.stars]
        if len(set(names)) != len(names):
            raise ValueError(f"a star name appears twice: {', '.join(names)}")
        by_name = {s.name: s for s in self.stars}
        for star in self.stars:
            required = by_name.get(star.requires_star) if star.requires_star else None
            if star.requires_star and (required is None or required is star):
                raise ValueError(
                    f"star {star.name!r}: requires_star {star.requires_star!r} is not another star of the profile"
                )
            if required is not None and required.is_region_wide:
                raise ValueError(
                    f"star {star.name!r}: requires_star {star.requires_star!r} is itself region-wide"
                )
            if star.is_region_wide and required is None:
                raise ValueError(
                    f"star {star.name!r} reads a region-wide value, which would give the star to every "
                    "category of the region: name the cell-level star it requires with requires_star "
                    '(e.g. requires_star = "specialisation")'
                )
        counts = [n for _, n in self.performance_levels]
        if counts != sorted(set(counts)) or counts[0] < 1 or counts[-1] > len(self.stars):
            raise ValueError(
                f"performance_levels need ascending star counts between 1 and {len(self.stars)}, got {counts}"
            )
        return self


def load_star_profiles(path: Path) -> dict[str, StarProfile]:
    """Profiles keyed by name, in file order."""
    return load_named_tables(
        path, "profiles", StarProfile, StarProfileError, "star profiles file", "name"
    )


def star_rules(profiles: dict[str, StarProfile]) -> pl.DataFrame:
    """config.star_rules: one row per profile x star x condition."""
    rows = [
        (
            profile.name,
            star.name,
            number,
            c.metric,
            c.comparison,
            c.threshold,
            c.value,
            star.requires_star,
            c.metric in WAGE_METRICS,  # a star that rewards pay
        )
        for profile in profiles.values()
        for star in profile.stars
        for number, c in enumerate(star.conditions, start=1)
    ]
    return pl.DataFrame(
        rows,
        schema={
            "profile": pl.String,
            "star": pl.String,
            "condition_number": pl.Int8,
            "metric": pl.String,
            "comparison": pl.String,
            "threshold_type": pl.String,
            "threshold_value": pl.Float64,
            "requires_star": pl.String,
            "is_wage_metric": pl.Boolean,
        },
        orient="row",
    )


def performance_levels(profiles: dict[str, StarProfile]) -> pl.DataFrame:
    """config.star_levels: one row per profile x performance level, with its star-count range."""
    rows = []
    for profile in profiles.values():
        levels = profile.performance_levels
        for i, (level, low) in enumerate(levels):
            high = levels[i + 1][1] - 1 if i + 1 < len(levels) else len(profile.stars)
            rows.append((profile.name, level, low, high))
    return pl.DataFrame(
        rows,
        schema={
            "profile": pl.String,
            "performance_level": pl.String,
            "min_stars": pl.Int8,
            "max_stars": pl.Int8,
        },
        orient="row",
    )
