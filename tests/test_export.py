# Golden files live in tests/golden/. After a deliberate change to an export format (or to the
# timeline, the phrases or a built-in routine), rewrite them with
#
#     MASSEUR_UPDATE_GOLDEN=1 python -m pytest tests/test_export.py -q
#
# and read `git diff tests/golden` before committing. The srt and vtt goldens use a stand-in
# voice with fixed clause lengths and pauses (PausingSynthesizer below); the real espeak-ng
# voice is checked against the audio export instead.
"""masseur export: text renderings against golden files, and real audio exports (real espeak-ng,
real chimes) checked sample by sample against the timeline they were rendered from."""

from __future__ import annotations

import hashlib
import itertools
import json
import os
import re
import signal
import subprocess
import sys
import time
import wave
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from conftest import audio_timeline, home_env
from masseur import export
from masseur.audio import Sound, load_chime
from masseur.cli import main
from masseur.errors import MasseurError
from masseur.export import clips as clips_module
from masseur.export import mixdown, subtitles
from masseur.export.clips import (
    HEARD_THRESHOLD,
    SpeechClips,
    SpeechTiming,
    heard_ms,
    measure_speech,
    speech_timings,
    split_sentences,
    synthesize_speech,
)
from masseur.export.job import write_atomically
from masseur.library import load
from masseur.speech import VoiceSettings, wav_frames, write_wav
from masseur.timeline import DEFAULT_RATE, EventKind, Timeline, TimelineOptions, build_timeline
from masseur.wav import gain_steps

from audio_capture import non_silent_spans
from fakes import FakeSynthesizer

TESTS = Path(__file__).resolve().parent
GOLDEN = TESTS / "golden"
SHORT_ROUTINE = TESTS / "data" / "short-routine.yaml"
UPDATE_GOLDEN = os.environ.get("MASSEUR_UPDATE_GOLDEN") == "1"
GOLDEN_ROUTINES = ("foot-classic", "toes")
RATE = 22050
DEFAULT_CHIME_VOLUME = 0.8

Samples = npt.NDArray[np.int32]


@pytest.fixture(scope="module", autouse=True)
def export_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """One fresh masseur home for the module: a cold speech cache that the tests then share."""
    home = tmp_path_factory.mktemp("export-home")
    with pytest.MonkeyPatch.context() as patch:
        for variable, value in home_env(home).items():
            patch.setenv(variable, value)
        yield home


def run_cli(args: list[str]) -> int:
    """Run ``masseur ARGS`` in this process and return its exit status."""
    with pytest.raises(SystemExit) as exited:
        main(args)
    code = exited.value.code
    return code if isinstance(code, int) else 1


