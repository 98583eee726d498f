"""Timing of a real spoken session, measured from what actually reaches the sound server.

masseur plays into a private PulseAudio null sink that is recorded in real time (see
tests/audio_capture.py). From the recording it prints:

- time from the command's start to the first audible sample, with a warm speech cache;
- chime onset error against the timeline (p50 / p99 / max, ms) over a session of at least
  60 s, aligned on the first chime;
- drift: the error of the last chime.

Aims: first word under 0.5 s warm, onset error p99 under 15 ms, drift under 5 ms. The
capture itself has about 10 ms of jitter, so that is the floor of what can be seen.

    python benchmarks/bench_session.py [--seconds 75]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))

from audio_capture import find_onsets, pulse_capture  # noqa: E402

from masseur.routine import load_routine  # noqa: E402
from masseur.timeline import EventKind, TimelineOptions, build_timeline  # noqa: E402


def write_routine(folder: Path, seconds: int) -> Path:
    steps = max(12, seconds // 5)
    lines = [
        "name: bench",
        "title: Timing",
        "description: Chimes every five seconds.",
        "contraindications: [None, this is a measurement]",
        "steps:",
    ]
    lines += [f"  - {{say: Step {n}., duration: 5s}}" for n in range(steps)]
    path = folder / "bench.yaml"
    path.write_text("\n".join(lines) + "\n")
    return path


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))
    return ordered[index]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=int, default=75)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="masseur-bench-"))
    routine_path = write_routine(work, args.seconds)
    env_dirs = {
        "MASSEUR_CACHE_DIR": str(work / "cache"),
        "MASSEUR_DATA_DIR": str(work / "data"),
        "MASSEUR_CONFIG_DIR": str(work / "config"),
    }
    command = [sys.executable, "-m", "masseur", "run", str(routine_path), "--yes", "--plain",
               "--chime-volume", "1"]
    timeline = build_timeline(load_routine(routine_path), TimelineOptions())

    # Warm the speech cache with an export of the same texts (no sound needed).
    subprocess.run([sys.executable, "-m", "masseur", "export", str(routine_path), "-o",
                    str(work / "warm.wav"), "--force"], check=True,
                   env={**os.environ, **env_dirs}, capture_output=True)

    with pulse_capture() as capture:
        env = {**capture.env, **env_dirs}
        launched = capture.position_ms()
        started = time.monotonic()
        subprocess.run(command, env=env, check=True, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL, timeout=timeline.total_ms / 1000 + 60)
        wall = time.monotonic() - started
    recording = capture.recording

    onsets = find_onsets(recording, threshold_db=-45, min_gap_ms=150)
    first_audible = next(t for t in onsets if t >= launched) - launched
    chime_times = [e.at_ms for e in timeline.events if e.kind is EventKind.CHIME]
    speech_first = timeline.events[0].at_ms
    # The first sound is the introduction; chimes are matched after aligning on the first.
    later = [t for t in onsets if t >= launched]
    origin = later[0] - speech_first
    matched: list[float] = []
    for planned in chime_times:
        nearest = min(later, key=lambda t: abs(t - (origin + planned)))
        matched.append(nearest)
    # Align on the first chime, as the capture's own start offset is unknown.
    shift = matched[0] - chime_times[0]
    errors = [abs(actual - shift - planned) for actual, planned in zip(matched, chime_times,
                                                                        strict=True)]
    print(f"session: {timeline.total_ms / 1000:.1f} s planned, {wall:.1f} s wall, "
          f"{len(chime_times)} chimes")
    print(f"first audible sample after launch (warm cache): {first_audible:.0f} ms")
    print(f"chime onset error: p50 {statistics.median(errors):.1f} ms, "
          f"p99 {percentile(errors, 0.99):.1f} ms, max {max(errors):.1f} ms")
    print(f"drift at the end (last chime): {errors[-1]:.1f} ms")


if __name__ == "__main__":
    main()
