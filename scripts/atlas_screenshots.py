"""Screenshots of the cluster atlas for the README: the index, one region page and one category page.

    uv run python scripts/atlas_screenshots.py [--output-dir output] [--region AT13] [--category T05]

Builds the atlas from the published warehouse of `--output-dir` into a temporary folder, opens the pages
in headless Chromium (Debian's `chromium`, as the tests use) with the network blocked, and writes
docs/img/atlas_index.png, atlas_region.png and atlas_category.png (the top of each page).
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
from pathlib import Path

import duckdb

from clusterobs.published import published_run
from clusterobs.site import build_site

ROOT = Path(__file__).resolve().parents[1]
VIEWPORT = {"width": 1100, "height": 1300}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output-dir", type=Path, default=Path("output"))
    parser.add_argument("--region", default="AT13")
    parser.add_argument("--category", default="T05")
    parser.add_argument("--img", type=Path, default=ROOT / "docs" / "img")
    args = parser.parse_args()
    run = published_run(args.output_dir)
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if run is None or chromium is None:
        raise SystemExit(
            "needs a published warehouse (clusterobs run) and Debian's chromium package"
        )
    from playwright.sync_api import sync_playwright

    args.img.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as work:
        atlas = Path(work) / "atlas"
        with duckdb.connect(str(run / "clusterobs.duckdb"), read_only=True) as con:
            build_site(con, atlas)
        shots = {
            "atlas_index.png": atlas / "index.html",
            "atlas_region.png": atlas / "regions" / f"{args.region}.html",
            "atlas_category.png": atlas / "categories" / f"{args.category}.html",
        }
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=chromium, args=["--headless", "--no-sandbox", "--disable-gpu"]
            )
            page = browser.new_page(viewport=VIEWPORT)
            page.route(
                "**/*",
                lambda route: (
                    route.continue_() if route.request.url.startswith("file:") else route.abort()
                ),
            )
            for name, path in shots.items():
                page.goto(path.as_uri())
                page.wait_for_function(
                    "document.querySelectorAll('.chart.vega-embed svg.marks').length"
                    " === document.querySelectorAll('.chart').length",
                    timeout=60_000,
                )
                page.screenshot(path=str(args.img / name))
                print(f"wrote {args.img / name}")
            browser.close()


if __name__ == "__main__":
    main()
