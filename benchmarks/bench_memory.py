"""Peak memory of `masseur run`: a 3-hour routine against a 10-minute one.

    python benchmarks/bench_memory.py [--seconds 20]

Generates two routines with a different sentence in every step and cue (10 minutes and 3
hours), fills the speech cache for both, then runs each session (`--yes --plain`, no sound
device needed) for --seconds and stops it with Ctrl-C. Peak resident memory (max RSS from
wait4) is printed for each, at full volume and at --volume 0.7 (which scales every sentence),
with the ratio 3-hour / 10-minute (aim: within 1.10).

A session that loaded every sentence of the routine as soon as it could (as masseur once
did) reaches its peak within those seconds: the whole narration is read from the cache in
well under a second per hundred sentences.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from masseur.routine import load_routine
from masseur.speech import Pyttsx3Synthesizer, VoiceSettings, resolve_voice
from masseur.timeline import TimelineOptions, build_timeline

RATE = 150
NUMBERS = [
    "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
]  # fmt: skip


def spelled(number: int) -> str:
    """Words for a step number, so that every sentence differs in what is said."""
    words = []
    while True:
        number, digit = divmod(number, 10)
        words.append(NUMBERS[digit - 1] if digit else "zero")
        if number == 0:
            return " ".join(reversed(words))


def write_routine(folder: Path, name: str, steps: int) -> Path:
    lines = [
        f"name: {name}",
        f"title: Memory check {name}",
        "description: One minute per step, a new sentence in each.",
        "contraindications: [None, this is a measurement]",
        "steps:",
    ]
    for number in range(1, steps + 1):
        words = spelled(number)
        lines += [
            f"  - title: Step {number}",
            f"    say: Step {words}. Press slowly along the arch of your foot.",
            "    duration: 60s",
            "    cues:",
            f"      - {{at: 20s, say: Keep going with step {words}.}}",
            f"      - {{at: 40s, say: Ease off a little in step {words}.}}",
        ]
    path = folder / f"{name}.yaml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def warm_cache(routine: Path, cache: Path) -> int:
    # A --yes --plain session speaks the contraindications: nobody confirmed them on screen.
    timeline = build_timeline(
        load_routine(routine), TimelineOptions(rate=RATE, speak_warnings=True)
    )
    settings = VoiceSettings(resolve_voice(None, "en"), RATE)
    texts = list(dict.fromkeys(event.text for event in timeline.spoken()))
    with Pyttsx3Synthesizer(cache_dir=cache / "speech") as synthesizer:
        for text in texts:
            synthesizer.synthesize(text, settings)
    return len(texts)


def peak_rss_mb(command: list[str], env: dict[str, str], seconds: float) -> int:
    process = subprocess.Popen(
        command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    time.sleep(seconds)
    process.send_signal(signal.SIGINT)
    _, _, usage = os.wait4(process.pid, 0)
    return usage.ru_maxrss // 1024  # KiB on Linux


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=20.0, help="how long each session runs")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="masseur-bench-memory-"))
    try:
        env = dict(
            os.environ,
            MASSEUR_CACHE_DIR=str(work / "cache"),
            MASSEUR_DATA_DIR=str(work / "data"),
            MASSEUR_CONFIG_DIR=str(work / "config"),
        )
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        routines = {
            "10 min": write_routine(work, "ten-minutes", 10),
            "3 hours": write_routine(work, "three-hours", 180),
        }
        for label, routine in routines.items():
            count = warm_cache(routine, work / "cache")
            print(f"{label}: {count} distinct sentences cached")
        for volume in ("1", "0.7"):
            peaks = {}
            for label, routine in routines.items():
                command = [sys.executable, "-m", "masseur", "run", str(routine), "--yes"]
                command += ["--plain", "--rate", str(RATE), "--volume", volume]
                peaks[label] = peak_rss_mb(command, env, args.seconds)
            print(
                f"volume {volume}: peak RSS 10 min {peaks['10 min']} MB, "
                f"3 hours {peaks['3 hours']} MB, ratio {peaks['3 hours'] / peaks['10 min']:.2f}x"
            )
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
