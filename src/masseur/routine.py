"""The routine format: typed models, and a strict loader that explains every mistake.

A routine file is YAML read with the safe loader only. Every problem is reported as
``path:line:column: message`` so editors and terminals can jump straight to it.
"""

from __future__ import annotations

import difflib
import re
import types
import typing
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    WithJsonSchema,
)

from masseur.durations import DURATION_HELP, parse_duration_ms
from masseur.errors import BadInput
from masseur.files import decode_text, read_regular_file
from masseur.speech.base import MAX_RATE, MIN_RATE
from masseur.yaml_reader import LoadProblem, Location, Mark, PositionIndex, parse_yaml
from masseur.zones import ZONE_SLUGS, check_zone

MAX_FILE_BYTES = 512 * 1024

CHIMES = ("step", "phase", "side", "end", "soft")
"""Chime sounds shipped in ``sounds/`` (``<name>.wav``). ``none`` silences a step's chime."""

SLUG_PATTERN = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"

DurationMs = Annotated[
    int,
    BeforeValidator(parse_duration_ms),
    WithJsonSchema(
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
        }
    ),
]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
Slug = Annotated[str, StringConstraints(pattern=SLUG_PATTERN, max_length=64)]
Side = Literal["left", "right"]
ChimeName = Literal["step", "phase", "side", "end", "soft", "none"]
ZoneName = Annotated[str, BeforeValidator(check_zone), WithJsonSchema({"enum": list(ZONE_SLUGS)})]
Zones = Annotated[
    list[ZoneName],
    Field(min_length=1, description="Where on the foot or leg (see the zones in README.md)."),
]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Cue(_Model):
    """A spoken reminder ``at`` a time after its step starts."""

    at: DurationMs = Field(description="When, from the start of the step.")
    say: Text = Field(description="What is spoken.")
    zones: Zones | None = None


class Step(_Model):
    """One timed instruction."""

    name: Slug | None = Field(None, description="Optional id, unique in the routine.")
    title: Text | None = Field(None, description="Short heading shown on screen.")
    say: Text = Field(description="Spoken when the step starts.")
    duration: DurationMs = Field(description="How long the step lasts (per side, per repeat).")
    sides: list[Side] | None = Field(
        None, min_length=1, description="Run once per side, with a spoken switch."
    )
    repeat: int = Field(1, ge=1, le=100, description="Run the step this many times.")
    cues: list[Cue] = Field(default_factory=list, description="Spoken reminders in the step.")
    chime: ChimeName | None = Field(
        None, description="Sound that marks the start (default: phase or step chime)."
    )
    zones: Zones | None = None
    general: bool = Field(
        False, description="Works no one place (warming the hands, breathing): needs no zones."
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


class Phase(_Model):
    """A named group of steps (warm-up, toes, closing strokes...)."""

    name: Slug
    title: Text | None = None
    sides: list[Side] | None = Field(
        None,
        min_length=1,
        description=(
            "Run the whole phase on each side in turn, with one spoken switch between the "
            "passes. A step's own 'sides' then names the passes it takes part in."
        ),
    )
    steps: list[Step] = Field(min_length=1)

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


class Voice(_Model):
    rate: int | None = Field(None, ge=MIN_RATE, le=MAX_RATE, description="Words per minute.")
    voice: Text | None = Field(None, description="A voice id or a language code.")
    volume: float | None = Field(None, ge=0, le=1)


class SideNames(_Model):
    left: Text
    right: Text


class Routine(_Model):
    """A whole session."""

    name: Slug = Field(description="Lowercase id, e.g. foot-self-massage.")
    title: Text
    description: Text
    language: Annotated[str, StringConstraints(pattern=r"^[a-z]{2,3}(-[A-Za-z0-9]+)*$")] = "en"
    voice: Voice = Field(default_factory=Voice)
    chime_volume: float | None = Field(None, ge=0, le=1)
    side_names: SideNames | None = Field(
        None, description="How the sides are spoken (default: left foot / right foot)."
    )
    given_to: Literal["self", "other"] = Field(
        "self",
        description=(
            "Who is massaged: 'other' when the narration guides someone massaging another "
            "person (a child, a partner), so the safety words speak of that person."
        ),
    )
    contraindications: list[Text] = Field(default_factory=list)
    preparation: list[Text] = Field(default_factory=list)
    notes: list[Text] = Field(default_factory=list, description="Extra advice shown by show.")
    intro: Text | None = Field(None, description="Spoken after the title, before step one.")
    outro: Text | None = Field(None, description="Spoken when the session ends.")
    phases: list[Phase] | None = Field(None, min_length=1)
    steps: list[Step] | None = Field(None, min_length=1)

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


def _unwrap_model(annotation: Any) -> type[BaseModel] | None:
    """Find the model class inside ``Foo``, ``Foo | None`` or ``list[Foo]``."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType, list, typing.Annotated):
        for arg in typing.get_args(annotation):
            found = _unwrap_model(arg)
            if found is not None:
                return found
    return None


def _model_at(loc: Location) -> type[BaseModel] | None:
    model: type[BaseModel] | None = Routine
    for part in loc:
        if model is None:
            return None
        if isinstance(part, int):
            continue
        field = model.model_fields.get(part)
        if field is None:
            return None
        model = _unwrap_model(field.annotation)
    return model


def _describe_validation_error(error: Any, index: PositionIndex) -> tuple[Mark, str]:
    loc: Location = tuple(error["loc"])
    kind = error["type"]
    name = loc[-1] if loc else ""
    if kind == "extra_forbidden":
        parent = _model_at(loc[:-1])
        allowed = sorted(parent.model_fields) if parent else []
        close = difflib.get_close_matches(str(name), allowed, n=1, cutoff=0.6)
        hint = f"did you mean '{close[0]}'?" if close else f"allowed keys: {', '.join(allowed)}"
        return index.key(loc), f"unknown key '{name}'; {hint}"
    if kind == "missing":
        return index.value(loc[:-1]), f"missing required key '{name}'"
    message = str(error["msg"])
    message = message.removeprefix("Value error, ")
    field = next((str(p) for p in reversed(loc) if isinstance(p, str)), "")
    if kind == "string_too_short" and field:
        message = f"'{field}' must not be empty"
    elif field and not message.startswith(f"'{field}'"):
        message = f"{field}: {message[0].lower()}{message[1:]}"
    return index.value(loc), message


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
    try:
        routine = Routine.model_validate(data)
    except ValidationError as exc:
        errors = exc.errors()
        if any(e["type"] == "extra_forbidden" for e in errors):
            # A misspelt key also shows up as a missing one; report only the misspelling.
            errors = [e for e in errors if e["type"] != "missing"]
        described = [_describe_validation_error(e, index) for e in errors]
        # A misspelt key also shows up as a missing one; the misspelling is the real news.
        described.sort(
            key=lambda item: (item[1].startswith("missing"), item[0].line, item[0].column)
        )
        mark, message = described[0]
        extra = f" (and {len(described) - 1} more)" if len(described) > 1 else ""
        raise BadInput(message + extra, location=f"{source}:{mark.line}:{mark.column}") from None
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
    schema = Routine.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "masseur routine"
    return schema
