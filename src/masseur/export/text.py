"""The text formats: ``txt`` (the narration with times), ``md`` (a printable guide), ``json``.

They need no synthesized speech: each is drawn from the timeline alone, so the same routine
and options always give the same text.

JSON shape (``"format_version": 1``; keys are sorted, times are integer milliseconds from
the start of the session; a new field may be added, an existing one will not change its
meaning without a new format_version)::

    {
      "format_version": 1,
      "routine":  {"name": str, "title": str, "description": str, "language": str},
      "rate":     int,                  # words per minute the timeline was planned for
      "totals":   {"total_ms": int,     # length of the session (= the audio export)
                   "steps_ms": int,     # time inside timed step runs
                   "speech_ms": int,    # planned speaking time (estimated lengths)
                   "steps": int, "segments": int, "events": int, "spoken_events": int},
      "segments": [{"index": int, "phase_index": int, "phase": str,
                    "step_index": int, "step": str, "say": str,
                    "side": "left" | "right" | null,
                    "repetition": int, "repetitions": int,
                    "start_ms": int, "end_ms": int, "duration_ms": int}],
      "events":   [{"index": int, "start_ms": int, "end_ms": int,
                    "kind": "intro" | "step" | "cue" | "countdown" | "halfway" | "outro"
                            | "chime" | "end",
                    "text": str,        # what is spoken; "" for chime and end
                    "sound": str | null,  # chime name for chime events
                    "segment": int}]    # index into segments; -1 before the first,
    }                                   # len(segments) after the last

An event's ``end_ms`` is its planned end: the estimated speech length, or the chime's length.
"""

from __future__ import annotations

import json
import textwrap
from typing import TYPE_CHECKING, Any

from masseur.durations import format_clock, format_duration
from masseur.text import one_line
from masseur.timeline import Event, EventKind, Part, Segment, Timeline
from masseur.words import totals_line, words_for

if TYPE_CHECKING:
    from masseur.export.job import Job
    from masseur.routine import Routine

FORMAT_VERSION = 1
TEXT_WIDTH = 78


def _segment_title(timeline: Timeline, segment: Segment) -> str:
    words = words_for(timeline.language)
    parts = [f"{segment.step_index + 1}. {segment.heading}"]
    if segment.side_label is not None:
        parts.append(segment.side_label)
    if segment.repetitions > 1:
        parts.append(words("round_of", round=segment.repetition, rounds=segment.repetitions))
    return ", ".join(parts)


def _multi_phase(routine: Routine) -> bool:
    return routine.phases is not None and len(routine.phases) > 1


# --------------------------------------------------------------------------- txt


def render_txt(timeline: Timeline, routine: Routine) -> str:
    """The narration in spoken order, each sentence with its time, under step headings."""
    words = words_for(timeline.language)
    lines = [
        f"{routine.title} ({routine.name})",
        f"{totals_line(words, timeline)}, {words('at_rate', rate=timeline.rate)}",
    ]
    stamp_width = len(format_clock(timeline.total_ms)) + 2
    indent = " " * stamp_width
    last_phase: int | None = None
    last_place: tuple[Part, int | None] | None = None
    for event in timeline.events:
        place = (event.part, event.segment)
        if place != last_place and event.segment is not None:
            segment = timeline.segments[event.segment]
            if segment.phase_index != last_phase and _multi_phase(routine):
                lines += ["", segment.phase_title.upper()]
                last_phase = segment.phase_index
            span = f"{format_clock(segment.start_ms)}-{format_clock(segment.end_ms)}"
            lines += ["", f"{_segment_title(timeline, segment)}  [{span}]"]
        elif place != last_place and event.part is Part.CLOSING:
            lines += ["", words("ending_heading")]
        elif place != last_place:
            lines.append("")
        last_place = place
        if event.kind == EventKind.END:
            lines.append(f"{format_clock(event.at_ms).ljust(stamp_width)}{words('end_of_session')}")
            continue
        if not event.kind.spoken:
            continue
        stamp = format_clock(event.at_ms).ljust(stamp_width)
        wrapped = textwrap.wrap(
            one_line(event.text),
            width=TEXT_WIDTH,
            initial_indent=stamp,
            subsequent_indent=indent,
            break_on_hyphens=False,
        )
        lines += wrapped
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------- md

_MD_SPECIAL = str.maketrans({c: "\\" + c for c in "\\`*_[]<>|#"})


def _md(text: str) -> str:
    """Inline Markdown text that prints exactly as written."""
    return one_line(text).translate(_MD_SPECIAL)


def _step_runs(timeline: Timeline) -> dict[int, list[Segment]]:
    runs: dict[int, list[Segment]] = {}
    for segment in timeline.segments:
        runs.setdefault(segment.step_index, []).append(segment)
    return runs


def _run_description(timeline: Timeline, runs: list[Segment]) -> str:
    words = words_for(timeline.language)
    total = sum(segment.duration_ms for segment in runs)
    if len(runs) == 1:
        return format_duration(total)
    each = format_duration(round(total / len(runs)))
    sides = [segment.side_label for segment in runs if segment.repetition == 1]
    repetitions = runs[0].repetitions
    what = []
    if len(sides) > 1:
        names = words("side_then").join(side or "" for side in sides)
        what.append(words("each_side", each=each, names=names))
    elif sides and sides[0] is not None:
        what.append(words("on_side", each=each, side=sides[0]))
    else:
        what.append(words("each_time", each=each))
    if repetitions > 1:
        what.append(words.count(repetitions, "time"))
    return words("in_all", what=", ".join(what), total=format_duration(total))


