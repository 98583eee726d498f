"""Render a session's timeline as text, subtitles or audio.

Every format is drawn from the same :class:`~masseur.timeline.Timeline` that ``run`` plays,
so a printed guide, a subtitle file and an audio file of one routine (with the same options)
agree with each other and with a live session.

Text formats
    ``txt``   the narration in order, each sentence with its time, under step headings.
    ``md``    a printable guide: title, description, contraindications, preparation, notes,
              the steps grouped by phase with their durations and cues, and the total.
    ``json``  the timeline itself, in the shape below.
    ``srt``,
    ``vtt``   subtitles. A cue starts at its event's time and ends when the synthesized
              sentence stops being heard (its trailing silence is not counted), so the cues
              match the audio export made at the same rate and voice.

Audio formats
    ``wav`` always (16-bit PCM, mono, 22050 Hz); ``flac``, ``ogg`` (Vorbis) and ``mp3`` when
    the soundfile package and its libsndfile support them (:func:`available_audio_formats`).
    The file holds the whole session: each sentence and chime starts at the sample
    ``round(at_ms * rate / 1000)`` of its event, overlapping sounds are summed (clipped to
    16 bits) and the file is exactly ``round(total_ms * rate / 1000)`` samples long. It is
    mixed and written one block at a time, so memory use does not grow with the session.

    The live runner may hold a cue back until the sentence before it has ended. An export
    does not: each sentence stays at its planned time even when the real speech runs
    longer than the timeline planned, and the sentences then overlap. Such places are
    returned as :class:`Overlap` values so the command can warn about them.

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

import contextlib
import json
import os
import re
import tempfile
import textwrap
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, Protocol

from masseur.durations import format_clock, format_duration
from masseur.errors import BadInput, MasseurError
from masseur.phrases import phrases_for
from masseur.timeline import Event, EventKind, Segment, Timeline

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    from masseur.routine import Routine

FORMAT_VERSION = 1
TEXT_FORMATS = ("txt", "md", "json", "srt", "vtt")
AUDIO_FORMATS = ("wav", "flac", "ogg", "mp3")
GUIDE_FORMATS = ("html", "pdf")  # the visual guide: masseur.guide
FORMATS = TEXT_FORMATS + AUDIO_FORMATS + GUIDE_FORMATS
FORMAT_ALIASES = {
    "htm": "html",
    "text": "txt",
    "markdown": "md",
    "webvtt": "vtt",
    "subrip": "srt",
    "oga": "ogg",
    "wave": "wav",
}
SAMPLE_RATE = 22050  # the rate espeak-ng speaks at and the chimes are stored at
BLOCK_MS = 1000
# A sample this loud or louder counts as heard when trimming a sentence's trailing silence
# (about -54 dBFS: far below speech, above the dither-free zeros espeak pads with).
HEARD_THRESHOLD = 64
TEXT_WIDTH = 78

ProgressCallback = Callable[[str, int, int], None]
"""``progress(stage, done, total)``; stage is ``"speech"`` (sentences) or ``"audio"`` (frames)."""


class Synthesizer(Protocol):
    def synthesize(self, text: str, settings: Any, timeout: float | None = None) -> Path: ...


# --------------------------------------------------------------------------- formats


def normalize_format(name: str) -> str:
    """The canonical format for a name given by the user; BadInput if there is none."""
    key = name.strip().lower().lstrip(".")
    key = FORMAT_ALIASES.get(key, key)
    if key not in FORMATS:
        raise BadInput(f"unknown export format '{name}'; use one of {', '.join(FORMATS)}")
    return key


def format_from_path(path: str) -> str | None:
    """The format a file name's extension asks for, or None if it names none."""
    suffix = Path(path).suffix.lower().lstrip(".")
    if not suffix:
        return None
    key = FORMAT_ALIASES.get(suffix, suffix)
    return key if key in FORMATS else None


