"""`clusterobs site`: a static cluster atlas a person browses offline, without a server: an index with the
map of Europe (click a region) and a search by region or category name, one page per NUTS-2 region and
one per cluster category or emerging industry, linked both ways. The pages are the report's sections
(clusterobs/report.py) sharing one Vega bundle (`assets/vega.js`); every page states the run, the data's
vintage and its sources. Written whole or not at all: into `<output>.partial`, then renamed."""

from __future__ import annotations

import html
import json
import os
import shutil
from pathlib import Path

import duckdb
import vl_convert as vlc

from clusterobs import report_maps
from clusterobs.report import published_stamp, region_sections, render_page
from clusterobs.report_category import category_sections
from clusterobs.report_data import ReportError, Section, map_version, region_names, rows

FOLDERS = {"region": "regions", "category": "categories"}
VEGA_BUNDLE = "assets/vega.js"
SEARCH = """
const box = document.getElementById('search');
box.addEventListener('input', () => {
  const words = box.value.toLowerCase().split(/\\s+/).filter(Boolean);
  for (const item of document.querySelectorAll('#entries li')) {
    const name = item.dataset.name;
    item.hidden = !words.every(w => name.includes(w));
  }
});
"""


def site_pages(con: duckdb.DuckDBPyConnection) -> dict[str, list[str]]:
    """The regions and categories the atlas has a page for (those with cluster data), by kind."""
    regions = [
        r[0]
        for r in con.execute(
            """select distinct region_code from marts.fct_cluster_region_year
               where length(region_code) = 4 order by 1"""
        ).fetchall()
    ]
    categories = [
        r[0]
        for r in con.execute(
            """select distinct category_code from marts.fct_cluster_region_year
               where employment > 0 order by 1"""
        ).fetchall()
    ]
    return {"region": regions, "category": categories}


def resolver(pages: dict[str, list[str]], depth: int):
    """Links from a page `depth` folders below the site's root to the pages that exist."""
    known = {kind: set(codes) for kind, codes in pages.items()}
    prefix = "../" * depth

    def resolve(kind: str, code: str) -> str | None:
        return f"{prefix}{FOLDERS[kind]}/{code}.html" if code in known.get(kind, ()) else None

    return resolve


def linked_maps(sections: list[Section], resolve) -> list[Section]:
    """The sections with each map's regions linked to their pages (a click opens the region)."""
    linked = []
    for section in sections:
        chart = section.chart
        if chart is not None and report_maps.is_map(chart):
            chart = json.loads(json.dumps(chart))
            filled = chart["layer"][1]
            for feature in filled["data"]["values"]:
                feature["properties"]["href"] = resolve("region", feature["id"])
            filled["encoding"]["href"] = {"field": "properties.href", "type": "nominal"}
            filled["mark"] = {**filled["mark"], "cursor": "pointer"}
        linked.append(Section(section.title, section.note, section.table, chart))
    return linked


def vintage(con: duckdb.DuckDBPyConnection) -> str:
    """The footer every page carries: the run, the datasets with Eurostat's update stamps, the sources."""
    datasets = con.execute(
        """select dataset, coalesce(max(eurostat_updated), 'loaded ' || max(loaded_at)::date::varchar)
           from meta.extracts group by dataset order by dataset"""
    ).fetchall()
    listed = "; ".join(f"{name} ({stamp})" for name, stamp in datasets)
    return (
        f"<footer><p>Data: {html.escape(published_stamp(con))}. Sources: Eurostat regional statistics "
        f"({html.escape(listed)}). Boundaries: Eurostat GISCO, {report_maps.ACKNOWLEDGEMENT}. "
        "Methods: the clusterobs docs.</p></footer>"
    )


