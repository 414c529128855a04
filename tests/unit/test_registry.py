"""The dataset registry: the shipped one is valid, a broken one says where it is broken."""

from __future__ import annotations

import pytest

from clusterobs.registry import RegistryError, load_registry
from clusterobs.settings import Settings

from ..conftest import DEMO_DIR


def test_shipped_registry_covers_the_demo_datasets():
    registry = load_registry(Settings().registry_path)
    assert set(registry) == {p.name.split(".")[0] for p in DEMO_DIR.iterdir()}
    assert registry["sbs_r_nuts06_r2"].filters["indic_sb"] == ["V11210", "V16110", "V13320"]
    assert registry["sbs_r_nuts06_r2"].dimensions[-1] == "geo"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            '[datasets.x]\ndimensions = ["geo"]\n[datasets.x.filters]\nunit = ["A"]\n',
            r"\[datasets.x\] .*filters or totals on unit",
        ),
        (
            '[datasets.x]\ndimensions = ["geo"]\nformat = "json-stat"\n',
            r"statistics api serves format 'json-stat'",
        ),
        (
            '[datasets.x]\ndimensions = ["geo"]\nstart = 2020\nend = 2010\n',
            r"end 2010 is before start 2020",
        ),
        ('[datasets.x]\ndimensions = ["geo"]\ncolour = "blue"\n', r"\[datasets.x\] colour"),
        ('[datasets.x]\ndimensions = ["geo"]\nnuts_version = 2015\n', r"nuts_version"),
        ("[datasets.x\n", r"not valid TOML"),
        ("title = 'nothing'\n", r"no \[datasets.<code>\] tables"),
    ],
)
def test_broken_registry_names_dataset_and_field(tmp_path, body, message):
    path = tmp_path / "datasets.toml"
    path.write_text(body)
    with pytest.raises(RegistryError, match=message):
        load_registry(path)


@pytest.mark.parametrize("version", [2006, 2010, 2013, 2016, 2021, 2024])
def test_a_dataset_can_be_read_in_any_shipped_nuts_version(tmp_path, version):
    path = tmp_path / "datasets.toml"
    path.write_text(f'[datasets.x]\ndimensions = ["geo"]\nnuts_version = {version}\n')
    assert load_registry(path)["x"].nuts_version == version
