"""The report's maps: NUTS-2 choropleths drawn from the shipped GISCO boundaries
(data/reference/nuts_<version>_shapes.geojson) as Vega-Lite geoshapes with the data inlined. Europe is
cropped to the mainland (the outermost regions are left out, and the caption says so); colour scales are
sequential in lightness (readable in greyscale, and for colour-blind readers: viridis), or an ordered
greyscale-safe palette for groups; every map carries GISCO's acknowledgement."""

from __future__ import annotations

import json
from functools import lru_cache

import altair as alt

from clusterobs.paths import REFERENCE_DIR

ACKNOWLEDGEMENT = "© EuroGeographics for the administrative boundaries"
SHAPE_VERSIONS = (2016, 2021, 2024)
# Outermost regions (Guadeloupe ... Mayotte, the Azores, Madeira, the Canaries): far from the mainland
OUTERMOST = ("FRY", "PT2", "PT3", "ES7")
OUTERMOST_NOTE = (
    "Outermost regions (French overseas, Azores, Madeira, Canaries) and Svalbard are not drawn."
)
MAINLAND = ((-24.0, 34.0), (45.0, 72.0))  # (west, south), (east, north) in degrees
# Location-quotient classes, the last two the specialisation star's territory (LQ >= 2)
LQ_CLASSES = (
    (0.8, "below 0.8"),
    (1.25, "0.8 to 1.25"),
    (2.0, "1.25 to 2"),
    (3.0, "2 to 3"),
    (float("inf"), "3 or more"),
)
GROUPS = ("leader", "strong", "moderate", "emerging")
GROUP_COLOURS = ("#08306b", "#2171b5", "#6baed6", "#c6dbef")  # dark to light: readable in greyscale
NO_DATA = "#eeeeee"


@lru_cache(maxsize=len(SHAPE_VERSIONS))
def shapes(version: int) -> dict:
    """The shipped boundaries of one NUTS version (countries and NUTS-2 regions), as GeoJSON."""
    path = REFERENCE_DIR / f"nuts_{version}_shapes.geojson"
    return json.loads(path.read_text(encoding="utf-8"))


def shape_version(target_version: int | None) -> int:
    """The boundaries to draw for a NUTS version: its own, or the nearest shipped one."""
    target = target_version or 2021
    return min(SHAPE_VERSIONS, key=lambda v: (abs(v - target), -v))


def on_mainland(polygon: list) -> bool:
    """Whether a polygon (its outer ring's first point) lies in the map's frame of Europe."""
    lon, lat = polygon[0][0]
    (west, south), (east, north) = MAINLAND
    return west <= lon <= east and south <= lat <= north


def mainland_geometry(geometry: dict) -> dict | None:
    """The geometry without its parts outside the frame (a country's overseas parts), or None."""
    polygons = (
        [geometry["coordinates"]] if geometry["type"] == "Polygon" else geometry["coordinates"]
    )
    kept = [polygon for polygon in polygons if on_mainland(polygon)]
    if not kept:
        return None
    return {"type": "MultiPolygon", "coordinates": kept}


def features(version: int, level: int, countries: set[str] | None = None) -> list[dict]:
    """The mainland features of one level (a copy each), optionally of some countries only."""
    chosen = []
    for feature in shapes(version)["features"]:
        code = feature["id"]
        if feature["properties"]["level"] != level or code.startswith(OUTERMOST):
            continue
        if countries is not None and code[:2] not in countries:
            continue
        geometry = mainland_geometry(feature["geometry"])
        if geometry is not None:
            chosen.append({**feature, "geometry": geometry, "properties": {"code": code}})
    return chosen


def lq_class(lq: float | None) -> str:
    """The location quotient's class label ('no data' for none)."""
    if lq is None:
        return "no data"
    return next(label for bound, label in LQ_CLASSES if lq < bound)


