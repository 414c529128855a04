"""Starting commands: the Prefect API a command uses (a slow start retried, the reused local server, the
temporary fallback), and what the terminal shows (a live display on a terminal, one line on failure with
the log's path, tracebacks only with --verbose).

Each command runs as a real subprocess with its own PREFECT_HOME, so nothing here depends on (or leaves
behind) a server of the test session or of the developer.
"""

from __future__ import annotations

import json
import os
import pty
import re
import select
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from clusterobs import api_server
from clusterobs.settings import PROJECT_ROOT

pytestmark = pytest.mark.integration

TSV = "freq,unit,geo\\TIME_PERIOD\t2019 \t2020 \nA,MIO_EUR,AT\t10 \t11 p\nA,MIO_EUR,BE\t20 \t:\n"
BAD_TSV = "freq,unit,geo\\TIME_PERIOD\t2019 \t2020 \nA,MIO_EUR,AT\t10 \tabc\n"

# The real CLI in a fresh interpreter, with Prefect's server command wrapped: the server process first
# sleeps SLOW_SECONDS (a machine too busy to start it in time), for the first SLOW_STARTS starts.
SLOW_CLI = """
import os, sys
from pathlib import Path
from clusterobs import api_server
real = api_server.server_command
counter = Path(os.environ["SLOW_COUNTER"])

def slow_command(port, **kw):
    started = int(counter.read_text()) if counter.exists() else 0
    counter.write_text(str(started + 1))
    pause = float(os.environ["SLOW_SECONDS"]) if started < int(os.environ["SLOW_STARTS"]) else 0
    command = real(port, **kw)
    wrapper = "import os, sys, time; time.sleep(float(sys.argv[1])); os.execv(sys.executable, [sys.executable] + sys.argv[2:])"
    return [sys.executable, "-c", wrapper, str(pause), *command[1:]]

api_server.server_command = slow_command
from clusterobs.cli import main
sys.argv = ["clusterobs", *sys.argv[1:]]
main()
"""


def env_without_api(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "PREFECT_API_URL"}
    return env | {"PREFECT_HOME": str(tmp_path / "prefect-home"), **extra}


def cli(*args: str, env: dict[str, str], timeout: float = 600) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "clusterobs.cli", *args],
        env=env, cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=timeout,
    )  # fmt: skip


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.strip()]


def ingest_with_slow_starts(tmp_path: Path, slow_starts: int, timeout: str):
    """`clusterobs ingest` of a small file whose first `slow_starts` API servers sleep an hour first."""
    tsv = tmp_path / "nama_10r_2gdp.tsv"
    tsv.write_text(TSV)
    env = env_without_api(
        tmp_path,
        SLOW_COUNTER=str(tmp_path / "starts"), SLOW_SECONDS="3600", SLOW_STARTS=str(slow_starts),
        CLUSTEROBS_PREFECT_STARTUP_TIMEOUT_SECONDS=timeout,
    )  # fmt: skip
    return subprocess.run(
        [sys.executable, "-c", SLOW_CLI, "ingest", str(tsv), "--output-dir", str(tmp_path / "out")],
        env=env, cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=600,
    )  # fmt: skip


def test_a_slow_api_start_is_retried_once_then_the_command_runs(tmp_path):
    """The first server does not answer within the start-up timeout (it sleeps first): the command stops
    it, starts another, and ingests."""
    done = ingest_with_slow_starts(tmp_path, slow_starts=1, timeout="60")
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "starts").read_text() == "2"
    assert "temporary API" in done.stderr
    assert (tmp_path / "out" / "current" / "clusterobs.duckdb").is_file()


def test_a_server_that_never_starts_is_one_line_saying_what_to_do(tmp_path):
    done = ingest_with_slow_starts(tmp_path, slow_starts=9, timeout="2")
    assert done.returncode == 1
    assert (tmp_path / "starts").read_text() == "2"  # tried twice
    error = lines(done.stderr)[-1]
    assert error.startswith("error: the temporary Prefect API was not up after 2 s"), done.stderr
    assert (
        "CLUSTEROBS_PREFECT_STARTUP_TIMEOUT_SECONDS" in error and "clusterobs server start" in error
    )
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "out" / "current").exists()