_SOUNDFILE_TYPES = {
    "flac": ("FLAC", "PCM_16"),
    "ogg": ("OGG", "VORBIS"),
    "mp3": ("MP3", "MPEG_LAYER_III"),
}


def available_audio_formats() -> tuple[str, ...]:
    """The audio formats this machine can write: wav always, others through soundfile."""
    try:
        import soundfile
    except (ImportError, OSError):  # OSError: the package is there but libsndfile is not
        return ("wav",)
    found = ["wav"]
    for name, (major, subtype) in _SOUNDFILE_TYPES.items():
        if soundfile.check_format(major, subtype):
            found.append(name)
    return tuple(found)


# --------------------------------------------------------------------------- helpers


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _side_label(routine: Routine, side: str | None) -> str:
    if side is None:
        return ""
    if routine.side_names is not None:
        return routine.side_names.left if side == "left" else routine.side_names.right
    phrases = phrases_for(routine.language)
    return phrases.left if side == "left" else phrases.right


def _segment_title(routine: Routine, segment: Segment) -> str:
    parts = [f"{segment.step_index + 1}. {segment.heading}"]
    if segment.side is not None:
        parts.append(_side_label(routine, segment.side))
    if segment.repetitions > 1:
        parts.append(f"round {segment.repetition} of {segment.repetitions}")
    return ", ".join(parts)


def _multi_phase(routine: Routine) -> bool:
    return routine.phases is not None and len(routine.phases) > 1


# --------------------------------------------------------------------------- txt


def render_txt(timeline: Timeline, routine: Routine) -> str:
    """The narration in spoken order, each sentence with its time, under step headings."""
    lines = [
        f"{routine.title} ({routine.name})",
        f"{format_clock(timeline.total_ms)} at {timeline.rate} words per minute",
    ]
    stamp_width = len(format_clock(timeline.total_ms)) + 2
    indent = " " * stamp_width
    last_phase = -1
    last_segment = -2
    for event in timeline.events:
        if event.segment != last_segment and 0 <= event.segment < len(timeline.segments):
            segment = timeline.segments[event.segment]
            if segment.phase_index != last_phase and _multi_phase(routine):
                lines += ["", segment.phase_title.upper()]
                last_phase = segment.phase_index
            span = f"{format_clock(segment.start_ms)}-{format_clock(segment.end_ms)}"
            lines += ["", f"{_segment_title(routine, segment)}  [{span}]"]
        elif event.segment != last_segment and event.segment >= len(timeline.segments):
            lines += ["", "ENDING"]
        elif event.segment != last_segment:
            lines.append("")
        last_segment = event.segment
        if event.kind == EventKind.END:
            lines.append(f"{format_clock(event.at_ms).ljust(stamp_width)}(end of the session)")
            continue
        if not event.kind.spoken:
            continue
        stamp = format_clock(event.at_ms).ljust(stamp_width)
        wrapped = textwrap.wrap(
            _one_line(event.text),
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
    return _one_line(text).translate(_MD_SPECIAL)


def _step_runs(timeline: Timeline) -> dict[int, list[Segment]]:
    runs: dict[int, list[Segment]] = {}
    for segment in timeline.segments:
        runs.setdefault(segment.step_index, []).append(segment)
    return runs


def _run_description(routine: Routine, runs: list[Segment]) -> str:
    total = sum(segment.duration_ms for segment in runs)
    if len(runs) == 1:
        return format_duration(total)
    each = format_duration(round(total / len(runs)))
    sides = [segment.side for segment in runs if segment.repetition == 1]
    repetitions = runs[0].repetitions
    what = []
    if len(sides) > 1:
        names = " then ".join(_side_label(routine, side) for side in sides)
        what.append(f"{each} each side ({names})")
    elif sides and sides[0] is not None:
        what.append(f"{each} on the {_side_label(routine, sides[0])}")
    else:
        what.append(f"{each} each time")
    if repetitions > 1:
        what.append(f"{repetitions} times")
    return f"{', '.join(what)}: {format_duration(total)} in all"


def render_md(timeline: Timeline, routine: Routine) -> str:
    """A printable guide to the routine, with the durations this timeline gives each step."""
    out: list[str] = [f"# {_md(routine.title)}", "", _md(routine.description), ""]
    out.append(
        f"Session length: **{format_duration(timeline.total_ms)}**, "
        f"spoken at {timeline.rate} words per minute. "
        f"Routine `{routine.name}`, language `{routine.language}`."
    )
    out.append("")
    out += ["## Do not do this massage if", ""]
    if routine.contraindications:
        out += [f"- {_md(item)}" for item in routine.contraindications]
    else:
        out.append("This routine lists no contraindications.")
    out.append("")
    if routine.preparation:
        out += ["## Have ready", ""]
        out += [f"- {_md(item)}" for item in routine.preparation]
        out.append("")
    if routine.notes:
        out += ["## Notes", ""]
        out += [f"- {_md(item)}" for item in routine.notes]
        out.append("")

    out += ["## Steps", ""]
    runs_by_step = _step_runs(timeline)
    cues_by_segment: dict[int, list[Event]] = {}
    for event in timeline.events:
        if event.kind == EventKind.CUE:
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
                f"{step_index + 1}. **{_md(step.heading)}**: {_run_description(routine, runs)}"
            )
            phase_lines += ["", f"   {_md(step.say)}", ""]
            cues = cues_by_segment.get(runs[0].index, []) if runs else []
            for cue in cues:
                offset = format_clock(cue.at_ms - runs[0].start_ms)
                phase_lines.append(f"   - at {offset}: {_md(cue.text)}")
            if cues:
                phase_lines.append("")
            step_index += 1
        if multi_phase:
            out += [f"### {_md(phase.heading)} ({format_duration(phase_ms)})", ""]
        out += phase_lines
    steps_ms = sum(segment.duration_ms for segment in timeline.segments)
    out.append(
        f"**Total: {format_duration(timeline.total_ms)}**: "
        f"{format_duration(steps_ms)} of steps in {routine.step_count} steps "
        f"({len(timeline.segments)} timed parts), "
        f"the rest is the spoken introduction and ending."
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
            "steps": routine.step_count,
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
                "segment": event.segment,
            }
            for index, event in enumerate(timeline.events)
        ],
    }


