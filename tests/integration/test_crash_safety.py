"""Crash safety: `clusterobs run` killed with SIGKILL at every stage (clusterobs.failpoints) leaves the
published warehouse and Parquet exactly as the last successful run left them, and the next run recovers
with no manual step and gives the same outputs."""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from clusterobs.settings import PROJECT_ROOT

from ..conftest import DEMO_DIR
from ..eurostat_server import FakeEurostat
from .run_outputs import all_exports

pytestmark = pytest.mark.integration

FAILPOINTS = [
    "load",
    "build:intermediate.int_cluster_region_year__mapped",
    "validate:staging",
    "validate:marts",
    "export",
    "publish",
]


def published_state(out: Path) -> dict[str, str]:
    """Where `current` points, and the SHA-256 of every file of the published run."""
    current = (out / "current").resolve()
    state = {"current": current.name}
    for path in sorted(current.rglob("*")):
        if path.is_file():
            state[str(path.relative_to(current))] = hashlib.sha256(path.read_bytes()).hexdigest()
    return state


def clusterobs_run(out: Path, api_url: str, **env: str) -> subprocess.CompletedProcess:
    """`clusterobs run` in its own process against the test session's Prefect API."""
    return subprocess.run(
        [sys.executable, "-m", "clusterobs.cli", "run", "--source", env.pop("source", "demo"),
         "--output-dir", str(out)],
        env={**os.environ, "PREFECT_API_URL": api_url, "PREFECT_LOGGING_LEVEL": "WARNING", **env},
        capture_output=True, text=True, timeout=600, cwd=PROJECT_ROOT,
    )  # fmt: skip


@pytest.fixture(scope="module")
def api_url(prefect_api):
    from prefect.settings import PREFECT_API_URL

    return PREFECT_API_URL.value()


def test_a_run_killed_at_any_stage_changes_nothing_and_the_next_run_recovers(api_url, tmp_path):
    out = tmp_path / "out"
    first = clusterobs_run(out, api_url)
    assert first.returncode == 0, first.stderr[-3000:]
    before = published_state(out)
    parquet_before = all_exports(out / "parquet")
    assert len(before) > 20 and len(parquet_before) >= 12

    # The same extracts would be skipped as unchanged: re-compress one so that it is loaded again.
    changed = tmp_path / "changed"
    shutil.copytree(DEMO_DIR, changed)
    ebs = changed / "sbs_r_nuts2021.tsv.gz"
    ebs.write_bytes(gzip.compress(gzip.decompress(ebs.read_bytes()), compresslevel=1))

    for point in FAILPOINTS:
        source = str(changed) if point == "load" else "demo"
        killed = clusterobs_run(out, api_url, source=source, CLUSTEROBS_FAILPOINT=point)
        assert killed.returncode == -signal.SIGKILL, (point, killed.stderr[-3000:])
        assert published_state(out) == before, point

    # Killed during a download from the (local) Eurostat API: nothing landed half-written either.
    with FakeEurostat() as server:
        server.serve_demo({})
        killed = clusterobs_run(
            out,
            api_url,
            source="eurostat",
            CLUSTEROBS_FAILPOINT="download",
            CLUSTEROBS_EUROSTAT__SDMX_BASE_URL=server.url,
            CLUSTEROBS_EUROSTAT__STATISTICS_BASE_URL=server.url,
            CLUSTEROBS_COUNTRIES=json.dumps(["AT"]),
        )
    assert killed.returncode == -signal.SIGKILL, killed.stderr[-3000:]
    assert published_state(out) == before
    assert list((out / "landing").glob(".download-*")), "the download was not interrupted"

    # The next run needs no manual step: stale work folders and downloads are cleared, same outputs.
    assert list((out / "runs").glob("*.partial"))
    again = clusterobs_run(out, api_url)
    assert again.returncode == 0, again.stderr[-3000:]
    assert not list((out / "runs").glob("*.partial"))
    assert not list((out / "landing").glob(".download-*"))
    assert published_state(out)["current"] != before["current"]
    parquet_after = all_exports(out / "parquet")
    assert parquet_after.keys() == parquet_before.keys()
    for name, frame in parquet_before.items():
        assert parquet_after[name].equals(frame), name