def test_the_local_server_is_reused_and_stopped(tmp_path):
    """`clusterobs server start` runs Prefect's API and UI on 127.0.0.1; a command uses it (its flow runs
    are in that server's database); once stopped, commands fall back to a temporary API and say so."""
    import httpx

    env = env_without_api(tmp_path)
    port = free_port()
    tsv = tmp_path / "nama_10r_2gdp.tsv"
    tsv.write_text(TSV)
    home = Path(env["PREFECT_HOME"])
    try:
        assert cli("server", "status", env=env).returncode == 1
        started = cli("server", "start", "--port", str(port), env=env)
        assert started.returncode == 0, started.stderr
        state = json.loads((home / api_server.STATE_FILE).read_text())
        assert state["url"] == f"http://127.0.0.1:{port}/api"
        assert (home / "server.pid").read_text() == str(
            state["pid"]
        )  # `prefect server stop` works too
        status = cli("server", "status", env=env)
        assert status.returncode == 0 and f"127.0.0.1:{port}" in status.stderr
        assert httpx.get(state["ui"], timeout=30).status_code == 200  # the UI is served
        again = cli("server", "start", "--port", str(port), env=env)
        assert again.returncode == 0 and "already running" in again.stderr

        reused = cli("ingest", str(tsv), "--output-dir", str(tmp_path / "out"), env=env)
        assert reused.returncode == 0, reused.stderr
        assert f"the local server, runs in its UI at http://127.0.0.1:{port}/runs" in reused.stderr
        runs = httpx.post(f"{state['url']}/flow_runs/filter", json={}, timeout=30).json()
        flows = httpx.post(f"{state['url']}/flows/filter", json={}, timeout=30).json()
        names = {f["id"]: f["name"] for f in flows}
        assert {names[r["flow_id"]] for r in runs} >= {"clusterobs-ingest-files"}
        assert {r["state_type"] for r in runs} == {"COMPLETED"}
    finally:
        stopped = cli("server", "stop", env=env)
    assert stopped.returncode == 0 and "stopped" in stopped.stderr
    assert not api_server._alive(state["pid"]) or not api_server._is_prefect_server(state["pid"])
    assert not (home / api_server.STATE_FILE).exists()
    assert cli("server", "status", env=env).returncode == 1

    fallback = cli("ingest", str(tsv), "--output-dir", str(tmp_path / "out2"), env=env)
    assert fallback.returncode == 0, fallback.stderr
    assert "a temporary API for this command (`clusterobs server start`" in fallback.stderr


def test_a_recorded_server_that_died_is_not_used(tmp_path):
    """A state file whose server is gone (killed, machine restarted): commands use a temporary API."""
    env = env_without_api(tmp_path)
    home = Path(env["PREFECT_HOME"])
    home.mkdir()
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    state = {"url": f"http://127.0.0.1:{free_port()}/api", "ui": "-", "pid": dead.pid}
    (home / api_server.STATE_FILE).write_text(json.dumps(state))
    assert api_server.running_server(home) is None
    status = cli("server", "status", env=env)
    assert status.returncode == 1 and "not answering" in status.stderr
    assert cli("server", "stop", env=env).returncode == 0
    assert not (home / api_server.STATE_FILE).exists()


def test_a_failure_is_one_line_naming_the_log_and_verbose_shows_the_traceback(
    prefect_api, tmp_path
):
    from prefect.settings import PREFECT_API_URL

    env = {
        **os.environ,
        "PREFECT_API_URL": PREFECT_API_URL.value(),
        "PREFECT_LOGGING_LEVEL": "INFO",
    }
    bad = tmp_path / "nama_10r_2gdp.tsv"
    bad.write_text(BAD_TSV)
    out = tmp_path / "out"
    done = cli("ingest", str(bad), "--output-dir", str(out), env=env)
    assert done.returncode == 1
    assert "Traceback" not in done.stderr  # Prefect's log lines stay, their tracebacks do not
    verdict = lines(done.stderr)[-1]
    assert verdict.startswith("ingest failed, nothing was loaded: ")
    assert "non-numeric value 'abc'" in verdict
    log = Path(re.search(r"log with the traceback: (\S+run\.log)\)", verdict).group(1))
    assert log.parent.name.endswith(".failed") and log.parent.parent == out / "runs"
    text = log.read_text()
    assert "Traceback (most recent call last)" in text and "non-numeric value 'abc'" in text
    assert "clusterobs-ingest" in text  # Prefect's own log lines of the flow are there too

    verbose = cli("ingest", str(bad), "--output-dir", str(out), "--verbose", env=env)
    assert verbose.returncode == 1 and "Traceback (most recent call last)" in verbose.stderr


def test_bad_input_is_refused_before_prefect_starts(tmp_path):
    """Empty files, HTML pages and unknown formats: exit 2 in about a second, with an API address that
    answers nothing (Prefect is never reached)."""
    env = {**os.environ, "PREFECT_API_URL": "http://127.0.0.1:9/api"}
    cases = {
        "empty.tsv": ("", "empty file"),
        "page.tsv": ("<!DOCTYPE html><html><title>Sign in</title></html>", "an HTML page"),
        "notes.tsv": ("just some words\n", "unrecognised format"),
    }
    for name, (text, expected) in cases.items():
        path = tmp_path / name
        path.write_text(text)
        started = time.monotonic()
        done = cli("ingest", str(path), "--output-dir", str(tmp_path / "out"), env=env)
        assert done.returncode == 2, done.stderr
        assert lines(done.stderr) == [lines(done.stderr)[0]] and expected in done.stderr
        assert str(path) in done.stderr
        assert time.monotonic() - started < 60
    folder = tmp_path / "source"
    folder.mkdir()
    (folder / "nama_10r_2gdp.tsv").write_text("")
    run = cli("run", "--source", str(folder), "--output-dir", str(tmp_path / "out"), env=env)
    assert run.returncode == 2 and "empty file" in run.stderr and "nama_10r_2gdp.tsv" in run.stderr
    assert not (tmp_path / "out" / "runs").exists()


