"""Turn a routine and options into an ordered list of timed events.

This is a pure function of its inputs: ``run``, ``--dry-run`` and every export render
the same timeline, so what is heard, shown and written always agrees.

Layout of one step run (a *segment*: one side of one repetition of a step)::

    start ── chime ── (chime lead) ── spoken instruction ── cues ── countdown ── end

Times are integer milliseconds from the session start.
"""

from __future__ import annotations

import enum
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

from masseur.errors import BadInput
from masseur.limits import session_size_problem
from masseur.phrases import Phrases, phrases_for
from masseur.routine import Phase, Routine, Step
from masseur.speech.base import DEFAULT_RATE

CHIME_LEAD_MS = 800  # speech starts after the chime's attack so the two do not collide
INTRO_GAP_MS = 1500  # silence after the introduction before the first step
SPEECH_ROOM_MS = 1000  # a step must last at least its narration plus this much
COUNTDOWN_MIN_SEGMENT_MS = 25_000
END_TAIL_MS = 500
SPEECH_GAP_MS = 250  # the least silence between two sentences (see masseur.spacing)

Estimator = Callable[[str, int, str], int]


def default_estimator(text: str, rate: int, language: str = "en") -> int:
    """How long ``text`` takes to say; measured against espeak-ng (see masseur.speech)."""
    from masseur.speech.estimate import estimate_speech_ms

    return estimate_speech_ms(text, rate, language)


class EventKind(enum.StrEnum):
    INTRO = "intro"
    STEP = "step"  # the instruction spoken at the start of a segment
    CUE = "cue"
    COUNTDOWN = "countdown"
    HALFWAY = "halfway"
    OUTRO = "outro"
    CHIME = "chime"
    END = "end"

    @property
    def spoken(self) -> bool:
        return self not in (EventKind.CHIME, EventKind.END)


class Part(enum.Enum):
    """Which part of the session an event belongs to."""

    OPENING = "opening"  # the introduction, before the first segment
    STEPS = "steps"  # inside a segment (Event.segment says which)
    CLOSING = "closing"  # the end chime, the closing words and the end


@dataclass(frozen=True)
class Event:
    at_ms: int
    kind: EventKind
    segment: int | None  # index into Timeline.segments; None in the opening and closing
    text: str = ""
    sound: str | None = None  # chime name for CHIME events
    estimated_ms: int = 0  # planned length of the speech or chime
    part: Part = Part.STEPS
    zones: tuple[str, ...] = ()  # for a cue that moves the hands: where to

    @property
    def end_ms(self) -> int:
        return self.at_ms + self.estimated_ms


@dataclass(frozen=True)
class Segment:
    """One timed run of a step: one side of one repetition."""

    index: int
    phase_index: int
    phase_title: str
    step_index: int  # position of the step in the routine, counting across phases
    heading: str
    say: str
    side: str | None  # "left" or "right", as the routine file says
    side_label: str | None  # how the side is spoken and shown: the routine's side_names
    repetition: int  # 1-based
    repetitions: int
    start_ms: int
    end_ms: int
    zones: tuple[str, ...] = ()  # where the step works, as the routine names it

    @property
    def duration_ms(self) -> int:
        return self.end_ms - self.start_ms


@dataclass(frozen=True)
class TimelineOptions:
    rate: int = DEFAULT_RATE
    minutes: float | None = None
    countdown: bool = False
    halfway: bool = False
    chimes: bool = True
    # Speak the contraindications themselves: for audio files and sessions with no screen
    # on which the person confirmed them.
    speak_warnings: bool = False
    estimate: Estimator = field(default=default_estimator, compare=False, repr=False)
    # Lengths of the step sentences (instructions, cues, countdowns, halfway) where better
    # known than the estimate, e.g. from speech already synthesized. The introduction and the
    # ending always use ``estimate``, so the total of a session does not depend on the cache.
    speech_length: Estimator | None = field(default=None, compare=False, repr=False)

    def step_speech_ms(self, text: str, language: str) -> int:
        return (self.speech_length or self.estimate)(text, self.rate, language)


