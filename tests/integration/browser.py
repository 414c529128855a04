"""Headless Chromium for the tests of the HTML outputs (report, atlas, validation page)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip
ALL_CHARTS_DRAWN = (
    "document.querySelectorAll('.chart.vega-embed svg.marks').length"
    " === document.querySelectorAll('.chart').length"
)


@contextmanager
def watched_page(problems: list[str]) -> Iterator:
    """A Chromium page that appends to `problems` every console error or warning, page error and
    request for anything but a local file."""
    from playwright.sync_api import sync_playwright

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
        try:
            yield page
        finally:
            browser.close()
