"""Run folders and the atomic swap of the published outputs."""

from __future__ import annotations

import json
import os
from contextlib import nullcontext

import pytest

from clusterobs import publish


def fake_run(output_dir, content: str):
    run = publish.start_run(output_dir)
    run.warehouse.write_text(content)
    run.parquet.mkdir()
    (run.parquet / "fct_x.parquet").write_text(content)
    return run


def test_publish_swaps_current_and_links_stable_paths(tmp_path):
    first = fake_run(tmp_path, "one")
    publish.publish(first, keep_runs=3)
    assert (tmp_path / "clusterobs.duckdb").read_text() == "one"
    assert (tmp_path / "parquet" / "fct_x.parquet").read_text() == "one"
    second = publish.start_run(tmp_path)
    publish.seed_warehouse(second)
    assert second.warehouse.read_text() == "one", (
        "a run starts from a copy of the published warehouse"
    )
    second.warehouse.write_text("two")  # the copy is writable, the published file is not
    second.parquet.mkdir()
    (second.parquet / "fct_x.parquet").write_text("two")
    assert (tmp_path / "clusterobs.duckdb").read_text() == "one", (
        "nothing is visible before publish"
    )
    publish.publish(second, keep_runs=3)
    assert (tmp_path / "clusterobs.duckdb").read_text() == "two"
    assert os.readlink(tmp_path / "current") == os.path.join("runs", second.run_id)


def test_published_files_are_read_only(tmp_path):
    run = fake_run(tmp_path, "one")
    (run.work_dir / "data_docs").mkdir()
    (run.work_dir / "data_docs" / "index.html").write_text("<html>")
    published = publish.publish(run, keep_runs=3)
    for path in (published / "clusterobs.duckdb", published / "parquet" / "fct_x.parquet",
                 published / "data_docs" / "index.html"):  # fmt: skip
        assert path.stat().st_mode & 0o222 == 0, path
        with pytest.raises(PermissionError) if os.geteuid() else nullcontext():
            path.write_text("changed")  # root may write anyway; everyone else may not


def test_failed_run_keeps_a_small_record_and_frees_its_big_files(tmp_path):
    publish.publish(fake_run(tmp_path, "good"), keep_runs=3)
    bad = fake_run(tmp_path, "bad" * 1000)
    (bad.work_dir / "exchange").mkdir()
    (bad.work_dir / "exchange" / "big.parquet").write_text("x" * 10_000)
    (bad.work_dir / "run.log").write_text("log lines")
    failed = publish.mark_failed(bad, OSError(28, "No space left on device"))
    assert failed.name.endswith(".failed")
    assert sorted(p.name for p in failed.iterdir()) == ["failure.json", "run.log"]
    record = json.loads((failed / "failure.json").read_text())
    assert record["run_id"] == bad.run_id and "No space left on device" in record["reason"]
    assert (tmp_path / "clusterobs.duckdb").read_text() == "good"


def test_failed_runs_beyond_the_retention_are_pruned(tmp_path):
    publish.publish(fake_run(tmp_path, "good"), keep_runs=3)
    names = [
        publish.mark_failed(fake_run(tmp_path, "bad"), "boom", keep_failed_runs=2).name
        for _ in range(4)
    ]
    assert sorted(p.name for p in (tmp_path / "runs").glob("*.failed")) == sorted(names[-2:])


def test_a_killed_run_is_recovered_as_a_failed_record(tmp_path):
    killed = fake_run(tmp_path, "half")
    next_run = publish.start_run(
        tmp_path
    )  # under the lock: the .partial left behind is a killed run
    failed = tmp_path / "runs" / f"{killed.run_id}.failed"
    assert not killed.work_dir.exists() and not (failed / "clusterobs.duckdb").exists()
    assert "interrupted" in json.loads((failed / "failure.json").read_text())["reason"]
    assert next_run.work_dir.name.endswith(".partial")


def test_old_runs_are_pruned_but_never_the_current_one(tmp_path):
    runs = []
    for i in range(4):
        run = fake_run(tmp_path, str(i))
        publish.publish(run, keep_runs=2)
        runs.append(run)
    remaining = sorted(p.name for p in (tmp_path / "runs").iterdir())
    assert remaining == sorted([runs[2].run_id, runs[3].run_id])
    assert (tmp_path / "clusterobs.duckdb").read_text() == "3"


def test_a_users_own_file_is_never_overwritten(tmp_path):
    (tmp_path / "clusterobs.duckdb").write_text("user data")
    with pytest.raises(publish.OutputLayoutError, match="not created by clusterobs"):
        publish.start_run(tmp_path)
    assert (tmp_path / "clusterobs.duckdb").read_text() == "user data"


def test_one_writer_at_a_time_and_a_clear_message_for_the_second(tmp_path):
    with publish.run_lock(tmp_path, 0, "clusterobs run"):
        with (
            pytest.raises(publish.RunLockedError) as caught,
            publish.run_lock(tmp_path, 0, "clusterobs ingest"),
        ):
            pass
        message = str(caught.value)
        assert str(tmp_path) in message
        assert f"clusterobs run, pid {os.getpid()}" in message
        assert "CLUSTEROBS_RUN_LOCK_TIMEOUT_SECONDS" in message
    assert not (tmp_path / publish.HOLDER_FILE).exists()
    with publish.run_lock(tmp_path, 0, "clusterobs run"):  # free again
        pass


def test_a_waiting_run_gets_the_lock_when_the_first_finishes(tmp_path):
    import threading
    import time

    released = threading.Event()

    def first():
        with publish.run_lock(tmp_path, 0, "clusterobs run"):
            started.set()
            time.sleep(0.5)
        released.set()

    started = threading.Event()
    thread = threading.Thread(target=first)
    thread.start()
    started.wait(5)
    with publish.run_lock(tmp_path, 10, "clusterobs run"):
        assert released.is_set()
    thread.join()


def test_a_killed_run_does_not_leave_the_lock_behind(tmp_path):
    import signal
    import subprocess
    import sys
    import time

    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time; from pathlib import Path; from clusterobs import publish\n"
            "with publish.run_lock(Path(sys.argv[1]), 0, 'clusterobs run'):\n"
            "    print('locked', flush=True); time.sleep(60)",
            str(tmp_path),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "locked"
        with (
            pytest.raises(publish.RunLockedError, match=f"pid {holder.pid}"),
            publish.run_lock(tmp_path, 0, "clusterobs run"),
        ):
            pass
        holder.send_signal(signal.SIGKILL)
        holder.wait(10)
        deadline = time.monotonic() + 5
        with publish.run_lock(tmp_path, 5, "clusterobs run"):
            assert time.monotonic() < deadline
    finally:
        holder.kill()


def test_a_reader_that_resolves_current_once_sees_one_run_while_another_publishes(tmp_path):
    """The warehouse and the Parquet a reader opens come from the folder `current` named when it
    started, however many runs publish meanwhile (within keep_runs)."""
    publish.publish(fake_run(tmp_path, "one"), keep_runs=3)
    folder = publish.published_run(tmp_path)
    for content in ("two", "three"):
        publish.publish(fake_run(tmp_path, content), keep_runs=3)
        assert (folder / "clusterobs.duckdb").read_text() == "one"
        assert (folder / "parquet" / "fct_x.parquet").read_text() == "one"
    assert publish.published_run(tmp_path) != folder
    assert (publish.published_run(tmp_path) / "clusterobs.duckdb").read_text() == "three"
    assert publish.published_run(tmp_path / "nothing-yet") is None
