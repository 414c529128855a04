"""Compact NUTS boundaries for the report's maps, from the GISCO copies in ../shared/reference/geo."""

from __future__ import annotations

import json
from pathlib import Path

from shapely.geometry import mapping, shape

ACKNOWLEDGEMENT = "© EuroGeographics for the administrative boundaries"
# The finest copy of each NUTS version the project targets (GISCO, EPSG:4326): 1:60M where it exists,
# else 1:20M, simplified to what a map the width of a page shows.
SOURCES = {
    2016: "nuts2016_rg_20M_4326_level{level}.geojson",
    2021: "nuts2021_rg_60M_4326_level{level}.geojson",
    2024: "nuts2024_rg_20M_4326_level{level}.geojson",
}
LEVELS = (0, 2)  # countries (outlines and country maps) and NUTS-2 regions (the choropleths)
TOLERANCE_DEGREES = 0.02  # ~2 km: under a pixel on a map of Europe 1,000 pixels wide
DECIMALS = 3


def rounded(coordinates):
    """Nested coordinate lists with every number rounded to DECIMALS."""
    if isinstance(coordinates[0], int | float):
        return [round(c, DECIMALS) for c in coordinates]
    return [rounded(c) for c in coordinates]


def nuts_shapes(geo: Path, version: int) -> dict:
    """One NUTS version's countries and NUTS-2 regions as a GeoJSON FeatureCollection: each feature with its
    NUTS code (`id`) and level, simplified (topology kept within each region) and rounded; the source and
    the acknowledgement GISCO asks for as members of the collection."""
    features = []
    for level in LEVELS:
        source = json.loads(
            (geo / SOURCES[version].format(level=level)).read_text(encoding="utf-8")
        )
        for feature in sorted(source["features"], key=lambda f: f["properties"]["NUTS_ID"]):
            simple = shape(feature["geometry"]).simplify(TOLERANCE_DEGREES, preserve_topology=True)
            geometry = mapping(simple)
            features.append(
                {
                    "type": "Feature",
                    "id": feature["properties"]["NUTS_ID"],
                    "properties": {"level": level},
                    "geometry": {
                        "type": geometry["type"],
                        "coordinates": rounded(json.loads(json.dumps(geometry["coordinates"]))),
                    },
                }
            )
    return {
        "type": "FeatureCollection",
        "acknowledgement": ACKNOWLEDGEMENT,
        "source": f"Eurostat GISCO, NUTS {version} ({', '.join(SOURCES[version].format(level=n) for n in LEVELS)}), "
        f"simplified to {TOLERANCE_DEGREES} degrees",
        "features": features,
    }


def shapes_text(geo: Path, version: int) -> str:
    """The file written for one version: compact JSON, one feature per line (readable diffs)."""
    collection = nuts_shapes(geo, version)
    head = {k: v for k, v in collection.items() if k != "features"}
    lines = [
        json.dumps(f, separators=(",", ":"), ensure_ascii=False) for f in collection["features"]
    ]
    opening = json.dumps(head, ensure_ascii=False)[:-1] + ', "features": [\n'
    return opening + ",\n".join(lines) + "\n]}\n"
