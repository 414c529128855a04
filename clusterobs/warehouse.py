"""The DuckDB warehouse: schemas, reference seeds, run configuration, raw loads with lineage, Parquet export."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path

import duckdb
import polars as pl

from clusterobs.failpoints import failpoint
from clusterobs.landing import LandedFile
from clusterobs.registry import load_registry, run_years
from clusterobs.settings import EU27, REFERENCE_DIR, Settings
from clusterobs.stars import StarProfileError, load_star_profiles, performance_levels, star_rules
from clusterobs.transforms.conformance import DeclaredSchema, conformed_extract
from clusterobs.transforms.duckdb_results import first_row, scalar
from clusterobs.transforms.extracts import read_extract
from clusterobs.transforms.observations import (
    ExtractError,
    ParsedExtract,
    create_observation_table,
    dimension_domains,
    quoted,
    sql_literal,
    stored_columns,
)

META_DDL = [
    "create schema if not exists raw",
    "create schema if not exists ref",
    "create schema if not exists config",
    "create schema if not exists meta",
    """create table if not exists meta.load_runs (
        run_id varchar primary key,
        started_at timestamptz,
        source varchar,
        status varchar,
        finished_at timestamptz
    )""",
    """create table if not exists meta.extracts (
        dataset varchar,
        extract_sha256 varchar,
        source_path varchar,
        bytes bigint,
        series bigint,
        observations bigint,
        values_present bigint,
        loaded_at timestamptz,
        load_run_id varchar,
        primary key (dataset, extract_sha256)
    )""",
    "alter table meta.extracts add column if not exists landing_path varchar",
    "alter table meta.extracts add column if not exists format varchar",
    "alter table meta.extracts add column if not exists eurostat_updated varchar",
    "alter table meta.extracts add column if not exists fetched_at varchar",
    "alter table meta.extracts add column if not exists missing bigint",
    "alter table meta.extracts add column if not exists value_sum double",
    "alter table meta.extracts add column if not exists flag_counts json",
    "alter table meta.extracts add column if not exists notes json",
    """create table if not exists meta.run_datasets (
        run_id varchar,
        dataset varchar,
        status varchar,
        files integer,
        observations bigint,
        reason varchar
    )""",
    """create table if not exists meta.indicator_availability (
        run_id varchar,
        indicator_code varchar,
        dimension varchar,
        source_dataset varchar,
        status varchar,
        regions bigint,
        first_year smallint,
        last_year smallint,
        absent_datasets varchar
    )""",
    """create table if not exists meta.row_counts (
        run_id varchar,
        relation varchar,
        rows bigint
    )""",
    """create table if not exists meta.validation_results (
        run_id varchar,
        suite varchar,
        relation varchar,
        expectation varchar,
        column_name varchar,
        severity varchar,
        success boolean,
        observed_value varchar,
        unexpected_count bigint,
        unexpected_sample varchar
    )""",
]

NUTS_VERSIONS = (2006, 2010, 2013, 2016, 2021, 2024)  # the shipped NUTS code lists
REFERENCE_TABLES = {
    **{f"nuts_{version}": f"nuts_{version}.csv" for version in NUTS_VERSIONS},
    "nuts_correspondence": "nuts_correspondence.csv",
    "nace_rev2": "nace_rev2.csv",
    "cluster_categories": "cluster_categories.csv",
    "ecosystem_indicators": "ecosystem_indicators.csv",
    "nace_aggregates": "nace_aggregates.csv",
    "code_aliases": "code_aliases.csv",
    "sbs_total_scopes": "sbs_total_scopes.csv",
    "geo_aggregates": "geo_aggregates.csv",
}


def connect(
    path: Path, memory_limit: str | None = None, ddl: bool = True
) -> duckdb.DuckDBPyConnection:
    """Open the warehouse (creating schemas and meta tables unless `ddl` is off, for a connection that runs
    beside a writer); work over `memory_limit` spills to disk."""
    con = duckdb.connect(str(path))
    if memory_limit:
        con.execute("set memory_limit = ?", [memory_limit])
    for statement in META_DDL if ddl else ():
        con.execute(statement)
    return con


def load_reference(
    con: duckdb.DuckDBPyConnection, cluster_mapping: Path, emerging_mapping: Path | None = None
) -> dict[str, int]:
    """(Re)load the reference seeds into schema ref; returns rows per table."""
    tables = {name: REFERENCE_DIR / file for name, file in REFERENCE_TABLES.items()}
    tables["nace_cluster_mapping"] = cluster_mapping
    tables["nace_emerging_mapping"] = (
        emerging_mapping or REFERENCE_DIR / "nace_emerging_mapping.csv"
    )
    counts = {}
    for name, path in tables.items():
        if not path.is_file():
            raise FileNotFoundError(f"reference table {name}: {path} not found")
        con.execute(
            f"create or replace table ref.{name} as select * from read_csv(?, header = true, auto_detect = true)",
            [str(path)],
        )
        counts[name] = scalar(con, f"select count(*) from ref.{name}")
    con.execute(
        "create or replace table ref.nuts_regions as "
        + " union all by name ".join(f"select * from ref.nuts_{v}" for v in NUTS_VERSIONS)
    )
    check_mapping(con, cluster_mapping)
    check_emerging_mapping(con, tables["nace_emerging_mapping"])
    return counts


def check_mapping(con: duckdb.DuckDBPyConnection, path: Path) -> None:
    """Raise if a NACE code's allocation weights exceed 1 or name an unknown category."""
    over = first_row(
        con,
        """
        select nace_code, sum(allocation_weight) from ref.nace_cluster_mapping
        group by nace_code having sum(allocation_weight) > 1 + 1e-6 order by 1 limit 1
        """,
    )
    if over:
        raise ValueError(
            f"{path}: allocation weights of {over[0]} add up to {over[1]:g} (at most 1)"
        )
    unknown = first_row(
        con,
        """
        select m.category_code from ref.nace_cluster_mapping m
        anti join ref.cluster_categories c using (category_code) order by 1 limit 1
    """,
    )
    if unknown:
        raise ValueError(
            f"{path}: unknown category code {unknown[0]} (see data/reference/cluster_categories.csv)"
        )


