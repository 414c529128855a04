"""`clusterobs report`: one self-contained static HTML page for a region, a cluster category (or Europe-wide)
from the published warehouse: star clusters, specialisation, maps, the scoreboard against peers and
employment trends. Charts are Vega-Lite specs made with Altair, drawn in the browser by the Vega JavaScript bundled
into the page (vl-convert), over a static SVG of the same chart rendered at build time: the page needs
no network and shows the charts even with JavaScript off."""

from __future__ import annotations

import html
import json

import duckdb
import vl_convert as vlc

from clusterobs import report_maps
from clusterobs.report_category import category_sections
from clusterobs.report_charts import (
    EU_100_NOTE,
    scoreboard_chart,
    specialisation_chart,
    trend_chart,
)
from clusterobs.report_data import (
    Link,
    ReportError,
    Resolver,
    Section,
    map_version,
    region_names,
    rows,
    stars_text,
)

__all__ = ["ReportError", "build_report", "html_table"]


def region_sections(con: duckdb.DuckDBPyConnection, region: str) -> tuple[str, list[Section]]:
    names = rows(
        con, "select region_name, nuts_level from marts.dim_region where region_code = ?", [region]
    )
    if not names:
        raise ReportError(
            f"region {region!r} is not in marts.dim_region (use a NUTS code such as AT13)"
        )
    cells = rows(
        con,
        """select * from analyst.v_cluster_region_year where region_code = ?
           and year = (select max(year) from marts.fct_cluster_region_year where region_code = ?)""",
        [region, region],
    )
    if not cells:
        raise ReportError(
            f"no cluster data for {region} ({names[0]['region_name']}): choose a NUTS-2 region"
        )
    year = cells[0]["year"]
    starred = sorted(
        (c for c in cells if c["star_count"] and c["category_type"] == "traded"),
        key=lambda c: (-c["star_count"], -(c["lq"] or 0)),
    )
    star_table = [
        {
            "cluster": Link(c["category_name"], "category", c["category_code"]),
            "stars": stars_text(c),
            "persons employed": f"{round(c['employment'] or 0):,}",
            "LQ": f"{c['lq'] or 0:.2f}",
            "focus %": f"{100 * (c['focus_share'] or 0):.1f}",
        }
        for c in starred
    ]
    top = sorted(
        (c for c in cells if c["lq"] is not None and c["category_type"] == "traded"),
        key=lambda c: -c["lq"],
    )[:10]
    top_data = [
        {"cluster": c["category_name"], "lq": c["lq"], "employment": c["employment"]} for c in top
    ]
    # In the countries scored at NUTS 1 (scoreboard.nuts1_countries) the region's scores are its NUTS-1's.
    scored = rows(
        con,
        """select coalesce(scoreboard_region_code, region_code) as code, region_name
           from marts.dim_region
           where region_code = (
               select coalesce(scoreboard_region_code, region_code) from marts.dim_region
               where region_code = ?
           )""",
        [region],
    )[0]
    peers_year = rows(
        con,
        """select max(peers.year) as year from marts.fct_region_peers as peers
           join marts.fct_ecosystem_scoreboard as scores using (region_code, year)
           where region_code = ? and scores.dimension = 'overall' and scores.withheld_reason is null""",
        [scored["code"]],
    )[0]["year"]
    peers = rows(
        con,
        """with regions as (
               select ? as region_code
               union all
               select peer_region_code from marts.fct_region_peers where region_code = ? and year = ?
           )
           select region_name, dimension_label, composite_index, index_reference, n_indicators,
                  n_catalogue_indicators
           from analyst.v_ecosystem_scoreboard
           where region_code in (select region_code from regions) and year = ?
               and withheld_reason is null
           order by dimension = 'overall' desc, dimension_label, region_name""",
        [scored["code"], scored["code"], peers_year, peers_year],
    )
    leaders = [
        c["category_code"]
        for c in sorted(cells, key=lambda c: -(c["employment"] or 0))
        if c["category_type"] == "traded"
    ][:5]
    trends = rows(
        con,
        """select category_name, year, employment from analyst.v_cluster_region_year
           where region_code = ? and list_contains(?, category_code) and employment is not null
           order by category_name, year""",
        [region, leaders],
    )
    country = region[:2]
    star_counts = dict(
        con.execute(
            """select region_code, count(*) filter (where star_count > 0)
               from marts.fct_cluster_region_year
               where year = ? and left(region_code, 2) = ? and category_type = 'traded'
                   and length(region_code) = 4
               group by region_code""",
            [year, country],
        ).fetchall()
    )
    title = f"{names[0]['region_name']} ({region})"
    return title, [
        Section(
            f"Star clusters, {year}",
            "Traded cluster categories with at least one classic star "
            "(size, specialisation, focus), most stars first.",
            table=star_table,
        ),
        Section(
            f"Star clusters across the country, {year}",
            f"Traded categories with at least one star in each NUTS-2 region of {country}; "
            f"{names[0]['region_name']} outlined. {report_maps.OUTERMOST_NOTE}",
            chart=report_maps.star_map(
                star_counts, region_names(con), map_version(con), country, region
            ),
        ),
        Section(
            f"Most specialised clusters, {year}",
            "Location quotients of the ten most specialised "
            "traded categories; the dashed line is LQ 2, the specialisation star.",
            chart=specialisation_chart(top_data, "cluster"),
        ),
        Section(
            f"Ecosystem scoreboard against peers, {peers_year or 'no year with enough indicators'}",
            f"Dimension indices of {scored['region_name']} (in colour) and its nearest peers "
            "(fct_region_peers), in the latest year whose composite covers enough of the indicator "
            "catalogue (setting scoreboard.min_coverage); each bar says how many indicators it rests on. "
            + EU_100_NOTE
            + (
                f" {names[0]['region_name']} is scored as part of {scored['region_name']} "
                f"({scored['code']}, NUTS 1: setting scoreboard.nuts1_countries)."
                if scored["code"] != region
                else ""
            ),
            chart=scoreboard_chart(peers, scored["region_name"]) if peers else None,
        ),
        Section(
            "Employment trends",
            "The region's five largest traded clusters; the dashed line marks the "
            "2020/2021 change of SBS regulation (series are not comparable across it).",
            chart=trend_chart(trends, "category_name"),
        ),
    ]


