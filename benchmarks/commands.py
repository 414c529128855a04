"""Command benchmark: what each `clusterobs` command costs as a whole, split into start-up (interpreter,
imports, configuration checks), Prefect API start and the work, with the three ways a command gets its
Prefect API.

    uv run python benchmarks/commands.py [--runs 2] [--skip-full-eu]

Modes, each in fresh processes with a Prefect home of the benchmark's own (nothing of the user's):
- cold: a new Prefect home (the temporary server creates its database first);
- warm: the temporary server again, in a home that already has its database;
- reused: `clusterobs server start` in that home, which every command then uses.

Commands: `query "select 1"` (no API), `ingest` of the full-EU legacy SBS extract (the benchmark TSV),
`run` on the demo data, `run` on the full-EU extracts (warm and reused). Measured in the same session for
comparison: DuckDB's read + unpivot of the same TSV (the ingest floor, imports excluded; benchmarks/ingest.py)
and the pandas parse + location-quotient script (benchmarks/pipeline.py), as whole processes.

The split comes from the command itself (setting `timings_file`): start-up = process start to the flow's
code loaded; API = finding or starting the Prefect API; work = the flow; the rest (stopping a temporary
server, printing) is the whole minus those. Peak RSS is the command's process tree's (with the temporary
server it starts; a reused server runs apart and is not counted), from benchmarks/measuring.py.
Results: benchmarks/results/commands.json and commands.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from measuring import measured  # benchmarks/measuring.py, beside this script

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
FULL_EU = HERE / "data" / "full-eu"
TSV = FULL_EU / "sbs_r_nuts06_r2.tsv.gz"
TARGETS = {
    "ingest reused / DuckDB floor": ("<=", 2.0),
    "demo run reused, s": ("<", 20.0),
    "demo run temporary (warm), s": ("<", 30.0),
    "full-EU run reused / pandas parse + LQ": ("<", 1.0),
}


OUT = "{out}"  # in a command: a new output folder for each run (an ingest of the same file is no no-op)


def timed(command: list[str], env: dict[str, str]) -> dict:
    """Wall seconds, peak RSS (MB, its process tree) and the command's own split, in a fresh process."""
    with tempfile.TemporaryDirectory() as work:
        command = [str(Path(work) / "out") if arg == OUT else arg for arg in command]
        timings = Path(work) / "timings.json"
        env = {**env, "CLUSTEROBS_TIMINGS_FILE": str(timings)}
        run = measured(command, env=env)
        split = json.loads(timings.read_text()) if timings.exists() else {}
    seconds = run.seconds
    result = {
        "seconds": round(seconds, 2),
        "peak_rss_mb": round(run.peak_rss_mb),
        "largest_process_rss_mb": round(run.largest_process_rss_mb),
    }
    if split:
        startup = split["imports_seconds"] or 0.0
        result |= {
            "api": split["api"],
            "startup_seconds": round(startup, 2),
            "api_start_seconds": round(split["api_start_seconds"], 2),
            "work_seconds": round(split["flow_seconds"], 2),
            "rest_seconds": round(
                seconds - startup - split["api_start_seconds"] - split["flow_seconds"], 2
            ),
        }
    return result


def best(command: list[str], env: dict[str, str], runs: int) -> dict:
    """The fastest of `runs` runs."""
    found = min((timed(command, env) for _ in range(runs)), key=lambda r: r["seconds"])
    print(f"  {found}", file=sys.stderr)
    return found


def clusterobs(*args: str) -> list[str]:
    return [sys.executable, "-m", "clusterobs.cli", *args]


def prefect_env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "PREFECT_API_URL"}
    return env | {
        "PREFECT_HOME": str(home),
        "PREFECT_LOGGING_LEVEL": "WARNING",
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    }


def inputs() -> None:
    """The full-EU extracts (generated once into benchmarks/data/full-eu)."""
    if not TSV.exists():
        from clusterobs.demo import generate

        print("generating the full-EU extracts (once) ...", file=sys.stderr)
        generate(FULL_EU, scale="full-eu")


def comparisons(runs: int, full_eu: bool) -> dict:
    """The DuckDB ingest floor (work only) and the pandas script (whole process)."""
    result = _comparisons(runs, full_eu)
    print(f"comparisons: {result}", file=sys.stderr)
    return result


def _comparisons(runs: int, full_eu: bool) -> dict:
    floor = subprocess.run(
        [sys.executable, str(HERE / "ingest.py"), "--child", "duckdb_floor", "--input", str(TSV)],
        capture_output=True, text=True, check=True, cwd=ROOT,
    )  # fmt: skip
    floors = [float(json.loads(floor.stdout.strip().splitlines()[-1])["seconds"])]
    for _ in range(runs - 1):
        again = subprocess.run(
            [sys.executable, str(HERE / "ingest.py"), "--child", "duckdb_floor", "--input", str(TSV)],
            capture_output=True, text=True, check=True, cwd=ROOT,
        )  # fmt: skip
        floors.append(float(json.loads(again.stdout.strip().splitlines()[-1])["seconds"]))
    result = {"duckdb_floor_seconds": round(min(floors), 2)}
    if full_eu:
        pandas = best(
            [sys.executable, str(HERE / "pipeline.py"), "--contender", "pandas_lq", "--input", str(FULL_EU)],
            dict(os.environ), runs,
        )  # fmt: skip
        result["pandas_seconds"] = pandas["seconds"]
        result["pandas_peak_rss_mb"] = pandas["peak_rss_mb"]
    return result