@dataclass(frozen=True)
class Timeline:
    routine_name: str
    title: str
    language: str
    rate: int
    events: tuple[Event, ...]
    segments: tuple[Segment, ...]
    total_ms: int  # always whole seconds, so every way of showing it gives the same number
    side_names: tuple[str, str] = ("left", "right")  # how the routine names its sides

    @property
    def step_count(self) -> int:
        """Steps as the routine lists them (a step done on both sides is one step)."""
        return len({segment.step_index for segment in self.segments})

    def side_label(self, side: str | None) -> str:
        if side is None:
            return ""
        return self.side_names[0] if side == "left" else self.side_names[1]

    def spoken(self) -> list[Event]:
        return [event for event in self.events if event.kind.spoken]


@dataclass(frozen=True)
class _Run:
    phase_index: int
    phase_title: str
    step_index: int
    step: Step
    side: str | None
    repetition: int
    first_in_phase: bool
    text: str
    default_chime: str


def _side_name(routine: Routine, phrases: Phrases, side: str) -> str:
    """How ``side`` ("left" or "right") is spoken: the routine's side_names, else the phrases'."""
    if routine.side_names is not None:
        return routine.side_names.left if side == "left" else routine.side_names.right
    return phrases.left if side == "left" else phrases.right


def _sentence(text: str) -> str:
    text = text.strip()
    return text if text.endswith((".", "!", "?", "…")) else text + "."


def _passes(phase: Phase) -> list[tuple[str | None, list[tuple[int, Step]]]]:
    """A phase's passes: each of its sides with the steps worked on it, or one plain pass.

    Steps come with their position in the phase.
    """
    numbered = list(enumerate(phase.steps))
    if phase.sides is None:
        return [(None, numbered)]
    passes: list[tuple[str | None, list[tuple[int, Step]]]] = []
    for side in phase.sides:
        steps = [(i, step) for i, step in numbered if step.sides is None or side in step.sides]
        if steps:
            passes.append((side, steps))
    return passes


def _announce_side(routine: Routine, phrases: Phrases, side: str, number: int, count: int) -> str:
    """ "Start with your left foot.", "Now switch to your right foot." or just the side."""
    name = _side_name(routine, phrases, side)
    if count == 1:
        return _sentence(name.capitalize())
    if routine.given_to == "other":
        template = phrases.side_switch_other if number else phrases.side_first_other
    else:
        template = phrases.side_switch if number else phrases.side_first
    return template.format(side=name)


def _expand(routine: Routine, phrases: Phrases) -> list[_Run]:
    """Unroll phase passes, sides and repeats into the spoken order of step runs."""
    runs: list[_Run] = []
    announce_phases = len(routine.all_phases) > 1
    step_offset = 0
    for phase_index, phase in enumerate(routine.all_phases):
        first_in_phase = True
        passes = _passes(phase)
        for pass_number, (pass_side, steps) in enumerate(passes):
            for position, (step_in_phase, step) in enumerate(steps):
                # In a phase worked side by side the side is spoken once, as its pass starts;
                # a step on its own switches sides itself.
                sides: list[str | None] = [None]
                if pass_side is not None:
                    sides = [pass_side]
                elif step.sides:
                    sides = [*step.sides]
                for repetition in range(1, step.repeat + 1):
                    for side_number, side in enumerate(sides):
                        parts: list[str] = []
                        if first_in_phase and announce_phases:
                            parts.append(_sentence(phase.heading))
                        switching = side_number > 0
                        if pass_side is not None:
                            if position == 0 and repetition == 1:
                                parts.append(
                                    _announce_side(
                                        routine, phrases, pass_side, pass_number, len(passes)
                                    )
                                )
                                switching = pass_number > 0
                        elif side is not None:
                            parts.append(
                                _announce_side(routine, phrases, side, side_number, len(sides))
                            )
                        if repetition > 1 and side_number == 0:
                            parts.append(phrases.again)
                        parts.append(step.say)
                        chime = (
                            "phase" if first_in_phase and runs else "side" if switching else "step"
                        )
                        runs.append(
                            _Run(
                                phase_index,
                                phase.heading,
                                step_offset + step_in_phase,
                                step,
                                side,
                                repetition,
                                first_in_phase,
                                " ".join(parts),
                                chime,
                            )
                        )
                        first_in_phase = False
        step_offset += len(phase.steps)
    return runs


