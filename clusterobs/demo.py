"""Deterministic generator of realistic Eurostat-format TSV extracts (demo and full-EU benchmark scale).

Employment is generated at the finest NACE level for each NUTS-2 region and year, rounded, and summed
up the NACE tree and the NUTS tree, so every published total adds up exactly before suppression.
Confidential (': c'), missing (':') and flagged ('p', 'e', 'b', 'u') cells are applied afterwards, the
way Eurostat publishes them. All randomness comes from one seeded generator.
"""

from __future__ import annotations

import gzip
from dataclasses import dataclass
from pathlib import Path

import numpy as np
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


def sbs_leaf_panel(scale: DemoScale, rng: np.random.Generator) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Employment, local units and wages per NUTS-2 region x finest NACE code x year (integers)."""
    regions = nuts_regions(scale.countries).filter(
        (pl.col("nuts_level") == 2) & ~pl.col("is_extra_regio")
    )
    leaves = nace_leaves(scale.nace_detail)
    n_r, n_k, n_t = regions.height, leaves.height, len(ALL_YEARS)

    section_of_leaf = leaves["share_section"].to_list()
    leaf_base = np.empty(n_k)
    for section, share in SECTION_SHARE.items():
        idx = [i for i, s in enumerate(section_of_leaf) if s == section]
        if idx:
            leaf_base[idx] = share * rng.dirichlet(np.full(len(idx), 1.2))
    country_of_region = regions["country_code"].to_list()
    countries = sorted(set(country_of_region))
    country_idx = np.array([countries.index(c) for c in country_of_region])
    country_effect = rng.lognormal(0.0, 0.35, size=(len(countries), n_k))
    region_effect = rng.lognormal(0.0, 0.55, size=(n_r, n_k))
    shares = leaf_base[None, :] * country_effect[country_idx] * region_effect
    shares /= shares.sum(axis=1, keepdims=True)

    region_size = rng.lognormal(np.log(320_000), 0.65, size=n_r)
    region_growth = np.cumprod(1 + rng.normal(0.008, 0.018, size=(n_r, n_t)), axis=1)
    leaf_growth = np.cumprod(1 + rng.normal(0.004, 0.035, size=(n_k, n_t)), axis=1)
    covid = np.ones(n_t)
    covid[ALL_YEARS.index(2020)] = 0.96
    employment = (
        region_size[:, None, None]
        * shares[:, :, None]
        * region_growth[:, None, :]
        * leaf_growth[None, :, :]
        * covid[None, None, :]
    )
    employment = np.rint(employment).astype(np.int64)

    avg_size = np.array([SECTION_AVG_SIZE[s] for s in section_of_leaf])
    size_noise = rng.lognormal(0.0, 0.25, size=(n_r, n_k, 1))
    local_units = np.where(
        employment > 0,
        np.maximum(1, np.rint(employment / (avg_size[None, :, None] * size_noise))),
        0,
    ).astype(np.int64)
    wage_level = np.array([COUNTRY_WAGE_EUR[c] for c in country_of_region], dtype=float)
    wage_factor = np.array([SECTION_WAGE_FACTOR[s] for s in section_of_leaf])
    wage_trend = np.cumprod(np.full(n_t, 1.022))
    wage_noise = rng.lognormal(0.0, 0.08, size=(n_r, n_k, 1))
    # Wages in tenths of a million EUR, so that sums of published values stay exact.
    wages_tenths = np.rint(
        employment
        * wage_level[:, None, None]
        * wage_factor[None, :, None]
        * wage_trend[None, None, :]
        * wage_noise
        / 1e5
    ).astype(np.int64)

    grid = pl.DataFrame(
        {
            "geo": np.repeat(regions["nuts_code"].to_numpy(), n_k * n_t),
            "nace_code": np.tile(np.repeat(leaves["nace_code"].to_numpy(), n_t), n_r),
            "year": np.tile(np.array(ALL_YEARS, dtype=np.int16), n_r * n_k),
            "employment": employment.ravel(),
            "local_units": local_units.ravel(),
            "wages_tenths": wages_tenths.ravel(),
        }
    )
    return grid, leaves


def sbs_published(scale: DemoScale, rng: np.random.Generator) -> pl.DataFrame:
    """SBS cells at every published NACE and NUTS level, suppression and flags applied."""
    grid, leaves = sbs_leaf_panel(scale, rng)
    pairs = nace_ancestors(leaves)
    regions = nuts_regions(scale.countries)
    nuts2 = regions.filter((pl.col("nuts_level") == 2) & ~pl.col("is_extra_regio"))
    geo_pairs = pl.concat(
        [
            nuts2.select(
                pl.col("nuts_code").alias("geo"), pl.col("nuts_code").alias("published_geo")
            ),
            nuts2.select(
                pl.col("nuts_code").alias("geo"), pl.col("parent_code").alias("published_geo")
            ),
            nuts2.select(
                pl.col("nuts_code").alias("geo"), pl.col("country_code").alias("published_geo")
            ),
        ]
    )
    measures = ["employment", "local_units", "wages_tenths"]
    by_nace = (
        grid.join(pairs, on="nace_code")
        .group_by("geo", "published_code", "year")
        .agg(pl.col(measures).sum())
    )
    # The legacy regime publishes NUTS 2016 codes: regions recoded or merged since are summed under them.
    in_published_version = (
        pl.when(pl.col("year").is_in(LEGACY_YEARS))
        .then(pl.col("published_geo").replace(legacy_nuts_recodes()))
        .otherwise("published_geo")
    )
    published = (
        by_nace.join(geo_pairs, on="geo")
        .with_columns(in_published_version.alias("published_geo"))
        .group_by("published_geo", "published_code", "year")
        .agg(pl.col(measures).sum())
        .rename({"published_geo": "geo", "published_code": "nace_code"})
        .sort("geo", "nace_code", "year")  # random draws below must meet rows in a fixed order
    )
    n = published.height
    # Only divisions, groups and classes are suppressed; sections and totals stay published.
    is_leafish = published["nace_code"].str.contains(r"^[A-U]\d{2,4}$").to_numpy()
    geo_level = published["geo"].str.len_chars().to_numpy() - 2
    small = published["employment"].to_numpy() < 40
    confidential = (
        is_leafish & (geo_level == 2) & ((rng.random(n) < 0.03) | (small & (rng.random(n) < 0.5)))
    )
    missing = ~confidential & is_leafish & (rng.random(n) < 0.01)
    estimated = rng.random(n) < 0.02
    return published.with_columns(
        pl.Series("confidential", confidential),
        pl.Series("missing", missing),
        pl.Series("estimated", estimated),
    )


def with_regime_codes(published: pl.DataFrame) -> dict[str, pl.DataFrame]:
    """The two SBS datasets in long form (indicator code, nace code, geo, year, value text, flags)."""
    legacy_codes = {"local_units": "V11210", "employment": "V16110", "wages_tenths": "V13320"}
    ebs_codes = {
        "local_units": "LOC_NR",
        "employment": "EMP_LOC_NR",
        "wages_tenths": "WAGE_LOC_MEUR",
    }
    out = {}
    for dataset, years, codes, total in [
        ("sbs_r_nuts06_r2", LEGACY_YEARS, legacy_codes, "B-N_S95_X_K"),
        ("sbs_r_nuts2021", EBS_YEARS, ebs_codes, "B-S_X_O_S94"),
    ]:
        part = published.filter(pl.col("year").is_in(years)).with_columns(
            pl.when(pl.col("nace_code") == "TOTAL")
            .then(pl.lit(total))
            .otherwise("nace_code")
            .alias("nace_code")
        )
        long = part.unpivot(
            index=["geo", "nace_code", "year", "confidential", "missing", "estimated"],
            on=list(codes),
            variable_name="measure",
            value_name="amount",
        ).with_columns(
            pl.col("measure").replace_strict(codes).alias("indic"),
            pl.when(pl.col("measure") == "wages_tenths")
            .then((pl.col("amount") / 10).round(1).cast(pl.String))
            .otherwise(pl.col("amount").cast(pl.String))
            .alias("value_text"),
        )
        out[dataset] = long
    return out


def with_nuts_parents(
    frame: pl.DataFrame,
    keys: list[str],
    aggs: list[pl.Expr],
    parent_lengths: tuple[int, ...] = (3, 2),
) -> pl.DataFrame:
    """The frame plus a row per parent region (geo cut to each length), aggregated from its children."""
    parents = (
        pl.concat([frame.with_columns(pl.col("geo").str.slice(0, k)) for k in parent_lengths])
        .group_by("geo", *keys)
        .agg(aggs)
    )
    return pl.concat([frame, parents.select(frame.columns)])


def cell_text(
    value_text: pl.Expr, flags: pl.Expr, missing: pl.Expr, confidential: pl.Expr
) -> pl.Expr:
    """Eurostat TSV cell: 'value flags', ':' when missing, ': c' when confidential."""
    return (
        pl.when(confidential)
        .then(pl.lit(": c"))
        .when(missing)
        .then(pl.lit(": "))
        .otherwise(value_text + pl.lit(" ") + flags.fill_null(""))
    )


def write_tsv(
    long: pl.DataFrame, key_dims: list[str], path: Path, years: list[int], trailing_space: bool
) -> int:
    """Write a long frame (key dims, year, cell) as a gzip Eurostat TSV; returns the number of series."""
    wide = (
        long.select(*key_dims, pl.col("year").cast(pl.String), "cell")
        .pivot(on="year", index=key_dims, values="cell")
        .sort(key_dims)
    )
    year_cols = [str(y) for y in years]
    for col in year_cols:
        if col not in wide.columns:
            wide = wide.with_columns(pl.lit(None, pl.String).alias(col))
    header_dims = ",".join(key_dims)
    key = pl.concat_str([pl.col(d) for d in key_dims], separator=",")
    body = wide.select(
        pl.concat_str([key, *[pl.col(c).fill_null(": ") for c in year_cols]], separator="\t").alias(
            "line"
        )
    )
    suffix = " " if trailing_space else ""
    header = f"{header_dims}\\TIME_PERIOD\t" + "\t".join(f"{y}{suffix}" for y in years)
    text = header + "\n" + "\n".join(body["line"].to_list()) + "\n"
    with gzip.GzipFile(path, "wb", mtime=0, compresslevel=6) as handle:
        handle.write(text.encode("utf-8"))
    return wide.height


def sbs_files(
    published: pl.DataFrame, out: Path, countries: list[str], rng: np.random.Generator
) -> dict[str, int]:
    """Write both SBS extracts; the 2023 EBS cells are provisional, one country has a 2014 break."""
    written = {}
    break_country = sorted(countries)[len(countries) // 2]
    extra = extra_regio_rows(countries)
    for dataset, long in with_regime_codes(published).items():
        years = LEGACY_YEARS if dataset == "sbs_r_nuts06_r2" else EBS_YEARS
        flags = (
            pl.when(pl.col("year") == 2023).then(pl.lit("p")).otherwise(pl.lit(""))
            + pl.when(pl.col("estimated")).then(pl.lit("e")).otherwise(pl.lit(""))
            + pl.when((pl.col("year") == 2014) & pl.col("geo").str.starts_with(break_country))
            .then(pl.lit("b"))
            .otherwise(pl.lit(""))
        )
        long = long.with_columns(
            cell_text(pl.col("value_text"), flags, pl.col("missing"), pl.col("confidential")).alias(
                "cell"
            ),
            pl.lit("A").alias("freq"),
            pl.col("indic").alias("indic_sb" if dataset == "sbs_r_nuts06_r2" else "indic_sbs"),
            pl.col("nace_code").alias("nace_r2"),
        )
        indic = "indic_sb" if dataset == "sbs_r_nuts06_r2" else "indic_sbs"
        if dataset == "sbs_r_nuts2021":
            # The EBS total also covers sections K, P, Q and R: replace it by the widened one.
            long = pl.concat(
                [
                    long.filter(pl.col("nace_r2") != "B-S_X_O_S94").select(
                        "freq", indic, "nace_r2", "geo", "year", "cell"
                    ),
                    ebs_extra_sections(published, rng),
                ]
            )
        totals = (
            long.filter(pl.col("nace_r2").is_in(["B-N_S95_X_K", "B-S_X_O_S94"]))
            .select(indic, "nace_r2")
            .unique()
        )
        extra_rows = totals.join(extra, how="cross").join(
            pl.DataFrame({"year": pl.Series(years, dtype=pl.Int16)}), how="cross"
        )
        extra_rows = extra_rows.with_columns(pl.lit("A").alias("freq"), pl.lit(": ").alias("cell"))
        long = pl.concat(
            [
                long.select("freq", indic, "nace_r2", "geo", "year", "cell"),
                extra_rows.select("freq", indic, "nace_r2", "geo", "year", "cell"),
            ]
        )
        written[dataset] = write_tsv(
            long,
            ["freq", indic, "nace_r2", "geo"],
            out / f"{dataset}.tsv.gz",
            years,
            trailing_space=False,
        )
    return written


def ebs_extra_sections(published: pl.DataFrame, rng: np.random.Generator) -> pl.DataFrame:
    """Sections K, P, Q, R of the EBS total, at section level only, and the widened total."""
    base = published.filter((pl.col("nace_code") == "TOTAL") & pl.col("year").is_in(EBS_YEARS))
    shares = {"K": 0.03, "P": 0.025, "Q": 0.09, "R": 0.02}
    frames = []
    extra_total = pl.lit(0)
    for section, share in shares.items():
        factor = share * float(rng.lognormal(0, 0.1))
        frames.append(
            base.select(
                "geo",
                "year",
                pl.lit(section).alias("nace_r2"),
                (pl.col("employment") * factor).round(0).cast(pl.Int64).alias("employment"),
                (pl.col("local_units") * factor * 1.5).round(0).cast(pl.Int64).alias("local_units"),
                (pl.col("wages_tenths") * factor).round(0).cast(pl.Int64).alias("wages_tenths"),
            )
        )
        extra_total = extra_total + factor
    sections = pl.concat(frames)
    # Regions' parents must add up too: recompute NUTS-1/0 from NUTS-2 rows.
    sections = sections.filter(pl.col("geo").str.len_chars() == 4)
    sections = with_nuts_parents(sections, ["year", "nace_r2"], [pl.all().sum()])
    codes = {"local_units": "LOC_NR", "employment": "EMP_LOC_NR", "wages_tenths": "WAGE_LOC_MEUR"}
    long = sections.unpivot(
        index=["geo", "year", "nace_r2"],
        on=list(codes),
        variable_name="measure",
        value_name="amount",
    )
    widened_total = (
        long.group_by("geo", "year", "measure")
        .agg(pl.col("amount").sum().alias("extra"))
        .join(
            published.filter(pl.col("nace_code") == "TOTAL").unpivot(
                index=["geo", "year"], on=list(codes), variable_name="measure", value_name="base"
            ),
            on=["geo", "year", "measure"],
        )
        .select(
            "geo",
            "year",
            pl.lit("B-S_X_O_S94").alias("nace_r2"),
            "measure",
            (pl.col("extra") + pl.col("base")).alias("amount"),
        )
    )
    long = pl.concat([long, widened_total])
    return long.with_columns(
        pl.lit("A").alias("freq"),
        pl.col("measure").replace_strict(codes).alias("indic_sbs"),
        cell_text(
            pl.when(pl.col("measure") == "wages_tenths")
            .then((pl.col("amount") / 10).round(1).cast(pl.String))
            .otherwise(pl.col("amount").cast(pl.String)),
            pl.when(pl.col("year") == 2023).then(pl.lit("p")).otherwise(pl.lit("")),
            pl.lit(False),
            pl.lit(False),
        ).alias("cell"),
    ).select("freq", "indic_sbs", "nace_r2", "geo", "year", "cell")


def extra_regio_rows(countries: list[str]) -> pl.DataFrame:
    """Extra-regio NUTS-2 codes (e.g. ESZZ), published with no values as Eurostat does."""
    regions = nuts_regions(countries)
    return regions.filter(pl.col("is_extra_regio") & (pl.col("nuts_level") == 2)).select(
        pl.col("nuts_code").alias("geo")
    )


def region_totals(published: pl.DataFrame) -> pl.DataFrame:
    """Business-economy employment and wages per geo (NUTS 0-2) and year, before suppression."""
    return published.filter(pl.col("nace_code") == "TOTAL").select(
        "geo", "year", pl.col("employment").alias("sbs_employment"), pl.col("wages_tenths")
    )


def per_geo(geos: pl.Series, rng: np.random.Generator, **draws) -> pl.DataFrame:
    """One row per geo with random factors that stay fixed across years (plausible time series)."""
    unique = geos.unique().sort()
    return pl.DataFrame(
        {"geo": unique, **{name: draw(rng, unique.len()) for name, draw in draws.items()}}
    )


def lfs_file(totals: pl.DataFrame, out: Path, rng: np.random.Generator) -> int:
    """lfst_r_lfe2en2: employment in thousands by sex, NACE section and region (NUTS 0-2)."""
    nuts2 = totals.filter(pl.col("geo").str.len_chars() == 4)
    section_share = rng.dirichlet(np.full(len(LFS_SECTIONS), 2.0))
    factors = per_geo(
        nuts2["geo"],
        rng,
        economy_factor=lambda r, n: r.uniform(
            1.35, 1.6, size=n
        ),  # whole economy vs business economy
        **{f"s_{s}": (lambda r, n: r.lognormal(0, 0.25, size=n)) for s in LFS_SECTIONS},
        **{f"m_{s}": (lambda r, n: r.uniform(0.42, 0.62, size=n)) for s in LFS_SECTIONS},
    )
    base = nuts2.join(factors, on="geo").with_columns(
        (pl.col("sbs_employment") * pl.col("economy_factor") / 1000).alias("total_ths")
    )
    sections = pl.concat(
        [
            base.select(
                "geo",
                "year",
                pl.lit(section).alias("nace_r2"),
                (pl.col("total_ths") * section_share[i] * pl.col(f"s_{section}")).alias("value"),
                pl.col(f"m_{section}").alias("male_share"),
            )
            for i, section in enumerate(LFS_SECTIONS)
        ]
    )
    totals_by_geo = (
        sections.group_by("geo", "year")
        .agg(pl.col("value").sum(), (pl.col("value") * pl.col("male_share")).sum().alias("male"))
        .select(
            "geo",
            "year",
            pl.lit("TOTAL").alias("nace_r2"),
            "value",
            (pl.col("male") / pl.col("value")).alias("male_share"),
        )
    )
    nuts2_all = pl.concat([sections, totals_by_geo])
    by_sex = pl.concat(
        [
            nuts2_all.select("geo", "year", "nace_r2", "value", pl.lit("T").alias("sex")),
            nuts2_all.select(
                "geo",
                "year",
                "nace_r2",
                (pl.col("value") * pl.col("male_share")).alias("value"),
                pl.lit("M").alias("sex"),
            ),
            nuts2_all.select(
                "geo",
                "year",
                "nace_r2",
                (pl.col("value") * (1 - pl.col("male_share"))).alias("value"),
                pl.lit("F").alias("sex"),
            ),
        ]
    )
    long = with_nuts_parents(
        by_sex, ["year", "nace_r2", "sex"], [pl.col("value").sum()]
    ).with_columns(pl.col("value").round(1))
    long = long.with_columns(
        pl.lit("A").alias("freq"),
        pl.lit("THS_PER").alias("unit"),
        pl.lit("Y_GE15").alias("age"),
        cell_text(
            pl.col("value").cast(pl.String),
            pl.when(pl.col("value") < 5).then(pl.lit("u")).otherwise(pl.lit("")),
            pl.lit(False),
            pl.col("value") < 1.5,
        ).alias("cell"),
    ).with_columns(
        # LFS marks unreliable small cells 'u' and suppresses the smallest without a confidentiality flag.
        pl.when(pl.col("value") < 1.5).then(pl.lit(": u")).otherwise("cell").alias("cell")
    )
    return write_tsv(
        long,
        ["freq", "unit", "sex", "age", "nace_r2", "geo"],
        out / "lfst_r_lfe2en2.tsv.gz",
        ALL_YEARS,
        trailing_space=True,
    )


def gdp_frame(totals: pl.DataFrame, rng: np.random.Generator) -> pl.DataFrame:
    """Regional GDP (MIO_EUR), population and PPS per inhabitant per NUTS-2 region and year."""
    nuts2 = totals.filter(pl.col("geo").str.len_chars() == 4)
    factors = per_geo(
        nuts2["geo"],
        rng,
        productivity=lambda r, n: r.uniform(2.0, 2.4, size=n),
        inhabitants=lambda r, n: r.uniform(2.9, 3.4, size=n),
    )
    country = pl.col("geo").str.slice(0, 2)
    return nuts2.join(factors, on="geo").select(
        "geo",
        "year",
        (
            pl.col("sbs_employment")
            * 1.5
            * pl.col("productivity")
            * country.replace_strict(COUNTRY_WAGE_EUR, return_dtype=pl.Float64)
            / 1e6
            * 1.025 ** (pl.col("year") - 2008).cast(pl.Float64)  # nominal productivity growth
        ).alias("MIO_EUR"),
        (pl.col("sbs_employment") * pl.col("inhabitants")).alias("population"),
        country.replace_strict(PRICE_LEVEL, return_dtype=pl.Float64).alias("price"),
    )


def gdp_file(gdp: pl.DataFrame, out: Path) -> int:
    """nama_10r_2gdp: GDP in MIO_EUR, EUR_HAB and PPS_EU27_2020_HAB for NUTS 0-2."""
    allgeo = with_nuts_parents(
        gdp,
        ["year"],
        [
            pl.col("MIO_EUR").sum(),
            pl.col("population").sum(),
            (pl.col("price") * pl.col("population")).sum() / pl.col("population").sum(),
        ],
    )
    long = allgeo.select(
        "geo",
        "year",
        pl.col("MIO_EUR").round(1),
        ((pl.col("MIO_EUR") * 1e6 / pl.col("population")) / 100).round(0).mul(100).alias("EUR_HAB"),
        (pl.col("MIO_EUR") * 1e4 / pl.col("population") / pl.col("price"))
        .round(0)
        .mul(100)
        .alias("PPS_EU27_2020_HAB"),
    ).unpivot(index=["geo", "year"], variable_name="unit", value_name="value")
    long = long.with_columns(
        pl.lit("A").alias("freq"),
        cell_text(
            pl.when(pl.col("unit") == "MIO_EUR")
            .then(pl.col("value").cast(pl.String))
            .otherwise(pl.col("value").cast(pl.Int64).cast(pl.String)),
            pl.when(pl.col("year") == 2023).then(pl.lit("p")).otherwise(pl.lit("")),
            pl.lit(False),
            pl.lit(False),
        ).alias("cell"),
    )
    return write_tsv(
        long, ["freq", "unit", "geo"], out / "nama_10r_2gdp.tsv.gz", ALL_YEARS, trailing_space=True
    )


def rd_file(gdp: pl.DataFrame, out: Path, rng: np.random.Generator) -> int:
    """rd_e_gerdreg: R&D expenditure by sector of performance, MIO_EUR and PC_GDP, NUTS 0-2, 2008-2022."""
    years = list(range(2008, 2023))
    base = gdp.filter(pl.col("year").is_in(years))
    n_geo = base["geo"].n_unique()
    geos = base["geo"].unique().sort()
    intensity = pl.DataFrame(
        {"geo": geos, "intensity": rng.lognormal(np.log(0.015), 0.6, size=n_geo).clip(0.002, 0.06)}
    )
    split = rng.dirichlet([6, 1.2, 2.5], size=n_geo)
    sectors = pl.DataFrame(
        {"geo": geos, "BES": split[:, 0], "GOV": split[:, 1], "HES": split[:, 2]}
    )
    frame = (
        base.join(intensity, on="geo")
        .join(sectors, on="geo")
        .with_columns((pl.col("MIO_EUR") * pl.col("intensity")).alias("TOTAL"))
    )
    long = frame.select(
        "geo",
        "year",
        "MIO_EUR",
        pl.col("TOTAL").round(1),
        (pl.col("TOTAL") * pl.col("BES")).round(1).alias("BES"),
        (pl.col("TOTAL") * pl.col("GOV")).round(1).alias("GOV"),
        (pl.col("TOTAL") * pl.col("HES")).round(1).alias("HES"),
    ).unpivot(index=["geo", "year", "MIO_EUR"], variable_name="sectperf", value_name="rd_meur")
    long = with_nuts_parents(
        long, ["year", "sectperf"], [pl.col("rd_meur").sum(), pl.col("MIO_EUR").sum()]
    )
    cells = pl.concat(
        [
            long.select(
                "geo",
                "year",
                "sectperf",
                pl.lit("MIO_EUR").alias("unit"),
                pl.col("rd_meur").round(1).alias("value"),
            ),
            long.select(
                "geo",
                "year",
                "sectperf",
                pl.lit("PC_GDP").alias("unit"),
                (pl.col("rd_meur") / pl.col("MIO_EUR") * 100).round(2).alias("value"),
            ),
        ]
    )
    cells = cells.sort("geo", "sectperf", "unit", "year")
    hidden = rng.random(cells.height) < 0.02
    cells = cells.with_columns(
        pl.lit("A").alias("freq"),
        cell_text(
            pl.col("value").cast(pl.String),
            pl.when(pl.col("year") == 2022).then(pl.lit("p")).otherwise(pl.lit("")),
            pl.lit(False),
            pl.Series(hidden) & (pl.col("sectperf") == "GOV"),
        ).alias("cell"),
    )
    return write_tsv(
        cells,
        ["freq", "sectperf", "unit", "geo"],
        out / "rd_e_gerdreg.tsv.gz",
        years,
        trailing_space=False,
    )


def business_demography_file(
    totals: pl.DataFrame, countries: list[str], out: Path, rng: np.random.Generator
) -> int:
    """bd_hgnace2_r3: active enterprises, births, deaths, employment and high-growth enterprises by NUTS 3 (and 0-2), 2008-2020."""
    years = LEGACY_YEARS
    nuts3 = nuts_regions(countries).filter((pl.col("nuts_level") == 3) & ~pl.col("is_extra_regio"))
    nuts2_totals = totals.filter((pl.col("geo").str.len_chars() == 4) & pl.col("year").is_in(years))
    weights = (
        nuts3.select(pl.col("nuts_code").alias("nuts3"), pl.col("parent_code").alias("geo"))
        .with_columns(pl.Series("w", rng.lognormal(0, 0.5, size=nuts3.height)))
        .with_columns((pl.col("w") / pl.col("w").sum().over("geo")).alias("w"))
    )
    rates = per_geo(
        weights["nuts3"],
        rng,
        size=lambda r, n: r.uniform(4.0, 7.0, size=n),
        birth=lambda r, n: r.uniform(0.06, 0.13, size=n),
        death=lambda r, n: r.uniform(0.7, 1.05, size=n),
        growth=lambda r, n: r.uniform(0.004, 0.012, size=n),
    ).rename({"geo": "nuts3"})
    base = (
        nuts2_totals.join(weights, on="geo")
        .join(rates, on="nuts3")
        .with_columns((pl.col("sbs_employment") * 1.1 * pl.col("w")).alias("emp"))
        .sort("nuts3", "year")
    )
    n = base.height
    yearly = rng.normal(1.0, 0.05, size=n)
    active = base["emp"].to_numpy() / base["size"].to_numpy()
    birth_rate = base["birth"].to_numpy() * yearly
    death_rate = birth_rate * base["death"].to_numpy()
    high_growth = active * base["growth"].to_numpy() * yearly
    leaf = base.select(pl.col("nuts3").alias("geo"), "year").with_columns(
        pl.Series("V11910", np.rint(active)).cast(pl.Int64),
        pl.Series("V11920", np.rint(active * birth_rate)).cast(pl.Int64),
        pl.Series("V11930", np.rint(active * death_rate)).cast(pl.Int64),
        pl.Series("V16910", np.rint(base["emp"].to_numpy())).cast(pl.Int64),
        pl.Series(HIGH_GROWTH_CODE, np.rint(high_growth)).cast(pl.Int64),
    )
    measures = ["V11910", "V11920", "V11930", "V16910", HIGH_GROWTH_CODE]
    allgeo = with_nuts_parents(leaf, ["year"], [pl.col(measures).sum()], parent_lengths=(4, 3, 2))
    long = allgeo.unpivot(
        index=["geo", "year"], variable_name="indic_sb", value_name="value"
    ).with_columns(
        pl.lit("A").alias("freq"),
        pl.lit("B-S_X_K642").alias("nace_r2"),
        cell_text(pl.col("value").cast(pl.String), pl.lit(""), pl.lit(False), pl.lit(False)).alias(
            "cell"
        ),
    )
    return write_tsv(
        long,
        ["freq", "indic_sb", "nace_r2", "geo"],
        out / "bd_hgnace2_r3.tsv.gz",
        years,
        trailing_space=False,
    )


def gfcf_file(gdp: pl.DataFrame, out: Path, rng: np.random.Generator) -> int:
    """nama_10r_2gfcf: gross fixed capital formation (MIO_EUR, all activities), NUTS 0-2, 2008-2022."""
    years = list(range(2008, 2023))
    base = gdp.filter(pl.col("year").is_in(years))
    geos = base["geo"].unique().sort()
    share = pl.DataFrame({"geo": geos, "share": rng.uniform(0.14, 0.28, size=len(geos))})
    frame = base.join(share, on="geo").select(
        "geo", "year", (pl.col("MIO_EUR") * pl.col("share")).alias("gfcf")
    )
    long = with_nuts_parents(frame, ["year"], [pl.col("gfcf").sum()])
    cells = long.select(
        "geo",
        "year",
        pl.lit("A").alias("freq"),
        pl.lit("MIO_EUR").alias("currency"),
        pl.lit("TOTAL").alias("nace_r2"),
        cell_text(
            pl.col("gfcf").round(1).cast(pl.String),
            pl.when(pl.col("year") == 2022).then(pl.lit("p")).otherwise(pl.lit("")),
            pl.lit(False),
            pl.lit(False),
        ).alias("cell"),
    )
    return write_tsv(
        cells,
        ["freq", "currency", "nace_r2", "geo"],
        out / "nama_10r_2gfcf.tsv.gz",
        years,
        trailing_space=False,
    )


def egov_file(gdp: pl.DataFrame, out: Path, rng: np.random.Generator) -> int:
    """isoc_r_gov_i: individuals who used the internet to interact with public authorities, % of
    individuals, NUTS 0-2, 2012-2023 (rising over time; some regions missing in some years)."""
    years = list(range(2012, 2024))
    geos = gdp["geo"].unique().sort()
    level = pl.DataFrame({"geo": geos, "level": rng.uniform(25, 70, size=len(geos))})
    frame = (
        pl.DataFrame({"year": years})
        .join(level, how="cross")
        .select(
            "geo",
            "year",
            (pl.col("level") + 1.8 * (pl.col("year") - 2012)).clip(0, 98).alias("pc"),
        )
    )
    long = with_nuts_parents(frame, ["year"], [pl.col("pc").mean()])
    missing = pl.Series(rng.random(long.height) < 0.06)
    cells = long.select(
        "geo",
        "year",
        pl.lit("A").alias("freq"),
        pl.lit("I_IGOV12RT").alias("indic_is"),
        pl.lit("PC_IND").alias("unit"),
        cell_text(
            pl.col("pc").round(0).cast(pl.Int64).cast(pl.String),
            pl.lit(""),
            missing & (pl.col("geo").str.len_chars() == 4),
            pl.lit(False),
        ).alias("cell"),
    )
    return write_tsv(
        cells,
        ["freq", "indic_is", "unit", "geo"],
        out / "isoc_r_gov_i.tsv.gz",
        years,
        trailing_space=False,
    )


def generate(out: Path, scale: str = "demo", seed: int = 20240601) -> dict[str, int]:
    """Write the demo extracts into `out`; returns the number of series lines per dataset."""
    if scale not in SCALES:
        raise ValueError(f"unknown scale {scale!r}: choose one of {', '.join(SCALES)}")
    spec = SCALES[scale]
    rng = np.random.default_rng(seed)
    out.mkdir(parents=True, exist_ok=True)
    published = sbs_published(spec, rng)
    written = sbs_files(published, out, spec.countries, rng)
    totals = region_totals(published)
    written["lfst_r_lfe2en2"] = lfs_file(totals, out, rng)
    gdp = gdp_frame(totals, rng)
    written["nama_10r_2gdp"] = gdp_file(gdp, out)
    written["rd_e_gerdreg"] = rd_file(gdp, out, rng)
    written["bd_hgnace2_r3"] = business_demography_file(totals, spec.countries, out, rng)
    written["nama_10r_2gfcf"] = gfcf_file(gdp, out, rng)
    written["isoc_r_gov_i"] = egov_file(gdp, out, rng)
    return written
