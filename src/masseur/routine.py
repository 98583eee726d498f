"""The routine format: typed records, and a strict loader that explains every mistake.

A routine file is YAML read with the safe loader only. Every problem is reported as
``path:line:column: message`` so editors and terminals can jump straight to it. The
records say what each key holds (masseur.typed_yaml); the same declarations check a
file and give the JSON Schema that ``masseur schema`` prints.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from masseur.durations import DURATION_HELP, parse_duration_ms
from masseur.errors import BadInput
from masseur.files import decode_text, read_regular_file
from masseur.speech.base import MAX_RATE, MIN_RATE
from masseur.typed_yaml import (
    EMPTY,
    Choice,
    Converted,
    Flag,
    ListOf,
    Location,
    Number,
    Pattern,
    Problem,
    Record,
    Text,
    Whole,
    read_record,
    record_schema,
    spec,
)
from masseur.yaml_reader import LoadProblem, Mark, PositionIndex, parse_yaml
from masseur.zones import ZONE_SLUGS, check_zone

MAX_FILE_BYTES = 512 * 1024

CHIMES = ("step", "phase", "side", "end", "soft")
"""Chime sounds shipped in ``sounds/`` (``<name>.wav``). ``none`` silences a step's chime."""

SLUG_PATTERN = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"

DURATION = Converted(
    parse_duration_ms,
    {
        "anyOf": [
            {"type": "number", "exclusiveMinimum": 0},
            {
                "type": "string",
                "pattern": r"^\s*(\d+(\.\d+)?\s*h)?\s*(\d+(\.\d+)?\s*m(in)?)?"
                r"\s*(\d+(\.\d+)?\s*s(ec)?)?\s*$",
            },
        ],
        "description": f"Seconds, or a duration such as 90s, 2m, 1m30s ({DURATION_HELP}).",
    },
)
TEXT = Text()
SLUG = Pattern(SLUG_PATTERN, max_length=64, example="foot-classic")
SIDES = ListOf(Choice("left", "right"), min_length=1)
Side = Literal["left", "right"]
ZONES = ListOf(
    Converted(check_zone, {"type": "string", "enum": list(ZONE_SLUGS)}),
    min_length=1,
    description="Where on the foot or leg (see the zones in README.md).",
)


@dataclass(frozen=True, kw_only=True)
class Cue:
    """A spoken reminder ``at`` a time after its step starts."""

    at: int = spec(DURATION, "When, from the start of the step.")
    say: str = spec(TEXT, "What is spoken.")
    zones: list[str] | None = spec(ZONES, default=None)


@dataclass(frozen=True, kw_only=True)
class Step:
    """One timed instruction."""

    name: str | None = spec(SLUG, "Optional id, unique in the routine.", default=None)
    title: str | None = spec(TEXT, "Short heading shown on screen.", default=None)
    say: str = spec(TEXT, "Spoken when the step starts.")
    duration: int = spec(DURATION, "How long the step lasts (per side, per repeat).")
    sides: list[Side] | None = spec(SIDES, "Run once per side, with a spoken switch.", default=None)
    repeat: int = spec(Whole(ge=1, le=100), "Run the step this many times.", default=1)
    cues: list[Cue] = spec(
        ListOf(Record(Cue)), "Spoken reminders in the step.", default_factory=list
    )
    chime: str | None = spec(
        Choice(*CHIMES, "none"),
        "Sound that marks the start (default: phase or step chime).",
        default=None,
    )
    zones: list[str] | None = spec(ZONES, default=None)
    general: bool = spec(
        Flag(),
        "Works no one place (warming the hands, breathing): needs no zones.",
        default=False,
    )

    @property
    def heading(self) -> str:
        """The title, or the first sentence of what is said."""
        if self.title:
            return self.title
        first = re.split(r"(?<=[.!?])\s", self.say, maxsplit=1)[0]
        return first if len(first) <= 60 else first[:57].rstrip() + "..."

    @property
    def runs(self) -> int:
        """How many times the step's duration is played out (sides times repeats)."""
        return len(self.sides or [None]) * self.repeat

    @property
    def total_ms(self) -> int:
        return self.duration * self.runs


