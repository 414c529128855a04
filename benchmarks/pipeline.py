"""Pipeline benchmark: `clusterobs run` at full European scale, by stage, against DuckDB's raw scan and pandas.

    uv run python benchmarks/pipeline.py [--scales 1 2 4] [--runs 1]

Input: the full-EU extracts of `clusterobs generate-demo --scale full-eu` (EU-27 NUTS 0-2, all 615 NACE
classes, 2008-2023, the SBS indicators and the scoreboard datasets), generated into benchmarks/data/full-eu
once. Scale k > 1 has k times the legacy SBS years (earlier years prepended, copies of 2008-2020 under
new labels), the bulk of the input. Every contender runs in a fresh process, started by
benchmarks/measuring.py: its peak RSS is its own process tree's (the total of the command and its
children, the temporary Prefect server included; the largest single process beside it), whatever this
script holds; its time the wall time of the process (imports and, for clusterobs, Prefect start-up
included) unless stated. Measured in the same session:

- clusterobs: `clusterobs run --source DIR --json` (time per stage from its summary), and on the demo;
- DuckDB floor: `read_csv` + unpivot of the same files into a DuckDB file (the practical floor of ingest);
- pandas: a straightforward script that parses the SBS files and computes location quotients (scale 1).

Results: benchmarks/results/pipeline.json and pipeline.md.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import platform
import shutil
import sys
import tempfile
import time
from pathlib import Path

from measuring import measured  # benchmarks/measuring.py, beside this script

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
LEGACY = "sbs_r_nuts06_r2"
TARGETS = {
    "ingest_vs_floor": 1.5,  # at most
    "pandas_time_ratio": 4.0,  # at least
    "pandas_memory_ratio": 4.0,  # at least
    "full_eu_seconds": 90.0,  # at most
    "full_eu_peak_rss_mb": 3072.0,  # at most
    "demo_seconds": 30.0,  # at most
}


def scaled_input(base: Path, factor: int) -> Path:
    """The full-EU input with `factor` times the legacy SBS years (written once)."""
    if factor == 1:
        return base
    target = base.parent / f"{base.name}-x{factor}"
    marker = target / ".complete"
    if marker.exists():
        return target
    shutil.rmtree(target, ignore_errors=True)
    target.mkdir(parents=True)
    for path in base.glob("*.tsv.gz"):
        if path.name != f"{LEGACY}.tsv.gz":
            shutil.copy(path, target / path.name)
    with (
        gzip.open(base / f"{LEGACY}.tsv.gz", "rt", encoding="utf-8") as src,
        gzip.open(target / f"{LEGACY}.tsv.gz", "wt", encoding="utf-8", compresslevel=1) as dst,
    ):
        header = src.readline().rstrip("\n").split("\t")
        years = [int(h) for h in header[1:]]
        span = len(years)
        earlier = [y - span * k for k in range(factor - 1, 0, -1) for y in years]
        dst.write("\t".join([header[0], *map(str, earlier), *header[1:]]) + "\n")
        for line in src:
            key, cells = line.rstrip("\n").split("\t", 1)
            dst.write(key + ("\t" + cells) * factor + "\n")
    marker.touch()
    return target


def input_cells(folder: Path) -> int:
    """Observation cells (series lines x periods) over every extract file of the folder."""
    total = 0
    for path in folder.glob("*.tsv.gz"):
        with gzip.open(path, "rt", encoding="utf-8") as handle:
            periods = len(handle.readline().split("\t")) - 1
            total += periods * sum(1 for _ in handle)
    return total


def run_clusterobs(source: str, extra_env: dict[str, str] | None = None) -> dict:
    """Time, stages, peak RSS and validation summary of one `clusterobs run` into a temporary folder."""
    with tempfile.TemporaryDirectory() as out:
        env = {**os.environ, "PREFECT_LOGGING_LEVEL": "WARNING", **(extra_env or {})}
        command = [sys.executable, "-m", "clusterobs.cli", "run", "--source", source]
        run = measured([*command, "--output-dir", out, "--json"], env=env)
    summary = json.loads(run.stdout[run.stdout.index("{") :])
    return {
        "command_seconds": round(run.seconds, 2),
        "pipeline_seconds": summary["elapsed_seconds"],
        "stage_seconds": summary["stage_seconds"],
        "peak_rss_mb": round(run.peak_rss_mb),
        "largest_process_rss_mb": round(run.largest_process_rss_mb),
        "validation": summary["validation"],
    }


def contender(name: str, source: Path) -> dict:
    """Whole-process time and peak RSS of a comparison script, with what it printed."""
    run = measured([sys.executable, __file__, "--contender", name, "--input", str(source)])
    return {
        "seconds": round(run.seconds, 2),
        "peak_rss_mb": round(run.peak_rss_mb),
        "largest_process_rss_mb": round(run.largest_process_rss_mb),
        **json.loads(run.stdout),
    }


def duckdb_floor(source: Path) -> dict:
    """read_csv + unpivot + value/flag split of every extract into a DuckDB file; time without imports."""
    import duckdb

    from clusterobs.transforms.sql_text import quoted

    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as work:
        con = duckdb.connect(str(Path(work) / "floor.duckdb"))
        con.execute("set memory_limit = '2GB'")
        cells = 0
        for i, path in enumerate(sorted(source.glob("*.tsv.gz"))):
            con.execute(
                f"create table wide_{i} as select * from read_csv(?, delim = '\t', header = true, all_varchar = true)",
                [str(path)],
            )
            key = con.execute(f"select column_name from (describe wide_{i}) limit 1").fetchall()
            key = quoted(key[0][0])
            con.execute(
                f"""create table long_{i} as
                    select {key} as series_key, period,
                           try_cast(nullif(split_part(trim(cell), ' ', 1), ':') as double) as value,
                           nullif(split_part(trim(cell), ' ', 2), '') as flags
                    from (unpivot wide_{i} on columns(* exclude ({key})) into name period value cell)"""
            )
            cells += con.execute(f"select count(*) from long_{i}").fetchall()[0][0]
        con.close()
    return {"cells": cells, "work_seconds": round(time.perf_counter() - started, 2)}


def pandas_lq(source: Path) -> dict:
    """What users write today: pandas parses both SBS extracts and computes location quotients."""
    import pandas as pd

    started = time.perf_counter()
    mapping = pd.read_csv(ROOT / "data" / "reference" / "nace_cluster_mapping.csv")
    frames = []
    for dataset, employment, total in [
        (LEGACY, "V16110", "B-N_S95_X_K"),
        ("sbs_r_nuts2021", "EMP_LOC_NR", "B-S_X_O_S94"),
    ]:
        wide = pd.read_csv(source / f"{dataset}.tsv.gz", sep="\t", dtype=str)
        key = wide.columns[0]
        dims = wide[key].str.split(",", expand=True)
        dims.columns = ["freq", "indic", "nace_code", "geo"]
        wide = pd.concat([dims, wide.drop(columns=key)], axis=1)
        long = wide.melt(
            id_vars=["freq", "indic", "nace_code", "geo"], var_name="year", value_name="cell"
        )
        parts = long["cell"].str.strip().str.split(" ", n=1, expand=True)
        long["value"] = pd.to_numeric(parts[0].replace(":", None), errors="coerce")
        long["flags"] = parts[1] if parts.shape[1] > 1 else None
        long["year"] = long["year"].str.strip().astype(int)
        long = long[
            (long["indic"] == employment)
            & (long["geo"].str.len() == 4)
            & ~long["geo"].str.endswith("Z")
        ]
        long["nace_code"] = long["nace_code"].str.replace(".", "", regex=False)
        long.loc[long["nace_code"] == total, "nace_code"] = "TOTAL"
        frames.append(long[["geo", "nace_code", "year", "value"]])
    cells = pd.concat(frames)
    region_totals = (
        cells[cells["nace_code"] == "TOTAL"]
        .groupby(["geo", "year"])["value"]
        .sum()
        .rename("region_total")
    )
    classes = cells[cells["nace_code"].str.len() == 5].merge(mapping, on="nace_code")
    classes["employment"] = classes["value"] * classes["allocation_weight"]
    clusters = classes.groupby(["geo", "category_code", "year"])["employment"].sum().reset_index()
    clusters = clusters.join(region_totals, on=["geo", "year"])
    category = clusters.groupby(["category_code", "year"])["employment"].transform("sum")
    europe = region_totals.groupby("year").sum()
    clusters["lq"] = (clusters["employment"] / clusters["region_total"]) / (
        category / clusters["year"].map(europe)
    )
    return {
        "lq_rows": int(clusters["lq"].notna().sum()),
        "work_seconds": round(time.perf_counter() - started, 2),
    }


STAGES = ("ingest", "build", "validate", "export", "publish")


def stage_cells(run: dict) -> str:
    return " | ".join(str(run["stage_seconds"].get(stage, "")) for stage in STAGES)


def markdown(result: dict) -> str:
    one = result["scales"]["1"]
    run = one["clusterobs"]
    lines = [
        f"# Pipeline benchmark ({result['machine']})",
        "",
        f"Measured {result['date']}. Input at scale 1: `{result['input']}`, {one['input_cells']:,} cells "
        f"in {one.get('extracts', 8)} extracts.",
        "",
        "## Full-EU run (scale 1, validation on)",
        "",
        "| whole command s | pipeline s | ingest s | build s | validate s | export s | publish s | peak RSS MB | largest process MB | DuckDB floor s |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
        f"| {run['command_seconds']} | {run['pipeline_seconds']} | {stage_cells(run)} | "
        f"{run['peak_rss_mb']:,} | {run['largest_process_rss_mb']:,} | "
        f"{one['duckdb_floor']['work_seconds']} |",
        "",
        "Peak RSS: the command's process tree (the `clusterobs` process and the temporary Prefect server",
        "it starts), sampled, and never below its largest process's own high-water mark (wait4).",
        "",
        "Stages: ingest = land and load every extract; build = all SQL models (the staging suites run",
        "meanwhile); validate = what the suites add after the build; export = Parquet; publish = the atomic",
        "swap. The whole command adds imports and the temporary Prefect server.",
        "",
        "## Scaling (validation off: the suites reject the synthetic pre-2008 years)",
        "",
        "| scale | input cells | cells ratio | pipeline s | pipeline ratio | ingest s | build s | validate s | export s | publish s | peak RSS MB | DuckDB floor s |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for scale, r in result["scales"].items():
        u = r["without_validation"]
        lines.append(
            f"| {scale}x | {r['input_cells']:,} | {r['cells_ratio']} | {u['pipeline_seconds']} | "
            f"{r['pipeline_seconds_ratio']} | {stage_cells(u)} | {u['peak_rss_mb']:,} | "
            f"{r['duckdb_floor']['work_seconds']} |"
        )
    pandas = result["pandas"]
    lines += [
        "",
        f"pandas parse + LQ (scale 1): {pandas['seconds']} s, peak RSS {pandas['peak_rss_mb']:,} MB "
        f"({pandas['lq_rows']:,} LQ values).",
        f"Demo run (`clusterobs run`, Prefect start-up included): {result['demo']['command_seconds']} s, "
        f"peak RSS {result['demo']['peak_rss_mb']:,} MB (largest process "
        f"{result['demo']['largest_process_rss_mb']:,} MB).",
        "",
        "| target | measured | target | holds |",
        "|---|---:|---|---|",
    ]
    for name, (value, target, holds) in result["ratios"].items():
        lines.append(f"| {name} | {value} | {target} | {'yes' if holds else 'NO'} |")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--input", type=Path, default=HERE / "data" / "full-eu")
    parser.add_argument("--scales", type=int, nargs="+", default=[1, 2, 4])
    parser.add_argument("--runs", type=int, default=1, help="best of N clusterobs runs per scale")
    parser.add_argument(
        "--contender", choices=["duckdb_floor", "pandas_lq"], help=argparse.SUPPRESS
    )
    args = parser.parse_args()
    if args.contender:
        print(json.dumps(globals()[args.contender](args.input)))
        return
    from clusterobs.registry import load_registry
    from clusterobs.settings import Settings

    wanted = load_registry(Settings().registry_path)
    if not all((args.input / f"{name}.tsv.gz").exists() for name in wanted):
        from clusterobs.demo import generate

        print(f"generating the full-EU input into {args.input} ...", flush=True)
        generate(args.input, scale="full-eu")
    scales = {}
    for factor in sorted(set(args.scales) | {1}):
        source = scaled_input(args.input, factor)
        print(f"scale {factor}x: {source}", flush=True)
        # The staging suites reject SBS years before 2008 (NACE Rev. 2), which the longer synthetic
        # histories have: the scaling series runs without the suites, scale 1 also with them.
        unvalidated = [
            run_clusterobs(str(source), {"CLUSTEROBS_VALIDATE_OUTPUTS": "false"})
            for _ in range(args.runs)
        ]
        scales[str(factor)] = {
            "input": str(source.relative_to(ROOT) if source.is_relative_to(ROOT) else source),
            "input_cells": input_cells(source),
            "extracts": len(list(source.glob("*.tsv*"))),
            "without_validation": min(unvalidated, key=lambda r: r["pipeline_seconds"]),
            "duckdb_floor": contender("duckdb_floor", source),
        }
        if factor == 1:
            runs = [run_clusterobs(str(source)) for _ in range(args.runs)]
            scales["1"]["clusterobs"] = min(runs, key=lambda r: r["pipeline_seconds"])
    print("pandas ...", flush=True)
    pandas = contender("pandas_lq", args.input)
    if not pandas["lq_rows"]:
        raise SystemExit(
            "the pandas script computed no location quotient: is the input full-EU scale?"
        )
    demo = run_clusterobs("demo")
    one = scales["1"]
    ingest_ratio = (
        one["clusterobs"]["stage_seconds"]["ingest"] / one["duckdb_floor"]["work_seconds"]
    )
    time_ratio = pandas["seconds"] / one["clusterobs"]["command_seconds"]
    memory_ratio = pandas["peak_rss_mb"] / one["clusterobs"]["peak_rss_mb"]
    ratios = {
        "ingest stage / DuckDB floor": (round(ingest_ratio, 2), "<= 1.5", ingest_ratio <= TARGETS["ingest_vs_floor"]),
        "pandas time / clusterobs whole command": (round(time_ratio, 2), ">= 4", time_ratio >= TARGETS["pandas_time_ratio"]),
        "pandas peak RSS / clusterobs peak RSS": (round(memory_ratio, 2), ">= 4", memory_ratio >= TARGETS["pandas_memory_ratio"]),
        "full-EU whole command, s": (one["clusterobs"]["command_seconds"], "< 90", one["clusterobs"]["command_seconds"] < TARGETS["full_eu_seconds"]),
        "full-EU peak RSS, MB": (one["clusterobs"]["peak_rss_mb"], "< 3072", one["clusterobs"]["peak_rss_mb"] < TARGETS["full_eu_peak_rss_mb"]),
        "demo whole command, s": (demo["command_seconds"], "< 30", demo["command_seconds"] < TARGETS["demo_seconds"]),
    }  # fmt: skip
    base_cells = one["input_cells"]
    base_unvalidated = one["without_validation"]["pipeline_seconds"]
    for r in scales.values():
        r["cells_ratio"] = round(r["input_cells"] / base_cells, 2)
        r["pipeline_seconds_ratio"] = round(
            r["without_validation"]["pipeline_seconds"] / base_unvalidated, 2
        )
    result = {
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
        "date": time.strftime("%Y-%m-%d"),
        "input": scales["1"]["input"],
        "scales": scales,
        "pandas": pandas,
        "demo": demo,
        "ratios": {k: list(v) for k, v in ratios.items()},
    }
    out = HERE / "results"
    out.mkdir(exist_ok=True)
    (out / "pipeline.json").write_text(json.dumps(result, indent=2) + "\n")
    text = markdown(result)
    (out / "pipeline.md").write_text(text)
    print(text)


if __name__ == "__main__":
    main()
