"""Keep the sentences of a timeline apart, so that none is planned over another."""

from __future__ import annotations

import itertools
from dataclasses import replace

from masseur.timeline import (
    SPEECH_GAP_MS,
    Event,
    EventKind,
    Part,
    Segment,
    Timeline,
    segment_index_at,
)


def without_overlaps(events: list[Event], segments: list[Segment]) -> list[Event]:
    """Move sentences apart so that none is planned to start before the one before has ended.

    The introduction, each step's instruction and the closing words stay where they are. A
    step's cues keep their order and move later (or, near the end of the step, earlier) just
    enough to follow each other with a short silence. A countdown that would talk over
    something is left out; "halfway" goes into the first silence after the middle that holds
    it. Only a step too short for its own words (possible in a routine's own timing, never
    after ``--minutes``, whose floor counts every cue) keeps an overlap, which
    :func:`speech_overlaps` reports.
    """
    anchors = sorted(
        (e for e in events if e.kind in (EventKind.INTRO, EventKind.STEP, EventKind.OUTRO)),
        key=lambda e: e.at_ms,
    )
    kept: list[Event] = list(anchors)
    for position, anchor in enumerate(anchors):
        if anchor.kind is not EventKind.STEP:
            continue
        limit = anchors[position + 1].at_ms if position + 1 < len(anchors) else 10**12
        cues = sorted(
            (e for e in events if e.kind is EventKind.CUE and e.segment == anchor.segment),
            key=lambda e: e.at_ms,
        )
        placed: list[int] = []
        ready = anchor.end_ms + SPEECH_GAP_MS
        for cue in cues:  # as planned, but never before the sentence before it has ended
            placed.append(max(cue.at_ms, ready))
            ready = placed[-1] + cue.estimated_ms + SPEECH_GAP_MS
        latest = limit - SPEECH_GAP_MS
        for index in reversed(range(len(cues))):  # and ending before the next step speaks
            placed[index] = min(placed[index], latest - cues[index].estimated_ms)
            latest = placed[index] - SPEECH_GAP_MS
        if cues and placed[0] < anchor.end_ms + SPEECH_GAP_MS:
            placed = [max(cue.at_ms, anchor.end_ms + SPEECH_GAP_MS) for cue in cues]
        kept += [replace(cue, at_ms=at) for cue, at in zip(cues, placed, strict=True)]
    kept.sort(key=lambda e: e.at_ms)
    for event in events:
        if event.kind is EventKind.COUNTDOWN and _fits(kept, event.at_ms, event.estimated_ms):
            kept.append(event)
            kept.sort(key=lambda e: e.at_ms)
    for event in events:
        if event.kind is EventKind.HALFWAY:
            at = _first_silence(kept, event.at_ms, event.estimated_ms)
            if at is not None:
                inside = segment_index_at(segments, at)
                part = Part.STEPS if inside is not None else Part.CLOSING
                kept.append(replace(event, at_ms=at, segment=inside, part=part))
    return [e for e in events if not e.kind.spoken] + kept


def _fits(spoken: list[Event], at: int, length: int) -> bool:
    """Whether a sentence at ``at`` would be clear of every sentence in ``spoken``."""
    return all(
        at >= e.end_ms + SPEECH_GAP_MS or at + length + SPEECH_GAP_MS <= e.at_ms for e in spoken
    )


def _first_silence(spoken: list[Event], after: int, length: int) -> int | None:
    """The earliest time from ``after`` on where a sentence of ``length`` is clear of others."""
    candidates = [after] + [e.end_ms + SPEECH_GAP_MS for e in spoken if e.end_ms >= after]
    for at in sorted(candidates):
        if _fits(spoken, at, length):
            return at
    return None


def speech_overlaps(timeline: Timeline) -> list[tuple[Event, int]]:
    """Each planned sentence that runs into the next one, with by how many ms."""
    spoken = sorted(timeline.spoken(), key=lambda e: e.at_ms)
    return [
        (event, event.end_ms - following.at_ms)
        for event, following in itertools.pairwise(spoken)
        if event.end_ms > following.at_ms
    ]