def check_emerging_mapping(con: duckdb.DuckDBPyConnection, path: Path) -> None:
    """Raise if an emerging-industry weight is outside (0, 1] or names a code that is not emerging."""
    bad = first_row(
        con,
        """
        select m.nace_code, m.category_code, m.allocation_weight from ref.nace_emerging_mapping m
        left join ref.cluster_categories c using (category_code)
        where c.category_type is distinct from 'emerging' or not (m.allocation_weight > 0 and m.allocation_weight <= 1)
        order by 1, 2 limit 1
        """,
    )
    if bad:
        raise ValueError(
            f"{path}: {bad[0]} -> {bad[1]} (weight {bad[2]}): categories must be emerging industries "
            "(E01-E10 in data/reference/cluster_categories.csv) with weights in (0, 1]"
        )


def set_run_variables(con: duckdb.DuckDBPyConnection, settings: Settings) -> None:
    """The run's settings as DuckDB session variables, passed as parameters (never pasted into SQL);
    works on a read-only connection too."""
    variables = {
        "max_row_count_drift": (settings.max_row_count_drift, "double"),
        "lq_denominator": (settings.lq_denominator, "varchar"),
        "star_profile": (settings.star_profile, "varchar"),
        "trend_max_imputed_share": (settings.trend_max_imputed_share, "double"),
        "scoreboard_outlier_sd": (settings.scoreboard.outlier_sd, "double"),
        "scoreboard_max_carry_years": (settings.scoreboard.max_carry_years, "integer"),
        "scoreboard_leader_index": (settings.scoreboard.leader_index, "double"),
        "scoreboard_strong_index": (settings.scoreboard.strong_index, "double"),
        "scoreboard_moderate_index": (settings.scoreboard.moderate_index, "double"),
        "scoreboard_peer_count": (settings.scoreboard.peer_count, "integer"),
        "nuts_target_version": (settings.nuts_target_version, "smallint"),
        "nuts_split_rule": (settings.nuts_split_rule, "varchar"),
        "first_year": (settings.first_year or 0, "smallint"),
        "last_year": (settings.last_year or 9999, "smallint"),
        "reference_countries": (settings.reference_countries or [], "varchar[]"),
        "min_category_scope_share": (settings.min_category_scope_share, "double"),
        "imputation_split": (settings.imputation_split, "varchar"),
        "lq_min_reference_employment": (settings.lq_min_reference_employment, "double"),
        "region_year_min_cells_share": (settings.region_year_min_cells_share, "double"),
        "max_imputed_share_for_stars": (settings.max_imputed_share_for_stars, "double"),
        "star_max_carry_years": (settings.star_max_carry_years, "integer"),
    }
    for name, (value, sql_type) in variables.items():
        con.execute(f"set variable {name} = ?::{sql_type}", [value])


