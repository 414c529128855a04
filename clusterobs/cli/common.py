"""What the commands share: the console (stderr) and the published run or warehouse of an output
folder, or exit 2 saying to run first."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console
from rich.markup import escape

console = Console(stderr=True)


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
