"""Subtitles (``srt``, ``vtt``) whose cues match the audio export made with the same voice.

A cue starts at its event's time and ends when the synthesized sentence stops being heard
(its trailing silence is not counted).
"""

from __future__ import annotations

import textwrap
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from masseur.durations import format_clock
from masseur.export.clips import (
    SpeechTiming,
    describe_overlaps,
    find_overlaps,
    speech_timings,
    split_sentences,
    synthesize_speech,
)
from masseur.text import one_line
from masseur.timeline import Timeline

if TYPE_CHECKING:
    from masseur.export.job import Job


@dataclass(frozen=True)
class Caption:
    start_ms: int
    end_ms: int
    text: str


SUBTITLE_LINE = 42  # characters per subtitle line, the usual broadcast limit


def captions(timeline: Timeline, timings: Mapping[str, SpeechTiming]) -> list[Caption]:
    """Subtitle cues: one per sentence heard, or one per spoken event.

    ``timings`` gives, for each spoken text, when its synthesized speech is heard (see
    :func:`synthesize_speech`). An event's first cue starts at the event's time; each later
    sentence starts when it is heard; every cue ends when its sentence stops being heard.
    When the sentences of a text could not be found in its audio, the whole text is one cue.
    No cue runs past the end of the session.
    """
    result = []
    for event in timeline.spoken():
        try:
            timing = timings[event.text]
        except KeyError:
            raise ValueError(f"no speech timing for {event.text!r}") from None
        sentences = split_sentences(event.text)
        if len(timing.sentences) == len(sentences) > 1:
            parts = [
                (event.at_ms + (start if position else 0), event.at_ms + end, sentence)
                for position, ((start, end), sentence) in enumerate(
                    zip(timing.sentences, sentences, strict=True)
                )
            ]
        else:
            parts = [(event.at_ms, event.at_ms + timing.heard_ms, " ".join(sentences))]
        for start, end, text in parts:
            start = min(start, timeline.total_ms - 1)
            end = max(start + 1, min(end, timeline.total_ms))
            lines = textwrap.wrap(text, width=SUBTITLE_LINE, break_on_hyphens=False)
            result.append(Caption(start, end, "\n".join(lines)))
    return result


def _subtitle_clock(ms: int, separator: str) -> str:
    return format_clock(ms, millis=True).replace(".", separator)


def render_srt(timeline: Timeline, timings: Mapping[str, SpeechTiming]) -> str:
    """SubRip subtitles whose cues match the audio export (see :func:`captions`)."""
    blocks = []
    for number, caption in enumerate(captions(timeline, timings), start=1):
        start = _subtitle_clock(caption.start_ms, ",")
        end = _subtitle_clock(caption.end_ms, ",")
        blocks.append(f"{number}\n{start} --> {end}\n{caption.text}\n")
    return "\n".join(blocks)


_VTT_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;"})


def render_vtt(timeline: Timeline, timings: Mapping[str, SpeechTiming]) -> str:
    """WebVTT subtitles with the same cues as :func:`render_srt`."""
    blocks = [f"WEBVTT - {one_line(timeline.title).replace('-->', '->')}\n"]
    for number, caption in enumerate(captions(timeline, timings), start=1):
        start = _subtitle_clock(caption.start_ms, ".")
        end = _subtitle_clock(caption.end_ms, ".")
        text = caption.text.translate(_VTT_ESCAPES)
        blocks.append(f"{number}\n{start} --> {end}\n{text}\n")
    return "\n".join(blocks)


def write(job: Job) -> str | None:
    clips = synthesize_speech(job.timeline, job.speech(), job.voice, progress=job.progress)
    timings = speech_timings(clips)
    render = render_srt if job.format.name == "srt" else render_vtt
    job.destination.write_text(render(job.timeline, timings))
    return describe_overlaps(find_overlaps(job.timeline, timings))
