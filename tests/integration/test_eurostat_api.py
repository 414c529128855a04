"""The Eurostat client against a local server that replays Eurostat-format responses and injects faults."""

from __future__ import annotations

import json
import threading
from dataclasses import replace

import pytest

from clusterobs import loads, warehouse
from clusterobs.eurostat_api import (
    EurostatApiError,
    EurostatClient,
    first_slice,
    request_for,
    split_slice,
)
from clusterobs.settings import EurostatApi
from clusterobs.transforms.readers.extracts import observations

from ..conftest import DEMO_DIR, SHARED_DIR
from ..eurostat_server import (
    FakeEurostat,
    Reply,
    demo_geo_codes,
    key_parts,
    landed_names,
    spec_for,
    too_big,
    tsv_slice,
)

COMPARED = "freq, unit, geo, period, value, flags, conf_status"


def api(server: FakeEurostat, **changes) -> EurostatApi:
    return EurostatApi(
        sdmx_base_url=server.url, statistics_base_url=server.url, timeout_seconds=2.0, retries=3,
        backoff_initial_seconds=1.0, backoff_max_seconds=8.0, **changes,
    )  # fmt: skip


@pytest.fixture
def server():
    with FakeEurostat() as fake:
        yield fake


@pytest.fixture
def sleeps():
    return []


def client_for(server, sleeps, **changes) -> EurostatClient:
    return EurostatClient(api(server, **changes), sleep=sleeps.append)


def test_too_big_requests_are_split_until_they_fit_and_nothing_is_lost(server, sleeps, tmp_path):
    spec = spec_for("nama_10r_2gdp")
    # Eurostat refuses more than one unit, or more than 20 regions, per request.
    server.add(
        lambda r: (
            too_big()
            if "/data/" in r.path
            and ("+" in key_parts(r)[1] or not key_parts(r)[2] or key_parts(r)[2].count("+") >= 20)
            else None
        )
    )
    server.serve_demo()
    geo = demo_geo_codes("nama_10r_2gdp")
    files = client_for(server, sleeps).download(spec, tmp_path / "landing", geo)
    assert len(files) >= 3 * 6  # 3 units x at least 6 slices of < 20 of the 120 regions
    assert all(f.updated == "2026-11-27T23:00:00+0100" for f in files)
    refused = [
        r
        for r in server.data_requests()
        if "+" in key_parts(r)[1] or not key_parts(r)[2] or key_parts(r)[2].count("+") >= 20
    ]
    assert refused and len(server.data_requests()) == len(refused) + len(files)
    with warehouse.connect(tmp_path / "w.duckdb") as con:
        load = loads.load_dataset(con, "nama_10r_2gdp", files, "run-1")
        split_rows = con.execute(
            f"select {COMPARED} from raw.nama_10r_2gdp order by all"
        ).fetchall()
    whole = observations(DEMO_DIR / "nama_10r_2gdp.tsv.gz").select(COMPARED.split(", "))
    assert load.observations == whole.height
    assert sorted(whole.rows()) == split_rows


def test_split_order_longest_list_then_regions_then_years():
    spec = spec_for("nama_10r_2gdp")
    piece = first_slice(spec)
    halves = split_slice(spec, piece, ["AT11", "AT12", "AT13"])
    assert [h.filters["unit"] for h in halves] == [("MIO_EUR",), ("EUR_HAB", "PPS_EU27_2020_HAB")]
    one_unit = halves[0]
    by_region = split_slice(spec, one_unit, ["AT11", "AT12", "AT13"])
    assert [h.filters["geo"] for h in by_region] == [("AT11",), ("AT12", "AT13")]
    one_region = replace(by_region[0], end=2023)
    by_year = split_slice(spec, one_region, ["AT11", "AT12", "AT13"])
    assert [(h.start, h.end) for h in by_year] == [(2008, 2015), (2016, 2023)]
    assert split_slice(spec, replace(one_region, start=2020, end=2020), ["AT11"]) == []


