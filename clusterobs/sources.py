"""Which registry datasets a run loads, from where, and which it goes without (with what that costs).

A source folder may hold any subset of the registry: the run builds everything the datasets present
support, and lists the rest as absent (here, in `meta.run_datasets`, the run summary and report). With
`strict` (or a dataset marked `required` in the registry) a missing dataset is an error instead.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from clusterobs.registry import DatasetSpec
from clusterobs.settings import Settings
from clusterobs.transforms.readers.extracts import dataset_from_filename

EXTRACT_SUFFIXES = (".tsv", ".tsv.gz", ".csv", ".csv.gz", ".json", ".xml")
EXPECTED_FILES = (
    "expected <dataset>.tsv[.gz], .csv[.gz] (SDMX-CSV), .json (JSON-stat) or .xml (SDMX-ML)"
)


class MissingDatasetsError(FileNotFoundError):
    """Datasets the run must have (strict, or `required` in the registry) are not in the source."""


@dataclass(frozen=True)
class SourcePlan:
    """The registry datasets of a run: those it loads (with their local files, unless downloaded) and
    those it goes without, each with the reason."""

    source: str
    loaded: list[str]
    files: dict[str, list[Path]] = field(default_factory=dict)
    absent: dict[str, str] = field(default_factory=dict)


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


def source_plan(
    settings: Settings, registry: dict[str, DatasetSpec], selected: dict[str, DatasetSpec]
) -> SourcePlan:
    """What the run loads of the `selected` registry datasets, and what it goes without; raises
    MissingDatasetsError when the source folder holds none of them, or lacks one the run must have
    (settings.strict, or `required` in the registry), and FileNotFoundError for an extract that cannot be
    opened (a broken link)."""
    absent = {
        name: "not among the run's datasets (setting datasets)"
        for name in registry
        if name not in selected
    }
    if settings.source == "eurostat":
        return SourcePlan(settings.source, list(selected), absent=absent)
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
    return SourcePlan(settings.source, list(files), files, absent)
