"""NUTS-2 links between every two NUTS versions, derived from the NUTS-3 lineage of Eurostat's change
tables."""

from __future__ import annotations

import re
from pathlib import Path

import polars as pl

from scripts.reference_builders.nuts_codes import CHANGE_TABLES, NUTS_VERSIONS, change_rows

# A NUTS-3 code in a change text or formula, with the minus sign of its term
# (`PL91=PL127+PL129+PL12A-newPL926`, `new; merge of ex-NO021 and NO022`).
EXPLAINED_NUTS3 = re.compile(r"(-\s*)?(?:ex-|new\s*)?([A-Z]{2}[0-9A-Z]{3})(?![0-9A-Za-z])")


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
