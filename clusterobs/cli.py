"""The `clusterobs` command line."""

from __future__ import annotations

import contextlib
import json
import os
import sys
import time
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

app = typer.Typer(
    help="clusterobs: Eurostat regional business statistics -> cluster mapping, ecosystem scoreboard and trends.",
    no_args_is_help=True,
    add_completion=False,
)
console = Console(stderr=True)


def setting_error(exc) -> str:
    """One line for a pydantic settings error: the setting, where it can be set, and the problem."""
    first = exc.errors()[0]
    name = ".".join(str(p) for p in first["loc"])
    flag = name.replace("_", "-")
    env = "CLUSTEROBS_" + name.upper().replace(".", "__")
    return f"setting {name} (--{flag} or {env}): {first['msg']}"


@app.command()
def run(
    source: Annotated[
        str,
        typer.Option(
            help="'demo' (bundled extracts), 'eurostat' (live API, datasets.toml) or a folder of extract files",
            envvar="CLUSTEROBS_SOURCE",
        ),
    ] = "demo",
    output_dir: Annotated[
        Path,
        typer.Option(
            help="folder for the warehouse, Parquet export and run folders",
            envvar="CLUSTEROBS_OUTPUT_DIR",
        ),
    ] = Path("output"),
    lq_denominator: Annotated[
        str,
        typer.Option(
            help="LQ denominator: 'total' or 'traded' employment",
            envvar="CLUSTEROBS_LQ_DENOMINATOR",
        ),
    ] = "total",
    as_json: Annotated[
        bool, typer.Option("--json", help="print the run summary as JSON on stdout")
    ] = False,
    quiet: Annotated[
        bool,
        typer.Option(
            "--quiet",
            help="no log lines: a progress line while it runs, one summary line at the end",
        ),
    ] = False,
    strict: Annotated[
        bool,
        typer.Option(
            "--strict",
            help="a registry dataset missing from the source folder is an error (default: a warning, and the run builds what the others support)",
            envvar="CLUSTEROBS_STRICT",
        ),
    ] = False,
    verbose: Annotated[bool, VERBOSE] = False,
) -> None:
    """Run the whole pipeline (ingest, validate, build, export) and publish the outputs atomically."""
    mode = output_mode(quiet or as_json, verbose)
    from pydantic import ValidationError

    from clusterobs.preflight import check_run_configuration
    from clusterobs.settings import Settings

    try:
        settings = Settings(
            source=source, output_dir=output_dir, lq_denominator=lq_denominator, strict=strict
        )
        check_run_configuration(settings)
    except ValidationError as exc:
        console.print(f"[red]error:[/red] {escape(setting_error(exc))}", soft_wrap=True)
        raise typer.Exit(2) from None
    except (ValueError, OSError) as exc:  # registry, star profiles, datasets, output folder
        console.print(f"[red]error:[/red] {escape(str(exc))}", soft_wrap=True)
        raise typer.Exit(2) from None
    started = time.perf_counter()
    with writer_lock(settings, "clusterobs run"):
        summary = _run_pipeline(settings, source, mode)
    if as_json:
        print(json.dumps(summary.as_dict(), indent=2))
        return
    if quiet:
        absent = f" ({len(summary.absent_datasets)} absent)" if summary.absent_datasets else ""
        unavailable = (
            f", {len(summary.unavailable_indicators)} indicators unavailable"
            if summary.unavailable_indicators
            else ""
        )
        console.print(
            f"published run {summary.run_id}: {len(summary.datasets)} datasets{absent}, "
            f"{len(summary.marts)} marts{unavailable}, {time.perf_counter() - started:.1f} s -> {summary.run_folder}",
            soft_wrap=True,
        )
        return
    _print_summary(summary, time.perf_counter() - started)


