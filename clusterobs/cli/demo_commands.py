"""`clusterobs generate-demo`: the bundled demo extracts, or a full-EU benchmark set, written again."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer

from clusterobs.cli.common import console


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
