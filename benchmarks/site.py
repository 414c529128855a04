"""Atlas benchmark: how long `clusterobs site` takes on a published warehouse, how big the atlas is, and how
long each page takes to render in headless Chromium (from opening the file to every chart drawn).

    uv run python benchmarks/site.py [--output-dir output]

Targets (issue 24): the whole demo atlas under 50 MB, every page rendered in under 2 s.
Results: benchmarks/results/site.json and site.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import tempfile
import time
from pathlib import Path

import duckdb

from clusterobs.published import published_run
from clusterobs.site import build_site

HERE = Path(__file__).resolve().parent
TARGETS = {"atlas MB": ("<", 50.0), "slowest page render, s": ("<", 2.0)}


def render_seconds(pages: list[Path], chromium: str) -> dict[str, float]:
    """Seconds from opening each page to all its charts drawn, by page (relative path)."""
    from playwright.sync_api import sync_playwright

    seconds = {}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium, args=["--headless", "--no-sandbox", "--disable-gpu"]
        )
        page = browser.new_page()
        for path in pages:
            started = time.perf_counter()
            page.goto(path.as_uri())
            page.wait_for_function(
                "document.querySelectorAll('.chart.vega-embed svg.marks').length"
                " === document.querySelectorAll('.chart').length",
                timeout=60_000,
            )
            seconds[
                path.name if path.parent.name == "atlas" else f"{path.parent.name}/{path.name}"
            ] = time.perf_counter() - started
        browser.close()
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output-dir", type=Path, default=Path("output"))
    args = parser.parse_args()
    run = published_run(args.output_dir)
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if run is None or chromium is None:
        raise SystemExit(
            "needs a published warehouse (clusterobs run) and Debian's chromium package"
        )
    with tempfile.TemporaryDirectory() as work:
        atlas = Path(work) / "atlas"
        started = time.perf_counter()
        with duckdb.connect(str(run / "clusterobs.duckdb"), read_only=True) as con:
            written = build_site(con, atlas)
        build = time.perf_counter() - started
        times = render_seconds(sorted(atlas.rglob("*.html")), chromium)
    slowest = max(times, key=times.get)
    measured = {
        "atlas MB": round(written["bytes"] / 1e6, 1),
        "slowest page render, s": round(times[slowest], 2),
    }
    result = {
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
        "date": time.strftime("%Y-%m-%d"),
        "pages": written["pages"],
        "build_seconds": round(build, 1),
        "render_median_seconds": round(statistics.median(times.values()), 2),
        "slowest_page": slowest,
        "measured": measured,
        "targets": {
            name: {
                "measured": measured[name],
                "target": f"{op} {bound}",
                "holds": measured[name] < bound,
            }
            for name, (op, bound) in TARGETS.items()
        },
    }
    out = HERE / "results"
    (out / "site.json").write_text(json.dumps(result, indent=2) + "\n")
    lines = [
        f"# Atlas benchmark ({result['machine']})",
        "",
        f"Measured {result['date']} on a published demo warehouse: "
        f"{result['pages']} pages written in {result['build_seconds']} s, {measured['atlas MB']} MB; "
        f"render (open to every chart drawn, headless Chromium): median {result['render_median_seconds']} s, "
        f"slowest {measured['slowest page render, s']} s ({slowest}).",
        "",
        "| target | measured | target | holds |",
        "|---|---:|---|---|",
        *(
            f"| {name} | {t['measured']} | {t['target']} | {'yes' if t['holds'] else 'NO'} |"
            for name, t in result["targets"].items()
        ),
    ]
    (out / "site.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