def _run_pipeline(settings, source: str, mode: str):
    """The pipeline under the writer lock, against this command's Prefect API."""
    if mode != "quiet":
        console.print(
            f"clusterobs run: source [bold]{escape(source)}[/bold] -> {escape(str(settings.output_path))}"
        )
    from clusterobs.flows.pipeline import pipeline

    overlap = None
    if settings.validate_outputs:
        # Importing Great Expectations (~4.5 s of CPU) overlaps a temporary API's start-up; with a running
        # API the flow starts it itself, to overlap the loads (DuckDB releases the GIL), not the imports.
        from clusterobs.validation import import_great_expectations_in_background as overlap
    return flow_command(
        settings,
        mode,
        "clusterobs run",
        lambda: pipeline(settings=settings, take_lock=False),
        failed="run failed",
        while_api_starts=overlap,
    )


def flow_command(
    settings, mode: str, title: str, work, failed: str, stages=None, while_api_starts=None
):
    """`work()` (a flow) against this command's Prefect API, shown as `mode` says: a live display of its
    progress (a terminal), Prefect's log lines (not a terminal, or --verbose), or a spinner (--quiet).
    A failure is one line naming the run's log (which has Prefect's lines and the traceback), exit 1."""
    from clusterobs import progress

    run = {}

    def remember(event) -> None:
        if event.kind == "run":
            run["id"] = event.name

    if mode != "verbose":
        progress.console_tracebacks_off()
    if mode == "live":
        display = progress.LiveDisplay(console, title, stages or progress.STAGES)
    elif mode == "quiet":
        display = _Spinner(console)
    else:
        display = contextlib.nullcontext()
    timings = {"imports_seconds": since_process_start()}
    try:
        with progress.listening(remember), display:
            asked = time.perf_counter()
            with command_api(settings, mode, while_api_starts) as api:
                timings |= {"api": api.kind, "api_start_seconds": time.perf_counter() - asked}
                began = time.perf_counter()
                try:
                    return work()
                finally:
                    timings["flow_seconds"] = time.perf_counter() - began
    except typer.Exit:
        raise
    except KeyboardInterrupt:
        console.print(
            f"[red]interrupted:[/red] previous outputs in {escape(str(settings.output_path))} are unchanged"
        )
        raise typer.Exit(130) from None
    except Exception as exc:
        first_line = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        where = "; --verbose shows the traceback"
        if "id" in run:
            from clusterobs.publish import RUN_LOG

            log = settings.output_path / "runs" / f"{run['id']}.failed" / RUN_LOG
            if log.is_file():
                where = f"; log with the traceback: {log}"
        console.print(
            f"[red]{failed}:[/red] {escape(first_line)} (previous outputs in "
            f"{escape(str(settings.output_path))} are unchanged{escape(where)})",
            soft_wrap=True,
        )
        raise typer.Exit(1) from None
    finally:
        if settings.timings_file is not None:
            timings["until_flow_end_seconds"] = since_process_start()
            settings.timings_file.write_text(json.dumps(timings, indent=1) + "\n")