def test_request_urls_for_both_apis():
    settings = EurostatApi(sdmx_base_url="http://x/sdmx", statistics_base_url="http://x/stats")
    url, params = request_for(
        settings, spec_for("sbs_r_nuts06_r2"), first_slice(spec_for("sbs_r_nuts06_r2"))
    )
    assert url == "http://x/sdmx/data/sbs_r_nuts06_r2/A.V11210+V16110+V13320.."
    assert dict(params) == {
        "format": "TSV",
        "compressed": "true",
        "startPeriod": "2008",
        "endPeriod": "2020",
    }
    stats = spec_for("nama_10r_2gdp", api="statistics", format="json-stat", nuts_levels=[2])
    url, params = request_for(settings, stats, first_slice(stats))
    assert url == "http://x/stats/data/nama_10r_2gdp"
    assert ("unit", "MIO_EUR") in params and ("unit", "EUR_HAB") in params
    assert ("geoLevel", "nuts2") in params and ("sinceTimePeriod", "2008") in params


@pytest.mark.parametrize(
    ("faults", "expected_sleeps"),
    [
        ([Reply(429, b'{"error":{"label":"Too many requests"}}', {"Retry-After": "3"})], [3.0]),
        (
            [Reply(500, b"<S:Error><c:Text>Internal error</c:Text></S:Error>"), Reply(503, b"")],
            None,
        ),
        ([Reply(200, b"", delay=3.0)], None),  # slower than the 2 s timeout
        (
            [Reply(200, tsv_slice("nama_10r_2gdp", "A.MIO_EUR."), truncate=True)],
            None,
        ),  # body cut mid-transfer
        (
            [Reply(200, tsv_slice("nama_10r_2gdp", "A.MIO_EUR.")[:500])],
            None,
        ),  # a complete response holding a cut gzip
    ],
    ids=["429-retry-after", "500-then-503", "timeout", "truncated-transfer", "truncated-gzip"],
)
def test_transient_failures_are_retried_then_succeed(
    server, sleeps, tmp_path, faults, expected_sleeps
):
    for fault in faults:
        server.add(lambda r, fault=fault: fault if "/data/" in r.path else None, times=1)
    server.serve_demo()
    files = client_for(server, sleeps).download(
        spec_for("nama_10r_2gdp", filters={"freq": ["A"], "unit": ["MIO_EUR"]}),
        tmp_path / "landing",
        [],
    )
    assert len(files) == 1 and len(server.data_requests()) == len(faults) + 1
    assert len(sleeps) == len(faults)
    if expected_sleeps:
        assert sleeps == expected_sleeps
    else:
        assert all(1.0 <= s <= 8.0 for s in sleeps)
    assert (
        observations(files[0].path, "nama_10r_2gdp").height
        == len(demo_geo_codes("nama_10r_2gdp")) * 16
    )
    assert landed_names(tmp_path / "landing") == [files[0].path.name]


def test_backoff_grows_exponentially_with_jitter(server, sleeps, tmp_path):
    server.add(
        lambda r: (
            Reply(503, b'{"error":{"label":"Service unavailable"}}') if "/data/" in r.path else None
        ),
        times=3,
    )
    server.serve_demo()
    client_for(server, sleeps).download(spec_for("nama_10r_2gdp"), tmp_path / "landing", [])
    assert len(sleeps) == 3
    for attempt, waited in enumerate(sleeps):
        assert 2**attempt <= waited <= min(2**attempt + 1.0, 8.0)


def test_persistent_failure_raises_with_eurostat_text_and_lands_nothing(server, sleeps, tmp_path):
    server.add(
        lambda r: (
            Reply(
                503, b'{"error":{"status":503,"label":"Dissemination database under maintenance"}}'
            )
            if "/data/" in r.path
            else None
        )
    )
    server.serve_demo()
    with pytest.raises(
        EurostatApiError,
        match=r"HTTP 503 .*Dissemination database under maintenance \(gave up after 4 attempts\)",
    ):
        client_for(server, sleeps).download(spec_for("nama_10r_2gdp"), tmp_path / "landing", [])
    assert len(server.data_requests()) == 4
    assert landed_names(tmp_path / "landing") == []


