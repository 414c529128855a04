"""The Prefect API a command runs its flows against, and the reused local server.

In order: PREFECT_API_URL when set (a served deployment, Prefect Cloud, a user's own server); else the
local server `clusterobs server start` keeps running (its state file in Prefect's home says where, and it
answers its health check); else a temporary local server for this one command. The temporary server is
started here rather than by Prefect: the same uvicorn app Prefect's ephemeral mode runs, but its process is
bound to this one (Linux PR_SET_PDEATHSIG), so when the command dies, even by SIGKILL or the OOM killer,
the kernel kills the server too instead of leaving it running under PID 1. Finding the reused server
imports nothing of Prefect.
"""

from __future__ import annotations

import ctypes
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

PR_SET_PDEATHSIG = 1  # <linux/prctl.h>
HEALTH_POLL_SECONDS = 0.2


STATE_FILE = "clusterobs-server.json"  # in Prefect's home: the reused server's URL, pid and log
SERVER_LOG = "clusterobs-server.log"
PREFECT_PID_FILE = "server.pid"  # Prefect's own: `prefect server stop` stops our server too
DEFAULT_PORT = 4200  # Prefect's


class ApiStartError(RuntimeError):
    """A Prefect API server did not become healthy in time."""


@dataclass(frozen=True)
class ApiInUse:
    """The API a command's flows report to: `kind` is configured (PREFECT_API_URL), local (the reused
    server) or temporary (started for this command)."""

    kind: str
    url: str

    @property
    def ui(self) -> str:
        return self.url.removesuffix("/api")

    def line(self) -> str:
        """One line for the terminal: which API, and for the temporary one how to have a faster one."""
        if self.kind == "temporary":
            return (
                "Prefect: a temporary API for this command (`clusterobs server start` keeps one "
                "running: faster commands, and every run in the Prefect UI)"
            )
        if self.kind == "local":
            return f"Prefect: the local server, runs in its UI at {self.ui}/runs"
        return f"Prefect: PREFECT_API_URL {self.url}"


def prefect_home() -> Path:
    """Prefect's home (PREFECT_HOME, default ~/.prefect), read without importing Prefect."""
    return Path(os.environ.get("PREFECT_HOME") or "~/.prefect").expanduser().resolve()


def healthy(url: str, timeout: float = 2.0) -> bool:
    """Whether the API at `url` answers its health check (urllib: no Prefect, no httpx import)."""
    import urllib.request

    try:
        with urllib.request.urlopen(f"{url}/health", timeout=timeout) as response:
            return response.status == 200
    except (OSError, ValueError):
        return False


def server_state(home: Path | None = None) -> dict | None:
    """The reused server's recorded state (url, ui, pid, port, log, started_at), or None."""
    path = (home or prefect_home()) / STATE_FILE
    try:
        state = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return state if isinstance(state, dict) and {"url", "pid"} <= state.keys() else None


def running_server(home: Path | None = None) -> str | None:
    """The URL of the reused local server when it is up and healthy, else None."""
    state = server_state(home)
    if state is None or not _alive(state["pid"]):
        return None
    return state["url"] if healthy(state["url"]) else None


def _alive(pid: int) -> bool:
    try:
        os.kill(int(pid), 0)
    except (OSError, ValueError):
        return False
    return True


def _is_prefect_server(pid: int) -> bool:
    """Whether process `pid` is a Prefect API server (not a recycled pid of another program)."""
    try:
        command = Path(f"/proc/{int(pid)}/cmdline").read_bytes()
    except (OSError, ValueError):
        return sys.platform != "linux" and _alive(pid)
    return b"prefect.server.api.server:create_app" in command


