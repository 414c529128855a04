"""docs/clusters_matter.md: the European Observatory's "clusters matter" figures beside the same measures
computed by clusterobs on a published warehouse (marts.fct_clusters_matter); `clusterobs clusters-matter`
writes it, so the comparison is re-made on the next data."""

from __future__ import annotations

import duckdb

DOC_PATH = "docs/clusters_matter.md"

# measure, what it is, the Observatory's figure as it states it, how the figure is shown
MEASURES = [
    (
        "jobs_share",
        "share of all business-economy jobs in specialised clusters",
        "about 19 %",
        "percent",
    ),
    (
        "wages_share",
        "share of all business-economy wages in specialised clusters",
        "about 22 %",
        "percent",
    ),
    ("wage_premium", "wage premium over the same category elsewhere", "+13.5 %", "signed_percent"),
    (
        "wage_premium_without_wage_stars",
        "the same, specialised by stars not on pay",
        "+13.5 %",
        "signed_percent",
    ),
    (
        "wage_premium_all_cells",
        "against all other cells (industries mixed)",
        "+13.5 %",
        "signed_percent",
    ),
    (
        "wage_growth_difference_pp",
        "annual wage growth, difference",
        "+0.7 points",
        "points",
    ),
    (
        "employment_growth_difference_pp",
        "annual employment growth, difference",
        "+0.5 points",
        "points",
    ),
    (
        "high_growth_share_difference",
        "high-growth enterprises per active enterprise",
        "+77 % high-growth firms",
        "signed_percent",
    ),
    (
        "birth_rate_difference",
        "enterprise births per active enterprise",
        "+141 % fast-growing start-ups",
        "signed_percent",
    ),
    ("frontier_firms_difference", "frontier firms", "+143 %", "signed_percent"),
]
LEVEL_MEASURES = [m for m in MEASURES if "growth_difference_pp" not in m[0]]
GROWTH_MEASURES = [m for m in MEASURES if "growth_difference_pp" in m[0]]


class ClustersMatterError(ValueError):
    """The warehouse has no clusters-matter figures to compare."""


def latest_complete_year(con: duckdb.DuckDBPyConnection) -> int:
    """The latest year in which at least 90 % of the most regions of any year have a business-economy total."""
    row = con.execute(
        """
        with per_year as (
            select year, count(distinct region_code) filter (where region_total_employment is not null) as regions
            from marts.fct_cluster_region_year
            group by year
        )
        select max(year) from per_year where regions >= 0.9 * (select max(regions) from per_year) and regions > 0
        """
    ).fetchone()
    if row is None or row[0] is None:
        raise ClustersMatterError(
            "no year with business-economy totals in marts.fct_cluster_region_year"
        )
    return int(row[0])


def longest_window(con: duckdb.DuckDBPyConnection) -> tuple[int, int] | None:
    """The longest trend window (of at least two years) with an employment growth difference, latest first."""
    row = con.execute(
        """
        select window_start, window_end from marts.fct_clusters_matter
        where measure = 'employment_growth_difference_pp' and value is not null
            and window_end - window_start >= 2
        order by window_end - window_start desc, window_end desc
        limit 1
        """
    ).fetchone()
    return (int(row[0]), int(row[1])) if row else None


def figures(con: duckdb.DuckDBPyConnection) -> dict[tuple[str, str, int, int], tuple]:
    """(profile, measure, window_start, window_end) -> (value, note, categories, specialised_cells)."""
    rows = con.execute(
        "select star_profile, measure, window_start, window_end, value, note, categories, specialised_cells "
        "from marts.fct_clusters_matter"
    ).fetchall()
    if not rows:
        raise ClustersMatterError(
            "marts.fct_clusters_matter is empty: run the pipeline on SBS data first"
        )
    return {(r[0], r[1], r[2], r[3]): r[4:] for r in rows}


def extracts(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str, str]]:
    """(dataset, file name, sha256) of the SBS extracts the warehouse was built from."""
    rows = con.execute(
        "select dataset, source_path, extract_sha256 from meta.extracts "
        "where dataset like 'sbs%' order by dataset, source_path"
    ).fetchall()
    return [(d, path.replace("\\", "/").rsplit("/", 1)[-1], sha) for d, path, sha in rows]


def shown(value: float | None, style: str) -> str:
    """A figure as the doc prints it."""
    if value is None:
        return "n/a"
    if style == "percent":
        return f"{100 * value:.1f} %"
    if style == "signed_percent":
        return f"{100 * value:+.1f} %"
    return f"{value:+.2f} points"


