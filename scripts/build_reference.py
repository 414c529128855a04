"""Derive the project's reference tables in data/reference/ from the third-party copies in ../shared/reference.

Run: uv run --group reference python scripts/build_reference.py [--shared ../shared/reference]

The source files themselves are never committed; the facts they hold are written out as small CSVs
with a source note in data/reference/SOURCES.md.
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path
from typing import NamedTuple

import polars as pl

PROJECT_ROOT = Path(__file__).resolve().parents[1]
NUTS_VERSIONS = (2006, 2010, 2013, 2016, 2021, 2024)
NUTS_COLUMNS = [
    "nuts_code",
    "nuts_version",
    "nuts_level",
    "country_code",
    "parent_code",
    "nuts_name",
    "is_extra_regio",
]


class ChangeTable(NamedTuple):
    """Where Eurostat's change table from one NUTS version to the next keeps its rows."""

    file: str
    sheet: str  # one row per code of either version, in Eurostat's region order
    header_row: int  # the old tables have a banner row above the column names
    level: str  # column of the NUTS level
    change: str  # column of the change text
    explained: str  # sheet of the NUTS-3 changes, with an `Explanation (new = old)` formula column


CHANGE_TABLES = {
    (2006, 2010): ChangeTable(
        "eurostat_NUTS2006-NUTS2010.xls", "NUTS2006-NUTS2010", 1, "level", "Change",
        "Correspondence NUTS-3",
    ),
    (2010, 2013): ChangeTable(
        "eurostat_NUTS2010-NUTS2013.xls", "NUTS2010-NUTS2013", 1, "level", "Change",
        "Correspondence NUTS-3",
    ),
    (2013, 2016): ChangeTable(
        "eurostat_NUTS2013-NUTS2016.xlsx", "NUTS2013-NUTS2016", 1, "level", "Change",
        "Correspondence NUTS-3",
    ),
    (2016, 2021): ChangeTable(
        "eurostat_NUTS2021.xlsx", "Changes detailed NUTS 2016-2021", 0, "NUTS level",
        "Change comments", "Changes NUTS-3",
    ),
    (2021, 2024): ChangeTable(
        "eurostat_NUTS2021-NUTS2024.xlsx", "NUTS2021- NUTS2024", 0, "NUTS level", "Change",
        "Changes NUTS-3",
    ),
}  # fmt: skip
NUTS_CODE = r"^[A-Z]{2}[0-9A-Z]{0,3}$"
# A NUTS-3 code in a change text or formula, with the minus sign of its term
# (`PL91=PL127+PL129+PL12A-newPL926`, `new; merge of ex-NO021 and NO022`).
EXPLAINED_NUTS3 = re.compile(r"(-\s*)?(?:ex-|new\s*)?([A-Z]{2}[0-9A-Z]{3})(?![0-9A-Za-z])")


def level_label(columns: list[str | None]) -> pl.Expr:
    """The label in the column of the row's own NUTS level (country, level 1, 2, 3).

    Eurostat puts each level's label in its own column and leaves the others empty or blank.
    """
    label = pl.lit(None, pl.String)
    for level, column in reversed(list(enumerate(columns))):
        if column is not None:
            label = pl.when(pl.col("nuts_level") == level).then(pl.col(column)).otherwise(label)
    return label.str.strip_chars()


def nuts_table(codes: pl.DataFrame, version: int) -> pl.DataFrame:
    """(nuts_code, nuts_name, nuts_level), in Eurostat's region order, in the project's NUTS layout,
    every country the source lists.

    The parent is the code minus its last character, except where that is no code of the version:
    NUTS 2016 numbers the NUTS-3 regions of UKN0 on past UKN09 (UKN10-UKN16), so there the parent is
    the region one level up listed last above it.
    """
    code = pl.col("nuts_code")
    trimmed = code.str.slice(0, code.str.len_chars() - 1)
    listed_above = pl.lit(None, pl.String)
    for level in (3, 2, 1):
        above = pl.when(pl.col("nuts_level") == level - 1).then(code).forward_fill()
        listed_above = pl.when(pl.col("nuts_level") == level).then(above).otherwise(listed_above)
    return (
        codes.filter(code.is_not_null() & pl.col("nuts_level").is_not_null())
        .with_columns(
            code.str.slice(0, 2).alias("country_code"),
            pl.when(pl.col("nuts_level") == 0)
            .then(None)
            .when(trimmed.is_in(code.implode()))
            .then(trimmed)
            .otherwise(listed_above)
            .alias("parent_code"),
            pl.col("nuts_code").str.ends_with("Z").alias("is_extra_regio"),
            pl.lit(version, pl.Int16).alias("nuts_version"),
        )
        .unique("nuts_code", keep="first", maintain_order=True)
        .select(NUTS_COLUMNS)
        .sort("nuts_code")
    )


