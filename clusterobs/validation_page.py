"""A run's validation results as one self-contained HTML page (`validation.html` in the run folder), written
from meta.validation_results: readable offline, with no script, font or stylesheet to fetch (Great
Expectations' own Data Docs index loads jQuery and Bootstrap from CDNs and shows nothing without a network).
"""

from __future__ import annotations

import html
import os
from pathlib import Path

import duckdb

from clusterobs.validation_suites import suite_files

STAGES = ("staging", "marts")
STYLE = """
body { font: 14px/1.45 system-ui, sans-serif; margin: 2em auto; max-width: 75em; color: #222; }
table { border-collapse: collapse; margin: 0.5em 0 1.5em; }
th, td { border: 1px solid #ccc; padding: 0.25em 0.6em; text-align: left; vertical-align: top; }
th { background: #f3f3f3; } td.n { text-align: right; }
.critical { color: #a40000; font-weight: 600; } .warning { color: #8a5a00; } .passed { color: #2a7a2a; }
details { margin: 0.3em 0; } summary { cursor: pointer; } code { font-size: 0.95em; }
"""


def suite_stages() -> dict[str, str]:
    """Each suite's stage (staging or marts), by suite name."""
    return {spec["name"]: stage for stage in STAGES for _, spec in suite_files(stage)}


def validation_page(con: duckdb.DuckDBPyConnection, run_id: str) -> str:
    """The HTML page of run `run_id`'s validation: counts per stage, every failed expectation (critical
    first), the skipped suites, then every suite's expectations."""
    rows = con.execute(
        """select suite, relation, expectation, column_name, severity, success, observed_value,
                  unexpected_count, unexpected_sample
           from meta.validation_results where run_id = ?
           order by suite, expectation, column_name nulls first""",
        [run_id],
    ).fetchall()
    names = ["suite", "relation", "expectation", "column", "severity", "success", "observed",
             "unexpected", "sample"]  # fmt: skip
    results = [dict(zip(names, row, strict=True)) for row in rows]
    stages = suite_stages()
    for result in results:
        base = result["suite"].removesuffix("__schema")
        result["stage"] = stages.get(base, "other")
    checked = [r for r in results if r["expectation"] != "suite_skipped"]
    parts = [
        f"<h1>Validation of run {esc(run_id)}</h1>",
        "<p>Great Expectations suites (<code>expectations/*.json</code>) run on the staging tables and "
        "the marts; a failed <span class='critical'>critical</span> expectation stops the run before "
        "anything is published, a <span class='warning'>warning</span> is recorded. The same rows are in "
        "<code>meta.validation_results</code> of the warehouse.</p>",
        counts_table(checked, results),
        failures_section(checked),
        skipped_section([r for r in results if r["expectation"] == "suite_skipped"]),
        suites_section(checked),
    ]
    return (
        "<!doctype html>\n<html lang='en'><head><meta charset='utf-8'>"
        f"<title>clusterobs validation {esc(run_id)}</title><style>{STYLE}</style></head><body>\n"
        + "\n".join(parts)
        + "\n</body></html>\n"
    )


def esc(value) -> str:
    """A value as HTML text ('' for NULL)."""
    return "" if value is None else html.escape(str(value))


def counts_table(checked: list[dict], results: list[dict]) -> str:
    rows = []
    for stage in sorted({r["stage"] for r in results}):
        here = [r for r in checked if r["stage"] == stage]
        critical = sum(not r["success"] and r["severity"] == "critical" for r in here)
        warnings = sum(not r["success"] and r["severity"] != "critical" for r in here)
        skipped = sum(r["stage"] == stage and r["expectation"] == "suite_skipped" for r in results)
        rows.append(
            f"<tr><td>{esc(stage)}</td><td class='n'>{len(here):,}</td>"
            f"<td class='n passed'>{sum(r['success'] for r in here):,}</td>"
            f"<td class='n critical'>{critical:,}</td><td class='n warning'>{warnings:,}</td>"
            f"<td class='n'>{skipped:,}</td></tr>"
        )
    return (
        "<table><tr><th>stage</th><th>expectations</th><th>passed</th><th>critical failures</th>"
        "<th>warnings</th><th>skipped suites</th></tr>" + "".join(rows) + "</table>"
    )


def failures_section(checked: list[dict]) -> str:
    failed = sorted(
        (r for r in checked if not r["success"]),
        key=lambda r: (r["severity"] != "critical", r["suite"], r["expectation"]),
    )
    if not failed:
        return "<h2>Failed expectations</h2><p class='passed'>None: every expectation passed.</p>"
    rows = "".join(
        f"<tr><td class='{'critical' if r['severity'] == 'critical' else 'warning'}'>{esc(r['severity'])}</td>"
        f"<td>{esc(r['suite'])}</td><td>{esc(r['expectation'])}</td><td>{esc(r['column'])}</td>"
        f"<td class='n'>{esc(r['unexpected'])}</td><td>{esc(r['observed'])}</td>"
        f"<td><code>{esc((r['sample'] or '')[:300])}</code></td></tr>"
        for r in failed
    )
    return (
        f"<h2>Failed expectations ({len(failed):,})</h2><table><tr><th>severity</th><th>suite</th>"
        "<th>expectation</th><th>column</th><th>unexpected</th><th>observed</th><th>sample</th></tr>"
        + rows
        + "</table>"
    )


def skipped_section(skipped: list[dict]) -> str:
    if not skipped:
        return ""
    items = "".join(f"<li>{esc(r['suite'])}: {esc(r['observed'])}</li>" for r in skipped)
    return f"<h2>Skipped suites ({len(skipped)})</h2><ul>{items}</ul>"


def suites_section(checked: list[dict]) -> str:
    parts = ["<h2>Every suite</h2>"]
    for suite in sorted({r["suite"] for r in checked}):
        here = [r for r in checked if r["suite"] == suite]
        failed = sum(not r["success"] for r in here)
        verdict = f"{failed} failed" if failed else "all passed"
        rows = "".join(
            f"<tr><td class='{'passed' if r['success'] else esc(r['severity'])}'>"
            f"{'passed' if r['success'] else 'failed'}</td><td>{esc(r['expectation'])}</td>"
            f"<td>{esc(r['column'])}</td><td>{esc(r['severity'])}</td><td>{esc(r['observed'])}</td></tr>"
            for r in here
        )
        parts.append(
            f"<details><summary><b>{esc(suite)}</b> ({esc(here[0]['relation'] or 'query')}, "
            f"{esc(here[0]['stage'])}): {len(here)} expectations, {verdict}</summary>"
            "<table><tr><th>result</th><th>expectation</th><th>column</th><th>severity</th>"
            f"<th>observed</th></tr>{rows}</table></details>"
        )
    return "\n".join(parts)


def write_validation_page(
    con: duckdb.DuckDBPyConnection, run_id: str, path: str | os.PathLike
) -> Path:
    """Write the page of run `run_id` to `path` (whole or not at all); returns the path."""
    path = Path(path)
    partial = path.with_name(path.name + ".partial")
    partial.write_text(validation_page(con, run_id), encoding="utf-8")
    partial.replace(path)
    return path
