"""The command line: every command documented, bad options refused with one clear line."""

from __future__ import annotations

from typer.testing import CliRunner

from clusterobs.cli import app

runner = CliRunner()


def test_help_documents_every_command():
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    for command in ("run", "generate-demo"):
        assert command in result.output
    assert "Run the whole pipeline" in result.output
    run_help = runner.invoke(app, ["run", "--help"]).output
    for option in ("--source", "--output-dir", "--lq-denominator", "--json"):
        assert option in run_help


def test_bad_lq_denominator_is_refused_before_anything_runs(tmp_path):
    result = runner.invoke(
        app, ["run", "--lq-denominator", "jobs", "--output-dir", str(tmp_path / "out")]
    )
    assert result.exit_code == 2
    assert "--lq-denominator" in result.output and "'total' or 'traded'" in result.output
    assert not (tmp_path / "out").exists()


def test_unknown_scale_is_refused(tmp_path):
    result = runner.invoke(app, ["generate-demo", "--scale", "galaxy", "--out", str(tmp_path)])
    assert result.exit_code == 2
    assert "--scale must be one of demo, full-eu" in result.output
    assert not any(tmp_path.iterdir())
