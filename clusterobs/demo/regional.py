"""The demo's other regional datasets (LFS, GDP, R&D, business demography, investment, e-government),
drawn around the SBS regions' totals."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl

from clusterobs.demo.sbs import (
    cell_text,
    with_eu_aggregate,
    with_nuts_parents,
    write_tsv,
)
from clusterobs.demo.scales import (
    ALL_YEARS,
    COUNTRY_WAGE_EUR,
    HIGH_GROWTH_CODE,
    LEGACY_YEARS,
    LFS_SECTIONS,
    PRICE_LEVEL,
    nuts_regions,
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
    keys, sums = ["year", "nace_r2", "sex"], [pl.col("value").sum()]
    long = with_eu_aggregate(with_nuts_parents(by_sex, keys, sums), keys, sums).with_columns(
        pl.col("value").round(1)
    )
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
    """nama_10r_2gdp: GDP in MIO_EUR, EUR_HAB and PPS_EU27_2020_HAB for NUTS 0-2 and the EU."""
    sums = [
        pl.col("MIO_EUR").sum(),
        pl.col("population").sum(),
        (pl.col("price") * pl.col("population")).sum() / pl.col("population").sum(),
    ]
    allgeo = with_eu_aggregate(with_nuts_parents(gdp, ["year"], sums), ["year"], sums)
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