def change_rows(shared: Path, step: tuple[int, int]) -> pl.DataFrame:
    """The code rows of a change table's main sheet, in Eurostat's order: code_old, code_new (without
    Eurostat's "(part)" note, which part_old and part_new keep), nuts_level, nuts_name (the label of the
    row's own level) and change.

    The labels are the newer version's except for a region that changed, where Eurostat prints the
    older label in italics (a plain reading cannot tell italics apart).
    """
    table = CHANGE_TABLES[step]
    raw = pl.read_excel(
        shared / table.file,
        sheet_name=table.sheet,
        read_options={"header_row": table.header_row},
        infer_schema_length=0,
    )
    labels = ["Country" if "Country" in raw.columns else None] + [
        next((c for c in raw.columns if c.startswith(prefix)), None)
        for prefix in ("NUTS level 1", "NUTS level 2", "NUTS level 3")
    ]

    def code(column: str) -> pl.Expr:
        text = pl.col(column).str.replace_all(r"\(part\)", "").str.strip_chars()
        return pl.when(text.str.contains(NUTS_CODE)).then(text)

    older, newer = (f"Code {version}" for version in step)
    rows = raw.select(
        code(older).alias("code_old"),
        code(newer).alias("code_new"),
        pl.col(older).str.contains(r"\(part\)").fill_null(False).alias("part_old"),
        pl.col(newer).str.contains(r"\(part\)").fill_null(False).alias("part_new"),
        pl.col(table.level).str.strip_chars().cast(pl.Int8, strict=False).alias("nuts_level"),
        *[pl.col(c) for c in labels if c is not None],
        pl.col(table.change).str.strip_chars().fill_null("").alias("change"),
    ).filter(pl.col("code_old").is_not_null() | pl.col("code_new").is_not_null())
    return rows.with_columns(
        # a few rows leave the level out (BE328 and BE329 in 2016-2021): the code's length gives it
        pl.coalesce(
            "nuts_level",
            (pl.coalesce("code_new", "code_old").str.len_chars() - 2).cast(pl.Int8),
        ).alias("nuts_level"),
    ).select(
        "code_old",
        "code_new",
        "part_old",
        "part_new",
        "nuts_level",
        level_label(labels).alias("nuts_name"),
        "change",
    )


def nuts_from_changes(shared: Path, version: int) -> pl.DataFrame:
    """NUTS codes of `version`, from the change table that starts at it (the older-version column).

    Names are taken from the change table that ends at `version` where it has the code (its labels
    are `version`'s), else from the table that starts at it (the newer version's label where the
    region was renamed). NUTS 2016 keeps the labels of the 2016 -> 2021 table, in the spelling of
    NUTS 2021 and 2024 (the 2013 -> 2016 table writes countries and NUTS-1 regions in capitals).
    """
    rows = change_rows(shared, (version, next_version(version)))
    codes = rows.filter(pl.col("code_old").is_not_null() & ~pl.col("part_old")).select(
        pl.col("code_old").alias("nuts_code"), "nuts_name", "nuts_level"
    )
    previous = next((step for step in CHANGE_TABLES if step[1] == version), None)
    if previous is not None and version != 2016:
        own_labels = (
            change_rows(shared, previous)
            .filter(pl.col("code_new").is_not_null() & ~pl.col("part_new"))
            .select(pl.col("code_new").alias("nuts_code"), pl.col("nuts_name").alias("label"))
            .unique("nuts_code", keep="first", maintain_order=True)
        )
        codes = codes.join(own_labels, on="nuts_code", how="left", maintain_order="left").select(
            "nuts_code", pl.coalesce("label", "nuts_name").alias("nuts_name"), "nuts_level"
        )
    return nuts_table(codes, version)


def next_version(version: int) -> int:
    """The NUTS version after `version`."""
    return NUTS_VERSIONS[NUTS_VERSIONS.index(version) + 1]


