"""The download cache key and the run's year window: what decides whether Eurostat is asked again."""

from __future__ import annotations

from clusterobs.flows.tasks import download_cache_key
from clusterobs.registry import DatasetSpec, within_years
from clusterobs.settings import EurostatApi

SPEC = DatasetSpec(
    name="nama_10r_2gdp",
    dimensions=["freq", "unit", "geo"],
    filters={"unit": ["MIO_EUR"]},
    start=2008,
)
API = EurostatApi()


def key(spec=SPEC, geo_codes=("AT11", "AT12"), updated="2026-11-27T23:00:00+0100", api=API):
    parameters = {"spec": spec, "geo_codes": list(geo_codes), "updated": updated, "api": api}
    return download_cache_key(None, parameters)


def test_key_names_dataset_and_stamp_and_is_stable():
    assert key().startswith("eurostat-nama_10r_2gdp-20261127T2300000100-")
    assert key() == key(geo_codes=("AT12", "AT11"))  # order of the codes does not matter


def test_any_change_to_the_request_or_stamp_changes_the_key():
    changed = [
        key(updated="2026-11-28T23:00:00+0100"),
        key(spec=SPEC.model_copy(update={"filters": {"unit": ["PPS_EU27_2020_HAB"]}})),
        key(spec=SPEC.model_copy(update={"start": 2010})),
        key(geo_codes=("AT11",)),
        key(api=EurostatApi(sdmx_base_url="http://127.0.0.1:1/sdmx")),
    ]
    assert len({key(), *changed}) == len(changed) + 1


def test_no_stamp_means_no_caching():
    assert key(updated=None) is None and key(updated="") is None


def test_run_years_narrow_the_request_within_the_registry_years():
    legacy = SPEC.model_copy(update={"start": 2008, "end": 2020})
    assert (within_years(legacy, 2015, None).start, within_years(legacy, 2015, None).end) == (
        2015,
        2020,
    )
    assert (within_years(legacy, None, 2012).start, within_years(legacy, None, 2012).end) == (
        2008,
        2012,
    )
    assert (within_years(SPEC, 2019, 2023).start, within_years(SPEC, 2019, 2023).end) == (
        2019,
        2023,
    )
    assert within_years(legacy, None, None) == legacy
    # no overlap: the registry's own years are requested (staging keeps none of them)
    assert within_years(legacy, 2021, 2023) == legacy
