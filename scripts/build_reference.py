"""Derive the project's reference tables in data/reference/ from the third-party copies in ../shared/reference.

Run: uv run --group reference python scripts/build_reference.py [--shared ../shared/reference]

The source files themselves are never committed; the facts they hold are written out as small CSVs, and
the NUTS boundaries as compact GeoJSON (simplified, with GISCO's acknowledgement), with a source note in
data/reference/SOURCES.md. The builders are in scripts/reference_builders/, imported
as `scripts.reference_builders` (a checkout's root is on the import path: the editable install puts it
there, as pytest does).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import polars as pl

from scripts.reference_builders.geometry import SOURCES as SHAPE_SOURCES
from scripts.reference_builders.geometry import shapes_text
from scripts.reference_builders.nace import nace_rev2
from scripts.reference_builders.nuts_codes import nuts_2021, nuts_2024, nuts_from_changes
from scripts.reference_builders.nuts_correspondence import nuts_correspondence

PROJECT_ROOT = Path(__file__).resolve().parents[1]


def tables(shared: Path) -> dict[str, pl.DataFrame]:
    """Every reference table this script writes, by file stem."""
    regions = {version: nuts_from_changes(shared, version) for version in (2006, 2010, 2013, 2016)}
    regions[2021] = nuts_2021(shared)
    regions[2024] = nuts_2024(shared, regions[2021])
    return {
        **{f"nuts_{version}": frame for version, frame in regions.items()},
        "nace_rev2": nace_rev2(shared),
        "nuts_correspondence": nuts_correspondence(shared, regions),
    }


def shape_files(shared: Path) -> dict[str, str]:
    """The map geometry this script writes (GeoJSON text), by file name: one file per NUTS version."""
    return {
        f"nuts_{version}_shapes.geojson": shapes_text(shared / "geo", version)
        for version in SHAPE_SOURCES
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", type=Path, default=PROJECT_ROOT.parent / "shared" / "reference")
    parser.add_argument("--out", type=Path, default=PROJECT_ROOT / "data" / "reference")
    args = parser.parse_args()
    if not args.shared.is_dir():
        raise SystemExit(
            f"{args.shared} not found: pass --shared with the folder of reference copies"
        )
    args.out.mkdir(parents=True, exist_ok=True)
    for name, frame in tables(args.shared).items():
        frame.write_csv(args.out / f"{name}.csv")
        print(f"wrote {args.out / name}.csv ({frame.height} rows)")
    for name, text in shape_files(args.shared).items():
        (args.out / name).write_text(text, encoding="utf-8")
        print(f"wrote {args.out / name} ({len(text) // 1024} KB)")


if __name__ == "__main__":
    main()