def render_json(timeline: Timeline, routine: Routine) -> str:
    document = timeline_document(timeline, routine)
    return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


# --------------------------------------------------------------------------- subtitles


@dataclass(frozen=True)
class SpeechTiming:
    """When a synthesized text is heard, in ms from the start of its audio.

    ``heard_ms`` is where its last audible sample ends. ``sentences`` holds, when the
    sentences could be told apart in the audio (by the pauses the voice makes between them),
    the (start, end) of each sentence of the text, in order; otherwise it is empty.
    """

    heard_ms: int
    sentences: tuple[tuple[int, int], ...] = ()


@dataclass(frozen=True)
class Caption:
    start_ms: int
    end_ms: int
    text: str


SUBTITLE_LINE = 42  # characters per subtitle line, the usual broadcast limit
_SENTENCE_BREAK = re.compile(r"(?<=[.!?\u2026])\s+")
# Marks inside a text after which a voice pauses (the text's last mark has no pause after it).
_PAUSE_MARK = re.compile(r"([.!?\u2026]+|[,;:\u2013\u2014]|(?<=\s)-)(?=\s)")


def split_sentences(text: str) -> list[str]:
    return [part for part in _SENTENCE_BREAK.split(_one_line(text)) if part]


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
    blocks = [f"WEBVTT - {_one_line(timeline.title).replace('-->', '->')}\n"]
    for number, caption in enumerate(captions(timeline, timings), start=1):
        start = _subtitle_clock(caption.start_ms, ".")
        end = _subtitle_clock(caption.end_ms, ".")
        text = caption.text.translate(_VTT_ESCAPES)
        blocks.append(f"{number}\n{start} --> {end}\n{text}\n")
    return "\n".join(blocks)


