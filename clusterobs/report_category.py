"""The report's page for one cluster category or emerging industry: its map of Europe (location quotient,
star regions outlined), the leading regions, its European employment trend and its NACE composition."""

from __future__ import annotations

import duckdb

from clusterobs import report_maps
from clusterobs.report_charts import trend_chart
from clusterobs.report_data import Link, ReportError, Section, map_version, rows, stars_text


def category_sections(con: duckdb.DuckDBPyConnection, category: str) -> tuple[str, list[Section]]:
    """(title, sections) of the category's page; ReportError for an unknown code or one without data."""
    found = rows(
        con,
        "select category_name, category_type from marts.dim_cluster_category where category_code = ?",
        [category],
    )
    if not found:
        raise ReportError(
            f"category {category!r} is not in marts.dim_cluster_category "
            '(use a code such as T05 or E04: `clusterobs query "select * from marts.dim_cluster_category"`)'
        )
    name = found[0]["category_name"]
    year = rows(
        con,
        "select max(year) as year from marts.fct_cluster_region_year where category_code = ?",
        [category],
    )[0]["year"]
    if year is None:
        raise ReportError(f"no cluster data for {category} ({name})")
    cells = rows(
        con,
        """select region_code, region_name, country_name, lq, employment, star_count,
                  coalesce(star_count, 0) > 0 as has_star
           from analyst.v_cluster_region_year
           where category_code = ? and year = ? and nuts_level = 2""",
        [category, year],
    )
    leading = sorted(cells, key=lambda c: -(c["employment"] or 0))[:15]
    leading_table = [
        {
            "region": Link(c["region_name"], "region", c["region_code"]),
            "country": c["country_name"],
            "stars": stars_text(c),
            "persons employed": f"{c['employment'] or 0:,}",
            "LQ": "" if c["lq"] is None else f"{c['lq']:.2f}",
        }
        for c in leading
    ]
    trend = rows(
        con,
        """select ? as category_name, year, sum(employment) as employment
           from marts.fct_cluster_region_year where category_code = ?
           group by year order by year""",
        [name, category],
    )
    composition = [
        {
            "NACE": r["nace_code"],
            "activity": r["nace_label"],
            "share counted": f"{r['allocation_weight']:.0%}",
        }
        for r in rows(
            con,
            """select nace_code, nace_label, allocation_weight from analyst.v_nace_cluster_mapping
               where category_code = ? and nace_level = 4 order by nace_code""",
            [category],
        )
    ]
    starred = sum(c["has_star"] for c in cells)
    return f"{name} ({category})", [
        Section(
            f"Specialisation across Europe, {year}",
            "Location quotient of each NUTS-2 region (its share of the category's employment over "
            f"Europe's); the {starred} regions where the category earns at least one star are outlined. "
            f"{report_maps.OUTERMOST_NOTE}",
            chart=report_maps.lq_map(cells, map_version(con)) if cells else None,
        ),
        Section(
            f"Leading regions, {year}",
            "The fifteen regions with the most persons employed in the category.",
            table=leading_table,
        ),
        Section(
            "European employment trend",
            "Persons employed in the category over all regions loaded; the dashed line marks the "
            "2020/2021 change of SBS regulation.",
            chart=trend_chart(trend, "category_name") if trend else None,
        ),
        Section(
            "NACE composition",
            "The NACE Rev. 2 classes counted in the category (and the share of each counted).",
            table=composition,
        ),
    ]
