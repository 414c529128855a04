"""Wall time and peak memory of one command, its own whatever the benchmark process did before it.

    from measuring import measured  # benchmarks/measuring.py, beside the benchmark scripts
    run = measured([sys.executable, "-c", "..."], env=env)
    run.seconds, run.peak_rss_mb, run.largest_process_rss_mb, run.stdout

The command is started by benchmarks/launcher.py, a small interpreter of its own, so the kernel's
high-water mark (ru_maxrss) of the command starts from the launcher's few megabytes, not from the
benchmark's resident size (a child inherits its parent's at fork, and keeps it across execve). Two
figures come back:

- largest_process_rss_mb: the largest peak of a single process of the command's tree: the command's
  own ru_maxrss (wait4, which includes the descendants it waited for), or a larger resident size
  sampled from a descendant it did not wait for;
- peak_rss_mb: the peak of the tree's total resident size (the command and every descendant,
  the launcher excluded), sampled every `interval` seconds with psutil, and never below the largest
  process's: what the machine needs to run the command. Pages shared between processes of the tree
  (a forked worker's) count once per process.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path

import psutil

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
LAUNCHER = HERE / "launcher.py"
MB = 1024 * 1024


@dataclass(frozen=True)
class Measurement:
    """What one command cost: wall seconds, peak memory of its process tree, exit code and output."""

    seconds: float
    peak_rss_mb: float
    largest_process_rss_mb: float
    exit_code: int
    stdout: str
    stderr: str


class CommandFailed(SystemExit):
    """A measured command exited with a non-zero code (the message ends with its stderr)."""


class _TreeSampler(threading.Thread):
    """Samples the resident memory of a process's descendants until stopped."""

    def __init__(self, root_pid: int, interval: float) -> None:
        super().__init__(daemon=True)
        self.root = psutil.Process(root_pid)
        self.interval = interval
        self.peak_total = 0
        self.peak_single = 0
        self._stopped = threading.Event()

    def sample(self) -> None:
        total = 0
        try:
            tree = self.root.children(recursive=True)
        except psutil.Error:
            return
        for process in tree:
            try:
                rss = process.memory_info().rss
            except psutil.Error:  # ended between the listing and the reading
                continue
            total += rss
            self.peak_single = max(self.peak_single, rss)
        self.peak_total = max(self.peak_total, total)

    def run(self) -> None:
        while not self._stopped.is_set():
            self.sample()
            self._stopped.wait(self.interval)

    def stop(self) -> None:
        self._stopped.set()
        self.join()


def measured(
    command: list[str],
    *,
    env: dict[str, str] | None = None,
    cwd: Path | str = ROOT,
    interval: float = 0.1,
    check: bool = True,
) -> Measurement:
    """The measurement of `command` run to its end; raises CommandFailed on a non-zero exit if `check`."""
    with (
        tempfile.TemporaryDirectory(prefix="clusterobs-measure-") as work,
        tempfile.TemporaryFile("w+", encoding="utf-8") as out,
        tempfile.TemporaryFile("w+", encoding="utf-8") as err,
    ):
        result_file = Path(work) / "result.json"
        launcher = subprocess.Popen(
            [sys.executable, "-I", "-S", str(LAUNCHER), str(result_file), *map(str, command)],
            stdout=out,
            stderr=err,
            cwd=cwd,
            env=env,
        )
        sampler = _TreeSampler(launcher.pid, interval)
        sampler.start()
        try:
            launcher.wait()
        finally:
            sampler.stop()
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read(), err.read()
        if not result_file.exists():
            raise CommandFailed(f"the launcher of {' '.join(command)} failed:\n{stderr[-3000:]}")
        result = json.loads(result_file.read_text(encoding="utf-8"))
    largest = max(result["maxrss_kb"] * 1024, sampler.peak_single)
    measurement = Measurement(
        seconds=result["seconds"],
        peak_rss_mb=max(sampler.peak_total, largest) / MB,
        largest_process_rss_mb=largest / MB,
        exit_code=result["exit_code"],
        stdout=stdout,
        stderr=stderr,
    )
    if check and measurement.exit_code != 0:
        raise CommandFailed(
            f"{' '.join(map(str, command))} failed (exit code {measurement.exit_code}):\n{stderr[-3000:]}"
        )
    return measurement
