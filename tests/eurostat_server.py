"""A scripted stand-in for Eurostat's APIs on 127.0.0.1, serving slices of the demo extracts.

Behaviour is a list of rules: each rule looks at a request and returns a Reply or None. Rules may be
one-shot (`times`), so "fail twice, then answer" is two rules. Requests are logged, and the number of
requests in flight at once is tracked (to test the client's concurrency limit).
"""

from __future__ import annotations

import gzip
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlparse

from clusterobs.registry import DatasetSpec

from .conftest import DEMO_DIR


@dataclass
class Reply:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    truncate: bool = False  # announce the full length, send half of the body, close


@dataclass
class Request:
    path: str
    query: dict[str, list[str]]


@dataclass
class Rule:
    handler: Callable[[Request], Reply | None]
    times: int | None = None  # None: for ever


def too_big(
    message: str = "EXTRACTION_TOO_BIG: the request exceeds 5000000 rows, please filter",
) -> Reply:
    body = json.dumps({"error": {"status": 413, "id": 413, "label": message}}).encode()
    return Reply(413, body, {"Content-Type": "application/json"})


def demo_lines(dataset: str) -> tuple[str, list[str]]:
    with gzip.open(DEMO_DIR / f"{dataset}.tsv.gz", "rt", encoding="utf-8") as handle:
        lines = handle.read().splitlines()
    return lines[0], lines[1:]


def tsv_slice(dataset: str, key: str) -> bytes:
    """The demo extract restricted to an SDMX key ('A.V11210+V16110..AT11+AT12'), gzip-compressed."""
    header, lines = demo_lines(dataset)
    wanted = [set(part.split("+")) if part else None for part in key.split(".")]
    kept = [
        line
        for line in lines
        if all(
            w is None or v in w for w, v in zip(wanted, line.split("\t")[0].split(","), strict=True)
        )
    ]
    return gzip.compress(("\n".join([header, *kept]) + "\n").encode())


def key_parts(request: Request) -> list[str]:
    return request.path.rsplit("/", 1)[-1].split(".")


class FakeEurostat:
    def __init__(self) -> None:
        self.rules: list[Rule] = []
        self.requests: list[Request] = []
        self.in_flight = 0
        self.max_in_flight = 0
        self._lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # keep test output clean
                pass

            def do_GET(self):
                url = urlparse(self.path)
                request = Request(url.path, parse_qs(url.query, keep_blank_values=True))
                with server._lock:
                    server.requests.append(request)
                    server.in_flight += 1
                    server.max_in_flight = max(server.max_in_flight, server.in_flight)
                try:
                    reply = server.reply_for(request)
                    time.sleep(reply.delay)
                    body = reply.body
                    # Done "processing" before the client can see the answer (no race with its next request).
                    with server._lock:
                        server.in_flight -= 1
                    self.send_response(reply.status)
                    for name, value in reply.headers.items():
                        self.send_header(name, value)
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body[: len(body) // 2] if reply.truncate else body)
                    if reply.truncate:
                        self.close_connection = True
                except (BrokenPipeError, ConnectionResetError):
                    pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self._thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> FakeEurostat:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def add(self, handler: Callable[[Request], Reply | None], times: int | None = None) -> None:
        self.rules.append(Rule(handler, times))

    def reply_for(self, request: Request) -> Reply:
        with self._lock:
            for rule in self.rules:
                reply = rule.handler(request)
                if reply is None:
                    continue
                if rule.times is not None:
                    rule.times -= 1
                    if rule.times == 0:
                        self.rules.remove(rule)
                return reply
        return Reply(404, b'{"error":{"status":404,"label":"No rule in the test server"}}')

    def data_requests(self, dataset: str | None = None) -> list[Request]:
        return [
            r
            for r in self.requests
            if "/data/" in r.path and (dataset is None or f"/data/{dataset}" in r.path)
        ]

    def serve_demo(self, stamps: dict[str, str] | None = None) -> None:
        """Answer data requests with demo slices, and dataflow requests with an UPDATE_DATA stamp."""

        def data(request: Request) -> Reply | None:
            if "/data/" not in request.path:
                return None
            dataset = request.path.split("/data/")[1].split("/")[0]
            if not (DEMO_DIR / f"{dataset}.tsv.gz").exists():
                return None
            return Reply(
                200,
                tsv_slice(dataset, request.path.rsplit("/", 1)[-1]),
                {"Content-Type": "text/tab-separated-values"},
            )

        def dataflow(request: Request) -> Reply | None:
            if "/dataflow/ESTAT/" not in request.path:
                return None
            dataset = request.path.rsplit("/", 1)[-1]
            stamp = (stamps or {}).get(dataset, "2026-11-27T23:00:00+0100")
            body = {
                "version": "2.0",
                "class": "collection",
                "extension": {
                    "id": dataset.upper(),
                    "annotation": [{"type": "UPDATE_DATA", "date": stamp}],
                },
            }
            return Reply(200, json.dumps(body).encode(), {"Content-Type": "application/json"})

        self.add(data)
        self.add(dataflow)


def spec_for(name: str, **changes) -> DatasetSpec:
    from clusterobs.registry import load_registry
    from clusterobs.settings import Settings

    spec = load_registry(Settings().registry_path)[name]
    return spec.model_copy(update=changes)


def demo_geo_codes(dataset: str) -> list[str]:
    _, lines = demo_lines(dataset)
    return sorted({line.split("\t")[0].split(",")[-1] for line in lines})


def landed_names(landing: Path) -> list[str]:
    return sorted(p.name for p in landing.iterdir()) if landing.exists() else []
