"""The audio formats: the whole session mixed into one file (wav; flac, ogg, mp3 where possible).

``wav`` always (16-bit PCM, mono, 22050 Hz); ``flac``, ``ogg`` (Vorbis) and ``mp3`` when
the soundfile package and its libsndfile support them (:func:`available_audio_formats`).
The file holds the whole session: each sentence and chime starts at the sample
``round(at_ms * rate / 1000)`` of its event, overlapping sounds are summed (clipped to
16 bits) and the file is exactly ``round(total_ms * rate / 1000)`` samples long. It is
written one stretch of sound at a time, so memory use does not grow with the session, and
a WAV file's silence is never written at all (it is left as holes, which read as zeros).
mp3 and ogg files then get a chapter mark per step (masseur.chapters).

The live runner may hold a cue back until the sentence before it has ended. An export
does not: each sentence stays at its planned time even when the real speech runs
longer than the timeline planned, and the sentences then overlap (see clips.Overlap).
"""

from __future__ import annotations

import array
import collections
import contextlib
import errno
import operator
import os
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from masseur.errors import BadInput
from masseur.export.clips import (
    Overlap,
    SpeechClip,
    SpeechClips,
    describe_overlaps,
    find_overlaps,
    speech_timings,
    synthesize_speech,
)
from masseur.export.job import write_atomically
from masseur.timeline import Event, EventKind, Timeline
from masseur.wav import (
    SAMPLE_RATE,
    SAMPLE_WIDTH,
    PlacedWav,
    pcm_from_samples,
    samples_from_pcm,
    sum_pcm,
)

if TYPE_CHECKING:
    from masseur.audio import Sound
    from masseur.export.job import Job, ProgressCallback
    from masseur.routine import Routine
    from masseur.speech.base import Synthesizer, VoiceSettings

BLOCK_MS = 1000

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


@dataclass(frozen=True)
class AudioReport:
    frames: int
    rate: int
    clips: Mapping[str, SpeechClip]
    overlaps: list[Overlap]

    @property
    def duration_ms(self) -> float:
        return self.frames * 1000 / self.rate


class _Writer(Protocol):
    def place(self, frame: int, pcm: bytes | memoryview) -> None:
        """Put sound from ``frame`` on; pieces come in order and never overlap."""

    def finish(self) -> None:
        """After the last piece: the file ends in silence up to its length."""

    def close(self) -> None: ...


