"""Validation benchmark: what the Great Expectations suites add to a full-EU-scale pipeline run.

    uv run python benchmarks/validation.py [--input DIR] [--runs 1]

Runs `clusterobs run --source DIR --json` in fresh processes with CLUSTEROBS_VALIDATE_OUTPUTS=false and
=true (the full-EU extracts are generated into benchmarks/data/full-eu once) and compares the pipeline
times (Prefect start-up excluded) and peak RSS (the command's process tree, benchmarks/measuring.py). Results go to benchmarks/results/validation.json and .md.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from pipeline import run_clusterobs  # benchmarks/pipeline.py, beside this script

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent


def one_run(source: Path, validate: bool) -> dict:
    return run_clusterobs(str(source), {"CLUSTEROBS_VALIDATE_OUTPUTS": str(validate).lower()})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--input", type=Path, default=HERE / "data" / "full-eu")
    parser.add_argument("--runs", type=int, default=1)
    args = parser.parse_args()
    from clusterobs.registry import load_registry
    from clusterobs.settings import Settings

    wanted = load_registry(Settings().registry_path)
    if not all((args.input / f"{name}.tsv.gz").exists() for name in wanted):
        from clusterobs.demo import generate

        generate(args.input, scale="full-eu")
    without = min(
        (one_run(args.input, False) for _ in range(args.runs)), key=lambda r: r["pipeline_seconds"]
    )
    with_ = min(
        (one_run(args.input, True) for _ in range(args.runs)), key=lambda r: r["pipeline_seconds"]
    )
    overhead = with_["pipeline_seconds"] / without["pipeline_seconds"] - 1
    command_overhead = with_["command_seconds"] / without["command_seconds"] - 1
    result = {
        "input": str(
            args.input.relative_to(ROOT) if args.input.is_relative_to(ROOT) else args.input
        ),
        "without_validation": without,
        "with_validation": with_,
        "validation_overhead": round(overhead, 3),
        "validation_overhead_whole_command": round(command_overhead, 3),
        "target": "< 0.5",
    }
    out = HERE / "results"
    out.mkdir(exist_ok=True)
    (out / "validation.json").write_text(json.dumps(result, indent=2) + "\n")
    expectations = sum(v["expectations"] for v in with_["validation"].values())
    text = "\n".join(
        [
            f"# Validation benchmark ({result['input']})",
            "",
            "| run | pipeline seconds | whole command seconds | peak RSS (MB) | largest process (MB) |",
            "|---|---:|---:|---:|---:|",
            f"| without validation | {without['pipeline_seconds']} | {without['command_seconds']} | {without['peak_rss_mb']:,} | {without['largest_process_rss_mb']:,} |",
            f"| with validation ({expectations} expectations) | {with_['pipeline_seconds']} | {with_['command_seconds']} | {with_['peak_rss_mb']:,} | {with_['largest_process_rss_mb']:,} |",
            "",
            f"Validation adds {overhead:.0%} to the pipeline's run time (target: less than 50%) and "
            f"{command_overhead:.0%} to the whole command's (Prefect start-up and imports included).",
        ]
    )
    (out / "validation.md").write_text(text + "\n")
    print(text)


if __name__ == "__main__":
    main()
