"""The published outputs use one name per concept and read as people expect: star profiles are
`star_profile`, two-year windows `window_start`/`window_end` with `*_start`/`*_end` values, counts in the
analyst views whole numbers equal to the marts' values rounded."""

from __future__ import annotations

import duckdb
import pytest

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def columns(published) -> dict[str, dict[str, str]]:
    out, _ = published
    with duckdb.connect(str(out / "clusterobs.duckdb"), read_only=True) as con:
        rows = con.execute(
            """select table_schema || '.' || table_name, column_name, data_type
               from information_schema.columns where table_schema in ('marts', 'analyst')"""
        ).fetchall()
    tables: dict[str, dict[str, str]] = {}
    for table, column, data_type in rows:
        tables.setdefault(table, {})[column] = data_type
    return tables


def test_one_name_per_concept(columns):
    names = {column for table in columns.values() for column in table}
    assert "profile" not in names  # a star profile is `star_profile` everywhere
    assert {
        "marts.fct_cluster_stars",
        "marts.fct_clusters_matter",
        "marts.fct_cluster_region_year",
    } <= {table for table, cols in columns.items() if "star_profile" in cols}
    # two-year windows: window_start / window_end and values *_start / *_end, never *_from / *_to
    assert not [
        n for n in names if n.endswith(("_from", "_to")) or n.startswith(("year_from", "year_to"))
    ]
    for table in (
        "marts.fct_scoreboard_changes",
        "marts.fct_region_trends",
        "marts.fct_cluster_trends",
        "marts.fct_clusters_matter",
    ):
        assert {"window_start", "window_end"} <= columns[table].keys(), table


def test_analyst_views_show_counts_as_whole_numbers(columns, published):
    out, _ = published
    view = columns["analyst.v_cluster_region_year"]
    assert view["employment"] == view["local_units"] == view["region_total_employment"] == "BIGINT"
    assert columns["marts.fct_cluster_region_year"]["employment"] == "DOUBLE"  # exact there
    assert columns["analyst.v_cluster_trends"]["employment_change"] == "BIGINT"
    with duckdb.connect(str(out / "clusterobs.duckdb"), read_only=True) as con:
        differing = con.execute(
            """select count(*) from analyst.v_cluster_region_year as v
               join marts.fct_cluster_region_year as m using (region_code, category_code, year)
               where v.employment is distinct from round(m.employment)::bigint"""
        ).fetchone()[0]
    assert differing == 0
