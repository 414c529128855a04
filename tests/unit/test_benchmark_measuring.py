"""benchmarks/measuring.py: a command's peak memory is its own, however large the benchmark process is."""

from __future__ import annotations

import functools
import importlib.util
import os
import resource
import subprocess
import sys

import pytest

from tests.conftest import PROJECT_ROOT

MB = 1024 * 1024
PARENT_MB = 512


@functools.cache
def _measuring():
    """benchmarks/measuring.py (benchmarks/ is scripts beside each other, not a package)."""
    spec = importlib.util.spec_from_file_location(
        "measuring", PROJECT_ROOT / "benchmarks" / "measuring.py"
    )
    module = importlib.util.module_from_spec(spec)
    sys.modules["measuring"] = module  # its dataclass looks its module up there
    spec.loader.exec_module(module)
    return module


def holding(mb: int, seconds: float, then: str = "") -> str:
    """Python code that keeps `mb` MB resident for `seconds`, running `then` meanwhile."""
    return (
        "import subprocess, sys, time\n"
        f"held = bytearray({mb} * 1024 * 1024)\n"
        "held[::4096] = b'x' * len(range(0, len(held), 4096))\n"  # touch every page: resident
        f"{then}\n"
        f"time.sleep({seconds})\n"
        "print('done')\n"
    )


@pytest.fixture
def grown_parent():
    """This process with a large buffer resident, as a benchmark after generating its input."""
    buffer = bytearray(PARENT_MB * MB)
    buffer[::4096] = b"x" * len(range(0, len(buffer), 4096))
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 >= PARENT_MB * MB
    yield buffer
    del buffer


def test_commands_started_after_the_parent_grew_report_their_own_peaks(grown_parent):
    measuring = _measuring()
    small = [sys.executable, "-c", holding(40, 0.5)]

    # The fault measured here: wait4 on a direct child reports the parent's size, not the command's.
    naive = subprocess.Popen(small, stdout=subprocess.DEVNULL)
    _, _, usage = os.wait4(naive.pid, 0)
    assert usage.ru_maxrss * 1024 >= PARENT_MB * MB

    one = measuring.measured(small)
    assert one.stdout == "done\n" and one.exit_code == 0
    # 40 MB held plus an interpreter (about 10 MB): far from the parent's 512 MB
    assert 40 <= one.largest_process_rss_mb < 40 + 40
    assert one.largest_process_rss_mb <= one.peak_rss_mb < 40 + 40
    assert one.seconds >= 0.5

    # A command holding 30 MB that runs a child holding 80 MB: the largest process is the child,
    # the tree's total is both at once.
    child = f"subprocess.run([sys.executable, '-c', {holding(80, 1.5)!r}], check=True)"
    two = measuring.measured([sys.executable, "-c", holding(30, 0, then=child)])
    assert two.stdout == "done\ndone\n"
    assert 80 <= two.largest_process_rss_mb < 80 + 40
    assert 30 + 80 <= two.peak_rss_mb < 30 + 80 + 2 * 40
    assert two.peak_rss_mb > one.peak_rss_mb + 50


def test_a_failing_command_raises_with_its_stderr_unless_told_not_to():
    measuring = _measuring()
    command = [sys.executable, "-c", "import sys; sys.exit('no input here')"]
    with pytest.raises(measuring.CommandFailed, match=r"(?s)exit code 1.*no input here"):
        measuring.measured(command)
    failed = measuring.measured(command, check=False)
    assert failed.exit_code == 1 and "no input here" in failed.stderr
    missing = measuring.measured(["clusterobs-no-such-program"], check=False)
    assert missing.exit_code == 127 and "cannot start" in missing.stderr
