"""Chapter marks in audio exports, one per step, so a phone's player can skip from step to step.

mp3 gets ID3v2 chapter frames (CHAP, with a CTOC table of contents); ogg gets the Vorbis
chapter comments (``CHAPTER001=00:00:00.000``, ``CHAPTER001NAME=...``). Both are written with
mutagen, which re-paginates an Ogg stream when its comment header grows. wav and flac exports
get no chapters.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from masseur.durations import format_clock
from masseur.guide_words import guide_words

if TYPE_CHECKING:
    from masseur.timeline import Timeline


@dataclass(frozen=True)
class Chapter:
    start_ms: int
    end_ms: int
    title: str


def chapters(timeline: Timeline) -> list[Chapter]:
    """The introduction, one chapter per step (all its sides and rounds), and the ending."""
    words = guide_words(timeline.language)
    starts: list[tuple[int, str]] = [(0, words.introduction)]
    seen: set[int] = set()
    for segment in timeline.segments:
        if segment.step_index not in seen:
            seen.add(segment.step_index)
            starts.append((segment.start_ms, f"{segment.step_index + 1}. {segment.heading}"))
    if timeline.segments:
        starts.append((timeline.segments[-1].end_ms, words.ending))
    ends = [start for start, _ in starts[1:]] + [timeline.total_ms]
    return [
        Chapter(start, end, title)
        for (start, title), end in zip(starts, ends, strict=True)
        if end > start
    ]


def _vorbis_time(ms: int) -> str:
    return format_clock(ms, millis=True)


def add_chapters(path: Path, fmt: str, timeline: Timeline) -> None:
    """Write the chapter marks into the audio file at ``path`` (mp3 or ogg, the formats the
    export table marks ``chapters``; others unchanged)."""
    from masseur.export.formats import BY_NAME

    if not BY_NAME[fmt].chapters:
        return
    marks = chapters(timeline)
    if fmt == "ogg":
        from mutagen.oggvorbis import OggVorbis

        audio = OggVorbis(str(path))
        assert audio.tags is not None  # a Vorbis stream always has a comment header
        for number, chapter in enumerate(marks, start=1):
            audio.tags[f"CHAPTER{number:03d}"] = _vorbis_time(chapter.start_ms)
            audio.tags[f"CHAPTER{number:03d}NAME"] = chapter.title
        audio.save()
        return
    from mutagen.id3 import CHAP, CTOC, ID3, TIT2, CTOCFlags

    tag = ID3()
    tag.add(TIT2(encoding=3, text=[timeline.title]))
    ids = [f"chp{number}" for number in range(len(marks))]
    tag.add(
        CTOC(
            element_id="toc",
            flags=CTOCFlags.TOP_LEVEL | CTOCFlags.ORDERED,
            child_element_ids=ids,
            sub_frames=[TIT2(encoding=3, text=[timeline.title])],
        )
    )
    for element_id, chapter in zip(ids, marks, strict=True):
        tag.add(
            CHAP(
                element_id=element_id,
                start_time=chapter.start_ms,
                end_time=chapter.end_ms,
                sub_frames=[TIT2(encoding=3, text=[chapter.title])],
            )
        )
    tag.save(str(path))