def nuts_2021(shared: Path) -> pl.DataFrame:
    """NUTS 2021 codes with name, level, parent and country, extra-regio flagged: the EU-27, the UK
    and the statistical regions of the EFTA and candidate countries the list holds."""
    raw = pl.read_excel(shared / "eurostat_NUTS2021.xlsx", sheet_name="NUTS & SR 2021")
    codes = raw.select(
        pl.col("Code 2021").str.strip_chars().alias("nuts_code"),
        pl.col("NUTS level").cast(pl.Int8).alias("nuts_level"),
        "Country",
        "NUTS level 1",
        "NUTS level 2",
        "NUTS level 3",
    )
    return nuts_table(
        codes.select(
            "nuts_code",
            level_label(["Country", "NUTS level 1", "NUTS level 2", "NUTS level 3"]).alias(
                "nuts_name"
            ),
            "nuts_level",
        ),
        2021,
    )


def nuts_2024(shared: Path, countries: pl.DataFrame) -> pl.DataFrame:
    """NUTS 2024 codes (the EU-27: the list has no other country, and no country rows, which come
    from `countries` for the countries it has)."""
    raw = pl.read_excel(
        shared / "eurostat_NUTS2021-NUTS2024.xlsx", sheet_name="NUTS2024", infer_schema_length=0
    )
    regions = raw.select(
        pl.col("NUTS Code").str.strip_chars().alias("nuts_code"),
        pl.col("NUTS label").str.strip_chars().alias("nuts_name"),
        pl.col("NUTS level").cast(pl.Int8, strict=False).alias("nuts_level"),
    ).filter(pl.col("nuts_code").is_not_null())
    level0 = countries.filter(
        (pl.col("nuts_level") == 0)
        & pl.col("nuts_code").is_in(regions["nuts_code"].str.slice(0, 2).unique().to_list())
    ).select("nuts_code", "nuts_name", "nuts_level")
    return nuts_table(pl.concat([level0, regions]), 2024)


def named_codes(text: str, codes: set[str]) -> list[str]:
    """The NUTS-3 codes among `codes` that a change text or formula names as making up a region
    (`DED42 = DED14 + DED18 + DED1A + DED1B`, `new; merge of ex-NO021 and NO022`, `discontinued; now
    part of NO020`); terms after a minus are left out."""
    found = EXPLAINED_NUTS3.findall(text)
    return list(dict.fromkeys(code for minus, code in found if not minus and code in codes))


def explanations(shared: Path, step: tuple[int, int]) -> dict[str, str]:
    """Change text and formula of each new NUTS-3 region (no older code) in the table's NUTS-3 sheet."""
    table = CHANGE_TABLES[step]
    raw = pl.read_excel(shared / table.file, sheet_name=table.explained, infer_schema_length=0)
    older, newer = (f"Code {version}" for version in step)
    rows = raw.filter(pl.col(older).is_null() & pl.col(newer).is_not_null()).select(
        pl.col(newer).str.strip_chars().alias("code"),
        pl.concat_str(
            [pl.col("Change"), pl.col("Explanation (new = old)")], separator=" ", ignore_nulls=True
        ).alias("text"),
    )
    return dict(rows.iter_rows())


def nuts3_links(shared: Path, step: tuple[int, int]) -> pl.DataFrame:
    """(nuts3_<older>, nuts3_<newer>): each NUTS-3 region of the older version and its successors.

    - A row with both codes links them (so do Eurostat's "(part)" rows: a region split, or merged
      into another), and a row's change text links the regions it names (`discontinued; now part of
      NO020`, `boundary shift, lost new PL926`).
    - A new region (no older code) is linked to the older regions its formula or change text names
      (`DED43 = DED16 + DED19 + DED33`, `SI035=SI015+parts of SI021`; terms after a minus are left
      out).
    - Where they name none, it is linked to the run of regions without a newer code (discontinued,
      boundary shifted, split) just above it, in the same country, whose own text names no successor:
      Eurostat lists a region whose boundary moved followed by its successor ("UKD21 Boundary shift",
      then "UKD61 New region, recalculation by NSI"). A new region below a row with both codes has no
      predecessor (FRA50 Mayotte in 2013; NO0B1 and NO0B2, Jan Mayen and Svalbard, in 2021).
    """
    rows = change_rows(shared, step).filter(pl.col("nuts_level") == 3)
    older_codes = set(rows["code_old"].drop_nulls())
    newer_codes = set(rows["code_new"].drop_nulls())
    explained = explanations(shared, step)
    links: list[tuple[str, str]] = []
    run: list[str] = []  # regions without a newer code just above, whose text names no successor
    after_new = False
    for old, new, change in rows.select("code_old", "code_new", "change").iter_rows():
        if old is not None and new is not None:
            links.append((old, new))
            # `recode, boundary change: merge of ex-ITG25 and ex-ITG29`, `boundary shift, lost new PL926`
            links += [(code, new) for code in named_codes(change, older_codes - {old})]
            links += [(old, code) for code in named_codes(change, newer_codes - {new})]
            run, after_new = [], False
        elif old is not None:
            successors = named_codes(change, newer_codes)  # `discontinued; now part of NO020`
            links += [(old, code) for code in successors]
            run = [] if after_new else run
            run += [] if successors else [old]
            after_new = False
        else:
            named = named_codes(f"{change} {explained.get(new, '')}", older_codes)
            links += [(code, new) for code in named or run if code[:2] == new[:2]]
            after_new = True
    older, newer = step
    return pl.DataFrame(links, schema=[f"nuts3_{older}", f"nuts3_{newer}"], orient="row").unique(
        maintain_order=True
    )


