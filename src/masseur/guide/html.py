"""Render a routine's visual guide as one self-contained HTML page (and the page for a PDF).

The page holds everything it needs: its stylesheet, its drawings as inline SVG, the player's
script, and (when asked) the session's audio as a base64 ``data:`` URL. It makes no network
request, so one copied file works offline on a phone. The same routine and options always
give the same bytes.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from html import escape
from importlib import resources
from typing import TYPE_CHECKING

from masseur.durations import format_clock
from masseur.guide.pictures import choose_pictures, has_stroke_only, render_picture
from masseur.guide_words import GuideWords, guide_words
from masseur.phrases import phrases_for
from masseur.timeline import EventKind, Segment, Timeline
from masseur.zones import LEG_BACK, LEG_FRONT, REFLEX, SOLE, TOP, describe

if TYPE_CHECKING:
    from masseur.routine import Routine, Step

# The page may use only what it carries inside itself: no request can leave it.
_POLICY = (
    "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; "
    "img-src data:; media-src data:"
)
# The swatch that explains the hatching, drawn the same way by browsers and by WeasyPrint.
_HATCH_KEY = (
    '<svg class="swatch-hatch" viewBox="0 0 12 12" width="12" height="12" aria-hidden="true">'
    '<rect x="0.5" y="0.5" width="11" height="11" fill="none" stroke="#7b4fb8"/>'
    '<path d="M0 6 L6 0 M0 12 L12 0 M6 12 L12 6" stroke="#7b4fb8" stroke-width="1.5"/></svg>'
)
PHASE_COLOURS = ("#2e86ab", "#e4a11b", "#3d9970", "#b0589f", "#e4572e", "#5c6bc0", "#8d6e63")


@dataclass(frozen=True)
class GuideAudio:
    """The session's audio to embed: compressed bytes and their MIME type."""

    data: bytes
    mime: str


def _asset(name: str) -> str:
    return resources.files("masseur.guide").joinpath(name).read_text(encoding="utf-8")


def _e(text: str) -> str:
    return escape(" ".join(text.split()), quote=True)


def _view_name(words: GuideWords, picture: str) -> str:
    return {
        SOLE: words.sole,
        TOP: words.top,
        REFLEX: words.reflex,
        LEG_FRONT: words.leg_front,
        LEG_BACK: words.leg_back,
    }[picture]


def _side_name(routine: Routine, side: str) -> str:
    if routine.side_names is not None:
        return routine.side_names.left if side == "left" else routine.side_names.right
    phrases = phrases_for(routine.language)
    return phrases.left if side == "left" else phrases.right


def _step_zones(step: Step) -> list[str]:
    """The zones a step's card shows: the step's own, then any its cues move to."""
    named = list(step.zones or [])
    for cue in step.cues:
        named += [zone for zone in cue.zones or [] if zone not in named]
    return named


