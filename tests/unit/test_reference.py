"""The shipped reference tables: current with the third-party copies they are derived from, consistent."""

from __future__ import annotations

import importlib.util

import polars as pl

from ..conftest import PROJECT_ROOT

REFERENCE = PROJECT_ROOT / "data" / "reference"


def test_reference_tables_are_current(shared_dir):
    spec = importlib.util.spec_from_file_location(
        "build_reference", PROJECT_ROOT / "scripts" / "build_reference.py"
    )
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    for name, frame in script.tables(shared_dir / "reference").items():
        assert frame.write_csv().encode() == (REFERENCE / f"{name}.csv").read_bytes(), (
            f"data/reference/{name}.csv is stale: run `uv run python scripts/build_reference.py`"
        )


def test_nuts_versions_are_complete_trees():
    for version, regions in ((2016, 240), (2021, 242), (2024, 244)):
        nuts = pl.read_csv(REFERENCE / f"nuts_{version}.csv")
        assert (nuts["nuts_version"] == version).all()
        assert nuts["nuts_code"].is_unique().all()
        assert nuts.filter(pl.col("nuts_level") == 0).height == 27
        level2 = nuts.filter((pl.col("nuts_level") == 2) & ~pl.col("is_extra_regio"))
        assert level2.height == regions, version
        parents = set(nuts["nuts_code"])
        assert set(nuts["parent_code"].drop_nulls()) <= parents
    # Known changes: Croatia's NUTS 2 regions were redrawn in 2021 and again in 2024.
    codes = {
        v: set(pl.read_csv(REFERENCE / f"nuts_{v}.csv")["nuts_code"]) for v in (2016, 2021, 2024)
    }
    assert "HR04" in codes[2016] and "HR04" not in codes[2021]
    assert {"HR02", "HR05", "HR06"} <= codes[2021]