def choropleth(
    regions: list[dict],
    outlines: list[dict],
    colour: alt.Color,
    tooltip: list,
    marked: list[dict] | None = None,
    width: int = 560,
    height: int = 520,
) -> alt.LayerChart:
    """Regions filled by `colour`, on the countries' outlines, `marked` regions outlined in black."""
    projection = {"type": "azimuthalEqualArea", "rotate": [-10, -52, 0]}
    background = (
        alt.Chart(alt.Data(values=outlines))
        .mark_geoshape(fill="#f7f7f7", stroke="#999999", strokeWidth=0.4)
        .project(**projection)
    )
    filled = (
        alt.Chart(alt.Data(values=regions))
        .mark_geoshape(stroke="white", strokeWidth=0.3)
        .encode(color=colour, tooltip=tooltip)
        .project(**projection)
    )
    layers = [background, filled]
    if marked:
        layers.append(
            alt.Chart(alt.Data(values=marked))
            .mark_geoshape(fill=None, filled=False, stroke="black", strokeWidth=1.4)
            .project(**projection)
        )
    return alt.layer(*layers).properties(
        width=width,
        height=height,
        title=alt.TitleParams(
            ACKNOWLEDGEMENT,
            fontSize=9,
            fontWeight="normal",
            color="#666666",
            anchor="end",
            orient="bottom",
        ),
    )


def lq_map(cells: list[dict], version: int) -> dict:
    """NUTS-2 regions by the category's location quotient, regions with the specialisation star
    outlined. `cells`: region_code, region_name, lq, employment, has_star."""
    by_code = {c["region_code"]: c for c in cells}
    countries = {c["region_code"][:2] for c in cells}
    regions = []
    for feature in features(version, 2, countries):
        cell = by_code.get(feature["id"], {})
        feature["properties"] |= {
            "name": cell.get("region_name") or feature["id"],
            "lq": None if cell.get("lq") is None else round(cell["lq"], 2),
            "lq_class": lq_class(cell.get("lq")),
            "employment": cell.get("employment"),
        }
        regions.append(feature)
    marked = [f for f in regions if by_code.get(f["id"], {}).get("has_star")]
    labels = [label for _, label in LQ_CLASSES] + ["no data"]
    colour = alt.Color(
        "properties.lq_class:O",
        title="location quotient",
        scale=alt.Scale(
            domain=labels,
            range=["#fde725", "#5ec962", "#21918c", "#3b528b", "#440154", NO_DATA],
        ),
    )
    tooltip = [
        alt.Tooltip("properties.name:N", title="region"),
        alt.Tooltip("properties.lq:Q", title="LQ", format=".2f"),
        alt.Tooltip("properties.employment:Q", title="persons employed", format=",.0f"),
    ]
    return choropleth(regions, features(version, 0), colour, tooltip, marked).to_dict()


def groups_map(groups: dict[str, str | None], names: dict[str, str], version: int) -> dict:
    """NUTS-2 regions by the scoreboard's performance group (`groups`: region code -> group)."""
    regions = []
    for feature in features(version, 2):
        group = groups.get(feature["id"]) or "not scored"
        feature["properties"] |= {"name": names.get(feature["id"], feature["id"]), "group": group}
        regions.append(feature)
    colour = alt.Color(
        "properties.group:O",
        title="performance group",
        scale=alt.Scale(domain=[*GROUPS, "not scored"], range=[*GROUP_COLOURS, NO_DATA]),
    )
    tooltip = [
        alt.Tooltip("properties.name:N", title="region"),
        alt.Tooltip("properties.group:N", title="group"),
    ]
    return choropleth(regions, features(version, 0), colour, tooltip).to_dict()


def star_map(
    stars: dict[str, int],
    names: dict[str, str],
    version: int,
    country: str | None = None,
    region: str | None = None,
) -> dict:
    """NUTS-2 regions by their number of traded categories with a star: one country's (with `region`
    outlined) or all of Europe's."""
    countries = {country} if country else None
    regions = []
    for feature in features(version, 2, countries):
        feature["properties"] |= {
            "name": names.get(feature["id"], feature["id"]),
            "star_clusters": stars.get(feature["id"]),
        }
        regions.append(feature)
    colour = alt.Color(
        "properties.star_clusters:Q",
        title="star clusters",
        scale=alt.Scale(scheme="viridis", reverse=True, zero=True),
    )
    tooltip = [
        alt.Tooltip("properties.name:N", title="region"),
        alt.Tooltip("properties.star_clusters:Q", title="traded categories with a star"),
    ]
    marked = [f for f in regions if f["id"] == region]
    size = {"width": 420, "height": 380} if country else {}
    return choropleth(
        regions, features(version, 0, countries), colour, tooltip, marked, **size
    ).to_dict()


def is_map(spec: dict) -> bool:
    """Whether a chart spec draws geoshapes (a map)."""
    return any("geoshape" in str(layer.get("mark", "")) for layer in spec.get("layer", [spec]))