def _timeline_chart(timeline: Timeline, routine: Routine, words: GuideWords) -> str:
    """One bar per timed part, placed by time; HTML boxes, so they keep a readable height."""
    total = max(1, timeline.total_ms)

    def percent(ms: int) -> str:
        return f"{ms * 100 / total:.3f}%"

    parts = [f'<div class="chart" role="img" aria-label="{_e(words.timeline)}">']
    for segment in timeline.segments:
        colour = PHASE_COLOURS[segment.phase_index % len(PHASE_COLOURS)]
        title = _segment_label(routine, segment)
        letter = ""
        side = ""
        if segment.side:
            letter = words.left_short if segment.side == "left" else words.right_short
            side = f" {segment.side}"
        title += f" {format_clock(segment.start_ms)}-{format_clock(segment.end_ms)}"
        parts.append(
            f'<a href="#step-{segment.step_index + 1}" class="bar{side}" title="{_e(title)}" '
            f'data-segment="{segment.index}" data-start-ms="{segment.start_ms}" '
            f'style="left:{percent(segment.start_ms)};width:{percent(segment.duration_ms)};'
            f'background:{colour}">{letter}</a>'
        )
    parts.append('<span class="playhead"></span></div><div class="ticks">')
    minute = 60_000
    step_ms = minute * max(1, round(total / minute / 8))
    # no tick so close to the end that its label would run into the total's
    for tick in range(0, total - step_ms * 3 // 4, step_ms):
        parts.append(f'<span style="left:{percent(tick)}">{format_clock(tick)}</span>')
    parts.append(f'<span class="end">{format_clock(timeline.total_ms)}</span></div>')
    phases = routine.all_phases if len(routine.all_phases) > 1 else []
    legend = [
        f'<li><span class="swatch" style="background:{PHASE_COLOURS[i % len(PHASE_COLOURS)]}">'
        f"</span>{_e(phase.heading)}</li>"
        for i, phase in enumerate(phases)
    ]
    legend_list = f'<ul class="legend">{"".join(legend)}</ul>' if legend else ""
    return (
        f'<section class="timeline"><h2>{_e(words.timeline)}</h2>{"".join(parts)}'
        f'{legend_list}<p class="help">{_e(words.timeline_help)}</p></section>'
    )


def _segment_label(routine: Routine, segment: Segment) -> str:
    """What the player says is being heard: "3. The arch, left foot"."""
    label = f"{segment.step_index + 1}. {segment.heading}"
    if segment.side:
        label += f", {_side_name(routine, segment.side)}"
    if segment.repetitions > 1:
        label += f" ({segment.repetition}/{segment.repetitions})"
    return label


def _runs_line(routine: Routine, runs: list[Segment], words: GuideWords) -> str:
    total = sum(segment.duration_ms for segment in runs)
    if len(runs) <= 1:
        return format_clock(total)
    sides = [segment.side for segment in runs if segment.repetition == 1 and segment.side]
    each = format_clock(round(total / len(runs)))
    parts = []
    if len(sides) > 1:
        names = ", ".join(_side_name(routine, side) for side in sides)
        parts.append(words.each_side.format(each=each, sides=names))
    if runs[0].repetitions > 1:
        parts.append(f"× {runs[0].repetitions}")
    parts.append(words.in_all.format(total=format_clock(total)))
    return ", ".join(parts)


def _card(
    routine: Routine,
    number: int,
    step: Step,
    runs: list[Segment],
    cue_times: dict[int, int],
    words: GuideWords,
) -> str:
    language = routine.language
    start = runs[0].start_ms if runs else 0
    named = _step_zones(step)
    sides = {segment.side for segment in runs}
    mirrored = sides == {"left"}
    side_label = (
        _side_name(routine, "left" if mirrored else "right")
        if len(sides) == 1 and None not in sides
        else ""
    )
    pictures = []
    for picture in choose_pictures(named):
        label = _view_name(words, picture)
        caption = f"{label}, {side_label}" if side_label else label
        svg = render_picture(
            picture,
            on=named,
            prefix=f"s{number}-{picture}",
            mirrored=mirrored,
            label=_e(caption),
        )
        key = (
            f'<span class="key">{_HATCH_KEY}{_e(words.stroke_only)}</span>'
            if has_stroke_only(picture)
            else ""
        )
        pictures.append(f"<figure>{svg}<figcaption>{_e(caption)}{key}</figcaption></figure>")
    where = (
        f'<p class="where"><b>{_e(words.where)}:</b> {_e(describe(step.zones, language))}</p>'
        if step.zones
        else f'<p class="where general">{_e(words.general)}</p>'
        if step.general
        else ""
    )
    cues = []
    run_ms = runs[0].duration_ms if runs else step.duration
    times = [cue_times.get(position, cue.at) for position, cue in enumerate(step.cues)]
    for position, cue in enumerate(step.cues):
        at = times[position]
        # a cue holds until the next one, or to the end of the run
        until = min([later for later in times if later > at] + [run_ms])
        zones_attr = f' data-zones="{" ".join(cue.zones)}"' if cue.zones else ""
        place = (
            f' <span class="cue-where">({_e(describe(cue.zones, language))})</span>'
            if cue.zones
            else ""
        )
        cues.append(
            f'<li id="s{number}-cue{position + 1}"{zones_attr}>'
            f"<time>{format_clock(at)}</time>"
            f'<span class="until">–{format_clock(until)}</span> {_e(cue.say)}{place}</li>'
        )
    cue_list = f'<ol class="cues">{"".join(cues)}</ol>' if cues else ""
    figures = f'<div class="pictures">{"".join(pictures)}</div>' if pictures else ""
    zones_attr = " ".join(named)
    return (
        f'<article class="card" id="step-{number}" data-step="{number - 1}" '
        f'data-start-ms="{start}" data-zones="{zones_attr}">'
        f'<h3><span class="number">{number}.</span> {_e(step.heading)} '
        f'<span class="length">{_e(_runs_line(routine, runs, words))}</span></h3>'
        f'{figures}<div class="text"><p class="say" id="s{number}-say">{_e(step.say)}</p>'
        f"{where}{cue_list}</div></article>"
    )


def _sentences(timeline: Timeline, routine: Routine) -> list[dict[str, object]]:
    """Each spoken event with the element that shows it, for the player to highlight."""
    steps = [step for _, step in routine.iter_steps()]
    found: list[dict[str, object]] = []
    spoken = timeline.spoken()
    for position, event in enumerate(spoken):
        end = spoken[position + 1].at_ms if position + 1 < len(spoken) else timeline.total_ms
        target = "intro" if event.kind == EventKind.INTRO else ""
        if event.segment is not None:
            segment = timeline.segments[event.segment]
            number = segment.step_index + 1
            if event.kind == EventKind.STEP:
                target = f"s{number}-say"
            elif event.kind == EventKind.CUE:
                cues = steps[segment.step_index].cues
                index = next((i for i, cue in enumerate(cues) if cue.say == event.text), -1)
                target = f"s{number}-cue{index + 1}" if index >= 0 else ""
        elif event.kind == EventKind.OUTRO:
            target = "outro"
        found.append({"start": event.at_ms, "end": end, "target": target, "text": event.text})
    return found


def _cue_offsets(timeline: Timeline, routine: Routine) -> dict[int, dict[int, int]]:
    """For each step, when its cues are heard from the start of its first run (ms)."""
    steps = [step for _, step in routine.iter_steps()]
    first_run: dict[int, Segment] = {}
    for segment in timeline.segments:
        first_run.setdefault(segment.step_index, segment)
    offsets: dict[int, dict[int, int]] = {}
    for event in timeline.events:
        if event.kind != EventKind.CUE or event.segment is None:
            continue
        segment = timeline.segments[event.segment]
        if first_run[segment.step_index].index != segment.index:
            continue
        for index, cue in enumerate(steps[segment.step_index].cues):
            if cue.say == event.text:
                offsets.setdefault(segment.step_index, {}).setdefault(
                    index, event.at_ms - segment.start_ms
                )
    return offsets


def _list_section(kind: str, heading: str, items: list[str], empty: str = "") -> str:
    if not items and not empty:
        return ""
    body = (
        "<ul>" + "".join(f"<li>{_e(item)}</li>" for item in items) + "</ul>"
        if items
        else f"<p>{_e(empty)}</p>"
    )
    return f'<section class="{kind}"><h2>{_e(heading)}</h2>{body}</section>'


def render_guide(
    timeline: Timeline,
    routine: Routine,
    *,
    audio: GuideAudio | None = None,
    for_print: bool = False,
) -> str:
    """The whole guide as one HTML document (``for_print``: no player, for a PDF)."""
    words = guide_words(routine.language)
    runs: dict[int, list[Segment]] = {}
    for segment in timeline.segments:
        runs.setdefault(segment.step_index, []).append(segment)
    cue_offsets = _cue_offsets(timeline, routine)
    body: list[str] = [
        f'<header id="intro"><h1>{_e(routine.title)}</h1><p>{_e(routine.description)}</p>'
        f'<p class="meta">{_e(words.session_length.format(length=format_clock(timeline.total_ms)))}'
        "</p></header>",
        _list_section(
            "safety", words.contraindications, routine.contraindications, words.no_contraindications
        ),
        _list_section("ready", words.have_ready, routine.preparation),
        _list_section("notes", words.notes, routine.notes),
        _timeline_chart(timeline, routine, words),
    ]
    if audio is not None and not for_print:
        encoded = base64.b64encode(audio.data).decode("ascii")
        body.append(
            f'<h2 class="listen">{_e(words.listen)}</h2>'
            f'<p class="help">{_e(words.listen_help)}</p>'
            # only the controls and the line saying where the session is stay on screen
            '<section class="player" id="player">'
            f'<audio controls preload="auto" src="data:{audio.mime};base64,{encoded}"></audio>'
            '<p class="now" aria-live="polite"></p></section>'
        )
    body.append(f'<section class="steps"><h2>{_e(words.steps)}</h2>')
    number = 0
    for phase in routine.all_phases:
        if routine.phases is not None and len(routine.all_phases) > 1:
            body.append(f'<h2 class="phase">{_e(phase.heading)}</h2>')
        for step in phase.steps:
            step_runs = runs.get(number, [])
            body.append(
                _card(routine, number + 1, step, step_runs, cue_offsets.get(number, {}), words)
            )
            number += 1
    body.append("</section>")
    outro = f"<p>{_e(routine.outro)}</p>" if routine.outro else ""
    body.append(f'<footer id="outro">{outro}<p class="made">{_e(words.footer)}</p></footer>')
    script = ""
    if audio is not None and not for_print:
        data = {
            "segments": [
                {
                    "start": s.start_ms,
                    "end": s.end_ms,
                    "step": s.step_index + 1,
                    "label": _segment_label(routine, s),
                }
                for s in timeline.segments
            ],
            "sentences": _sentences(timeline, routine),
            "total": timeline.total_ms,
            "intro": words.introduction,
            "ending": words.ending,
        }
        payload = json.dumps(data, ensure_ascii=False, sort_keys=True).replace("</", "<\\/")
        script = (
            f'<script type="application/json" id="guide-data">{payload}</script>'
            f"<script>{_asset('player.js')}</script>"
        )
    return (
        "<!DOCTYPE html>\n"
        f'<html lang="{_e(routine.language)}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f'<meta http-equiv="Content-Security-Policy" content="{_POLICY}">'
        f'<meta name="generator" content="masseur"><title>{_e(routine.title)}</title>'
        f"<style>{_asset('guide.css')}</style></head>"
        f'<body class="{"print" if for_print else "screen"}">'
        f"{''.join(body)}{script}</body></html>\n"
    )
