"""Run folders and atomic publishing.

Layout under the output folder:
    runs/<run_id>.partial/   a run in progress (its own copy of the warehouse, its Parquet)
    runs/<run_id>/           a published run, never written again (its files are read-only)
    runs/<run_id>.failed/    a run stopped by an error or a failed critical expectation: its record
                             (failure.json, validation results, Data Docs, run.log), big files removed
    current -> runs/<run_id> the published run; swapped with one atomic rename
    clusterobs.duckdb -> current/clusterobs.duckdb
    parquet -> current/parquet
    .run.lock, .run.json     held by the run that is writing (one writer at a time), and who that is

A run that fails or is killed never touches `current`, so readers keep seeing the last good outputs.
"""

from __future__ import annotations

import contextlib
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
RUN_LOG = "run.log"  # the run's log lines and, when it failed, the traceback


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
    """Create the run's work folder (`runs/<run_id>.partial`); `seed_warehouse` fills it.

    Called under the run lock: a `.partial` folder left by a killed run is marked failed first.
    """
    check_layout(output_dir)
    recover_interrupted(output_dir)
    run_id = run_id or new_run_id()
    work_dir = output_dir / "runs" / f"{run_id}.partial"
    work_dir.mkdir(parents=True)
    return RunPaths(run_id, output_dir, work_dir)


def seed_warehouse(run: RunPaths) -> None:
    """Copy the published warehouse (if any) into the run's folder: the run works on the copy. Called
    inside the run's failure handling: a copy that fails (a full disk) fails the run cleanly."""
    current = run.output_dir / "current" / WAREHOUSE_FILE
    if current.is_file():
        shutil.copyfile(
            current, run.warehouse
        )  # the published file is read-only; its copy is the run's


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


def publish(run: RunPaths, keep_runs: int, keep_failed_runs: int = 3) -> Path:
    """Make the run the current one with one atomic rename; returns the published run folder.

    Before the rename every file of the run is made read-only and, with every folder, flushed to disk: a
    power cut can lose the run, never publish it half-written.
    """
    published = run.published_dir
    seal(run.work_dir)
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
    prune_runs(run.output_dir, keep_runs, keep_failed_runs)
    return published


def published_run(output_dir: Path) -> Path | None:
    """The folder of the published run (`current` resolved once), or None before the first run.

    Readers open the warehouse and the Parquet export of this one folder, so a run published meanwhile
    never gives them one run's warehouse and another's files.
    """
    current = output_dir / "current"
    return current.resolve() if current.is_symlink() and current.resolve().is_dir() else None


def recover_interrupted(output_dir: Path) -> list[Path]:
    """Mark the work folders of killed runs (`runs/*.partial`; no run is active under the lock) failed:
    renamed `.failed`, their big files removed, a record kept; returns the new paths."""
    runs_dir = output_dir / "runs"
    recovered = []
    for partial in sorted(runs_dir.glob("*.partial")) if runs_dir.is_dir() else []:
        run_id = partial.name.removesuffix(".partial")
        failed = mark_failed(
            RunPaths(run_id, output_dir, partial),
            "interrupted: the process was killed before the run finished",
        )
        recovered.append(failed)
    return recovered


FAILURE_RECORD = "failure.json"
VALIDATION_RECORD = "validation_results.json"
VALIDATION_PAGE = "validation.html"  # the validation results as one page (validation_page.py)
# What a failed run keeps: its record, the validation results, Data Docs and the run's log; the rest (the
# warehouse copy, exchange files, a partial export) goes at once, so a failure on a full disk frees it.
KEPT_AFTER_FAILURE = {FAILURE_RECORD, VALIDATION_RECORD, VALIDATION_PAGE, "data_docs", RUN_LOG}


def mark_failed(run: RunPaths, reason: BaseException | str = "", keep_failed_runs: int = 3) -> Path:
    """Keep a small record of a failed run under runs/<run_id>.failed: why it failed, its validation
    results and Data Docs, its log; its big files are removed at once. Failed runs beyond the newest
    `keep_failed_runs` are pruned."""
    failed = run.output_dir / "runs" / f"{run.run_id}.failed"
    if run.work_dir.exists():
        os.replace(run.work_dir, failed)
    failed.mkdir(parents=True, exist_ok=True)
    results = _validation_results(failed / WAREHOUSE_FILE, run.run_id)
    if results is not None:
        (failed / VALIDATION_RECORD).write_text(json.dumps(results, indent=1, default=str) + "\n")
    for entry in failed.iterdir():
        if entry.name not in KEPT_AFTER_FAILURE:
            if entry.is_dir() and not entry.is_symlink():
                shutil.rmtree(entry, ignore_errors=True)
            else:
                entry.unlink(missing_ok=True)
    text = reason if isinstance(reason, str) else f"{type(reason).__name__}: {reason}"
    record = {"run_id": run.run_id, "failed_at": datetime.now(UTC).isoformat(), "reason": text}
    with contextlib.suppress(OSError):  # a disk still full: the folder's name says the run failed
        (failed / FAILURE_RECORD).write_text(json.dumps(record, indent=1) + "\n")
    _prune(run.output_dir / "runs", ".failed", keep_failed_runs, None)
    return failed


def _validation_results(warehouse: Path, run_id: str) -> list[dict] | None:
    """The run's rows of meta.validation_results, read from its warehouse copy (None when unreadable)."""
    if not warehouse.is_file():
        return None
    import duckdb

    try:
        with duckdb.connect(str(warehouse), read_only=True) as con:
            rows = con.execute(
                "select * from meta.validation_results where run_id = ?", [run_id]
            ).fetchall()
            names = [d[0] for d in con.description]
    except Exception:  # a damaged or half-written copy: nothing to keep from it
        return None
    return [dict(zip(names, row, strict=True)) for row in rows]


def prune_runs(output_dir: Path, keep_runs: int, keep_failed_runs: int = 3) -> list[Path]:
    """Delete published run folders beyond the newest `keep_runs` and failed ones beyond the newest
    `keep_failed_runs`; never the current one."""
    runs_dir = output_dir / "runs"
    current = (output_dir / "current").resolve()
    return _prune(runs_dir, "", keep_runs, current) + _prune(
        runs_dir, ".failed", keep_failed_runs, current
    )


def _prune(runs_dir: Path, suffix: str, keep: int, current: Path | None) -> list[Path]:
    if not runs_dir.is_dir():
        return []
    folders = sorted(
        (p for p in runs_dir.iterdir() if p.is_dir() and _suffix(p.name) == suffix),
        key=lambda p: p.name,
        reverse=True,
    )
    removed = []
    for folder in folders[keep:]:
        if current is None or folder.resolve() != current:
            shutil.rmtree(folder, ignore_errors=True)
            removed.append(folder)
    return removed


def _suffix(name: str) -> str:
    for suffix in (".partial", ".failed"):
        if name.endswith(suffix):
            return suffix
    return ""


def seal(folder: Path) -> None:
    """Make every file under `folder` read-only and fsync it, then fsync every folder (deepest first)."""
    for directory, _, names in os.walk(folder, topdown=False):
        for name in names:
            path = Path(directory) / name
            if path.is_symlink():
                continue
            os.chmod(path, 0o444)
            fd = os.open(path, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
        _fsync_dir(Path(directory))


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
