"""How a command that runs a flow (run, ingest) shows it and guards it: the output mode (a live display,
log lines or a spinner), the output folder's writer lock, this command's Prefect API, and a failure as
one line and an exit code."""

from __future__ import annotations

import contextlib
import json
import os
import time
from pathlib import Path

import typer
from rich.markup import escape

from clusterobs.cli.common import console

VERBOSE = typer.Option(
    "--verbose",
    "-v",
    help="print Prefect's log lines live, tracebacks included (default on a terminal: a live progress display)",
)


def output_mode(quiet: bool, verbose: bool) -> str:
    """quiet (--quiet/--json), verbose (--verbose), live (a terminal) or plain (log lines); sets Prefect's
    console logging to match before Prefect is imported."""
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    if quiet:
        mode = "quiet"
    elif verbose:
        mode = "verbose"
    elif console.is_terminal:
        mode = "live"
    else:
        mode = "plain"
    level = {"quiet": "WARNING", "live": "CRITICAL"}.get(mode)
    if level:
        for handler in ("", "_FLOW_RUNS", "_TASK_RUNS"):
            os.environ.setdefault(f"PREFECT_LOGGING_HANDLERS_CONSOLE{handler}_LEVEL", level)
        os.environ.setdefault("DASK_LOGGING__DISTRIBUTED", "warning")
    return mode


@contextlib.contextmanager
def writer_lock(settings, command: str):
    """The output folder's writer lock, taken before Prefect starts: a second run is refused at once
    (exit 1, one line naming the holder) and creates nothing."""
    from clusterobs import publish

    try:
        with publish.run_lock(settings.output_path, settings.run_lock_timeout_seconds, command):
            yield
    except (
        publish.RunLockedError
    ) as exc:  # raised only when the lock is taken: the body never locks
        console.print(f"[red]error:[/red] {escape(str(exc))}", soft_wrap=True)
        raise typer.Exit(1) from None


@contextlib.contextmanager
def command_api(settings, mode: str = "plain", while_starting=None):
    """The Prefect API of this command (clusterobs.api_server): PREFECT_API_URL, the reused local server,
    or a temporary one that dies with the command (said in one line, with the hint, unless quiet); a
    server that does not start is one line and exit 1."""
    from clusterobs.api_server import ApiStartError, prefect_api

    try:
        with prefect_api(
            settings.prefect_startup_timeout_seconds,
            while_starting,
            settings.prefect_heartbeat_seconds,
        ) as api:
            if mode != "quiet":
                console.print(escape(api.line()), soft_wrap=True, highlight=False)
            yield api
    except ApiStartError as exc:  # raised only while the server starts
        console.print(
            f"[red]error:[/red] {escape(str(exc))} (tried twice): set "
            "CLUSTEROBS_PREFECT_STARTUP_TIMEOUT_SECONDS higher, or start the local server once with "
            "`clusterobs server start` and run again",
            soft_wrap=True,
        )
        raise typer.Exit(1) from None


def flow_command(
    settings, mode: str, title: str, work, failed: str, stages=None, while_api_starts=None
):
    """`work()` (a flow) against this command's Prefect API, shown as `mode` says: a live display of its
    progress (a terminal), Prefect's log lines (not a terminal, or --verbose), or a spinner (--quiet).
    A failure is one line naming the run's log (which has Prefect's lines and the traceback), exit 1."""
    from clusterobs import progress

    run = {}

    def remember(event) -> None:
        if event.kind == "run":
            run["id"] = event.name

    if mode != "verbose":
        progress.console_tracebacks_off()
    if mode == "live":
        display = progress.LiveDisplay(console, title, stages or progress.STAGES)
    elif mode == "quiet":
        display = _Spinner(console)
    else:
        display = contextlib.nullcontext()
    timings = {"imports_seconds": since_process_start()}
    try:
        with progress.listening(remember), display:
            asked = time.perf_counter()
            with command_api(settings, mode, while_api_starts) as api:
                timings |= {"api": api.kind, "api_start_seconds": time.perf_counter() - asked}
                began = time.perf_counter()
                try:
                    return work()
                finally:
                    timings["flow_seconds"] = time.perf_counter() - began
    except typer.Exit:
        raise
    except KeyboardInterrupt:
        console.print(
            f"[red]interrupted:[/red] previous outputs in {escape(str(settings.output_path))} are unchanged"
        )
        raise typer.Exit(130) from None
    except Exception as exc:
        first_line = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        where = "; --verbose shows the traceback"
        if "id" in run:
            from clusterobs.publish import RUN_LOG

            log = settings.output_path / "runs" / f"{run['id']}.failed" / RUN_LOG
            if log.is_file():
                where = f"; log with the traceback: {log}"
        console.print(
            f"[red]{failed}:[/red] {escape(first_line)} (previous outputs in "
            f"{escape(str(settings.output_path))} are unchanged{escape(where)})",
            soft_wrap=True,
        )
        raise typer.Exit(1) from None
    finally:
        if settings.timings_file is not None:
            timings["until_flow_end_seconds"] = since_process_start()
            settings.timings_file.write_text(json.dumps(timings, indent=1) + "\n")


def since_process_start() -> float | None:
    """Seconds since this process started (Linux /proc), interpreter start-up and imports included."""
    try:
        stat = Path("/proc/self/stat").read_text().rsplit(")", 1)[1].split()
        uptime = float(Path("/proc/uptime").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None
    return round(uptime - int(stat[19]) / os.sysconf("SC_CLK_TCK"), 2)


class _Spinner:
    """--quiet: one status line with the stage the run is in."""

    def __init__(self, console) -> None:
        self.status = console.status("starting Prefect ...")

    def __enter__(self):
        from clusterobs import progress

        shown = self.status.__enter__()

        def stage(event) -> None:
            if event.kind == "stage":
                number = progress.STAGES.index(event.name) + 1
                shown.update(f"stage {number}/{len(progress.STAGES)}: {event.name} ...")

        self._listening = progress.listening(stage)
        self._listening.__enter__()
        return self

    def __exit__(self, *exc) -> None:
        self._listening.__exit__(*exc)
        self.status.__exit__(*exc)