def test_two_runs_at_once_one_is_refused_and_nothing_is_corrupted(api_url, tmp_path):
    out = tmp_path / "out"
    env = {**os.environ, "PREFECT_API_URL": api_url, "PREFECT_LOGGING_LEVEL": "WARNING"}
    command = [sys.executable, "-m", "clusterobs.cli", "run", "--output-dir", str(out)]
    runs = [
        subprocess.Popen(
            command,
            env=env,
            cwd=PROJECT_ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    results = [(run.wait(timeout=600), run.stderr.read()) for run in runs]
    assert sorted(code for code, _ in results) == [0, 1]
    refused = next(err for code, err in results if code == 1)
    assert "another clusterobs run is writing" in refused
    state = published_state(out)
    assert len(list((out / "runs").iterdir())) == 1  # the refused run created nothing
    marts = {name: frame.height for name, frame in all_exports(out / "parquet").items()}
    assert len(marts) >= 12 and all(rows > 0 for rows in marts.values())
    assert state["current"] == next((out / "runs").iterdir()).name


def children_of(pid: int) -> dict[int, str]:
    """{pid: command line} of the processes whose parent is `pid` (from /proc)."""
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            if int(fields[1]) == pid:
                found[int(entry.name)] = (
                    (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
                )
        except (OSError, IndexError, ValueError):
            continue
    return found


def alive(pid: int) -> bool:
    try:
        state = (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.mark.skipif(sys.platform != "linux", reason="PR_SET_PDEATHSIG is Linux's")
def test_the_temporary_api_server_dies_with_a_killed_command(tmp_path):
    """A `clusterobs run` killed by SIGKILL (the OOM killer's way) leaves no Prefect server behind."""
    env = {key: value for key, value in os.environ.items() if key != "PREFECT_API_URL"}
    env |= {"PREFECT_HOME": str(tmp_path / "prefect"), "PREFECT_LOGGING_LEVEL": "WARNING"}
    command = [sys.executable, "-m", "clusterobs.cli", "run", "--output-dir", str(tmp_path / "out")]
    run = subprocess.Popen(command, env=env, cwd=PROJECT_ROOT, stderr=subprocess.PIPE)
    server = None
    deadline = time.monotonic() + 300
    while server is None and time.monotonic() < deadline and run.poll() is None:
        server = next((pid for pid, cmd in children_of(run.pid).items() if "uvicorn" in cmd), None)
        time.sleep(0.2)
    assert server is not None, "the command started no API server"
    os.kill(run.pid, signal.SIGKILL)
    run.wait(timeout=30)
    deadline = time.monotonic() + 30
    while alive(server) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not alive(server), "the API server outlived the command that started it"


def test_a_second_run_is_refused_before_prefect_starts(tmp_path):
    """The writer lock is taken before anything of Prefect: with the lock held, a second command is refused
    at once, even with an API address that answers nothing (it never gets that far)."""
    from clusterobs import publish

    out = tmp_path / "out"
    env = {
        **os.environ,
        "PREFECT_API_URL": "http://127.0.0.1:9/api",
        "PREFECT_LOGGING_LEVEL": "WARNING",
    }
    with publish.run_lock(out, 0, "clusterobs run"):
        for args in (["run"], ["ingest", str(DEMO_DIR / "nama_10r_2gdp.tsv.gz")]):
            done = subprocess.run(
                [sys.executable, "-m", "clusterobs.cli", *args, "--output-dir", str(out)],
                env=env, cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=120,
            )  # fmt: skip
            assert done.returncode == 1
            lines = [line for line in done.stderr.splitlines() if line.strip()]
            assert len(lines) == 1 and "another clusterobs run is writing" in lines[0], done.stderr
    assert not (out / "runs").exists()