def render_md(timeline: Timeline, routine: Routine) -> str:
    """A printable guide to the routine, with the durations this timeline gives each step."""
    words = words_for(timeline.language)
    out: list[str] = [f"# {_md(routine.title)}", "", _md(routine.description), ""]
    out.append(
        words(
            "session_length",
            total=format_duration(timeline.total_ms),
            rate=timeline.rate,
            name=routine.name,
            language=routine.language,
        )
    )
    out.append("")
    out += [f"## {words('md_do_not')}", ""]
    if routine.contraindications:
        out += [f"- {_md(item)}" for item in routine.contraindications]
    else:
        out.append(words("md_no_contraindications"))
    out.append("")
    if routine.preparation:
        out += [f"## {words('md_have_ready')}", ""]
        out += [f"- {_md(item)}" for item in routine.preparation]
        out.append("")
    if routine.notes:
        out += [f"## {words('md_notes')}", ""]
        out += [f"- {_md(item)}" for item in routine.notes]
        out.append("")

    out += [f"## {words('md_steps')}", ""]
    runs_by_step = _step_runs(timeline)
    cues_by_segment: dict[int, list[Event]] = {}
    for event in timeline.events:
        if event.kind == EventKind.CUE and event.segment is not None:
            cues_by_segment.setdefault(event.segment, []).append(event)
    step_index = 0
    multi_phase = _multi_phase(routine)
    for phase in routine.all_phases:
        phase_ms = 0
        phase_lines: list[str] = []
        for step in phase.steps:
            runs = runs_by_step.get(step_index, [])
            phase_ms += sum(segment.duration_ms for segment in runs)
            phase_lines.append(
                f"{step_index + 1}. **{_md(step.heading)}**: {_run_description(timeline, runs)}"
            )
            phase_lines += ["", f"   {_md(step.say)}", ""]
            cues = cues_by_segment.get(runs[0].index, []) if runs else []
            for cue in cues:
                offset = format_clock(cue.at_ms - runs[0].start_ms)
                phase_lines.append(f"   - {words('cue_at', clock=offset)}: {_md(cue.text)}")
            if cues:
                phase_lines.append("")
            step_index += 1
        if multi_phase:
            out += [f"### {_md(phase.heading)} ({format_duration(phase_ms)})", ""]
        out += phase_lines
    steps_ms = sum(segment.duration_ms for segment in timeline.segments)
    out.append(
        words(
            "md_total",
            total=format_duration(timeline.total_ms),
            steps_time=format_duration(steps_ms),
            steps=words.count(timeline.step_count, "step"),
            parts=words.count(len(timeline.segments), "part"),
        )
    )
    return "\n".join(out) + "\n"


# --------------------------------------------------------------------------- json


def timeline_document(timeline: Timeline, routine: Routine) -> dict[str, Any]:
    """The timeline as plain data in the documented JSON shape (see the module docstring)."""
    spoken = timeline.spoken()
    return {
        "format_version": FORMAT_VERSION,
        "routine": {
            "name": routine.name,
            "title": routine.title,
            "description": routine.description,
            "language": routine.language,
        },
        "rate": timeline.rate,
        "totals": {
            "total_ms": timeline.total_ms,
            "steps_ms": sum(segment.duration_ms for segment in timeline.segments),
            "speech_ms": sum(event.estimated_ms for event in spoken),
            "steps": timeline.step_count,
            "segments": len(timeline.segments),
            "events": len(timeline.events),
            "spoken_events": len(spoken),
        },
        "segments": [
            {
                "index": segment.index,
                "phase_index": segment.phase_index,
                "phase": segment.phase_title,
                "step_index": segment.step_index,
                "step": segment.heading,
                "say": segment.say,
                "side": segment.side,
                "repetition": segment.repetition,
                "repetitions": segment.repetitions,
                "start_ms": segment.start_ms,
                "end_ms": segment.end_ms,
                "duration_ms": segment.duration_ms,
            }
            for segment in timeline.segments
        ],
        "events": [
            {
                "index": index,
                "start_ms": event.at_ms,
                "end_ms": event.end_ms,
                "kind": event.kind.value,
                "text": event.text,
                "sound": event.sound,
                "segment": _json_segment(event, len(timeline.segments)),
            }
            for index, event in enumerate(timeline.events)
        ],
    }


def _json_segment(event: Event, count: int) -> int:
    """The documented segment number: -1 in the opening, ``count`` in the closing."""
    if event.segment is not None:
        return event.segment
    return -1 if event.part is Part.OPENING else count


def render_json(timeline: Timeline, routine: Routine) -> str:
    document = timeline_document(timeline, routine)
    return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


RENDERERS = {"txt": render_txt, "md": render_md, "json": render_json}


def write(job: Job) -> str | None:
    job.destination.write_text(RENDERERS[job.format.name](job.timeline, job.routine))
    return None  # made from the plan alone: nothing can run over