def apply_run_config(con: duckdb.DuckDBPyConnection, settings: Settings) -> None:
    """Expose the run's methodological settings to the SQL models (variables and config tables)."""
    # Models may be written in any row order (their threads need not wait for each other): nothing reads a
    # table's physical order, the export sorts every mart (`order by all`). A global setting: it lasts
    # while any connection to the database in this process is open, and never outlives the build.
    con.execute("set preserve_insertion_order = false")
    # DuckDB's common-subplan optimiser materialises a subquery that a model reads twice (in
    # int_sbs_estimates__computed, 9 million cells): scanning them twice is cheaper (5.7 s -> 4.7 s CPU).
    con.execute("set disabled_optimizers = 'common_subplan'")
    set_run_variables(con, settings)
    windows = pl.DataFrame(
        {
            "window_start": [w.start for w in settings.trend_windows],
            "window_end": [w.end for w in settings.trend_windows],
        },
        schema={"window_start": pl.Int16, "window_end": pl.Int16},
    )
    registry = load_registry(settings.registry_path)
    year_spans = [
        run_years(spec, settings.first_year, settings.last_year) for spec in registry.values()
    ]
    years = pl.DataFrame(
        {
            "dataset": list(registry),
            "start_year": [start for start, _ in year_spans],
            "end_year": [end for _, end in year_spans],
            "nuts_version": [spec.nuts_version for spec in registry.values()],
        },
        schema={
            "dataset": pl.String,
            "start_year": pl.Int16,
            "end_year": pl.Int16,
            "nuts_version": pl.Int16,
        },
    )
    con.register("registry_frame", years)
    con.execute("create or replace table config.registry as select * from registry_frame")
    con.unregister("registry_frame")
    con.register("trend_windows_frame", windows)
    con.execute("create or replace table config.trend_windows as select * from trend_windows_frame")
    con.unregister("trend_windows_frame")
    spans = pl.DataFrame(
        [("last_years", n) for n in settings.trend_last_years]
        + ([("full_span", None)] if settings.trend_full_span else [])
        + ([("year_on_year", 1)] if settings.trend_year_on_year else []),
        schema={"kind": pl.String, "years": pl.Int16},
        orient="row",
    )
    con.register("trend_spans_frame", spans)
    con.execute("create or replace table config.trend_spans as select * from trend_spans_frame")
    con.unregister("trend_spans_frame")
    profiles = load_star_profiles(settings.star_profiles_path)
    if settings.star_profile not in profiles:
        raise StarProfileError(
            f"star_profile {settings.star_profile!r} is not in {settings.star_profiles_path}: "
            f"choose one of {', '.join(profiles)}"
        )
    dimensions = (
        pl.read_csv(REFERENCE_DIR / "ecosystem_indicators.csv")["dimension"].unique().sort()
    )
    weights = pl.DataFrame(
        {
            "dimension": dimensions,
            "weight": [settings.scoreboard.dimension_weights.get(d, 1.0) for d in dimensions],
        },
        schema={"dimension": pl.String, "weight": pl.Float64},
    )
    unknown = set(settings.scoreboard.dimension_weights) - set(dimensions)
    if unknown:
        raise ValueError(
            f"scoreboard.dimension_weights: unknown dimension(s) {', '.join(sorted(unknown))}; "
            f"known: {', '.join(dimensions)}"
        )
    peers = pl.DataFrame({"indicator_code": settings.scoreboard.peer_variables})
    for table, frame in {
        "star_rules": star_rules(profiles),
        "star_levels": performance_levels(profiles),
        "scoreboard_weights": weights,
        "peer_variables": peers,
    }.items():
        con.register("config_frame", frame)
        con.execute(f"create or replace table config.{table} as select * from config_frame")
        con.unregister("config_frame")


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