def index_page(con: duckdb.DuckDBPyConnection, pages: dict[str, list[str]], footer: str) -> str:
    """The atlas's front page: the map of Europe by star clusters, and the searchable list of pages."""
    year = rows(con, "select max(year) as year from marts.fct_cluster_region_year")[0]["year"]
    stars = dict(
        con.execute(
            """select region_code, count(*) filter (where star_count > 0)
               from marts.fct_cluster_region_year
               where year = ? and category_type = 'traded' and length(region_code) = 4
               group by region_code""",
            [year],
        ).fetchall()
    )
    names = region_names(con)
    categories = dict(
        con.execute(
            "select category_code, category_name from marts.dim_cluster_category"
        ).fetchall()
    )
    resolve = resolver(pages, 0)
    section = Section(
        f"Star clusters by region, {year}",
        "Traded cluster categories with at least one star in each NUTS-2 region; click a region to "
        f"open its page. {report_maps.OUTERMOST_NOTE}",
        chart=report_maps.star_map(stars, names, map_version(con)),
    )
    entries = [
        (f"{names.get(code, code)} ({code})", resolve("region", code), "region")
        for code in pages["region"]
    ] + [
        (f"{categories.get(code, code)} ({code})", resolve("category", code), "cluster category")
        for code in pages["category"]
    ]
    items = "".join(
        f"<li data-name='{html.escape(text.lower())}'><a href='{html.escape(href)}'>"
        f"{html.escape(text)}</a> <small>{kind}</small></li>"
        for text, href, kind in entries
    )
    search = (
        "<section><h2>Find a region or a cluster category</h2>"
        "<input id='search' type='search' placeholder='e.g. Wien, biopharmaceuticals' "
        "style='width: 24rem; padding: 0.3rem'>"
        f"<ul id='entries'>{items}</ul></section><script>{SEARCH}</script>"
    )
    return render_page(
        "clusterobs cluster atlas",
        linked_maps([section], resolve),
        f"{len(pages['region'])} regions and {len(pages['category'])} cluster categories.",
        f"<script src='{VEGA_BUNDLE}'></script>",
        resolve,
        static_svg=False,
        footer=search + footer,
    )


def build_site(con: duckdb.DuckDBPyConnection, output: str | os.PathLike, progress=None) -> dict:
    """Write the atlas into `output` (replacing what was there, whole or not at all); returns the
    number of pages and bytes written. `progress(done, total)` is called after each page."""
    output = Path(output)
    pages = site_pages(con)
    if not pages["region"]:
        raise ReportError("the published warehouse has no cluster data: run `clusterobs run` first")
    partial = output.with_name(output.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    (partial / "assets").mkdir(parents=True)
    (partial / VEGA_BUNDLE).write_text(vlc.javascript_bundle(), encoding="utf-8")
    footer = vintage(con)
    nav = "<nav><a href='../index.html'>Cluster atlas</a></nav>"
    total, done = len(pages["region"]) + len(pages["category"]) + 1, 0
    (partial / "index.html").write_text(index_page(con, pages, footer), encoding="utf-8")
    for kind, build in (("region", region_sections), ("category", category_sections)):
        folder = partial / FOLDERS[kind]
        folder.mkdir()
        resolve = resolver(pages, 1)
        for code in pages[kind]:
            title, sections = build(con, code)
            page = render_page(
                title,
                linked_maps(sections, resolve),
                f"{'NUTS-2 region' if kind == 'region' else 'Cluster category'} {code}.",
                f"<script src='../{VEGA_BUNDLE}'></script>",
                resolve,
                static_svg=False,
                header=nav,
                footer=footer,
            )
            (folder / f"{code}.html").write_text(page, encoding="utf-8")
            done += 1
            if progress:
                progress(done, total)
    size = sum(f.stat().st_size for f in partial.rglob("*") if f.is_file())
    replaced = output.with_name(output.name + ".old")
    shutil.rmtree(replaced, ignore_errors=True)
    if output.exists():
        output.rename(replaced)
    partial.rename(output)
    shutil.rmtree(replaced, ignore_errors=True)
    return {"pages": total, "bytes": size}
