"""`clusterobs report`: one self-contained static HTML page for a region (or Europe-wide) from the published
warehouse: its star clusters, most specialised clusters, scoreboard against its peers and employment
trends. Charts are Vega-Lite specs made with Altair, drawn in the browser by the Vega JavaScript bundled
into the page (vl-convert), over a static SVG of the same chart rendered at build time: the page needs
no network and shows the charts even with JavaScript off."""

from __future__ import annotations

import html
import json
from dataclasses import dataclass

import altair as alt
import duckdb
import vl_convert as vlc

BREAK_YEAR = 2020.5  # SBS legacy (to 2020) / EBS (from 2021) regime change, marked on trend charts
LABEL_LIMIT = 420  # pixels of an axis or legend label before Vega cuts it with "..."
EU_100_NOTE = (
    "EU = 100: Eurostat's EU aggregate where the extracts carry it, else the regions' average "
    "(each bar's tooltip says which: index_reference)."
)


class ReportError(ValueError):
    """The report cannot be made (unknown region, nothing published for it); the message says why."""


@dataclass(frozen=True)
class Section:
    title: str
    note: str
    table: list[dict] | None = None
    chart: dict | None = None


def rows(con: duckdb.DuckDBPyConnection, sql: str, params: list | None = None) -> list[dict]:
    """Query result as a list of dicts."""
    result = con.execute(sql, params or [])
    names = [d[0] for d in result.description]
    return [dict(zip(names, r, strict=True)) for r in result.fetchall()]


def stars_text(row: dict) -> str:
    return "★" * int(row.get("star_count") or 0)


def specialisation_chart(data: list[dict], label: str) -> dict:
    """Horizontal bars of the location quotients, LQ 2 (the classic star threshold) marked."""
    base = alt.Chart(alt.Data(values=data))
    bars = base.mark_bar().encode(
        x=alt.X("lq:Q", title="location quotient"),
        # whole labels (Vega cuts them at 180 px): "Distribution and electronic commerce" ...
        y=alt.Y(f"{label}:N", sort="-x", title=None, axis=alt.Axis(labelLimit=LABEL_LIMIT)),
        tooltip=[
            f"{label}:N",
            alt.Tooltip("lq:Q", format=".2f"),
            alt.Tooltip("employment:Q", title="persons employed", format=",.0f"),
        ],
    )
    rule = alt.Chart(alt.Data(values=[{"lq": 2}])).mark_rule(strokeDash=[4, 4]).encode(x="lq:Q")
    return (bars + rule).properties(width=520, height=18 * max(len(data), 1)).to_dict()


def scoreboard_chart(data: list[dict], highlight: str | None = None) -> dict:
    """Grouped bars: each scoreboard dimension's index (EU = 100) per region, the
    `highlight` region in colour and the others grey (all in colour without one), each bar labelled with
    the indicators behind it."""
    for row in data:
        row["indicators"] = f"{row['n_indicators']} of {row['n_catalogue_indicators']} indicators"
        row["is_highlighted"] = highlight is None or row["region_name"] == highlight
    base = alt.Chart(alt.Data(values=data)).encode(
        # by value, highest first (an alphabetical order of native names puts Česko and Österreich last)
        y=alt.Y(
            "region_name:N",
            title=None,
            sort=alt.EncodingSortField(field="composite_index", op="max", order="descending"),
            axis=alt.Axis(labelLimit=LABEL_LIMIT),
        ),
        x=alt.X("composite_index:Q", title="index (EU = 100)"),
    )
    bars = base.mark_bar().encode(
        color=alt.condition("datum.is_highlighted", alt.value("#1f77b4"), alt.value("#b0b0b0")),
        tooltip=[
            "region_name:N",
            "dimension_label:N",
            alt.Tooltip("composite_index:Q", title="index", format=".1f"),
            alt.Tooltip("index_reference:N", title="100 ="),
            "indicators:N",
        ],
    )
    labels = base.mark_text(align="left", dx=4, fontSize=10, color="#555").encode(
        text="indicators:N"
    )
    return (
        alt.layer(bars, labels)
        .properties(width=420)
        .facet(
            row=alt.Row(
                "dimension_label:N", title=None, header=alt.Header(labelAngle=0, labelAlign="left")
            )
        )
        .to_dict()
    )


