"""NUTS code lists by version, from Eurostat's NUTS files and change tables in ../shared/reference."""

from __future__ import annotations

from pathlib import Path
from typing import NamedTuple

import polars as pl

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
