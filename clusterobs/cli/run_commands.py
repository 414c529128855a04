"""The commands that write: run (the whole pipeline), ingest (files into the raw layer), and validate
(the suites again on the published warehouse, read-only). Prefect, Great Expectations and Polars are
imported only once a command runs, never for --help."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from clusterobs.cli.common import console, published_run, published_warehouse
from clusterobs.cli.flow_runs import VERBOSE, flow_command, output_mode, writer_lock
from clusterobs.cli.summaries import (
    INGEST_REPORT_KEYS,
    print_ingest_summary,
    print_run_summary,
    print_validation,
)


def json_option(help: str):
    """The --json flag of a command, saying what it prints."""
    return typer.Option("--json", help=help)


def setting_error(exc) -> str:
    """One line for a pydantic settings error: the setting, where it can be set, and the problem."""
    first = exc.errors()[0]
    name = ".".join(str(p) for p in first["loc"])
    flag = name.replace("_", "-")
    env = "CLUSTEROBS_" + name.upper().replace(".", "__")
    return f"setting {name} (--{flag} or {env}): {first['msg']}"


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
    as_json: Annotated[bool, json_option("print the run summary as JSON on stdout")] = False,
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
        config = check_run_configuration(settings)
    except ValidationError as exc:
        console.print(f"[red]error:[/red] {escape(setting_error(exc))}", soft_wrap=True)
        raise typer.Exit(2) from None
    except (ValueError, OSError) as exc:  # registry, star profiles, datasets, output folder
        console.print(f"[red]error:[/red] {escape(str(exc))}", soft_wrap=True)
        raise typer.Exit(2) from None
    started = time.perf_counter()
    with writer_lock(settings, "clusterobs run"):
        summary = _run_pipeline(config, source, mode)
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
    print_run_summary(summary, time.perf_counter() - started)


def _run_pipeline(config, source: str, mode: str):
    """The pipeline under the writer lock, against this command's Prefect API, with the configuration
    resolved at preflight."""
    settings = config.settings
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
        lambda: pipeline(config=config, take_lock=False),
        failed="run failed",
        while_api_starts=overlap,
    )


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
    as_json: Annotated[bool, json_option("print one JSON object per file on stdout")] = False,
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
        from clusterobs.flows.ingest import ingest_files as ingest_flow

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
    print_ingest_summary(summary, settings)


def validate(
    output_dir: Annotated[
        Path, typer.Option(help="folder of the published warehouse", envvar="CLUSTEROBS_OUTPUT_DIR")
    ] = Path("output"),
    stage: Annotated[str, typer.Option(help="'all', 'staging' or 'marts'")] = "all",
    as_json: Annotated[
        bool, json_option("print every expectation result as JSON on stdout")
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
        print_validation(summaries, settings)
    if any(not summary.success for summary in summaries):
        raise typer.Exit(1)