def measure(runs: int, full_eu: bool) -> dict:
    inputs()
    results: dict[str, dict] = {}
    with tempfile.TemporaryDirectory() as work:
        work = Path(work)
        out = work / "out"
        commands = {
            "ingest": clusterobs("ingest", str(TSV), "--output-dir", OUT, "--quiet"),
            "run demo": clusterobs("run", "--output-dir", OUT, "--quiet"),
        }
        if full_eu:
            commands["run full-EU"] = clusterobs(
                "run", "--source", str(FULL_EU), "--output-dir", OUT, "--quiet"
            )
        for name, command in commands.items():  # cold: a new Prefect home every time
            print(f"{name}, cold ...", file=sys.stderr)
            if name != "run full-EU":
                results[f"{name} | cold"] = min(
                    (timed(command, prefect_env(work / f"cold-{name}-{i}")) for i in range(runs)),
                    key=lambda r: r["seconds"],
                )
        warm = prefect_env(work / "warm-home")
        timed(clusterobs("run", "--output-dir", str(out), "--quiet"), warm)  # the home's database
        for name, command in commands.items():
            print(f"{name}, warm temporary server ...", file=sys.stderr)
            results[f"{name} | warm"] = best(command, warm, runs)
        started = subprocess.run(
            clusterobs("server", "start", "--port", str(free_port())),
            env=warm, cwd=ROOT, capture_output=True, text=True,
        )  # fmt: skip
        if started.returncode != 0:
            raise SystemExit(f"clusterobs server start failed:\n{started.stderr}")
        try:
            for name, command in commands.items():
                print(f"{name}, reused server ...", file=sys.stderr)
                results[f"{name} | reused"] = best(command, warm, runs)
        finally:
            subprocess.run(clusterobs("server", "stop"), env=warm, cwd=ROOT, capture_output=True)
        results["query select 1 | -"] = best(
            clusterobs("query", "select 1", "--output-dir", str(out)), warm, runs
        )
    return results


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def verdicts(results: dict, compared: dict) -> dict:
    """Each target: (measured, target, holds)."""
    found = {}
    ingest = results["ingest | reused"]["seconds"] / compared["duckdb_floor_seconds"]
    found["ingest reused / DuckDB floor"] = round(ingest, 2)
    found["demo run reused, s"] = results["run demo | reused"]["seconds"]
    found["demo run temporary (warm), s"] = results["run demo | warm"]["seconds"]
    if "pandas_seconds" in compared:
        found["full-EU run reused / pandas parse + LQ"] = round(
            results["run full-EU | reused"]["seconds"] / compared["pandas_seconds"], 2
        )
    checks = {}
    for name, value in found.items():
        op, target = TARGETS[name]
        checks[name] = {
            "measured": value,
            "target": f"{op} {target:g}",
            "holds": value <= target if op == "<=" else value < target,
        }
    return checks


def markdown(result: dict) -> str:
    lines = [
        f"# Command benchmark ({result['machine']})",
        "",
        f"Best of {result['runs']} runs; measured {result['date']}. Start-up = process start to the flow's code",
        "loaded (interpreter, imports, configuration checks); API = finding or starting Prefect's API;",
        "work = the flow; rest = stopping a temporary server, printing. Peak RSS: the command's process",
        "tree (a temporary Prefect server included; a reused one runs apart), sampled, and never below",
        "its largest process's own high-water mark (wait4), given beside it.",
        "",
        "| command | Prefect API | whole s | start-up s | API s | work s | rest s | peak RSS MB | largest process MB |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for key, r in result["commands"].items():
        name, mode = key.split(" | ")
        lines.append(
            f"| {name} | {mode} | {r['seconds']} | {r.get('startup_seconds', '')} | "
            f"{r.get('api_start_seconds', '')} | {r.get('work_seconds', '')} | {r.get('rest_seconds', '')} | "
            f"{r['peak_rss_mb']:,} | {r['largest_process_rss_mb']:,} |"
        )
    compared = result["comparisons"]
    lines += [
        "",
        f"DuckDB floor on the same TSV (read + unpivot + value/flag split, imports excluded): "
        f"{compared['duckdb_floor_seconds']} s.",
    ]
    if "pandas_seconds" in compared:
        lines.append(
            f"pandas parse + LQ script on the full-EU extracts (whole process): {compared['pandas_seconds']} s, "
            f"{compared['pandas_peak_rss_mb']:,} MB."
        )
    lines += ["", "| target | measured | target | holds |", "|---|---:|---|---|"]
    for name, v in result["targets"].items():
        lines.append(
            f"| {name} | {v['measured']} | {v['target']} | {'yes' if v['holds'] else 'NO'} |"
        )
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--skip-full-eu", action="store_true")
    args = parser.parse_args()
    full_eu = not args.skip_full_eu
    inputs()
    compared = comparisons(args.runs, full_eu)
    commands = measure(args.runs, full_eu)
    result = {
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
        "date": time.strftime("%Y-%m-%d"),
        "runs": args.runs,
        "commands": commands,
        "comparisons": compared,
        "targets": verdicts(commands, compared),
    }
    results = HERE / "results"
    results.mkdir(exist_ok=True)
    (results / "commands.json").write_text(json.dumps(result, indent=2) + "\n")
    (results / "commands.md").write_text(markdown(result))
    print(markdown(result))


if __name__ == "__main__":
    main()
