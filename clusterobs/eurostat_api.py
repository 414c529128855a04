"""A client for Eurostat's dissemination APIs: SDMX 2.1 data (TSV, SDMX-CSV) and JSON-stat statistics.

Requests Eurostat rejects as too large (HTTP 413 / EXTRACTION_TOO_BIG) are split into smaller slices
(halving the longest code list, then by NUTS region of the configured countries, then the years);
429, 5xx, timeouts and broken bodies are retried with exponential backoff and jitter; every error
carries Eurostat's own message. A semaphore keeps the number of requests in flight polite.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import logging
import re
import threading
import zlib
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from types import EllipsisType

import httpx
from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_exception_type,
    stop_after_attempt,
    wait_exponential_jitter,
)

from clusterobs.landing import LandedFile, land_stream
from clusterobs.registry import DatasetSpec
from clusterobs.settings import EurostatApi

log = logging.getLogger(__name__)
FORMAT_PARAM = {"tsv": "TSV", "sdmx-csv": "SDMX-CSV"}
SUFFIX = {"tsv": ".tsv.gz", "sdmx-csv": ".csv.gz", "json-stat": ".json"}


class EurostatApiError(RuntimeError):
    """Eurostat refused a request (or kept failing); carries the URL, status and Eurostat's own message."""

    def __init__(self, url: str, status: int | None, message: str):
        self.url, self.status, self.message = url, status, message
        super().__init__(
            f"Eurostat {'HTTP ' + str(status) if status else 'request'} for {url}: {message}"
        )


class TransientError(Exception):
    """A failure worth retrying: 429, 5xx, timeout, broken connection or truncated body."""

    def __init__(
        self, url: str, status: int | None, message: str, retry_after: float | None = None
    ):
        self.url, self.status, self.message, self.retry_after = url, status, message, retry_after
        super().__init__(message)


class TooBig(Exception):
    def __init__(self, url: str, message: str):
        self.url, self.message = url, message
        super().__init__(message)


@dataclass(frozen=True)
class Slice:
    """One request: explicit codes for some dimensions (others: all), and a year range."""

    filters: dict[str, tuple[str, ...]] = field(default_factory=dict)
    start: int | None = None
    end: int | None = None

    def describe(self) -> str:
        parts = [
            f"{d}={len(c)} codes" if len(c) > 3 else f"{d}={'+'.join(c)}"
            for d, c in sorted(self.filters.items())
        ]
        return ", ".join([*parts, f"years {self.start}-{self.end}"])


def first_slice(spec: DatasetSpec) -> Slice:
    return Slice(
        {d: tuple(codes) for d, codes in spec.filters.items() if codes}, spec.start, spec.end
    )


def split_slice(spec: DatasetSpec, piece: Slice, geo_codes: list[str]) -> list[Slice]:
    """Two smaller requests covering `piece`, or [] when it cannot be split any further."""
    longest = max(piece.filters.items(), key=lambda item: len(item[1]), default=None)
    if longest and len(longest[1]) >= 2:
        dim, codes = longest
        mid = len(codes) // 2
        return [
            replace(piece, filters={**piece.filters, dim: codes[:mid]}),
            replace(piece, filters={**piece.filters, dim: codes[mid:]}),
        ]
    if "geo" in spec.dimensions and "geo" not in piece.filters and len(geo_codes) >= 2:
        return split_slice(
            spec, replace(piece, filters={**piece.filters, "geo": tuple(geo_codes)}), geo_codes
        )
    end = piece.end or date.today().year  # an open range ends this year
    if piece.start and end > piece.start:
        mid = (piece.start + end) // 2
        return [replace(piece, end=mid), replace(piece, start=mid + 1, end=piece.end)]
    return []


def request_for(
    api: EurostatApi, spec: DatasetSpec, piece: Slice
) -> tuple[str, list[tuple[str, str]]]:
    """URL and query parameters of one slice."""
    if spec.api == "statistics":
        params = [("lang", "EN")]
        for dim in spec.dimensions:
            params += [(dim, code) for code in piece.filters.get(dim, ())]
        if piece.start:
            params.append(("sinceTimePeriod", str(piece.start)))
        if piece.end:
            params.append(("untilTimePeriod", str(piece.end)))
        if "geo" not in piece.filters and len(spec.nuts_levels) == 1:
            params.append(
                (
                    "geoLevel",
                    "country" if spec.nuts_levels[0] == 0 else f"nuts{spec.nuts_levels[0]}",
                )
            )
        return f"{api.statistics_base_url}/data/{spec.name}", params
    key = ".".join("+".join(piece.filters.get(dim, ())) for dim in spec.dimensions)
    params = [("format", FORMAT_PARAM[spec.format]), ("compressed", "true")]
    if piece.start:
        params.append(("startPeriod", str(piece.start)))
    if piece.end:
        params.append(("endPeriod", str(piece.end)))
    return f"{api.sdmx_base_url}/data/{spec.name}/{key}", params


