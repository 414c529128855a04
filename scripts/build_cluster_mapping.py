"""Derive data/reference/nace_cluster_mapping.csv from the US benchmark cluster definitions.

Run: uv run --group reference python scripts/build_cluster_mapping.py [--shared ../shared/reference]

NAICS (US benchmark traded/local clusters) -> ISIC Rev. 4 (US Census concordances, 2017 then 2012)
-> NACE Rev. 2 classes (each refines one ISIC class); the rules are in transforms/cluster_mapping.py.
Also writes docs/cluster_mapping.md (per category, its classes, and the assignments to review),
data/reference/nace_emerging_mapping.csv from the hand-written emerging_industries_classes.csv, and
docs/emerging_industries.md (each industry's classes, sources, review and measured overlaps; from the
shipped tables alone: `--emerging-only` needs no ../shared).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import polars as pl

PROJECT_ROOT = Path(__file__).resolve().parents[1]

from clusterobs.transforms.cluster_mapping import (  # noqa: E402
    class_assignments,
    class_share_mapping,
    cluster_name_key,
    nace_cluster_mapping,
    naics_isic_links,
    reviewed_assignments,
)

CLUSTER_FILE = "uscmp_naics_to_cluster_ACR1.xlsx"
MAPPING_CSV = PROJECT_ROOT / "data" / "reference" / "nace_cluster_mapping.csv"
REPORT_MD = PROJECT_ROOT / "docs" / "cluster_mapping.md"
OVERRIDES_CSV = PROJECT_ROOT / "data" / "reference" / "cluster_mapping_overrides.csv"
EMERGING_CLASSES_CSV = PROJECT_ROOT / "data" / "reference" / "emerging_industries_classes.csv"
EMERGING_MAPPING_CSV = PROJECT_ROOT / "data" / "reference" / "nace_emerging_mapping.csv"
EMERGING_MD = PROJECT_ROOT / "docs" / "emerging_industries.md"
CATEGORIES_CSV = PROJECT_ROOT / "data" / "reference" / "cluster_categories.csv"
THIN_INDUSTRY_CLASSES = 5  # an emerging industry with fewer classes gets a review paragraph

# What each industry is, as the European Cluster Observatory's emerging-industries work (2012-2016) and
# EOCIC's European Panorama of Clusters and Industrial Change (2019, 2020) describe it; their NACE class
# lists were not available to this project, so the classes below are its own reading of the NACE titles.
EMERGING_DEFINITIONS = {
    "E01": "packaging materials (paper, plastics, glass, metal, wood) and packaging machinery",
    "E02": "biotechnology-based medicines: pharmaceutical manufacturing, biotech R&D, distribution",
    "E03": "economic activities of the seas and coasts: shipbuilding, shipping, ports, fishing and aquaculture, offshore energy",
    "E04": "creation and distribution of cultural content: publishing, film, music, broadcasting, design, arts",
    "E05": "digital technologies and services: electronics, telecoms, software, data processing, web portals",
    "E06": "goods and services that protect the environment: water, waste, recycling, remediation, renewable power",
    "E07": "experiences as the product: tourism, accommodation, food service, entertainment, sport, culture",
    "E08": "moving and storing goods: freight transport, warehousing, postal and courier services",
    "E09": "medical technology: electromedical equipment, instruments and supplies",
    "E10": "vehicles and their systems: motor vehicles, rail, aircraft, ships, bicycles, and their parts",
}
# This project's review of the industries defined by few classes (under THIN_INDUSTRY_CLASSES).
THIN_REVIEW = {
    "E02": (
        "Four classes: pharmaceutical manufacturing (C2110, C2120), biotech R&D (M7211) and pharmaceutical "
        "wholesale (G4646). Narrow by construction: NACE has no class for biotechnology outside R&D, so "
        "biotech firms classified in chemicals or services are missed; G4646 is distribution rather than "
        "biopharma, kept because the Observatory counts related services. Its manufacturing is the traded "
        "category Biopharmaceuticals (T05); the rest is wholesale (T10) and R&D (local): read E02 as T05 "
        "widened to the services around it, not as an industry of its own."
    ),
    "E09": (
        "Three classes: electromedical equipment (C2660), medical and dental instruments (C3250) and optical "
        "instruments (C2670, of which medical optics is only a part). The traded category Medical devices "
        "(T30) holds C3250 only; the US benchmark puts electromedical and optical equipment with analytical "
        "instruments (T23). Medical devices are spread over many "
        "NACE classes (plastics, textiles, electronics, software) that also hold other products, so a class "
        "list either misses devices or takes in much that is not; this one errs on the narrow side. Regional "
        "figures for E09 rest on two or three classes that SBS often suppresses: expect estimated values "
        "(imputed_employment_share) and treat its stars with care."
    ),
}


def nace_structure() -> pl.DataFrame:
    return pl.read_csv(
        PROJECT_ROOT / "data" / "reference" / "nace_rev2.csv",
        schema_overrides={"isic_rev4": pl.String, "nace_level": pl.Int8},
    )


def emerging_mapping() -> pl.DataFrame:
    """NACE -> emerging industry mapping: the hand-written classes, coarser codes by class shares."""
    classes = pl.read_csv(EMERGING_CLASSES_CSV).select(
        "nace_code",
        pl.lit(4, pl.Int8).alias("nace_level"),
        "category_code",
        pl.lit(1.0).alias("allocation_weight"),
        "rationale",
    )
    return class_share_mapping(nace_structure(), classes)


def benchmark_clusters(shared: Path, categories: pl.DataFrame) -> pl.DataFrame:
    """(naics, traded, category_code) of the standard NAICS codes in the benchmark definitions."""
    raw = pl.read_excel(
        shared / CLUSTER_FILE, sheet_name="Emsi NAICS to Porter Cluster", infer_schema_length=0
    )
    raw = raw.rename({c: c.strip() for c in raw.columns})
    keys = categories.filter(pl.col("category_type") == "traded").select(
        pl.col("us_name").map_elements(cluster_name_key, return_dtype=pl.String).alias("key"),
        "category_code",
        "category_number",
    )
    clusters = (
        raw.filter(
            pl.col("EmsiSpecificNAICS (non standard)").str.to_lowercase().is_in(["false", "0"])
            | pl.col("EmsiSpecificNAICS (non standard)").is_null()
        )
        .select(
            pl.col("NAICS").str.strip_chars().alias("naics"),
            (pl.col("TradedLocal").str.strip_chars() == "Traded").alias("traded"),
            pl.col("Cluster").map_elements(cluster_name_key, return_dtype=pl.String).alias("key"),
        )
        .join(keys, on="key", how="left")
    )
    unmatched = clusters.filter(pl.col("traded") & pl.col("category_code").is_null())
    if unmatched.height:
        raise SystemExit(
            f"traded clusters not in cluster_categories.csv: {unmatched['key'].unique().to_list()}"
        )
    return clusters.with_columns(
        pl.when("traded").then("category_code").alias("category_code"),
        pl.when("traded").then("category_number").alias("category_number"),
    ).drop("key")


def concordance(path: Path, sheet: str | None = None) -> pl.DataFrame:
    """(naics, isic_rev4) links of a US Census NAICS -> ISIC Rev. 4 concordance, ISIC as 4 digits."""
    raw = pl.read_excel(path, infer_schema_length=0)
    naics = next(c for c in raw.columns if "NAICS" in c and "TITLE" not in c and "Part" not in c)
    return (
        raw.select(
            pl.col(naics).str.strip_chars().alias("naics"),
            pl.col("ISIC 4.0").str.strip_chars().str.zfill(4).alias("isic_rev4"),
        )
        .filter(pl.col("naics").str.contains(r"^\d{6}$") & pl.col("isic_rev4").is_not_null())
        .unique()
    )


def category_report(mapping: pl.DataFrame, nace: pl.DataFrame, categories: pl.DataFrame) -> str:
    """docs/cluster_mapping.md: each category's classes and the weak or tied assignments."""
    classes = mapping.filter(pl.col("nace_level") == 4).join(
        nace.select("nace_code", "nace_label"), on="nace_code"
    )
    lines = [
        "# NACE Rev. 2 -> cluster category mapping (derived)",
        "",
        "Generated by `scripts/build_cluster_mapping.py`; rules in `transforms/cluster_mapping.py`.",
        "Derived from the US benchmark definitions (UNVERIFIED copy, see data/reference/SOURCES.md):",
        "NAICS -> ISIC Rev. 4 -> NACE Rev. 2. Classes marked *review* have a weak (under half of the",
        "linked NAICS industries) or tied vote and need a hand check against their titles.",
        "",
        f"{classes.height} of {nace.filter(pl.col('nace_level') == 4).height} NACE classes are in a traded category; "
        f"{classes.filter('needs_review').height} are marked for review; "
        f"{classes.filter(pl.col('rationale').str.starts_with('hand review')).height} traded classes were decided "
        "by hand review (data/reference/cluster_mapping_overrides.csv, which also sends some classes to local).",
        "",
    ]
    for category in categories.filter(pl.col("category_type") == "traded").iter_rows(named=True):
        rows = classes.filter(pl.col("category_code") == category["category_code"])
        lines += [
            f"## {category['category_code']} {category['category_name']} ({rows.height} classes)",
            "",
        ]
        if not rows.height:
            lines += ["No NACE class has this category as its strongest link.", ""]
            continue
        for row in rows.iter_rows(named=True):
            review = " *review*" if row["needs_review"] else ""
            lines.append(f"- {row['nace_code']} {row['nace_label']}: {row['rationale']}{review}")
        lines.append("")
    return "\n".join(lines)


