"""Ingest benchmark: clusterobs' loader against a bare DuckDB read_csv + unpivot and a pandas script.

    uv run python benchmarks/ingest.py [--input FILE] [--runs 3]

Without --input it generates the full-EU-scale legacy SBS extract (EU-27, all NACE classes, 2008-2020)
into benchmarks/data/ once. Each contender runs in a fresh process started by benchmarks/measuring.py,
so its peak RSS is its own, whatever this script holds (the time is its work, imports excluded); the
best of --runs times is kept, with the largest peak of the runs. Results go to benchmarks/results/ingest.json and ingest.md.
"""

from __future__ import annotations

import argparse
import importlib
import json
import platform
import sys
import tempfile
import time
from pathlib import Path

from measuring import measured  # benchmarks/measuring.py, beside this script

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent

DATASET = "sbs_r_nuts06_r2"


def contender_clusterobs(path: Path, work: Path) -> int:
    """Parse, check and load into a DuckDB file, as `clusterobs ingest` does."""
    from clusterobs import loads, warehouse
    from clusterobs.landing import LandedFile, file_sha256

    landed = LandedFile(DATASET, path, file_sha256(path), path.stat().st_size, str(path))
    with warehouse.connect(work / "w.duckdb", memory_limit="4GB") as con:
        return loads.load_dataset(con, DATASET, [landed], "bench").observations


def contender_duckdb_floor(path: Path, work: Path) -> int:
    """The practical floor: read_csv + unpivot + split value/flag into a long table in a DuckDB file."""
    import duckdb

    con = duckdb.connect(str(work / "floor.duckdb"))
    con.execute("set memory_limit = '4GB'")
    from clusterobs.transforms.sql_text import quoted

    con.execute(
        "create table wide as select * from read_csv(?, delim = '\t', header = true, all_varchar = true)",
        [str(path)],
    )
    key = quoted(con.execute("select column_name from (describe wide) limit 1").fetchall()[0][0])
    con.execute(
        f"""create table long as
            select {key} as series_key, period,
                   try_cast(nullif(split_part(trim(cell), ' ', 1), ':') as double) as value,
                   nullif(split_part(trim(cell), ' ', 2), '') as flags
            from (unpivot wide on columns(* exclude ({key})) into name period value cell)"""
    )
    rows = con.execute("select count(*) from long").fetchall()[0][0]
    con.close()
    return rows


def contender_pandas(path: Path, work: Path) -> int:
    """What users write today: read_csv, melt, str.split, to_numeric."""
    import pandas as pd

    wide = pd.read_csv(path, sep="\t", dtype=str)
    key = wide.columns[0]
    long = wide.melt(id_vars=[key], var_name="period", value_name="cell")
    parts = long["cell"].str.strip().str.split(" ", n=1, expand=True)
    long["value"] = pd.to_numeric(parts[0].replace(":", None), errors="coerce")
    long["flags"] = parts[1] if parts.shape[1] > 1 else None
    dims = long[key].str.split(",", expand=True)
    long = pd.concat([dims, long.drop(columns=[key, "cell"])], axis=1)
    return len(long)


CONTENDERS = {
    "clusterobs": contender_clusterobs,
    "duckdb_floor": contender_duckdb_floor,
    "pandas": contender_pandas,
}


IMPORTS = {
    "clusterobs": ["clusterobs.warehouse", "clusterobs.landing"],
    "duckdb_floor": ["duckdb"],
    "pandas": ["pandas"],
}


def child(name: str, path: Path) -> None:
    for module in IMPORTS[
        name
    ]:  # imports are start-up cost, not ingest: keep them out of the timing
        importlib.import_module(module)
    with tempfile.TemporaryDirectory() as work:
        started = time.perf_counter()
        rows = CONTENDERS[name](path, Path(work))
        seconds = time.perf_counter() - started
    print(json.dumps({"rows": rows, "seconds": seconds}))


def measure(name: str, path: Path, runs: int) -> dict:
    """Rows, best work seconds and largest peak RSS of `runs` fresh processes of one contender."""
    results = []
    for _ in range(runs):
        run = measured([sys.executable, __file__, "--child", name, "--input", str(path)])
        results.append(
            json.loads(run.stdout.strip().splitlines()[-1]) | {"peak_rss_mb": run.peak_rss_mb}
        )
    best = min(results, key=lambda r: r["seconds"])
    return {
        "rows": best["rows"],
        "seconds": round(best["seconds"], 2),
        "peak_rss_mb": round(max(r["peak_rss_mb"] for r in results)),
    }


def full_eu_input() -> Path:
    path = HERE / "data" / "full-eu" / f"{DATASET}.tsv.gz"
    if not path.exists():
        from clusterobs.demo import generate

        print("generating the full-EU-scale extracts (once) ...", file=sys.stderr)
        generate(path.parent, scale="full-eu")
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--input", type=Path)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--child")
    args = parser.parse_args()
    if args.child:
        child(args.child, args.input)
        return
    path = args.input or full_eu_input()
    results = {name: measure(name, path, args.runs) for name in CONTENDERS}
    ours, floor, pandas = results["clusterobs"], results["duckdb_floor"], results["pandas"]
    summary = {
        "input": {
            "file": str(path.relative_to(ROOT) if path.is_relative_to(ROOT) else path),
            "bytes": path.stat().st_size,
            "cells": floor["rows"],
        },
        "machine": {
            "cpus": __import__("os").cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
        },
        "results": results,
        "ratios": {
            "clusterobs_vs_duckdb_floor_time": round(ours["seconds"] / floor["seconds"], 2),
            "pandas_vs_clusterobs_time": round(pandas["seconds"] / ours["seconds"], 2),
            "pandas_vs_clusterobs_peak_rss": round(pandas["peak_rss_mb"] / ours["peak_rss_mb"], 2),
        },
        "targets": {
            "clusterobs_vs_duckdb_floor_time": "<= 1.5",
            "pandas_vs_clusterobs_time": ">= 4",
            "pandas_vs_clusterobs_peak_rss": ">= 4",
        },
    }
    out = HERE / "results"
    out.mkdir(exist_ok=True)
    (out / "ingest.json").write_text(json.dumps(summary, indent=2) + "\n")
    lines = [
        f"# Ingest benchmark ({summary['input']['file']}, {summary['input']['bytes'] / 1e6:.1f} MB gzip, {floor['rows']:,} cells)",
        "",
        f"Machine: {summary['machine']['cpus']} CPUs, Python {summary['machine']['python']}. Best of {args.runs} runs; each in a fresh process, peak RSS its own (benchmarks/measuring.py).",
        "",
        "| contender | seconds | cells/s | peak RSS (MB) |",
        "|---|---:|---:|---:|",
    ]
    for name, r in results.items():
        lines.append(
            f"| {name} | {r['seconds']} | {r['rows'] / r['seconds']:,.0f} | {r['peak_rss_mb']:,} |"
        )
    lines += ["", "| ratio | value | target |", "|---|---:|---|"]
    lines += [f"| {k} | {v} | {summary['targets'][k]} |" for k, v in summary["ratios"].items()]
    (out / "ingest.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
