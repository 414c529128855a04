"""The NACE Rev. 2 structure, from its copy in ../shared/reference."""

from __future__ import annotations

from pathlib import Path

import polars as pl


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
            sentence_case_sections(
                pl.col("Activity").str.replace_all(r"\s+", " ").str.strip_chars()
            ).alias("nace_label"),
            pl.col("isic_rev4").str.strip_chars(),
        )
        .select("nace_code", "nace_level", "section", "parent_code", "nace_label", "isic_rev4")
    )


def sentence_case_sections(label: pl.Expr) -> pl.Expr:
    """Section titles as Eurostat writes them ("Agriculture, forestry and fishing"): the source copy has
    them in Title Case; divisions, groups and classes are already in sentence case."""
    sentence = label.str.slice(0, 1).str.to_uppercase() + label.str.slice(1).str.to_lowercase()
    return pl.when(pl.col("nace_level") == 1).then(sentence).otherwise(label)
