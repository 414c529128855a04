"""The Dask exchange: an extract parsed on a worker into a Parquet file of the long schema
(`parse_to_parquet`, no warehouse needed), and the warehouse's single writer loading such files
(`load_parsed`, with the transaction, union and lineage code of `loads.load_dataset`)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb

from clusterobs.landing import LandedFile
from clusterobs.loads import (
    DatasetLoad,
    ExtractStats,
    dimension_mismatch,
    extract_stats,
    load_transaction,
    parsed_extract,
    raise_on_overlap,
    replace_raw,
    union_slices,
)
from clusterobs.transforms.readers.conformance import DeclaredSchema
from clusterobs.transforms.readers.observations import quoted, sql_literal, stored_columns


@dataclass(frozen=True)
class ParsedFile:
    """One extract parsed into a Parquet file of the long schema's stored columns: what a worker hands
    to the warehouse's single writer (`parse_to_parquet` -> `load_parsed`)."""

    landed: LandedFile
    parquet: Path
    dimensions: tuple[str, ...]
    stats: ExtractStats


def parse_to_parquet(
    landed: LandedFile,
    dataset: str,
    number: int,
    exchange_dir: Path,
    memory_limit: str | None,
    declared: DeclaredSchema | None = None,
) -> ParsedFile:
    """Parse extract file `number` of a dataset in an in-memory DuckDB and write it to `exchange_dir`
    (no warehouse needed: this runs on any worker that sees the landing and exchange folders)."""
    exchange_dir.mkdir(parents=True, exist_ok=True)
    target = exchange_dir / f"{dataset}__{number}.parquet"
    partial = target.with_name(f".{target.name}.partial")
    with duckdb.connect(config={"memory_limit": memory_limit} if memory_limit else {}) as con:
        con.execute("set variable extract_number = ?::smallint", [number])
        extract, notes = parsed_extract(con, landed, dataset, "parsed_extract", declared)
        stats = extract_stats(con, extract, landed, notes)
        stored = ", ".join(quoted(c) for c in stored_columns(extract.dimensions))
        con.execute(
            f"copy (select {stored} from parsed_extract) to ? (format parquet, compression zstd)",
            [str(partial)],
        )
    partial.replace(target)
    return ParsedFile(landed, target, tuple(extract.dimensions), stats)


def load_parsed(
    con: duckdb.DuckDBPyConnection, dataset: str, parsed: list[ParsedFile], run_id: str
) -> DatasetLoad:
    """Replace raw.<dataset> by parsed Parquet files (from `parse_to_parquet`) in one transaction;
    the table is the one `load_dataset` makes of the same extracts."""
    if not parsed:
        raise ValueError(f"no parsed extract files for {dataset}")
    files = [p.landed for p in parsed]
    dimensions = list(parsed[0].dimensions)
    for other in parsed[1:]:
        if list(other.dimensions) != dimensions:
            raise dimension_mismatch(
                dataset, other.landed, list(other.dimensions), files[0], dimensions
            )
    incoming = f"raw.{quoted('__incoming_' + dataset)}"
    with load_transaction(con, run_id, files):
        sources = [f"read_parquet({sql_literal(str(p.parquet))})" for p in parsed]
        union_slices(con, incoming, dataset, dimensions, sources)
        if len(parsed) > 1:
            raise_on_overlap(con, incoming, dataset, dimensions, files)
        stats = [p.stats for p in parsed]
        replace_raw(con, dataset, incoming, files, stats, run_id)
    return DatasetLoad(dataset, "loaded", tuple(stats))