def render_text(fmt: str, timeline: Timeline, routine: Routine) -> str:
    """txt, md or json (the formats that need no synthesized speech)."""
    renderers = {"txt": render_txt, "md": render_md, "json": render_json}
    return renderers[fmt](timeline, routine)


# --------------------------------------------------------------------------- speech

# A pause between two sentences must last at least 100 ms and be this much longer than any
# pause inside one (after a comma or colon). Measured with espeak-ng at 150 words per minute:
# sentence pauses 389-512 ms, other pauses at most 291 ms.
SENTENCE_PAUSE_RATIO = 1.2


@dataclass(frozen=True)
class SpeechClip:
    """One synthesized text: where its WAV is and when it is heard."""

    text: str
    path: Path
    frames: int
    rate: int
    timing: SpeechTiming

    @property
    def heard_ms(self) -> int:
        return self.timing.heard_ms

    @property
    def length_ms(self) -> int:
        return round(self.frames * 1000 / self.rate)


def measure_speech(samples: npt.NDArray[np.int16], rate: int, text: str) -> SpeechTiming:
    """When the speech of ``text`` is heard in ``samples``, and where each sentence lies.

    Sentences are told apart by the pauses the voice makes. First, every mark that makes a
    pause (sentence ends, commas, colons, dashes) is matched in order with the same number of
    longest pauses, if those clearly outlast all others; the sentence ends are then known even
    where a colon pauses as long as a full stop. Failing that, the longest pauses are taken as
    the sentence ends if there are just enough that clearly stand out. Otherwise no sentence
    times are given.
    """
    import numpy as np

    loud = np.flatnonzero(np.abs(samples.astype(np.int32)) >= HEARD_THRESHOLD)
    if not loud.size:
        return SpeechTiming(0)

    def ms_floor(frame: int) -> int:
        return frame * 1000 // rate

    def ms_ceil(frame: int) -> int:
        # Rounded up, so a subtitle never ends before the last audible sample.
        return -(-frame * 1000 // rate)

    heard = ms_ceil(int(loud[-1]) + 1)
    sentences = split_sentences(text)
    if len(sentences) < 2:
        return SpeechTiming(heard)
    steps = np.diff(loud)  # a step of n frames is a pause of n - 1 silent frames
    order = np.argsort(-steps, kind="stable")

    def longest_pauses(count: int) -> list[int] | None:
        """The ``count`` longest pauses in time order, if they clearly outlast the rest."""
        if count < 1 or len(order) < count:
            return None
        shortest = int(steps[order[count - 1]])
        rest = int(steps[order[count]]) if len(order) > count else 1
        if shortest < rate // 10 or shortest < SENTENCE_PAUSE_RATIO * rest:
            return None
        return sorted(int(index) for index in order[:count])

    marks = [match.group(1) for match in _PAUSE_MARK.finditer(_one_line(text))]
    ends: list[int] | None = None
    pauses = longest_pauses(len(marks))
    if pauses is not None:
        ends = [pause for pause, mark in zip(pauses, marks, strict=True) if mark[0] in ".!?\u2026"]
    if ends is None or len(ends) != len(sentences) - 1:
        ends = longest_pauses(len(sentences) - 1)
    if ends is None:
        return SpeechTiming(heard)
    bounds = []
    first = int(loud[0])
    for gap in ends:
        bounds.append((ms_floor(first), ms_ceil(int(loud[gap]) + 1)))
        first = int(loud[gap + 1])
    bounds.append((ms_floor(first), heard))
    return SpeechTiming(heard, tuple(bounds))


def _measure_file(path: Path, text: str) -> tuple[int, int, SpeechTiming]:
    """(frames, rate, timing) of a synthesized 16-bit mono WAV file."""
    import numpy as np

    from masseur.audio import Sound

    sound = Sound.from_wav(path)
    samples = np.frombuffer(sound.pcm, dtype="<i2")
    return sound.frames, sound.rate, measure_speech(samples, sound.rate, text)


def synthesize_speech(
    timeline: Timeline,
    synthesizer: Synthesizer,
    settings: Any,
    *,
    progress: ProgressCallback | None = None,
) -> dict[str, SpeechClip]:
    """Synthesize (or fetch from the cache) every distinct text of the timeline, and measure it.

    One engine, in timeline order. espeak-ng's output for a text depends a little (tens of
    ms) on what the same engine said before, and two engines working at once sometimes gave
    different lengths from run to run; one engine in a fixed order repeats exactly.
    """
    texts = list(dict.fromkeys(event.text for event in timeline.spoken()))
    clips: dict[str, SpeechClip] = {}
    for done, text in enumerate(texts):
        if progress is not None:
            progress("speech", done, len(texts))
        clips[text] = _make_clip(synthesizer, text, settings)
    if progress is not None:
        progress("speech", len(texts), len(texts))
    return clips


def _make_clip(synthesizer: Synthesizer, text: str, settings: Any) -> SpeechClip:
    path = synthesizer.synthesize(text, settings)
    frames, rate, timing = _measure_file(path, text)
    return SpeechClip(text, path, frames, rate, timing)


def speech_timings(clips: Mapping[str, SpeechClip]) -> dict[str, SpeechTiming]:
    """When each text is heard, for :func:`render_srt`, :func:`render_vtt` and overlaps."""
    return {text: clip.timing for text, clip in clips.items()}


OVERLAP_TOLERANCE_MS = 50


@dataclass(frozen=True)
class Overlap:
    """A sentence still heard when the next one (or the session's end) comes."""

    event: Event
    runs_over_ms: int
    cut_at_end: bool = False


def find_overlaps(timeline: Timeline, timings: Mapping[str, SpeechTiming]) -> list[Overlap]:
    """Sentences whose real speech runs into the next spoken event or past the end.

    Less than ``OVERLAP_TOLERANCE_MS`` does not count: the fading end of a word under the
    first few milliseconds of the next sentence is not worth a warning.
    """
    spoken = timeline.spoken()
    overlaps = []
    for position, event in enumerate(spoken):
        heard_end = event.at_ms + timings[event.text].heard_ms
        is_last = position + 1 == len(spoken)
        limit = timeline.total_ms if is_last else spoken[position + 1].at_ms
        if heard_end - limit >= OVERLAP_TOLERANCE_MS:
            overlaps.append(Overlap(event, heard_end - limit, cut_at_end=is_last))
    return overlaps


def describe_overlaps(overlaps: list[Overlap]) -> str | None:
    """One warning line for the overlaps, or None if there are none."""
    if not overlaps:
        return None
    places = ", ".join(
        f"{format_clock(item.event.at_ms)} (+{item.runs_over_ms / 1000:.1f}s"
        + (", cut at the end" if item.cut_at_end else "")
        + ")"
        for item in overlaps[:5]
    )
    more = f" and {len(overlaps) - 5} more" if len(overlaps) > 5 else ""
    count = len(overlaps)
    noun = "sentence runs" if count == 1 else "sentences run"
    return (
        f"warning: {count} {noun} longer than the timeline planned, into the next one: "
        f"{places}{more}; the export keeps every sentence at its planned time, so they overlap"
    )


# --------------------------------------------------------------------------- audio


@dataclass(frozen=True)
class AudioReport:
    frames: int
    rate: int
    clips: dict[str, SpeechClip]
    overlaps: list[Overlap]

    @property
    def duration_ms(self) -> float:
        return self.frames * 1000 / self.rate


class _Writer(Protocol):
    def write(self, pcm: bytes) -> None: ...

    def close(self) -> None: ...


class _WavWriter:
    def __init__(self, path: Path, rate: int) -> None:
        import wave

        # Kept open across many writes and closed by close(), so no `with` block here.
        self._wav = wave.open(str(path), "wb")  # noqa: SIM115
        self._wav.setnchannels(1)
        self._wav.setsampwidth(2)
        self._wav.setframerate(rate)

    def write(self, pcm: bytes) -> None:
        self._wav.writeframesraw(pcm)

    def close(self) -> None:
        self._wav.close()  # writes the final lengths into the header


class _SoundfileWriter:
    def __init__(self, path: Path, rate: int, fmt: str, title: str) -> None:
        import soundfile

        major, subtype = _SOUNDFILE_TYPES[fmt]
        self._file = soundfile.SoundFile(
            str(path), "w", samplerate=rate, channels=1, format=major, subtype=subtype
        )
        with contextlib.suppress(RuntimeError):  # not every format takes a title
            self._file.title = title

    def write(self, pcm: bytes) -> None:
        self._file.buffer_write(pcm, dtype="int16")

    def close(self) -> None:
        self._file.close()


def _open_writer(path: Path, fmt: str, rate: int, title: str) -> _Writer:
    if fmt == "wav":
        return _WavWriter(path, rate)
    if fmt not in available_audio_formats():  # checked here too for callers of render_audio
        raise BadInput(
            f"{fmt} export is not available on this machine (it needs the soundfile package "
            f"with {fmt} support); available: {', '.join(available_audio_formats())}"
        )
    return _SoundfileWriter(path, rate, fmt, title)


@dataclass(frozen=True)
class _Placement:
    start: int  # first frame in the output
    event: Event


def _to_frame(ms: int, rate: int) -> int:
    return round(ms * rate / 1000)


def _load_samples(path_or_name: Path | str, rate: int, gain: float) -> npt.NDArray[np.int32]:
    import numpy as np

    from masseur.audio import Sound, load_chime

    sound = (
        Sound.from_wav(path_or_name) if isinstance(path_or_name, Path) else load_chime(path_or_name)
    )
    if sound.rate != rate:
        sound = sound.resampled(rate)
    samples = np.frombuffer(sound.pcm, dtype="<i2").astype(np.int32)
    gain = min(1.0, max(0.0, gain))
    if gain != 1.0:
        samples = np.rint(samples * gain).astype(np.int32)
    return samples


def render_audio(
    timeline: Timeline,
    routine: Routine,
    out_path: Path,
    fmt: str,
    synthesizer: Synthesizer,
    settings: Any,
    *,
    speech_volume: float = 1.0,
    chime_volume: float = 1.0,
    rate: int = SAMPLE_RATE,
    block_ms: int = BLOCK_MS,
    clips: dict[str, SpeechClip] | None = None,
    progress: ProgressCallback | None = None,
) -> AudioReport:
    """Write the whole session as audio to ``out_path`` (see the module docstring).

    Sentences are synthesized first (cached), then the session is mixed block by block:
    only the sounds heard in the current block are held in memory.
    """
    import numpy as np

    if clips is None:
        clips = synthesize_speech(timeline, synthesizer, settings, progress=progress)
    overlaps = find_overlaps(timeline, speech_timings(clips))

    placements = [
        _Placement(_to_frame(event.at_ms, rate), event)
        for event in timeline.events
        if event.kind.spoken or (event.kind == EventKind.CHIME and event.sound)
    ]
    placements.sort(key=lambda placement: placement.start)
    total_frames = _to_frame(timeline.total_ms, rate)
    block_frames = max(1, _to_frame(block_ms, rate))

    writer = _open_writer(out_path, fmt, rate, routine.title)
    try:
        active: list[tuple[int, npt.NDArray[np.int32]]] = []
        upcoming = 0
        chime_cache: dict[str, npt.NDArray[np.int32]] = {}
        for block_start in range(0, total_frames, block_frames):
            block_end = min(total_frames, block_start + block_frames)
            while upcoming < len(placements) and placements[upcoming].start < block_end:
                placement = placements[upcoming]
                event = placement.event
                if event.kind == EventKind.CHIME:
                    name = event.sound or ""
                    if name not in chime_cache:
                        chime_cache[name] = _load_samples(name, rate, chime_volume)
                    samples = chime_cache[name]
                else:
                    samples = _load_samples(clips[event.text].path, rate, speech_volume)
                active.append((placement.start, samples))
                upcoming += 1
            mix = np.zeros(block_end - block_start, dtype=np.int32)
            still_active = []
            for start, samples in active:
                first = max(start, block_start)
                last = min(start + len(samples), block_end)
                if first < last:
                    mix[first - block_start : last - block_start] += samples[
                        first - start : last - start
                    ]
                if start + len(samples) > block_end:
                    still_active.append((start, samples))
            active = still_active
            np.clip(mix, -32768, 32767, out=mix)
            writer.write(mix.astype("<i2").tobytes())
            if progress is not None:
                progress("audio", block_end, total_frames)
    finally:
        writer.close()
    return AudioReport(total_frames, rate, clips, overlaps)


# --------------------------------------------------------------------------- writing files


def _apply_umask(path: Path) -> None:
    # mkstemp creates files readable by their owner only; an export should get the
    # permissions any new file would.
    mask = os.umask(0)
    os.umask(mask)
    os.chmod(path, 0o666 & ~mask)


def write_atomically(target: Path, write: Callable[[Path], None], *, force: bool) -> None:
    """Call ``write(temporary_path)``, then move the result onto ``target`` in one step.

    The temporary file sits in the target's folder (so the move is atomic) and is removed
    whatever happens: a failed or interrupted export leaves no partial file behind. An
    existing ``target`` is replaced only with ``force``.
    """
    if target.is_dir():
        raise BadInput(f"{target} is a folder; give a file name")
    if target.exists() and not force:
        raise BadInput(f"{target} exists; use --force to overwrite")
    folder = target.parent
    if not folder.is_dir():
        raise BadInput(f"folder {folder} does not exist")
    try:
        handle, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=folder)
    except OSError as error:
        raise MasseurError(f"cannot write in {folder}: {error.strerror}") from None
    os.close(handle)
    temporary = Path(name)
    try:
        _apply_umask(temporary)
        write(temporary)
        os.replace(temporary, target)
    except OSError as error:
        raise MasseurError(f"cannot write {target}: {error.strerror or error}") from None
    finally:
        temporary.unlink(missing_ok=True)


