"""Synthesized speech for an export: each text's clip, when it is heard, where sentences lie.

The subtitles and the audio mixdown both start here: one engine synthesizes every distinct
text of the timeline (cached), and the pauses the voice makes tell where each sentence starts
and ends. Sentences whose real speech runs longer than the timeline planned are reported as
:class:`Overlap` values, so the command can warn about them.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator, Mapping
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from masseur.durations import format_clock
from masseur.speech.base import synthesize_in_order
from masseur.text import one_line
from masseur.timeline import Event, Timeline
from masseur.wav import SAMPLE_RATE, sample_view

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    from masseur.audio import Sound
    from masseur.export.job import ProgressCallback
    from masseur.speech.base import Synthesizer, VoiceSettings

# A sample this loud or louder counts as heard when trimming a sentence's trailing silence
# (about -54 dBFS: far below speech, above the dither-free zeros espeak pads with).
HEARD_THRESHOLD = 64
_SENTENCE_BREAK = re.compile(r"(?<=[.!?\u2026])\s+")
# Marks inside a text after which a voice pauses (the text's last mark has no pause after it).
_PAUSE_MARK = re.compile(r"([.!?\u2026]+|[,;:\u2013\u2014]|(?<=\s)-)(?=\s)")


@dataclass(frozen=True)
class SpeechTiming:
    """When a synthesized text is heard, in ms from the start of its audio.

    ``heard_ms`` is where its last audible sample ends. ``sentences`` holds, when the
    sentences could be told apart in the audio (by the pauses the voice makes between them),
    the (start, end) of each sentence of the text, in order; otherwise it is empty.
    """

    heard_ms: int
    sentences: tuple[tuple[int, int], ...] = ()


def split_sentences(text: str) -> list[str]:
    return [part for part in _SENTENCE_BREAK.split(one_line(text)) if part]


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

    loud = (samples >= HEARD_THRESHOLD) | (samples <= -HEARD_THRESHOLD)
    if not loud.any():
        return SpeechTiming(0)

    def ms_floor(frame: int) -> int:
        return frame * 1000 // rate

    def ms_ceil(frame: int) -> int:
        # Rounded up, so a subtitle never ends before the last audible sample.
        return -(-frame * 1000 // rate)

    first_loud = int(np.argmax(loud))
    last_loud = len(loud) - 1 - int(np.argmax(loud[::-1]))
    heard = ms_ceil(last_loud + 1)
    sentences = split_sentences(text)
    if len(sentences) < 2:
        return SpeechTiming(heard)
    # The quiet stretches between loud samples, from where the samples change between loud
    # and quiet (a few per pitch period, far fewer than the loud samples themselves). The
    # quiet samples from frame a to b - 1 are a pause from the loud sample a - 1 to the
    # loud sample b: a step of b - a + 1 frames.
    changes = np.flatnonzero(loud[first_loud + 1 : last_loud + 1] != loud[first_loud:last_loud])
    changes += first_loud + 1
    quiet_from, quiet_to = changes[0::2], changes[1::2]  # between loud samples: in pairs
    steps = quiet_to - quiet_from + 1
    # Only a pause of 100 ms or more can end a sentence: sort just those (a few dozen),
    # longest first, ties in time order.
    floor = rate // 10
    real = np.flatnonzero(steps >= floor)
    order = real[np.argsort(-steps[real], kind="stable")]
    shorter = steps[steps < floor]
    # Loud samples side by side are steps of 1, the shortest there is.
    longest_shorter = int(shorter.max()) if shorter.size else 1
    loud_steps = int(np.count_nonzero(loud)) - 1  # steps from each loud sample to the next

    def longest_pauses(count: int) -> list[int] | None:
        """The ``count`` longest pauses in time order, if they clearly outlast the rest."""
        if count < 1 or len(order) < count:
            return None
        shortest = int(steps[order[count - 1]])
        if len(order) > count:
            rest = int(steps[order[count]])
        else:
            rest = longest_shorter if loud_steps > count else 1
        if shortest < SENTENCE_PAUSE_RATIO * rest:
            return None
        return sorted(int(index) for index in order[:count])

    marks = [match.group(1) for match in _PAUSE_MARK.finditer(one_line(text))]
    ends: list[int] | None = None
    pauses = longest_pauses(len(marks))
    if pauses is not None:
        ends = [pause for pause, mark in zip(pauses, marks, strict=True) if mark[0] in ".!?\u2026"]
    if ends is None or len(ends) != len(sentences) - 1:
        ends = longest_pauses(len(sentences) - 1)
    if ends is None:
        return SpeechTiming(heard)
    bounds = []
    first = first_loud
    for pause in ends:
        bounds.append((ms_floor(first), ms_ceil(int(quiet_from[pause]))))
        first = int(quiet_to[pause])
    bounds.append((ms_floor(first), heard))
    return SpeechTiming(heard, tuple(bounds))


def heard_ms(pcm: bytes, rate: int) -> int:
    """Where the last audible sample of 16-bit PCM ends, in ms rounded up: the ``heard_ms``
    that :func:`measure_speech` gives, found from the end without numpy."""
    samples = sample_view(pcm)

    def last_loud(start: int, end: int, step: int) -> int | None:
        """The last loud sample from ``start`` to ``end``, looked for ``step`` at a time."""
        for stop in range(end, start, -step):
            first = max(start, stop - step)
            chunk = samples[first:stop]
            if max(chunk) >= HEARD_THRESHOLD or min(chunk) <= -HEARD_THRESHOLD:
                if step == 1:
                    return first
                return last_loud(first, stop, max(1, step // 16))
        return None

    # espeak-ng ends a sentence in zeros: stepped over at once, from the last non-zero byte.
    nonzero = (_before_trailing_zeros(pcm) + 1) // 2
    last = last_loud(0, nonzero, 256)
    return 0 if last is None else -(-(last + 1) * 1000 // rate)


def _before_trailing_zeros(pcm: bytes) -> int:
    """How many bytes of ``pcm`` come before the zero bytes it ends with. Stripped from a
    tail that grows until it holds something else: stripping the whole would copy the whole
    (14 MB of fresh memory for a routine's speech, two thirds of the time spent measuring)."""
    tail = ZERO_TAIL_BYTES
    while tail < len(pcm):
        kept = len(pcm[-tail:].rstrip(b"\x00"))
        if kept:
            return len(pcm) - tail + kept
        tail *= 4
    return len(pcm.rstrip(b"\x00"))


# A sentence's closing pause at the slowest rate (80 wpm: about 1 s, 44 kB) fits in the first
# tail looked at.
ZERO_TAIL_BYTES = 1 << 16


def _measure_file(
    path: Path, text: str, *, sentences: bool, pcm: bytes | None = None
) -> tuple[Sound, SpeechTiming]:
    """The sound of a synthesized 16-bit mono WAV file and its timing (without sentence
    bounds unless ``sentences``). ``pcm``: the file's samples, when they are at hand."""
    from masseur.audio import Sound

    sound = Sound.from_wav(path) if pcm is None else Sound(pcm, SAMPLE_RATE)
    if not sentences:
        return sound, SpeechTiming(heard_ms(sound.pcm, sound.rate))
    import numpy as np

    samples = np.frombuffer(sound.pcm, dtype="<i2")
    return sound, measure_speech(samples, sound.rate, text)


# The most sound a SpeechClips keeps read for its caller (keep_sounds): beyond it, a sound
# is read again where it is used. Far more than a built-in routine's distinct speech (14 MB).
KEPT_SOUNDS_BYTES = 64 << 20


class SpeechClips(Mapping[str, "SpeechClip"]):
    """Every distinct text of a timeline, synthesized and measured in timeline order on two
    threads (the engine makes the next sentence while the one before is measured); asking
    for a clip waits until it is ready. Use as a context manager: leaving it early cancels
    the sentences not started yet. With ``sentences=False`` only when each text is heard
    is measured (what an audio file needs), not where its sentences lie (what subtitles need).

    The texts go to the synthesizer as one batch, in timeline order. espeak-ng's output for
    a text depends a little (tens of ms) on what the same engine said before, so the batch
    gives each of its engines a fixed share in a fixed order (see
    Pyttsx3Synthesizer.synthesize_all), which repeats exactly; engines taking whichever text
    came next sometimes gave different lengths from run to run.
    """

    def __init__(
        self,
        timeline: Timeline,
        synthesizer: Synthesizer,
        settings: VoiceSettings,
        *,
        sentences: bool = True,
        keep_sounds: bool = False,
    ):
        from concurrent.futures import ThreadPoolExecutor

        self._sentences = sentences  # whether timings tell each sentence's bounds
        # Each sound as read to be measured, until the caller takes it (take_sound): the
        # mixdown then reads each file once, not twice (~0.6 ms of masseur's time each).
        self._keep_sounds = keep_sounds
        self._kept: dict[str, Sound] = {}
        self._kept_bytes = 0
        self._kept_lock = threading.Lock()
        self.texts = list(dict.fromkeys(event.text for event in timeline.spoken()))
        self._synthesizing = ThreadPoolExecutor(1, thread_name_prefix="masseur-speech")
        self._measuring = ThreadPoolExecutor(1, thread_name_prefix="masseur-measure")
        self._paths: dict[str, Future[Path]] = {text: Future() for text in self.texts}
        # The samples of each sentence synthesized now, handed over by the synthesizer, so
        # that measuring does not read the file it has just written (~0.3 ms a sentence).
        self._made: dict[Path, bytes] = {}
        self._synthesizing.submit(self._synthesize, synthesizer, settings)
        self._clips = {text: self._measuring.submit(self._measure, text) for text in self.texts}

    def _synthesize(self, synthesizer: Synthesizer, settings: VoiceSettings) -> None:
        """Every text in order, as one batch; stops when the clips are no longer wanted."""
        made = synthesize_in_order(synthesizer, self.texts, settings, self._made)
        try:
            for text in self.texts:
                future = self._paths[text]
                if not future.set_running_or_notify_cancel():
                    return  # cancelled: leaving early
                try:
                    future.set_result(next(made))
                except BaseException as error:
                    # The engine has failed (a batch ends with its first failure): this
                    # text and every one after it get the same error.
                    future.set_exception(error)
                    for later in self.texts[self.texts.index(text) + 1 :]:
                        if self._paths[later].set_running_or_notify_cancel():
                            self._paths[later].set_exception(error)
                    return
        finally:
            close = getattr(made, "close", None)
            if close is not None:
                close()

    def _measure(self, text: str) -> SpeechClip:
        path = self._paths[text].result()
        pcm = self._made.pop(path, None)
        sound, timing = _measure_file(path, text, sentences=self._sentences, pcm=pcm)
        if self._keep_sounds:
            with self._kept_lock:
                if self._kept_bytes + len(sound.pcm) <= KEPT_SOUNDS_BYTES:
                    self._kept[text] = sound
                    self._kept_bytes += len(sound.pcm)
        return SpeechClip(text, path, sound.frames, sound.rate, timing)

    def take_sound(self, text: str) -> Sound | None:
        """The sound of ``text`` as it was read to be measured, once (None if not kept:
        then read it from the clip's path)."""
        self[text]  # measured (and so kept) first
        with self._kept_lock:
            sound = self._kept.pop(text, None)
            if sound is not None:
                self._kept_bytes -= len(sound.pcm)
        return sound

    def __getitem__(self, text: str) -> SpeechClip:
        return self._clips[text].result()

    def __iter__(self) -> Iterator[str]:
        return iter(self.texts)

    def __len__(self) -> int:
        return len(self.texts)

    def __enter__(self) -> SpeechClips:
        return self

    def __exit__(self, *exc_info: object) -> None:
        for clip in self._clips.values():
            clip.cancel()
        for path in self._paths.values():
            path.cancel()
        self._measuring.shutdown(wait=True)
        self._synthesizing.shutdown(wait=True)


def synthesize_speech(
    timeline: Timeline,
    synthesizer: Synthesizer,
    settings: VoiceSettings,
    *,
    progress: ProgressCallback | None = None,
) -> dict[str, SpeechClip]:
    """Synthesize (or fetch from the cache) every distinct text of the timeline, and measure it
    (see :class:`SpeechClips`)."""
    with SpeechClips(timeline, synthesizer, settings) as clips:
        made: dict[str, SpeechClip] = {}
        for done, text in enumerate(clips):
            if progress is not None:
                progress("speech", done, len(clips))
            made[text] = clips[text]
    if progress is not None:
        progress("speech", len(made), len(made))
    return made


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