def europe_sections(con: duckdb.DuckDBPyConnection) -> tuple[str, list[Section]]:
    year = rows(con, "select max(year) as year from marts.fct_cluster_region_year")[0]["year"]
    if year is None:
        raise ReportError("the published warehouse has no cluster data: run `clusterobs run` first")
    starred = rows(
        con,
        """select region_code, region_name, country_name, category_code, category_name, star_count,
                  employment, lq
           from analyst.v_cluster_region_year
           where year = ? and category_type = 'traded' and star_count = 3
           order by lq desc limit 25""",
        [year],
    )
    star_table = [
        {
            "region": Link(r["region_name"], "region", r["region_code"]),
            "country": r["country_name"],
            "cluster": Link(r["category_name"], "category", r["category_code"]),
            "stars": stars_text(r),
            "persons employed": f"{round(r['employment'] or 0):,}",
            "LQ": f"{r['lq'] or 0:.2f}",
        }
        for r in starred
    ]
    top = rows(
        con,
        """select region_name || ': ' || category_name as cell, lq, employment
           from analyst.v_cluster_region_year
           where year = ? and category_type = 'traded' and employment >= 1000 and lq is not null
           order by lq desc limit 15""",
        [year],
    )
    scoreboard_year = rows(
        con,
        """select max(year) as year from (
               select year from marts.fct_ecosystem_scoreboard where dimension = 'overall'
               group by year having count(*) filter (where withheld_reason is null) >= count(*) / 2
           )""",
    )[0]["year"]
    performance = dict(
        con.execute(
            """select regions.region_code, scores.performance_group
               from marts.dim_region as regions
               join marts.fct_ecosystem_scoreboard as scores
                   on scores.region_code = coalesce(regions.scoreboard_region_code, regions.region_code)
               where regions.nuts_level = 2 and scores.dimension = 'overall' and scores.year = ?""",
            [scoreboard_year],
        ).fetchall()
    )
    groups = rows(
        con,
        """select country_name as region_name, 'Overall (country average)' as dimension_label,
                  avg(composite_index) as composite_index,
                  string_agg(distinct index_reference, '; ') as index_reference,
                  round(avg(n_indicators), 1) as n_indicators,
                  any_value(n_catalogue_indicators) as n_catalogue_indicators
           from analyst.v_ecosystem_scoreboard
           where dimension = 'overall' and year = ? and withheld_reason is null
           group by country_name order by country_name""",
        [scoreboard_year],
    )
    leaders = rows(
        con,
        """select category_code from marts.fct_cluster_region_year
           where year = ? and category_type = 'traded'
           group by category_code order by sum(employment) desc limit 5""",
        [year],
    )
    trends = rows(
        con,
        """select category_name, year, sum(employment) as employment
           from analyst.v_cluster_region_year
           where list_contains(?, category_code)
           group by category_name, year order by category_name, year""",
        [[r["category_code"] for r in leaders]],
    )
    return "Europe (all regions loaded)", [
        Section(
            f"Three-star clusters, {year}",
            "Region-category cells with all three classic stars, by location quotient.",
            table=star_table,
        ),
        Section(
            f"Most specialised clusters, {year}",
            "Highest location quotients among cells with at least 1,000 persons employed.",
            chart=specialisation_chart(top, "cell"),
        ),
        Section(
            f"Ecosystem scoreboard by country, {scoreboard_year}",
            "Average overall index of each country's regions, in the latest year in which most "
            "regions' composites cover enough of the indicator catalogue. " + EU_100_NOTE,
            chart=scoreboard_chart(groups) if groups else None,
        ),
        Section(
            f"Ecosystem performance groups, {scoreboard_year}",
            "Each NUTS-2 region's overall performance group (leader above 125, strong above 100, "
            "moderate above 70, emerging below; EU = 100); in BE, DE and the UK the NUTS-1 region's "
            "(setting scoreboard.nuts1_countries). Regions without an adequately covered composite are "
            f"not scored. {report_maps.OUTERMOST_NOTE}",
            chart=report_maps.groups_map(performance, region_names(con), map_version(con))
            if performance
            else None,
        ),
        Section(
            "Employment trends",
            "European employment of the five largest traded categories; the "
            "dashed line marks the 2020/2021 change of SBS regulation.",
            chart=trend_chart(trends, "category_name"),
        ),
    ]