def write_text(
    text: str, target: Path | None, *, force: bool, stream: IO[str] | None = None
) -> None:
    """Write a text export to ``target`` atomically, or to ``stream`` when target is None."""
    if target is None:
        assert stream is not None
        stream.write(text)
        stream.flush()
        return

    def write(path: Path) -> None:
        with path.open("w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)

    write_atomically(target, write, force=force)


def session_timeline(
    routine: Routine,
    *,
    rate: int | None = None,
    minutes: float | None = None,
    countdown: bool = False,
    halfway: bool = False,
    chimes: bool = True,
) -> Timeline:
    """The timeline an export renders: ``rate`` defaults to the routine's own, else 150, and
    each chime event lasts as long as its sound."""
    from masseur.timeline import (
        DEFAULT_RATE,
        TimelineOptions,
        build_timeline,
        with_chime_durations,
    )

    options = TimelineOptions(
        rate=rate or routine.voice.rate or DEFAULT_RATE,
        minutes=minutes,
        countdown=countdown,
        halfway=halfway,
        chimes=chimes,
    )
    timeline = build_timeline(routine, options)
    return with_chime_durations(timeline, chime_lengths(timeline))


def chime_lengths(timeline: Timeline) -> dict[str, int]:
    """How long each chime used by the timeline lasts, in ms."""
    from masseur.audio import load_chime

    names = sorted({event.sound for event in timeline.events if event.sound})
    return {name: round(load_chime(name).duration_ms) for name in names}
