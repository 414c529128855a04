"""The run's records in the warehouse's `meta` schema, written here only: the run started and published
(meta.load_runs), what it did with each dataset (meta.run_datasets), which indicators it could compute
(meta.indicator_availability), the rows of every table (meta.row_counts), and the data-quality summary."""

from __future__ import annotations

import duckdb

from clusterobs.loads import DatasetLoad
from clusterobs.registry import DatasetSpec
from clusterobs.transforms.readers.observations import create_observation_table
from clusterobs.transforms.sql_text import quoted, sql_literal


def record_run_started(con: duckdb.DuckDBPyConnection, run_id: str, source: str) -> None:
    """meta.load_runs: the run has started (its status stays `running` unless it is published)."""
    con.execute(
        "insert into meta.load_runs values (?, now(), ?, 'running', null)", [run_id, source]
    )


def record_run_published(con: duckdb.DuckDBPyConnection, run_id: str) -> None:
    """meta.load_runs: the run is published; the rows of its tables are kept (meta.row_counts)."""
    con.execute(
        "update meta.load_runs set status = 'published', finished_at = now() where run_id = ?",
        [run_id],
    )
    record_row_counts(con, run_id)


def record_run_datasets(
    con: duckdb.DuckDBPyConnection,
    run_id: str,
    loads: dict[str, DatasetLoad],
    absent: dict[str, str],
    registry: dict[str, DatasetSpec],
) -> None:
    """Record what the run did with each registry dataset (meta.run_datasets). An absent dataset's raw
    table becomes an empty one of its declared dimensions, so nothing of another source or run is built
    on and every model still builds (the earlier data stays in the earlier runs' folders)."""
    con.execute("begin transaction")
    try:
        for dataset, reason in absent.items():
            dimensions = registry[dataset].dimensions
            create_observation_table(
                con, f"raw.{quoted(dataset)}", dataset, dimensions, dict.fromkeys(dimensions)
            )
            con.execute(
                f"comment on table raw.{quoted(dataset)} is "
                + sql_literal(f"absent from run {run_id}: {reason}")
            )
        rows = [
            (run_id, d, load.status, len(load.files), load.observations, None)
            for d, load in loads.items()
        ] + [(run_id, d, "absent", 0, 0, reason) for d, reason in absent.items()]
        con.executemany("insert into meta.run_datasets values (?, ?, ?, ?, ?, ?)", rows)
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise


def record_indicator_availability(con: duckdb.DuckDBPyConnection, run_id: str) -> dict[str, str]:
    """Record for every catalogue indicator whether the run computed it (meta.indicator_availability);
    returns the unavailable ones with the reason."""
    con.execute(
        """insert into meta.indicator_availability
           with computed as (
               select indicator_code, count(distinct region_code) as regions, min(year) as first_year,
                   max(year) as last_year,
               from marts.fct_ecosystem_indicators
               where value is not null
               group by indicator_code
           ),
           absent as (
               select list(dataset order by dataset) as datasets from meta.run_datasets
               where run_id = $run_id and status = 'absent'
           )
           select
               $run_id,
               catalogue.indicator_code,
               catalogue.dimension,
               catalogue.source_dataset,
               case when computed.regions > 0 then 'available' else 'unavailable' end,
               coalesce(computed.regions, 0),
               computed.first_year,
               computed.last_year,
               case when computed.regions is null then array_to_string(list_filter(
                   absent.datasets, lambda d: list_contains(
                       list_transform(string_split(catalogue.source_dataset, '+'), lambda s: trim(s)), d)
               ), ', ') end,
           from ref.ecosystem_indicators as catalogue
           cross join absent
           left join computed using (indicator_code)
           order by catalogue.indicator_code""",
        {"run_id": run_id},
    )
    rows = con.execute(
        """select indicator_code, absent_datasets from meta.indicator_availability
           where run_id = ? and status = 'unavailable' order by indicator_code""",
        [run_id],
    ).fetchall()
    return {
        code: f"absent: {datasets}" if datasets else "no values in the loaded datasets"
        for code, datasets in rows
    }


def data_quality(con: duckdb.DuckDBPyConnection) -> list[dict]:
    """marts.fct_data_quality as rows (dataset, year, shares of the grid published, confidential and
    estimated, regions by how their total was obtained), for the run summary."""
    rows = con.execute(
        """select dataset, year, regions, published_share, confidential_share, estimated_share,
               regions_total_reported, regions_total_derived + regions_total_derived_with_estimates,
               regions_without_total
           from marts.fct_data_quality order by dataset, year"""
    ).fetchall()
    keys = (
        "dataset", "year", "regions", "published_share", "confidential_share", "estimated_share",
        "regions_total_reported", "regions_total_derived", "regions_without_total",
    )  # fmt: skip
    return [dict(zip(keys, row, strict=True)) for row in rows]


def record_row_counts(con: duckdb.DuckDBPyConnection, run_id: str) -> None:
    """Rows of every staging and mart table, kept per run (the drift checks compare runs)."""
    con.execute(
        """insert into meta.row_counts
           select ?, schema_name || '.' || table_name, estimated_size from duckdb_tables()
           where schema_name in ('staging', 'marts')""",
        [run_id],
    )
