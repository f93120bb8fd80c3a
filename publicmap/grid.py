"""The cluster grid of the public map: fixed cells over Web Mercator, per zoom.

A cell is 64 pixels of a map at its zoom (`CLUSTER_CELLS_PER_TILE` cells per 256-pixel
tile), numbered from the top-left corner of the world. The grid never moves with the
view, so a cluster stays put while the map pans, a cell of zoom z is exactly four cells
of zoom z + 1 (clusters of coarser zooms are unions of finer ones), and a box snapped
outward to the grid (`bbox_snap`) is the same for every view that touches the same cells:
nearby pans and other visitors share one cached answer.
"""

from __future__ import annotations

import math

#: Grid cells per 256-pixel map tile: points within about 64 pixels share a cluster.
CLUSTER_CELLS_PER_TILE = 4
#: Web Mercator stops here; beyond it every latitude falls in the first or last row.
MERCATOR_MAX_LATITUDE = 85.0511287798
#: Boxes keep 6 decimals (about 10 cm), rounded outward so that a snapped box still
#: holds every cell it touches.
BOX_DECIMALS = 6

BBox = tuple[float, float, float, float]


def cells_per_side(zoom: int) -> int:
    return (1 << zoom) * CLUSTER_CELLS_PER_TILE


def mercator_x(lon: float) -> float:
    """0 at longitude -180, 1 at 180."""
    return (lon + 180.0) / 360.0


def mercator_y(lat: float) -> float:
    """0 at the top of the map (85.05° N), 1 at the bottom."""
    lat = max(-MERCATOR_MAX_LATITUDE, min(MERCATOR_MAX_LATITUDE, lat))
    sin_lat = math.sin(math.radians(lat))
    return 0.5 - math.log((1 + sin_lat) / (1 - sin_lat)) / (4 * math.pi)


def latitude_of(y: float) -> float:
    """The inverse of `mercator_y`."""
    return math.degrees(math.atan(math.sinh(math.pi * (1 - 2 * y))))


def cell_of(lon: float, lat: float, zoom: int) -> tuple[int, int]:
    """The (column, row) of a point's cell at `zoom`; the same arithmetic as the SQL."""
    side = cells_per_side(zoom)
    last = side - 1
    return (
        min(int(mercator_x(lon) * side), last),
        min(int(mercator_y(lat) * side), last),
    )


def bbox_snap(bbox: BBox, zoom: int) -> BBox:
    """`bbox` grown to the edges of the grid cells it touches at `zoom`.

    Longitudes are snapped each on its own, so a box across the antimeridian stays one;
    latitudes beyond Web Mercator's limit are left as given (no cell lies there).
    """
    min_lon, min_lat, max_lon, max_lat = bbox
    side = cells_per_side(zoom)

    def west(lon: float) -> float:
        return max(-180.0, math.floor(mercator_x(lon) * side) / side * 360.0 - 180.0)

    def east(lon: float) -> float:
        return min(180.0, math.ceil(mercator_x(lon) * side) / side * 360.0 - 180.0)

    def south(lat: float) -> float:
        if lat <= -MERCATOR_MAX_LATITUDE:
            return lat
        return latitude_of(math.ceil(mercator_y(lat) * side) / side)

    def north(lat: float) -> float:
        if lat >= MERCATOR_MAX_LATITUDE:
            return lat
        return latitude_of(math.floor(mercator_y(lat) * side) / side)

    scale = 10**BOX_DECIMALS
    return (
        math.floor(west(min_lon) * scale) / scale,
        math.floor(south(min_lat) * scale) / scale,
        math.ceil(east(max_lon) * scale) / scale,
        math.ceil(north(max_lat) * scale) / scale,
    )


def cells_in(bbox: BBox | None, zoom: int) -> int:
    """How many grid cells of `zoom` a box touches (the whole world without a box)."""
    side = cells_per_side(zoom)
    if bbox is None:
        return side * side
    min_lon, min_lat, max_lon, max_lat = bbox
    columns = math.floor(mercator_x(max_lon) * side) - math.floor(mercator_x(min_lon) * side) + 1
    if min_lon > max_lon:  # across the antimeridian
        columns += side
    rows = math.floor(mercator_y(min_lat) * side) - math.floor(mercator_y(max_lat) * side) + 1
    return max(1, min(columns, side)) * max(1, min(rows, side))


def zoom_fitting(bbox: BBox | None, cells: int, *, at_most: int) -> int:
    """The largest zoom up to `at_most` whose grid has at most `cells` cells over the box."""
    zoom = at_most
    while zoom > 0 and cells_in(bbox, zoom) > cells:
        zoom -= 1
    return zoom
