"""The progress events and what the live display makes of them; the console formatter without tracebacks."""

from __future__ import annotations

import logging

from clusterobs import progress
from clusterobs.progress import Event, RunProgress, WithoutTraceback


def test_the_display_folds_a_runs_events_into_one_line_per_stage():
    shown = RunProgress("clusterobs run")
    events = [
        Event("run", "r1", detail="/out/runs/r1.partial"),
        Event("stage", "ingest"),
        Event("dataset", "sbs_r_nuts06_r2", done=600),
        Event("dataset", "nama_10r_2gdp", done=40),
        Event("stage", "build"),
        Event("model", "staging.a", done=1, total=2),
        Event("model", "staging.b", done=2, total=2),
        Event("model", "marts.c", done=1, total=3),  # a second build call adds its models
        Event("suite", "staging_sbs", done=9, total=10, detail="staging"),
    ]
    for event in events:
        shown.update(event)
    assert shown.run_id == "r1"
    assert shown.lines() == [
        "✓ ingest   2 datasets loaded, 640 observations",
        "> build    models built 3/5: marts.c",
        "  validate 1 suites, 10 expectations, 1 not met",
        "  export   ",
        "  publish  ",
    ]
    ingest = RunProgress("clusterobs ingest", stages=("ingest", "publish"))
    ingest.update(Event("stage", "ingest"))
    ingest.update(Event("dataset", "nama_10r_2gdp", done=4))
    assert ingest.lines() == ["> ingest   1 dataset loaded, 4 observations", "  publish  "]


def test_a_failing_listener_never_reaches_the_run():
    seen = []

    def broken(event):
        raise RuntimeError("display gone")

    with progress.listening(broken), progress.listening(seen.append):
        progress.emit("stage", "build")
    progress.emit("stage", "export")  # after the block: nobody listens
    assert [e.name for e in seen] == ["build"]
    assert progress.LISTENERS == []


def test_console_lines_leave_the_traceback_to_the_log():
    try:
        raise ValueError("bad cell")
    except ValueError:
        record = logging.LogRecord("prefect.task_runs", logging.ERROR, __file__, 1, "failed: %s",
                                   ("x",), exc_info=__import__("sys").exc_info())  # fmt: skip
    console = WithoutTraceback(logging.Formatter("%(levelname)s %(message)s"))
    assert console.format(record) == "ERROR failed: x"
    full = logging.Formatter("%(message)s").format(
        record
    )  # the run log's handler, after the console
    assert "Traceback (most recent call last)" in full and "ValueError: bad cell" in full