def nuts_codes(
    con: duckdb.DuckDBPyConnection,
    levels: list[int],
    countries: list[str] | None,
    version: int = 2021,
) -> list[str]:
    """NUTS codes of `version` (extra-regio included, so a split request loses nothing) at the given
    levels in `countries` (default: the EU-27), plus the codes of newer versions (Eurostat mixes
    versions in one dataset)."""
    rows = con.execute(
        """select distinct nuts_code from ref.nuts_regions
           where nuts_version >= ?
             and list_contains(?, nuts_level)
             and list_contains(?, country_code)
           order by nuts_code""",
        [version, levels, countries or EU27],
    ).fetchall()
    return [r[0] for r in rows]


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
    with _load_transaction(con, run_id, files):
        dimensions = None
        for number, landed in enumerate(files):
            con.execute("set variable extract_number = ?::smallint", [number])
            target = incoming if len(files) == 1 else f"_slice_{number}"
            extract, notes = _parsed(con, landed, dataset, target, declared)
            if dimensions is not None and extract.dimensions != dimensions:
                raise _dimension_mismatch(dataset, landed, extract.dimensions, files[0], dimensions)
            dimensions = extract.dimensions
            stats.append(extract_stats(con, extract, landed, notes))
        if len(files) > 1:
            slices = [f"_slice_{number}" for number in range(len(files))]
            _union_slices(con, incoming, dataset, dimensions, slices)
            for name in slices:
                con.execute(f"drop table {name}")
            _raise_on_overlap(con, incoming, dataset, dimensions, files)
        _replace_raw(con, dataset, incoming, files, stats, run_id)
    return DatasetLoad(dataset, "loaded", tuple(stats))


def unchanged_load(
    con: duckdb.DuckDBPyConnection, dataset: str, files: list[LandedFile]
) -> DatasetLoad:
    """The load of a dataset whose extracts are the loaded ones: nothing is written."""
    return DatasetLoad(dataset, "unchanged", tuple(_recorded_stats(con, dataset, f) for f in files))


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
        extract, notes = _parsed(con, landed, dataset, "_parsed", declared)
        stats = extract_stats(con, extract, landed, notes)
        stored = ", ".join(quoted(c) for c in stored_columns(extract.dimensions))
        con.execute(
            f"copy (select {stored} from _parsed) to ? (format parquet, compression zstd)",
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
            raise _dimension_mismatch(
                dataset, other.landed, list(other.dimensions), files[0], dimensions
            )
    incoming = f"raw.{quoted('__incoming_' + dataset)}"
    with _load_transaction(con, run_id, files):
        sources = [f"read_parquet({sql_literal(str(p.parquet))})" for p in parsed]
        _union_slices(con, incoming, dataset, dimensions, sources)
        if len(parsed) > 1:
            _raise_on_overlap(con, incoming, dataset, dimensions, files)
        stats = [p.stats for p in parsed]
        _replace_raw(con, dataset, incoming, files, stats, run_id)
    return DatasetLoad(dataset, "loaded", tuple(stats))


def _parsed(
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


def _dimension_mismatch(
    dataset: str, landed: LandedFile, dimensions: list[str], first: LandedFile, expected: list[str]
) -> ExtractError:
    return ExtractError(
        landed.source,
        None,
        f"{dataset}: dimensions {dimensions} differ from {expected} in {first.source}",
    )


@contextmanager
def _load_transaction(
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


def _replace_raw(
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


def _union_slices(
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


def _raise_on_overlap(
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