def cli_output(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    status = run_cli(args)
    out, err = capsys.readouterr()
    return status, out, err


def check_golden(name: str, text: str) -> None:
    path = GOLDEN / name
    if UPDATE_GOLDEN:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8", newline="\n")
        return
    assert path.exists(), f"no golden file {path}; make it with MASSEUR_UPDATE_GOLDEN=1"
    expected = path.read_text(encoding="utf-8")
    assert text == expected, f"{name} differs from its golden file (see the top of this file)"


def read_wav(path: Path) -> Samples:
    with wave.open(str(path), "rb") as wav:
        assert (wav.getnchannels(), wav.getsampwidth(), wav.getframerate()) == (1, 2, RATE)
        data = wav.readframes(wav.getnframes())
    return np.frombuffer(data, dtype="<i2").astype(np.int32)


def scaled(samples: Samples, volume: float) -> Samples:
    """As masseur scales: times the gain in 65536ths, rounded half up."""
    steps = gain_steps(volume)
    result: Samples = ((samples.astype(np.int64) * steps + 32768) >> 16).astype(np.int32)
    return result


def clip_samples(sound: Sound) -> Samples:
    return np.frombuffer(sound.pcm, dtype="<i2").astype(np.int32)


def frame(ms: int) -> int:
    return round(ms * RATE / 1000)


@dataclass(frozen=True)
class Cue:
    start_ms: int
    end_ms: int
    text: str


def parse_subtitles(text: str) -> list[Cue]:
    pattern = re.compile(
        r"(\d\d):(\d\d):(\d\d)[,.](\d{3}) --> (\d\d):(\d\d):(\d\d)[,.](\d{3})\n(.+?)(?:\n\n|\n?$)",
        re.S,
    )
    cues = []
    for match in pattern.finditer(text):
        h1, m1, s1, ms1, h2, m2, s2, ms2 = (int(part) for part in match.groups()[:8])
        cues.append(
            Cue(
                ((h1 * 60 + m1) * 60 + s1) * 1000 + ms1,
                ((h2 * 60 + m2) * 60 + s2) * 1000 + ms2,
                " ".join(match.group(9).split()),
            )
        )
    return cues


def short_timeline(*, chimes: bool = True) -> Timeline:
    """The timeline `masseur export` renders as sound for the short routine with default
    options: with no screen to show them, it speaks the contraindications."""
    _, routine = load(str(SHORT_ROUTINE))
    options = TimelineOptions(rate=routine.voice.rate or 150, chimes=chimes, speak_warnings=True)
    return build_timeline(routine, options)


# --------------------------------------------------------------------------- golden files


@pytest.mark.parametrize("fmt", ["txt", "md", "json"])
@pytest.mark.parametrize("routine_name", GOLDEN_ROUTINES)
def test_text_export_matches_golden(
    routine_name: str, fmt: str, capsys: pytest.CaptureFixture[str]
) -> None:
    status, out, err = cli_output(["export", routine_name, "--format", fmt, "-o", "-"], capsys)
    assert (status, err) == (0, "")
    check_golden(f"{routine_name}.{fmt}", out)


class PausingSynthesizer:
    """A stand-in voice for the subtitle goldens: a tone for each clause, then the pause a
    voice makes there (200 ms after a comma, 400 ms after a full stop, 300 ms at the end).

    espeak-ng's own lengths shift by a few ms with what its engine said before (and whether
    it listed the voices first), so goldens made with it would not be stable; the real voice
    is checked against the audio export below instead.
    """

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def synthesize(self, text: str, settings: VoiceSettings, timeout: float | None = None) -> Path:
        clauses = re.split(r"(?<=[.!?\u2026,;:])\s+", " ".join(text.split()))
        pieces = []
        for number, clause in enumerate(clauses):
            frames = frame(round(len(clause) * 60 * 150 / settings.rate))
            pieces.append(np.rint(3000 * np.sin(np.arange(frames) * 0.06)).astype("<i2"))
            last = number + 1 == len(clauses)
            pause_ms = 300 if last else 400 if clause[-1] in ".!?\u2026" else 200
            pieces.append(np.zeros(frame(pause_ms), dtype="<i2"))
        path = self.folder / f"{len(list(self.folder.iterdir()))}.wav"
        write_wav(path, np.concatenate(pieces).tobytes())
        return path


@pytest.mark.parametrize("fmt", ["srt", "vtt"])
@pytest.mark.parametrize("routine_name", GOLDEN_ROUTINES)
def test_subtitles_match_golden(routine_name: str, fmt: str, tmp_path: Path) -> None:
    _, routine = load(routine_name)
    timeline = build_timeline(routine, TimelineOptions(rate=routine.voice.rate or DEFAULT_RATE))
    voice = PausingSynthesizer(tmp_path)
    clips = synthesize_speech(timeline, voice, VoiceSettings(None, timeline.rate))
    timings = speech_timings(clips)
    assert all(t.sentences for text, t in timings.items() if len(split_sentences(text)) > 1)
    render = subtitles.render_srt if fmt == "srt" else subtitles.render_vtt
    check_golden(f"{routine_name}.{fmt}", render(timeline, timings))


def test_json_has_the_documented_shape(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = cli_output(["export", str(SHORT_ROUTINE), "-f", "json"], capsys)
    assert status == 0
    document = json.loads(out)
    assert document["format_version"] == 1
    assert set(document) == {"format_version", "routine", "rate", "totals", "segments", "events"}
    assert document["routine"]["name"] == "short-routine"
    assert document["rate"] == 170
    events, segments, totals = document["events"], document["segments"], document["totals"]
    assert {tuple(sorted(event)) for event in events} == {
        ("end_ms", "index", "kind", "segment", "sound", "start_ms", "text")
    }
    assert [event["start_ms"] for event in events] == sorted(e["start_ms"] for e in events)
    assert [event["index"] for event in events] == list(range(len(events)))
    assert events[-1]["kind"] == "end" and events[-1]["start_ms"] == totals["total_ms"]
    chimes = [event for event in events if event["kind"] == "chime"]
    assert [chime["sound"] for chime in chimes] == ["step", "side", "phase", "end"]
    for chime in chimes:  # a chime's end is its real length
        length = round(load_chime(chime["sound"]).duration_ms)
        assert chime["end_ms"] - chime["start_ms"] == length
    # Two sides of "Rub the sole", then "Stroke up": timed parts follow each other exactly.
    assert [(s["step"], s["side"]) for s in segments] == [
        ("Rub the sole", "left"),
        ("Rub the sole", "right"),
        ("Stroke up", None),
    ]
    for before, after in itertools.pairwise(segments):
        assert before["end_ms"] == after["start_ms"]
    assert totals["steps_ms"] == 7000 + 7000 + 4000
    assert totals["spoken_events"] == sum(1 for e in events if e["kind"] not in ("chime", "end"))


# --------------------------------------------------------------------------- a real audio export


@dataclass(frozen=True)
class AudioExport:
    wav: Samples
    srt: list[Cue]
    timeline: Timeline


def _export_audio(folder: Path, *extra: str) -> AudioExport:
    folder.mkdir(parents=True, exist_ok=True)
    wav_path, srt_path = folder / "session.wav", folder / "session.srt"
    assert run_cli(["export", str(SHORT_ROUTINE), "-o", str(wav_path), *extra]) == 0
    assert run_cli(["export", str(SHORT_ROUTINE), "-o", str(srt_path), *extra]) == 0
    timeline = short_timeline(chimes="--no-chimes" not in extra)
    return AudioExport(
        read_wav(wav_path), parse_subtitles(srt_path.read_text(encoding="utf-8")), timeline
    )


@pytest.fixture(scope="module")
def with_chimes(tmp_path_factory: pytest.TempPathFactory) -> AudioExport:
    return _export_audio(tmp_path_factory.mktemp("with-chimes"))


@pytest.fixture(scope="module")
def speech_only(tmp_path_factory: pytest.TempPathFactory) -> AudioExport:
    return _export_audio(tmp_path_factory.mktemp("speech-only"), "--no-chimes")


def test_wav_lasts_exactly_as_long_as_the_timeline(with_chimes: AudioExport) -> None:
    timeline = with_chimes.timeline
    assert 25_000 < timeline.total_ms < 40_000  # the short routine is about half a minute
    assert len(with_chimes.wav) == frame(timeline.total_ms)
    assert abs(len(with_chimes.wav) / RATE * 1000 - timeline.total_ms) <= 1000 / RATE


def test_each_chime_starts_at_its_scheduled_sample(with_chimes: AudioExport) -> None:
    wav, timeline = with_chimes.wav, with_chimes.timeline
    spans = non_silent_spans(Sound(wav.astype("<i2").tobytes(), RATE))
    onsets = [start for start, _ in spans]
    chimes = [event for event in timeline.events if event.kind == EventKind.CHIME]
    assert len(chimes) == 4
    for event in chimes:
        # Found by listening: an RMS onset within one 2 ms analysis window of the schedule.
        nearest = min(onsets, key=lambda onset: abs(onset - event.at_ms))
        assert abs(nearest - event.at_ms) <= 3, (event.sound, nearest, event.at_ms)
        # And exactly: the chime's samples (at the default chime volume) begin at
        # round(at_ms * rate / 1000), up to where the step's speech joins in.
        chime = scaled(clip_samples(load_chime(event.sound or "")), DEFAULT_CHIME_VOLUME)
        start = frame(event.at_ms)
        alone = min(len(chime), frame(800))  # the speech starts 800 ms after the chime
        assert np.array_equal(wav[start : start + alone], chime[:alone]), event.sound
        assert not wav[start - frame(100) : start].any()  # silence just before it


def _sounding_intervals(export_: AudioExport) -> list[tuple[int, int]]:
    """Where the timeline says something is heard, in frames: sentences and chimes."""
    intervals = [(frame(cue.start_ms), frame(cue.end_ms)) for cue in export_.srt]
    for event in export_.timeline.events:
        if event.kind == EventKind.CHIME:
            length = load_chime(event.sound or "").frames
            intervals.append((frame(event.at_ms), frame(event.at_ms) + length))
    return intervals


@pytest.mark.parametrize("which", ["with_chimes", "speech_only"])
def test_speech_is_where_the_timeline_says_and_silence_elsewhere(
    which: str, request: pytest.FixtureRequest
) -> None:
    export_: AudioExport = request.getfixturevalue(which)
    wav, timeline = export_.wav, export_.timeline
    spoken = timeline.spoken()
    subtitles = " ".join(cue.text for cue in export_.srt)
    assert subtitles == " ".join(" ".join(event.text.split()) for event in spoken)
    for cue in export_.srt:
        first = wav[frame(cue.start_ms) : frame(cue.start_ms) + frame(300)]
        assert np.sqrt(np.mean(first.astype(float) ** 2)) > 300, cue.text  # speech is there
    heard = np.zeros(len(wav), dtype=bool)
    for start, end in _sounding_intervals(export_):
        heard[start:end] = True
    outside = np.abs(wav[~heard])
    assert outside.max(initial=0) < HEARD_THRESHOLD  # nothing outside: silence
    assert heard.mean() < 0.8  # and there is real silence between the sounds


def test_each_sentence_is_the_synthesized_speech_at_its_event_time(
    speech_only: AudioExport,
) -> None:
    wav, timeline = speech_only.wav, speech_only.timeline
    _, routine = load(str(SHORT_ROUTINE))
    from masseur.speech import Pyttsx3Synthesizer, resolve_voice

    settings = VoiceSettings(resolve_voice(None, routine.language), timeline.rate)
    with Pyttsx3Synthesizer() as synthesizer:  # cache hits: the export made them
        for event in timeline.spoken():
            clip = clip_samples(Sound.from_wav(synthesizer.synthesize(event.text, settings)))
            start = frame(event.at_ms)
            end = min(start + len(clip), len(wav))
            assert np.array_equal(wav[start:end], clip[: end - start]), event.text


def test_audio_speaks_the_contraindications_before_the_first_step(
    with_chimes: AudioExport,
) -> None:
    # The wav's opening is this intro as synthesized (test above); the subtitles show it.
    heard = [cue.text for cue in with_chimes.srt]
    first_step = next(i for i, text in enumerate(heard) if "Rub the sole." in text)
    opening = " ".join(heard[:first_step])
    assert "check that none of these applies to you" in opening
    assert "An injury to the foot." in opening
    assert "on the screen" not in " ".join(heard)


def test_foot_classic_as_wav_speaks_every_contraindication_before_the_first_step(
    tmp_path: Path,
) -> None:
    # A built-in routine, as a person would export it to play on a phone.
    wav_path, srt_path = tmp_path / "x.wav", tmp_path / "x.srt"
    assert run_cli(["export", "foot-classic", "-o", str(wav_path)]) == 0
    assert run_cli(["export", "foot-classic", "-o", str(srt_path)]) == 0  # same speech, cached
    wav, cues = read_wav(wav_path), parse_subtitles(srt_path.read_text(encoding="utf-8"))
    entry, routine = load("foot-classic")
    first_step_ms = audio_timeline(entry.path).segments[0].start_ms
    before = [cue for cue in cues if cue.end_ms <= first_step_ms]
    said = " ".join(cue.text for cue in before)
    for item in routine.contraindications:
        assert split_sentences(item)[0] in said, item
    for cue in before:  # and they are heard, not just listed
        heard = wav[frame(cue.start_ms) : frame(cue.end_ms)].astype(float)
        assert np.sqrt(np.mean(heard**2)) > 300, cue.text


def test_srt_cues_match_the_speech_heard_in_the_audio(speech_only: AudioExport) -> None:
    wav, cues = speech_only.wav, speech_only.srt
    spans = non_silent_spans(Sound(wav.astype("<i2").tobytes(), RATE))
    events = speech_only.timeline.spoken()
    # Every event's first cue starts at the event's time; its other sentences follow.
    starts = [cue.start_ms for cue in cues]
    assert all(event.at_ms in starts for event in events)
    assert len(cues) > len(events)  # the longer texts are split into sentences
    total_ms = speech_only.timeline.total_ms
    errors = []
    for position, cue in enumerate(cues):
        following = cues[position + 1].start_ms if position + 1 < len(cues) else total_ms
        inside = [span for span in spans if cue.start_ms - 50 <= span[0] < cue.end_ms]
        assert inside, cue.text
        onset, heard_until = inside[0][0], inside[-1][1]
        assert abs(onset - cue.start_ms) <= 50, (cue.text, onset, cue.start_ms)
        assert abs(heard_until - cue.end_ms) <= 50, (cue.text, heard_until, cue.end_ms)
        # Between this cue and the next, nothing is heard.
        assert not [span for span in spans if cue.end_ms + 50 <= span[0] < following - 50]
        errors.append((onset - cue.start_ms, heard_until - cue.end_ms))
    print("srt cue vs audio (start, end) differences in ms:", errors)


OVERLAPPING_ROUTINE = """\
name: overlapping
title: Overlap
description: A step too short for its own words, so its cue runs into the ending.
steps:
  - say: >-
      Rest the foot across your knee and rub the whole sole briskly with the heel of your hand.
    duration: 4s
    cues:
      - at: 1s
        say: Keep going.
"""


def test_speech_that_runs_long_stays_in_place_mixed_with_one_warning(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    routine_path = tmp_path / "overlapping.yaml"
    routine_path.write_text(OVERLAPPING_ROUTINE, encoding="utf-8")
    out = tmp_path / "overlap.wav"
    status, _, err = cli_output(
        ["export", str(routine_path), "--no-chimes", "--volume", "0.5", "-o", str(out)], capsys
    )
    assert status == 0
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "warning" in lines[0] and "overlap" in lines[0], err

    _, routine = load(str(routine_path))
    timeline = build_timeline(routine, TimelineOptions(rate=150, chimes=False, speak_warnings=True))
    from masseur.speech import Pyttsx3Synthesizer, resolve_voice

    settings = VoiceSettings(resolve_voice(None, "en"), 150)
    expected = np.zeros(frame(timeline.total_ms), dtype=np.int32)
    placed = {}
    with Pyttsx3Synthesizer() as synthesizer:  # cache hits: the export made them
        for event in timeline.spoken():
            path = synthesizer.synthesize(event.text, settings)
            clip = scaled(clip_samples(Sound.from_wav(path)), 0.5)
            start = frame(event.at_ms)
            clip = clip[: len(expected) - start]
            expected[start : start + len(clip)] += clip
            placed[event.kind] = (start, start + len(clip))
    cue, outro = placed[EventKind.CUE], placed[EventKind.OUTRO]
    assert max(cue[0], outro[0]) < min(cue[1], outro[1])  # the cue and the ending overlap
    assert np.array_equal(read_wav(out), np.clip(expected, -32768, 32767))


class LoudSynthesizer:
    """Full-scale square waves as long as the text has letters: sums that must clip."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def synthesize(self, text: str, settings: object, timeout: float | None = None) -> Path:
        path = self.folder / f"{abs(hash(text))}.wav"
        frames = frame(100 * len(text))
        square = np.where((np.arange(frames) // 50) % 2 == 0, 30000, -30000).astype("<i2")
        write_wav(path, square.tobytes())
        return path


def _bursts(*parts_ms: int) -> npt.NDArray[np.int16]:
    """Alternating sound and silence of the given lengths (sound first)."""
    pieces = []
    for position, length in enumerate(parts_ms):
        frames = frame(length)
        level = 8000 if position % 2 == 0 else 0
        pieces.append(np.full(frames, level, dtype=np.int16))
    return np.concatenate(pieces)


def test_sentences_are_found_at_the_pauses_their_marks_make() -> None:
    # Sound 1 s, a comma's pause of 200 ms, sound, a full stop's pause of 400 ms, sound.
    samples = _bursts(1000, 200, 500, 400, 700, 300)
    timing = measure_speech(samples, RATE, "Rub the sole, slowly. Now stop.")
    assert timing.heard_ms == 2800
    assert timing.sentences == ((0, 1700), (2100, 2800))
    # A colon may pause longer than a full stop; the marks, in order, still tell them apart.
    samples = _bursts(600, 450, 800, 380, 700)
    timing = measure_speech(samples, RATE, "Before we begin: breathe in. Breathe out.")
    found = [ms for sentence in timing.sentences for ms in sentence]
    assert np.allclose(found, [0, 1850, 2230, 2930], atol=1)  # to the ms, frames rounded
    # Four sentences but only two pauses: no sentence times are guessed.
    text = "One. Two. Three. Four."
    assert measure_speech(_bursts(1000, 200, 500, 400, 700), RATE, text).sentences == ()
    # Two pauses of much the same length, one mark: which one is the sentence end?
    even = _bursts(500, 300, 500, 330, 500)
    assert measure_speech(even, RATE, "Slowly. Softly now").sentences == ()


def _pauses_the_plain_way(samples: npt.NDArray[np.int16], text: str) -> SpeechTiming:
    """measure_speech's rules applied to every loud sample one by one: slow, but plainly
    right, to check the fast way against."""
    loud = [index for index, value in enumerate(samples.tolist()) if abs(value) >= 64]
    if not loud:
        return SpeechTiming(0)
    heard = -(-(loud[-1] + 1) * 1000 // RATE)
    sentences = split_sentences(text)
    if len(sentences) < 2:
        return SpeechTiming(heard)
    steps = [after - before for before, after in itertools.pairwise(loud)]
    floor = RATE // 10
    order = sorted((i for i, step in enumerate(steps) if step >= floor), key=lambda i: -steps[i])
    longest_shorter = max((step for step in steps if step < floor), default=1)

    def longest(count: int) -> list[int] | None:
        if count < 1 or len(order) < count:
            return None
        rest = (
            steps[order[count]]
            if len(order) > count
            else (longest_shorter if len(steps) > count else 1)
        )
        return sorted(order[:count]) if steps[order[count - 1]] >= 1.2 * rest else None

    marks = re.findall(r"([.!?\u2026]+|[,;:\u2013\u2014]|(?<=\s)-)(?=\s)", " ".join(text.split()))
    found = longest(len(marks))
    ends = None
    if found is not None:
        ends = [gap for gap, mark in zip(found, marks, strict=True) if mark[0] in ".!?\u2026"]
    if ends is None or len(ends) != len(sentences) - 1:
        ends = longest(len(sentences) - 1)
    if ends is None:
        return SpeechTiming(heard)
    bounds, first = [], loud[0]
    for gap in ends:
        bounds.append((first * 1000 // RATE, -(-(loud[gap] + 1) * 1000 // RATE)))
        first = loud[gap + 1]
    return SpeechTiming(heard, (*bounds, (first * 1000 // RATE, heard)))


# Pause lengths around the 100 ms (2205-frame) floor and the 1.2 ratio between pauses.
_PAUSE_FRAMES = [0, 1, 2, 500, 1837, 1838, 2203, 2204, 2205, 2206, 2646, 2647, 3000, 9000]


@settings(max_examples=400, deadline=None)
@example(pieces=[(0, 500, 300), (2204, 500, 300)], text="One. Two.")
@example(pieces=[(10, 64, 2), (2647, -64, 1), (2205, 63, 5), (2206, 32767, 3)], text="Hi. Ho")
@given(
    pieces=st.lists(
        st.tuples(
            st.sampled_from(_PAUSE_FRAMES),
            st.sampled_from([63, 64, -64, -63, 500, -32768, 32767]),
            st.sampled_from([1, 2, 300]),
        ),
        max_size=8,
    ),
    text=st.sampled_from(
        ["One.", "One. Two.", "One, two. Three: four. Five!", "A - b. C\u2026 d? E.", "Hi. Ho"]
    ),
)
def test_pauses_are_found_as_the_plain_way_finds_them(
    pieces: list[tuple[int, int, int]], text: str
) -> None:
    # Silence, then a run of one level (loud or just below the threshold), again and again.
    runs = [np.zeros(0, dtype=np.int16)]
    for silent, level, frames in pieces:
        runs += [np.zeros(silent, dtype=np.int16), np.full(frames, level, dtype=np.int16)]
    samples = np.concatenate(runs)
    assert measure_speech(samples, RATE, text) == _pauses_the_plain_way(samples, text)


def test_overlapping_loud_sounds_are_summed_and_clipped(tmp_path: Path) -> None:
    _, routine = load(str(SHORT_ROUTINE))
    timeline = build_timeline(routine, TimelineOptions(rate=170, chimes=False))
    out = tmp_path / "loud.wav"
    report = mixdown.render_audio(
        timeline, routine, out, "wav", LoudSynthesizer(tmp_path), VoiceSettings(None, 170)
    )
    wav = read_wav(out)
    assert report.overlaps  # 100 ms per letter: every sentence runs into the next
    assert wav.max() == 32767 and wav.min() == -32768  # 30000 + 30000 clipped, not wrapped
    assert len(wav) == frame(timeline.total_ms)


@settings(max_examples=150, deadline=None)
@given(
    sounds=st.lists(
        st.tuples(
            st.integers(0, 3000),  # first frame
            st.lists(st.integers(-32768, 32767), max_size=900),  # samples
        ),
        max_size=7,
    ),
    total=st.integers(0, 4000),
    in_python=st.booleans(),
)
def test_the_pieces_are_every_sound_summed_and_clipped_where_it_is_heard(
    sounds: list[tuple[int, list[int]]], total: int, in_python: bool
) -> None:
    """Pieces of sound placed into silence give what adding every sound into one array of
    samples and clipping gives, through the Python sums and through numpy's alike."""
    from masseur.timeline import Event

    placements = [
        mixdown._Placement(start, Event(start, EventKind.CUE, None, text=f"sound {number}"))
        for number, (start, _) in enumerate(sounds)
    ]
    placements.sort(key=lambda placement: placement.start)
    pcm = {
        f"sound {number}": np.array(samples, "<i2").tobytes()
        for number, (_, samples) in enumerate(sounds)
    }
    expected = np.zeros(total + 3000 + 900, dtype=np.int32)
    for start, samples in sounds:
        expected[start : start + len(samples)] += np.array(samples, dtype=np.int32)
    expected = np.clip(expected[:total], -32768, 32767)

    mixed = np.zeros(total, dtype=np.int32)
    limit = mixdown.SUM_IN_PYTHON_SAMPLES if in_python else 0
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(mixdown, "SUM_IN_PYTHON_SAMPLES", limit)
        position = 0
        for first, piece in mixdown._pieces(placements, total, lambda event: pcm[event.text]):
            assert first >= position  # in order, never overlapping
            samples = np.frombuffer(piece, dtype="<i2")
            mixed[first : first + len(samples)] = samples
            position = first + len(samples)
    assert position <= total
    assert np.array_equal(mixed, expected)


def test_a_wav_export_keeps_its_silence_off_the_disk(
    with_chimes: AudioExport, tmp_path: Path
) -> None:
    out = tmp_path / "session.wav"
    assert run_cli(["export", str(SHORT_ROUTINE), "-o", str(out)]) == 0
    assert np.array_equal(read_wav(out), with_chimes.wav)
    size = out.stat().st_size
    assert out.stat().st_blocks * 512 < 0.9 * size  # holes where the session is silent


def test_a_wav_export_goes_to_the_disk_while_it_is_made_and_comes_out_the_same(
    with_chimes: AudioExport, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from masseur import wav

    synced: list[int] = []
    real_fdatasync = os.fdatasync

    def fdatasync(descriptor: int) -> None:
        synced.append(descriptor)
        real_fdatasync(descriptor)

    monkeypatch.setattr(wav.PlacedWav, "SYNC_AHEAD_BYTES", 1)  # after every piece
    monkeypatch.setattr(os, "fdatasync", fdatasync)
    out = tmp_path / "session.wav"
    assert run_cli(["export", str(SHORT_ROUTINE), "-o", str(out)]) == 0
    assert synced  # written out on the way, not only by the final sync
    assert np.array_equal(read_wav(out), with_chimes.wav)


@settings(max_examples=150, deadline=None)
@given(
    samples=st.lists(st.integers(-32768, 32767), max_size=9000),
    quiet_tail=st.integers(0, 12000),
    zeros=st.integers(0, 300_000),  # espeak-ng's closing silence, past the first tail looked at
)
def test_when_speech_is_heard_is_found_from_its_end_as_measure_speech_finds_it(
    samples: list[int], quiet_tail: int, zeros: int
) -> None:
    quiet = [(-1) ** index * (index % HEARD_THRESHOLD) for index in range(quiet_tail)]
    sound = np.concatenate([np.array(samples + quiet, dtype="<i2"), np.zeros(zeros, "<i2")])
    assert heard_ms(sound.tobytes(), RATE) == measure_speech(sound, RATE, "One. Two.").heard_ms


# --------------------------------------------------------------------------- files and options


def test_existing_file_is_kept_without_force_and_replaced_with_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "guide.md"
    target.write_text("my own notes\n", encoding="utf-8")
    status, _out, err = cli_output(["export", "toes", "-o", str(target)], capsys)
    assert status == 2
    assert err == f"masseur: {target} exists; use --force to overwrite\n"
    assert target.read_text(encoding="utf-8") == "my own notes\n"
    status, _, err = cli_output(["export", "toes", "-o", str(target), "--force"], capsys)
    assert status == 0, err
    assert target.read_text(encoding="utf-8").startswith("# Toe by toe\n")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["guide.md"]


def test_failed_audio_export_leaves_no_file(tmp_path: Path) -> None:
    timeline = short_timeline()
    _, routine = load(str(SHORT_ROUTINE))
    target = tmp_path / "session.wav"
    target.write_bytes(b"the previous export")
    blocks = []

    def fail_midway(stage: str, done: int, total: int) -> None:
        if stage == "audio":
            blocks.append(done)
            if len(blocks) == 5:
                raise OSError(28, "No space left on device")

    synthesizer = FakeSynthesizer(tmp_path / "speech")
    (tmp_path / "speech").mkdir()

    def write(path: Path) -> None:
        mixdown.render_audio(
            timeline,
            routine,
            path,
            "wav",
            synthesizer,
            VoiceSettings(None, 170),
            progress=fail_midway,
        )

    with pytest.raises(MasseurError, match="No space left on device"):
        write_atomically(target, write, force=True)
    assert len(blocks) == 5
    assert target.read_bytes() == b"the previous export"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["session.wav", "speech"]


@pytest.mark.parametrize(
    ("how", "fmt", "said"),
    [
        (signal.SIGINT, "wav", "interrupted"),
        (signal.SIGTERM, "wav", "terminated"),
        (signal.SIGHUP, "wav", "hung up (the terminal was closed)"),
        (signal.SIGHUP, "mp3", "hung up (the terminal was closed)"),
    ],
)
def test_interrupted_export_leaves_no_file(
    tmp_path: Path, how: signal.Signals, fmt: str, said: str
) -> None:
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    command = [sys.executable, "-m", "masseur", "export", "foot-self-massage", "--minutes", "120"]
    process = subprocess.Popen(
        [*command, "-o", str(out_dir / f"long.{fmt}")],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 120
    while not any(out_dir.iterdir()):  # wait until the temporary file is being written
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline
        time.sleep(0.002)
    process.send_signal(how)
    _, err = process.communicate(timeout=60)
    assert process.returncode == 128 + how, err  # 130 for Ctrl-C, as shells report it
    assert "Traceback" not in err
    assert err.strip().endswith(said)
    assert list(out_dir.iterdir()) == []


def test_text_goes_to_stdout_and_files_alike(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _, to_stdout, _ = cli_output(["export", "toes", "-f", "txt", "-o", "-"], capsys)
    _, no_output_option, _ = cli_output(["export", "toes", "-f", "txt"], capsys)
    assert run_cli(["export", "toes", "-o", str(tmp_path / "toes.txt")]) == 0
    capsys.readouterr()
    assert to_stdout == no_output_option == (tmp_path / "toes.txt").read_text(encoding="utf-8")
    assert to_stdout.startswith("Toe by toe (toes)\n")


@pytest.mark.parametrize(
    ("file_name", "fmt"),
    [("a.txt", "txt"), ("b.MD", "md"), ("c.json", "json"), ("d.srt", "srt"), ("e.vtt", "vtt")],
)
def test_format_comes_from_the_extension(
    tmp_path: Path, file_name: str, fmt: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run_cli(["export", str(SHORT_ROUTINE), "-o", str(tmp_path / file_name)]) == 0
    _, explicit, _ = cli_output(["export", str(SHORT_ROUTINE), "--format", fmt], capsys)
    assert (tmp_path / file_name).read_text(encoding="utf-8") == explicit


@pytest.mark.parametrize("fmt", ["flac", "ogg", "mp3"])
def test_compressed_audio_formats(tmp_path: Path, fmt: str, with_chimes: AudioExport) -> None:
    import soundfile

    if fmt not in export.available_audio_formats():
        pytest.skip(f"libsndfile here cannot write {fmt}")
    out = tmp_path / f"session.{fmt}"
    assert run_cli(["export", str(SHORT_ROUTINE), "-o", str(out)]) == 0
    data, rate = soundfile.read(str(out), dtype="int16")
    assert rate == RATE and data.ndim == 1
    expected = with_chimes.wav
    if fmt == "flac":  # lossless: the very same samples as the wav
        assert np.array_equal(data.astype(np.int32), expected)
    else:  # lossy codecs pad a little at the ends
        assert abs(len(data) - len(expected)) < RATE // 10


def test_exports_are_deterministic(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Byte-identical files from the same routine and options, each from an empty cache."""
    options = ["--minutes", "1", "--countdown", "--halfway", "--rate", "190"]
    for fmt in ("txt", "md", "json", "wav", "srt", "vtt"):
        made = []
        for attempt in (1, 2):
            monkeypatch.setenv("MASSEUR_CACHE_DIR", str(tmp_path / f"cache-{fmt}-{attempt}"))
            path = tmp_path / f"{attempt}.{fmt}"
            assert run_cli(["export", str(SHORT_ROUTINE), *options, "-o", str(path)]) == 0
            made.append(path.read_bytes())
        assert made[0] == made[1], fmt


def test_ten_cold_exports_in_fresh_processes_give_the_same_wav(tmp_path: Path) -> None:
    # Each export is a new process with an empty speech cache: a new engine that starts,
    # warms up and synthesizes every sentence. Any race in how it starts shows up as a
    # sentence of another length, and so as different bytes.
    digests = set()
    for attempt in range(10):
        out = tmp_path / "cold.wav"
        env = {**os.environ, **home_env(tmp_path / f"home-{attempt}")}
        subprocess.run(
            [sys.executable, "-m", "masseur", "export", "foot-classic", "--force", "-o", str(out)],
            env=env,
            check=True,
            capture_output=True,
            timeout=120,
        )
        digests.add(hashlib.sha256(out.read_bytes()).hexdigest())
        out.unlink()
    assert len(digests) == 1


def test_options_shape_the_timeline(capsys: pytest.CaptureFixture[str]) -> None:
    _, plain, _ = cli_output(["export", str(SHORT_ROUTINE), "-f", "json"], capsys)
    _, stretched, _ = cli_output(
        ["export", str(SHORT_ROUTINE), "-f", "json", "--minutes", "1.5", "--no-chimes"], capsys
    )
    assert json.loads(plain)["totals"]["total_ms"] < 60_000
    assert json.loads(stretched)["totals"]["total_ms"] == 90_000
    assert not any(e["kind"] == "chime" for e in json.loads(stretched)["events"])


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["toes", "--format", "docx"], "unknown export format 'docx'"),
        (["no-such-routine", "-f", "txt"], "no routine named 'no-such-routine'"),
        (["toes", "--minutes", "1", "-f", "txt"], "cannot fit into 1 minutes"),
        (["toes", "-o", "toes.docx"], "cannot tell the format from 'toes.docx'"),
        (["toes", "-f", "wav", "-o", "-"], "wav audio cannot go to standard output"),
        (["toes", "--minutes", "0", "-f", "txt"], "Invalid value for '--minutes'"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(
    args: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    status, out, err = cli_output(["export", *args], capsys)
    assert status == 2
    assert out == ""
    assert err.count("\n") == 1 and message in err, err


def test_help_documents_json_and_lists_audio_formats(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = cli_output(["export", "--help"], capsys)
    assert status == 0
    assert '"format_version": 1' in out
    available = ", ".join(export.available_audio_formats())
    assert f"Audio formats available here: {available}." in " ".join(out.split())


def test_each_distinct_sentence_is_synthesized_once_and_measured(tmp_path: Path) -> None:
    timeline = short_timeline()
    synthesizer = FakeSynthesizer(tmp_path)
    clips = synthesize_speech(timeline, synthesizer, VoiceSettings(None, 170))
    assert len(synthesizer.calls) == len({e.text for e in timeline.spoken()})
    for clip in clips.values():
        assert wav_frames(clip.path) == clip.frames
        assert abs(clip.heard_ms - clip.length_ms) <= 1  # a fake tone is heard to its end
        assert clip.timing.sentences == ()  # and has no pauses to split sentences at


def test_an_audio_export_reads_each_sentence_once_and_the_same_file_comes_out(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The mixdown takes each sound as SpeechClips read it to measure it; with nothing kept
    (the bound reached), it reads the files itself, and the file is the same."""
    timeline = short_timeline()
    _, routine = load(str(SHORT_ROUTINE))
    synthesizer = FakeSynthesizer(tmp_path / "speech")
    (tmp_path / "speech").mkdir()
    settings = VoiceSettings(None, 170)
    reads: list[Path] = []
    from_wav = Sound.from_wav.__func__  # type: ignore[attr-defined]

    def counted(cls: type[Sound], path: Path) -> Sound:
        reads.append(path)
        return from_wav(cls, path)  # type: ignore[no-any-return]

    monkeypatch.setattr(Sound, "from_wav", classmethod(counted))
    made = {}
    for kept in (True, False):
        if not kept:
            monkeypatch.setattr(clips_module, "KEPT_SOUNDS_BYTES", 0)
        reads.clear()
        with SpeechClips(
            timeline, synthesizer, settings, sentences=False, keep_sounds=True
        ) as clips:
            out = tmp_path / f"kept-{kept}.wav"
            mixdown.render_audio(timeline, routine, out, "wav", synthesizer, settings, clips=clips)
            assert all(clips.take_sound(text) is None for text in clips)  # each taken once
        made[kept] = out.read_bytes()
        speech_reads = [path for path in reads if path.parent == tmp_path / "speech"]
        assert len(speech_reads) == (1 if kept else 2) * len(clips)
    assert made[True] == made[False]
