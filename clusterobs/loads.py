"""Raw loads with lineage: an extract parsed and held against the registry, then raw.<dataset> replaced
in one transaction with the extract's checksum, the load run and each observation's flags; what is
already loaded (an unchanged extract is not loaded again), and the stats recorded in meta.extracts."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass

import duckdb

from clusterobs.failpoints import failpoint
from clusterobs.landing import LandedFile
from clusterobs.transforms.duckdb_results import first_row, scalar
from clusterobs.transforms.readers.conformance import DeclaredSchema, conformed_extract
from clusterobs.transforms.readers.extracts import read_extract
from clusterobs.transforms.readers.observations import (
    ExtractError,
    ParsedExtract,
    create_observation_table,
    dimension_domains,
    quoted,
    stored_columns,
)


@dataclass(frozen=True)
class ExtractStats:
    """What one extract file holds (the `clusterobs ingest` report)."""

    file: str
    dataset: str
    format: str
    series: int
    observations: int
    values: int
    missing: int
    flags: dict[str, int]
    value_sum: float | None
    extract_sha256: str
    warnings: tuple[str, ...] = ()
    updated: str | None = None  # Eurostat's update stamp of the extract, when known
    notes: tuple[
        str, ...
    ] = ()  # how the file was held against the registry (schema drift), kept in lineage

    def as_dict(self) -> dict:
        return asdict(self) | {"warnings": list(self.warnings), "notes": list(self.notes)}


@dataclass(frozen=True)
class DatasetLoad:
    """What loading one dataset (one or more extract files) did."""

    dataset: str
    status: str  # "loaded" or "unchanged"
    files: tuple[ExtractStats, ...]

    @property
    def observations(self) -> int:
        return sum(f.observations for f in self.files)

    @property
    def values(self) -> int:
        return sum(f.values for f in self.files)

    @property
    def series(self) -> int:
        return sum(f.series for f in self.files)


def extract_stats(
    con: duckdb.DuckDBPyConnection,
    parsed: ParsedExtract,
    landed: LandedFile,
    notes: list[str] | None = None,
) -> ExtractStats:
    """Counts of one parsed extract: series, observations, values, missing cells, each flag, sum of values."""
    observations, values, value_sum = first_row(
        con, f"select count(*), count(value), sum(value) from {parsed.table}"
    )
    series = parsed.series
    if series is None:
        dims = ", ".join(quoted(d) for d in parsed.dimensions if d != "freq") or "1"
        series = scalar(
            con, f"select count(*) from (select distinct freq, {dims} from {parsed.table})"
        )
    flags = dict(
        con.execute(
            f"""select letter, count(*) from (
                    select unnest(string_split(flags, '')) as letter from {parsed.table} where flags is not null
                    union all
                    select conf_status from {parsed.table} where conf_status is not null and flags is null
                ) group by letter order by letter"""
        ).fetchall()
    )
    return ExtractStats(
        file=str(landed.source),
        dataset=parsed.dataset,
        format=parsed.format,
        series=series,
        observations=observations,
        values=values,
        missing=observations - values,
        flags=flags,
        value_sum=value_sum,
        extract_sha256=landed.sha256,
        warnings=tuple(parsed.warnings),
        updated=landed.updated,
        notes=tuple(notes or ()),
    )


def loaded_checksums(con: duckdb.DuckDBPyConnection, dataset: str) -> set[str]:
    """Checksums of the extracts that make up the loaded version of a dataset (empty if not loaded)."""
    exists = scalar(
        con,
        "select count(*) from duckdb_tables() where schema_name = 'raw' and table_name = ?",
        [dataset],
    )
    if not exists:
        return set()
    return {
        r[0]
        for r in con.execute(
            f"select distinct extract_sha256 from raw.{quoted(dataset)}"
        ).fetchall()
    }


def is_loaded(
    con: duckdb.DuckDBPyConnection,
    dataset: str,
    files: list[LandedFile],
    declared: DeclaredSchema | None = None,
) -> bool:
    """Whether raw.<dataset> holds exactly these extracts, with every dimension the registry declares
    (a registry that learnt a dimension's total since the load needs the files read again)."""
    if loaded_checksums(con, dataset) != {f.sha256 for f in files}:
        return False
    if declared is None:
        return True
    columns = {
        r[0]
        for r in con.execute(
            "select column_name from duckdb_columns() where schema_name = 'raw' and table_name = ?",
            [dataset],
        ).fetchall()
    }
    return set(declared.dimensions) <= columns


def loaded_updated_stamp(con: duckdb.DuckDBPyConnection, dataset: str) -> str | None:
    """Eurostat's update stamp recorded for the loaded version of a dataset."""
    current = loaded_checksums(con, dataset)
    if not current:
        return None
    stamps = {
        r[0]
        for r in con.execute(
            "select eurostat_updated from meta.extracts where dataset = ? and list_contains(?, extract_sha256)",
            [dataset, sorted(current)],
        ).fetchall()
    }
    return stamps.pop() if len(stamps) == 1 else None


def load_dataset(
    con: duckdb.DuckDBPyConnection,
    dataset: str,
    files: list[LandedFile],
    run_id: str,
    declared: DeclaredSchema | None = None,
) -> DatasetLoad:
    """Replace raw.<dataset> by the observations of `files` in one transaction (nothing if unchanged).

    Every file is parsed (and held against the registry's `declared` schema) before anything is written;
    a bad file raises ExtractError and loads nothing.
    """
    if not files:
        raise ValueError(f"no extract files for {dataset}")
    if is_loaded(con, dataset, files, declared):
        return unchanged_load(con, dataset, files)
    incoming = f"raw.{quoted('__incoming_' + dataset)}"
    stats = []
    with load_transaction(con, run_id, files):
        dimensions = None
        for number, landed in enumerate(files):
            con.execute("set variable extract_number = ?::smallint", [number])
            target = incoming if len(files) == 1 else f"_slice_{number}"
            extract, notes = parsed_extract(con, landed, dataset, target, declared)
            if dimensions is not None and extract.dimensions != dimensions:
                raise dimension_mismatch(dataset, landed, extract.dimensions, files[0], dimensions)
            dimensions = extract.dimensions
            stats.append(extract_stats(con, extract, landed, notes))
        if len(files) > 1:
            slices = [f"_slice_{number}" for number in range(len(files))]
            union_slices(con, incoming, dataset, dimensions, slices)
            for name in slices:
                con.execute(f"drop table {name}")
            raise_on_overlap(con, incoming, dataset, dimensions, files)
        replace_raw(con, dataset, incoming, files, stats, run_id)
    return DatasetLoad(dataset, "loaded", tuple(stats))


def unchanged_load(
    con: duckdb.DuckDBPyConnection, dataset: str, files: list[LandedFile]
) -> DatasetLoad:
    """The load of a dataset whose extracts are the loaded ones: nothing is written."""
    return DatasetLoad(dataset, "unchanged", tuple(_recorded_stats(con, dataset, f) for f in files))


def parsed_extract(
    con: duckdb.DuckDBPyConnection,
    landed: LandedFile,
    dataset: str,
    target: str,
    declared: DeclaredSchema | None = None,
) -> tuple[ParsedExtract, list[str]]:
    """`read_extract` of a landed file held against the `declared` schema (when given), and the notes that
    say how; errors and warnings name the file it came from."""
    try:
        extract = read_extract(con, landed.path, dataset, target=target)
        notes = conformed_extract(con, extract, declared, landed.source) if declared else []
    except ExtractError as exc:
        problem = exc.problem.replace(str(landed.path), landed.source)
        raise ExtractError(landed.source, exc.line, problem) from None
    extract.warnings[:] = [w.replace(str(landed.path), landed.source) for w in extract.warnings]
    return extract, notes


def dimension_mismatch(
    dataset: str, landed: LandedFile, dimensions: list[str], first: LandedFile, expected: list[str]
) -> ExtractError:
    return ExtractError(
        landed.source,
        None,
        f"{dataset}: dimensions {dimensions} differ from {expected} in {first.source}",
    )


@contextmanager
def load_transaction(
    con: duckdb.DuckDBPyConnection, run_id: str, files: list[LandedFile]
) -> Iterator[None]:
    """A transaction with the lineage variables set (the observation tables' virtual columns read them)."""
    con.execute("begin transaction")
    try:
        con.execute("set variable load_run_id = ?", [run_id])
        con.execute("set variable extract_checksums = ?::varchar[]", [[f.sha256 for f in files]])
        yield
        failpoint("load")
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise
    finally:
        for name in ("load_run_id", "extract_checksums", "extract_number"):
            con.execute(f"reset variable {name}")


def replace_raw(
    con: duckdb.DuckDBPyConnection,
    dataset: str,
    incoming: str,
    files: list[LandedFile],
    stats: list[ExtractStats],
    run_id: str,
) -> None:
    """Swap the incoming table in as raw.<dataset> and record its extracts (inside the load's transaction)."""
    con.execute(f"drop table if exists raw.{quoted(dataset)}")
    con.execute(f"alter table {incoming} rename to {quoted(dataset)}")
    for landed, stat in zip(files, stats, strict=True):
        con.execute(
            """insert or replace into meta.extracts
               (dataset, extract_sha256, source_path, bytes, series, observations, values_present,
                loaded_at, load_run_id, landing_path, format, eurostat_updated, fetched_at, missing, value_sum,
                flag_counts, notes)
               values (?, ?, ?, ?, ?, ?, ?, now(), ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
            [
                dataset, landed.sha256, landed.source, landed.bytes, stat.series, stat.observations,
                stat.values, run_id, str(landed.path), stat.format, landed.updated, landed.fetched_at,
                stat.missing, stat.value_sum, json.dumps(stat.flags), json.dumps(list(stat.notes)),
            ],
        )  # fmt: skip


def union_slices(
    con: duckdb.DuckDBPyConnection,
    table: str,
    dataset: str,
    dimensions: list[str],
    sources: list[str],
) -> None:
    """Create `table` from the parsed `sources` (tables or Parquet scans), dimension ENUMs covering all codes."""
    codes = " union all ".join(
        f"select {', '.join(f'{quoted(d)}::varchar as {quoted(d)}' for d in dimensions)} from {s}"
        for s in sources
    )
    create_observation_table(
        con, table, dataset, dimensions, dimension_domains(con, f"({codes})", dimensions)
    )
    stored = ", ".join(quoted(c) for c in stored_columns(dimensions))
    for source in sources:
        con.execute(f"insert into {table} ({stored}) select {stored} from {source}")


def raise_on_overlap(
    con: duckdb.DuckDBPyConnection,
    table: str,
    dataset: str,
    dimensions: list[str],
    files: list[LandedFile],
) -> None:
    """Raise if two extract files of one dataset hold the same observation."""
    keys = ", ".join(quoted(d) for d in dimensions)
    rows = con.execute(
        f"""select min(extract_sha256), max(extract_sha256), any_value(period) from {table}
            group by {keys}, period having count(*) > 1 limit 1"""
    ).fetchall()
    if rows:
        by_sha = {f.sha256: f.source for f in files}
        first, second, period = rows[0]
        raise ExtractError(
            by_sha[second],
            None,
            f"{dataset}: the same observation ({period}) is also in {by_sha[first]}",
        )


def _recorded_stats(
    con: duckdb.DuckDBPyConnection, dataset: str, landed: LandedFile
) -> ExtractStats:
    """The statistics recorded when an (unchanged) extract was loaded."""
    row = first_row(
        con,
        """select format, series, observations, values_present, missing, value_sum, flag_counts, notes
           from meta.extracts where dataset = ? and extract_sha256 = ?""",
        [dataset, landed.sha256],
    )
    fmt, series, observations, values, missing, value_sum, flags, notes = row or (
        "?",
        0,
        0,
        0,
        0,
        None,
        None,
        None,
    )
    return ExtractStats(
        landed.source,
        dataset,
        fmt,
        series,
        observations,
        values,
        missing or 0,
        json.loads(flags or "{}"),
        value_sum,
        landed.sha256,
        updated=landed.updated,
        notes=tuple(json.loads(notes or "[]")),
    )