def test_client_errors_are_not_retried(server, sleeps, tmp_path):
    xml = b'<?xml version="1.0"?><S:Error><S:ErrorMessage code="100"><c:Text>No Results Found</c:Text></S:ErrorMessage></S:Error>'
    server.add(
        lambda r: (
            Reply(404, xml, {"Content-Type": "application/xml"}) if "/data/" in r.path else None
        )
    )
    server.serve_demo()
    with pytest.raises(EurostatApiError, match=r"HTTP 404 .*No Results Found") as caught:
        client_for(server, sleeps).download(spec_for("nama_10r_2gdp"), tmp_path / "landing", [])
    assert caught.value.status == 404 and len(server.data_requests()) == 1 and sleeps == []


def test_unsplittable_too_big_request_says_so(server, sleeps, tmp_path):
    server.add(lambda r: too_big() if "/data/" in r.path else None)
    server.serve_demo()
    spec = spec_for(
        "nama_10r_2gdp",
        filters={"freq": ["A"], "unit": ["MIO_EUR"], "geo": ["AT11"]},
        start=2020,
        end=2020,
    )
    with pytest.raises(
        EurostatApiError, match=r"EXTRACTION_TOO_BIG.*could not split .* any further"
    ):
        client_for(server, sleeps).download(spec, tmp_path / "landing", [])


def test_concurrency_limit_is_respected(server, sleeps, tmp_path):
    server.add(
        lambda r: (
            Reply(200, tsv_slice("nama_10r_2gdp", "A.MIO_EUR."), delay=0.4)
            if "/data/" in r.path
            else None
        )
    )
    server.serve_demo()
    client = client_for(server, sleeps, max_concurrency=2)
    spec = spec_for("nama_10r_2gdp", filters={"freq": ["A"], "unit": ["MIO_EUR"]})
    threads = [
        threading.Thread(target=client.download, args=(spec, tmp_path / f"landing{i}", []))
        for i in range(6)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(server.data_requests()) == 6
    assert server.max_in_flight == 2


def test_update_stamp_comes_from_the_dataflow_annotation(server, sleeps):
    real = SHARED_DIR / "eurostat_realdata" / "duckdb-eurostat_DEMO_R_D2JAN---dataflow.json"
    body = (
        real.read_bytes()
        if real.exists()
        else json.dumps(
            {
                "extension": {
                    "annotation": [{"type": "UPDATE_DATA", "date": "2025-12-04T23:00:00+0100"}]
                }
            }
        ).encode()
    )
    server.add(
        lambda r: Reply(200, body) if r.path.endswith("/dataflow/ESTAT/demo_r_d2jan") else None
    )
    assert client_for(server, sleeps).updated_stamp("demo_r_d2jan") == "2025-12-04T23:00:00+0100"
    assert server.requests[0].query["format"] == ["JSON"]


def test_statistics_api_json_stat_download(server, sleeps, tmp_path):
    from ..formats import jsonstat_document

    server.add(
        lambda r: (
            Reply(200, json.dumps(jsonstat_document()).encode())
            if "/data/nama_10r_2gdp" in r.path
            else None
        )
    )
    server.serve_demo()
    spec = spec_for("nama_10r_2gdp", api="statistics", format="json-stat", nuts_levels=[2])
    files = client_for(server, sleeps).download(spec, tmp_path / "landing", [])
    assert files[0].path.suffix == ".json"
    query = server.data_requests()[0].query
    assert query["geoLevel"] == ["nuts2"] and query["unit"] == [
        "MIO_EUR",
        "EUR_HAB",
        "PPS_EU27_2020_HAB",
    ]
    assert observations(files[0].path, "nama_10r_2gdp")["value"].is_not_null().sum() == 6
