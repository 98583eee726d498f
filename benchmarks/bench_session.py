"""Timing of a real spoken session, measured from what actually reaches the sound server.

masseur plays into a private PulseAudio null sink that is recorded in real time (see
tests/audio_capture.py). From the recording it prints:

- time from the command's start to the first audible sample, with a warm speech cache, in
  the full session and over --starts further launches, warm and cold (an empty cache);
- chime onset error against the timeline (p50 / p99 / max, ms) over a session of at least
  60 s, aligned on the first chime;
- drift: the error of the last chime.

Aims: first word under 0.5 s warm and 0.8 s cold, onset error p99 under 15 ms, drift under 5 ms. The
capture itself has about 10 ms of jitter, so that is the floor of what can be seen.

    python benchmarks/bench_session.py [--seconds 75]
"""

from __future__ import annotations

import argparse
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))

from masseur.audio import Sound  # noqa: E402
from masseur.routine import load_routine  # noqa: E402
from masseur.speech import Pyttsx3Synthesizer, VoiceSettings, resolve_voice  # noqa: E402
from masseur.timeline import EventKind, TimelineOptions, build_timeline  # noqa: E402

from audio_capture import PulseCapture, find_onsets, pulse_capture  # noqa: E402


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


def first_word_ms(capture: PulseCapture, command: list[str], env: dict[str, str]) -> float:
    """Launch masseur, stop it once it is heard; ms from launch to its first audible sample."""
    launched = capture.position_ms()
    process = subprocess.Popen(
        command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    heard: list[float] = []
    deadline = time.monotonic() + 20
    try:
        while not heard and time.monotonic() < deadline:
            time.sleep(0.1)
            recording = capture.snapshot()
            start = round(launched * recording.rate / 1000) * 2
            since = Sound(recording.pcm[start:], recording.rate)
            heard = find_onsets(since, threshold_db=-45, min_gap_ms=120)
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=30)
    if not heard:
        raise SystemExit("masseur was not heard within 20 s")
    time.sleep(1.0)  # let the sink fall silent before the next launch
    return heard[0]


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))
    return ordered[index]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=int, default=75)
    parser.add_argument("--starts", type=int, default=5, help="launches for the first word")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="masseur-bench-"))
    routine_path = write_routine(work, args.seconds)
    env_dirs = {
        "MASSEUR_CACHE_DIR": str(work / "cache"),
        "MASSEUR_DATA_DIR": str(work / "data"),
        "MASSEUR_CONFIG_DIR": str(work / "config"),
    }
    rate = 150
    command = [
        sys.executable,
        "-m",
        "masseur",
        "run",
        str(routine_path),
        "--yes",
        "--plain",
        "--chime-volume",
        "1",
        "--rate",
        str(rate),
    ]
    # A --yes --plain session speaks the contraindications: nobody confirmed them on screen.
    timeline = build_timeline(
        load_routine(routine_path), TimelineOptions(rate=rate, speak_warnings=True)
    )

    # Warm the speech cache, as a second session of the same routine would find it.
    voice = resolve_voice(None, "en")
    with Pyttsx3Synthesizer(cache_dir=work / "cache" / "speech") as synthesizer:
        for event in timeline.spoken():
            synthesizer.synthesize(event.text, VoiceSettings(voice=voice, rate=rate))

    # pip compiles a package to bytecode when it installs it; a machine that sets
    # PYTHONDONTWRITEBYTECODE would otherwise recompile masseur on every start.
    import compileall

    import masseur

    compileall.compile_dir(Path(masseur.__file__).parent, quiet=1)

    print("speech cache files after warming:", len(list((work / "cache").rglob("*.wav"))))
    with pulse_capture() as capture:
        env = {**capture.env, **env_dirs}
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        time.sleep(0.5)  # let the fresh recording settle: its size lags at first
        launched = capture.position_ms()
        started = time.monotonic()
        subprocess.run(
            command,
            env=env,
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            timeout=timeline.total_ms / 1000 + 60,
        )
        wall = time.monotonic() - started
    recording = capture.recording
    print("speech cache files:", len(list((work / "cache").rglob("*.wav"))))

    # First word, launched again and again into one capture: warm (the cache above) and cold
    # (an empty cache each time: the engine starts and makes the introduction first).
    first_words: dict[str, list[float]] = {"warm": [], "cold": []}
    with pulse_capture() as capture:
        time.sleep(0.5)
        for attempt in range(args.starts):
            for kind in ("warm", "cold"):
                dirs = dict(env_dirs)
                if kind == "cold":
                    dirs["MASSEUR_CACHE_DIR"] = str(work / f"cold-{attempt}")
                env = {**capture.env, **dirs}
                env.pop("PYTHONDONTWRITEBYTECODE", None)
                first_words[kind].append(first_word_ms(capture, command, env))
    for kind, values in first_words.items():
        print(
            f"first audible sample after launch ({kind} cache, {len(values)} starts): "
            f"median {statistics.median(values):.0f} ms, max {max(values):.0f} ms"
        )

    onsets = [
        t - launched
        for t in find_onsets(recording, threshold_db=-45, min_gap_ms=120)
        if t >= launched
    ]
    first_audible = onsets[0]
    chimes = [e.at_ms for e in timeline.events if e.kind is EventKind.CHIME]
    # Align the schedule on the first chime, then match every chime to its nearest onset.
    matched = []
    for planned in chimes:
        # The first guess counts from the introduction, the first sound (at 0 ms).
        guess = planned + (matched[0] - chimes[0] if matched else first_audible)
        matched.append(min(onsets, key=lambda t: abs(t - guess)))
    errors = [
        abs((actual - matched[0]) - (planned - chimes[0]))
        for actual, planned in zip(matched, chimes, strict=True)
    ]
    print(
        f"session: {timeline.total_ms / 1000:.1f} s planned, {wall:.1f} s wall, "
        f"{len(chimes)} chimes"
    )
    print(f"first audible sample after launch (warm cache): {first_audible:.0f} ms")
    print(
        f"chime onset error: p50 {statistics.median(errors):.1f} ms, "
        f"p99 {percentile(errors, 0.99):.1f} ms, max {max(errors):.1f} ms"
    )
    print(f"drift at the end (last chime vs first): {errors[-1]:.1f} ms")


if __name__ == "__main__":
    main()
