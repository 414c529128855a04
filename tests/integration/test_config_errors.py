"""Configuration errors and a full disk: one clear line, a non-zero exit, nothing changed."""

from __future__ import annotations

import json
import os
import resource
import signal
import subprocess
import sys

import pytest

from clusterobs.flows.pipeline import pipeline
from clusterobs.settings import PROJECT_ROOT, Settings

from .test_crash_safety import published_state

pytestmark = pytest.mark.integration


def cli(*args: str, preexec=None, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "clusterobs.cli", *args],
        env={**os.environ, "PREFECT_LOGGING_LEVEL": "WARNING", "COLUMNS": "200", **env},
        capture_output=True, text=True, timeout=600, cwd=PROJECT_ROOT, preexec_fn=preexec,
    )  # fmt: skip


def one_error_line(done: subprocess.CompletedProcess) -> str:
    """The single line the command printed (on stderr) for an error found before the run started."""
    assert done.returncode != 0
    assert "Traceback" not in done.stdout + done.stderr
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and not done.stdout.strip(), done.stderr
    return lines[0]


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"CLUSTEROBS_DATASETS": '["sbs_r_nuts06_r2", "no_such_dataset"]'},
         "datasets: no_such_dataset not in"),
        ({"CLUSTEROBS_NUTS_TARGET_VERSION": "2013"},
         "setting nuts_target_version (--nuts-target-version or CLUSTEROBS_NUTS_TARGET_VERSION): Input should be 2016, 2021 or 2024"),
        ({"CLUSTEROBS_STAR_PROFILE": "stellar"}, "star_profile 'stellar' is not in"),
        ({"CLUSTEROBS_REGISTRY": "/nonexistent/datasets.toml"}, "/nonexistent/datasets.toml"),
    ],
    ids=["unknown dataset", "bad NUTS version", "unknown star profile", "missing registry"],
)  # fmt: skip
def test_a_bad_setting_stops_the_run_before_it_starts(tmp_path, env, expected):
    done = cli("run", "--output-dir", str(tmp_path / "out"), **env)
    assert done.returncode == 2
    assert expected in one_error_line(done)
    assert not (tmp_path / "out" / "runs").exists()


def test_strict_refuses_a_folder_missing_registry_datasets(tmp_path):
    from clusterobs.settings import DEMO_DIR

    source = tmp_path / "extracts"
    source.mkdir()
    (source / "sbs_r_nuts06_r2.tsv.gz").symlink_to(DEMO_DIR / "sbs_r_nuts06_r2.tsv.gz")
    done = cli("run", "--source", str(source), "--output-dir", str(tmp_path / "out"), "--strict")
    assert done.returncode == 2
    line = one_error_line(done)
    assert f"{source} has no extract for: sbs_r_nuts2021, lfst_r_lfe2en2" in line
    assert (
        "(strict;" in line
        and "without --strict the run builds what the other datasets support" in line
    )
    assert not (tmp_path / "out" / "runs").exists()


def test_an_unwritable_output_folder_is_named(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    done = cli("run", "--output-dir", str(blocker / "out"))
    assert done.returncode == 2
    line = one_error_line(done)
    assert f"output_dir {blocker / 'out'} cannot be created or written" in line
    assert "choose another --output-dir" in line


def test_a_full_disk_or_a_timeout_fails_the_run_and_keeps_the_previous_outputs(
    prefect_api, tmp_path
):
    from prefect.settings import PREFECT_API_URL

    out = tmp_path / "out"
    assert pipeline(settings=Settings(source="demo", output_dir=out)).status == "published"
    before = published_state(out)
    limit = (out / "clusterobs.duckdb").resolve().stat().st_size + 2_000_000

    def small_disk() -> None:
        # Files may not grow past `limit` bytes: writes fail with EFBIG, as on a full disk with ENOSPC.
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    done = cli(
        "run", "--output-dir", str(out), preexec=small_disk, PREFECT_API_URL=PREFECT_API_URL.value()
    )
    # Prefect's log lines come first (on stderr); the command's own verdict is its last line.
    assert done.returncode == 1
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    line = lines[-1]
    assert [x for x in lines if x.startswith("run failed:")] == [line]
    assert "too large" in line.lower()
    assert f"previous outputs in {out} are unchanged" in line
    assert published_state(out) == before
    assert not list((out / "runs").glob("*.partial"))
    # The failed run frees its big files at once and keeps a small record of why.
    [failed] = (out / "runs").glob("*.failed")
    assert not (failed / "clusterobs.duckdb").exists()
    assert "too large" in json.loads((failed / "failure.json").read_text())["reason"].lower()
    assert sum(f.stat().st_size for f in failed.rglob("*") if f.is_file()) < 5_000_000

    # A disk too full for the warehouse copy itself fails the run as cleanly (the copy is part of it).
    def tiny_disk() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit // 4, limit // 4))

    done = cli(
        "run", "--output-dir", str(out), preexec=tiny_disk, PREFECT_API_URL=PREFECT_API_URL.value()
    )
    assert done.returncode == 1
    assert [x for x in done.stderr.splitlines() if x.startswith("run failed:")]
    assert published_state(out) == before
    assert not list((out / "runs").glob("*.partial"))
    assert len(list((out / "runs").glob("*.failed"))) == 2

    # Space is back: the next run publishes.
    done = cli("run", "--quiet", "--output-dir", str(out), PREFECT_API_URL=PREFECT_API_URL.value())
    assert done.returncode == 0, done.stderr[-2000:]
    assert published_state(out)["current"] != before["current"]
    assert not list((out / "runs").glob("*.partial"))
    before = published_state(out)

    # A run past its time limit fails the same way (checked as each stage starts: here the build).
    done = cli("run", "--output-dir", str(out), CLUSTEROBS_RUN_TIMEOUT_SECONDS="0.5",
               PREFECT_API_URL=PREFECT_API_URL.value())  # fmt: skip
    assert done.returncode == 1
    line = [line for line in done.stderr.splitlines() if line.strip()][-1]
    assert line.startswith("run failed: run exceeded run_timeout_seconds=0.5 ("), line
    assert "s) before the build stage" in line
    assert f"previous outputs in {out} are unchanged" in line
    assert published_state(out) == before
    assert not list((out / "runs").glob("*.partial"))


def test_quiet_run_prints_one_summary_line(prefect_api, tmp_path):
    from prefect.settings import PREFECT_API_URL

    done = cli("run", "--quiet", "--output-dir", str(tmp_path / "out"),
               PREFECT_API_URL=PREFECT_API_URL.value())  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("published run "), done.stderr
    assert "20 datasets, 15 marts" in lines[0] and not done.stdout.strip()


def test_the_output_folder_can_come_from_the_environment(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    done = cli("run", CLUSTEROBS_OUTPUT_DIR=str(blocker / "out"))
    assert done.returncode == 2
    assert f"output_dir {blocker / 'out'} cannot be created or written" in one_error_line(done)
    empty = cli("query", "select 1", CLUSTEROBS_OUTPUT_DIR=str(tmp_path))
    assert empty.returncode == 2
    assert f"no published warehouse in {tmp_path}: run `clusterobs run` first" in one_error_line(
        empty
    )
