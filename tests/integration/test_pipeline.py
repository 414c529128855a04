"""The whole flow on the demo extracts, into a temporary folder, with a real Prefect API.

The Parquet outputs are read back and compared with an independent computation done here in plain
Python (gzip + str.split, no DuckDB, no project code), so a bug in the parser or the SQL shows up.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import json
import os
import shutil
from pathlib import Path

import duckdb
import numpy as np
import polars as pl
import pytest

from clusterobs import exports
from clusterobs.flows.pipeline import pipeline
from clusterobs.registry import load_registry
from clusterobs.settings import REFERENCE_DIR, Settings
from clusterobs.validation_results import ValidationFailed

from ..conftest import DEMO_DIR

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def published(prefect_api, tmp_path_factory):
    out = tmp_path_factory.mktemp("output")
    summary = pipeline(settings=Settings(source="demo", output_dir=out))
    return out, summary


@pytest.fixture(scope="module")
def classic_published(prefect_api, tmp_path_factory):
    out = tmp_path_factory.mktemp("classic")
    # the classic European Cluster Observatory method: equal split, every category and cell may earn stars
    classic = {
        "imputation_split": "equal",
        "min_category_scope_share": 0.0,
        "max_imputed_share_for_stars": 1.0,
    }
    summary = pipeline(settings=Settings(source="demo", output_dir=out, **classic))
    return out, summary


def all_exports(parquet_dir: Path) -> dict[str, pl.DataFrame]:
    """Every exported mart, read back through the manifest."""
    tables = exports.read_manifest(parquet_dir)["tables"]
    return {table: exports.read_polars(parquet_dir, table) for table in tables}


def tsv_cells(path: Path) -> tuple[list[str], list[list[str]]]:
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        lines = handle.read().splitlines()
    header = lines[0].split("\t")
    return [h.strip() for h in header[1:]], [line.split("\t") for line in lines[1:]]


def independent_employment(
    path: Path, indicator: str, year: int
) -> dict[tuple[str, str], float | None]:
    """{(region, nace): employment} for NUTS-2 regions from a raw TSV, parsed by hand."""
    periods, rows = tsv_cells(path)
    col = periods.index(str(year)) + 1
    values = {}
    for cells in rows:
        _freq, indic, nace, geo = cells[0].split(",")
        if indic != indicator or len(geo) != 4 or geo.endswith("Z"):
            continue
        token = cells[col].strip().split(" ")[0]
        values[geo, nace] = None if token == ":" else float(token)
    return values


def nace_tree() -> dict[str, tuple[int, str | None]]:
    """{NACE code: (level, parent code)} from the shipped NACE Rev. 2 table."""
    with open(REFERENCE_DIR / "nace_rev2.csv", encoding="utf-8") as handle:
        return {
            r["nace_code"]: (int(r["nace_level"]), r["parent_code"] or None)
            for r in csv.DictReader(handle)
        }


def imputed_leaves(values: dict[str, float | None], tree) -> dict[str, float | None]:
    """The classic Observatory estimate of missing cells, level by level, then the leaves only."""
    filled = {code: value for code, value in values.items() if tree[code][0] == 1}
    for level in (2, 3, 4):
        siblings: dict[str, list[str]] = {}
        for code in values:
            if tree[code][0] == level:
                siblings.setdefault(tree[code][1], []).append(code)
        for parent, children in siblings.items():
            reported = [values[c] for c in children if values[c] is not None]
            missing = [c for c in children if values[c] is None]
            parent_value = filled.get(parent)
            for child in children:
                if values[child] is not None:
                    filled[child] = values[child]
                elif parent_value is None:
                    filled[child] = None
                else:
                    filled[child] = max(parent_value - sum(reported), 0) / len(missing)
    parents = {tree[code][1] for code in values}
    return {code: value for code, value in filled.items() if code not in parents}


def expected_cluster_rows(path: Path, indicator: str, total_code: str, year: int) -> pl.DataFrame:
    cells = independent_employment(path, indicator, year)
    tree = nace_tree()
    mapping: dict[str, list[tuple[str, float]]] = {}
    for name in ("nace_cluster_mapping.csv", "nace_emerging_mapping.csv"):
        with open(REFERENCE_DIR / name, encoding="utf-8") as handle:
            for r in csv.DictReader(handle):
                mapping.setdefault(r["nace_code"], []).append(
                    (r["category_code"], float(r["allocation_weight"]))
                )
    regions = sorted({geo for geo, _ in cells})
    totals = {geo: cells[geo, total_code] for geo in regions}
    rows = []
    for region in regions:
        values = {
            nace.replace(".", ""): value
            for (geo, nace), value in cells.items()
            if geo == region and nace.replace(".", "") in tree
        }
        by_category: dict[str, list] = {}
        for nace, value in imputed_leaves(values, tree).items():
            for category, weight in mapping.get(nace, []):
                by_category.setdefault(category, []).append(
                    None if value is None else value * weight
                )
        for category, parts in by_category.items():
            present = [p for p in parts if p is not None]
            rows.append((region, category, sum(present) if present else None, totals[region]))
    frame = pl.DataFrame(
        rows, schema=["region_code", "category_code", "employment", "region_total"], orient="row"
    )
    eu_total = sum(totals.values())
    eu_category = frame.group_by("category_code").agg(
        pl.col("employment").sum().alias("eu_category")
    )
    return frame.join(eu_category, on="category_code").with_columns(
        (
            (pl.col("employment") / pl.col("region_total")) / (pl.col("eu_category") / eu_total)
        ).alias("lq_expected"),
        (pl.col("employment") / pl.col("region_total")).alias("focus_expected"),
    )


@pytest.mark.parametrize(
    ("dataset", "indicator", "total_code", "year"),
    [
        ("sbs_r_nuts06_r2", "V16110", "B-N_S95_X_K", 2019),
        ("sbs_r_nuts2021", "EMP_LOC_NR", "B-S_X_O_S94", 2022),
    ],
)
def test_parquet_matches_independent_lq_and_stars(
    classic_published, dataset, indicator, total_code, year
):
    """The classic Observatory method (imputation_split = equal), recomputed by hand from the TSV."""
    out, summary = classic_published
    assert summary.status == "published"
    expected = expected_cluster_rows(DEMO_DIR / f"{dataset}.tsv.gz", indicator, total_code, year)
    published_rows = pl.read_parquet(out / "parquet" / "fct_cluster_region_year.parquet").filter(
        pl.col("year") == year
    )
    # The legacy extract reports Croatia in NUTS 2016 (HR04): published in NUTS 2021, HR04 is shared
    # among HR02, HR05 and HR06, which must add up to it; every other region is compared as it is.
    split = published_rows.filter(pl.col("nuts_conversion") == "split")
    assert set(split["nuts_source_codes"]) == ({"HR04"} if dataset == "sbs_r_nuts06_r2" else set())
    if split.height:
        assert set(split["region_code"]) == {"HR02", "HR05", "HR06"}
        shared = split.group_by("category_code").agg(pl.col("employment").sum())
        source = expected.filter(pl.col("region_code") == "HR04").join(shared, on="category_code")
        assert source.height == shared.height > 50
        assert np.allclose(source["employment"], source["employment_right"], rtol=1e-9)
    got = published_rows.filter(pl.col("nuts_conversion") == "unchanged")
    expected = expected.filter(pl.col("region_code") != "HR04")
    assert got.height == expected.height > 1000
    joined = got.join(expected, on=["region_code", "category_code"], how="inner")
    assert joined.height == expected.height
    assert (joined["dataset"] == dataset).all()
    both = joined.filter(pl.col("lq_expected").is_not_null())
    assert both.height > 0.9 * joined.height
    assert np.allclose(both["employment"], both["employment_right"], rtol=1e-12, atol=1e-9)
    assert np.allclose(both["lq"], both["lq_expected"], rtol=1e-9, atol=0)
    assert joined.filter(pl.col("lq_expected").is_null())["lq"].is_null().all()
    assert (both["specialisation_star"] == (both["lq_expected"] >= 2).cast(pl.Int8)).all()
    # Star thresholds are quantiles over every region, the split Croatian ones included.
    split_values = split.select(
        "category_code", pl.col("employment").alias("split_employment"), "focus_share"
    )
    for (category,), group in both.group_by("category_code"):
        split_group = split_values.filter(pl.col("category_code") == category)
        size_cut = np.quantile(
            np.concatenate([group["employment_right"], split_group["split_employment"]]), 0.9
        )
        focus_cut = np.quantile(
            np.concatenate([group["focus_expected"], split_group["focus_share"]]), 0.9
        )
        assert (
            group["size_star"] == (group["employment_right"] >= size_cut).cast(pl.Int8)
        ).all(), category
        assert (
            group["focus_star"] == (group["focus_expected"] >= focus_cut).cast(pl.Int8)
        ).all(), category


def test_outputs_published_and_summarised(published):
    out, summary = published
    assert (out / "clusterobs.duckdb").is_symlink() and (out / "parquet").is_symlink()
    assert set(summary.datasets) == set(load_registry(Settings().registry_path))
    assert all(d["status"] == "loaded" and d["observations"] > 0 for d in summary.datasets.values())
    assert summary.validation["staging"]["critical_failures"] == 0
    assert list(summary.stage_seconds) == ["ingest", "build", "validate", "export", "publish"]
    assert 0 < sum(summary.stage_seconds.values()) <= summary.elapsed_seconds + 0.05
    assert summary.validation["staging"]["expectations"] > 20
    parquet = sorted(exports.read_manifest(out / "parquet")["tables"])
    assert (
        parquet
        == sorted(summary.marts)
        == [
            "dim_cluster_category",
            "dim_region",
            "fct_category_scope",
            "fct_category_trends",
            "fct_cluster_region_year",
            "fct_cluster_stars",
            "fct_cluster_timeseries",
            "fct_cluster_trends",
            "fct_clusters_matter",
            "fct_data_quality",
            "fct_ecosystem_indicators",
            "fct_ecosystem_scoreboard",
            "fct_region_peers",
            "fct_region_trends",
        ]
    )
    for table, rows in summary.marts.items():
        assert exports.read_polars(out / "parquet", table).height == rows > 0
    with duckdb.connect(str(out / "clusterobs.duckdb"), read_only=True) as con:
        lineage = con.sql(
            "select distinct dataset, extract_sha256, load_run_id from staging.stg_sbs_r_nuts06_r2"
        ).fetchall()
        assert len(lineage) == 1 and lineage[0][2] == summary.run_id
        assert (
            lineage[0][1]
            == hashlib.sha256((DEMO_DIR / "sbs_r_nuts06_r2.tsv.gz").read_bytes()).hexdigest()
        )
        indicators = con.sql(
            "select count(distinct indicator_code) from marts.fct_ecosystem_indicators"
        ).fetchall()[0][0]
        catalogue = pl.read_csv(REFERENCE_DIR / "ecosystem_indicators.csv")
        assert indicators == catalogue.height  # every catalogued indicator is computed on the demo
        groups = con.sql(
            "select count(distinct performance_group) from marts.fct_ecosystem_scoreboard where dimension = 'overall'"
        ).fetchall()[0][0]
        assert groups == 4
        results = con.sql(
            "select count(*), bool_and(success or severity <> 'critical') from meta.validation_results"
        ).fetchall()[0]
        assert results[0] > 20 and results[1]


def test_trends_parquet_matches_hand_computed_cagr(published):
    out, _ = published
    facts = pl.read_parquet(out / "parquet" / "fct_cluster_region_year.parquet")
    trends = pl.read_parquet(out / "parquet" / "fct_cluster_trends.parquet").filter(
        (pl.col("window_start") == 2015)
        & (pl.col("window_end") == 2020)
        & pl.col("break_reason").is_null()
    )
    assert trends.height > 1000
    start = facts.filter(pl.col("year") == 2015).select(
        "region_code", "category_code", pl.col("employment").alias("e0")
    )
    end = facts.filter(pl.col("year") == 2020).select(
        "region_code", "category_code", pl.col("employment").alias("e1")
    )
    check = trends.join(start, on=["region_code", "category_code"]).join(
        end, on=["region_code", "category_code"]
    )
    expected = (check["e1"] / check["e0"]) ** (1 / 5) - 1
    assert np.allclose(check["employment_cagr"], expected, rtol=1e-12)
    crossing = pl.read_parquet(out / "parquet" / "fct_cluster_trends.parquet").filter(
        (pl.col("window_start") == 2018) & (pl.col("window_end") == 2023)
    )
    assert set(crossing["window_kind"]) == {"explicit,last_5_years"}
    assert (crossing["break_reason"] == "sbs_regime_change_2020_2021").all()


def output_fingerprint(out: Path) -> dict[str, str]:
    current = out / "current"
    files = {
        str(p.relative_to(current.resolve())): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in current.resolve().rglob("*")
        if p.is_file()
    }
    return {"current": os.readlink(current), **files}


def corrupt_copy(tmp_path: Path, old: str, new: str) -> Path:
    """Copy of the demo extracts with one line of the legacy SBS file changed."""
    source = tmp_path / "extracts"
    shutil.copytree(DEMO_DIR, source)
    path = source / "sbs_r_nuts06_r2.tsv.gz"
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        text = handle.read()
    assert old in text
    with gzip.open(path, "wt", encoding="utf-8") as handle:
        handle.write(text.replace(old, new, 1))
    return source


def test_failed_critical_expectation_blocks_publishing(published, tmp_path):
    out, _ = published
    before = output_fingerprint(out)
    with gzip.open(DEMO_DIR / "sbs_r_nuts06_r2.tsv.gz", "rt", encoding="utf-8") as handle:
        line = next(row for row in handle if row.startswith("A,V16110,C10,AT11\t"))
    cells = line.rstrip("\n").split("\t")
    cells[3] = "-5 "
    source = corrupt_copy(tmp_path, line.rstrip("\n"), "\t".join(cells))
    with pytest.raises(ValidationFailed, match="expect_column_values_to_be_between"):
        pipeline(settings=Settings(source=str(source), output_dir=out))
    assert output_fingerprint(out) == before, "previous outputs must stay byte-identical"
    failed = sorted((out / "runs").glob("*.failed"))
    assert failed, "the failed run's record is kept for inspection"
    assert not (failed[-1] / "clusterobs.duckdb").exists(), "its warehouse copy is removed at once"
    assert (
        "critical expectations failed"
        in json.loads((failed[-1] / "failure.json").read_text())["reason"]
    )
    results = json.loads((failed[-1] / "validation_results.json").read_text())
    rows = [
        (r["suite"], r["column_name"], r["unexpected_count"])
        for r in results
        if r["success"] is False and r["severity"] == "critical"
    ]
    warned = [
        (r["suite"], r["column_name"], r["unexpected_count"])
        for r in results
        if r["success"] is False
        and r["severity"] == "warning"
        and r["suite"].startswith("chk_sbs_n")
    ]
    # The negative count breaks the value range (a gate); the regional and industry sums it belongs to
    # no longer add up, which Eurostat's own tables also show: warnings.
    assert sorted(rows) == [("stg_sbs_r_nuts06_r2", "value", 1)]
    assert sorted(warned) == [
        ("chk_sbs_nace_hierarchy", "inconsistency", 1),
        ("chk_sbs_nuts_hierarchy", "inconsistency", 1),
    ]


def test_unparseable_extract_fails_before_publishing(published, tmp_path):
    out, _ = published
    before = output_fingerprint(out)
    with gzip.open(DEMO_DIR / "sbs_r_nuts06_r2.tsv.gz", "rt", encoding="utf-8") as handle:
        line = next(row for row in handle if row.startswith("A,V16110,C10,AT11\t")).rstrip("\n")
    source = corrupt_copy(tmp_path, line, line.replace("\t", "\tabc", 1))
    with pytest.raises(
        Exception, match=r"extracts/sbs_r_nuts06_r2.tsv.gz, line \d+: non-numeric value"
    ):
        pipeline(settings=Settings(source=str(source), output_dir=out))
    assert output_fingerprint(out) == before


def test_rerun_on_same_inputs_reuses_loads_and_gives_identical_marts(published):
    out, first = published
    before = all_exports(out / "parquet")
    second = pipeline(settings=Settings(source="demo", output_dir=out))
    assert second.run_id != first.run_id
    assert {d["status"] for d in second.datasets.values()} == {"unchanged"}
    after = all_exports(out / "parquet")
    assert before.keys() == after.keys()
    for name, frame in before.items():
        assert frame.equals(after[name]), name


def test_a_second_concurrent_run_is_refused_and_changes_nothing(published):
    """While a run holds the output folder's lock, another fails at once with a clear message."""
    from clusterobs import publish

    out, _ = published
    before = output_fingerprint(out)
    runs_before = sorted(p.name for p in (out / "runs").iterdir())
    with (
        publish.run_lock(out, 0, "clusterobs run"),
        pytest.raises(publish.RunLockedError, match="another clusterobs run is writing"),
    ):
        pipeline(settings=Settings(source="demo", output_dir=out))
    assert output_fingerprint(out) == before
    assert sorted(p.name for p in (out / "runs").iterdir()) == runs_before


