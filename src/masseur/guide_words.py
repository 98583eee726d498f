"""The words the visual guide (HTML and PDF), the chapter marks of audio exports and the
zone lines of the screens show, in each language a routine can use."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class GuideWords:
    """What the visual guide (HTML and PDF) and the zone lines of the screens say."""

    session_length: str  # "{length}" is replaced by M:SS
    contraindications: str
    no_contraindications: str
    have_ready: str
    notes: str
    timeline: str
    timeline_help: str
    steps: str
    listen: str
    listen_help: str
    now_playing: str
    introduction: str
    ending: str
    where: str
    general: str
    each_side: str  # "{each}" and "{sides}"
    round_of: str  # "{n}" and "{of}"
    in_all: str  # "{total}"
    stroke_only: str
    sole: str
    top: str
    reflex: str
    leg_front: str
    leg_back: str
    left_short: str
    right_short: str
    footer: str


GUIDE_ENGLISH = GuideWords(
    session_length="The session lasts {length}.",
    contraindications="Do not do this massage if",
    no_contraindications="This routine lists no contraindications.",
    have_ready="Have ready",
    notes="Notes",
    timeline="Timeline",
    timeline_help="One bar per timed part, coloured by phase; L and R mark the side.",
    steps="Steps",
    listen="Listen",
    listen_help="Tap a step to jump there. The step and sentence being spoken are highlighted.",
    now_playing="Now",
    introduction="Introduction",
    ending="Ending",
    where="Where",
    general="No particular place.",
    each_side="{each} each side ({sides})",
    round_of="round {n} of {of}",
    in_all="{total} in all",
    stroke_only="stroke only, do not press",
    sole="Sole",
    top="Top of the foot",
    reflex="Reflex zones of the sole",
    leg_front="Leg from the front",
    leg_back="Leg from the back",
    left_short="L",
    right_short="R",
    footer="Made with masseur. Wellness guidance, not medicine.",
)

GUIDE_RUSSIAN = GuideWords(
    session_length="Сеанс длится {length}.",
    contraindications="Не делайте этот массаж, если",
    no_contraindications="У этой программы не указано противопоказаний.",
    have_ready="Приготовьте",
    notes="Заметки",
    timeline="Ход сеанса",
    timeline_help="Полоса на каждую часть по времени, цвет по разделу; Л и П отмечают сторону.",
    steps="Шаги",
    listen="Слушать",
    listen_help="Нажмите на шаг, чтобы перейти к нему. Текущий шаг и фраза подсвечены.",
    now_playing="Сейчас",
    introduction="Вступление",
    ending="Завершение",
    where="Где",
    general="Без определённого места.",
    each_side="{each} на каждую сторону ({sides})",
    round_of="круг {n} из {of}",
    in_all="всего {total}",
    stroke_only="только поглаживать, не давить",
    sole="Подошва",
    top="Тыльная сторона стопы",
    reflex="Рефлекторные зоны подошвы",
    leg_front="Нога спереди",
    leg_back="Нога сзади",
    left_short="Л",
    right_short="П",
    footer="Сделано в masseur. Оздоровительные советы, не медицина.",
)


def guide_words(language: str) -> GuideWords:
    """The guide's words for a language code; English otherwise."""
    return GUIDE_RUSSIAN if language.split("-")[0].lower() == "ru" else GUIDE_ENGLISH
