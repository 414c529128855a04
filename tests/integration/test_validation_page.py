"""A run's validation results read offline: one self-contained page in the published run folder, rendered by
headless Chromium with the network blocked, and named by its published path in the summary and artifacts."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

import duckdb
import pytest

from clusterobs import warehouse
from clusterobs.published import published_run
from clusterobs.validation_page import validation_page

from .browser import CHROMIUM, CHROMIUM_FLAGS

pytestmark = pytest.mark.integration


def current_page(out) -> tuple[str, Path]:
    """(run id, validation page) of the run published now: other tests may publish reruns into the
    session's output folder, each with its own page."""
    run = published_run(out)
    return run.name, run / "validation.html"


def test_the_page_is_published_with_the_run_and_fetches_nothing(published):
    out, summary = published
    assert summary.validation_page == str(out / "runs" / summary.run_id / "validation.html")
    run_id, page = current_page(out)
    text = page.read_text(encoding="utf-8")
    assert not re.search(r"https?://|<script|<link|\bsrc=|@import", text)  # nothing to fetch
    assert f"Validation of run {run_id}" in text


@pytest.mark.skipif(
    CHROMIUM is None, reason="needs Debian's chromium package (installed by .ci/run)"
)
def test_the_page_renders_in_chromium_with_the_network_blocked(published):
    from playwright.sync_api import sync_playwright

    out, _ = published
    run_id, page_path = current_page(out)
    with duckdb.connect(str(out / "clusterobs.duckdb"), read_only=True) as con:
        suites = con.execute(
            """select count(distinct suite) from meta.validation_results
               where run_id = ? and expectation <> 'suite_skipped'""",
            [run_id],
        ).fetchone()[0]
        stages = con.execute(
            """select case when suite like 'stg%' or suite like 'chk_sbs%' then 'staging' end, count(*)
               from meta.validation_results where run_id = ? and expectation <> 'suite_skipped'
               group by 1""",
            [run_id],
        ).fetchall()
    requests = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        page = browser.new_page()
        page.route(
            "**/*",
            lambda route: (
                route.continue_()
                if route.request.url.startswith("file:")
                else (requests.append(route.request.url), route.abort())
            ),
        )
        page.goto(page_path.as_uri())
        counts = page.evaluate(
            """[...document.querySelectorAll('table')[0].rows].slice(1)
               .map(r => [...r.cells].map(c => c.innerText))"""
        )
        details = page.evaluate("document.querySelectorAll('details').length")
        page.click("details summary")  # a suite opens to its expectations
        shown = page.evaluate("document.querySelector('details table').offsetHeight")
        browser.close()
    assert requests == []
    shown_total = sum(int(row[1].replace(",", "")) for row in counts)
    assert shown_total == sum(n for _, n in stages)  # every expectation of the run counted
    assert {row[0] for row in counts} == {"staging", "marts"}
    assert all(row[3] == "0" for row in counts)  # no critical failure in a published run
    assert details == suites and shown > 0


def test_the_artifacts_and_the_summary_name_the_published_page(published):
    from prefect.client.orchestration import get_client

    from clusterobs.run_summary import run_report

    _, summary = published
    report = run_report(summary)
    assert "| validation | expectations | passed |" in report and "{'" not in report
    assert f"`{summary.validation_page}`" in report

    async def markdown(key: str) -> list[str]:
        async with get_client() as client:
            return [a.data for a in await client.read_artifacts() if a.key == key]

    marts = [m for m in asyncio.run(markdown("validation-marts")) if summary.run_id in m]
    assert marts and all(f"`{summary.validation_page}`" in m for m in marts)
    assert ".partial" not in "".join(marts)


def test_the_page_escapes_what_it_shows(tmp_path):
    with warehouse.connect(tmp_path / "w.duckdb") as con:
        con.execute(
            """insert into meta.validation_results values
               ('r1', 'stg_x', 'staging.stg_x', 'expect_column_values_to_be_in_set', 'geo', 'critical',
                false, null, 2, '<script>alert(1)</script>'),
               ('r1', 'stg_y', null, 'suite_skipped', null, 'info', null, 'no data: y absent', null, null)"""
        )
        text = validation_page(con, "r1")
    assert "<script>" not in text and "&lt;script&gt;alert(1)&lt;/script&gt;" in text
    assert "Failed expectations (1)" in text and "no data: y absent" in text
