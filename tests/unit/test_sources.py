"""Which registry datasets a run loads from a source, and which it goes without."""

from __future__ import annotations

import pytest

from clusterobs.registry import DatasetSpec
from clusterobs.run_config import resolve_run_config
from clusterobs.settings import Settings
from clusterobs.sources import MissingDatasetsError, extract_files

REGISTRY = """
[datasets.sbs_r_nuts06_r2]
dimensions = ["freq", "indic_sb", "nace_r2", "geo"]
start = 2008
end = 2020
[datasets.lfst_r_lfe2en2]
dimensions = ["freq", "unit", "sex", "age", "nace_r2", "geo"]
[datasets.rd_e_gerdreg]
dimensions = ["freq", "sectperf", "unit", "geo"]
required = true
"""


def registry(*names: str) -> dict[str, DatasetSpec]:
    return {n: DatasetSpec(name=n, dimensions=["geo"]) for n in names}


def settings(tmp_path, **overrides) -> Settings:
    path = tmp_path / "datasets.toml"
    path.write_text(REGISTRY)
    return Settings(registry=path, **overrides)


def test_missing_folder_is_named(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"source folder .*nowhere does not exist"):
        extract_files(tmp_path / "nowhere", registry("a"))


def test_formats_slices_and_unrelated_files(tmp_path):
    for name in ("a.tsv.gz", "b.csv", "b__part2.csv", "c.json", "notes.txt", "zzz.tsv"):
        (tmp_path / name).write_text("")
    found = extract_files(tmp_path, registry("a", "b", "c", "d"))
    assert found == {
        "a": [tmp_path / "a.tsv.gz"],
        "b": [tmp_path / "b.csv", tmp_path / "b__part2.csv"],
        "c": [tmp_path / "c.json"],
    }


def test_a_folder_with_some_datasets_loads_them_and_names_the_absent_ones(tmp_path):
    source = tmp_path / "extracts"
    source.mkdir()
    (source / "sbs_r_nuts06_r2.tsv.gz").write_text("")
    (source / "rd_e_gerdreg.tsv").write_text("")
    config = resolve_run_config(settings(tmp_path, source=str(source)))
    plan = config.plan
    assert plan.loaded == ["sbs_r_nuts06_r2", "rd_e_gerdreg"]
    assert plan.files["sbs_r_nuts06_r2"] == [source / "sbs_r_nuts06_r2.tsv.gz"]
    assert plan.absent == {"lfst_r_lfe2en2": f"no extract in {source}"}
    warning = config.absent_warning()
    assert warning.startswith("1 of 3 registry datasets absent")
    # what the absent dataset would have fed: the scoreboard indicators that read it
    assert "lfst_r_lfe2en2 (indicators knowledge_services_employment_share" in warning
    assert "--strict" in warning


def test_strict_or_required_makes_a_missing_dataset_an_error(tmp_path):
    source = tmp_path / "extracts"
    source.mkdir()
    (source / "sbs_r_nuts06_r2.tsv").write_text("")
    with pytest.raises(MissingDatasetsError, match=r"no extract for: rd_e_gerdreg \(required"):
        resolve_run_config(settings(tmp_path, source=str(source)))
    (source / "rd_e_gerdreg.tsv").write_text("")
    with pytest.raises(MissingDatasetsError, match=r"no extract for: lfst_r_lfe2en2 \(strict"):
        resolve_run_config(settings(tmp_path, source=str(source), strict=True))


def test_datasets_outside_the_selection_are_absent_not_missing(tmp_path):
    config = resolve_run_config(
        settings(tmp_path, source="eurostat", datasets=["sbs_r_nuts06_r2"], strict=True)
    )
    plan = config.plan
    assert plan.loaded == ["sbs_r_nuts06_r2"]
    assert set(plan.absent) == {"lfst_r_lfe2en2", "rd_e_gerdreg"}
    assert "not among the run's datasets" in plan.absent["rd_e_gerdreg"]
    assert "sbs_r_nuts06_r2" not in config.absent_warning()


def test_the_cluster_datasets_say_they_feed_the_cluster_tables(tmp_path):
    source = tmp_path / "extracts"
    source.mkdir()
    (source / "rd_e_gerdreg.tsv").write_text("")
    config = resolve_run_config(settings(tmp_path, source=str(source)))
    assert "sbs_r_nuts06_r2 (cluster tables 2008-2020" in config.absent_warning()


def test_a_folder_without_any_registry_dataset_is_refused(tmp_path):
    source = tmp_path / "extracts"
    source.mkdir()
    (source / "notes.txt").write_text("")
    with pytest.raises(MissingDatasetsError, match=r"holds no extract of a registry dataset"):
        resolve_run_config(settings(tmp_path, source=str(source)))


def test_a_broken_link_is_named_not_skipped(tmp_path):
    source = tmp_path / "extracts"
    source.mkdir()
    (source / "rd_e_gerdreg.tsv").write_text("")
    (source / "sbs_r_nuts06_r2.tsv.gz").symlink_to(tmp_path / "nowhere.tsv.gz")
    with pytest.raises(
        FileNotFoundError,
        match=r"sbs_r_nuts06_r2.tsv.gz: the extract of sbs_r_nuts06_r2 is a link to nothing",
    ):
        resolve_run_config(settings(tmp_path, source=str(source)))
