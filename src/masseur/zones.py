"""The fixed vocabulary of places on the foot and leg that a routine step can name.

Each zone has a slug (what a routine writes in ``zones:``), its name in every language
masseur speaks, and the pictures of the visual guide it is drawn on. A few slugs are groups
(``toes``, ``sole``, ``thigh``...) that stand for several zones at once. Some places must
only be stroked, never pressed or kneaded: the guide marks them on the leg pictures.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from masseur.text import close_matches

SOLE = "sole"
TOP = "top"
REFLEX = "reflex"
LEG_FRONT = "leg-front"
LEG_BACK = "leg-back"
PICTURES = (SOLE, TOP, REFLEX, LEG_FRONT, LEG_BACK)
"""The guide's drawings, in the order a card shows them."""


@dataclass(frozen=True)
class Zone:
    slug: str
    en: str
    ru: str
    pictures: tuple[str, ...] = ()
    members: tuple[str, ...] = ()  # for a group: the zones it stands for
    stroke_only: bool = False  # a place to stroke lightly, never to press or knead

    def name(self, language: str) -> str:
        return self.ru if language.split("-")[0].lower() == "ru" else self.en


_TOE_NAMES = (
    ("big-toe", "big toe", "большой палец"),
    ("second-toe", "second toe", "второй палец"),
    ("third-toe", "third toe", "третий палец"),
    ("fourth-toe", "fourth toe", "четвёртый палец"),
    ("little-toe", "little toe", "мизинец"),
)

_ZONES: tuple[Zone, ...] = (
    # The sole and the foot
    Zone("heel", "heel", "пятка", (SOLE, LEG_BACK)),
    Zone("arch", "arch", "свод стопы", (SOLE,)),
    Zone("ball", "ball of the foot", "подушечка стопы", (SOLE,)),
    *(Zone(slug, en, ru, (SOLE, TOP)) for slug, en, ru in _TOE_NAMES),
    Zone("toe-bases", "bases of the toes", "основания пальцев", (SOLE,)),
    Zone("foot-top", "top of the foot", "тыльная сторона стопы", (TOP, LEG_FRONT)),
    Zone("inner-edge", "inner edge of the foot", "внутренний край стопы", (SOLE, TOP)),
    Zone("outer-edge", "outer edge of the foot", "внешний край стопы", (SOLE, TOP)),
    Zone("inner-ankle", "inner ankle bone", "внутренняя лодыжка", (TOP, LEG_FRONT)),
    Zone("outer-ankle", "outer ankle bone", "внешняя лодыжка", (TOP, LEG_FRONT)),
    Zone("achilles", "Achilles tendon", "ахиллово сухожилие", (LEG_BACK,)),
    # The leg
    Zone("shin", "shin", "голень спереди", (LEG_FRONT,)),
    Zone("calf", "calf", "икра", (LEG_BACK,)),
    Zone("knee-front", "front of the knee", "колено спереди", (LEG_FRONT,)),
    Zone(
        "knee-back",
        "hollow behind the knee",
        "подколенная ямка",
        (LEG_BACK,),
        stroke_only=True,
    ),
    Zone("thigh-front", "front of the thigh", "передняя сторона бедра", (LEG_FRONT,)),
    Zone("thigh-outer", "outer thigh", "внешняя сторона бедра", (LEG_FRONT, LEG_BACK)),
    Zone("thigh-back", "back of the thigh", "задняя сторона бедра", (LEG_BACK,)),
    Zone("thigh-inner", "inner thigh", "внутренняя сторона бедра", (LEG_FRONT, LEG_BACK)),
    # The reflex zones of the sole, as the traditional map places them
    Zone("reflex-reproductive", "reproductive zone", "зона половых органов", (REFLEX,)),
    Zone("reflex-sleep", "sleep point", "точка сна", (REFLEX,)),
    Zone(
        "reflex-kidneys",
        "kidney, stomach and adrenal zone",
        "зона почек, желудка и надпочечников",
        (REFLEX,),
    ),
    Zone("reflex-bronchi", "bronchi, throat and ear zone", "зона бронхов, горла и ушей", (REFLEX,)),
    Zone("reflex-sinuses", "sinus zones of the toe pads", "зоны пазух на пальцах", (REFLEX,)),
    Zone("reflex-pituitary", "pituitary point", "точка гипофиза", (REFLEX,)),
    Zone("reflex-heart", "heart zone", "зона сердца", (REFLEX,)),
    Zone("reflex-eyes", "eye zone", "зона глаз", (REFLEX,)),
    Zone("reflex-liver", "liver zone", "зона печени", (REFLEX,)),
    Zone(
        "reflex-outer-side",
        "Achilles and fallopian tube zone",
        "зона ахиллова сухожилия и маточных труб",
        (REFLEX,),
    ),
    # Groups
    Zone("toes", "toes", "пальцы ног", members=tuple(slug for slug, _, _ in _TOE_NAMES)),
    Zone(
        "sole",
        "whole sole",
        "вся подошва",
        members=("heel", "arch", "ball", "toe-bases", "inner-edge", "outer-edge"),
    ),
    Zone("ankle", "ankle", "щиколотка", members=("inner-ankle", "outer-ankle", "achilles")),
    Zone(
        "foot",
        "whole foot",
        "вся стопа",
        members=(
            "heel",
            "arch",
            "ball",
            "toe-bases",
            "foot-top",
            "inner-edge",
            "outer-edge",
            *(slug for slug, _, _ in _TOE_NAMES),
        ),
    ),
    Zone("lower-leg", "lower leg", "голень", members=("shin", "calf", "achilles")),
    Zone(
        "thigh",
        "whole thigh",
        "всё бедро",
        members=("thigh-front", "thigh-outer", "thigh-back", "thigh-inner"),
    ),
)

ZONES: dict[str, Zone] = {zone.slug: zone for zone in _ZONES}
"""Every zone a routine may name, groups included, by slug."""

ZONE_SLUGS: tuple[str, ...] = tuple(ZONES)


def check_zone(value: object) -> str:
    """A zone slug as written in a routine; ValueError with a suggestion when it is unknown."""
    if not isinstance(value, str):
        raise ValueError("a zone is a name such as heel, arch or calf")
    slug = value.strip().lower()
    if slug in ZONES:
        return slug
    close = close_matches(slug, ZONE_SLUGS)
    hint = f"did you mean '{close[0]}'?" if close else "masseur schema lists the zones"
    raise ValueError(f"unknown zone '{value}'; {hint}")


def expand(slugs: Iterable[str]) -> tuple[str, ...]:
    """The drawn zones that ``slugs`` stand for (groups opened up), in first-named order."""
    found: dict[str, None] = {}
    for slug in slugs:
        zone = ZONES[slug]
        for member in zone.members or (slug,):
            found.setdefault(member, None)
    return tuple(found)


def pictures_for(slugs: Iterable[str]) -> tuple[str, ...]:
    """The pictures that show at least one of the zones, in the guide's order."""
    wanted = {picture for slug in expand(slugs) for picture in ZONES[slug].pictures}
    return tuple(picture for picture in PICTURES if picture in wanted)


def describe(slugs: Iterable[str], language: str) -> str:
    """The zones in words, as the routine named them: "heel, arch"."""
    return ", ".join(ZONES[slug].name(language) for slug in slugs)
