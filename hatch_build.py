"""Hatch build hook: the wheel carries the project's top-level folders inside the `clusterobs` package
(`clusterobs.flows`, `clusterobs.transforms`, and the SQL models, suites, reference data, demo extracts,
configuration read at run time; the column meanings are the models' `sql/<layer>/_schema.toml`), so an installed package needs no checkout and puts
no generic module names (`flows`, `transforms`) into site-packages. Editable installs (a checkout) read
them where they are (`clusterobs/__init__.py`, `clusterobs/paths.py`)."""

from __future__ import annotations

from hatchling.builders.hooks.plugin.interface import BuildHookInterface

PACKAGED = {
    "flows": "clusterobs/flows",
    "transforms": "clusterobs/transforms",
    "sql": "clusterobs/sql",
    "expectations": "clusterobs/expectations",
    "data/reference": "clusterobs/data/reference",
    "data/demo": "clusterobs/data/demo",
    "datasets.toml": "clusterobs/datasets.toml",
    "star_profiles.toml": "clusterobs/star_profiles.toml",
}


class CustomBuildHook(BuildHookInterface):
    def initialize(self, version: str, build_data: dict) -> None:
        if self.target_name != "wheel" or version != "standard":
            return
        build_data["force_include"].update(PACKAGED)
