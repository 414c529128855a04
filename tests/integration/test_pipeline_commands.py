"""The read commands on the demo run's published warehouse: `clusterobs query` in every format, the HTML
report in a headless browser, and the light imports of `dictionary`, `report` and `clusters-matter`."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import subprocess
import sys
from datetime import timedelta

import duckdb
import polars as pl
import pytest

from .browser import ALL_CHARTS_DRAWN, CHROMIUM, watched_page

pytestmark = pytest.mark.integration


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


def run_query(out, *args: str) -> subprocess.CompletedProcess:
    """`clusterobs query` on the published demo warehouse, its stdout a pipe (not a terminal)."""
    return subprocess.run(
        [sys.executable, "-m", "clusterobs.cli", "query", *args, "--output-dir", str(out)],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip


# Values Rich would read as markup or emoji, nested types, and a column wider than any terminal.
AWKWARD = (
    "select '[/]' as markup, ':x:' as emoji, ['a', '[b]'] as codes, {'k': 1.5, 'd': date '2020-01-02'} as rec, "
    "map([1], ['z']) as m, repeat('x', 150) as wide"
)


def test_query_prints_values_as_text_and_nested_types_in_every_format(published, tmp_path):
    out, _ = published
    table = run_query(out, AWKWARD)
    assert table.returncode == 0, table.stderr
    assert "[/]" in table.stdout and ":x:" in table.stdout and "\u274c" not in table.stdout
    assert "x" * 150 in table.stdout  # piped: every column whole, never cut at 80 characters
    assert '["a", "[b]"]' in table.stdout and "1 row" in table.stdout
    as_csv = run_query(out, AWKWARD, "--format", "csv")
    assert as_csv.returncode == 0, as_csv.stderr
    [row] = list(csv.DictReader(io.StringIO(as_csv.stdout)))
    assert (row["markup"], row["emoji"]) == ("[/]", ":x:")
    assert json.loads(row["codes"]) == ["a", "[b]"]  # nested values as JSON text
    assert json.loads(row["rec"]) == {"k": 1.5, "d": "2020-01-02"}
    assert json.loads(row["m"]) == {"1": "z"}
    as_json = run_query(out, AWKWARD, "--format", "json")
    [record] = json.loads(as_json.stdout)
    assert record["codes"] == ["a", "[b]"] and record["rec"] == {"k": 1.5, "d": "2020-01-02"}
    target = tmp_path / "awkward.parquet"
    written = run_query(out, AWKWARD, "--format", "parquet", "--output", str(target))
    assert written.returncode == 0 and f"wrote 1 row to {target} (parquet)" in written.stderr
    frame = pl.read_parquet(target)
    assert frame["codes"].to_list() == [["a", "[b]"]]  # nested natively
    assert frame["rec"].struct.field("k").to_list() == [1.5]
    for fmt in ("csv", "json", "table"):
        target = tmp_path / f"awkward.{fmt}"
        written = run_query(out, AWKWARD, "--format", fmt, "--output", str(target))
        assert written.returncode == 0 and written.stdout == ""
        assert f"wrote 1 row to {target} ({fmt})" in written.stderr
        assert "[/]" in target.read_text(encoding="utf-8")


def test_query_fits_its_table_to_the_terminal(published):
    import fcntl
    import pty
    import struct
    import termios

    out, _ = published
    primary, secondary = pty.openpty()
    fcntl.ioctl(secondary, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 60, 0, 0))  # 60 columns
    env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES")}
    env |= {"TERM": "xterm", "NO_COLOR": "1"}
    done = subprocess.run(
        [sys.executable, "-m", "clusterobs.cli", "query", AWKWARD, "--output-dir", str(out)],
        stdout=secondary, stderr=subprocess.PIPE, env=env, timeout=120,
    )  # fmt: skip
    os.close(secondary)
    chunks = []
    while True:
        try:
            chunk = os.read(primary, 65536)
        except OSError:  # the terminal is closed once everything is read
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(primary)
    assert done.returncode == 0, done.stderr
    text = re.sub(r"\x1b\[[0-9;]*m", "", b"".join(chunks).decode())  # styles are not characters
    lines = text.splitlines()
    assert lines and max(len(line) for line in lines) <= 60  # the 150-character column wraps
    assert "[/]" in "".join(lines)


EVERY_TYPE = r"""select 1::tinyint as ti, 170141183460469231731687303715884105727::hugeint as hi,
    12.50::decimal(10, 2) as de, 'nan'::double as na, true as bo, date '2020-02-29' as da,
    timestamptz '2020-01-01 00:00:00+00' as tz, time '12:30:00' as ti2, interval 3 day as iv,
    '\xaa\x00a'::blob as bl, '00000000-0000-0000-0000-000000000001'::uuid as uu, '101'::bit as bi,
    union_value(num := 2)::union(num int, str varchar) as un, array_value(1, 2) as ar,
    [[1], []] as nested, null::int[] as nothing"""


@pytest.mark.parametrize("fmt", ["table", "csv", "json", "parquet"])
def test_query_exports_every_duckdb_type(published, tmp_path, fmt):
    out, _ = published
    target = tmp_path / f"types.{fmt}"
    done = run_query(out, EVERY_TYPE, "--format", fmt, "--output", str(target))
    assert done.returncode == 0, done.stderr
    if fmt == "parquet":  # read back by DuckDB (Polars cannot read an interval column yet)
        with duckdb.connect() as con:
            row = con.execute("select * from read_parquet(?)", [str(target)]).fetchone()
            names = [d[0] for d in con.description]
        got = dict(zip(names, row, strict=True))
        assert got["nested"] == [[1], []] and got["iv"] == timedelta(days=3)
        assert got["hi"] == 170141183460469231731687303715884105727 and got["bl"] == b"\xaa\x00a"
    elif fmt == "json":
        [record] = json.loads(target.read_text())
        assert record["hi"] == 170141183460469231731687303715884105727
        assert (record["na"], record["bl"], record["nested"]) == ("NaN", "\\xAA\\x00a", [[1], []])
        assert record["da"] == "2020-02-29" and record["uu"].endswith("0001")
    elif fmt == "csv":
        [row] = list(csv.DictReader(io.StringIO(target.read_text())))
        assert (row["de"], row["bo"], row["nested"], row["nothing"]) == (
            "12.5",
            "true",
            "[[1], []]",
            "",
        )
    else:
        assert "170141183460469231731687303715884105727" in target.read_text()


# (region, category) -> charts, of which maps, paths the smallest map draws at least (its regions and the
# countries' outlines), and a word of the page's title
REPORTS = {
    ("HR05", None): (4, 1, 5, "Grad Zagreb"),  # Croatia: 4 NUTS-2 regions and its outline
    (None, None): (4, 1, 300, "Europe"),  # every NUTS-2 region of the mainland
    (None, "T05"): (2, 1, 100, "Biopharmaceuticals"),  # the regions of the demo's ten countries
}


@pytest.mark.skipif(
    CHROMIUM is None and not os.environ.get("CLUSTEROBS_REQUIRE_BROWSER"),
    reason="needs Debian's chromium package (installed by .ci/run): apt-get install chromium",
)
@pytest.mark.parametrize("region, category", list(REPORTS), ids=["region", "europe", "category"])
def test_report_renders_in_headless_chromium_with_its_charts(published, tmp_path, region, category):
    from clusterobs.report import build_report

    out, _ = published
    expected_charts, expected_maps, expected_paths, title_word = REPORTS[region, category]
    with duckdb.connect(str(out / "clusterobs.duckdb"), read_only=True) as con:
        page_html = build_report(con, region, category)
    path = tmp_path / "report.html"
    path.write_text(page_html, encoding="utf-8")
    # Self-contained: the browser below fails the test on any request that is not the file itself.
    assert (
        page_html.count("<svg") >= expected_charts
    )  # static fallbacks, drawn before any JavaScript
    assert page_html.count("© EuroGeographics for the administrative boundaries") >= expected_maps
    problems = []
    with watched_page(problems) as page:
        page.goto(path.as_uri())
        page.wait_for_function(ALL_CHARTS_DRAWN, timeout=30_000)
        charts = page.evaluate("document.querySelectorAll('.chart.vega-embed svg.marks').length")
        marks = page.evaluate(
            "document.querySelectorAll('.chart svg.marks path, .chart svg.marks line').length"
        )
        maps = page.evaluate("document.querySelectorAll('.chart.map.vega-embed').length")
        # every map draws its regions: a path per region of the country (region) or of Europe
        shapes = page.evaluate(
            "Math.min(...[...document.querySelectorAll('.chart.map')]"
            ".map(m => m.querySelectorAll('svg.marks path').length))"
        )
        title = page.title()
    assert problems == []
    assert charts == expected_charts and marks > 20
    assert maps == expected_maps and shapes >= expected_paths
    assert title_word in title


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


def test_the_report_scoreboard_names_its_year_coverage_and_dimensions(published):
    from clusterobs.report import build_report

    out, _ = published
    with duckdb.connect(str(out / "clusterobs.duckdb"), read_only=True) as con:
        year, catalogue = con.sql(
            """select max(year), any_value(n_catalogue_indicators) from marts.fct_ecosystem_scoreboard
               where region_code = 'AT13' and dimension = 'overall' and withheld_reason is null
                 and year in (select year from marts.fct_region_peers where region_code = 'AT13')"""
        ).fetchall()[0]
        page = build_report(con, "AT13")
        europe = build_report(con, None)
        belgian = build_report(
            con, "BE21"
        )  # Belgium is scored at NUTS 1 (scoreboard.nuts1_countries)
        unlabelled, labelled = con.sql(
            """select count(*) filter (where indicator_label is null or dimension_label is null
                                          or region_name is null), count(*)
               from analyst.v_ecosystem_indicators"""
        ).fetchall()[0]
    # the latest year whose composite rests on enough indicators, not simply the latest year
    assert f"Ecosystem scoreboard against peers, {year}" in page
    assert f" of {catalogue} indicators" in page
    assert "Knowledge and skills" in page and "knowledge_and_skills" not in page
    assert "Ecosystem scoreboard by country, " in europe
    assert unlabelled == 0 and labelled > 1000  # indicators by name, for analysts
    assert "is scored as part of" in belgian and "(BE2, NUTS 1" in belgian
