"""The Prefect API a command runs its flows against.

With PREFECT_API_URL set (a served deployment, a user's `prefect server start`), that one. Otherwise a
temporary local server, started here rather than by Prefect: the same uvicorn app Prefect's ephemeral
mode runs, but its process is bound to this one (Linux PR_SET_PDEATHSIG), so when the command dies, even
by SIGKILL or the OOM killer, the kernel kills the server too instead of leaving it running under PID 1.
"""

from __future__ import annotations

import ctypes
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

PR_SET_PDEATHSIG = 1  # <linux/prctl.h>
HEALTH_POLL_SECONDS = 0.2


class ApiStartError(RuntimeError):
    """The temporary Prefect API did not become healthy in time."""


def _die_with_parent() -> None:
    """In the child, before exec: ask the kernel for SIGKILL when the parent dies."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def server_command(port: int) -> list[str]:
    """The command of Prefect's temporary server (prefect.server.api.server.SubprocessASGIServer)."""
    import prefect

    return [
        sys.executable, "-m", "uvicorn",
        "--app-dir", str(Path(prefect.__file__).parent.parent),
        "--factory", "prefect.server.api.server:create_app",
        "--host", "127.0.0.1", "--port", str(port),
        "--log-level", "error", "--lifespan", "on",
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
def prefect_api(timeout_seconds: float) -> Iterator[str]:
    """The URL of the Prefect API this command's flows run against (see the module docstring); a
    temporary server started here is stopped when the block ends."""
    from prefect.settings import PREFECT_API_URL, temporary_settings

    if PREFECT_API_URL.value():
        yield PREFECT_API_URL.value()
        return
    try:
        process, url = start_server(timeout_seconds)
    except ApiStartError:  # a machine busy at the wrong moment: once more
        process, url = start_server(timeout_seconds)
    try:
        with temporary_settings(updates={PREFECT_API_URL: url}):
            try:
                yield url
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
