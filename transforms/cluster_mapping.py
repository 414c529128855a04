"""A NACE Rev. 2 class -> traded cluster category mapping derived from the US benchmark cluster definitions.

The US Cluster Mapping Project assigns 6-digit NAICS industries to 51 traded clusters (or to local
clusters). The US Census concordances link NAICS industries to ISIC Rev. 4 classes, and every NACE
Rev. 2 class refines exactly one ISIC Rev. 4 class. So each NACE class is reached by the NAICS
industries linked to its ISIC class, and those industries vote:

- a class is traded when at least half of its linked NAICS industries are traded (otherwise it stays
  local: no category);
- it goes to the traded category with the most linked industries; a tie goes to the lower category
  number and is flagged for review;
- `link_share` is the share of all linked industries that the chosen category holds: below 0.5 the
  assignment is weak and listed for review.

Coarser NACE codes (group, division, section) are allocated to categories by the share of their classes in each
category (`allocation_weight`; what is left over is local), which is how data published only at a
coarser level are spread when no class-level data exist.
"""

from __future__ import annotations

import re

import polars as pl

MAPPING_SCHEMA = {
    "nace_code": pl.String,
    "nace_level": pl.Int8,
    "category_code": pl.String,
    "allocation_weight": pl.Float64,
    "linked_naics": pl.Int32,
    "link_share": pl.Float64,
    "needs_review": pl.Boolean,
    "rationale": pl.String,
}


def cluster_name_key(name: str) -> str:
    """A cluster name reduced to lower-case words, so 'Marketing, Design, and Publishing' matches."""
    return " ".join(re.findall(r"[a-z]+", name.lower()))


def naics_isic_links(
    clusters: pl.DataFrame, links_2017: pl.DataFrame, links_2012: pl.DataFrame
) -> pl.DataFrame:
    """(naics, isic_rev4, traded, category_code) for every cluster industry and ISIC class it links to.

    `clusters` has naics, traded (bool), category_code (None for local); the link frames have naics and
    isic_rev4 (4 digits). A NAICS code found in the 2017 concordance uses it, otherwise the 2012 one
    (the benchmark file mixes the two vintages).
    """
    in_2017 = clusters.join(links_2017, on="naics", how="inner")
    rest = clusters.join(links_2017.select("naics").unique(), on="naics", how="anti")
    in_2012 = rest.join(links_2012, on="naics", how="inner")
    return pl.concat([in_2017, in_2012]).unique(["naics", "isic_rev4"]).sort("naics", "isic_rev4")


def class_assignments(nace_classes: pl.DataFrame, links: pl.DataFrame) -> pl.DataFrame:
    """One row per NACE class: its traded category (or None), linked industries, share and review flag.

    `nace_classes` has nace_code and isic_rev4 (the ISIC class it refines); `links` comes from
    `naics_isic_links` with category_number added.
    """
    votes = (
        nace_classes.join(links, on="isic_rev4", how="left")
        .group_by("nace_code", "category_code", "category_number")
        .agg(pl.col("naics").drop_nulls().n_unique().alias("votes"))
    )
    totals = votes.group_by("nace_code").agg(
        pl.col("votes").sum().alias("linked_naics"),
        pl.col("votes").filter(pl.col("category_code").is_not_null()).sum().alias("traded_votes"),
    )
    ranked = (
        votes.filter(pl.col("category_code").is_not_null() & (pl.col("votes") > 0))
        .sort(["nace_code", "votes", "category_number"], descending=[False, True, False])
        .group_by("nace_code", maintain_order=True)
        .agg(
            pl.col("category_code").first(),
            pl.col("votes").first().alias("winner_votes"),
            (pl.col("votes") == pl.col("votes").first()).sum().alias("tied"),
            pl.format("{} ({})", "category_code", "votes").str.join(", ").alias("candidates"),
        )
    )
    return (
        nace_classes.select("nace_code")
        .join(totals, on="nace_code", how="left")
        .join(ranked, on="nace_code", how="left")
        .with_columns(
            pl.col("linked_naics").fill_null(0).cast(pl.Int32),
            pl.col("traded_votes").fill_null(0),
        )
        .with_columns(
            is_traded=(pl.col("traded_votes") > 0)
            & (2 * pl.col("traded_votes") >= pl.col("linked_naics"))
        )
        .with_columns(
            category_code=pl.when("is_traded").then("category_code"),
            link_share=pl.when("is_traded").then(pl.col("winner_votes") / pl.col("linked_naics")),
        )
        .with_columns(
            needs_review=pl.col("is_traded")
            & ((pl.col("link_share") < 0.5) | (pl.col("tied") > 1)),
            rationale=pl.when(pl.col("linked_naics") == 0)
            .then(pl.lit("no NAICS industry of the benchmark links to its ISIC class: local"))
            .when(~pl.col("is_traded"))
            .then(
                pl.format(
                    "{} of {} linked NAICS industries are traded (less than half): local",
                    "traded_votes",
                    "linked_naics",
                )
            )
            .otherwise(
                pl.format(
                    "{} of {} linked NAICS industries; traded candidates: {}",
                    "winner_votes",
                    "linked_naics",
                    "candidates",
                )
            ),
        )
        .select(
            "nace_code", "category_code", "linked_naics", "link_share", "needs_review", "rationale"
        )
        .sort("nace_code")
    )