def port_free(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def start_background_server(port: int, timeout_seconds: float) -> dict:
    """Start the reused local server (API and UI on 127.0.0.1:`port`, Prefect's home as it is), detached
    from this process; returns its state once healthy. Raises ApiStartError (nothing left running)."""
    home = prefect_home()
    home.mkdir(parents=True, exist_ok=True)
    url = f"http://127.0.0.1:{port}/api"
    log_path = home / SERVER_LOG
    env = {
        **os.environ,
        "PREFECT_HOME": str(home),
        "PREFECT_SERVER_API_HOST": "127.0.0.1",
        "PREFECT_SERVER_API_PORT": str(port),
        "PREFECT_UI_ENABLED": "1",
        "PREFECT__SERVER_FINAL": "1",
    }
    env.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    env.pop("PREFECT_API_URL", None)
    with log_path.open("ab") as log:
        process = subprocess.Popen(
            server_command(port, log_level="warning"),
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # outlives the command and its terminal
        )
    state = {
        "url": url,
        "ui": url.removesuffix("/api"),
        "pid": process.pid,
        "port": port,
        "home": str(home),
        "log": str(log_path),
        "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    deadline = time.monotonic() + timeout_seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise ApiStartError(
                f"the Prefect server exited with code {process.returncode} (its log: {log_path})"
            )
        if healthy(url):
            (home / PREFECT_PID_FILE).write_text(str(process.pid))
            (home / STATE_FILE).write_text(json.dumps(state, indent=1) + "\n", encoding="utf-8")
            return state
        time.sleep(HEALTH_POLL_SECONDS)
    stop_server(process)
    raise ApiStartError(
        f"the Prefect server was not up after {timeout_seconds:g} s (its log: {log_path})"
    )


def stop_background_server(home: Path | None = None, wait_seconds: float = 15) -> dict | None:
    """Stop the reused local server; returns the state it had (None when none was recorded)."""
    home = home or prefect_home()
    state = server_state(home)
    if state is not None and _alive(state["pid"]) and _is_prefect_server(state["pid"]):
        pid = int(state["pid"])
        os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + wait_seconds
        while _alive(pid) and not _reaped(pid) and time.monotonic() < deadline:
            time.sleep(HEALTH_POLL_SECONDS)
        if _alive(pid) and not _reaped(pid):
            os.kill(pid, signal.SIGKILL)
    for name in (STATE_FILE, PREFECT_PID_FILE):
        (home / name).unlink(missing_ok=True)
    return state


def _reaped(pid: int) -> bool:
    """Collect `pid` if it is a child of this process that has exited (a test starting and stopping the
    server in one process); True when it was."""
    try:
        return os.waitpid(pid, os.WNOHANG)[0] == pid
    except ChildProcessError:
        return False


def _die_with_parent() -> None:
    """In the child, before exec: ask the kernel for SIGKILL when the parent dies."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def server_command(port: int, log_level: str = "error") -> list[str]:
    """The command of Prefect's server (prefect.server.api.server.SubprocessASGIServer; what
    `prefect server start --background` runs)."""
    import prefect

    return [
        sys.executable, "-m", "uvicorn",
        "--app-dir", str(Path(prefect.__file__).parent.parent),
        "--factory", "prefect.server.api.server:create_app",
        "--host", "127.0.0.1", "--port", str(port),
        "--log-level", log_level, "--lifespan", "on",
    ]  # fmt: skip


def start_server(timeout_seconds: float) -> tuple[subprocess.Popen, str]:
    """Start a temporary local Prefect API bound to this process; returns it and its URL once healthy.
    Raises ApiStartError when it is not healthy within `timeout_seconds`."""
    import httpx
    from prefect.settings import get_current_settings

    port = _free_port()
    env = {
        **os.environ,
        **get_current_settings().to_environment_variables(exclude_unset=True),
        "PREFECT_UI_ENABLED": "0",
        "PREFECT__SERVER_EPHEMERAL": "1",
        "PREFECT__SERVER_FINAL": "1",
    }
    env.pop("PREFECT_API_URL", None)
    process = subprocess.Popen(
        server_command(port),
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        preexec_fn=_die_with_parent if sys.platform == "linux" else None,
    )
    url = f"http://127.0.0.1:{port}/api"
    deadline = time.monotonic() + timeout_seconds
    with httpx.Client(timeout=5) as client:
        while time.monotonic() < deadline:
            if process.poll() is not None:
                error = process.stderr.read().decode(errors="replace").strip().splitlines()
                raise ApiStartError(
                    f"the temporary Prefect API exited with code {process.returncode}"
                    + (f": {error[-1]}" if error else "")
                )
            try:
                if client.get(f"{url}/health").status_code == 200:
                    return process, url
            except httpx.HTTPError:
                pass
            time.sleep(HEALTH_POLL_SECONDS)
    stop_server(process)
    raise ApiStartError(f"the temporary Prefect API was not up after {timeout_seconds:g} s")


def stop_server(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@contextmanager
def prefect_api(
    timeout_seconds: float,
    while_starting: Callable[[], None] | None = None,
    heartbeat_seconds: int | None = None,
) -> Iterator[ApiInUse]:
    """The Prefect API this command's flows run against (see the module docstring); a temporary server
    started here is stopped when the block ends. `while_starting` is called just before a temporary
    server is started (work to overlap with its start-up). `heartbeat_seconds`: Prefect's flow-run
    heartbeat interval for the command's flows; None turns heartbeats off (Prefect 3.9 then no longer
    waits up to a second for its heartbeat thread at the end of every flow and subflow run)."""
    from prefect.settings import (
        PREFECT_API_URL,
        PREFECT_FLOWS_HEARTBEAT_FREQUENCY,
        temporary_settings,
    )

    heartbeat = {PREFECT_FLOWS_HEARTBEAT_FREQUENCY: heartbeat_seconds}
    if PREFECT_API_URL.value():
        with temporary_settings(updates=heartbeat):
            yield ApiInUse("configured", PREFECT_API_URL.value())
        return
    local = running_server()
    if local is not None:
        with temporary_settings(updates={PREFECT_API_URL: local, **heartbeat}):
            try:
                yield ApiInUse("local", local)
            finally:
                drain_to_api()
        return
    if while_starting is not None:
        while_starting()
    try:
        process, url = start_server(timeout_seconds)
    except ApiStartError:  # a machine busy at the wrong moment: once more
        process, url = start_server(timeout_seconds)
    try:
        with temporary_settings(updates={PREFECT_API_URL: url, **heartbeat}):
            try:
                yield ApiInUse("temporary", url)
            finally:
                drain_to_api()
    finally:
        stop_server(process)


def drain_to_api() -> None:
    """Send the log lines and events Prefect still holds to the API before it goes away."""
    from prefect.events.worker import EventsWorker
    from prefect.logging.handlers import APILogWorker

    for worker in (APILogWorker, EventsWorker):
        worker.drain_all(timeout=10)
