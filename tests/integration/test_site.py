"""The cluster atlas of the demo run, opened page by page in headless Chromium: no console error, no
network request, every chart and map drawn (maps with their regions), every link resolving to a page
of the site, light enough to mail."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from clusterobs.site import build_site

from .browser import ALL_CHARTS_DRAWN, CHROMIUM, watched_page

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def atlas(published, tmp_path_factory) -> Path:
    out, _ = published
    site = tmp_path_factory.mktemp("atlas") / "atlas"
    with duckdb.connect(str(out / "clusterobs.duckdb"), read_only=True) as con:
        written = build_site(con, site)
    assert written["bytes"] < 50e6 and written["pages"] > 100
    return site


def test_the_atlas_has_a_page_per_region_and_category_linked_both_ways(atlas, published):
    out, _ = published
    with duckdb.connect(str(out / "clusterobs.duckdb"), read_only=True) as con:
        regions = {r[0] for r in con.execute(
            "select distinct region_code from marts.fct_cluster_region_year where length(region_code) = 4"
        ).fetchall()}  # fmt: skip
    assert {p.stem for p in (atlas / "regions").glob("*.html")} == regions
    wien = (atlas / "regions" / "AT13.html").read_text(encoding="utf-8")
    assert "href='../categories/T" in wien and "href='../index.html'" in wien
    category = (atlas / "categories" / "T05.html").read_text(encoding="utf-8")
    assert "href='../regions/" in category
    assert "© EuroGeographics for the administrative boundaries" in category
    assert "Data: run " in category and "sbs_r_nuts06_r2" in category  # run, vintage and sources
    assert not list(atlas.parent.glob("*.partial"))


@pytest.mark.skipif(
    CHROMIUM is None, reason="needs Debian's chromium package (installed by .ci/run)"
)
def test_every_page_opens_offline_with_its_charts_and_links(atlas):
    pages = sorted(atlas.rglob("*.html"))
    problems, broken = [], []
    with watched_page(problems) as page:
        for path in pages:
            page.goto(path.as_uri())
            page.wait_for_function(ALL_CHARTS_DRAWN, timeout=30_000)
            smallest_map = page.evaluate(
                "Math.min(...[...document.querySelectorAll('.chart.map')]"
                ".map(m => m.querySelectorAll('svg.marks path').length), 1000)"
            )
            assert smallest_map >= 3, f"{path.relative_to(atlas)}: a map without its regions"
            for href in page.evaluate("[...document.querySelectorAll('a[href]')].map(a => a.href)"):
                if not Path(href.removeprefix("file://")).is_file():
                    broken.append(f"{path.relative_to(atlas)} -> {href}")
    assert problems == [] and broken == []
