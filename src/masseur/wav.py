"""WAV files as masseur uses them: 16-bit mono PCM at the rate espeak-ng speaks; read and written.

Samples in memory are always signed 16-bit little-endian mono. Reading accepts what a user
might drop in as a chime (8 or 16-bit, mono or stereo) and converts it; writing always makes
16-bit mono, atomically.
"""

from __future__ import annotations

import array
import contextlib
import os
import struct
import sys
import threading
import wave
from collections.abc import Sequence
from pathlib import Path

from masseur import atomic
from masseur.errors import BadInput

SAMPLE_RATE = 22050  # what pyttsx3's espeak driver writes and the chimes are stored at
SAMPLE_WIDTH = 2  # bytes per sample: signed 16-bit


def sample_view(pcm: bytes) -> Sequence[int]:
    """Little-endian 16-bit PCM as integers to read, without a copy where the machine is
    little-endian itself."""
    if sys.byteorder == "little":
        return memoryview(pcm).cast("h")
    return samples_from_pcm(pcm)


def samples_from_pcm(pcm: bytes) -> array.array[int]:
    """Little-endian 16-bit PCM as integers."""
    samples = array.array("h")
    samples.frombytes(pcm)
    if sys.byteorder == "big":
        samples.byteswap()
    return samples


def pcm_from_samples(samples: array.array[int]) -> bytes:
    """Integers as little-endian 16-bit PCM."""
    if sys.byteorder == "big":
        samples = array.array("h", samples)
        samples.byteswap()
    return samples.tobytes()


GAIN_ONE = 1 << 16  # gains are applied in steps of 1/65536
_TOP_BIT = bytes(value ^ 0x80 for value in range(256))  # signed <-> offset binary, high byte


def gain_steps(gain: float) -> int:
    """``gain`` (0 to 1; clipped to it) in the steps :func:`scale_pcm` applies it in."""
    return min(GAIN_ONE, max(0, round(gain * GAIN_ONE)))


def scale_pcm(pcm: bytes, gain: float) -> bytes:
    """Little-endian 16-bit PCM at ``gain``: each sample ``s`` becomes
    ``floor(s * steps / 65536 + 1/2)`` with ``steps = gain_steps(gain)``, exactly.

    Done on whole buffers, with no Python code per sample: the samples, lifted to offset
    binary (``s + 32768``), become the 32-bit lanes of one integer, which is multiplied by
    ``steps`` and given the rounding and the offset back in one addition. Every lane stays
    below 2**32, so no lane carries into the next, and the result's samples are the top
    halves of the lanes. Sample by sample in Python a second of sound took ~7 ms, and numpy,
    which did speech, costs 60-100 ms of a command's start to import; this takes about 1 ms
    per second of sound (the five chimes: 5.7 ms against 34.5 ms).
    """
    frames = len(pcm) // SAMPLE_WIDTH
    steps = gain_steps(gain)
    if steps == GAIN_ONE:
        return bytes(pcm[: frames * SAMPLE_WIDTH])
    if steps == 0 or frames == 0:
        return bytes(frames * SAMPLE_WIDTH)
    # Per lane: (s + 32768) * steps + (2**31 + 2**15 - 32768 * steps) = s * steps + 2**15
    # + 2**31, which lies in [2**16, 2**32) for every sample and steps < 65536.
    addend = (1 << 31) + (1 << 15) - 32768 * steps
    scaled = _lanes(pcm, frames) * steps + _in_every_lane(addend, frames)
    return _samples_in_lanes(scaled.to_bytes(4 * frames, "little"), top=True)


def sum_pcm(parts: Sequence[bytes | memoryview]) -> bytes | None:
    """Equally long pieces of little-endian 16-bit PCM added sample by sample, or None if
    some sum is outside 16 bits (then the caller clips them, sample by sample).

    Done on whole buffers, as :func:`scale_pcm` is: each piece, in offset binary, becomes
    the 32-bit lanes of one integer, and the integers are added with one more that moves
    every lane whose sum is in range to ``2**31 + s + 32768`` and every lane below 2**32,
    so no lane carries into the next. A sum is in range exactly when its lane's top half is
    0x8000; its sample is then the lane's bottom half. Two seconds of two sounds took
    11.4-11.7 ms added sample by sample in Python, and take 3.2-4.7 ms this way.
    """
    frames = len(parts[0]) // SAMPLE_WIDTH
    # The lanes hold the sum of (s + 32768) over the pieces, at most 65535 * len(parts).
    total = sum(_lanes(bytes(part), frames) for part in parts)
    total += _in_every_lane((1 << 31) - 32768 * (len(parts) - 1), frames)
    summed = total.to_bytes(4 * frames, "little")
    if summed[2::4].count(0) != frames or summed[3::4].count(0x80) != frames:
        return None
    return _samples_in_lanes(summed, top=False)


