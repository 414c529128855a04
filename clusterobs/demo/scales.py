"""The demo's countries, years, NACE and NUTS structure and the sizes of the two scales (demo, full-EU)."""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from clusterobs.settings import EU27, REFERENCE_DIR

# HR: its NUTS-2 regions changed in NUTS 2021, so the legacy SBS extract (NUTS 2016) reports HR04 where
# the EBS extract reports HR02, HR05 and HR06 (exercises NUTS harmonisation).
DEMO_COUNTRIES = ["AT", "BE", "CZ", "DK", "ES", "FI", "HR", "NL", "PT", "SE"]
LEGACY_YEARS = list(range(2008, 2021))  # sbs_r_nuts06_r2
EBS_YEARS = [2021, 2022, 2023]  # sbs_r_nuts2021
ALL_YEARS = LEGACY_YEARS + EBS_YEARS
# Demo scale: divisions everywhere, groups under these divisions (exercises mixed NACE detail).
DEMO_GROUP_DIVISIONS = ["C10", "C20", "C25", "C26", "C28", "C29", "C30", "C32"]
# Sections of the SBS business economy (legacy total B-N_S95_X_K: B-N without K, plus division S95).
SBS_SECTIONS = ["B", "C", "D", "E", "F", "G", "H", "I", "J", "L", "M", "N"]
# Sections added by the EBS total B-S_X_O_S94 (published at section level only in the demo).
EBS_EXTRA_SECTIONS = ["K", "P", "Q", "R"]
SECTION_SHARE = {  # share of business-economy employment, EU-like
    "B": 0.005, "C": 0.24, "D": 0.010, "E": 0.012, "F": 0.11, "G": 0.23, "H": 0.085, "I": 0.09,
    "J": 0.045, "L": 0.018, "M": 0.075, "N": 0.09, "S95": 0.003,
}  # fmt: skip
SECTION_AVG_SIZE = {  # persons employed per local unit
    "B": 22, "C": 16, "D": 25, "E": 15, "F": 4, "G": 5, "H": 8, "I": 5, "J": 9, "L": 2.5,
    "M": 3, "N": 9, "S95": 2,
}  # fmt: skip
SECTION_WAGE_FACTOR = {
    "B": 1.3, "C": 1.05, "D": 1.5, "E": 1.0, "F": 0.9, "G": 0.85, "H": 0.95, "I": 0.6, "J": 1.4,
    "L": 0.9, "M": 1.2, "N": 0.75, "S95": 0.8,
}  # fmt: skip
COUNTRY_WAGE_EUR = {  # average annual wages and salaries per person employed, business economy
    "AT": 44000, "BE": 50000, "BG": 9000, "CY": 24000, "CZ": 18000, "DE": 45000, "DK": 58000,
    "EE": 19000, "EL": 16000, "ES": 27000, "FI": 45000, "FR": 42000, "HR": 15000, "HU": 14000,
    "IE": 52000, "IT": 31000, "LT": 16000, "LU": 60000, "LV": 14000, "MT": 22000, "NL": 46000,
    "PL": 15000, "PT": 18000, "RO": 11000, "SE": 47000, "SI": 24000, "SK": 15000,
}  # fmt: skip
PRICE_LEVEL = {  # GDP price level index, EU = 1 (for PPS per inhabitant)
    "AT": 1.12, "BE": 1.12, "BG": 0.45, "CY": 0.88, "CZ": 0.68, "DE": 1.07, "DK": 1.40,
    "EE": 0.80, "EL": 0.80, "ES": 0.90, "FI": 1.25, "FR": 1.08, "HR": 0.65, "HU": 0.60,
    "IE": 1.35, "IT": 0.98, "LT": 0.65, "LU": 1.45, "LV": 0.70, "MT": 0.85, "NL": 1.15,
    "PL": 0.55, "PT": 0.80, "RO": 0.50, "SE": 1.25, "SI": 0.85, "SK": 0.70,
}  # fmt: skip
LFS_SECTIONS = list("ABCDEFGHIJKLMNOPQRSTU")
HIGH_GROWTH_CODE = "V97460"  # high-growth enterprises (employment growth >= 10 %); code unverified


@dataclass(frozen=True)
class DemoScale:
    """What to generate: countries and the NACE detail of the SBS extracts."""

    name: str
    countries: list[str]
    nace_detail: (
        str  # "demo": divisions plus groups of DEMO_GROUP_DIVISIONS; "classes": all classes
    )


SCALES = {
    "demo": DemoScale("demo", DEMO_COUNTRIES, "demo"),
    "full-eu": DemoScale("full-eu", EU27, "classes"),
}


def nuts_regions(countries: list[str]) -> pl.DataFrame:
    """NUTS 2021 codes (levels 0-3, extra-regio included) of the given countries."""
    nuts = pl.read_csv(REFERENCE_DIR / "nuts_2021.csv", schema_overrides={"nuts_level": pl.Int8})
    return nuts.filter(pl.col("country_code").is_in(countries)).sort("nuts_code")


def legacy_nuts_recodes() -> dict[str, str]:
    """NUTS 2021 NUTS-2 codes that the legacy SBS dataset (NUTS 2016) reports under another code."""
    links = pl.read_csv(REFERENCE_DIR / "nuts_correspondence.csv")
    recoded = links.filter(
        (pl.col("from_version") == 2021)
        & (pl.col("to_version") == 2016)
        & (pl.col("from_code") != pl.col("to_code"))
        & pl.col("change").is_in(["recoded", "merge"])
    )
    return dict(zip(recoded["from_code"], recoded["to_code"], strict=True))


def nace_leaves(detail: str) -> pl.DataFrame:
    """Finest NACE codes generated in the SBS scope, with their section and ancestors."""
    nace = pl.read_csv(REFERENCE_DIR / "nace_rev2.csv", schema_overrides={"nace_level": pl.Int8})
    in_scope = nace.filter(
        pl.col("section").is_in(SBS_SECTIONS) | pl.col("nace_code").str.starts_with("S95")
    )
    if detail == "classes":
        leaves = in_scope.filter(pl.col("nace_level") == 4)
    else:
        divisions = in_scope.filter(pl.col("nace_level") == 2)
        groups = in_scope.filter(
            (pl.col("nace_level") == 3) & pl.col("parent_code").is_in(DEMO_GROUP_DIVISIONS)
        )
        leaves = pl.concat(
            [divisions.filter(~pl.col("nace_code").is_in(DEMO_GROUP_DIVISIONS)), groups]
        )
    return leaves.with_columns(
        pl.when(pl.col("nace_code").str.starts_with("S95"))
        .then(pl.lit("S95"))
        .otherwise(pl.col("section"))
        .alias("share_section")
    ).sort("nace_code")


def nace_ancestors(leaves: pl.DataFrame) -> pl.DataFrame:
    """Pairs (leaf, published code) for every code a leaf's employment is summed into."""
    codes = leaves["nace_code"]
    rows = {"nace_code": [], "published_code": []}
    for code in codes:  # a few hundred codes: the tree, not the observations
        section = code[0]
        chain = [code]
        if len(code) >= 4:
            chain.append(code[:3])
        if len(code) == 5:
            chain.append(code[:4])
        if code.startswith("S95"):
            chain.append("S95")
        else:
            chain.append(section)
        chain.append("TOTAL")
        for published in dict.fromkeys(chain):
            rows["nace_code"].append(code)
            rows["published_code"].append(published)
    return pl.DataFrame(rows)
