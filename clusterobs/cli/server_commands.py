"""`clusterobs server start|stop|status`: the local Prefect server that run, ingest and validate reuse."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.markup import escape

from clusterobs.cli.common import console

server_app = typer.Typer(
    help="The local Prefect server (API and UI on 127.0.0.1) that run, ingest and validate reuse.",
    no_args_is_help=True,
)


@server_app.command("start")
def server_start(
    port: Annotated[
        int, typer.Option(help="port on 127.0.0.1 for the API and the UI", min=1, max=65535)
    ] = 4200,
    timeout: Annotated[
        float, typer.Option(help="seconds to wait for the server to be healthy", min=1)
    ] = 120,
) -> None:
    """Start Prefect's API and UI in the background, in Prefect's home (PREFECT_HOME, default
    ~/.prefect); every later command uses it until `clusterobs server stop`."""
    from clusterobs import api_server

    state = api_server.server_state()
    if state and api_server.running_server():
        console.print(f"already running: {state['ui']} (pid {state['pid']})", highlight=False)
        return
    if state:  # recorded but not answering: a crashed or killed server
        api_server.stop_background_server()
    if not api_server.port_free(port):
        console.print(
            f"[red]error:[/red] port {port} on 127.0.0.1 is in use by another program: "
            "choose another with --port",
            soft_wrap=True,
        )
        raise typer.Exit(2)
    with console.status(f"starting Prefect's server on 127.0.0.1:{port} ..."):
        try:
            state = api_server.start_background_server(port, timeout)
        except api_server.ApiStartError as exc:
            console.print(f"[red]error:[/red] {escape(str(exc))}", soft_wrap=True)
            raise typer.Exit(1) from None
    console.print(
        f"Prefect server running: API {state['url']}, UI {state['ui']} (pid {state['pid']}, "
        f"home {state['home']}, log {state['log']}); stop it with `clusterobs server stop`",
        soft_wrap=True,
        highlight=False,
    )


@server_app.command("stop")
def server_stop() -> None:
    """Stop the background server `clusterobs server start` started."""
    from clusterobs import api_server

    state = api_server.stop_background_server()
    if state is None:
        console.print(f"no server was running (Prefect home {api_server.prefect_home()})")
        return
    console.print(f"stopped the Prefect server at {state['ui']} (pid {state['pid']})")


@server_app.command("status")
def server_status() -> None:
    """Whether the background server is up (exit 0) or not (exit 1), and where."""
    from clusterobs import api_server

    state = api_server.server_state()
    if state is None:
        console.print(
            f"not running (Prefect home {api_server.prefect_home()}): `clusterobs server start`"
        )
        raise typer.Exit(1)
    if api_server.running_server() is None:
        console.print(
            f"not answering: recorded at {state['url']} (pid {state['pid']}); see its log "
            f"{state.get('log')}, then `clusterobs server stop` and `clusterobs server start`",
            soft_wrap=True,
            highlight=False,
        )
        raise typer.Exit(1)
    console.print(
        f"running: API {state['url']}, UI {state['ui']} (pid {state['pid']}, since "
        f"{state.get('started_at')}, log {state.get('log')})",
        soft_wrap=True,
        highlight=False,
    )