def trend_chart(data: list[dict], series: str) -> dict:
    """Employment lines by year, the 2020/2021 SBS regime change marked; a log scale where the series
    differ by more than a factor of ten (a linear one would flatten the small ones), the year axis
    spanning the data only."""
    values = [r["employment"] for r in data if r["employment"]]
    years = [r["year"] for r in data]
    spread = max(values) / min(values) if values and min(values) > 0 else 1
    scale = alt.Scale(type="log") if spread > 10 else alt.Scale(zero=False)
    lines = (
        alt.Chart(alt.Data(values=data))
        .mark_line(point=True)
        .encode(
            x=alt.X(
                "year:Q",
                axis=alt.Axis(format="d", tickMinStep=1),
                scale=alt.Scale(domain=[min(years, default=0), max(years, default=0)], nice=False),
                title=None,
            ),
            y=alt.Y(
                "employment:Q",
                title="persons employed" + (" (log scale)" if spread > 10 else ""),
                scale=scale,
                axis=alt.Axis(format="~s"),
            ),
            color=alt.Color(f"{series}:N", title=None, legend=alt.Legend(labelLimit=LABEL_LIMIT)),
            tooltip=[
                f"{series}:N",
                alt.Tooltip("year:Q", format="d"),
                alt.Tooltip("employment:Q", title="persons employed", format=",.0f"),
            ],
        )
    )
    rule = (
        alt.Chart(alt.Data(values=[{"year": BREAK_YEAR, "label": "SBS regime change"}]))
        .mark_rule(strokeDash=[4, 4], color="grey")
        .encode(x="year:Q")
    )
    return (lines + rule).properties(width=620, height=280).to_dict()


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
            "cluster": c["category_name"],
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
    title = f"{names[0]['region_name']} ({region})"
    return title, [
        Section(
            f"Star clusters, {year}",
            "Traded cluster categories with at least one classic star "
            "(size, specialisation, focus), most stars first.",
            table=star_table,
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
        """select region_name, country_name, category_name, star_count, employment, lq
           from analyst.v_cluster_region_year
           where year = ? and category_type = 'traded' and star_count = 3
           order by lq desc limit 25""",
        [year],
    )
    star_table = [
        {
            "region": r["region_name"],
            "country": r["country_name"],
            "cluster": r["category_name"],
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
            "Employment trends",
            "European employment of the five largest traded categories; the "
            "dashed line marks the 2020/2021 change of SBS regulation.",
            chart=trend_chart(trends, "category_name"),
        ),
    ]


def html_table(data: list[dict]) -> str:
    if not data:
        return "<p class='empty'>None.</p>"
    head = "".join(f"<th>{html.escape(str(k))}</th>" for k in data[0])
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(str(v))}</td>" for v in row.values()) + "</tr>"
        for row in data
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def build_report(con: duckdb.DuckDBPyConnection, region: str | None = None) -> str:
    """The report page (HTML text) for `region`, or Europe-wide when None."""
    title, sections = region_sections(con, region) if region else europe_sections(con)
    run = rows(
        con,
        "select run_id, finished_at from meta.load_runs where status = 'published' "
        "order by finished_at desc limit 1",
    )
    stamp = f"run {run[0]['run_id']}" if run else "unpublished warehouse"
    parts, specs = [], {}
    for number, section in enumerate(sections, 1):
        body = f"<p class='note'>{html.escape(section.note)}</p>"
        if section.table is not None:
            body += html_table(section.table)
        if section.chart is not None:
            chart_id = f"chart-{number}"
            specs[chart_id] = section.chart
            fallback = vlc.vegalite_to_svg(section.chart)
            body += f"<div class='chart' id='{chart_id}'>{fallback}</div>"
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
</style></head>
<body>
<h1>{html.escape(title)}</h1>
<p class="note">clusterobs cluster and ecosystem report, {html.escape(stamp)}. Source: Eurostat regional
business statistics; methods in the project's docs.</p>
{"".join(parts)}
<script>{vlc.javascript_bundle()}</script>
<script>{script}</script>
</body></html>
"""
