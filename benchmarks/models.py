"""Build profile: seconds per SQL model on a copy of a published warehouse (what dominates the build).

    uv run python benchmarks/models.py WAREHOUSE.duckdb [--layers staging intermediate marts]

Copies the warehouse to a temporary folder, rebuilds the models of the given layers in dependency order
with the run's default settings, and prints a Markdown table of the slowest models (seconds, rows).
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("warehouse", type=Path)
    parser.add_argument("--layers", nargs="+", default=["staging", "intermediate", "marts"])
    parser.add_argument("--top", type=int, default=12)
    args = parser.parse_args()
    from clusterobs import models, warehouse
    from clusterobs.run_config import resolve_run_config
    from clusterobs.settings import Settings

    settings = Settings()
    timings = []
    with tempfile.TemporaryDirectory() as work:
        copy = Path(work) / "profile.duckdb"
        shutil.copy(args.warehouse, copy)
        with warehouse.connect(copy, settings.duckdb_memory_limit) as con:
            warehouse.apply_run_config(con, resolve_run_config(settings))
            ordered = models.ordered_models(models.discovered_models(), tuple(args.layers))
            for model in ordered:
                started = time.perf_counter()
                rows = models.run_model(con, model)
                timings.append((time.perf_counter() - started, model.relation, rows))
    total = sum(t for t, _, _ in timings)
    print(f"{len(timings)} models, {total:.2f} s\n")
    print("| model | s | share | rows |\n|---|---:|---:|---:|")
    for seconds, relation, rows in sorted(timings, reverse=True)[: args.top]:
        shown = "view" if rows is None else f"{rows:,}"
        print(f"| `{relation}` | {seconds:.2f} | {seconds / total:.0%} | {shown} |")


if __name__ == "__main__":
    main()
