"""Chapter marks in audio exports: one per step, at the step's time, readable by other tools."""

from __future__ import annotations

from pathlib import Path

import pytest
import soundfile
from mutagen.id3 import ID3
from mutagen.oggvorbis import OggVorbis

from cli_helper import run_main
from conftest import audio_timeline
from masseur.chapters import chapters

FEET = Path(__file__).parent / "data" / "guide" / "feet.yaml"


def expected() -> list[tuple[int, int, str]]:
    timeline = audio_timeline(FEET)
    starts = {}
    for segment in timeline.segments:
        starts.setdefault(segment.step_index, (segment.start_ms, segment.heading))
    steps = [(start, f"{index + 1}. {heading}") for index, (start, heading) in starts.items()]
    marks = [(0, "Introduction"), *steps, (timeline.segments[-1].end_ms, "Ending")]
    ends = [start for start, _ in marks[1:]] + [timeline.total_ms]
    return [(start, end, title) for (start, title), end in zip(marks, ends, strict=True)]


def test_a_chapter_per_step_between_the_introduction_and_the_ending() -> None:
    found = chapters(audio_timeline(FEET))
    assert [(c.start_ms, c.end_ms, c.title) for c in found] == expected()
    assert len(found) == 5 + 2  # five steps, sides and rounds inside their step's chapter


@pytest.mark.parametrize("fmt", ["mp3", "ogg"])
def test_audio_exports_carry_the_chapters(fmt: str, masseur_home: Path, tmp_path: Path) -> None:
    target = tmp_path / f"session.{fmt}"
    result = run_main(["export", str(FEET), "-o", str(target)])
    assert result.exit_code == 0, result.output
    marks = expected()
    if fmt == "mp3":
        tag = ID3(str(target))
        found = [
            (frame.start_time, frame.end_time, str(frame.sub_frames["TIT2"]))
            for frame in sorted(tag.getall("CHAP"), key=lambda frame: frame.start_time)
        ]
        assert found == marks
        (toc,) = tag.getall("CTOC")
        assert len(toc.child_element_ids) == len(marks)
    else:
        tags = OggVorbis(str(target)).tags
        assert tags is not None
        for number, (start, _end, title) in enumerate(marks, start=1):
            seconds, ms = divmod(start, 1000)
            minutes, seconds = divmod(seconds, 60)
            assert tags[f"CHAPTER{number:03d}"] == [f"00:{minutes:02d}:{seconds:02d}.{ms:03d}"]
            assert tags[f"CHAPTER{number:03d}NAME"] == [title]
    # the audio itself is whole after the tags were written
    total_ms = audio_timeline(FEET).total_ms
    assert abs(soundfile.info(str(target)).duration * 1000 - total_ms) < 60
