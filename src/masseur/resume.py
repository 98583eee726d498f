"""Where a session starts: at a chosen step (--from), where the last one stopped (--resume),
after a short spoken count to get the hands ready (--lead-in)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from masseur.errors import BadInput
from masseur.history import SessionRecord
from masseur.outcome import STOPPED_EARLY
from masseur.phrases import phrases_for
from masseur.routine import Routine
from masseur.timeline import Event, EventKind, Part, Timeline

LEAD_IN_COUNT = 3  # the last seconds of a lead-in are counted aloud: "Three. Two. One."


def part_of_step(routine: Routine, timeline: Timeline, spec: str) -> int:
    """The first timed part of the step ``spec``: its number (as `show` lists it) or its
    name or title (case does not matter)."""
    steps = [step for _, step in routine.iter_steps()]
    wanted = spec.strip()
    index: int | None = None
    if wanted.isdigit():
        number = int(wanted)
        if not 1 <= number <= len(steps):
            raise BadInput(
                f"--from {wanted}: '{routine.name}' has steps 1 to {len(steps)} "
                f"(see `masseur show {routine.name}`)"
            )
        index = number - 1
    else:
        folded = wanted.casefold()
        for position, step in enumerate(steps):
            if folded in {(step.name or "").casefold(), step.heading.casefold()}:
                index = position
                break
        if index is None:
            raise BadInput(
                f"--from: '{routine.name}' has no step named '{wanted}'; give its number or "
                f"name (see `masseur show {routine.name}`)"
            )
    return next(s.index for s in timeline.segments if s.step_index == index)


def last_unfinished(records: Sequence[SessionRecord], routine: str | None) -> SessionRecord:
    """The newest session that stopped before its end and was not done again since.

    A session of the same routine after it (finished or not) replaces it: that is where the
    person went on from.
    """
    seen: set[str] = set()
    for record in reversed(records):
        if routine is not None and record.routine != routine:
            continue
        if record.routine in seen:
            continue
        seen.add(record.routine)
        if record.stopped_at_part is not None and record.outcome in STOPPED_EARLY:
            return record
    which = f" of '{routine}'" if routine else ""
    raise BadInput(
        f"there is no unfinished session{which} to resume in your history "
        "(see `masseur history`); start one with `masseur run ROUTINE`"
    )


def with_lead_in(timeline: Timeline, seconds: int, before_part: int) -> Timeline:
    """``timeline`` with ``seconds`` of spoken count-down just before the part ``before_part``.

    Everything from that part on moves later by the lead-in; the count belongs to no part.
    """
    if seconds <= 0 or not timeline.segments:
        return timeline
    at = timeline.segments[before_part].start_ms
    shift = seconds * 1000
    phrases = phrases_for(timeline.language)

    def moved(event: Event) -> Event:
        return replace(event, at_ms=event.at_ms + shift) if event.at_ms >= at else event

    count = [(at, phrases.get_ready)] + [
        (at + shift - n * 1000, phrases.count(n))
        for n in range(min(LEAD_IN_COUNT, seconds - 2), 0, -1)
    ]
    from masseur.speech import estimate_speech_ms

    spoken = [
        Event(
            time,
            EventKind.CUE,
            None,
            text,
            estimated_ms=estimate_speech_ms(text, timeline.rate, timeline.language),
            part=Part.OPENING,
        )
        for time, text in count
    ]
    events = sorted(
        [*map(moved, timeline.events), *spoken],
        key=lambda event: (event.at_ms, event.kind != EventKind.CHIME),
    )
    segments = tuple(
        replace(s, start_ms=s.start_ms + shift, end_ms=s.end_ms + shift) if s.start_ms >= at else s
        for s in timeline.segments
    )
    return replace(
        timeline, events=tuple(events), segments=segments, total_ms=timeline.total_ms + shift
    )
