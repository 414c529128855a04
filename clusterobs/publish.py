"""Run folders and atomic publishing.

Layout under the output folder:
    runs/<run_id>.partial/   a run in progress (its own copy of the warehouse, its Parquet)
    runs/<run_id>/           a published run, never written again
    runs/<run_id>.failed/    a run stopped by an error or a failed critical expectation (kept for inspection)
    current -> runs/<run_id> the published run; swapped with one atomic rename
    clusterobs.duckdb -> current/clusterobs.duckdb
    parquet -> current/parquet
    .run.lock, .run.json     held by the run that is writing (one writer at a time), and who that is

A run that fails or is killed never touches `current`, so readers keep seeing the last good outputs.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from filelock import FileLock, Timeout

from clusterobs.failpoints import failpoint

WAREHOUSE_FILE = "clusterobs.duckdb"
PARQUET_DIR = "parquet"


class OutputLayoutError(RuntimeError):
    """The output folder holds something clusterobs did not create where it needs to publish."""


class RunLockedError(RuntimeError):
    """Another run is writing the same output folder."""


LOCK_FILE = ".run.lock"
HOLDER_FILE = ".run.json"


@contextmanager
def run_lock(output_dir: Path, timeout_seconds: float, command: str) -> Iterator[None]:
    """Hold the output folder's writer lock for a run; raise RunLockedError if it stays taken.

    An OS file lock (released by the kernel when a process dies, so a killed run never leaves it
    stale); `timeout_seconds` 0 means fail at once. The holder's pid, command and start time are kept
    beside it for the error message of whoever waits.
    """
    output_dir.mkdir(parents=True, exist_ok=True)
    lock = FileLock(output_dir / LOCK_FILE)
    try:
        lock.acquire(timeout=timeout_seconds)
    except Timeout:
        raise RunLockedError(
            f"another clusterobs run is writing {output_dir} ({_holder(output_dir)}); wait for it to "
            "finish, use another --output-dir, or set CLUSTEROBS_RUN_LOCK_TIMEOUT_SECONDS to wait"
        ) from None
    holder = output_dir / HOLDER_FILE
    try:
        holder.write_text(
            json.dumps(
                {"pid": os.getpid(), "command": command, "started": datetime.now(UTC).isoformat()}
            )
        )
        yield
    finally:
        holder.unlink(missing_ok=True)
        lock.release()


def _holder(output_dir: Path) -> str:
    try:
        info = json.loads((output_dir / HOLDER_FILE).read_text())
        return f"{info['command']}, pid {info['pid']}, started {info['started']}"
    except (OSError, ValueError, KeyError):
        return "holder unknown"


@dataclass(frozen=True)
class RunPaths:
    """Where one run writes before it is published."""

    run_id: str
    output_dir: Path
    work_dir: Path

    @property
    def warehouse(self) -> Path:
        return self.work_dir / WAREHOUSE_FILE

    @property
    def parquet(self) -> Path:
        return self.work_dir / PARQUET_DIR

    @property
    def published_dir(self) -> Path:
        return self.output_dir / "runs" / self.run_id


def new_run_id() -> str:
    return datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ") + "-" + secrets.token_hex(3)


def start_run(output_dir: Path, run_id: str | None = None) -> RunPaths:
    """Create the run's work folder, seeded with a copy of the published warehouse (if any).

    Called under the run lock: a `.partial` folder left by a killed run is marked failed first.
    """
    check_layout(output_dir)
    recover_interrupted(output_dir)
    run_id = run_id or new_run_id()
    work_dir = output_dir / "runs" / f"{run_id}.partial"
    work_dir.mkdir(parents=True)
    current = output_dir / "current" / WAREHOUSE_FILE
    if current.is_file():
        shutil.copy2(current, work_dir / WAREHOUSE_FILE)
    return RunPaths(run_id, output_dir, work_dir)


def check_layout(output_dir: Path) -> None:
    """Raise if the published paths exist but are not clusterobs' links (never overwrite a user's file)."""
    output_dir.mkdir(parents=True, exist_ok=True)
    if not os.access(output_dir, os.W_OK):
        raise OutputLayoutError(f"{output_dir} is not writable: choose another --output-dir")
    for name in ("current", WAREHOUSE_FILE, PARQUET_DIR):
        path = output_dir / name
        if path.exists() and not path.is_symlink():
            raise OutputLayoutError(
                f"{path} exists and was not created by clusterobs; move it away or choose another --output-dir"
            )


def publish(run: RunPaths, keep_runs: int) -> Path:
    """Make the run the current one with one atomic rename; returns the published run folder."""
    published = run.published_dir
    os.replace(run.work_dir, published)
    _fsync_dir(published.parent)
    failpoint("publish")
    tmp_link = run.output_dir / f".current.{run.run_id}"
    os.symlink(Path("runs") / run.run_id, tmp_link)
    os.replace(tmp_link, run.output_dir / "current")
    for name in (WAREHOUSE_FILE, PARQUET_DIR):
        link = run.output_dir / name
        if not link.is_symlink():
            os.symlink(Path("current") / name, link)
    _fsync_dir(run.output_dir)
    prune_runs(run.output_dir, keep_runs)
    return published


def recover_interrupted(output_dir: Path) -> list[Path]:
    """Rename the work folders of killed runs (`runs/*.partial`; no run is active under the lock) to
    `.failed`, kept for inspection and pruned like other failed runs; returns the new paths."""
    runs_dir = output_dir / "runs"
    recovered = []
    for partial in sorted(runs_dir.glob("*.partial")) if runs_dir.is_dir() else []:
        failed = partial.with_name(partial.name.removesuffix(".partial") + ".failed")
        os.replace(partial, failed)
        recovered.append(failed)
    return recovered


def mark_failed(run: RunPaths) -> Path:
    """Keep a failed run's folder for inspection under runs/<run_id>.failed."""
    failed = run.output_dir / "runs" / f"{run.run_id}.failed"
    if run.work_dir.exists():
        os.replace(run.work_dir, failed)
    return failed


def prune_runs(output_dir: Path, keep_runs: int) -> list[Path]:
    """Delete published and failed run folders beyond the newest `keep_runs` of each; never the current one."""
    runs_dir = output_dir / "runs"
    current = (output_dir / "current").resolve()
    removed = []
    for suffix in ("", ".failed"):
        folders = sorted(
            (p for p in runs_dir.iterdir() if p.is_dir() and _suffix(p.name) == suffix),
            key=lambda p: p.name,
            reverse=True,
        )
        for folder in folders[keep_runs:]:
            if folder.resolve() != current:
                shutil.rmtree(folder, ignore_errors=True)
                removed.append(folder)
    return removed


def _suffix(name: str) -> str:
    for suffix in (".partial", ".failed"):
        if name.endswith(suffix):
            return suffix
    return ""


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
