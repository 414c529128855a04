"""Run one SQL model on fixture rows in a fresh DuckDB file."""

from __future__ import annotations

from pathlib import Path

import duckdb
import polars as pl

from clusterobs import models, warehouse
from clusterobs.settings import Settings


def model_output(
    tmp_path: Path, relation: str, inputs: dict[str, pl.DataFrame], settings: Settings | None = None
) -> pl.DataFrame:
    """Output rows of one model given its input relations as frames (only that model runs)."""
    con = warehouse.connect(tmp_path / "unit.duckdb")
    try:
        warehouse.apply_run_config(con, settings or Settings())
        for name, frame in inputs.items():
            schema = name.split(".")[0]
            con.execute(f"create schema if not exists {schema}")
            con.register("fixture", frame)
            con.execute(f"create or replace table {name} as select * from fixture")
            con.unregister("fixture")
        model = models.discovered_models()[relation]
        models.run_model(con, model)
        return con.sql(f"select * from {relation}").pl()
    finally:
        con.close()


def connect(tmp_path: Path) -> duckdb.DuckDBPyConnection:
    return warehouse.connect(tmp_path / "unit.duckdb")
