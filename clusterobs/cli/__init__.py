"""The `clusterobs` command line: the typer app and its commands, each in the module of its role.

- run_commands: run, ingest, validate (the flows, through flow_runs: output modes, the writer lock,
  this command's Prefect API; summaries: what they print at the end)
- read_commands: query, dictionary, report, site, clusters-matter (no Prefect, GX, Polars or pyarrow)
- demo_commands: generate-demo
- server_commands: server start, stop, status

`clusterobs` (the console script) and `python -m clusterobs.cli` (__main__.py) call `main`.
"""

from __future__ import annotations

import typer

from clusterobs.cli import demo_commands, read_commands, run_commands, server_commands

app = typer.Typer(
    help="clusterobs: Eurostat regional business statistics -> cluster mapping, ecosystem scoreboard and trends.",
    no_args_is_help=True,
    add_completion=False,
)
# In the order `clusterobs --help` lists them.
app.command("run")(run_commands.run)
app.command("ingest")(run_commands.ingest)
app.command("validate")(run_commands.validate)
app.command("query")(read_commands.query)
app.command("dictionary")(read_commands.dictionary)
app.command("report")(read_commands.report)
app.command("site")(read_commands.site)
app.command("clusters-matter")(read_commands.clusters_matter)
app.command("generate-demo")(demo_commands.generate_demo)
app.add_typer(server_commands.server_app, name="server")


def main() -> None:  # pragma: no cover - console entry point
    app(prog_name="clusterobs")
