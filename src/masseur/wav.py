"""WAV files as masseur uses them: 16-bit mono at the rate espeak-ng speaks, read and written."""

from __future__ import annotations

import io
import os
import wave
from pathlib import Path

from masseur import atomic

SAMPLE_RATE = 22050  # what pyttsx3's espeak driver writes and the chimes are stored at


def wav_frames(path: Path) -> int | None:
    """Frame count of a complete 22050 Hz mono 16-bit WAV with sound in it, else None.

    Checks that the file really holds the data its header promises, so a file cut short
    (a crash mid-write, a full disk) is not taken for a good one.
    """
    try:
        with open(path, "rb") as raw, wave.open(raw, "rb") as wav:
            if (wav.getnchannels(), wav.getsampwidth(), wav.getframerate()) != (1, 2, SAMPLE_RATE):
                return None
            frames = wav.getnframes()
            data_start = raw.tell()  # wave leaves the file at the start of the samples
            size = os.fstat(raw.fileno()).st_size
    except (OSError, EOFError, wave.Error):
        return None
    if frames <= 0 or size < data_start + frames * 2:
        return None
    return frames


def wav_bytes(samples: bytes, sample_rate: int = SAMPLE_RATE) -> bytes:
    """16-bit mono little-endian samples as the bytes of a WAV file."""
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(sample_rate)
        wav.writeframes(samples)
    return buffer.getvalue()


def write_wav(path: Path, samples: bytes, sample_rate: int = SAMPLE_RATE) -> None:
    """Write 16-bit mono little-endian samples as a WAV file, atomically."""
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic.write_bytes(path, wav_bytes(samples, sample_rate))
