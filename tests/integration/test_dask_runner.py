"""Opt-in: extraction and per-country builds on a Dask cluster (task_runner=dask) publish exactly what the
thread runner does.

Starts a local Dask cluster (~25 s on 2 cores); runs when CLUSTEROBS_TEST_DASK=1 (.ci/run sets it).
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import duckdb
import pytest

from clusterobs.flows.pipeline import pipeline
from clusterobs.settings import Settings

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(
        not os.environ.get("CLUSTEROBS_TEST_DASK"),
        reason="opt-in: set CLUSTEROBS_TEST_DASK=1 to start a local Dask cluster (~25 s)",
    ),
]


def parquet_checksums(output: Path) -> dict[str, str]:
    parquet = output / "parquet"
    return {
        str(path.relative_to(parquet)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(parquet.rglob("*.parquet"))
    }


def raw_tables(output: Path) -> dict[str, tuple[list, list]]:
    """Column types and rows (run id aside) of every raw table."""
    with duckdb.connect(str(output / "clusterobs.duckdb"), read_only=True) as con:
        names = [
            r[0]
            for r in con.execute(
                "select table_name from duckdb_tables() where schema_name = 'raw' order by 1"
            ).fetchall()
        ]
        tables = {}
        for name in names:
            types = con.execute(
                "select column_name, data_type from duckdb_columns() where schema_name = 'raw' "
                "and table_name = ? order by column_index",
                [name],
            ).fetchall()
            rows = con.execute(
                f"select * exclude (load_run_id) from raw.{name} order by all"
            ).fetchall()
            tables[name] = (types, rows)
    return tables


def test_a_run_on_a_dask_cluster_publishes_the_same_outputs(prefect_api, tmp_path):
    distributed = pytest.importorskip("distributed")
    threads = pipeline(settings=Settings(source="demo", output_dir=tmp_path / "threads"))

    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    ) as cluster:
        settings = Settings(
            source="demo",
            output_dir=tmp_path / "dask",
            task_runner="dask",
            dask_address=cluster.scheduler_address,
        )
        on_dask = pipeline(settings=settings)
        with distributed.Client(cluster) as client:
            ran = client.run_on_scheduler(
                lambda dask_scheduler: sorted(
                    {str(t[0]).rsplit("-", 5)[0] for t in dask_scheduler.transition_log}
                )
            )

    # The cluster's workers parsed the extracts and built the country partitions; everything that
    # writes the warehouse ran in this process, its one writer.
    assert ran == ["build_country", "parse_extract"]
    assert on_dask.datasets == threads.datasets
    assert raw_tables(tmp_path / "dask") == raw_tables(tmp_path / "threads")
    assert parquet_checksums(tmp_path / "dask") == parquet_checksums(tmp_path / "threads")
    assert not list((tmp_path / "dask").rglob("exchange"))  # the exchange files are removed
