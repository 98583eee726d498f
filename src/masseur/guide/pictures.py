"""masseur's own vector drawings of the foot and leg, each zone a named shape to highlight.

Four views: the sole, the top of the foot, the sole with the traditional reflex map, and the
leg from the front and from the back. A right foot or leg is drawn; a step worked on the left
side only is shown mirrored. Zones are ``<g class="zone" data-zone="slug">`` groups; the
ones a step names get the class ``on`` and the highlight colour as presentation attributes,
so the picture is right with or without the page's stylesheet (a PDF, an image viewer).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace

from masseur.zones import LEG_BACK, LEG_FRONT, REFLEX, SOLE, TOP, ZONES, expand

SKIN = "#f4dccb"
OUTLINE = "#6b4f3f"
DETAIL = "#c49a82"
HIGHLIGHT = "#e4572e"
STROKE_ONLY = "#7b4fb8"


@dataclass(frozen=True)
class Shape:
    """One zone's shape in one view: an ``area`` is filled, a ``band`` is a thick line."""

    zone: str
    kind: str  # "area" or "band"
    markup: str  # SVG elements without fill or stroke
    clipped: bool = True  # kept inside the silhouette


@dataclass(frozen=True)
class View:
    width: int
    height: int
    silhouette: str  # path data of the outline, also the clip for zones
    under: str  # drawn before the silhouette (toes)
    details: str  # anatomical lines drawn over the skin, under the zones
    shapes: tuple[Shape, ...]
    stroke_only: tuple[str, ...] = ()  # path data of places to stroke only
    over: str = ""  # painted parts drawn over the skin (toenails, toes seen from the front)


Toes = Mapping[str, tuple[float, float, float, float, float]]
"""Toe shapes by zone: centre x, centre y, half width, half length, tilt in degrees."""

_NUMBER = re.compile(r"-?\d+(?:\.\d+)?")


def _mirror_path(path: str, width: int) -> str:
    """Path data (absolute M, C, L, Z commands only) reflected left to right."""
    position = 0

    def flip(match: re.Match[str]) -> str:
        nonlocal position
        value = float(match.group())
        position += 1
        if position % 2 == 1:  # x of an x,y pair
            value = width - value
        return f"{value:g}"

    return _NUMBER.sub(flip, path)


def _ellipse(cx: float, cy: float, rx: float, ry: float, turn: float = 0) -> str:
    rotate = f' transform="rotate({turn:g} {cx:g} {cy:g})"' if turn else ""
    return f'<ellipse cx="{cx:g}" cy="{cy:g}" rx="{rx:g}" ry="{ry:g}"{rotate}/>'


def _path(data: str) -> str:
    return f'<path d="{data}"/>'


# --------------------------------------------------------------------------- the feet

# A right sole seen from below, toes up: the big toe is on the right.
_SOLE_OUTLINE = (
    "M100 372 C72 372 58 352 58 322 C58 290 62 262 60 232 C58 200 50 170 46 140 "
    "C43 118 46 104 56 98 C80 86 120 76 150 70 C166 67 176 72 178 88 "
    "C181 112 176 138 166 160 C152 190 138 214 136 246 C134 280 142 300 142 322 "
    "C142 352 128 372 100 372 Z"
)
_SOLE_TOES: Toes = {
    "big-toe": (157, 47, 19, 27, 6),
    "second-toe": (122, 57, 11, 19, 3),
    "third-toe": (100, 66, 10, 16, 0),
    "fourth-toe": (80, 77, 9, 14, -6),
    "little-toe": (63, 88, 8, 11, -14),
}
_SOLE_LATERAL = "M60 322 C58 290 62 262 60 232 C58 200 50 170 46 140 C43 118 46 104 56 98"
_SOLE_MEDIAL = "M178 88 C181 112 176 138 166 160 C152 190 138 214 136 246 C134 280 142 300 142 322"
_SOLE_TOE_LINE = "M56 98 C80 86 120 76 150 70 C166 67 176 72 178 88"


def _toe_shapes(toes: Toes) -> tuple[Shape, ...]:
    return tuple(
        Shape(slug, "area", _ellipse(cx, cy, rx, ry, turn), clipped=False)
        for slug, (cx, cy, rx, ry, turn) in toes.items()
    )


def _toes_under(toes: Toes) -> str:
    return "".join(_ellipse(cx, cy, rx, ry, turn) for cx, cy, rx, ry, turn in toes.values())