def _warnings_text(routine: Routine, phrases: Phrases) -> str:
    """The contraindications said briefly: the first sentence of each, between two phrases."""
    other = routine.given_to == "other"
    if not routine.contraindications:
        return phrases.no_warnings_other if other else phrases.no_warnings
    items = [
        _sentence(re.split(r"(?<=[.!?])\s", item, maxsplit=1)[0])
        for item in routine.contraindications
    ]
    before = phrases.warnings_before_other if other else phrases.warnings_before
    return " ".join([before, *items, phrases.warnings_after])


def _intro_text(routine: Routine, phrases: Phrases, speak_warnings: bool = False) -> str:
    if speak_warnings:
        safety = _warnings_text(routine, phrases)
    else:
        safety = phrases.safety_other if routine.given_to == "other" else phrases.safety
    parts = [_sentence(routine.title), safety]
    if routine.intro:
        parts.append(routine.intro)
    return " ".join(parts)


def _outro_text(routine: Routine, phrases: Phrases) -> str:
    # "The end" first: the routine's own closing words (sleep well...) are the last heard.
    return " ".join(part for part in (phrases.ending, routine.outro) if part)


def _minimum_ms(run: _Run, options: TimelineOptions, language: str) -> int:
    """The shortest a step run can be: its instruction and every cue, said one after another."""
    lead = CHIME_LEAD_MS if options.chimes else 0
    cues = sum(SPEECH_GAP_MS + options.step_speech_ms(cue.say, language) for cue in run.step.cues)
    return lead + options.step_speech_ms(run.text, language) + cues + SPEECH_ROOM_MS


def fit_durations(natural: list[int], minimum: list[int], target: int) -> list[int]:
    """Scale ``natural`` durations to sum exactly to ``target``, never below ``minimum``.

    Durations keep their proportions except where a minimum holds one up (water filling):
    find the factor f with sum(max(min_i, f * d_i)) == target. Raises ValueError when even
    the minimums do not fit.
    """
    if len(natural) != len(minimum) or not natural:
        raise ValueError("need one minimum for each duration")
    if min(natural) < 1:
        raise ValueError("every duration must be at least 1 ms")  # else scaling never ends
    floor = sum(minimum)
    if floor > target:
        raise ValueError(f"needs at least {floor} ms")

    def total(factor: float) -> float:
        return sum(max(m, factor * d) for d, m in zip(natural, minimum, strict=True))

    low, high = 0.0, 1.0
    while total(high) < target:
        high *= 2
    for _ in range(100):
        middle = (low + high) / 2
        if total(middle) < target:
            low = middle
        else:
            high = middle
    fitted = [max(m, math.floor(high * d)) for d, m in zip(natural, minimum, strict=True)]
    # Hand the rounding remainder to the longest scaled durations so the sum is exact.
    remainder = target - sum(fitted)
    order = sorted(range(len(fitted)), key=lambda i: -natural[i])
    i = 0
    while remainder != 0:
        index = order[i % len(order)]
        step = 1 if remainder > 0 else -1
        if fitted[index] + step >= minimum[index]:
            fitted[index] += step
            remainder -= step
        i += 1
    return fitted