def derived(shared: Path) -> tuple[pl.DataFrame, str]:
    """(the mapping table, the Markdown category report) derived from the copies in `shared`."""
    categories = pl.read_csv(PROJECT_ROOT / "data" / "reference" / "cluster_categories.csv")
    nace = nace_structure()
    clusters = benchmark_clusters(shared, categories)
    links = naics_isic_links(
        clusters,
        concordance(shared / "census_2017_NAICS_to_ISIC_4.xlsx"),
        concordance(shared / "census_2012_NAICS_to_ISIC_4.xlsx"),
    )
    nace_classes = nace.filter(pl.col("nace_level") == 4).select(
        "nace_code", pl.col("isic_rev4").str.strip_chars("* ").str.zfill(4)
    )
    overrides = pl.read_csv(OVERRIDES_CSV, schema_overrides={"category_code": pl.String})
    assignments = reviewed_assignments(class_assignments(nace_classes, links), overrides)
    mapping = nace_cluster_mapping(nace, assignments)
    return mapping, category_report(mapping, nace, categories) + "\n"


def emerging_report(nace: pl.DataFrame, traded: pl.DataFrame, categories: pl.DataFrame) -> str:
    """docs/emerging_industries.md: each industry's definition, classes (with their traded category), the
    review of the thin ones, and the overlaps between industries and with the traded categories."""
    names = dict(zip(categories["category_code"], categories["category_name"], strict=True))
    classes = (
        pl.read_csv(EMERGING_CLASSES_CSV)
        .join(nace.select("nace_code", "nace_label"), on="nace_code", how="left")
        .join(
            traded.filter(pl.col("nace_level") == 4).select(
                "nace_code", pl.col("category_code").alias("traded_code")
            ),
            on="nace_code",
            how="left",
        )
        .sort("category_code", "nace_code")
    )
    industries = sorted(set(classes["category_code"]))
    by_industry = {c: classes.filter(pl.col("category_code") == c) for c in industries}
    lines = [
        "# Emerging industries: definitions, classes and overlaps",
        "",
        "Generated by `scripts/build_cluster_mapping.py` from `data/reference/emerging_industries_classes.csv`,",
        "`nace_cluster_mapping.csv` and `nace_rev2.csv`; a test fails when it is not current.",
        "",
        "The ten emerging industries are the European Cluster Observatory's (emerging-industries reports,",
        "2012-2016) as the European Observatory for Clusters and Industrial Change (EOCIC) carried them on in",
        "its European Panorama of Clusters and Industrial Change (2019, 2020): cross-sectoral industries, each",
        "a set of NACE classes that may overlap other industries and the 51 traded categories. Their NACE",
        "class lists were not available to this project (UNVERIFIED): the classes below are its own reading",
        "of the NACE Rev. 2 titles against each industry's description. Emerging industries are in",
        "`fct_cluster_region_year` with `category_type = 'emerging'`; never add them to the traded categories",
        "or to each other.",
        "",
        "| code | industry | classes | in a traded category | what it covers (EOCIC) |",
        "|---|---|---:|---:|---|",
    ]
    for code, rows in by_industry.items():
        in_traded = rows["traded_code"].is_not_null().sum()
        lines.append(
            f"| {code} | {names[code]} | {rows.height} | {in_traded} | {EMERGING_DEFINITIONS[code]} |"
        )
    lines += ["", "## Overlap between emerging industries (classes in both)", ""]
    lines += ["| | " + " | ".join(industries) + " |", "|---|" + "---:|" * len(industries)]
    sets = {c: set(rows["nace_code"]) for c, rows in by_industry.items()}
    for a in industries:
        cells = [str(len(sets[a] & sets[b])) if a != b else "-" for b in industries]
        lines.append(f"| {a} | " + " | ".join(cells) + " |")
    shared = (
        classes.group_by("nace_code")
        .agg(pl.col("category_code").sort())
        .filter(pl.col("category_code").list.len() > 1)
    )
    lines += [
        "",
        f"{shared.height} classes belong to more than one industry: "
        + ", ".join(
            f"{r['nace_code']} ({', '.join(r['category_code'])})"
            for r in shared.sort("nace_code").iter_rows(named=True)
        )
        + ".",
        "",
        "## Overlap with the traded categories",
        "",
        "Share of each industry's classes in each traded category (the largest three), and outside any",
        "(local or unmapped classes).",
        "",
        "| industry | largest traded categories | outside |",
        "|---|---|---:|",
    ]
    for code, rows in by_industry.items():
        counts = (
            rows.filter(pl.col("traded_code").is_not_null())
            .group_by("traded_code")
            .len()
            .sort(["len", "traded_code"], descending=[True, False])
            .head(3)
        )
        top = ", ".join(
            f"{r['traded_code']} {names[r['traded_code']]} {100 * r['len'] / rows.height:.0f} %"
            for r in counts.iter_rows(named=True)
        )
        outside = rows["traded_code"].is_null().sum()
        lines.append(
            f"| {code} {names[code]} | {top or '-'} | {100 * outside / rows.height:.0f} % |"
        )
    lines += ["", "## The thin industries, reviewed", ""]
    for code, rows in by_industry.items():
        if rows.height < THIN_INDUSTRY_CLASSES:
            lines += [f"**{code} {names[code]}** ({rows.height} classes). {THIN_REVIEW[code]}", ""]
    lines += ["## Classes", ""]
    for code, rows in by_industry.items():
        lines += [f"### {code} {names[code]} ({rows.height} classes)", ""]
        for r in rows.iter_rows(named=True):
            home = (
                f" (traded: {r['traded_code']} {names[r['traded_code']]})"
                if r["traded_code"]
                else ""
            )
            lines.append(f"- {r['nace_code']} {r['nace_label']}{home}")
        lines.append("")
    return "\n".join(lines)