_SOLE_DETAILS = (
    # creases under the toes and across the heel pad
    '<path d="M74 104 C98 96 126 88 160 86"/><path d="M84 300 C96 296 112 296 124 300"/>'
)

_SOLE = View(
    200,
    380,
    _SOLE_OUTLINE,
    _toes_under(_SOLE_TOES),
    _SOLE_DETAILS,
    (
        Shape("ball", "area", _ellipse(112, 122, 74, 30)),
        Shape("arch", "area", _ellipse(132, 214, 28, 54)),
        Shape("heel", "area", _ellipse(100, 338, 52, 44)),
        Shape("toe-bases", "band", _path(_SOLE_TOE_LINE)),
        Shape("outer-edge", "band", _path(_SOLE_LATERAL)),
        Shape("inner-edge", "band", _path(_SOLE_MEDIAL)),
        *_toe_shapes(_SOLE_TOES),
    ),
)

# The reflex map is drawn on the same sole, with the traditional zones as its shapes.
_REFLEX = replace(
    _SOLE,
    shapes=(
        Shape("reflex-reproductive", "area", _ellipse(100, 334, 20, 18)),
        Shape("reflex-sleep", "area", _ellipse(134, 188, 10, 10)),
        Shape("reflex-kidneys", "area", _ellipse(110, 214, 13, 16)),
        Shape("reflex-liver", "area", _ellipse(79, 192, 15, 19)),
        Shape("reflex-heart", "area", _ellipse(120, 148, 21, 13)),
        Shape("reflex-bronchi", "area", _ellipse(60, 142, 10, 26, -8)),
        Shape("reflex-eyes", "area", _ellipse(111, 90, 20, 6, -12)),
        Shape(
            "reflex-outer-side",
            "band",
            _path("M100 372 C72 372 58 352 58 322 C58 290 62 262 60 232"),
        ),
        Shape(
            "reflex-sinuses",
            "area",
            _ellipse(157, 29, 9, 7)
            + _ellipse(122, 44, 6, 6)
            + _ellipse(100, 55, 5, 5)
            + _ellipse(80, 68, 5, 5)
            + _ellipse(63, 81, 4, 4),
            clipped=False,
        ),
        Shape("reflex-pituitary", "area", _ellipse(156, 50, 6, 6), clipped=False),
    ),
)

# A right foot seen from above, toes up: the big toe is on the left; the leg is cut at the top
# of the ankle.
_TOP_OUTLINE = (
    "M22 88 C20 112 24 140 34 165 C44 195 56 225 62 262 C66 290 60 320 62 380 "
    "L138 380 C140 330 142 300 146 270 C150 240 150 200 154 140 "
    "C157 118 154 104 144 98 C120 86 80 76 50 70 C34 67 24 72 22 88 Z"
)
_TOP_TOES: Toes = {
    "big-toe": (43, 47, 19, 27, -6),
    "second-toe": (78, 57, 11, 19, -3),
    "third-toe": (100, 66, 10, 16, 0),
    "fourth-toe": (120, 77, 9, 14, 6),
    "little-toe": (137, 88, 8, 11, 14),
}


def _nails(toes: Toes) -> str:
    return "".join(
        _ellipse(cx, cy - ry * 0.45, rx * 0.55, ry * 0.35, turn)
        for cx, cy, rx, ry, turn in toes.values()
    )


_TOP = View(
    200,
    380,
    _TOP_OUTLINE,
    _toes_under(_TOP_TOES),
    # tendons fanning to the toes, and the crease at the front of the ankle
    '<path d="M96 290 C90 220 70 150 48 86"/><path d="M100 290 C102 210 110 150 120 100"/>'
    '<path d="M68 300 C90 290 116 290 140 298"/>'
    # the two ankle bones
    + _ellipse(70, 318, 9, 11)
    + _ellipse(132, 330, 9, 11),
    (
        Shape("foot-top", "area", _ellipse(96, 180, 56, 92)),
        Shape("inner-edge", "band", _path("M22 88 C20 112 24 140 34 165 C44 195 56 225 62 262")),
        Shape(
            "outer-edge", "band", _path("M146 270 C150 240 150 200 154 140 C157 118 154 104 144 98")
        ),
        Shape("inner-ankle", "area", _ellipse(70, 318, 11, 13), clipped=False),
        Shape("outer-ankle", "area", _ellipse(132, 330, 11, 13), clipped=False),
        *_toe_shapes(_TOP_TOES),
    ),
    over=f'<g fill="#fbeee4" stroke="{DETAIL}" stroke-width="1">{_nails(_TOP_TOES)}</g>',
)