@dataclass(frozen=True, kw_only=True)
class Phase:
    """A named group of steps (warm-up, toes, closing strokes...)."""

    name: str = spec(SLUG)
    title: str | None = spec(TEXT, default=None)
    sides: list[Side] | None = spec(
        SIDES,
        (
            "Run the whole phase on each side in turn, with one spoken switch between the "
            "passes. A step's own 'sides' then names the passes it takes part in."
        ),
        default=None,
    )
    steps: list[Step] = spec(ListOf(Record(Step), min_length=1))

    @property
    def heading(self) -> str:
        return self.title or self.name.replace("-", " ").capitalize()

    def step_sides(self, step: Step) -> list[Side] | None:
        """The sides ``step`` is worked on, one after another, within its phase."""
        if self.sides is None:
            return step.sides
        return [side for side in self.sides if step.sides is None or side in step.sides]

    def step_ms(self, step: Step) -> int:
        """How long ``step`` takes in this phase, over all its sides and repeats."""
        return step.duration * step.repeat * len(self.step_sides(step) or [None])


@dataclass(frozen=True, kw_only=True)
class Voice:
    """How the routine is spoken, unless the settings say otherwise."""

    rate: int | None = spec(Whole(ge=MIN_RATE, le=MAX_RATE), "Words per minute.", default=None)
    voice: str | None = spec(TEXT, "A voice id or a language code.", default=None)
    volume: float | None = spec(Number(ge=0, le=1), default=None)


@dataclass(frozen=True, kw_only=True)
class SideNames:
    """How the sides are spoken."""

    left: str = spec(TEXT)
    right: str = spec(TEXT)


@dataclass(frozen=True, kw_only=True)
class Routine:
    """A whole session."""

    name: str = spec(SLUG, "Lowercase id, e.g. foot-self-massage.")
    title: str = spec(TEXT)
    description: str = spec(TEXT)
    language: str = spec(Pattern(r"^[a-z]{2,3}(-[A-Za-z0-9]+)*$", example="en"), default="en")
    voice: Voice = spec(Record(Voice), default_factory=Voice)
    chime_volume: float | None = spec(Number(ge=0, le=1), default=None)
    side_names: SideNames | None = spec(
        Record(SideNames),
        "How the sides are spoken (default: left foot / right foot).",
        default=None,
    )
    given_to: Literal["self", "other"] = spec(
        Choice("self", "other"),
        (
            "Who is massaged: 'other' when the narration guides someone massaging another "
            "person (a child, a partner), so the safety words speak of that person."
        ),
        default="self",
    )
    contraindications: list[str] = spec(ListOf(TEXT), default_factory=list)
    preparation: list[str] = spec(ListOf(TEXT), default_factory=list)
    notes: list[str] = spec(ListOf(TEXT), "Extra advice shown by show.", default_factory=list)
    intro: str | None = spec(TEXT, "Spoken after the title, before step one.", default=None)
    outro: str | None = spec(TEXT, "Spoken when the session ends.", default=None)
    phases: list[Phase] | None = spec(ListOf(Record(Phase), min_length=1), default=None)
    steps: list[Step] | None = spec(ListOf(Record(Step), min_length=1), default=None)

    @property
    def all_phases(self) -> list[Phase]:
        """The phases; a routine written with plain ``steps`` has one unnamed phase."""
        if self.phases is not None:
            return self.phases
        return [Phase(name="main", title=self.title, steps=self.steps or [])]

    def iter_steps(self) -> Iterator[tuple[Phase, Step]]:
        for phase in self.all_phases:
            for step in phase.steps:
                yield phase, step

    @property
    def step_count(self) -> int:
        return sum(len(phase.steps) for phase in self.all_phases)

    @property
    def steps_ms(self) -> int:
        """The time the steps take, without the spoken introduction and ending."""
        return sum(phase.step_ms(step) for phase, step in self.iter_steps())


@dataclass(frozen=True)
class LoadedRoutine:
    routine: Routine
    path: Path
    builtin: bool = False


# --------------------------------------------------------------------------- loading


def _describe(problem: Problem, index: PositionIndex) -> tuple[Mark, str]:
    """Where a problem is shown (the key itself for an unknown one, the mapping that lacks a
    required one) and its message, naming the key it is about."""
    if problem.kind == "unknown":
        return index.key(problem.loc), problem.message
    if problem.kind == "missing":
        return index.value(problem.loc[:-1]), problem.message
    field = next((str(part) for part in reversed(problem.loc) if isinstance(part, str)), "")
    message = problem.message
    if message == EMPTY and field:
        message = f"'{field}' must not be empty"
    elif field and not message.startswith(f"'{field}'"):
        message = f"{field}: {message}"
    return index.value(problem.loc), message


