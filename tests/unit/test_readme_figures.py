"""The README's timings are the benchmarks' own measurements (benchmarks/results/*.json), dated."""

from __future__ import annotations

import json
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# the README's words with every line break and run of spaces as one space
README = " ".join((ROOT / "README.md").read_text(encoding="utf-8").split())


def results(name: str) -> dict:
    return json.loads((ROOT / "benchmarks" / "results" / f"{name}.json").read_text())


def test_the_demo_run_timings_are_the_command_benchmarks():
    measured = results("commands")
    runs = {key: round(value["seconds"]) for key, value in measured["commands"].items()}
    temporary = sorted((runs["run demo | cold"], runs["run demo | warm"]))
    assert (
        f"the demo run, measured {measured['date']} on 2 cores by `benchmarks/commands.py`: "
        f"{runs['run demo | reused']} s with the reused server, {temporary[0]}-{temporary[1]} s with a "
        "temporary Prefect API"
    ) in README


def test_the_performance_section_quotes_the_benchmarks_with_their_dates():
    commands, pipeline = results("commands"), results("pipeline")
    run = pipeline["scales"]["1"]["clusterobs"]
    section = README.split("## Performance", 1)[1].split(" ## ", 1)[0]
    assert f"measured {pipeline['date']}" in section and f"measured {commands['date']}" in section
    assert (
        f"{run['command_seconds']:.0f} s ({run['pipeline_seconds']:.0f} s in the flow)" in section
    )
    assert f"{run['peak_rss_mb'] / 1000:.1f} GB" in section
    query = commands["commands"]["query select 1 | -"]["seconds"]
    assert f"`query` {query:.1f} s" in section
    full_eu = commands["commands"]["run full-EU | reused"]["seconds"]
    assert f"the full-EU run {full_eu:.0f} s reused" in section