def since_process_start() -> float | None:
    """Seconds since this process started (Linux /proc), interpreter start-up and imports included."""
    try:
        stat = Path("/proc/self/stat").read_text().rsplit(")", 1)[1].split()
        uptime = float(Path("/proc/uptime").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None
    return round(uptime - int(stat[19]) / os.sysconf("SC_CLK_TCK"), 2)


class _Spinner:
    """--quiet: one status line with the stage the run is in."""

    def __init__(self, console) -> None:
        self.status = console.status("starting Prefect ...")

    def __enter__(self):
        from clusterobs import progress

        shown = self.status.__enter__()

        def stage(event) -> None:
            if event.kind == "stage":
                number = progress.STAGES.index(event.name) + 1
                shown.update(f"stage {number}/{len(progress.STAGES)}: {event.name} ...")

        self._listening = progress.listening(stage)
        self._listening.__enter__()
        return self

    def __exit__(self, *exc) -> None:
        self._listening.__exit__(*exc)
        self.status.__exit__(*exc)


VERBOSE = typer.Option(
    "--verbose",
    "-v",
    help="print Prefect's log lines live, tracebacks included (default on a terminal: a live progress display)",
)


def output_mode(quiet: bool, verbose: bool) -> str:
    """quiet (--quiet/--json), verbose (--verbose), live (a terminal) or plain (log lines); sets Prefect's
    console logging to match before Prefect is imported."""
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    if quiet:
        mode = "quiet"
    elif verbose:
        mode = "verbose"
    elif console.is_terminal:
        mode = "live"
    else:
        mode = "plain"
    level = {"quiet": "WARNING", "live": "CRITICAL"}.get(mode)
    if level:
        for handler in ("", "_FLOW_RUNS", "_TASK_RUNS"):
            os.environ.setdefault(f"PREFECT_LOGGING_HANDLERS_CONSOLE{handler}_LEVEL", level)
        os.environ.setdefault("DASK_LOGGING__DISTRIBUTED", "warning")
    return mode


@contextlib.contextmanager
def writer_lock(settings, command: str):
    """The output folder's writer lock, taken before Prefect starts: a second run is refused at once
    (exit 1, one line naming the holder) and creates nothing."""
    from clusterobs import publish

    try:
        with publish.run_lock(settings.output_path, settings.run_lock_timeout_seconds, command):
            yield
    except (
        publish.RunLockedError
    ) as exc:  # raised only when the lock is taken: the body never locks
        console.print(f"[red]error:[/red] {escape(str(exc))}", soft_wrap=True)
        raise typer.Exit(1) from None


@contextlib.contextmanager
def command_api(settings, mode: str = "plain", while_starting=None):
    """The Prefect API of this command (clusterobs.api_server): PREFECT_API_URL, the reused local server,
    or a temporary one that dies with the command (said in one line, with the hint, unless quiet); a
    server that does not start is one line and exit 1."""
    from clusterobs.api_server import ApiStartError, prefect_api

    try:
        with prefect_api(
            settings.prefect_startup_timeout_seconds,
            while_starting,
            settings.prefect_heartbeat_seconds,
        ) as api:
            if mode != "quiet":
                console.print(escape(api.line()), soft_wrap=True, highlight=False)
            yield api
    except ApiStartError as exc:  # raised only while the server starts
        console.print(
            f"[red]error:[/red] {escape(str(exc))} (tried twice): set "
            "CLUSTEROBS_PREFECT_STARTUP_TIMEOUT_SECONDS higher, or start the local server once with "
            "`clusterobs server start` and run again",
            soft_wrap=True,
        )
        raise typer.Exit(1) from None


def _quality_table(rows: list[dict]) -> Table:
    """Per SBS dataset, its years' average shares of marts.fct_data_quality (the mart has them per year)."""
    table = Table(title="SBS cells, average of the years (per year: marts.fct_data_quality)")
    for col in ("dataset", "years", "published", "confid.", "estim.", "no total"):
        table.add_column(col, justify="left" if col == "dataset" else "right", no_wrap=True)
    for dataset in dict.fromkeys(r["dataset"] for r in rows):
        mine = [r for r in rows if r["dataset"] == dataset]

        def mean(key: str, mine=mine) -> str:
            return f"{sum(r[key] for r in mine) / len(mine):.0%}"

        table.add_row(
            dataset,
            f"{mine[0]['year']}-{mine[-1]['year']}",
            mean("published_share"),
            mean("confidential_share"),
            mean("estimated_share"),
            f"{sum(r['regions_without_total'] for r in mine) / len(mine):.0f}",
        )
    return table


def _print_summary(summary, wall_seconds: float) -> None:
    loads = Table(title=f"Run {summary.run_id}: {summary.status}", show_lines=False)
    for col in ("dataset", "status", "series", "observations", "values"):
        loads.add_column(col, justify="right" if col not in ("dataset", "status") else "left")
    for dataset, d in summary.datasets.items():
        loads.add_row(
            dataset, d["status"], f"{d['series']:,}", f"{d['observations']:,}", f"{d['values']:,}"
        )
    for dataset in summary.absent_datasets:
        loads.add_row(dataset, "absent", "-", "-", "-")
    console.print(loads)
    if summary.unavailable_indicators:
        console.print(
            f"unavailable scoreboard indicators ({len(summary.unavailable_indicators)}): "
            + "; ".join(f"{code} ({why})" for code, why in summary.unavailable_indicators.items()),
            soft_wrap=True,
            markup=False,
        )
    checks = Table(title="Validation")
    for col in (
        "stage",
        "expectations",
        "passed",
        "critical failures",
        "warnings",
        "skipped suites",
    ):
        checks.add_column(col)
    for stage, v in summary.validation.items():
        checks.add_row(
            stage,
            str(v["expectations"]),
            str(v["passed"]),
            str(v["critical_failures"]),
            str(v["warnings"]),
            str(v.get("skipped_suites", 0)),
        )
    console.print(checks)
    if summary.data_quality:
        console.print(_quality_table(summary.data_quality))
    marts = Table(title="Marts")
    marts.add_column("table")
    marts.add_column("rows", justify="right")
    for table, rows in summary.marts.items():
        marts.add_row(table, f"{rows:,}")
    console.print(marts)
    console.print(
        f"warehouse: {summary.warehouse}\nparquet:   {summary.parquet}/\nrun folder: {summary.run_folder}"
    )
    stages = ", ".join(f"{name} {seconds:.1f} s" for name, seconds in summary.stage_seconds.items())
    console.print(
        f"elapsed: {wall_seconds:.1f} s (pipeline {summary.elapsed_seconds:.1f} s"
        + (f": {stages})" if stages else ")")
    )


@app.command()
def ingest(
    paths: Annotated[
        list[Path],
        typer.Argument(
            help="extract files: Eurostat TSV (.tsv/.tsv.gz), SDMX-CSV, JSON-stat 2.0 or SDMX-ML"
        ),
    ],
    dataset: Annotated[
        str | None,
        typer.Option(
            help="dataset code for all files (default: declared in the file, else its name)"
        ),
    ] = None,
    output_dir: Annotated[
        Path,
        typer.Option(help="folder of the warehouse to load into", envvar="CLUSTEROBS_OUTPUT_DIR"),
    ] = Path("output"),
    as_json: Annotated[
        bool, typer.Option("--json", help="print one JSON object per file on stdout")
    ] = False,
    quiet: Annotated[
        bool, typer.Option("--quiet", help="no log lines and no table: one summary line")
    ] = False,
    verbose: Annotated[bool, VERBOSE] = False,
) -> None:
    """Load extract files into the warehouse's raw layer (one transaction per dataset) and report what each holds."""
    mode = output_mode(quiet or as_json, verbose)
    missing = [str(p) for p in paths if not p.is_file()]
    if missing:
        console.print(f"[red]error:[/red] not a file: {escape(', '.join(missing))}")
        raise typer.Exit(2)
    from clusterobs.registry import checked_dataset_code
    from clusterobs.transforms.readers.extracts import declared_dataset
    from clusterobs.transforms.readers.observations import ExtractError

    try:  # what can be seen without Prefect: empty files, HTML pages, unknown formats, bad codes
        for path in paths:
            checked_dataset_code(dataset or declared_dataset(path))
    except ExtractError as exc:
        console.print(f"[red]error:[/red] {escape(str(exc))}", soft_wrap=True)
        raise typer.Exit(2) from None
    except ValueError as exc:
        where = "--dataset" if dataset else "dataset declared by the file"
        console.print(f"[red]error:[/red] {where}: {escape(str(exc))}", soft_wrap=True)
        raise typer.Exit(2) from None
    from clusterobs.settings import Settings

    settings = Settings(output_dir=output_dir)
    with writer_lock(settings, "clusterobs ingest"):
        if mode != "quiet":
            console.print(
                f"clusterobs ingest: {len(paths)} file(s) -> {escape(str(settings.output_path))}"
            )
        from clusterobs.flows.pipeline import ingest_files as ingest_flow

        summary = flow_command(
            settings,
            mode,
            "clusterobs ingest",
            lambda: ingest_flow(
                paths=[p.resolve() for p in paths],
                dataset=dataset,
                settings=settings,
                take_lock=False,
            ),
            failed="ingest failed, nothing was loaded",
            stages=("ingest", "publish"),
        )
    if as_json:
        for record in summary.files:
            print(json.dumps({k: record[k] for k in INGEST_REPORT_KEYS}))
        return
    if quiet:
        loaded = sum(1 for d in summary.datasets.values() if d["status"] == "loaded")
        console.print(
            f"ingested {len(summary.files)} file(s) into {settings.warehouse_path} (run "
            f"{summary.run_id}): {loaded} dataset(s) loaded, "
            f"{sum(d['observations'] for d in summary.datasets.values()):,} observations",
            soft_wrap=True,
        )
        return
    table = Table(title=f"Ingested into {settings.warehouse_path} (run {summary.run_id})")
    for key in INGEST_REPORT_KEYS:
        table.add_column(
            key.replace("_", " "),
            justify="left" if key in ("file", "dataset", "flags") else "right",
        )
    for f in summary.files:
        flags = " ".join(f"{k}:{v}" for k, v in f["flags"].items()) or "-"
        total = "-" if f["value_sum"] is None else f"{f['value_sum']:,.2f}"
        table.add_row(
            Path(f["file"]).name,
            f["dataset"],
            f"{f['series']:,}",
            f"{f['observations']:,}",
            f"{f['values']:,}",
            f"{f['missing']:,}",
            flags,
            total,
        )
    console.print(table)
    for warning in (w for f in summary.files for w in f["warnings"]):
        console.print(f"[yellow]warning:[/yellow] {warning}")
    for name, d in summary.datasets.items():
        if d["status"] == "unchanged":
            console.print(f"{name}: already loaded (same checksums), nothing changed")
    console.print("the marts are unchanged until the next `clusterobs run`")


@app.command()
def validate(
    output_dir: Annotated[
        Path, typer.Option(help="folder of the published warehouse", envvar="CLUSTEROBS_OUTPUT_DIR")
    ] = Path("output"),
    stage: Annotated[str, typer.Option(help="'all', 'staging' or 'marts'")] = "all",
    as_json: Annotated[
        bool, typer.Option("--json", help="print every expectation result as JSON on stdout")
    ] = False,
    outputs: Annotated[
        bool,
        typer.Option(
            "--outputs",
            help="check every published Parquet file against the export's manifest (size and SHA-256) instead of running the suites",
        ),
    ] = False,
) -> None:
    """Re-run the validation suites on the published warehouse (read-only); exit 1 on a critical failure.
    With --outputs, check the published files against the manifest instead; exit 1 on any difference."""
    if outputs:
        from clusterobs import exports, publish

        parquet = published_run(output_dir) / publish.PARQUET_DIR
        problems = exports.export_problems(parquet)
        for problem in problems:
            console.print(f"[red]changed:[/red] {escape(problem)}", soft_wrap=True)
        if problems:
            raise typer.Exit(1)
        files = sum(len(t["files"]) for t in exports.read_manifest(parquet)["tables"].values())
        console.print(f"{files} files in {parquet} match the manifest", soft_wrap=True)
        return
    if stage not in ("all", "staging", "marts"):
        console.print(f"[red]error:[/red] --stage must be all, staging or marts, not {stage!r}")
        raise typer.Exit(2)
    from clusterobs import validation, warehouse
    from clusterobs.settings import Settings

    settings = Settings(output_dir=output_dir)
    stages = ("staging", "marts") if stage == "all" else (stage,)
    with published_warehouse(output_dir) as con:
        warehouse.set_run_variables(con, settings)
        with console.status("validating ..."):
            summaries = [
                validation.validate_stage(
                    con,
                    s,
                    "validate",
                    record_results=False,
                    engine_rows=settings.validation_engine_rows,
                    engine_value_set=settings.validation_engine_value_set,
                )
                for s in stages
            ]
    results = [r for summary in summaries for r in summary.results]
    if as_json:
        print(json.dumps([r.__dict__ for r in results], indent=2))
    else:
        table = Table(title=f"Validation of {settings.warehouse_path}")
        for col in ("stage", "expectations", "passed", "critical failures", "warnings", "skipped"):
            table.add_column(col)
        for summary in summaries:
            d = summary.as_dict()
            table.add_row(
                d["stage"],
                str(d["expectations"]),
                str(d["passed"]),
                str(d["critical_failures"]),
                str(d["warnings"]),
                str(d["skipped_suites"]),
            )
        console.print(table)
        for summary in summaries:
            for suite, why in summary.skipped.items():
                console.print(f"skipped {suite}: {why}", markup=False)
        for r in (r for r in results if not r.success):
            level = (
                "[red]critical[/red]" if r.severity == "critical" else "[yellow]warning[/yellow]"
            )
            console.print(
                f"{level} {r.suite}: {r.expectation}({r.column or ''}) unexpected={r.unexpected_count} {r.unexpected_sample or ''}"
            )
    if any(not summary.success for summary in summaries):
        raise typer.Exit(1)


INGEST_REPORT_KEYS = (
    "file",
    "dataset",
    "series",
    "observations",
    "values",
    "missing",
    "flags",
    "value_sum",
)


def published_run(output_dir: Path) -> Path:
    """The published run folder of `output_dir` (its `current` link resolved once, so the warehouse and the
    Parquet read are of the same run), or exit 2 saying to run first."""
    from clusterobs.published import published_run as found

    folder = found(output_dir)
    if folder is None:
        console.print(
            f"[red]error:[/red] no published warehouse in {escape(str(output_dir))}: run `clusterobs run` first",
            soft_wrap=True,
        )
        raise typer.Exit(2)
    return folder


def published_warehouse(output_dir: Path):
    """A locked, read-only connection to the published warehouse of `output_dir` (or exit 2)."""
    from clusterobs import publish
    from clusterobs.published import open_published

    return open_published(published_run(output_dir) / publish.WAREHOUSE_FILE)


QUERY_STATEMENTS = ("SELECT", "EXPLAIN")


@app.command()
def query(
    sql: Annotated[str, typer.Argument(help="a SQL query on the published warehouse (read-only)")],
    output_dir: Annotated[
        Path, typer.Option(help="folder of the published warehouse", envvar="CLUSTEROBS_OUTPUT_DIR")
    ] = Path("output"),
    output_format: Annotated[
        str, typer.Option("--format", help="'table' (default), 'csv', 'json' or 'parquet'")
    ] = "table",
    output: Annotated[
        Path | None,
        typer.Option(help="write the result to this file (required for parquet) instead of stdout"),
    ] = None,
    limit: Annotated[int, typer.Option(help="rows shown by --format table")] = 50,
    allow_files: Annotated[
        bool,
        typer.Option(
            "--allow-files",
            help="let the query read files (read_csv, read_parquet, ...); without it, it reads only the warehouse",
        ),
    ] = False,
) -> None:
    """Run one read-only SQL query (SELECT) on the published warehouse and print the result (or write it
    to --output). The query can write no file and, without --allow-files, read none but the warehouse."""
    import duckdb

    from clusterobs import publish, published

    if output_format not in ("table", "csv", "json", "parquet"):
        console.print(
            f"[red]error:[/red] --format must be table, csv, json or parquet, not {output_format!r}"
        )
        raise typer.Exit(2)
    if output_format == "parquet" and output is None:
        console.print("[red]error:[/red] --format parquet needs --output FILE")
        raise typer.Exit(2)
    database = published_run(output_dir) / publish.WAREHOUSE_FILE
    with published.open_published(database, allow_files=allow_files) as con:
        try:
            statements = con.extract_statements(sql)
            if len(statements) != 1:
                console.print(
                    f"[red]error:[/red] one statement at a time, not {len(statements)}",
                    soft_wrap=True,
                )
                raise typer.Exit(2)
            if statements[0].type.name not in QUERY_STATEMENTS:
                console.print(
                    f"[red]error:[/red] only a query (SELECT, WITH, DESCRIBE, SHOW, EXPLAIN) can run here, "
                    f"not {statements[0].type.name}",
                    soft_wrap=True,
                )
                raise typer.Exit(2)
            result = con.execute(sql)
            if result.description is None:
                console.print(
                    "[red]error:[/red] the statement returned no rows to show (use a SELECT)"
                )
                raise typer.Exit(2)
            columns = [d[0] for d in result.description]
            _write_result(result, columns, output_format, output, limit)
        except duckdb.Error as exc:
            first = str(exc).splitlines()[0]
            if isinstance(exc, duckdb.PermissionException) and not allow_files:
                first += " (queries read only the warehouse; --allow-files lets them read files)"
            console.print(f"[red]error:[/red] {escape(first)}", soft_wrap=True)
            raise typer.Exit(1) from None


def _write_result(result, columns: list[str], output_format: str, output: Path | None, limit: int):
    """Print or write an executed query's rows (pyarrow only for Parquet)."""
    from clusterobs import published

    if output_format == "parquet":
        import pyarrow.parquet as pq

        pq.write_table(result.to_arrow_table(), output, compression="zstd")
    elif output_format == "table":
        shown = result.fetchmany(limit)
        total = len(shown) + sum(len(rows) for rows in published.batches(result))
        table = Table(*columns, caption=f"{total:,} rows" + (
            f" (first {limit} shown)" if total > limit else ""))  # fmt: skip
        for row in shown:
            table.add_row(*("" if v is None else str(v) for v in row))
        Console().print(table)
    else:
        write = published.write_csv if output_format == "csv" else published.write_json
        if output is None:
            write(result, columns, sys.stdout)
        else:
            with output.open("w", encoding="utf-8", newline="") as handle:
                write(result, columns, handle)


@app.command()
def dictionary(
    output_dir: Annotated[
        Path, typer.Option(help="folder of the published warehouse", envvar="CLUSTEROBS_OUTPUT_DIR")
    ] = Path("output"),
    write: Annotated[
        bool, typer.Option(help="write docs/data_dictionary.md instead of printing it")
    ] = False,
) -> None:
    """The data dictionary (every mart and analyst view: description, grain, sources, columns)."""

    from clusterobs import catalog

    with published_warehouse(output_dir) as con:
        text = catalog.data_dictionary(con)
    if write:
        if catalog.DICTIONARY is None:
            console.print(
                "[red]error:[/red] --write updates docs/data_dictionary.md of a source checkout; "
                "this clusterobs is installed from a wheel: print it and redirect instead",
                soft_wrap=True,
            )
            raise typer.Exit(2)
        catalog.DICTIONARY.write_text(text, encoding="utf-8")
        console.print(f"wrote {catalog.DICTIONARY}")
    else:
        print(text)


@app.command()
def report(
    region: Annotated[
        str | None, typer.Option(help="NUTS-2 code of the region (default: a Europe-wide report)")
    ] = None,
    output: Annotated[Path, typer.Option(help="the HTML file to write")] = Path("report.html"),
    output_dir: Annotated[
        Path, typer.Option(help="folder of the published warehouse", envvar="CLUSTEROBS_OUTPUT_DIR")
    ] = Path("output"),
) -> None:
    """Write a self-contained static HTML report (star clusters, specialisation, scoreboard, trends)."""

    from clusterobs.report import ReportError, build_report

    with published_warehouse(output_dir) as con:
        try:
            page = build_report(con, region)
        except ReportError as exc:
            console.print(f"[red]error:[/red] {escape(str(exc))}", soft_wrap=True)
            raise typer.Exit(2) from None
    output.write_text(page, encoding="utf-8")
    console.print(f"wrote {output} ({len(page) / 1e6:.1f} MB, self-contained)")


@app.command("clusters-matter")
def clusters_matter(
    output_dir: Annotated[
        Path, typer.Option(help="folder of the published warehouse", envvar="CLUSTEROBS_OUTPUT_DIR")
    ] = Path("output"),
    output: Annotated[
        Path | None,
        typer.Option(
            help="write the Markdown to this file (docs/clusters_matter.md) instead of printing it"
        ),
    ] = None,
) -> None:
    """The European Observatory's "clusters matter" figures beside this warehouse's (docs/clusters_matter.md)."""

    from clusterobs.clusters_matter import ClustersMatterError, comparison_markdown

    with published_warehouse(output_dir) as con:
        try:
            text = comparison_markdown(con)
        except ClustersMatterError as exc:
            console.print(f"[red]error:[/red] {escape(str(exc))}", soft_wrap=True)
            raise typer.Exit(2) from None
    if output is None:
        print(text, end="")
    else:
        output.write_text(text, encoding="utf-8")
        console.print(f"wrote {output}")


@app.command("generate-demo")
def generate_demo(
    out: Annotated[Path, typer.Option(help="folder to write the extracts into")] = Path(
        "data/demo"
    ),
    scale: Annotated[
        str,
        typer.Option(
            help="'demo' (10 countries, divisions + some groups) or 'full-eu' (EU-27, all NACE classes)"
        ),
    ] = "demo",
    seed: Annotated[
        int, typer.Option(help="random seed; the same seed writes byte-identical files")
    ] = 20240601,
) -> None:
    """Write deterministic Eurostat-format TSV extracts (the bundled demo data, or a full-EU benchmark set)."""
    from clusterobs.demo import SCALES, generate

    if scale not in SCALES:
        console.print(
            f"[red]error:[/red] --scale must be one of {', '.join(SCALES)}, not {scale!r}"
        )
        raise typer.Exit(2)
    started = time.perf_counter()
    with console.status(f"generating {scale} extracts into {out} ..."):
        written = generate(out, scale=scale, seed=seed)
    for dataset, series in written.items():
        console.print(f"{dataset:<18} {series:>9,} series")
    console.print(f"wrote {len(written)} files to {out} in {time.perf_counter() - started:.1f} s")


server_app = typer.Typer(
    help="The local Prefect server (API and UI on 127.0.0.1) that run, ingest and validate reuse.",
    no_args_is_help=True,
)
app.add_typer(server_app, name="server")


@server_app.command("start")
def server_start(
    port: Annotated[
        int, typer.Option(help="port on 127.0.0.1 for the API and the UI", min=1, max=65535)
    ] = 4200,
    timeout: Annotated[
        float, typer.Option(help="seconds to wait for the server to be healthy", min=1)
    ] = 120,
) -> None:
    """Start Prefect's API and UI in the background, in Prefect's home (PREFECT_HOME, default
    ~/.prefect); every later command uses it until `clusterobs server stop`."""
    from clusterobs import api_server

    state = api_server.server_state()
    if state and api_server.running_server():
        console.print(f"already running: {state['ui']} (pid {state['pid']})", highlight=False)
        return
    if state:  # recorded but not answering: a crashed or killed server
        api_server.stop_background_server()
    if not api_server.port_free(port):
        console.print(
            f"[red]error:[/red] port {port} on 127.0.0.1 is in use by another program: "
            "choose another with --port",
            soft_wrap=True,
        )
        raise typer.Exit(2)
    with console.status(f"starting Prefect's server on 127.0.0.1:{port} ..."):
        try:
            state = api_server.start_background_server(port, timeout)
        except api_server.ApiStartError as exc:
            console.print(f"[red]error:[/red] {escape(str(exc))}", soft_wrap=True)
            raise typer.Exit(1) from None
    console.print(
        f"Prefect server running: API {state['url']}, UI {state['ui']} (pid {state['pid']}, "
        f"home {state['home']}, log {state['log']}); stop it with `clusterobs server stop`",
        soft_wrap=True,
        highlight=False,
    )


@server_app.command("stop")
def server_stop() -> None:
    """Stop the background server `clusterobs server start` started."""
    from clusterobs import api_server

    state = api_server.stop_background_server()
    if state is None:
        console.print(f"no server was running (Prefect home {api_server.prefect_home()})")
        return
    console.print(f"stopped the Prefect server at {state['ui']} (pid {state['pid']})")


@server_app.command("status")
def server_status() -> None:
    """Whether the background server is up (exit 0) or not (exit 1), and where."""
    from clusterobs import api_server

    state = api_server.server_state()
    if state is None:
        console.print(
            f"not running (Prefect home {api_server.prefect_home()}): `clusterobs server start`"
        )
        raise typer.Exit(1)
    if api_server.running_server() is None:
        console.print(
            f"not answering: recorded at {state['url']} (pid {state['pid']}); see its log "
            f"{state.get('log')}, then `clusterobs server stop` and `clusterobs server start`",
            soft_wrap=True,
            highlight=False,
        )
        raise typer.Exit(1)
    console.print(
        f"running: API {state['url']}, UI {state['ui']} (pid {state['pid']}, since "
        f"{state.get('started_at')}, log {state.get('log')})",
        soft_wrap=True,
        highlight=False,
    )


def main() -> None:  # pragma: no cover - console entry point
    app(prog_name="clusterobs")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