def html_table(data: list[dict], resolve: Resolver | None = None) -> str:
    """The rows as an HTML table, every value escaped; a Link cell is a link where `resolve` gives one."""
    if not data:
        return "<p class='empty'>None.</p>"
    head = "".join(f"<th>{html.escape(str(k))}</th>" for k in data[0])
    body = "".join(
        "<tr>" + "".join(f"<td>{html_cell(v, resolve)}</td>" for v in row.values()) + "</tr>"
        for row in data
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def html_cell(value, resolve: Resolver | None) -> str:
    text = html.escape(str(value))
    if isinstance(value, Link) and resolve is not None:
        href = resolve(value.kind, value.code)
        if href:
            return f"<a href='{html.escape(href)}'>{text}</a>"
    return text


def report_sections(
    con: duckdb.DuckDBPyConnection, region: str | None = None, category: str | None = None
) -> tuple[str, list[Section]]:
    """(title, sections) of the page for `region`, or for `category`, or Europe-wide when neither."""
    if region and category:
        raise ReportError("a report is for a region or for a category, not both")
    if category:
        return category_sections(con, category)
    return region_sections(con, region) if region else europe_sections(con)


def published_stamp(con: duckdb.DuckDBPyConnection) -> str:
    """'run <id>' of the published run (or 'unpublished warehouse')."""
    run = rows(
        con,
        "select run_id, finished_at from meta.load_runs where status = 'published' "
        "order by finished_at desc limit 1",
    )
    return f"run {run[0]['run_id']}" if run else "unpublished warehouse"


def build_report(
    con: duckdb.DuckDBPyConnection, region: str | None = None, category: str | None = None
) -> str:
    """The report page (HTML text) for `region`, or for `category`, or Europe-wide when neither: one
    self-contained file, the Vega bundle inlined and each chart's static SVG drawn in."""
    title, sections = report_sections(con, region, category)
    intro = (
        f"clusterobs cluster and ecosystem report, {published_stamp(con)}. Source: Eurostat regional "
        "business statistics; methods in the project's docs."
    )
    return render_page(title, sections, intro, f"<script>{vlc.javascript_bundle()}</script>")


def render_page(
    title: str,
    sections: list[Section],
    intro: str,
    vega_script: str,
    resolve: Resolver | None = None,
    static_svg: bool = True,
    header: str = "",
    footer: str = "",
) -> str:
    """A page of sections: tables (links where `resolve` gives them), charts drawn by Vega from inlined
    specs (`vega_script` loads the bundle) over their static SVG when `static_svg`; `header` and
    `footer` are HTML placed around the sections."""
    parts, specs = [], {}
    for number, section in enumerate(sections, 1):
        body = f"<p class='note'>{html.escape(section.note)}</p>"
        if section.table is not None:
            body += html_table(section.table, resolve)
        if section.chart is not None:
            chart_id = f"chart-{number}"
            specs[chart_id] = section.chart
            fallback = vlc.vegalite_to_svg(section.chart) if static_svg else ""
            kind = "chart map" if report_maps.is_map(section.chart) else "chart"
            body += f"<div class='{kind}' id='{chart_id}'>{fallback}</div>"
        elif section.table is None:
            body += "<p class='empty'>No data.</p>"
        parts.append(f"<section><h2>{html.escape(section.title)}</h2>{body}</section>")
    script = (
        f"const specs = {json.dumps(specs, default=str)};\n"
        "for (const [id, spec] of Object.entries(specs)) {\n"
        "  vegaEmbed('#' + id, spec, {actions: false, renderer: 'svg'}).catch(console.error);\n"
        "}\n"
    )
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<title>clusterobs: {html.escape(title)}</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 60rem; color: #222; }}
table {{ border-collapse: collapse; margin: 0.5rem 0; }}
th, td {{ border-bottom: 1px solid #ddd; padding: 0.25rem 0.6rem; text-align: left; }}
.note {{ color: #555; }} .chart {{ margin: 0.5rem 0 1.5rem; }}
nav, footer {{ color: #555; font-size: 0.9rem; }}
</style></head>
<body>
{header}
<h1>{html.escape(title)}</h1>
<p class="note">{html.escape(intro)}</p>
{"".join(parts)}
{footer}
{vega_script}
<script>{script}</script>
</body></html>
"""