def eurostat_message(body: bytes, content_type: str = "") -> str:
    """Eurostat's own error text from a JSON or SDMX-ML error body (else the start of the body)."""
    text = body[:20000].decode("utf-8", errors="replace").strip()
    if text.startswith("{"):
        try:
            document = json.loads(text)
        except json.JSONDecodeError:
            document = None
        labels = []

        def walk(node):
            if isinstance(node, dict):
                for key, value in node.items():
                    if key in ("label", "message", "text", "detail") and isinstance(value, str):
                        labels.append(value)
                    else:
                        walk(value)
            elif isinstance(node, list):
                for item in node:
                    walk(item)

        walk(document)
        if labels:
            return "; ".join(dict.fromkeys(labels))
    texts = re.findall(r"<(?:\w+:)?Text[^>]*>([^<]+)<", text)
    if texts:
        return "; ".join(t.strip() for t in texts)
    text = re.sub(r"<[^>]+>", " ", text)
    return re.sub(r"\s+", " ", text)[:300] or "(empty response)"


def _wait(api: EurostatApi):
    backoff = wait_exponential_jitter(
        initial=api.backoff_initial_seconds,
        max=api.backoff_max_seconds,
        jitter=api.backoff_initial_seconds,
    )

    def wait(state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        if isinstance(exc, TransientError) and exc.retry_after is not None:
            return min(exc.retry_after, api.backoff_max_seconds)
        return backoff(state)

    return wait


class EurostatClient:
    """Downloads registry datasets into the landing folder."""

    def __init__(self, api: EurostatApi, http: httpx.Client | None = None, sleep=None):
        self.api = api
        self.http = http or httpx.Client(
            timeout=api.timeout_seconds, follow_redirects=True, headers={"User-Agent": "clusterobs"}
        )
        self._slots = threading.BoundedSemaphore(api.max_concurrency)
        self._sleep = sleep

    def close(self) -> None:
        self.http.close()

    def __enter__(self) -> EurostatClient:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def updated_stamp(self, dataset: str) -> str | None:
        """Eurostat's last data update of a dataset (dataflow annotation UPDATE_DATA), or None if unknown."""
        url = f"{self.api.sdmx_base_url}/dataflow/ESTAT/{dataset}"
        try:
            response = self._retrying(
                lambda: self._get_small(url, [("format", "JSON"), ("lang", "EN")])
            )
        except (EurostatApiError, TransientError) as exc:
            log.warning("no update stamp for %s: %s", dataset, exc)
            return None
        return updated_from_dataflow(response)

    def download(
        self,
        spec: DatasetSpec,
        landing_dir: Path,
        geo_codes: list[str],
        updated: str | EllipsisType | None = ...,
    ) -> list[LandedFile]:
        """All slices of a registry dataset, landed with Eurostat's `updated` stamp (asked for unless
        given); raises EurostatApiError with Eurostat's message."""
        if updated is ...:
            updated = self.updated_stamp(spec.name)
        return self._download_slice(
            spec, first_slice(spec), landing_dir, geo_codes, updated, depth=0
        )

    def _download_slice(
        self, spec, piece, landing_dir, geo_codes, updated, depth
    ) -> list[LandedFile]:
        url, params = request_for(self.api, spec, piece)
        try:
            return [self._retrying(lambda: self._land(url, params, spec, landing_dir, updated))]
        except TooBig as too_big:
            halves = split_slice(spec, piece, geo_codes) if depth < self.api.max_split_depth else []
            if not halves:
                raise EurostatApiError(
                    too_big.url,
                    413,
                    f"{too_big.message} (could not split {piece.describe()} any further)",
                ) from None
            log.info("%s: too big (%s), splitting %s", spec.name, too_big.message, piece.describe())
            return [
                f
                for half in halves
                for f in self._download_slice(
                    spec, half, landing_dir, geo_codes, updated, depth + 1
                )
            ]

    def _retrying(self, attempt):
        retryer = Retrying(
            stop=stop_after_attempt(self.api.retries + 1),
            wait=_wait(self.api),
            retry=retry_if_exception_type(TransientError),
            reraise=True,
            sleep=self._sleep or Retrying().sleep,
            before_sleep=lambda s: log.warning("retrying after: %s", s.outcome.exception()),
        )
        try:
            return retryer(attempt)
        except TransientError as exc:
            raise EurostatApiError(
                exc.url,
                exc.status,
                f"{exc.message} (gave up after {self.api.retries + 1} attempts)",
            ) from None

    def _get_small(self, url: str, params) -> bytes:
        with self._slots:
            try:
                response = self.http.get(url, params=params)
            except (httpx.TimeoutException, httpx.TransportError) as exc:
                raise TransientError(url, None, f"{type(exc).__name__}: {exc}") from exc
        self._raise_for_status(url, response.status_code, response.content, response.headers)
        return response.content

    def _land(
        self, url: str, params, spec: DatasetSpec, landing_dir: Path, updated: str | None
    ) -> LandedFile:
        full_url = str(httpx.URL(url, params=params))
        with self._slots:
            try:
                with self.http.stream("GET", url, params=params) as response:
                    if response.status_code >= 400:
                        body = response.read()
                        self._raise_for_status(
                            full_url, response.status_code, body, response.headers
                        )
                    landed = land_stream(
                        response.iter_bytes(),
                        landing_dir,
                        spec.name,
                        SUFFIX[spec.format],
                        full_url,
                        updated,
                    )
            except (httpx.TimeoutException, httpx.TransportError) as exc:
                raise TransientError(full_url, None, f"{type(exc).__name__}: {exc}") from exc
        problem = body_problem(landed.path)
        if problem:
            if "EXTRACTION_TOO_BIG" in problem:
                raise TooBig(full_url, problem)
            raise TransientError(full_url, 200, problem)
        return landed

    @staticmethod
    def _raise_for_status(url: str, status: int, body: bytes, headers) -> None:
        if status < 400:
            return
        message = eurostat_message(body, headers.get("content-type", ""))
        if status == 413 or "EXTRACTION_TOO_BIG" in message:
            raise TooBig(url, message)
        if status == 429 or status >= 500:
            retry_after = headers.get("retry-after")
            seconds = float(retry_after) if retry_after and retry_after.strip().isdigit() else None
            raise TransientError(url, status, message, seconds)
        raise EurostatApiError(url, status, message)


def request_fingerprint(api: EurostatApi, spec: DatasetSpec, geo_codes: list[str]) -> str:
    """SHA-256 of what a download asks Eurostat for: the API base URLs, the dataset's registry entry
    (filters, years, format) and the NUTS codes a too-big request is split by."""
    request = {
        "api": [api.sdmx_base_url, api.statistics_base_url],
        "spec": spec.model_dump(mode="json"),
        "geo_codes": sorted(geo_codes),
    }
    return hashlib.sha256(json.dumps(request, sort_keys=True).encode()).hexdigest()


def body_problem(path: Path) -> str | None:
    """Why a landed download is unusable (truncated gzip, an error message with status 200), or None."""
    try:
        if path.read_bytes()[:2] == b"\x1f\x8b":
            with gzip.open(path, "rb") as handle:
                head = handle.read(4096)
                while handle.read(1 << 20):
                    pass
        else:
            head = path.read_bytes()[:4096]
    except (OSError, EOFError, zlib.error) as exc:
        path.unlink(missing_ok=True)
        return f"truncated or damaged body ({exc})"
    text = head.decode("utf-8", errors="replace").lstrip()
    if "EXTRACTION_TOO_BIG" in text:
        path.unlink(missing_ok=True)
        return eurostat_message(head)
    return None


def updated_from_dataflow(body: bytes) -> str | None:
    """UPDATE_DATA annotation of a dataflow (JSON-stat envelope), as published."""
    try:
        document = json.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError):
        return None
    annotations = (document.get("extension") or {}).get("annotation") or []
    for annotation in annotations:
        if annotation.get("type") == "UPDATE_DATA":
            return annotation.get("date") or annotation.get("title")
    return document.get("updated")