# --------------------------------------------------------------------------- the leg

_LEG_WIDTH = 180
# The right leg seen from the front: its outer side is on the left, the foot points at us.
_LEG_OUTLINE = (
    "M36 20 C28 70 32 130 50 186 C54 202 50 218 52 232 C42 262 44 306 60 348 "
    "C62 362 60 372 58 382 C48 396 40 414 50 426 C66 434 104 434 118 426 "
    "C126 414 116 396 104 382 C100 372 100 362 102 348 C112 304 114 266 106 234 "
    "C104 220 104 204 110 186 C124 130 132 70 130 20 C100 14 66 14 36 20 Z"
)
_LEG_OUTER_THIGH = "M36 20 C28 70 32 130 50 186"
_LEG_INNER_THIGH = "M110 186 C124 130 132 70 130 20"
_UPPER_INNER_THIGH = "M98 18 L132 18 C132 50 130 78 126 104 L104 104 Z"
_LEG_FRONT_DETAILS = (
    '<path d="M62 200 C70 188 92 188 100 200 C102 214 94 226 80 228 C66 226 60 214 62 200 Z"/>'
    '<path d="M84 240 C88 280 88 320 86 360"/>'
)
_LEG_FRONT = View(
    _LEG_WIDTH,
    440,
    _LEG_OUTLINE,
    "",
    _LEG_FRONT_DETAILS,
    (
        Shape("thigh-front", "area", _ellipse(80, 104, 30, 76)),
        Shape("thigh-outer", "band", _path(_LEG_OUTER_THIGH)),
        Shape("thigh-inner", "band", _path(_LEG_INNER_THIGH)),
        Shape("knee-front", "area", _ellipse(81, 208, 24, 22)),
        Shape("shin", "area", _ellipse(84, 302, 15, 60)),
        Shape("outer-ankle", "area", _ellipse(63, 378, 9, 9), clipped=False),
        Shape("inner-ankle", "area", _ellipse(98, 370, 9, 9), clipped=False),
        Shape("foot-top", "area", _ellipse(84, 412, 36, 20)),
    ),
    (_UPPER_INNER_THIGH,),
    # the toes point at us, the big toe on the inner side
    over=f'<g fill="{SKIN}" stroke="{OUTLINE}" stroke-width="1.5">'
    + _ellipse(59, 428, 4.5, 5)
    + _ellipse(69, 430, 5, 5.5)
    + _ellipse(80, 431, 5.5, 6)
    + _ellipse(92, 431, 6, 6)
    + _ellipse(106, 429, 8, 7)
    + "</g>",
)

# From the back the same leg is seen mirrored: its inner side is on the left.
_BACK_OUTLINE = _mirror_path(_LEG_OUTLINE, _LEG_WIDTH)
_LEG_BACK = View(
    _LEG_WIDTH,
    440,
    _BACK_OUTLINE,
    "",
    # the crease behind the knee, the two heads of the calf muscle, the tendon to the heel
    '<path d="M80 214 C92 219 108 219 120 214"/>'
    '<path d="M97 236 C84 256 82 300 95 334"/><path d="M101 236 C114 256 116 300 103 334"/>'
    '<path d="M96 344 L97 394"/><path d="M102 344 L101 394"/>',
    (
        Shape("thigh-back", "area", _ellipse(100, 104, 30, 76)),
        Shape("thigh-outer", "band", _path(_mirror_path(_LEG_OUTER_THIGH, _LEG_WIDTH))),
        Shape("thigh-inner", "band", _path(_mirror_path(_LEG_INNER_THIGH, _LEG_WIDTH))),
        Shape("knee-back", "area", _ellipse(99, 208, 22, 17)),
        Shape("calf", "area", _ellipse(97, 286, 34, 56)),
        Shape("achilles", "area", '<rect x="88" y="340" width="18" height="52" rx="8"/>'),
        Shape("heel", "area", _ellipse(96, 416, 28, 20)),
    ),
    (
        "M77 208 C77 194 121 194 121 208 C121 222 77 222 77 208 Z",  # the hollow behind the knee
        _mirror_path(_UPPER_INNER_THIGH, _LEG_WIDTH),
        _mirror_path(_LEG_INNER_THIGH, _LEG_WIDTH),
    ),
)

