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
    return nuts_table(
        raw.select(
            pl.col("Code 2021").str.strip_chars().alias("nuts_code"),
            pl.coalesce(name_columns).str.strip_chars().alias("nuts_name"),
            pl.col("NUTS level").cast(pl.Int8).alias("nuts_level"),
        ),
        2021,
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


NUTS_VERSIONS = (2016, 2021, 2024)


def nuts3_links_2016_2021(shared: Path) -> pl.DataFrame:
    """(nuts3_2016, nuts3_2021) for every EU-27 NUTS-3 region with a code in both versions."""
    raw = pl.read_excel(
        shared / "eurostat_NUTS2021.xlsx",
        sheet_name="Changes detailed NUTS 2016-2021",
        infer_schema_length=0,
    )
    return (
        raw.select(
            pl.col("Code 2016").str.strip_chars().alias("nuts3_2016"),
            pl.col("Code 2021").str.strip_chars().alias("nuts3_2021"),
            pl.col("NUTS level").alias("level"),
        )
        .filter(
            (pl.col("level") == "3")
            & pl.col("nuts3_2016").is_not_null()
            & pl.col("nuts3_2021").is_not_null()
        )
        .drop("level")
    )


def nuts3_links_2021_2024(shared: Path) -> pl.DataFrame:
    """(nuts3_2021, nuts3_2024) for every EU-27 NUTS-3 region of NUTS 2021 and its 2024 successors.

    The 2024 change table lists a region whose boundary shifted or that was split with no 2024 code,
    followed by the new 2024 regions made from it: each such region is linked to the new rows below it.
    """
    raw = pl.read_excel(
        shared / "eurostat_NUTS2021-NUTS2024.xlsx",
        sheet_name="NUTS2021- NUTS2024",
        infer_schema_length=0,
    )
    rows = raw.select(
        pl.col("Code 2021").str.strip_chars().alias("nuts3_2021"),
        pl.col("Code 2024").str.strip_chars().alias("nuts3_2024"),
        pl.col("NUTS level").alias("level"),
    ).filter(pl.col("level") == "3")
    return (
        rows.with_columns(pl.col("nuts3_2021").forward_fill().alias("predecessor"))
        .select(
            pl.coalesce("nuts3_2021", "predecessor").alias("nuts3_2021"),
            pl.col("nuts3_2024"),
        )
        .filter(pl.col("nuts3_2021").is_not_null() & pl.col("nuts3_2024").is_not_null())
    )


def nuts2_boundary_changes(shared: Path) -> dict[tuple[int, int], set[str]]:
    """NUTS-2 codes (of either version) whose boundary changed, per step between adjacent versions."""
    older = pl.read_excel(
        shared / "eurostat_NUTS2021.xlsx",
        sheet_name="Changes detailed NUTS 2016-2021",
        infer_schema_length=0,
    ).filter((pl.col("NUTS level") == "2") & pl.col("Change codes*").is_in(["3", "4"]))
    newer = pl.read_excel(
        shared / "eurostat_NUTS2021-NUTS2024.xlsx",
        sheet_name="NUTS2021- NUTS2024",
        infer_schema_length=0,
    ).filter((pl.col("NUTS level") == "2") & pl.col("Change").is_in(["Boundary shift", "Split"]))

    def codes(frame: pl.DataFrame, columns: list[str]) -> set[str]:
        return set(pl.concat([frame[c] for c in columns]).drop_nulls().to_list())

    return {
        (2016, 2021): codes(older, ["Code 2016", "Code 2021"]),
        (2021, 2024): codes(newer, ["Code 2021", "Code 2024"]),
    }


def nuts_correspondence(shared: Path) -> pl.DataFrame:
    """NUTS-2 links between every two NUTS versions (2016, 2021, 2024), derived from NUTS-3 lineage.

    A NUTS-2 region of one version links to the NUTS-2 regions of another version that hold its NUTS-3
    regions (followed through each version's change table). `change` classifies the link: unchanged,
    recoded, boundary_shift (one-to-one but the border moved), split (one region into several), merge
    (several into one) or split_merge (a region taking parts of several). `nuts3_share` is the share of
    the from-region's NUTS-3 regions that went to the to-region (a last-resort split weight).
    """
    lineage = nuts3_links_2016_2021(shared).join(
        nuts3_links_2021_2024(shared), on="nuts3_2021", how="full", coalesce=True
    )
    lineage = lineage.filter(
        pl.coalesce("nuts3_2016", "nuts3_2021", "nuts3_2024").str.slice(0, 2).is_in(EU27)
        & ~pl.coalesce("nuts3_2016", "nuts3_2021", "nuts3_2024").str.ends_with("Z")
    )
    boundary_by_step = nuts2_boundary_changes(shared)
    frames = []
    for from_version in NUTS_VERSIONS:
        for to_version in NUTS_VERSIONS:
            source, target = f"nuts3_{from_version}", f"nuts3_{to_version}"
            low, high = sorted((from_version, to_version))
            moved_codes = sorted(
                set().union(
                    *(codes for (a, b), codes in boundary_by_step.items() if low <= a and b <= high)
                )
            )
            links = (
                lineage.filter(pl.col(source).is_not_null() & pl.col(target).is_not_null())
                .select(
                    pl.col(source).str.slice(0, 4).alias("from_code"),
                    pl.col(target).str.slice(0, 4).alias("to_code"),
                    pl.col(source).alias("nuts3"),
                )
                .unique()
                .group_by("from_code", "to_code")
                .agg(pl.col("nuts3").n_unique().alias("nuts3_count"))
            )
            frames.append(
                links.with_columns(
                    pl.lit(from_version, pl.Int16).alias("from_version"),
                    pl.lit(to_version, pl.Int16).alias("to_version"),
                    (pl.col("nuts3_count") / pl.col("nuts3_count").sum().over("from_code"))
                    .round(6)
                    .alias("nuts3_share"),
                    pl.col("to_code").n_unique().over("from_code").alias("n_to"),
                    pl.col("from_code").n_unique().over("to_code").alias("n_from"),
                    (
                        pl.col("from_code").is_in(moved_codes)
                        | pl.col("to_code").is_in(moved_codes)
                    ).alias("moved"),
                )
            )
    change = (
        pl.when((pl.col("n_to") > 1) & (pl.col("n_from") > 1))
        .then(pl.lit("split_merge"))
        .when(pl.col("n_to") > 1)
        .then(pl.lit("split"))
        .when(pl.col("n_from") > 1)
        .then(pl.lit("merge"))
        .when(pl.col("moved"))
        .then(pl.lit("boundary_shift"))
        .when(pl.col("from_code") != pl.col("to_code"))
        .then(pl.lit("recoded"))
        .otherwise(pl.lit("unchanged"))
    )
    return (
        pl.concat(frames)
        .with_columns(change.alias("change"))
        .select(
            "from_version",
            "from_code",
            "to_version",
            "to_code",
            "change",
            "nuts3_count",
            "nuts3_share",
        )
        .sort("from_version", "to_version", "from_code", "to_code")
    )


def tables(shared: Path) -> dict[str, pl.DataFrame]:
    """Every reference table this script writes, by file stem."""
    nuts21 = nuts_2021(shared)
    return {
        "nuts_2016": nuts_2016(shared),
        "nuts_2021": nuts21,
        "nuts_2024": nuts_2024(shared, nuts21),
        "nace_rev2": nace_rev2(shared),
        "nuts_correspondence": nuts_correspondence(shared),
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