def nuts3_lineage(shared: Path) -> pl.DataFrame:
    """Every path of a NUTS-3 region through the versions: one column per version (nuts3_2006 ...
    nuts3_2024), null where the region has no code in that version (not yet, or no longer, listed)."""
    steps = list(CHANGE_TABLES)
    lineage = nuts3_links(shared, steps[0])
    for older, newer in steps[1:]:
        lineage = lineage.join(
            nuts3_links(shared, (older, newer)), on=f"nuts3_{older}", how="full", coalesce=True
        )
    return lineage.select(f"nuts3_{version}" for version in NUTS_VERSIONS)


def nuts2_boundary_changes(shared: Path) -> dict[tuple[int, int], set[str]]:
    """NUTS-2 codes (of either version) whose boundary changed, per step between adjacent versions:
    the NUTS-2 rows of each change table that Eurostat marks as a boundary shift or change, or a split."""
    moved = {}
    for step in CHANGE_TABLES:
        rows = change_rows(shared, step).filter(
            (pl.col("nuts_level") == 2) & pl.col("change").str.contains(r"(?i)boundary|split")
        )
        moved[step] = set(pl.concat([rows["code_old"], rows["code_new"]]).drop_nulls().to_list())
    return moved


def nuts_correspondence(shared: Path, regions: dict[int, pl.DataFrame]) -> pl.DataFrame:
    """NUTS-2 links between every two NUTS versions (2006, 2010, 2013, 2016, 2021, 2024), derived from
    NUTS-3 lineage.

    A NUTS-2 region of one version links to the NUTS-2 regions of another version that hold its NUTS-3
    regions (followed through each version's change table). `change` classifies the link: unchanged,
    recoded, boundary_shift (one-to-one but the border moved), split (one region into several), merge
    (several into one) or split_merge (a region taking parts of several). `nuts3_share` is the share of
    the from-region's NUTS-3 regions that went to the to-region (a last-resort split weight). A NUTS-3
    region's NUTS-2 region is its parent in `regions` (the code lists by version).
    """
    lineage = nuts3_lineage(shared)
    for version in NUTS_VERSIONS:
        nuts3 = regions[version].filter(pl.col("nuts_level") == 3)
        unknown = set(lineage[f"nuts3_{version}"].drop_nulls()) - set(nuts3["nuts_code"])
        if unknown:
            raise ValueError(f"NUTS {version} change tables name codes not in its list: {unknown}")
        # a region no change table links (NO0B1 and NO0B2: new in 2021, Norway not in NUTS 2024)
        # still links to itself
        alone = nuts3.filter(~pl.col("nuts_code").is_in(lineage[f"nuts3_{version}"].drop_nulls()))
        lineage = pl.concat(
            [lineage, alone.select(pl.col("nuts_code").alias(f"nuts3_{version}"))],
            how="diagonal",
        )
        lineage = lineage.with_columns(
            pl.col(f"nuts3_{version}")
            .replace_strict(nuts3["nuts_code"], nuts3["parent_code"], default=None)
            .alias(f"nuts2_{version}")
        )
    any_code = pl.coalesce(f"nuts3_{version}" for version in NUTS_VERSIONS)
    lineage = lineage.filter(~any_code.str.ends_with("Z"))
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
                    pl.col(f"nuts2_{from_version}").alias("from_code"),
                    pl.col(f"nuts2_{to_version}").alias("to_code"),
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
    regions = {version: nuts_from_changes(shared, version) for version in (2006, 2010, 2013, 2016)}
    regions[2021] = nuts_2021(shared)
    regions[2024] = nuts_2024(shared, regions[2021])
    return {
        **{f"nuts_{version}": frame for version, frame in regions.items()},
        "nace_rev2": nace_rev2(shared),
        "nuts_correspondence": nuts_correspondence(shared, regions),
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