def test_timeseries_is_the_cluster_table_in_long_form(published):
    out, _ = published
    wide = pl.read_parquet(out / "parquet" / "fct_cluster_region_year.parquet")
    long = exports.read_polars(out / "parquet", "fct_cluster_timeseries")
    assert long.height == 8 * wide.height
    keys = ["region_code", "category_code", "year"]
    for measure in ("employment", "lq", "star_count"):
        joined = wide.join(long.filter(pl.col("measure") == measure), on=keys)
        assert joined.height == wide.height
        same = (joined[measure].cast(pl.Float64) == joined["value"]) | (
            joined[measure].is_null() & joined["value"].is_null()
        )
        assert same.all(), measure
    flagged = long.join(wide.select(*keys, "has_break_flag"), on=keys)
    assert (flagged["flags"].str.contains("b") == flagged["has_break_flag"]).all()


def test_every_export_reads_back_with_duckdb_and_polars_as_in_the_warehouse(published):
    out, summary = published
    parquet_dir = out / "parquet"
    manifest = exports.read_manifest(parquet_dir)
    assert manifest["run_id"] == (out / "current").resolve().name
    assert set(manifest["tables"]) == set(summary.marts)
    listed = {f["path"]: f for entry in manifest["tables"].values() for f in entry["files"]}
    on_disk = {str(p.relative_to(parquet_dir)) for p in parquet_dir.rglob("*.parquet")}
    assert set(listed) == on_disk
    for path, entry in listed.items():
        assert hashlib.sha256((parquet_dir / path).read_bytes()).hexdigest() == entry["sha256"]
    assert manifest["tables"]["fct_cluster_stars"]["partitioned_by"] == ["year"]
    assert len(manifest["tables"]["fct_cluster_stars"]["files"]) == 16  # one per year
    with duckdb.connect(str(out / "clusterobs.duckdb"), read_only=True) as con:
        for table, entry in manifest["tables"].items():
            assert entry["grain"].startswith("One row per"), table
            numeric = [
                c["name"]
                for c in entry["columns"]
                if c["type"] in ("DOUBLE", "BIGINT", "INTEGER", "SMALLINT", "TINYINT")
            ]
            sums = ", ".join([f'sum("{c}")::double' for c in numeric] + ["count(*)"])
            expected = con.sql(f"select {sums} from marts.{table}").fetchall()[0]
            exported = con.sql(
                f"select {sums} from {exports.read_parquet_sql(parquet_dir, table)}"
            ).fetchall()[0]
            for got, want in zip(exported, expected, strict=True):
                assert got == want or got == pytest.approx(want, rel=1e-12), table
            types = con.sql(
                f"describe select * from {exports.read_parquet_sql(parquet_dir, table)}"
            ).fetchall()
            assert {name: dtype for name, dtype, *_ in types} == {
                c["name"]: c["type"] for c in entry["columns"]
            }, table
            frame = exports.read_polars(parquet_dir, table)
            assert frame.columns == [c["name"] for c in entry["columns"]]
            assert frame.height == entry["rows"] == expected[-1]
            for column, total in zip(numeric, expected, strict=False):
                assert frame[column].cast(pl.Float64).sum() == pytest.approx(
                    total or 0.0, rel=1e-9
                ), (table, column)  # Polars sums an all-null column to 0
        current = {
            dataset: sorted(
                r[0]
                for r in con.sql(f'select distinct extract_sha256 from raw."{dataset}"').fetchall()
            )
            for dataset in summary.datasets
        }
    assert {d: s["extract_sha256"] for d, s in manifest["sources"].items()} == current