def _semantic_problems(routine: Routine) -> Iterator[tuple[Location, str]]:
    """Mistakes that types alone cannot catch, with where they are."""
    if (routine.phases is None) == (routine.steps is None):
        both = routine.phases is not None
        yield (
            (),
            (
                "give either 'steps' or 'phases', not both"
                if both
                else "the routine has no steps; add a 'steps' list (or 'phases')"
            ),
        )
        return
    phase_names: dict[str, int] = {}
    step_names: dict[str, Location] = {}
    for p_index, phase in enumerate(routine.all_phases):
        base: Location = ("phases", p_index) if routine.phases is not None else ()
        if routine.phases is not None:
            if phase.name in phase_names:
                yield (
                    (*base, "name"),
                    (
                        f"duplicate phase name '{phase.name}' "
                        f"(also phase {phase_names[phase.name] + 1})"
                    ),
                )
            phase_names.setdefault(phase.name, p_index)
        if phase.sides is not None and len(set(phase.sides)) != len(phase.sides):
            yield (*base, "sides"), "each side may appear only once in 'sides'"
        for s_index, step in enumerate(phase.steps):
            where: Location = (*base, "steps", s_index)
            if step.name is not None:
                if step.name in step_names:
                    yield (*where, "name"), f"duplicate step name '{step.name}'"
                step_names.setdefault(step.name, where)
            if step.general and step.zones:
                yield (*where, "general"), "a general step names no zones; drop one of the two"
            if step.sides is not None and len(set(step.sides)) != len(step.sides):
                yield (*where, "sides"), "each side may appear only once in 'sides'"
            elif phase.sides is not None and step.sides is not None:
                outside = [side for side in step.sides if side not in phase.sides]
                if outside:
                    yield (
                        (*where, "sides"),
                        (
                            f"side '{outside[0]}' is not one of its phase's sides "
                            f"({', '.join(phase.sides)}); in a phase with 'sides' a step "
                            "lists the passes it takes part in"
                        ),
                    )
            for c_index, cue in enumerate(step.cues):
                if cue.at >= step.duration:
                    yield (
                        (*where, "cues", c_index, "at"),
                        (
                            f"cue at {cue.at / 1000:g}s is not inside its step, which lasts "
                            f"{step.duration / 1000:g}s; move it earlier or lengthen the step"
                        ),
                    )
    from masseur.limits import session_size_problem

    too_big = session_size_problem(routine)
    if too_big is not None:
        yield ("phases" if routine.phases is not None else "steps",), too_big


def parse_routine(text: str, source: str = "<routine>") -> Routine:
    """Parse routine YAML text; raise BadInput with ``source:line:col: message``."""
    try:
        data, index = parse_yaml(text)
    except LoadProblem as problem:
        raise BadInput(
            problem.message, location=f"{source}:{problem.mark.line}:{problem.mark.column}"
        ) from None
    if not isinstance(data, dict):
        kind = type(data).__name__ if data is not None else "nothing"
        raise BadInput(
            f"a routine must be a mapping of keys (name, title, steps...), found {kind}",
            location=f"{source}:1:1",
        )
    routine, problems = read_record(Routine, data)
    if routine is None:
        if any(problem.kind == "unknown" for problem in problems):
            # A misspelt key also shows up as a missing one; report only the misspelling.
            problems = [problem for problem in problems if problem.kind != "missing"]
        described = [_describe(problem, index) for problem in problems]
        described.sort(
            key=lambda item: (item[1].startswith("missing"), item[0].line, item[0].column)
        )
        mark, message = described[0]
        extra = f" (and {len(described) - 1} more)" if len(described) > 1 else ""
        raise BadInput(message + extra, location=f"{source}:{mark.line}:{mark.column}")
    for loc, message in _semantic_problems(routine):
        mark = index.value(loc)
        raise BadInput(message, location=f"{source}:{mark.line}:{mark.column}")
    return routine


def read_routine_text(path: Path) -> str:
    """The text of a routine file: a regular file, at most MAX_FILE_BYTES, in UTF-8."""
    source = str(path)
    try:
        raw = read_regular_file(path, MAX_FILE_BYTES)
    except FileNotFoundError:
        raise BadInput("no such file", location=source) from None
    except IsADirectoryError:
        raise BadInput("is a folder, not a routine file", location=source) from None
    except OSError as exc:
        raise BadInput(f"cannot read: {exc.strerror}", location=source) from None
    if len(raw) > MAX_FILE_BYTES:
        raise BadInput(
            f"file is larger than {MAX_FILE_BYTES // 1024} KiB; a routine file should be small",
            location=f"{source}:1:1",
        )
    return decode_text(raw, source)


def load_routine(path: Path) -> Routine:
    """Read and validate a routine file."""
    return parse_routine(read_routine_text(path), str(path))


def json_schema() -> dict[str, Any]:
    """The routine format as JSON Schema, for editors that autocomplete YAML."""
    defs: dict[str, Any] = {}
    schema = record_schema(Routine, defs)
    schema["$defs"] = dict(sorted(defs.items()))
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "masseur routine"
    return schema