def _lanes(pcm: bytes, frames: int) -> int:
    """The first ``frames`` samples of ``pcm``, in offset binary (``s + 32768``), as the
    32-bit lanes of one integer (the first sample in the lowest lane)."""
    lanes = bytearray(4 * frames)
    lanes[0::4] = pcm[0 : frames * SAMPLE_WIDTH : 2]
    lanes[1::4] = pcm[1 : frames * SAMPLE_WIDTH : 2].translate(_TOP_BIT)
    return int.from_bytes(lanes, "little")


def _in_every_lane(value: int, frames: int) -> int:
    """``value`` (below 2**32) in each of ``frames`` 32-bit lanes."""
    return int.from_bytes(value.to_bytes(4, "little") * frames, "little")


def _samples_in_lanes(lanes: bytes, *, top: bool) -> bytes:
    """The 16-bit PCM that the top (or bottom) halves of 32-bit lanes, little-endian, hold
    in offset binary."""
    first = 2 if top else 0
    result = bytearray(len(lanes) // 2)
    result[0::2] = lanes[first::4]
    result[1::2] = lanes[first + 1 :: 4].translate(_TOP_BIT)
    return bytes(result)


def wav_frames(path: Path) -> int | None:
    """Frame count of a complete 22050 Hz mono 16-bit WAV with sound in it, else None.

    Checks that the file really holds the data its header promises, so a file cut short
    (a crash mid-write, a full disk) is not taken for a good one.
    """
    try:
        with open(path, "rb") as raw, wave.open(raw, "rb") as wav:
            if (wav.getnchannels(), wav.getsampwidth(), wav.getframerate()) != (
                1,
                SAMPLE_WIDTH,
                SAMPLE_RATE,
            ):
                return None
            frames = wav.getnframes()
            data_start = raw.tell()  # wave leaves the file at the start of the samples
            size = os.fstat(raw.fileno()).st_size
    except (OSError, EOFError, wave.Error):
        return None
    if frames <= 0 or size < data_start + frames * SAMPLE_WIDTH:
        return None
    return frames


def read_wav(path: Path) -> tuple[bytes, int]:
    """(16-bit mono PCM, frame rate) of a PCM WAV file: 8 or 16-bit, mono or stereo.

    Stereo is mixed down to mono. Raises BadInput naming the file if it cannot be read or is
    not such a WAV file.
    """
    try:
        with wave.open(str(path), "rb") as wav:
            channels = wav.getnchannels()
            width = wav.getsampwidth()
            rate = wav.getframerate()
            frame_count = wav.getnframes()
            data = wav.readframes(frame_count)
    except FileNotFoundError:
        raise BadInput("no such sound file", location=str(path)) from None
    except OSError as error:
        raise BadInput(f"cannot read sound file: {error.strerror}", location=str(path)) from None
    except wave.Error as error:
        if str(error).startswith("unknown format"):
            # Compressed, float or (before Python 3.12) WAVE_FORMAT_EXTENSIBLE files.
            message = f"unsupported WAV encoding ({error}); use 8 or 16-bit PCM"
        else:
            message = f"not a readable WAV file ({error})"
        raise BadInput(message, location=str(path)) from None
    except (EOFError, ValueError) as error:
        raise BadInput(f"not a readable WAV file ({error})", location=str(path)) from None

    if width not in (1, 2):
        raise BadInput(
            f"unsupported WAV sample size {8 * width}-bit; use 8 or 16-bit PCM",
            location=str(path),
        )
    if channels not in (1, 2):
        raise BadInput(
            f"unsupported WAV with {channels} channels (use mono or stereo)",
            location=str(path),
        )
    if rate <= 0:
        raise BadInput("WAV file has no valid sample rate", location=str(path))
    whole_frames = len(data) // (width * channels)
    data = data[: whole_frames * width * channels]  # a truncated file ends mid-frame

    if width == 2 and channels == 1 and sys.byteorder == "little":
        return data, rate  # already what masseur holds in memory: no copy to make
    if width == 1:
        # 8-bit WAV is unsigned with 128 as silence.
        samples = array.array("h", [(byte - 128) << 8 for byte in data])
    else:
        samples = samples_from_pcm(data)
    if channels == 2:
        left, right = samples[0::2], samples[1::2]
        samples = array.array("h", [(a + b) >> 1 for a, b in zip(left, right, strict=True)])
    return pcm_from_samples(samples), rate


def write_wav(
    path: Path, samples: bytes, sample_rate: int = SAMPLE_RATE, *, durable: bool = True
) -> None:
    """Write 16-bit mono little-endian samples as a WAV file, atomically.

    ``durable=False`` does not wait for the disk: for cache entries, which wav_frames checks.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic.write_bytes(path, wav_bytes(samples, sample_rate), durable=durable)


def wav_bytes(samples: bytes, sample_rate: int = SAMPLE_RATE) -> bytes:
    """A whole 16-bit mono WAV file of ``samples`` (little-endian), as write_wav writes it."""
    return wav_header(len(samples) // SAMPLE_WIDTH, sample_rate) + samples


HEADER_BYTES = 44  # RIFF, fmt and data chunk headers of a PCM WAV file, as wave writes them


def wav_header(frames: int, sample_rate: int = SAMPLE_RATE, *, chunks_after: int = 0) -> bytes:
    """The header of a 16-bit mono PCM WAV file of ``frames`` frames, byte for byte as the
    standard library's wave module writes it. ``chunks_after``: the bytes of further chunks
    that follow the samples (the RIFF size counts them; readers skip them)."""
    data = frames * SAMPLE_WIDTH
    return struct.pack(
        "<4sI4s4sIHHIIHH4sI",
        b"RIFF",
        HEADER_BYTES - 8 + data + chunks_after,
        b"WAVE",
        b"fmt ",
        16,
        1,  # PCM
        1,  # mono
        sample_rate,
        sample_rate * SAMPLE_WIDTH,
        SAMPLE_WIDTH,
        8 * SAMPLE_WIDTH,
        b"data",
        data,
    )


class PlacedWav:
    """A 16-bit mono WAV file of a known length, written as pieces of sound at their frames.

    The file is its full length from the start; frames no piece covers are silence. They are
    never written: the file system keeps them as holes, which read as zeros, so a session
    that is mostly quiet costs the disk only its sound. Writes to ``path`` as given: the
    caller makes it atomic (see masseur.atomic).

    Every ``SYNC_AHEAD_BYTES`` of sound, a thread starts putting what is written on the
    disk, while the rest of the session is still being made: the caller's final sync then
    has little left to wait for (it took 50 ms for a half-hour session, after the last
    sentence, when all of it was left to the end).
    """

    SYNC_AHEAD_BYTES = 4 << 20

    def __init__(self, path: Path, frames: int, sample_rate: int = SAMPLE_RATE) -> None:
        self.frames = frames
        self._unsynced = 0
        self._syncing: threading.Thread | None = None
        self._file = open(path, "wb")  # noqa: SIM115 (closed in close())
        try:
            self._file.write(wav_header(frames, sample_rate))
            self._file.truncate(HEADER_BYTES + frames * SAMPLE_WIDTH)
        except BaseException:
            self._file.close()
            raise

    def place(self, frame: int, pcm: bytes | memoryview) -> None:
        """Put ``pcm`` (little-endian 16-bit samples) into the file from ``frame`` on."""
        if frame < 0 or frame + len(pcm) // SAMPLE_WIDTH > self.frames:
            raise ValueError(f"{len(pcm) // SAMPLE_WIDTH} frames at {frame} overrun the file")
        self._file.seek(HEADER_BYTES + frame * SAMPLE_WIDTH)
        self._file.write(pcm)
        self._unsynced += len(pcm)
        if self._unsynced >= self.SYNC_AHEAD_BYTES and not (
            self._syncing and self._syncing.is_alive()
        ):
            self._file.flush()
            self._unsynced = 0
            self._syncing = threading.Thread(
                target=_sync_quietly, args=(self._file.fileno(),), name="masseur-wav-sync"
            )
            self._syncing.start()

    def finish(self) -> None:
        """Nothing to add: the file has been its full length, silence included, from the start."""

    def close(self) -> None:
        if self._syncing is not None:
            self._syncing.join()  # the descriptor it syncs must stay open until it is done
        self._file.close()


def _sync_quietly(descriptor: int) -> None:
    # Only a head start: the final sync (masseur.atomic) is the one whose failure is reported.
    with contextlib.suppress(OSError):
        getattr(os, "fdatasync", os.fsync)(descriptor)  # macOS has only fsync
