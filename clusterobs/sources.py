"""Which registry datasets a run loads, from where, and which it goes without (with what that costs).

A source folder may hold any subset of the registry: the run builds everything the datasets present
support, and lists the rest as absent (here, in `meta.run_datasets`, the run summary and report). With
`strict` (or a dataset marked `required` in the registry) a missing dataset is an error instead.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from clusterobs import models
from clusterobs.registry import DatasetSpec, load_registry
from clusterobs.settings import REFERENCE_DIR, Settings
from clusterobs.transforms.readers.extracts import dataset_from_filename

EXTRACT_SUFFIXES = (".tsv", ".tsv.gz", ".csv", ".csv.gz", ".json", ".xml")
EXPECTED_FILES = (
    "expected <dataset>.tsv[.gz], .csv[.gz] (SDMX-CSV), .json (JSON-stat) or .xml (SDMX-ML)"
)
# The model every cluster table is built on: a dataset it reads feeds the cluster tables.
CLUSTER_BASE_MODEL = "intermediate.int_sbs__unioned"


class MissingDatasetsError(FileNotFoundError):
    """Datasets the run must have (strict, or `required` in the registry) are not in the source."""


@dataclass(frozen=True)
class SourcePlan:
    """The registry datasets of a run: those it loads (with their local files, unless downloaded) and
    those it goes without, each with the reason."""

    source: str
    registry: dict[str, DatasetSpec]
    loaded: list[str]
    files: dict[str, list[Path]] = field(default_factory=dict)
    absent: dict[str, str] = field(default_factory=dict)

    def warning(self) -> str | None:
        """One line naming the absent datasets and what each would have fed (None when none is absent)."""
        if not self.absent:
            return None
        parts = [f"{name} ({', '.join(dataset_uses(self.registry[name]))})" for name in self.absent]
        reasons = sorted(set(self.absent.values()))
        return (
            f"{len(self.absent)} of {len(self.registry)} registry datasets absent ({'; '.join(reasons)}): "
            f"{', '.join(parts)}. Their outputs are listed as unavailable (meta.run_datasets, "
            "meta.indicator_availability); --strict makes a missing dataset an error"
        )


def extract_files(source_dir: Path, registry: dict[str, DatasetSpec]) -> dict[str, list[Path]]:
    """Extract files per registry dataset in a folder (<dataset>.<ext> or slices <dataset>__<part>.<ext>)."""
    if not source_dir.is_dir():
        raise FileNotFoundError(
            f"source folder {source_dir} does not exist (use --source demo, eurostat or a folder of extracts)"
        )
    found: dict[str, list[Path]] = {}
    for path in sorted(source_dir.iterdir()):
        if not path.name.lower().endswith(EXTRACT_SUFFIXES):
            continue
        dataset = dataset_from_filename(path)
        if dataset not in registry:
            continue
        if not path.is_file():
            problem = "a link to nothing" if path.is_symlink() else "not a file"
            raise FileNotFoundError(
                f"{path}: the extract of {dataset} is {problem} (target: {path.resolve()})"
            )
        found.setdefault(dataset, []).append(path)
    return {name: found[name] for name in registry if name in found}


def selected_datasets(
    settings: Settings, registry: dict[str, DatasetSpec]
) -> dict[str, DatasetSpec]:
    """The registry datasets the run's `datasets` setting selects (all by default)."""
    if not settings.datasets:
        return dict(registry)
    unknown = sorted(set(settings.datasets) - registry.keys())
    if unknown:
        raise ValueError(
            f"datasets: {', '.join(unknown)} not in {settings.registry_path} "
            f"(known: {', '.join(registry)})"
        )
    return {name: spec for name, spec in registry.items() if name in settings.datasets}


def source_plan(settings: Settings) -> SourcePlan:
    """What the run loads and goes without; raises MissingDatasetsError when the source folder holds no
    registry dataset at all, or lacks one the run must have (settings.strict, or `required` in the
    registry), and FileNotFoundError for an extract that cannot be opened (a broken link)."""
    registry = load_registry(settings.registry_path)
    selected = selected_datasets(settings, registry)
    absent = {
        name: "not among the run's datasets (setting datasets)"
        for name in registry
        if name not in selected
    }
    if settings.source == "eurostat":
        return SourcePlan(settings.source, registry, list(selected), absent=absent)
    files = extract_files(settings.source_dir, selected)
    if not files:
        raise MissingDatasetsError(
            f"{settings.source_dir} holds no extract of a registry dataset "
            f"({', '.join(selected)}): nothing to build ({EXPECTED_FILES})"
        )
    missing = [name for name in selected if name not in files]
    must_have = [name for name in missing if settings.strict or selected[name].required]
    if must_have:
        why = "strict" if settings.strict else "required in the registry"
        raise MissingDatasetsError(
            f"{settings.source_dir} has no extract for: {', '.join(must_have)} ({why}; "
            f"{EXPECTED_FILES}); without --strict the run builds what the other datasets support"
        )
    absent.update({name: f"no extract in {settings.source_dir}" for name in missing})
    absent = {name: absent[name] for name in registry if name in absent}
    return SourcePlan(settings.source, registry, list(files), files, absent)


def dataset_uses(spec: DatasetSpec) -> list[str]:
    """What a dataset feeds: the cluster tables (for its years) and the scoreboard indicators that read it."""
    uses = []
    cluster_inputs = models.upstream_relations(models.discovered_models(), CLUSTER_BASE_MODEL)
    if f"raw.{spec.name}" in cluster_inputs:
        years = f" {spec.start}-{spec.end or ''}" if spec.start else ""
        uses.append(f"cluster tables{years}")
    indicators = indicators_reading(spec.name)
    if indicators:
        uses.append("indicators " + ", ".join(indicators))
    return uses or ["no output of this project yet"]


def indicators_reading(dataset: str) -> list[str]:
    """Scoreboard indicators whose catalogue row names `dataset` among its sources."""
    catalogue = pl.read_csv(REFERENCE_DIR / "ecosystem_indicators.csv", infer_schema=False)
    return [
        code
        for code, sources in catalogue.select("indicator_code", "source_dataset").iter_rows()
        if dataset in indicator_sources(sources)
    ]


def indicator_sources(source_dataset: str) -> list[str]:
    """The datasets of a catalogue row's `source_dataset` ('a + b' names two)."""
    return [part.strip() for part in (source_dataset or "").split("+") if part.strip()]
