"""The report's maps: the mainland frame, the location-quotient classes, star regions outlined, the
acknowledgement GISCO asks for on every map."""

from __future__ import annotations

import pytest

from clusterobs import report_maps
from clusterobs.report_maps import MAINLAND, features, lq_class, lq_map, shape_version


def points(geometry: dict):
    for polygon in geometry["coordinates"]:
        for ring in polygon:
            yield from ring


def test_maps_draw_the_mainland_only():
    regions = {f["id"]: f for f in features(2021, 2)}
    assert not [code for code in regions if code.startswith(("FRY", "PT20", "PT30", "ES70"))]
    assert {"AT13", "FI1B", "PT11", "HR05"} <= regions.keys()
    france = next(f for f in features(2021, 0) if f["id"] == "FR")  # without French Guiana ...
    (west, _), (east, north) = MAINLAND
    lons = [lon for lon, _ in points(france["geometry"])]
    assert min(lons) > west and max(lons) < east
    norway = next(f for f in features(2021, 0) if f["id"] == "NO")  # ... or Svalbard
    assert max(lat for _, lat in points(norway["geometry"])) < north


@pytest.mark.parametrize(
    "lq, label",
    [(None, "no data"), (0.79, "below 0.8"), (0.8, "0.8 to 1.25"), (1.99, "1.25 to 2"),
     (2.0, "2 to 3"), (3.0, "3 or more")],
)  # fmt: skip
def test_location_quotients_fall_in_their_classes(lq, label):
    assert lq_class(lq) == label


def test_a_category_map_outlines_its_star_regions_and_names_gisco():
    cells = [
        {"region_code": "AT13", "region_name": "Wien", "lq": 2.4, "employment": 9000, "has_star": True},
        {"region_code": "AT12", "region_name": "Niederösterreich", "lq": 0.5, "employment": 10, "has_star": False},
    ]  # fmt: skip
    spec = lq_map(cells, 2021)
    fill, outline = spec["layer"][1], spec["layer"][2]
    drawn = {f["id"]: f["properties"] for f in fill["data"]["values"]}
    assert drawn["AT13"]["lq_class"] == "2 to 3" and drawn["AT12"]["lq_class"] == "below 0.8"
    assert drawn["AT21"]["lq_class"] == "no data"  # a region of the country without a cell
    assert [f["id"] for f in outline["data"]["values"]] == ["AT13"]
    assert spec["title"]["text"] == "© EuroGeographics for the administrative boundaries"
    assert report_maps.is_map(spec)


def test_the_maps_draw_the_nearest_shipped_nuts_version():
    assert [shape_version(v) for v in (2021, 2024, 2013, 2006, None)] == [
        2021,
        2024,
        2016,
        2016,
        2021,
    ]