def test_analyst_views_comments_and_the_data_dictionary(published):
    from clusterobs import catalog

    out, _ = published
    with duckdb.connect(str(out / "clusterobs.duckdb"), read_only=True) as con:
        unlabelled = con.sql(
            """select count(*) filter (where region_name is null or country_name is null
                                          or category_name is null), count(*)
               from analyst.v_cluster_region_year"""
        ).fetchall()[0]
        assert unlabelled[0] == 0 and unlabelled[1] > 1000
        assert (
            con.sql("select count(*) from analyst.v_cluster_region_year").fetchall()
            == con.sql("select count(*) from marts.fct_cluster_region_year").fetchall()
        )
        undocumented = con.sql(
            """select table_name || '.' || column_name from duckdb_columns()
               where schema_name in ('marts', 'analyst') and comment is null"""
        ).fetchall()
        assert undocumented == []
        lq = con.sql(
            """select comment from duckdb_columns()
               where table_name = 'fct_cluster_region_year' and column_name = 'lq'"""
        ).fetchall()
        assert "location quotient" in lq[0][0]
        generated = catalog.data_dictionary(con)
    assert generated == catalog.DICTIONARY.read_text(encoding="utf-8"), (
        "docs/data_dictionary.md is stale: run `clusterobs dictionary --write`"
    )
    assert "(undocumented)" not in generated


