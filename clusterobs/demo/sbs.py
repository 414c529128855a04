"""The demo's structural business statistics: employment, local units and wages at the finest NACE level,
summed up both trees, then published with Eurostat's suppressions and flags (both SBS regimes)."""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import polars as pl

from clusterobs.demo.scales import (
    ALL_YEARS,
    COUNTRY_WAGE_EUR,
    EBS_YEARS,
    LEGACY_YEARS,
    SECTION_AVG_SIZE,
    SECTION_SHARE,
    SECTION_WAGE_FACTOR,
    DemoScale,
    legacy_nuts_recodes,
    nace_ancestors,
    nace_leaves,
    nuts_regions,
)

# The EU aggregate the demo's GDP, LFS and most scoreboard extracts carry, as today's Eurostat files do.
EU_AGGREGATE = "EU27_2020"


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


def with_eu_aggregate(frame: pl.DataFrame, keys: list[str], aggs: list[pl.Expr]) -> pl.DataFrame:
    """The frame plus rows for the EU aggregate (geo EU27_2020), aggregated from its NUTS-2 rows."""
    nuts2 = frame.filter(pl.col("geo").str.len_chars() == 4)
    eu = nuts2.group_by(keys).agg(aggs).with_columns(pl.lit(EU_AGGREGATE).alias("geo"))
    return pl.concat([frame, eu.select(frame.columns)])


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