def build_timeline(routine: Routine, options: TimelineOptions | None = None) -> Timeline:
    """Lay out every event of a session at its absolute time."""
    options = options or TimelineOptions()
    too_big = session_size_problem(routine)
    if too_big is not None:  # before expanding: a huge plan would take minutes and gigabytes
        raise BadInput(f"'{routine.name}': {too_big}")
    language = routine.language
    phrases = phrases_for(language)
    estimate = options.estimate
    rate = options.rate

    intro = _intro_text(routine, phrases, options.speak_warnings)
    intro_ms = estimate(intro, rate, language)
    outro = _outro_text(routine, phrases)
    outro_ms = estimate(outro, rate, language)
    lead = CHIME_LEAD_MS if options.chimes else 0
    fixed_ms = intro_ms + INTRO_GAP_MS + lead + outro_ms + END_TAIL_MS

    runs = _expand(routine, phrases)
    durations = [run.step.duration for run in runs]
    if options.minutes is not None:
        target = round(options.minutes * 60) * 1000 - fixed_ms  # whole seconds, like every total
        minimum = [_minimum_ms(run, options, language) for run in runs]
        try:
            durations = fit_durations(durations, minimum, target)
        except ValueError:
            needed = (sum(minimum) + fixed_ms) / 60_000
            raise BadInput(
                f"'{routine.name}' cannot fit into {options.minutes:g} minutes: its narration "
                f"alone needs at least {math.ceil(needed * 10) / 10:g} minutes at "
                f"{rate} words per minute; ask for more minutes or a faster --rate"
            ) from None

    events: list[Event] = [
        Event(0, EventKind.INTRO, None, intro, estimated_ms=intro_ms, part=Part.OPENING)
    ]
    segments: list[Segment] = []
    cursor = intro_ms + INTRO_GAP_MS
    for index, (run, duration) in enumerate(zip(runs, durations, strict=True)):
        start, end = cursor, cursor + duration
        scale = duration / run.step.duration
        segments.append(
            Segment(
                index,
                run.phase_index,
                run.phase_title,
                run.step_index,
                run.step.heading,
                run.step.say,
                run.side,
                _side_name(routine, phrases, run.side) if run.side is not None else None,
                run.repetition,
                run.step.repeat,
                start,
                end,
                zones=tuple(run.step.zones or ()),
            )
        )
        if options.chimes and run.step.chime != "none":
            sound = run.step.chime or run.default_chime
            events.append(Event(start, EventKind.CHIME, index, sound=sound))
        speech_at = start + lead
        events.append(
            Event(
                speech_at,
                EventKind.STEP,
                index,
                run.text,
                estimated_ms=options.step_speech_ms(run.text, language),
            )
        )
        for cue in run.step.cues:
            at = start + round(cue.at * scale)
            events.append(
                Event(
                    at,
                    EventKind.CUE,
                    index,
                    cue.say,
                    estimated_ms=options.step_speech_ms(cue.say, language),
                    zones=tuple(cue.zones or ()),
                )
            )
        if options.countdown and duration >= COUNTDOWN_MIN_SEGMENT_MS:
            for seconds in (30, 10):
                if duration >= seconds * 4000:
                    text = phrases.seconds_left(seconds)
                    events.append(
                        Event(
                            end - seconds * 1000,
                            EventKind.COUNTDOWN,
                            index,
                            text,
                            estimated_ms=options.step_speech_ms(text, language),
                        )
                    )
        cursor = end

    steps_end = cursor
    if options.halfway and segments:
        middle = (segments[0].start_ms + steps_end) // 2
        inside = segment_index_at(segments, middle)
        events.append(
            Event(
                middle,
                EventKind.HALFWAY,
                inside,
                phrases.halfway,
                estimated_ms=options.step_speech_ms(phrases.halfway, language),
                part=Part.STEPS if inside is not None else Part.CLOSING,
            )
        )
    closing = Part.CLOSING
    if options.chimes:
        events.append(Event(steps_end, EventKind.CHIME, None, sound="end", part=closing))
    events.append(
        Event(steps_end + lead, EventKind.OUTRO, None, outro, estimated_ms=outro_ms, part=closing)
    )
    # Rounded up to a whole second: "10:55" on the screen and "10m55s" in a list are then
    # the same length, not two roundings of 10.54 s.
    total = math.ceil((steps_end + lead + outro_ms + END_TAIL_MS) / 1000) * 1000
    events.append(Event(total, EventKind.END, None, part=closing))
    from masseur.spacing import without_overlaps

    events = without_overlaps(events, segments)
    # Stable sort: at equal times a chime comes before the speech it introduces.
    events.sort(key=lambda event: (event.at_ms, event.kind != EventKind.CHIME))
    sides = (_side_name(routine, phrases, "left"), _side_name(routine, phrases, "right"))
    return Timeline(
        routine.name, routine.title, language, rate, tuple(events), tuple(segments), total, sides
    )


def segment_index_at(segments: Sequence[Segment], position_ms: int) -> int | None:
    """The index of the timed part playing at ``position_ms``; None outside every part."""
    for segment in segments:
        if segment.start_ms <= position_ms < segment.end_ms:
            return segment.index
    return None


def with_chime_durations(timeline: Timeline, lengths: dict[str, int]) -> Timeline:
    """Fill in how long each chime lasts once the sounds are loaded (for exports)."""
    events = tuple(
        replace(event, estimated_ms=lengths.get(event.sound or "", event.estimated_ms))
        if event.kind == EventKind.CHIME
        else event
        for event in timeline.events
    )
    return replace(timeline, events=events)
