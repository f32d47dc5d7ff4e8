"""Web-Mercator tile arithmetic, and which way a tile of the public map is drawn.

A tile at zoom z, column x, row y is the square Leaflet asks for. Reports are gathered into
square cells that are themselves tiles of a deeper zoom (the cell's level): a cell at level L
holds every point whose tile at zoom L it is. Cells of level L+1 nest four to a cell of level L,
so one table of counts per level can answer any tile whose cells are that level.
"""

import math
from dataclasses import dataclass

MAX_ZOOM = 19
# Cells at these levels are counted ahead of time (the rollup, migrations 0009 and 0020), so every
# zoom to 14 (neighbourhoods) sums counts; deeper cells are counted from the reports themselves,
# which a tile from zoom 15 holds few enough of.
ROLLUP_LEVELS = (12, 14, 16, 17)
# From this zoom a tile draws each report as its own point.
POINTS_FROM_ZOOM = 17
# A tile is cut into cells this many to a side at most (16 cells of 16 px on a 256 px tile).
CELLS_PER_SIDE = 16


@dataclass(frozen=True)
class Plan:
    """How one tile is drawn: each report as a point, or counts in cells of `level`, from `source`."""

    kind: str  # "points" or "cells"
    level: int | None = None
    source: str | None = None  # "rollup" or "reports"


def plan(z: int) -> Plan:
    """Points from POINTS_FROM_ZOOM; otherwise cells about a sixteenth of the tile wide.

    A stored level is used while one exists between a sixteenth and an eighth of the tile (the
    coarsest of them: the fewest rows to sum), so the rollup answers every zoom up to
    ROLLUP_LEVELS[-1] - 3.
    """
    if z >= POINTS_FROM_ZOOM:
        return Plan("points")
    finest = z + 4  # cells a sixteenth of the tile wide
    for level in ROLLUP_LEVELS:
        if z + 3 <= level <= finest:
            return Plan("cells", level, "rollup")
    if finest <= ROLLUP_LEVELS[0]:
        return Plan("cells", ROLLUP_LEVELS[0], "rollup")
    return Plan("cells", finest, "reports")


def valid(z: int, x: int, y: int) -> bool:
    return 0 <= z <= MAX_ZOOM and 0 <= x < 2 ** z and 0 <= y < 2 ** z


def cell_of(lon: float, lat: float, level: int) -> tuple[int, int]:
    """The (x, y) of the level-`level` tile holding a point (the same formula the SQL uses)."""
    n = 2 ** level
    lat_r = math.radians(lat)
    x = math.floor((lon + 180.0) / 360.0 * n)
    y = math.floor((1.0 - math.log(math.tan(lat_r) + 1.0 / math.cos(lat_r)) / math.pi) / 2.0 * n)
    return min(max(x, 0), n - 1), min(max(y, 0), n - 1)


KEY_LEVEL = 20  # report.map_key is the report's cell at this level, its bits interleaved (Z-order)


def spread(v: int) -> int:
    """The bits of v, one in every two (as map_bits_spread does in SQL)."""
    out = 0
    for bit in range(32):
        out |= ((v >> bit) & 1) << (2 * bit)
    return out


def key_range(z: int, x: int, y: int) -> tuple[int, int]:
    """The map_keys of every report inside tile (z, x, y): [low, high)."""
    key = spread(x) | (spread(y) << 1)
    shift = 2 * (KEY_LEVEL - z)
    return key << shift, (key + 1) << shift


def bounds(z: int, x: int, y: int) -> tuple[float, float, float, float]:
    """(west, south, east, north) of a tile, in degrees."""
    n = 2 ** z

    def lat(row):
        return math.degrees(math.atan(math.sinh(math.pi * (1 - 2 * row / n))))

    return x / n * 360.0 - 180.0, lat(y + 1), (x + 1) / n * 360.0 - 180.0, lat(y)


def cell_range(z: int, x: int, y: int, level: int) -> tuple[int, int, int, int]:
    """The (x0, x1, y0, y1) of the level-`level` cells inside a tile, inclusive (level >= z)."""
    shift = level - z
    return x << shift, ((x + 1) << shift) - 1, y << shift, ((y + 1) << shift) - 1
