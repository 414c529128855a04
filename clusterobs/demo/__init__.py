"""Deterministic generator of realistic Eurostat-format TSV extracts (demo and full-EU benchmark scale).

Employment is generated at the finest NACE level for each NUTS-2 region and year, rounded, and summed
up the NACE tree and the NUTS tree, so every published total adds up exactly before suppression.
Confidential (': c'), missing (':') and flagged ('p', 'e', 'b', 'u') cells are applied afterwards, the
way Eurostat publishes them. All randomness comes from one seeded generator.

The generator is not part of a run: `clusterobs generate-demo` writes data/demo/ with it, and the
benchmarks their full-EU inputs.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from clusterobs.demo.regional import (
    business_demography_file,
    egov_file,
    gdp_file,
    gdp_frame,
    gfcf_file,
    lfs_file,
    rd_file,
)
from clusterobs.demo.sbs import region_totals, sbs_files, sbs_published
from clusterobs.demo.scales import SCALES
from clusterobs.demo.scoreboard import scoreboard_files

__all__ = ["SCALES", "generate"]


def generate(out: str | os.PathLike, scale: str = "demo", seed: int = 20240601) -> dict[str, int]:
    """Write the demo extracts into `out`; returns the number of series lines per dataset."""
    out = Path(out)
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
    written |= scoreboard_files(gdp, out, rng)
    return written
