#!/usr/bin/env python3
"""Generate masseur's chimes into sounds/ (or --out DIR).

Every chime is a few bell-like notes: each note is a sum of partials that die away
exponentially, with a short attack ramp so it starts without a click. The whole chime is
normalised to a fixed peak and faded to silence at its end. Only the standard library is
used and nothing random is involved, so every run writes byte-identical files (the tests
regenerate them and compare with the committed ones).

Format: 22050 Hz, mono, 16-bit, the same as espeak-ng's output, so chimes and speech mix
without resampling.

    python scripts/make_chimes.py [--out DIR]
"""

from __future__ import annotations

import argparse
import math
import struct
import sys
import wave
from dataclasses import dataclass
from pathlib import Path

RATE = 22050
FULL_SCALE = 32767

# Pitches (equal temperament, A4 = 440 Hz).
G4 = 392.00
C5 = 523.25
E5 = 659.26
G5 = 783.99
A5 = 880.00

# (frequency ratio, relative amplitude, decay-time factor) for a soft bell. The slightly
# inharmonic upper partials give the bell colour; they die away faster than the
# fundamental so the tail is a pure, calm tone.
BELL_PARTIALS: tuple[tuple[float, float, float], ...] = (
    (1.0, 1.0, 1.0),
    (2.0, 0.32, 0.55),
    (2.76, 0.14, 0.35),
    (4.07, 0.06, 0.2),
)


@dataclass(frozen=True)
class Note:
    start_s: float  # when the note is struck, from the start of the chime
    frequency: float  # fundamental, Hz
    amplitude: float  # relative to the other notes of the same chime
    decay_s: float  # time for the fundamental to fall to 1/e
    attack_s: float = 0.005  # linear ramp from silence, long enough to avoid a click


@dataclass(frozen=True)
class Chime:
    name: str
    duration_s: float
    peak_dbfs: float
    fade_s: float  # raised-cosine fade to exact silence at the very end
    notes: tuple[Note, ...]


CHIMES: tuple[Chime, ...] = (
    # One soft bell for each new step.
    Chime("step", 0.6, -6.0, 0.12, (Note(0.0, E5, 1.0, 0.16),)),
    # Two notes rising a fifth: a new phase begins.
    Chime(
        "phase",
        1.0,
        -6.0,
        0.15,
        (Note(0.0, C5, 0.85, 0.22), Note(0.28, G5, 1.0, 0.22)),
    ),
    # Two quick taps on one pitch: switch to the other side.
    Chime(
        "side",
        0.5,
        -6.0,
        0.1,
        (Note(0.0, A5, 1.0, 0.07), Note(0.16, A5, 1.0, 0.08)),
    ),
    # Three notes falling to the tonic, the last one left to ring: the session is over.
    Chime(
        "end",
        1.8,
        -6.0,
        0.2,
        (
            Note(0.0, G5, 0.9, 0.25),
            Note(0.32, E5, 0.9, 0.25),
            Note(0.64, C5, 1.0, 0.38),
        ),
    ),
    # Bedtime: lower, quieter, and swelling in slowly instead of striking.
    Chime("soft", 0.9, -14.0, 0.15, (Note(0.0, G4, 1.0, 0.26, attack_s=0.06),)),
)


def render_note(note: Note, frame_count: int) -> list[float]:
    """Samples of one note over the whole chime, silent before it is struck."""
    samples = [0.0] * frame_count
    first = round(note.start_s * RATE)
    attack_frames = max(1, round(note.attack_s * RATE))
    for index in range(first, frame_count):
        t = (index - first) / RATE
        value = 0.0
        for ratio, amplitude, decay_factor in BELL_PARTIALS:
            frequency = note.frequency * ratio
            if frequency >= RATE / 2:
                continue  # above Nyquist it would alias into a harsh tone
            envelope = math.exp(-t / (note.decay_s * decay_factor))
            value += amplitude * envelope * math.sin(2.0 * math.pi * frequency * t)
        ramp = min(1.0, (index - first) / attack_frames)
        samples[index] = note.amplitude * ramp * value
    return samples


def render_chime(chime: Chime) -> bytes:
    """The chime as 16-bit little-endian PCM."""
    frame_count = round(chime.duration_s * RATE)
    mixed = [0.0] * frame_count
    for note in chime.notes:
        for index, value in enumerate(render_note(note, frame_count)):
            mixed[index] += value

    fade_frames = round(chime.fade_s * RATE)
    for offset in range(fade_frames):
        index = frame_count - fade_frames + offset
        # Goes from 1 down to exactly 0 on the last frame.
        remaining = (fade_frames - 1 - offset) / (fade_frames - 1)
        mixed[index] *= 0.5 - 0.5 * math.cos(math.pi * remaining)

    peak = max(abs(value) for value in mixed)
    gain = 10.0 ** (chime.peak_dbfs / 20.0) * FULL_SCALE / peak
    quantized = [max(-FULL_SCALE, min(FULL_SCALE, round(value * gain))) for value in mixed]
    return struct.pack(f"<{frame_count}h", *quantized)


def write_wav(path: Path, pcm: bytes) -> None:
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(RATE)
        wav.writeframes(pcm)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument(
        "--out",
        type=Path,
        default=Path(__file__).resolve().parents[1] / "sounds",
        help="folder to write the WAV files into (default: the repository's sounds/)",
    )
    args = parser.parse_args(argv)
    out_dir: Path = args.out
    out_dir.mkdir(parents=True, exist_ok=True)
    for chime in CHIMES:
        path = out_dir / f"{chime.name}.wav"
        write_wav(path, render_chime(chime))
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
