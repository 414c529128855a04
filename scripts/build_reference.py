"""Derive the project's reference tables in data/reference/ from the third-party copies in ../shared/reference.

Run: uv run --group reference python scripts/build_reference.py [--shared ../shared/reference]

The source files themselves are never committed; the facts they hold are written out as small CSVs
with a source note in data/reference/SOURCES.md.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import polars as pl

PROJECT_ROOT = Path(__file__).resolve().parents[1]
EU27 = [
    "BE", "BG", "CZ", "DK", "DE", "EE", "IE", "EL", "ES", "FR", "HR", "IT", "CY", "LV",
    "LT", "LU", "HU", "MT", "NL", "AT", "PL", "PT", "RO", "SI", "SK", "FI", "SE",
]  # fmt: skip


def nuts_2021(shared: Path) -> pl.DataFrame:
    """NUTS 2021 codes of the EU-27 with name, level, parent and country, extra-regio flagged."""
    raw = pl.read_excel(shared / "eurostat_NUTS2021.xlsx", sheet_name="NUTS & SR 2021")
    name_columns = ["Country", "NUTS level 1", "NUTS level 2", "NUTS level 3"]
    return (
        raw.select(
            pl.col("Code 2021").str.strip_chars().alias("nuts_code"),
            pl.coalesce(name_columns).str.strip_chars().alias("nuts_name"),
            pl.col("NUTS level").cast(pl.Int8).alias("nuts_level"),
        )
        .filter(pl.col("nuts_code").is_not_null() & pl.col("nuts_level").is_not_null())
        .with_columns(
            pl.col("nuts_code").str.slice(0, 2).alias("country_code"),
            pl.when(pl.col("nuts_level") > 0)
            .then(pl.col("nuts_code").str.slice(0, pl.col("nuts_code").str.len_chars() - 1))
            .alias("parent_code"),
            pl.col("nuts_code").str.ends_with("Z").alias("is_extra_regio"),
            pl.lit(2021, pl.Int16).alias("nuts_version"),
        )
        .filter(pl.col("country_code").is_in(EU27))
        .select(
            "nuts_code",
            "nuts_version",
            "nuts_level",
            "country_code",
            "parent_code",
            "nuts_name",
            "is_extra_regio",
        )
        .sort("nuts_code")
    )


NUTS_COLUMNS = [
    "nuts_code",
    "nuts_version",
    "nuts_level",
    "country_code",
    "parent_code",
    "nuts_name",
    "is_extra_regio",
]


def nuts_table(codes: pl.DataFrame, version: int) -> pl.DataFrame:
    """(nuts_code, nuts_name, nuts_level) of the EU-27 in the project's NUTS layout."""
    return (
        codes.filter(pl.col("nuts_code").is_not_null() & pl.col("nuts_level").is_not_null())
        .with_columns(
            pl.col("nuts_code").str.slice(0, 2).alias("country_code"),
            pl.when(pl.col("nuts_level") > 0)
            .then(pl.col("nuts_code").str.slice(0, pl.col("nuts_code").str.len_chars() - 1))
            .alias("parent_code"),
            pl.col("nuts_code").str.ends_with("Z").alias("is_extra_regio"),
            pl.lit(version, pl.Int16).alias("nuts_version"),
        )
        .filter(pl.col("country_code").is_in(EU27))
        .unique("nuts_code", keep="first", maintain_order=True)
        .select(NUTS_COLUMNS)
        .sort("nuts_code")
    )


def nuts_2016(shared: Path) -> pl.DataFrame:
    """NUTS 2016 codes of the EU-27, from the 2016 -> 2021 change table of the NUTS 2021 file.

    Names are those in the change table's level columns (the 2016 name where the region changed, which
    Eurostat marks in italics; a plain reading cannot tell italics apart, so a renamed region may carry
    its 2021 name).
    """
    raw = pl.read_excel(
        shared / "eurostat_NUTS2021.xlsx",
        sheet_name="Changes detailed NUTS 2016-2021",
        infer_schema_length=0,
    )
    names = [
        c
        for c in raw.columns
        if c.startswith(("Country", "NUTS level 1", "NUTS level 2", "NUTS level 3"))
    ]
    names = [c for c in names if c != "Country order"]
    return nuts_table(
        raw.select(
            pl.col("Code 2016").str.strip_chars().alias("nuts_code"),
            pl.coalesce(names).str.strip_chars().alias("nuts_name"),
            pl.col("NUTS level").cast(pl.Int8, strict=False).alias("nuts_level"),
        ),
        2016,
    )


def nuts_2024(shared: Path, countries: pl.DataFrame) -> pl.DataFrame:
    """NUTS 2024 codes of the EU-27 (the 2024 list has no country rows: those come from `countries`)."""
    raw = pl.read_excel(
        shared / "eurostat_NUTS2021-NUTS2024.xlsx", sheet_name="NUTS2024", infer_schema_length=0
    )
    regions = raw.select(
        pl.col("NUTS Code").str.strip_chars().alias("nuts_code"),
        pl.col("NUTS label").str.strip_chars().alias("nuts_name"),
        pl.col("NUTS level").cast(pl.Int8, strict=False).alias("nuts_level"),
    )
    level0 = countries.filter(pl.col("nuts_level") == 0).select(
        "nuts_code", "nuts_name", "nuts_level"
    )
    return nuts_table(pl.concat([level0, regions]), 2024)


def nace_rev2(shared: Path) -> pl.DataFrame:
    """NACE Rev.2 structure (section, division, group, class) with Eurostat-style codes and parents."""
    raw = pl.read_csv(shared / "nace_rev2_structure_isic4_jnsprnw.csv", infer_schema=False).rename(
        {"ISICRev. 4": "isic_rev4"}
    )
    section = pl.col("Section").forward_fill()
    digits = pl.coalesce("Class", "Group", "Division").str.replace_all(r"\.", "")
    return (
        raw.with_columns(section.alias("section"), digits.alias("digits"))
        .with_columns(
            pl.when(pl.col("digits").is_null())
            .then(pl.col("section"))
            .otherwise(pl.col("section") + pl.col("digits"))
            .alias("nace_code"),
            pl.when(pl.col("digits").is_null())
            .then(1)
            .otherwise(pl.col("digits").str.len_chars())
            .cast(pl.Int8)
            .alias("nace_level"),
        )
        .with_columns(
            pl.when(pl.col("nace_level") == 1)
            .then(None)
            .when(pl.col("nace_level") == 2)
            .then(pl.col("section"))
            .otherwise(pl.col("nace_code").str.slice(0, pl.col("nace_code").str.len_chars() - 1))
            .alias("parent_code"),
            pl.col("Activity").str.replace_all(r"\s+", " ").str.strip_chars().alias("nace_label"),
            pl.col("isic_rev4").str.strip_chars(),
        )
        .select("nace_code", "nace_level", "section", "parent_code", "nace_label", "isic_rev4")
    )


def tables(shared: Path) -> dict[str, pl.DataFrame]:
    """Every reference table this script writes, by file stem."""
    nuts21 = nuts_2021(shared)
    return {
        "nuts_2016": nuts_2016(shared),
        "nuts_2021": nuts21,
        "nuts_2024": nuts_2024(shared, nuts21),
        "nace_rev2": nace_rev2(shared),
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


if __name__ == "__main__":
    main()
