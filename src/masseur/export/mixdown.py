"""The audio formats: the whole session mixed into one file (wav; flac, ogg, mp3 where possible).

``wav`` always (16-bit PCM, mono, 22050 Hz); ``flac``, ``ogg`` (Vorbis) and ``mp3`` when
the soundfile package and its libsndfile support them (:func:`available_audio_formats`).
The file holds the whole session: each sentence and chime starts at the sample
``round(at_ms * rate / 1000)`` of its event, overlapping sounds are summed (clipped to
16 bits) and the file is exactly ``round(total_ms * rate / 1000)`` samples long. It is
mixed and written one block at a time, so memory use does not grow with the session.
mp3 and ogg files then get a chapter mark per step (masseur.chapters).

The live runner may hold a cue back until the sentence before it has ended. An export
does not: each sentence stays at its planned time even when the real speech runs
longer than the timeline planned, and the sentences then overlap (see clips.Overlap).
"""

from __future__ import annotations

import contextlib
import errno
import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from masseur.chapters import add_chapters
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
from masseur.wav import SAMPLE_RATE, WavStream

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

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
    def write(self, pcm: bytes) -> None: ...

    def close(self) -> None: ...


class _SoundfileWriter:
    """libsndfile's writer; its failures (a full disk) become the OSError they really are,
    so that they reach the user as one line, like those of the WAV writer."""

    def __init__(self, path: Path, rate: int, fmt: str, title: str) -> None:
        import soundfile

        major, subtype = _SOUNDFILE_TYPES[fmt]
        with _as_os_error():
            self._file = soundfile.SoundFile(
                str(path), "w", samplerate=rate, channels=1, format=major, subtype=subtype
            )
        with contextlib.suppress(RuntimeError):  # not every format takes a title
            self._file.title = title

    def write(self, pcm: bytes) -> None:
        with _as_os_error():
            self._file.buffer_write(pcm, dtype="int16")

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


def _open_writer(path: Path, fmt: str, rate: int, title: str) -> _Writer:
    if fmt == "wav":
        return WavStream(path, rate)
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
    settings: VoiceSettings,
    *,
    speech_volume: float = 1.0,
    chime_volume: float = 1.0,
    rate: int = SAMPLE_RATE,
    block_ms: int = BLOCK_MS,
    clips: Mapping[str, SpeechClip] | None = None,
    progress: ProgressCallback | None = None,
) -> AudioReport:
    """Write the whole session as audio to ``out_path`` (see the module docstring).

    The session is mixed block by block: only the sounds heard in the current block are
    held in memory. ``clips`` may still be in the making (:class:`SpeechClips`): each block
    waits for the sentences it needs, so synthesis and mixing go on together. Without
    ``clips``, every sentence is synthesized first.
    """
    import numpy as np

    if clips is None:
        clips = synthesize_speech(timeline, synthesizer, settings, progress=progress)

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
    return AudioReport(total_frames, rate, clips, find_overlaps(timeline, speech_timings(clips)))


def write(job: Job) -> str | None:
    target = job.destination.target
    assert target is not None  # Destination.check refuses standard output for audio
    with SpeechClips(job.timeline, job.speech(), job.voice) as clips:

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
            add_chapters(path, job.format.name, job.timeline)

        write_atomically(target, mix_into, force=job.destination.force)
        return describe_overlaps(find_overlaps(job.timeline, speech_timings(clips)))
