"""The demo's scoreboard datasets (education, skills, high-tech employment, R&D personnel, patents, digital
use, labour market, household income, population density): one series per region and year drawn around a
level fixed per region, with the gaps real extracts have (missing cells, a country absent, series that
end early, provisional and low-reliability flags) and, in most, the EU aggregate (EU27_2020)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import polars as pl

from clusterobs.demo.sbs import cell_text, with_eu_aggregate, with_nuts_parents, write_tsv


@dataclass(frozen=True)
class Series:
    """One demo extract: its key dimensions in SDMX key order (geo last, left out here), and per series its
    key (the codes of those dimensions, dot-separated) with the range its regional levels are drawn from."""

    dataset: str
    dimensions: str
    variants: tuple[tuple[str, float, float], ...]
    years: tuple[int, int]
    trend: float = 0.0  # added per year after the first
    cap: float = float("inf")  # a share saturates (rising series stop below 100 %)
    decimals: int = 1
    missing: float = 0.04  # share of NUTS-2 cells published as ':'
    absent_country: str | None = None  # a country whose regions the extract does not hold
    unreliable_below: float | None = None  # LFS-style 'u' flag for small values
    provisional_last: bool = True
    scale: str = "uniform"  # or "lognormal": levels spread over orders of magnitude
    eu_aggregate: bool = True  # the extract carries the EU aggregate (EU27_2020)


LFS = (2008, 2023)
SERIES = (
    Series("edat_lfse_04", "freq.unit.sex.age.isced11", (("A.PC.T.Y25-64.ED5-8", 18, 48),), LFS,
           trend=0.5, unreliable_below=20),
    Series("trng_lfse_04", "freq.unit.sex.age", (("A.PC.T.Y25-64", 2, 30),), LFS,
           trend=0.2, missing=0.08, unreliable_below=5),
    Series("edat_lfse_16", "freq.unit.sex.age", (("A.PC.T.Y18-24", 3, 20),), LFS,
           trend=-0.3, missing=0.1, unreliable_below=6),
    Series("htec_emp_reg2", "freq.nace_r2.unit.sex",
           (("A.C_HTC_MH.PC_EMP.T", 1.5, 14), ("A.KIS.PC_EMP.T", 30, 52)), LFS,
           trend=0.1, unreliable_below=2),
    Series("hrst_st_rcat", "freq.category.unit", (("A.HRST.PC_ACT", 28, 60),), LFS, trend=0.4),
    Series("rd_p_persreg", "freq.prof_pos.sectperf.sex.unit", (("A.TOTAL.BES.T.PC_ACT_FTE", 0.05, 2.2),),
           (2008, 2022), decimals=2, missing=0.12, absent_country="HR", scale="lognormal"),
    # Eurostat's regional patent series end early: a realistic gap
    Series("pat_ep_rtot", "freq.unit", (("A.P_MHAB", 3, 600),), (2008, 2012),
           decimals=2, missing=0.1, provisional_last=False, scale="lognormal", eu_aggregate=False),
    Series("isoc_r_broad_h", "freq.unit", (("A.PC_HH", 45, 80),), (2010, 2023),
           trend=2.0, cap=98, decimals=0, missing=0.06),
    Series("isoc_r_iuse_i", "freq.indic_is.unit", (("A.I_IDAY.PC_IND", 40, 75),), (2010, 2023),
           trend=2.2, cap=98, decimals=0, missing=0.06, absent_country="PT"),
    Series("lfst_r_lfu3rt", "freq.isced11.sex.age.unit", (("A.TOTAL.T.Y15-74.PC", 3, 22),), LFS,
           trend=-0.2, unreliable_below=4),
    Series("nama_10r_2hhinc", "freq.unit.direct.na_item", (("A.PPS_EU27_2020_HAB.BAL.B6N", 11000, 24000),),
           (2008, 2022), trend=250, decimals=0, missing=0.02),
    Series("demo_r_d3dens", "freq.unit", (("A.PER_KM2", 15, 1500),), LFS, missing=0.01, scale="lognormal",
           eu_aggregate=False),
)  # fmt: skip


def levels(series: Series, geos: pl.Series, rng: np.random.Generator) -> pl.DataFrame:
    """One level per NUTS-2 region and series variant, fixed across years."""
    frames = []
    for key, low, high in series.variants:
        codes = dict(zip(series.dimensions.split("."), key.split("."), strict=True))
        if series.scale == "lognormal":
            draw = np.exp(rng.uniform(np.log(low), np.log(high), size=geos.len()))
        else:
            draw = rng.uniform(low, high, size=geos.len())
        frames.append(
            pl.DataFrame({"geo": geos, "level": draw}).with_columns(
                *(pl.lit(code).alias(dim) for dim, code in codes.items())
            )
        )
    return pl.concat(frames)


def series_file(series: Series, geos: pl.Series, out: Path, rng: np.random.Generator) -> int:
    """Write one extract as Eurostat TSV (NUTS 0-2); returns the number of series lines."""
    first, last = series.years
    years = list(range(first, last + 1))
    regions = geos.filter(~geos.str.starts_with(series.absent_country or "-"))
    base = levels(series, regions, rng).join(pl.DataFrame({"year": years}), how="cross")
    noise = rng.normal(1.0, 0.03, size=base.height)
    frame = base.with_columns(
        ((pl.col("level") + series.trend * (pl.col("year") - first)) * pl.Series(noise))
        .clip(0.01, series.cap)
        .alias("value")
    )
    dimensions = series.dimensions.split(".")
    keys = ["year", *dimensions]
    long = with_nuts_parents(frame.drop("level"), keys, [pl.col("value").mean()])
    if series.eu_aggregate:
        long = with_eu_aggregate(long, keys, [pl.col("value").mean()])
    long = long.sort("geo", *keys)
    missing = pl.Series(rng.random(long.height) < series.missing)
    value = pl.col("value").round(series.decimals)
    text = value.cast(pl.Int64).cast(pl.String) if series.decimals == 0 else value.cast(pl.String)
    unreliable = (
        pl.lit(False) if series.unreliable_below is None else value < series.unreliable_below
    )
    flags = pl.when(unreliable).then(pl.lit("u")).otherwise(pl.lit("")) + pl.when(
        pl.lit(series.provisional_last) & (pl.col("year") == last)
    ).then(pl.lit("p")).otherwise(pl.lit(""))
    cells = long.with_columns(
        cell_text(text, flags, missing & (pl.col("geo").str.len_chars() == 4), pl.lit(False)).alias(
            "cell"
        )
    )
    return write_tsv(
        cells,
        [*dimensions, "geo"],
        out / f"{series.dataset}.tsv.gz",
        years,
        trailing_space=series.dataset.startswith(("edat", "trng", "lfst")),
    )


def scoreboard_files(gdp: pl.DataFrame, out: Path, rng: np.random.Generator) -> dict[str, int]:
    """Write every scoreboard extract; returns the number of series lines per dataset."""
    geos = gdp["geo"].unique().sort()
    return {series.dataset: series_file(series, geos, out, rng) for series in SERIES}