def comparison_markdown(con: duckdb.DuckDBPyConnection) -> str:
    """The whole of docs/clusters_matter.md for the warehouse on `con`."""
    found = figures(con)
    profiles = sorted({key[0] for key in found})
    year = latest_complete_year(con)
    window = longest_window(con)
    years = sorted({key[2] for key in found if key[2] == key[3]})
    sources = extracts(con)
    lines = [
        "# Clusters matter: the Observatory's figures and clusterobs' on real data",
        "",
        "<!-- Generated by `clusterobs clusters-matter --output docs/clusters_matter.md` from a published",
        "warehouse; do not edit by hand. A test re-makes it from the real sbs_r_nuts06_r2 file and fails when",
        "it differs. -->",
        "",
        'The European Observatory for Clusters and Industrial Change (EOCIC, 2020) found that "clusters',
        'matter": specialised clusters hold about 19 % of European jobs and 22 % of wages, pay 13.5 % more',
        "than the same industries elsewhere, grow wages 0.7 and employment 0.5 points a year faster, and have",
        "143 % more frontier firms, 77 % more high-growth firms and 141 % more fast-growing start-ups. Below,",
        "the same measures computed by clusterobs (`marts.fct_clusters_matter`, definitions in",
        "[cluster_tables.md](cluster_tables.md#fct_clusters_matter)) for each star profile of",
        "`star_profiles.toml`, a specialised cluster being a traded-category cell with at least one star.",
        "",
        "Data: "
        + "; ".join(f"`{name}` ({dataset}, sha256 `{sha[:12]}`)" for dataset, name, sha in sources)
        + ".",
        "",
        f"## Levels in {year}, the latest year with (nearly) every region",
        "",
        "| measure | EOCIC 2020 | " + " | ".join(f"`{p}`" for p in profiles) + " |",
        "|---|---|" + "---:|" * len(profiles),
    ]
    notes: dict[str, str] = {}
    for measure, label, seed, style in LEVEL_MEASURES:
        cells = []
        for profile in profiles:
            value, note, *_ = found.get((profile, measure, year, year), (None, None))
            cells.append(shown(value, style))
            if value is None and note:
                notes[measure] = note
        if all(c == "n/a" for c in cells) and measure not in notes:
            continue  # e.g. no profile with a star on pay
        lines.append(f"| {label} (`{measure}`) | {seed} | " + " | ".join(cells) + " |")
    lines += ["", "## Growth differences", ""]
    spans = [(year - 1, year)] + ([window] if window else [])
    lines += [
        "| measure | window | EOCIC 2020 | " + " | ".join(f"`{p}`" for p in profiles) + " |",
        "|---|---|---|" + "---:|" * len(profiles),
    ]
    for start, end in spans:
        for measure, label, seed, style in GROWTH_MEASURES:
            cells = [
                shown(found.get((p, measure, start, end), (None,))[0], style) for p in profiles
            ]
            lines.append(
                f"| {label} (`{measure}`) | {start}-{end} | {seed} | " + " | ".join(cells) + " |"
            )
    lines += [
        "",
        "Growth is the average annual growth of each category's specialised cells (stars at the window's start)",
        "against its other cells, weighted by the specialised cells' employment; a cell whose window crosses a",
        "break (the 2020/2021 SBS regime change, a NUTS recode, a break flag, estimated endpoints) is left out.",
        "",
        "## Every year",
        "",
        "| year | " + " | ".join(f"jobs share `{p}` | wage premium `{p}`" for p in profiles) + " |",
        "|---|" + "---:|---:|" * len(profiles),
    ]
    for y in years:
        cells = []
        for p in profiles:
            cells.append(shown(found.get((p, "jobs_share", y, y), (None,))[0], "percent"))
            cells.append(shown(found.get((p, "wage_premium", y, y), (None,))[0], "signed_percent"))
        lines.append(f"| {y} | " + " | ".join(cells) + " |")
    if notes:
        lines += ["", "## Not computed here", ""]
        lines += [f"- `{measure}`: {note}" for measure, note in notes.items()]
    lines += ["", *WHY_THEY_DIFFER]
    return "\n".join(lines) + "\n"


WHY_THEY_DIFFER = [
    "## Why the figures differ",
    "",
    "- **Years.** The Observatory's 2020 figures rest on data for about 2016-2018; the real `sbs_r_nuts06_r2`",
    "  file here is the 2017 publication (2008-2015, NACE Rev. 2 from 2008), so the years compared are older.",
    "- **Data source and scope.** The Observatory combined Eurostat's regional SBS with firm-level data (Orbis)",
    "  and its own sector definitions; clusterobs uses the regional SBS alone, whose scope is the business",
    "  economy without finance (legacy regime), with suppressed cells estimated (`imputed_employment_share`)",
    "  and NACE classes allocated to the 51 categories by the project's own derived mapping",
    "  ([cluster_mapping.md](cluster_mapping.md)); categories mostly outside the scope earn no star.",
    "- **What a specialised cluster is.** The Panorama's star thresholds are not published; the profiles",
    "  here are configurable approximations (`star_profiles.toml`). How many cells count as specialised drives",
    "  the jobs and wages shares most: `us-cmp-strong` (a quarter of each category's regions at most) and",
    "  `eocic` (five stars, any one of which makes a cell count) are far apart. The Observatory's own",
    '  "specialised clusters" (19 % of jobs) are fewer than its clusters with any star (23.4 % of jobs in',
    '  the 2020 Panorama), so its definition is narrower than "any star"; `eco-classic` and `us-cmp-strong`',
    "  come closest to that share.",
    "- **Pay as a star.** Where a profile rewards pay (`eocic`'s productivity star is the average wage, as",
    "  value added is not in the regional SBS extracts), its premium is partly its own definition; the row",
    "  without that star is the fairer comparison.",
    "- **Firm-level measures.** Frontier firms are defined on firm-level productivity, which no Eurostat",
    "  regional table carries: never computed. High-growth enterprises and births come from business",
    "  demography (`bd_hgnace2_r3`) where it breaks down by NACE section and region; the Observatory counted",
    "  fast-growing start-ups, which Eurostat does not publish by region and sector: births are the",
    "  closest measure, not the same one.",
]
