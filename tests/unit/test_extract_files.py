"""Finding the extract files of each registry dataset in a source folder."""

from __future__ import annotations

import pytest

from clusterobs.registry import DatasetSpec
from flows.tasks import extract_files


def registry(*names: str, optional: tuple[str, ...] = ()) -> dict[str, DatasetSpec]:
    return {
        n: DatasetSpec(name=n, dimensions=["geo"], required=n not in optional)
        for n in (*names, *optional)
    }


def test_missing_folder_is_named(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"source folder .*nowhere does not exist"):
        extract_files(tmp_path / "nowhere", registry("a"))


def test_every_missing_required_dataset_is_named(tmp_path):
    (tmp_path / "a.tsv").write_text("x")
    with pytest.raises(FileNotFoundError, match=r"no extract for: c, b"):
        extract_files(tmp_path, registry("a", "c", "b", optional=("d",)))


def test_formats_slices_and_unrelated_files(tmp_path):
    for name in ("a.tsv.gz", "b.csv", "b__part2.csv", "c.json", "notes.txt", "zzz.tsv"):
        (tmp_path / name).write_text("")
    found = extract_files(tmp_path, registry("a", "b", "c"))
    assert found == {
        "a": [tmp_path / "a.tsv.gz"],
        "b": [tmp_path / "b.csv", tmp_path / "b__part2.csv"],
        "c": [tmp_path / "c.json"],
    }