VIEWS: dict[str, View] = {
    SOLE: _SOLE,
    TOP: _TOP,
    REFLEX: _REFLEX,
    LEG_FRONT: _LEG_FRONT,
    LEG_BACK: _LEG_BACK,
}


def choose_pictures(slugs: Iterable[str]) -> tuple[str, ...]:
    """The fewest views that show every zone named (greedy), in the guide's order."""
    wanted = set(expand(slugs))
    drawn = {name: {shape.zone for shape in view.shapes} for name, view in VIEWS.items()}
    chosen: list[str] = []
    while wanted:
        best = max(VIEWS, key=lambda name: (len(drawn[name] & wanted), -list(VIEWS).index(name)))
        if not drawn[best] & wanted:
            break
        chosen.append(best)
        wanted -= drawn[best]
    order = list(VIEWS)
    return tuple(sorted(chosen, key=order.index))


def render_picture(
    name: str,
    *,
    on: Iterable[str] = (),
    prefix: str,
    mirrored: bool = False,
    label: str = "",
) -> str:
    """One view as inline SVG; ``on`` zones (groups allowed) are highlighted.

    ``prefix`` makes the ids in this SVG unique on a page that shows many pictures.
    """
    view = VIEWS[name]
    lit = set(expand(on))
    clip = f"{prefix}-clip"
    hatch = f"{prefix}-hatch"
    parts = [
        f'<svg class="picture" data-picture="{name}" viewBox="0 0 {view.width} '
        f'{view.height}" role="img" aria-label="{label}" xmlns="http://www.w3.org/2000/svg">',
        f'<defs><clipPath id="{clip}"><path d="{view.silhouette}"/></clipPath>',
        f'<pattern id="{hatch}" width="6" height="6" patternUnits="userSpaceOnUse" '
        f'patternTransform="rotate(45)"><line x1="0" y1="0" x2="0" y2="6" '
        f'stroke="{STROKE_ONLY}" stroke-width="2"/></pattern></defs>',
    ]
    flip = f' transform="translate({view.width} 0) scale(-1 1)"' if mirrored else ""
    parts.append(f"<g{flip}>")
    if view.under:
        parts.append(f'<g fill="{SKIN}" stroke="{OUTLINE}" stroke-width="2">{view.under}</g>')
    parts.append(
        f'<path d="{view.silhouette}" fill="{SKIN}" stroke="{OUTLINE}" stroke-width="2.5" '
        'stroke-linejoin="round"/>'
    )
    parts.append(view.over)
    parts.append(
        f'<g fill="none" stroke="{DETAIL}" stroke-width="1.5" stroke-linecap="round">'
        f"{view.details}</g>"
    )
    for shape in view.shapes:
        is_on = shape.zone in lit
        state = "zone on" if is_on else "zone"
        if shape.kind == "band":
            paint = (
                f'fill="none" stroke="{HIGHLIGHT if is_on else "none"}" stroke-width="22" '
                'stroke-linecap="round" stroke-opacity="0.7"'
            )
        elif is_on or name != REFLEX:
            paint = f'fill="{HIGHLIGHT if is_on else "none"}" fill-opacity="0.7" stroke="none"'
        else:  # the reflex map outlines every zone, so the lit one is seen among the rest
            paint = (
                f'fill="none" fill-opacity="0.7" stroke="{DETAIL}" stroke-width="1" '
                'stroke-dasharray="3 2"'
            )
        clipping = f' clip-path="url(#{clip})"' if shape.clipped else ""
        parts.append(
            f'<g class="{state} {shape.kind}" data-zone="{shape.zone}"{clipping} {paint}>'
            f"{shape.markup}</g>"
        )
    for data in view.stroke_only:
        closed = data.rstrip().endswith("Z")
        paint = f'fill="url(#{hatch})"' if closed else 'fill="none"'
        parts.append(
            f'<path class="stroke-only" d="{data}" {paint} stroke="{STROKE_ONLY}" '
            f'stroke-width="1.5" stroke-dasharray="4 3" clip-path="url(#{clip})"/>'
        )
    parts.append("</g></svg>")
    return "".join(parts)


def has_stroke_only(name: str) -> bool:
    """Whether a view marks places to stroke only (the guide then explains the hatching)."""
    return bool(VIEWS[name].stroke_only)


assert all(shape.zone in ZONES for view in VIEWS.values() for shape in view.shapes)
