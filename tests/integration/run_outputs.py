"""A published output folder read back: every exported mart, and a fingerprint of the current run."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import polars as pl

from clusterobs import exports


def all_exports(parquet_dir: Path) -> dict[str, pl.DataFrame]:
    """Every exported mart, read back through the manifest."""
    tables = exports.read_manifest(parquet_dir)["tables"]
    return {table: exports.read_polars(parquet_dir, table) for table in tables}


def output_fingerprint(out: Path) -> dict[str, str]:
    current = out / "current"
    files = {
        str(p.relative_to(current.resolve())): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in current.resolve().rglob("*")
        if p.is_file()
    }
    return {"current": os.readlink(current), **files}