def emerging_outputs() -> tuple[pl.DataFrame, str]:
    """(data/reference/nace_emerging_mapping.csv, docs/emerging_industries.md) from the shipped tables."""
    categories = pl.read_csv(CATEGORIES_CSV)
    traded = pl.read_csv(MAPPING_CSV, schema_overrides={"nace_level": pl.Int8})
    return emerging_mapping(), emerging_report(nace_structure(), traded, categories)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", type=Path, default=PROJECT_ROOT.parent / "shared" / "reference")
    parser.add_argument(
        "--emerging-only",
        action="store_true",
        help="only the emerging-industry mapping and docs/emerging_industries.md (no ../shared needed)",
    )
    args = parser.parse_args()
    if args.emerging_only:
        write_emerging()
        return
    if not args.shared.is_dir():
        raise SystemExit(
            f"{args.shared} not found: pass --shared with the folder of reference copies"
        )
    mapping, report = derived(args.shared)
    mapping.write_csv(MAPPING_CSV, float_precision=10)
    REPORT_MD.write_text(report)
    print(f"wrote {MAPPING_CSV} ({mapping.height} rows) and {REPORT_MD}")
    write_emerging()


def write_emerging() -> None:
    emerging, report = emerging_outputs()
    emerging.write_csv(EMERGING_MAPPING_CSV, float_precision=10)
    EMERGING_MD.write_text(report + "\n")
    print(f"wrote {EMERGING_MAPPING_CSV} and {EMERGING_MD}")


if __name__ == "__main__":
    main()
