"""The read commands: query, dictionary, report and clusters-matter, on the published warehouse
(read-only, through clusterobs/published.py). They start in about a second: importing this module, or
running one of them, loads neither Prefect nor Great Expectations, nor Polars or pyarrow (query
--format parquet aside); tests/integration/test_startup.py and test_pipeline.py hold them to it."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from clusterobs.cli.common import console, published_run, published_warehouse

QUERY_STATEMENTS = ("SELECT", "EXPLAIN")
UNBOUNDED_WIDTH = 1_000_000  # characters: a table printed to a pipe is never cut
NUMERIC_TYPES = {"TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT",
                 "UINTEGER", "UBIGINT", "UHUGEINT", "FLOAT", "DOUBLE", "DECIMAL"}  # fmt: skip


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
            # Parquet streams Arrow batches from a relation; the others fetch rows from a result
            result = con.sql(sql) if output_format == "parquet" else con.execute(sql)
            if result is None or result.description is None:
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
    """Print a query's rows, or write them to `output` (whole or not at all, confirmed on stderr with the
    row count)."""
    from clusterobs import published

    writers = {"csv": published.write_csv, "json": published.write_json}
    if output is None:
        if (
            output_format == "table"
        ):  # a terminal gets a table that fits it, a pipe every column whole
            terminal = sys.stdout.isatty()
            table = _query_table(result, columns, limit)
            Console(width=None if terminal else UNBOUNDED_WIDTH, soft_wrap=not terminal).print(
                table
            )
        else:
            writers[output_format](result, columns, sys.stdout)
        return
    partial = output.with_name(output.name + ".partial")
    try:
        if output_format == "parquet":
            written = published.write_parquet(result, partial)
        else:
            with partial.open("w", encoding="utf-8", newline="") as handle:
                if output_format == "table":
                    table = _query_table(result, columns, limit)
                    Console(file=handle, width=UNBOUNDED_WIDTH, soft_wrap=True).print(table)
                    written = table.row_count
                else:
                    written = writers[output_format](result, columns, handle)
        partial.replace(output)
    finally:
        partial.unlink(missing_ok=True)
    console.print(
        f"wrote {rows_text(written)} to {escape(str(output))} ({output_format})", soft_wrap=True
    )


def _query_table(result, columns: list[str], limit: int) -> Table:
    """The first `limit` rows as a table captioned with the total; cells are Text, so a value prints as
    it is, never read as markup ("[/]") or emoji (":x:")."""
    from clusterobs import published

    shown = result.fetchmany(limit)
    total = len(shown) + sum(len(rows) for rows in published.batches(result))
    table = Table(caption=rows_text(total) + (f" (first {limit:,} shown)" if total > limit else ""))
    for column, (_, column_type, *_) in zip(columns, result.description, strict=True):
        numeric = str(column_type).split("(")[0] in NUMERIC_TYPES
        table.add_column(Text(column), justify="right" if numeric else "left")
    for row in shown:
        table.add_row(*(Text(published.text_value(v)) for v in row))
    return table


def rows_text(count: int) -> str:
    """'1 row', '12,345 rows'."""
    return f"{count:,} row{'' if count == 1 else 's'}"


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
        try:
            text = catalog.data_dictionary(con)
        except catalog.SchemaFileError as exc:  # a schema file ahead of (or behind) this warehouse
            console.print(f"[red]error:[/red] {escape(str(exc))}", soft_wrap=True)
            raise typer.Exit(2) from None
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


def report(
    region: Annotated[
        str | None, typer.Option(help="NUTS-2 code of the region (default: a Europe-wide report)")
    ] = None,
    category: Annotated[
        str | None,
        typer.Option(
            help="a cluster category or emerging industry code (T01-T51, E01-E10): its map"
        ),
    ] = None,
    output: Annotated[Path, typer.Option(help="the HTML file to write")] = Path("report.html"),
    output_dir: Annotated[
        Path, typer.Option(help="folder of the published warehouse", envvar="CLUSTEROBS_OUTPUT_DIR")
    ] = Path("output"),
) -> None:
    """Write a self-contained static HTML report (star clusters, specialisation, maps, scoreboard, trends)
    for a region, a category or Europe."""

    from clusterobs.report import ReportError, build_report

    with published_warehouse(output_dir) as con:
        try:
            page = build_report(con, region, category)
        except ReportError as exc:
            console.print(f"[red]error:[/red] {escape(str(exc))}", soft_wrap=True)
            raise typer.Exit(2) from None
    output.write_text(page, encoding="utf-8")
    console.print(f"wrote {output} ({len(page) / 1e6:.1f} MB, self-contained)")


def site(
    output: Annotated[
        Path, typer.Option(help="the folder to write the atlas into (replaced whole)")
    ] = Path("atlas"),
    output_dir: Annotated[
        Path, typer.Option(help="folder of the published warehouse", envvar="CLUSTEROBS_OUTPUT_DIR")
    ] = Path("output"),
) -> None:
    """Write the cluster atlas: static pages browsed offline (an index with the map of Europe and a
    search, a page per region and per cluster category, linked both ways). Open <output>/index.html."""
    from rich.progress import Progress

    from clusterobs.report_data import ReportError
    from clusterobs.site import build_site

    with published_warehouse(output_dir) as con, Progress(console=console, transient=True) as bar:
        task = bar.add_task("writing the atlas", total=None)
        try:
            written = build_site(
                con, output, lambda done, total: bar.update(task, completed=done, total=total)
            )
        except ReportError as exc:
            console.print(f"[red]error:[/red] {escape(str(exc))}", soft_wrap=True)
            raise typer.Exit(2) from None
    console.print(
        f"wrote {written['pages']:,} pages ({written['bytes'] / 1e6:.1f} MB) to {escape(str(output))}: "
        f"open {escape(str(output / 'index.html'))}",
        soft_wrap=True,
    )


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
