"""The guide's drawings in a terminal: a small map made of half-block characters.

Each character cell shows two stacked pixels (``▀`` with a foreground and a background
colour). A pixel is sampled at its centre against the same shapes the SVG pictures draw:
the silhouette (its Bézier curves flattened into a polygon), and the highlighted zones
(ellipses, rounded rectangles, and bands: thick lines along a path).
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Iterable
from functools import lru_cache

from masseur.guide.pictures import HIGHLIGHT, SKIN, VIEWS, View
from masseur.zones import expand

Point = tuple[float, float]
BAND_HALF_WIDTH = 11  # the SVG draws bands 22 units wide
_COMMAND = re.compile(r"([MCLZ])([^MCLZ]*)")
_ELLIPSE = re.compile(
    r'<ellipse cx="([-\d.]+)" cy="([-\d.]+)" rx="([-\d.]+)" ry="([-\d.]+)"'
    r'(?: transform="rotate\(([-\d.]+) [-\d.]+ [-\d.]+\)")?/>'
)
_RECT = re.compile(r'<rect x="([-\d.]+)" y="([-\d.]+)" width="([-\d.]+)" height="([-\d.]+)"')
_PATH = re.compile(r'<path d="([^"]+)"/>')


@lru_cache(maxsize=64)
def _polyline(data: str) -> tuple[Point, ...]:
    """The points of path data made of absolute M, L, C and Z commands, curves flattened."""
    points: list[Point] = []
    for command, numbers in _COMMAND.findall(data):
        values = [float(n) for n in re.findall(r"-?\d+(?:\.\d+)?", numbers)]
        pairs = list(zip(values[::2], values[1::2], strict=True))
        if command in "ML":
            points.extend(pairs)
        elif command == "C":
            for index in range(0, len(pairs), 3):
                (x1, y1), (x2, y2), (x3, y3) = pairs[index : index + 3]
                x0, y0 = points[-1]
                for step in range(1, 9):
                    t = step / 8
                    u = 1 - t
                    points.append(
                        (
                            u**3 * x0 + 3 * u * u * t * x1 + 3 * u * t * t * x2 + t**3 * x3,
                            u**3 * y0 + 3 * u * u * t * y1 + 3 * u * t * t * y2 + t**3 * y3,
                        )
                    )
    return tuple(points)


def _inside(polygon: tuple[Point, ...], x: float, y: float) -> bool:
    inside = False
    for (x1, y1), (x2, y2) in zip(polygon, polygon[1:] + polygon[:1], strict=True):
        if (y1 > y) != (y2 > y) and x < x1 + (y - y1) * (x2 - x1) / (y2 - y1):
            inside = not inside
    return inside


def _near(line: tuple[Point, ...], x: float, y: float, reach: float) -> bool:
    for (x1, y1), (x2, y2) in itertools.pairwise(line):
        dx, dy = x2 - x1, y2 - y1
        length = dx * dx + dy * dy
        t = 0.0 if length == 0 else max(0.0, min(1.0, ((x - x1) * dx + (y - y1) * dy) / length))
        if math.hypot(x - (x1 + t * dx), y - (y1 + t * dy)) <= reach:
            return True
    return False


def _in_markup(markup: str, kind: str, x: float, y: float) -> bool:
    """Whether the point lies in one of the SVG elements of a zone's shape."""
    for cx, cy, rx, ry, turn in _ELLIPSE.findall(markup):
        angle = math.radians(-float(turn or 0))
        px, py = x - float(cx), y - float(cy)
        qx = px * math.cos(angle) - py * math.sin(angle)
        qy = px * math.sin(angle) + py * math.cos(angle)
        if (qx / float(rx)) ** 2 + (qy / float(ry)) ** 2 <= 1:
            return True
    for left, top, width, height in (map(float, found) for found in _RECT.findall(markup)):
        if left <= x <= left + width and top <= y <= top + height:
            return True
    for data in _PATH.findall(markup):
        if kind == "band" and _near(_polyline(data), x, y, BAND_HALF_WIDTH):
            return True
    return False


def _pixel(view: View, lit: set[str], x: float, y: float) -> str | None:
    """The colour at a point of the view: highlight, skin, or None outside the drawing."""
    silhouette = _inside(_polyline(view.silhouette), x, y)
    for shape in view.shapes:
        visible = silhouette or not shape.clipped
        if shape.zone in lit and visible and _in_markup(shape.markup, shape.kind, x, y):
            return HIGHLIGHT
    if silhouette or (view.under and _in_markup(view.under, "area", x, y)):
        return SKIN
    return None


def map_lines(
    picture: str, zones: Iterable[str], *, columns: int = 16, mirrored: bool = False
) -> tuple[tuple[tuple[str, str], ...], ...]:
    """The view as rows of (character, rich style) cells, the zones highlighted."""
    return _map_lines(picture, tuple(sorted(expand(zones))), columns, mirrored)


@lru_cache(maxsize=32)
def _map_lines(
    picture: str, lit_zones: tuple[str, ...], columns: int, mirrored: bool
) -> tuple[tuple[tuple[str, str], ...], ...]:
    view = VIEWS[picture]
    lit = set(lit_zones)
    size = view.width / columns
    rows = math.ceil(view.height / size / 2)
    lines = []
    for row in range(rows):
        cells = []
        for column in range(columns):
            x = (column + 0.5) * size
            if mirrored:
                x = view.width - x
            top = _pixel(view, lit, x, (2 * row + 0.5) * size)
            bottom = _pixel(view, lit, x, (2 * row + 1.5) * size)
            if top is None and bottom is None:
                cells.append((" ", ""))
            elif top is None:
                cells.append(("▄", str(bottom)))
            elif bottom is None:
                cells.append(("▀", top))
            else:
                cells.append(("▀", f"{top} on {bottom}"))
        lines.append(tuple(cells))
    return tuple(lines)
