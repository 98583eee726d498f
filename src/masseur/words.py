"""masseur's own words on screen, in prompts, summaries and guides: one table per language.

The sentences masseur speaks are in :mod:`masseur.phrases`; these are the words it shows.
English and Russian are complete; any other language falls back to English word by word.
Counted nouns carry their plural forms ("1 step", "4 steps"; "1 шаг", "2 шага", "5 шагов").
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from masseur.durations import format_duration
from masseur.phrases import russian_plural

if TYPE_CHECKING:
    from masseur.timeline import Timeline

# Each counted noun: English (one, many); Russian (one, few, many).
_EN_NOUNS: dict[str, tuple[str, ...]] = {
    "step": ("step", "steps"),
    "part": ("timed part", "timed parts"),
    "minute": ("minute", "minutes"),
    "second": ("second", "seconds"),
    "sentence": ("sentence", "sentences"),
    "session": ("session", "sessions"),
    "routine": ("routine", "routines"),
    "time": ("time", "times"),
}
_RU_NOUNS: dict[str, tuple[str, ...]] = {
    "step": ("шаг", "шага", "шагов"),
    "part": ("отрезок", "отрезка", "отрезков"),
    "minute": ("минута", "минуты", "минут"),
    "second": ("секунда", "секунды", "секунд"),
    "sentence": ("фраза", "фразы", "фраз"),
    "session": ("сеанс", "сеанса", "сеансов"),
    "routine": ("комплекс", "комплекса", "комплексов"),
    "time": ("раз", "раза", "раз"),
}

ENGLISH: dict[str, str] = {
    # safety screen and prompt
    "do_not": "Do not do this massage if any of these applies to you:",
    "no_contraindications": (
        "This routine lists no contraindications. If you are unwell, injured or pregnant, "
        "ask a doctor first."
    ),
    "have_ready": "Have ready:",
    "prompt": "Start the session? [Y/n] ",
    "prompt_again": "Please answer y (start) or n (stop). ",
    "more": "-- Enter: more --",
    "stopped_before": "Stopped before the session. Take care.",
    # the live screen
    "step_of": "Step {step}/{steps}",
    "part_of": "part {part}/{parts}",
    "round_of": "round {round} of {rounds}",
    "introduction": "Introduction",
    "closing": "Closing",
    "left": "{clock} left",
    "next_at": "Next at {clock}: {what}",
    "ending_at": "Ending at {clock}",
    "paused": "PAUSED: press space to go on",
    "resumed": "resumed",
    "end": "end",
    "keys": "space pause/resume · n/→ next · b/← back · r repeat · q quit",
    "starting_in": "Starting in {seconds}…",
    # the summary after a session
    "outcome_finished": "Session finished after {time}",
    "outcome_skipped": "Session ended after {time} with every timed part skipped",
    "outcome_quit": "Session stopped after {time}",
    "outcome_interrupted": "Session interrupted after {time}",
    "outcome_terminated": "Session ended by a stop signal after {time}",
    "outcome_hung_up": "Session ended after {time}: the terminal was closed",
    "outcome_sound_lost": "Session stopped after {time}: the sound device went away",
    "done_of": "{done} of {parts} done",
    "skipped": "{count} skipped",
    "not_spoken": "{sentences} not spoken",
    "resume_hint": "Continue later with: masseur run --resume",
    # txt and md guides
    "at_rate": "at {rate} words per minute",
    "ending_heading": "ENDING",
    "end_of_session": "(end of the session)",
    "session_length": (
        "Session length: **{total}**, spoken at {rate} words per minute. "
        "Routine `{name}`, language `{language}`."
    ),
    "md_do_not": "Do not do this massage if",
    "md_no_contraindications": "This routine lists no contraindications.",
    "md_have_ready": "Have ready",
    "md_notes": "Notes",
    "md_steps": "Steps",
    "total": "Total",
    "steps_time": "{time} of steps",
    "each_side": "{each} each side ({names})",
    "side_then": " then ",
    "on_side": "{each} on the {side}",
    "each_time": "{each} each time",
    "in_all": "{what}: {total} in all",
    "cue_at": "at {clock}",
    "md_total": (
        "**Total: {total}**: {steps_time} of steps in {steps} ({parts}), "
        "the rest is the spoken introduction and ending."
    ),
}

RUSSIAN: dict[str, str] = {
    "do_not": "Не делайте этот массаж, если к вам относится хоть что-то из этого:",
    "no_contraindications": (
        "В этом комплексе не указаны противопоказания. Если вы больны, травмированы или "
        "беременны, сначала посоветуйтесь с врачом."
    ),
    "have_ready": "Приготовьте:",
    "prompt": "Начать сеанс? [Д/н] ",
    "prompt_again": "Ответьте д (начать) или н (остановиться). ",
    "more": "-- Enter: дальше --",
    "stopped_before": "Сеанс не начат. Берегите себя.",
    "step_of": "Шаг {step}/{steps}",
    "part_of": "отрезок {part}/{parts}",
    "round_of": "круг {round} из {rounds}",
    "introduction": "Вступление",
    "closing": "Завершение",
    "left": "осталось {clock}",
    "next_at": "Дальше в {clock}: {what}",
    "ending_at": "Завершение в {clock}",
    "paused": "ПАУЗА: нажмите пробел, чтобы продолжить",
    "resumed": "продолжаем",
    "end": "конец",
    "keys": "пробел пауза · n/→ дальше · b/← назад · r повтор · q выход",
    "starting_in": "Начинаем через {seconds}…",
    "outcome_finished": "Сеанс окончен через {time}",
    "outcome_skipped": "Сеанс завершён через {time}, все отрезки пропущены",
    "outcome_quit": "Сеанс остановлен через {time}",
    "outcome_interrupted": "Сеанс прерван через {time}",
    "outcome_terminated": "Сеанс завершён сигналом остановки через {time}",
    "outcome_hung_up": "Сеанс завершён через {time}: терминал закрыт",
    "outcome_sound_lost": "Сеанс остановлен через {time}: звуковое устройство пропало",
    "done_of": "отрезков выполнено: {done} из {total}",  # no noun after a number: no agreement
    "skipped": "пропущено: {count}",
    "not_spoken": "не прозвучало: {sentences}",
    "resume_hint": "Продолжить позже: masseur run --resume",
    "at_rate": "темп {rate} слов в минуту",
    "ending_heading": "ЗАВЕРШЕНИЕ",
    "end_of_session": "(конец сеанса)",
    "session_length": (
        "Длительность сеанса: **{total}**, темп речи {rate} слов в минуту. "
        "Комплекс `{name}`, язык `{language}`."
    ),
    "md_do_not": "Не делайте этот массаж, если",
    "md_no_contraindications": "В этом комплексе не указаны противопоказания.",
    "md_have_ready": "Приготовьте",
    "md_notes": "Заметки",
    "md_steps": "Шаги",
    "total": "Всего",
    "steps_time": "{time} на шаги",
    "each_side": "{each} на каждую сторону ({names})",
    "side_then": ", затем ",
    "on_side": "{each}: {side}",
    "each_time": "{each} каждый раз",
    "in_all": "{what}: всего {total}",
    "cue_at": "на {clock}",
    "md_total": (
        "**Всего: {total}**: {steps_time} на {steps} ({parts}), "
        "остальное время занимают вступление и завершение."
    ),
}


class Words:
    """The words for one language; keys missing from it come from English."""

    def __init__(self, language: str, table: dict[str, str], nouns: dict[str, tuple[str, ...]]):
        self.language = language
        self._table = table
        self._nouns = nouns

    def __call__(self, key: str, **values: object) -> str:
        return self._table.get(key, ENGLISH[key]).format(**values)

    def noun(self, count: int, noun: str) -> str:
        """The form of ``noun`` that goes with ``count`` ("step" or "steps")."""
        forms = self._nouns.get(noun)
        if forms is None:
            forms = _EN_NOUNS[noun]
        if len(forms) == 3:
            return russian_plural(count, *forms)
        return forms[0] if count == 1 else forms[1]

    def count(self, count: int, noun: str) -> str:
        """``count`` with its noun: "1 step", "4 steps", "5 шагов"."""
        return f"{count} {self.noun(count, noun)}"


_TABLES = {
    "en": Words("en", ENGLISH, _EN_NOUNS),
    "ru": Words("ru", RUSSIAN, _RU_NOUNS),
}


def words_for(language: str) -> Words:
    """The words for a language code such as ``en``, ``en-gb`` or ``ru``; English otherwise."""
    return _TABLES.get(language.split("-")[0].lower(), _TABLES["en"])


def totals_line(words: Words, timeline: Timeline) -> str:
    """The one way a session's length and size are given: "10m55s, 4 steps, 7 timed parts"."""
    return (
        f"{format_duration(timeline.total_ms)}, {words.count(timeline.step_count, 'step')}, "
        f"{words.count(len(timeline.segments), 'part')}"
    )