def test_query_command_prints_and_writes_every_format(published, tmp_path):
    import subprocess
    import sys

    out, _ = published

    def query(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "clusterobs.cli", "query", *args, "--output-dir", str(out)],
            capture_output=True, text=True, timeout=120,
        )  # fmt: skip

    sql = "select region_code, region_name from marts.dim_region where region_code in ('AT', 'HR05') order by 1"
    csv_out = query(sql, "--format", "csv")
    assert csv_out.returncode == 0
    assert csv_out.stdout.splitlines() == [
        "region_code,region_name",
        "AT,Österreich",
        "HR05,Grad Zagreb",
    ]
    as_json = query(sql, "--format", "json")
    assert [r["region_code"] for r in json.loads(as_json.stdout)] == ["AT", "HR05"]
    table = query(sql)
    assert "Grad Zagreb" in table.stdout and "2 rows" in table.stdout
    target = tmp_path / "q.parquet"
    assert query(sql, "--format", "parquet", "--output", str(target)).returncode == 0
    assert pl.read_parquet(target)["region_name"].to_list() == ["Österreich", "Grad Zagreb"]
    bad = query("select * from marts.no_such_table")
    assert bad.returncode == 1 and len(bad.stderr.strip().splitlines()) == 1
    assert "no_such_table" in bad.stderr
    nowhere = subprocess.run(
        [sys.executable, "-m", "clusterobs.cli", "query", "select 1", "--output-dir", str(tmp_path)],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert nowhere.returncode == 2 and "run `clusterobs run` first" in nowhere.stderr


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip


@pytest.mark.skipif(
    CHROMIUM is None and not os.environ.get("CLUSTEROBS_REQUIRE_BROWSER"),
    reason="needs Debian's chromium package (installed by .ci/run): apt-get install chromium",
)
@pytest.mark.parametrize("region", ["HR05", None], ids=["region", "europe"])
def test_report_renders_in_headless_chromium_with_its_charts(published, tmp_path, region):
    from playwright.sync_api import sync_playwright

    from clusterobs.report import build_report

    out, _ = published
    with duckdb.connect(str(out / "clusterobs.duckdb"), read_only=True) as con:
        page_html = build_report(con, region)
    path = tmp_path / "report.html"
    path.write_text(page_html, encoding="utf-8")
    # Self-contained: the browser below fails the test on any request that is not the file itself.
    assert page_html.count("<svg") >= 3  # static fallbacks, drawn before any JavaScript runs
    problems = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        page = browser.new_page()
        page.on(
            "console", lambda m: problems.append(m.text) if m.type in ("error", "warning") else None
        )
        page.on("pageerror", lambda e: problems.append(str(e)))
        page.on(
            "request",
            lambda r: (
                problems.append(f"network: {r.url}") if not r.url.startswith("file:") else None
            ),
        )
        page.goto(path.as_uri())
        page.wait_for_function(
            "document.querySelectorAll('.chart.vega-embed svg.marks').length"
            " === document.querySelectorAll('.chart').length",
            timeout=30_000,
        )
        charts = page.evaluate("document.querySelectorAll('.chart.vega-embed svg.marks').length")
        marks = page.evaluate(
            "document.querySelectorAll('.chart svg.marks path, .chart svg.marks line').length"
        )
        title = page.title()
        browser.close()
    assert problems == []
    assert charts == 3 and marks > 20
    assert ("Grad Zagreb" if region else "Europe") in title


def test_per_country_builds_union_to_the_warehouse_tables(published, tmp_path):
    """The models partitioned by country, built one country at a time from the exchange Parquet (what Dask
    workers do, here in this process), add up to exactly the tables the run built in one piece."""
    from clusterobs import partitions
    from clusterobs.models import country_partitioned, discovered_models

    out, _ = published
    exchange = tmp_path / "exchange"
    with duckdb.connect(str(out / "clusterobs.duckdb"), read_only=True) as con:
        countries = partitions.export_inputs(con, exchange)
    assert len(countries) == 10 and "HR" in countries
    settings = Settings(source="demo", output_dir=out)
    for country in [*countries, "XX"]:  # XX: in no input, builds empty tables
        partitions.build_country(country, exchange, settings)
    tables = [m for m in country_partitioned(discovered_models()) if m.materialized == "table"]
    assert {m.name for m in tables} == {
        "int_sbs_region_years__reporting",
        "int_sbs_parts__estimated",
        "int_sbs_estimates__computed",
        "int_cluster_region_year__mapped",
        "int_region_year__reported",
    }
    with duckdb.connect(str(out / "clusterobs.duckdb"), read_only=True) as con:
        for model in tables:
            by_country = f"({partitions.partitioned_select(exchange, model)})"
            for left, right in ((model.relation, by_country), (by_country, model.relation)):
                missing = con.execute(
                    f"select count(*) from (select * from {left} except all select * from {right})"
                ).fetchone()[0]
                assert missing == 0, (model.relation, left)
            assert (
                con.execute(f"select count(*) from {by_country}").fetchone()[0]
                == con.execute(f"select count(*) from {model.relation}").fetchone()[0]
                > 0
            )


def test_a_run_limited_to_some_datasets_builds_what_they_support(prefect_api, tmp_path):
    """CLUSTEROBS_DATASETS with the legacy SBS dataset alone: the cluster tables of its years are built,
    the other datasets are absent (their raw tables empty, their suites skipped) and the indicators they
    feed are listed as unavailable."""
    out = tmp_path / "out"
    summary = pipeline(
        settings=Settings(source="demo", output_dir=out, datasets=["sbs_r_nuts06_r2"])
    )
    assert summary.status == "published" and set(summary.datasets) == {"sbs_r_nuts06_r2"}
    assert len(summary.absent_datasets) == 7
    assert all("not among the run's datasets" in why for why in summary.absent_datasets.values())
    assert summary.validation["staging"]["skipped_suites"] == 7
    assert summary.unavailable_indicators["egovernment_users_pc"] == "absent: isoc_r_gov_i"
    with duckdb.connect(str(out / "clusterobs.duckdb"), read_only=True) as con:
        years = con.sql(
            "select min(year), max(year), count(lq) > 0 from marts.fct_cluster_region_year"
        ).fetchall()
        assert years == [(2008, 2020, True)]
        assert con.sql("select count(*) from raw.sbs_r_nuts2021").fetchall() == [(0,)]
        availability = dict(
            con.sql("select indicator_code, status from meta.indicator_availability").fetchall()
        )
    assert availability["average_wage_eur"] == "available"
    assert availability["gdp_pps_per_head"] == "unavailable"


def test_dictionary_and_report_import_no_prefect_gx_polars_or_pyarrow(published, tmp_path):
    """The read commands on a real published warehouse load neither Prefect nor Great Expectations, nor
    Polars or pyarrow (issue 19: they start in about a second)."""
    import subprocess
    import sys

    out, _ = published
    probe = (
        "import json, sys\n"
        "from clusterobs.cli import app\n"
        "code = 0\n"
        "try:\n"
        "    app(sys.argv[1:], prog_name='clusterobs')\n"
        "except SystemExit as exit:\n"
        "    code = exit.code\n"
        "heavy = {'prefect', 'great_expectations', 'polars', 'pyarrow', 'pandas'}\n"
        "loaded = sorted(heavy & {m.split('.')[0] for m in sys.modules})\n"
        "print(json.dumps({'code': code, 'heavy': loaded}), file=sys.stderr)\n"
    )
    for args in (
        ["dictionary", "--output-dir", str(out)],
        [
            "report",
            "--region",
            "AT13",
            "--output",
            str(tmp_path / "r.html"),
            "--output-dir",
            str(out),
        ],
        ["clusters-matter", "--output", str(tmp_path / "cm.md"), "--output-dir", str(out)],
    ):
        done = subprocess.run(
            [sys.executable, "-c", probe, *args], capture_output=True, text=True, timeout=300
        )
        found = json.loads(done.stderr.strip().splitlines()[-1])
        assert found == {"code": 0, "heavy": []}, (args, done.stderr[-2000:])
    assert (tmp_path / "r.html").stat().st_size > 10_000
    # the demo's comparison: every profile, the seed's figures, what is not computable and why
    comparison = (tmp_path / "cm.md").read_text()
    assert "| `eco-classic` | `eocic` | `us-cmp-strong` |" in comparison
    assert "about 19 %" in comparison and "## Not computed here" in comparison
    assert "`frontier_firms_difference`: not computable" in comparison


def test_demo_stars_do_not_vanish_when_an_input_dataset_ends(published):
    """Business demography ends in 2020 and R&D in 2022 in the demo, SBS runs to 2023: the region-wide
    eocic stars carry the last values over (star_max_carry_years) instead of dropping to none."""
    out, _ = published
    with duckdb.connect(str(out / "clusterobs.duckdb"), read_only=True) as con:
        rows = con.execute(
            """select star, year, count(*) filter (where is_star), count(*) filter (where is_star is null)
               from marts.fct_cluster_stars where profile = 'eocic' and year between 2019 and 2023
               and star in ('sme_performance', 'innovation_leader') group by all"""
        ).fetchall()
        earned = {(star, year): n for star, year, n, _ in rows}
        for star in ("sme_performance", "innovation_leader"):
            counts = [earned[star, year] for year in range(2019, 2024)]
            assert min(counts) > 0.7 * max(counts) > 0, (star, counts)
        # a region-wide star only ever goes to a cell with the specialisation star
        stray = con.execute(
            """select count(*) from marts.fct_cluster_stars as s
               join marts.fct_cluster_stars as spec using (region_code, category_code, year, profile)
               where s.profile = 'eocic' and s.star in ('sme_performance', 'innovation_leader')
               and spec.star = 'specialisation' and s.is_star and not spec.is_star"""
        ).fetchone()[0]
        assert stray == 0
