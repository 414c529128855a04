"""Scheduled deployments: a real `prefect server start` on 127.0.0.1, the repository's deployments served
by `python -m clusterobs.flows.deployments`, a run triggered through the API and followed to completion."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections import Counter

import httpx
import pytest

from clusterobs.flows.deployments import DAILY, MONTHLY, updated_datasets
from clusterobs.registry import load_registry
from clusterobs.settings import PROJECT_ROOT, EurostatApi, Settings

from ..eurostat_server import FakeEurostat

pytestmark = pytest.mark.integration


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until(check, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            result = check()
        except Exception:  # not up yet
            result = None
        if result:
            return result
        time.sleep(0.5)
    raise TimeoutError(f"{what} not ready after {timeout:.0f} s")


@pytest.fixture(scope="module")
def prefect_server(tmp_path_factory):
    """`prefect server start` on a free port of 127.0.0.1 with its own PREFECT_HOME; yields the API URL."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k != "PREFECT_API_URL"}
    env |= {"PREFECT_HOME": str(tmp_path_factory.mktemp("prefect-home")),
            "PREFECT_SERVER_ANALYTICS_ENABLED": "false"}  # fmt: skip
    server = subprocess.Popen(
        [sys.executable, "-m", "prefect", "server", "start", "--host", "127.0.0.1", "--port", str(port)],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}/api"
    try:
        wait_until(lambda: httpx.get(f"{url}/health").status_code == 200, 120, "prefect server")
        yield url
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_served_deployment_runs_through_the_api(prefect_server, tmp_path):
    from prefect.client.orchestration import get_client
    from prefect.deployments import run_deployment
    from prefect.settings import PREFECT_API_URL, temporary_settings

    env = {**os.environ, "PREFECT_API_URL": prefect_server, "PREFECT_LOGGING_LEVEL": "WARNING"}
    served = subprocess.Popen(
        [sys.executable, "-m", "clusterobs.flows.deployments"], env=env, cwd=PROJECT_ROOT,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        with temporary_settings(updates={PREFECT_API_URL: prefect_server}):

            def deployment(name: str):
                with get_client(sync_client=True) as client:
                    return client.read_deployment_by_name(name)

            monthly = wait_until(
                lambda: deployment("clusterobs-refresh/monthly-full-refresh"), 90, "deployment"
            )
            daily = wait_until(  # serve registers the deployments one after the other
                lambda: deployment("clusterobs-update-check/daily-update-check"), 90, "deployment"
            )
            assert [s.schedule.cron for s in monthly.schedules] == [MONTHLY]
            assert [s.schedule.cron for s in daily.schedules] == [DAILY]
            out = tmp_path / "out"
            run = run_deployment(
                "clusterobs-refresh/monthly-full-refresh",
                parameters={"source": "demo", "output_dir": str(out)},
                timeout=600,
            )
            with get_client(sync_client=True) as client:
                flow_runs = [f for f in client.read_flow_runs() if not f.state.is_scheduled()]
                flow_names = {f.id: f.name for f in client.read_flows()}
        assert run.state.is_completed(), run.state
        # The pipeline composes one flow per stage (the server is this test's own: the only runs not
        # merely scheduled are this one's).
        ran = Counter(flow_names[f.flow_id] for f in flow_runs)
        assert ran == {"clusterobs-refresh": 1, "clusterobs-pipeline": 1, "clusterobs-ingest": 1,
                       "clusterobs-build": 2, "clusterobs-validate": 2, "clusterobs-export": 1}  # fmt: skip
        assert all(f.state.is_completed() for f in flow_runs)
        assert (
            sum(f.parent_task_run_id is None for f in flow_runs) == 1
        )  # all but the refresh are subflows
        assert (out / "current").is_symlink()
        assert (out / "parquet" / "_manifest.json").is_file()
    finally:
        served.terminate()
        served.wait(timeout=30)


def test_update_check_finds_datasets_updated_since_the_published_run(tmp_path):
    with FakeEurostat() as server:
        server.serve_demo({})
        api = EurostatApi(sdmx_base_url=server.url, statistics_base_url=server.url, retries=0)
        settings = Settings(output_dir=tmp_path / "nothing-published", eurostat=api)
        changed = updated_datasets(settings, load_registry(settings.registry_path))
    assert "sbs_r_nuts06_r2" in changed and "sbs_r_nuts2021" in changed  # nothing loaded yet
