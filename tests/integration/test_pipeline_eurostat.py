"""`clusterobs run --source eurostat` end to end against the local Eurostat stand-in, with a real Prefect API."""

from __future__ import annotations

import os

import duckdb
import polars as pl
import pytest

from clusterobs import loads
from clusterobs.flows.pipeline import pipeline, run_report
from clusterobs.registry import load_registry
from clusterobs.settings import EurostatApi, Settings

from ..eurostat_server import FakeEurostat, Reply, key_parts, too_big

pytestmark = pytest.mark.integration


def settings_for(server: FakeEurostat, out) -> Settings:
    api = EurostatApi(
        sdmx_base_url=server.url, statistics_base_url=server.url, timeout_seconds=10, retries=1,
        backoff_initial_seconds=0.01, backoff_max_seconds=0.05, task_retries=0, task_retry_delay_seconds=[0],
    )  # fmt: skip
    return Settings(
        source="eurostat",
        output_dir=out,
        eurostat=api,
        countries=["AT", "BE", "CZ", "DK", "ES", "FI", "HR", "NL", "PT", "SE"],
    )


def last_ingest_task_states(task_name: str) -> list[str]:
    """States of the named task's runs in the latest run of the ingest flow."""
    from prefect import get_client
    from prefect.client.schemas.filters import (
        FlowFilter,
        FlowFilterName,
        TaskRunFilter,
        TaskRunFilterFlowRunId,
    )
    from prefect.client.schemas.sorting import FlowRunSort

    with get_client(sync_client=True) as client:
        (ingest,) = client.read_flow_runs(
            flow_filter=FlowFilter(name=FlowFilterName(any_=["clusterobs-ingest"])),
            sort=FlowRunSort.START_TIME_DESC,
            limit=1,
        )
        runs = client.read_task_runs(
            task_run_filter=TaskRunFilter(flow_run_id=TaskRunFilterFlowRunId(any_=[ingest.id]))
        )
    return sorted(r.state_name for r in runs if r.name.startswith(task_name))


def test_run_from_the_api_splits_loads_reuses_and_fails_closed(prefect_api, tmp_path):
    stamps = {}
    with FakeEurostat() as server:
        # The legacy SBS extract is too big unless restricted to regions: the client must split it.
        server.add(
            lambda r: (
                too_big() if "/data/sbs_r_nuts06_r2/" in r.path and not key_parts(r)[3] else None
            )
        )
        server.serve_demo(stamps)
        out = tmp_path / "api"
        first = pipeline(settings=settings_for(server, out))
        assert first.status == "published"
        assert {d["status"] for d in first.datasets.values()} == {"loaded"}
        assert first.datasets["sbs_r_nuts06_r2"]["files"] > 1
        report = run_report(first)  # the run's markdown artifact names each dataset's update stamp
        assert "| sbs_r_nuts06_r2 | 2026-11-27T23:00:00+0100 | loaded |" in report
        data_requests = len(server.data_requests())

        demo = pipeline(settings=Settings(source="demo", output_dir=tmp_path / "demo"))
        for table in ("fct_cluster_region_year", "fct_ecosystem_indicators"):
            from_api = pl.read_parquet(out / "parquet" / f"{table}.parquet")
            from_demo = pl.read_parquet(tmp_path / "demo" / "parquet" / f"{table}.parquet")
            assert from_api.equals(from_demo), table
        api_cells = {name: d["observations"] for name, d in first.datasets.items()}
        demo_cells = {name: d["observations"] for name, d in demo.datasets.items()}
        # the registry asks Eurostat for both sexes together (sex = T): a third of the demo's LFS cells
        assert api_cells.pop("lfst_r_lfe2en2") * 3 == demo_cells.pop("lfst_r_lfe2en2")
        assert api_cells == demo_cells

        with duckdb.connect(str(out / "clusterobs.duckdb"), read_only=True) as con:
            sources = con.execute(
                "select distinct dataset, source_path, eurostat_updated from meta.extracts"
            ).fetchall()
        assert all(
            src.startswith(server.url + "/data/") and stamp == "2026-11-27T23:00:00+0100"
            for _, src, stamp in sources
        )

        # Same update stamps: Prefect's persisted download results are reused (state Cached), nothing is
        # downloaded or parsed again.
        second = pipeline(settings=settings_for(server, out))
        assert {d["status"] for d in second.datasets.values()} == {"unchanged"}
        assert len(server.data_requests()) == data_requests
        datasets = len(load_registry(Settings().registry_path))
        assert last_ingest_task_states("download-dataset") == ["Cached"] * datasets
        cached = sorted(p.name for p in (out / "cache" / "downloads").iterdir())
        assert len(cached) == datasets and all(
            name.startswith("eurostat-") and "-20261127T2300000100-" in name for name in cached
        )

        # A cached download whose landed files were removed is downloaded again.
        with duckdb.connect(str(out / "clusterobs.duckdb"), read_only=True) as con:
            landed = [
                r[0]
                for r in con.execute(
                    "select landing_path from meta.extracts where dataset = 'nama_10r_2gdp'"
                ).fetchall()
            ]
        for path in landed:
            os.chmod(path, 0o644)
            os.remove(path)
        pipeline(settings=settings_for(server, out))
        assert len(server.data_requests("nama_10r_2gdp")) == 2
        assert len(server.data_requests()) == data_requests + 1
        with duckdb.connect(str(out / "clusterobs.duckdb"), read_only=True) as con:
            reloaded = con.execute(
                "select landing_path from meta.extracts where dataset = 'nama_10r_2gdp' "
                "and list_contains(?, extract_sha256)",
                [sorted(loads.loaded_checksums(con, "nama_10r_2gdp"))],
            ).fetchall()
        assert reloaded and all(os.path.isfile(path) for (path,) in reloaded)

        # A newer version of one dataset that Eurostat keeps failing to serve: the run fails, nothing is published.
        stamps["rd_e_gerdreg"] = "2026-11-28T23:00:00+0100"
        server.rules.insert(
            0,
            server.rules[0].__class__(
                lambda r: (
                    Reply(500, b'{"error":{"label":"Internal error"}}')
                    if "/data/rd_e_gerdreg/" in r.path
                    else None
                )
            ),
        )
        current = os.readlink(out / "current")
        with pytest.raises(Exception, match="Internal error"):
            pipeline(settings=settings_for(server, out))
        assert os.readlink(out / "current") == current
        assert pl.read_parquet(out / "parquet" / "fct_ecosystem_indicators.parquet").equals(
            pl.read_parquet(tmp_path / "demo" / "parquet" / "fct_ecosystem_indicators.parquet")
        )

        # The run's years narrow every request (a new cache key) and what staging keeps.
        server.rules.pop(0)  # Eurostat serves rd_e_gerdreg again
        before = len(server.data_requests())
        narrowed = settings_for(server, tmp_path / "years").model_copy(update={"first_year": 2015})
        pipeline(settings=narrowed)
        since = {
            (r.query.get("startPeriod") or r.query.get("sinceTimePeriod") or [None])[0]
            for r in server.data_requests()[before:]
        }
        assert since == {"2015", "2021"}  # 2021: where sbs_r_nuts2021 starts
        with duckdb.connect(str(tmp_path / "years" / "clusterobs.duckdb"), read_only=True) as con:
            first_years = con.execute(
                "select min(year) from staging.stg_sbs_r_nuts06_r2 union all "
                "select min(year) from staging.stg_lfst_r_lfe2en2"
            ).fetchall()
        assert first_years == [(2015,), (2015,)]