def reviewed_assignments(assignments: pl.DataFrame, overrides: pl.DataFrame) -> pl.DataFrame:
    """`assignments` with hand-review decisions applied (nace_code, category_code or null for local, reason).

    An overridden class is no longer flagged for review and has no link share; its rationale keeps the vote
    it replaces.
    """
    unknown = set(overrides["nace_code"]) - set(assignments["nace_code"])
    if unknown:
        raise ValueError(f"overrides name codes that are not NACE classes: {sorted(unknown)}")
    decided = overrides.select(
        "nace_code",
        pl.col("category_code").alias("override_code"),
        pl.col("reason"),
    )
    return (
        assignments.join(decided, on="nace_code", how="left")
        .with_columns(
            pl.when(pl.col("reason").is_not_null())
            .then(pl.col("override_code"))
            .otherwise(pl.col("category_code"))
            .alias("category_code"),
            pl.when(pl.col("reason").is_not_null())
            .then(False)
            .otherwise(pl.col("needs_review"))
            .alias("needs_review"),
            pl.when(pl.col("reason").is_not_null())
            .then(pl.format("hand review: {} (vote: {})", "reason", "rationale"))
            .otherwise(pl.col("rationale"))
            .alias("rationale"),
            pl.when(pl.col("reason").is_not_null())
            .then(None)
            .otherwise(pl.col("link_share"))
            .alias("link_share"),
        )
        .drop("override_code", "reason")
    )


def nace_cluster_mapping(nace: pl.DataFrame, assignments: pl.DataFrame) -> pl.DataFrame:
    """The mapping table: each class with weight 1 to its category, coarser codes by class shares.

    `nace` is the NACE structure (nace_code, nace_level 1-4, parent_code); `assignments` comes from
    `class_assignments`. Classes and coarser codes without a traded category have no row.
    """
    classes = assignments.filter(pl.col("category_code").is_not_null()).select(
        "nace_code",
        pl.lit(4, pl.Int8).alias("nace_level"),
        "category_code",
        pl.lit(1.0).alias("allocation_weight"),
        "linked_naics",
        "link_share",
        "needs_review",
        "rationale",
    )
    return class_share_mapping(nace, classes)


def class_share_mapping(nace: pl.DataFrame, classes: pl.DataFrame) -> pl.DataFrame:
    """`classes` (class rows: nace_code, category_code, ...) plus a row per coarser code and category.

    A group, division or section is allocated to a category by the share of its classes in it; a class
    may be in several categories (emerging industries overlap), each coarser weight is still a share.
    """
    parent_of = dict(
        nace.filter(pl.col("parent_code").is_not_null())
        .select("nace_code", "parent_code")
        .iter_rows()
    )
    class_codes = nace.filter(pl.col("nace_level") == 4)["nace_code"].to_list()
    groups = [parent_of[c] for c in class_codes]
    divisions = [parent_of[g] for g in groups]
    ancestry = pl.DataFrame(
        {
            "nace_code": class_codes,
            "group_code": groups,
            "division_code": divisions,
            "section_code": [parent_of[d] for d in divisions],
        }
    )
    in_category = classes.select("nace_code", "category_code").join(ancestry, on="nace_code")
    coarser = []
    for column, level, name in (
        ("group_code", 3, "group"),
        ("division_code", 2, "division"),
        ("section_code", 1, "section"),
    ):
        n_classes = ancestry.group_by(column).agg(pl.len().alias("n_classes"))
        coarser.append(
            in_category.group_by(column, "category_code")
            .agg(pl.len().alias("n_in_category"))
            .join(n_classes, on=column)
            .select(
                pl.col(column).alias("nace_code"),
                pl.lit(level, pl.Int8).alias("nace_level"),
                "category_code",
                (pl.col("n_in_category") / pl.col("n_classes")).alias("allocation_weight"),
                pl.lit(False).alias("needs_review"),
                pl.format(
                    "{} of the {} classes of this {} are in the category",
                    "n_in_category",
                    "n_classes",
                    pl.lit(name),
                ).alias("rationale"),
            )
        )
    schema = {c: t for c, t in MAPPING_SCHEMA.items() if c in classes.columns}
    return (
        pl.concat([classes.cast(schema), *coarser], how="diagonal_relaxed")
        .select(list(schema))
        .cast(schema)
        .sort("nace_level", "nace_code", "category_code")
    )
