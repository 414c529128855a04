"""Finding the extract file of each dataset in a source folder."""

from __future__ import annotations

import pytest

from flows.tasks import extract_files


def test_missing_folder_is_named(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"source folder .*nowhere does not exist"):
        extract_files(tmp_path / "nowhere", ["sbs_r_nuts06_r2"])


def test_every_missing_dataset_is_named(tmp_path):
    (tmp_path / "sbs_r_nuts06_r2.tsv").write_text("x")
    with pytest.raises(FileNotFoundError, match=r"no extract for: rd_e_gerdreg, nama_10r_2gdp"):
        extract_files(tmp_path, ["sbs_r_nuts06_r2", "rd_e_gerdreg", "nama_10r_2gdp"])


def test_gzip_is_preferred_and_plain_accepted(tmp_path):
    (tmp_path / "a.tsv.gz").write_bytes(b"")
    (tmp_path / "a.tsv").write_text("")
    (tmp_path / "b.tsv").write_text("")
    found = extract_files(tmp_path, ["a", "b"])
    assert found == {"a": tmp_path / "a.tsv.gz", "b": tmp_path / "b.tsv"}