class _SoundfileWriter:
    """libsndfile's writer, fed in order: the silence between pieces is written as zeros,
    a block at a time. Its failures (a full disk) become the OSError they really are, so
    that they reach the user as one line, like those of the WAV writer."""

    def __init__(self, path: Path, frames: int, rate: int, fmt: str, title: str) -> None:
        import soundfile

        major, subtype = _SOUNDFILE_TYPES[fmt]
        self._frames = frames
        self._written = 0
        self._silence = bytes(SAMPLE_WIDTH * rate * BLOCK_MS // 1000)
        with _as_os_error():
            self._file = soundfile.SoundFile(
                str(path), "w", samplerate=rate, channels=1, format=major, subtype=subtype
            )
        with contextlib.suppress(RuntimeError):  # not every format takes a title
            self._file.title = title

    def _write(self, pcm: bytes | memoryview) -> None:
        with _as_os_error():
            self._file.buffer_write(pcm, dtype="int16")
        self._written += len(pcm) // SAMPLE_WIDTH

    def _silent_until(self, frame: int) -> None:
        while self._written < frame:
            self._write(self._silence[: SAMPLE_WIDTH * (frame - self._written)])

    def place(self, frame: int, pcm: bytes | memoryview) -> None:
        self._silent_until(frame)
        self._write(pcm)

    def finish(self) -> None:
        self._silent_until(self._frames)

    def close(self) -> None:
        with _as_os_error():
            self._file.close()


@contextlib.contextmanager
def _as_os_error() -> Iterator[None]:
    """libsndfile says only "System error."; the C errno it left says which (ENOSPC...)."""
    import soundfile

    try:
        yield
    except soundfile.SoundFileRuntimeError:
        ffi = getattr(soundfile, "_ffi", None)
        code = getattr(ffi, "errno", 0) or errno.EIO
        raise OSError(code, os.strerror(code)) from None


def _open_writer(path: Path, fmt: str, frames: int, rate: int, title: str) -> _Writer:
    if fmt == "wav":
        return PlacedWav(path, frames, rate)
    if fmt not in available_audio_formats():  # checked here too for callers of render_audio
        raise BadInput(
            f"{fmt} export is not available on this machine (it needs the soundfile package "
            f"with {fmt} support); available: {', '.join(available_audio_formats())}"
        )
    return _SoundfileWriter(path, frames, rate, fmt, title)


@dataclass(frozen=True)
class _Placement:
    start: int  # first frame in the output
    event: Event


def _to_frame(ms: int, rate: int) -> int:
    return round(ms * rate / 1000)


def _load_pcm(path_or_name: Path | str | Sound, rate: int, gain: float) -> bytes:
    """The PCM of a sound file, a chime or a sound read already, at ``rate`` and ``gain``."""
    from masseur.audio import Sound, load_chime

    if isinstance(path_or_name, Sound):
        sound = path_or_name
    elif isinstance(path_or_name, Path):
        sound = Sound.from_wav(path_or_name)
    else:
        sound = load_chime(path_or_name)
    if sound.rate != rate:
        sound = sound.resampled(rate)
    return sound.scaled(gain).pcm


# Overlapping sounds up to this many samples in all are summed in Python (a chime under the
# start of a sentence: a few ms); more go through numpy, which is then worth importing.
SUM_IN_PYTHON_SAMPLES = 4 * SAMPLE_RATE


def _sum_clipped(parts: list[memoryview]) -> bytes:
    """Equally long pieces of 16-bit PCM added sample by sample, clipped to 16 bits."""
    if len(parts[0]) // SAMPLE_WIDTH * len(parts) <= SUM_IN_PYTHON_SAMPLES:
        summed = sum_pcm(parts)  # on whole buffers, unless some sum needs clipping (rare)
        if summed is not None:
            return summed
        samples = [samples_from_pcm(bytes(part)) for part in parts]
        # Summed by map, with no Python code per sample (3-4x faster than a comprehension).
        if len(samples) == 2:
            sums = list(map(operator.add, *samples))
        else:
            sums = list(map(sum, zip(*samples, strict=True)))
        if max(sums) > 32767 or min(sums) < -32768:
            sums = [max(-32768, min(32767, value)) for value in sums]
        return pcm_from_samples(array.array("h", sums))
    import numpy as np

    total = np.zeros(len(parts[0]) // SAMPLE_WIDTH, dtype=np.int32)
    for part in parts:
        total += np.frombuffer(part, dtype="<i2")
    np.clip(total, -32768, 32767, out=total)
    return total.astype("<i2").tobytes()


def _pieces(
    placements: list[_Placement], total_frames: int, load: Callable[[Event], bytes]
) -> Iterator[tuple[int, bytes | memoryview]]:
    """(first frame, PCM) of each stretch of the session with sound in it, in time order.

    Where one sound plays alone its samples are given as they are; where sounds overlap
    they are summed and clipped. The silence between stretches is not given. ``load`` is
    called for each placement only when the session reaches it, so speech still being
    made is waited for no sooner than it is needed, and only the sounds heard at one time
    are held. Everything stops at ``total_frames``.
    """
    upcoming = 0
    position = 0
    active: list[tuple[int, int, memoryview]] = []  # (first frame, end frame, PCM)
    while position < total_frames:
        while upcoming < len(placements) and placements[upcoming].start <= position:
            start = placements[upcoming].start
            pcm = memoryview(load(placements[upcoming].event))
            end = min(total_frames, start + len(pcm) // SAMPLE_WIDTH)
            if end > position:
                active.append((start, end, pcm))
            upcoming += 1
        next_start = placements[upcoming].start if upcoming < len(placements) else total_frames
        if not active:
            position = next_start
            continue
        boundary = min(next_start, *(end for _, end, _ in active))
        parts = [
            pcm[SAMPLE_WIDTH * (position - start) : SAMPLE_WIDTH * (boundary - start)]
            for start, _, pcm in active
        ]
        yield position, parts[0] if len(parts) == 1 else _sum_clipped(parts)
        position = boundary
        active = [sound for sound in active if sound[1] > position]


def render_audio(
    timeline: Timeline,
    routine: Routine,
    out_path: Path,
    fmt: str,
    synthesizer: Synthesizer,
    settings: VoiceSettings,
    *,
    speech_volume: float = 1.0,
    chime_volume: float = 1.0,
    rate: int = SAMPLE_RATE,
    clips: Mapping[str, SpeechClip] | None = None,
    progress: ProgressCallback | None = None,
) -> AudioReport:
    """Write the whole session as audio to ``out_path`` (see the module docstring).

    The session is written a stretch of sound at a time (:func:`_pieces`): only the sounds
    heard at one time are held in memory. ``clips`` may still be in the making
    (:class:`SpeechClips`): each stretch waits for the sentences it needs, so synthesis and
    writing go on together. Without ``clips``, every sentence is synthesized first.
    ``progress("audio", frame, total)`` is called after each stretch.
    """
    if clips is None:
        clips = synthesize_speech(timeline, synthesizer, settings, progress=progress)

    placements = [
        _Placement(_to_frame(event.at_ms, rate), event)
        for event in timeline.events
        if event.kind.spoken or (event.kind == EventKind.CHIME and event.sound)
    ]
    placements.sort(key=lambda placement: placement.start)
    total_frames = _to_frame(timeline.total_ms, rate)
    chimes: dict[str, bytes] = {}
    # A sentence said more than once is read once and kept until it is last heard.
    uses = collections.Counter(
        placement.event.text for placement in placements if placement.event.kind.spoken
    )
    speech: dict[str, bytes] = {}
    chime_names = dict.fromkeys(
        placement.event.sound or ""
        for placement in placements
        if placement.event.kind == EventKind.CHIME
    )

    def load(event: Event) -> bytes:
        if event.kind == EventKind.CHIME:
            if not chimes:
                # Every chime is read and scaled when the first is needed: by then the
                # sentences are being made, so the main thread would only wait. Earlier, it
                # delays asking for them; later, the last chime is scaled (~8 ms of Python)
                # after the last sentence came, with nothing else left to do.
                for name in chime_names:
                    chimes[name] = _load_pcm(name, rate, chime_volume)
            return chimes[event.sound or ""]
        text = event.text
        pcm = speech.pop(text, None)
        if pcm is None:
            kept = clips.take_sound(text) if isinstance(clips, SpeechClips) else None
            pcm = _load_pcm(clips[text].path if kept is None else kept, rate, speech_volume)
        uses[text] -= 1
        if uses[text] > 0:
            speech[text] = pcm
        return pcm

    writer = _open_writer(out_path, fmt, total_frames, rate, routine.title)
    try:
        for frame, pcm in _pieces(placements, total_frames, load):
            writer.place(frame, pcm)
            if progress is not None:
                progress("audio", frame + len(pcm) // SAMPLE_WIDTH, total_frames)
        writer.finish()
    finally:
        writer.close()
    if progress is not None:
        progress("audio", total_frames, total_frames)
    return AudioReport(total_frames, rate, clips, find_overlaps(timeline, speech_timings(clips)))


def write(job: Job) -> str | None:
    target = job.destination.target
    assert target is not None  # Destination.check refuses standard output for audio
    # The file needs only when each sentence is heard (for the overlap warning), not where
    # its sentences lie, which subtitles need.
    with SpeechClips(
        job.timeline, job.speech(), job.voice, sentences=False, keep_sounds=True
    ) as clips:

        def mix_into(path: Path) -> None:
            render_audio(
                job.timeline,
                job.routine,
                path,
                job.format.name,
                job.speech(),
                job.voice,
                speech_volume=job.levels.speech,
                chime_volume=job.levels.chimes,
                clips=clips,
                progress=job.progress,
            )
            if job.format.chapters:
                from masseur.chapters import add_chapters  # imported only for these formats

                add_chapters(path, job.format.name, job.timeline)

        write_atomically(target, mix_into, force=job.destination.force)
        return describe_overlaps(find_overlaps(job.timeline, speech_timings(clips)))