def test_the_read_commands_import_no_prefect_gx_polars_or_pyarrow(tmp_path):
    """query, dictionary, report and --help load neither Prefect nor Great Expectations, nor Polars or
    pyarrow (query --format parquet aside, which needs them)."""
    from clusterobs import publish

    out = tmp_path / "out"
    run_folder = out / "runs" / "r1"
    run_folder.mkdir(parents=True)
    import duckdb

    with duckdb.connect(str(run_folder / publish.WAREHOUSE_FILE)) as con:
        con.execute("create schema marts; create table marts.t as select 1 as n, 'a' as s")
    (out / "current").symlink_to(Path("runs") / "r1")
    probe = """
import json, sys
from clusterobs.cli import app
code = 0
try:
    app(sys.argv[1:], prog_name="clusterobs")
except SystemExit as exit:
    code = exit.code
heavy = {"prefect", "great_expectations", "polars", "pyarrow", "pandas"}
print(json.dumps({"code": code, "heavy": sorted(heavy & {m.split(".")[0] for m in sys.modules})}), file=sys.stderr)
"""
    for args in (
        ["query", "select n, s from marts.t", "--output-dir", str(out)],
        ["query", "select n, s from marts.t", "--format", "csv", "--output-dir", str(out)],
        ["query", "select n, s from marts.t", "--format", "json", "--output-dir", str(out)],
        ["--help"],
        ["validate", "--help"],
        ["run", "--help"],
        ["server", "status"],
    ):
        done = subprocess.run(
            [sys.executable, "-c", probe, *args],
            env={**os.environ, "PREFECT_HOME": str(tmp_path / "home")},
            cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=120,
        )  # fmt: skip
        found = json.loads(done.stderr.strip().splitlines()[-1])
        assert found["heavy"] == [], (args, found)
    csv_out = cli("query", "select n, s from marts.t", "--format", "csv", "--output-dir", str(out),
                  env=dict(os.environ))  # fmt: skip
    assert csv_out.stdout == "n,s\n1,a\n"
    json_out = cli("query", "select n, s from marts.t", "--format", "json", "--output-dir", str(out),
                   env=dict(os.environ))  # fmt: skip
    assert json.loads(json_out.stdout) == [{"n": 1, "s": "a"}]


def read_terminal(fd: int, process: subprocess.Popen, timeout: float) -> str:
    """Everything a process writes to the pseudo-terminal `fd` until it exits."""
    chunks = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.5)
        if ready:
            try:
                data = os.read(fd, 65536)
            except OSError:  # the other side closed
                break
            if not data:
                break
            chunks.append(data)
        elif process.poll() is not None:
            break
    else:
        process.send_signal(signal.SIGKILL)
    return b"".join(chunks).decode("utf-8", errors="replace")


@pytest.mark.skipif(sys.platform != "linux", reason="pseudo-terminal")
def test_a_terminal_gets_a_live_display_and_no_log_lines(prefect_api, tmp_path):
    from prefect.settings import PREFECT_API_URL

    tsv = tmp_path / "nama_10r_2gdp.tsv"
    tsv.write_text(TSV)
    primary, secondary = pty.openpty()
    env = {**os.environ, "PREFECT_API_URL": PREFECT_API_URL.value(), "PREFECT_LOGGING_LEVEL": "INFO",
           "COLUMNS": "120", "TERM": "xterm"}  # fmt: skip
    env.pop("CI", None)
    process = subprocess.Popen(
        [sys.executable, "-m", "clusterobs.cli", "ingest", str(tsv), "--output-dir", str(tmp_path / "out")],
        env=env, cwd=PROJECT_ROOT, stdin=secondary, stdout=secondary, stderr=secondary,
    )  # fmt: skip
    os.close(secondary)
    try:
        shown = read_terminal(primary, process, timeout=300)
    finally:
        os.close(primary)
    assert process.wait(timeout=60) == 0, shown
    plain = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", shown)
    assert "1 dataset loaded, 4 observations" in plain  # the display, from the run's events
    assert "clusterobs ingest (" in plain
    assert "Flow run" not in plain and "Task run" not in plain  # no Prefect log lines on a terminal
    assert "Ingested into" in plain  # the final table
