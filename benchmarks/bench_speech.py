"""Measure masseur.speech with real espeak-ng: latency, speed, and the length estimate.

    python benchmarks/bench_speech.py          # everything below, a minute or so
    python benchmarks/bench_speech.py --fit    # refit estimate_speech_ms (needs numpy)

Reports:
- worker start: spawning ``_speech_worker.py`` until it says it is ready (pyttsx3 loaded,
  engine warmed up);
- first sentence cold (empty cache: engine checks, voice list, worker start, synthesis) and
  warm (cached), each in a fresh process, as a session would see them;
- synthesis speed on a running worker;
- ``list_voices()`` in a fresh process, with and without the cached voice list;
- estimate_speech_ms against real lengths for the sentences below at 120, 150 and 180 wpm.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from masseur.speech import Pyttsx3Synthesizer, VoiceSettings, estimate_speech_ms
from masseur.speech._worker_client import Worker, default_worker_command
from masseur.speech.estimate import speech_features
from masseur.wav import SAMPLE_RATE, wav_frames

ENGLISH_FIT = [
    "Breathe.",
    "Relax your foot.",
    "Now switch to the other foot.",
    "Press your thumb into the arch of your foot.",
    "Sit comfortably, with your right foot resting on your left knee.",
    "Press your thumb slowly along the arch of your foot, from the heel to the toes.",
    "Make small circles around the ankle bone, first clockwise, then the other way.",
    "Hold the pressure for a moment. Then let go.",
    "Good. Keep breathing slowly and evenly.",
    "Squeeze each toe gently, one at a time, starting with the big toe.",
    "If anything hurts, stop and rest.",
    "Roll the ball under your foot for thirty seconds.",
    "Ten seconds left.",
    "Halfway there!",
    "Are you comfortable? Adjust your position if you need to.",
    "Use the heel of your hand to knead the calf muscle, working upwards toward the knee.",
    "Stroke the top of the foot, between the tendons, with two fingers.",
    "Wiggle your toes.",
    "Take a deep breath in; and slowly breathe out.",
    "Now, gently pull each toe, stretch it, and release.",
    "Repeat this three times on each side, then rest for 20 seconds.",
    "Well done. That is the end of the session, and your feet should feel warm and light.",
    "Place both palms around your ankle and slide them up your shin, slowly, with firm "
    "pressure, all the way to the knee.",
    "Step 4 of 12: the Achilles tendon.",
    "Pinch the Achilles tendon lightly between thumb and finger - not too hard.",
    "Keep going.",
    "Notice how the foot feels now. Is it warmer? Softer? Lighter?",
    "Work along the outer edge of the sole, from the little toe down to the heel, pressing "
    "every few centimetres.",
    "Finally, shake out both legs and stand up slowly.",
    "Three. Two. One.",
]
# Not used for fitting: shows how the estimate does on sentences it has not seen.
ENGLISH_HOLDOUT = [
    "Bend your knee and bring your foot closer to you.",
    "Press firmly, but never to the point of pain.",
    "Now move to the ball of the foot, just below the toes.",
    "Let your shoulders drop and your jaw relax.",
    "Slide your knuckles down the sole in long, slow strokes.",
    "Rest.",
    "Thirty seconds left on this side.",
    "Cup your heel in your palm and rotate it gently, five times in each direction.",
    "Change sides when you hear the chime.",
    "Take your time; there is no hurry at all.",
    "Massage the spaces between the bones on top of the foot, one by one, from the ankle to "
    "the toes.",
    "One more minute.",
]
RUSSIAN_FIT = [
    "Дышите.",
    "Расслабьте стопу.",
    "Теперь поменяйте ногу.",
    "Надавите большим пальцем на свод стопы.",
    "Сядьте удобно и положите правую стопу на левое колено.",
    "Медленно ведите большим пальцем вдоль свода стопы, от пятки к пальцам.",
    "Сделайте маленькие круги вокруг косточки, сначала по часовой стрелке, потом обратно.",
    "Задержите давление на мгновение. Затем отпустите.",
    "Хорошо. Продолжайте дышать медленно и ровно.",
    "Осталось десять секунд.",
    "Если что-то болит, остановитесь и отдохните.",
    "Разомните каждый палец по очереди, начиная с большого.",
]
CORPORA = {
    ("en", "fit"): ENGLISH_FIT,
    ("en", "holdout"): ENGLISH_HOLDOUT,
    ("ru", "fit"): RUSSIAN_FIT,
}
REPORT_RATES = (120, 150, 180)
FIT_RATES = (100, 120, 150, 180, 220)
TYPICAL = "Press your thumb slowly along the arch of your foot, from the heel to the toes."


def measure_lengths(rates: tuple[int, ...]) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = []
    with tempfile.TemporaryDirectory() as folder:
        synthesizer = Pyttsx3Synthesizer(cache_dir=Path(folder))
        try:
            for (language, corpus), texts in CORPORA.items():
                for rate in rates:
                    for text in texts:
                        path = synthesizer.synthesize(text, VoiceSettings(language, rate))
                        frames = wav_frames(path) or 0
                        rows.append(
                            {
                                "language": language,
                                "corpus": corpus,
                                "rate": rate,
                                "text": text,
                                "ms": frames * 1000 / SAMPLE_RATE,
                            }
                        )
        finally:
            synthesizer.close()
    return rows


def fit(rows: list[dict[str, object]]) -> None:
    import numpy as np

    for language in ("en", "ru"):
        chosen = [r for r in rows if r["language"] == language and r["corpus"] == "fit"]
        design = []
        for row in chosen:
            letters, pauses, ends = speech_features(str(row["text"]))
            scale = 150 / int(str(row["rate"]))
            design.append([letters * scale, pauses * scale, ends * scale, 1.0])
        x = np.array(design)
        y = np.array([float(str(r["ms"])) for r in chosen])
        weights = 1 / y  # least squares on relative error
        coefficients, *_ = np.linalg.lstsq(x * weights[:, None], y * weights, rcond=None)
        print(f'    "{language}": ({", ".join(f"{c:.1f}" for c in coefficients)}),')


def estimate_report(rows: list[dict[str, object]]) -> None:
    print("estimate_speech_ms vs real length (error %, mean / max):")
    for (language, corpus), texts in CORPORA.items():
        cells = []
        every = []
        for rate in REPORT_RATES:
            errors = []
            for row in rows:
                if (row["language"], row["corpus"], row["rate"]) != (language, corpus, rate):
                    continue
                real = float(str(row["ms"]))
                estimate = estimate_speech_ms(str(row["text"]), rate, language)
                errors.append(abs(estimate - real) / real * 100)
            every.extend(errors)
            cells.append(f"{rate} wpm {statistics.mean(errors):4.1f} / {max(errors):4.1f}")
        print(
            f"  {language} {corpus:7} ({len(texts):2} sentences): {'   '.join(cells)}"
            f"   all {statistics.mean(every):.1f} / {max(every):.1f}"
        )


def worker_start_ms(times: int = 5) -> list[float]:
    results = []
    for _ in range(times):
        started = time.perf_counter()
        worker = Worker(default_worker_command(), time.monotonic() + 10)
        results.append((time.perf_counter() - started) * 1000)
        worker.close()
    return results


FIRST_SENTENCE = """
import json, sys, time
started = time.perf_counter()
from masseur.speech import Pyttsx3Synthesizer, VoiceSettings
imported = time.perf_counter()
synthesizer = Pyttsx3Synthesizer()
path = synthesizer.synthesize(sys.argv[1], VoiceSettings(None, 150))
done = time.perf_counter()
synthesizer.close()
print(json.dumps({"import_ms": (imported - started) * 1000, "first_ms": (done - imported) * 1000,
                  "made": synthesizer.synthesized}))
"""

LIST_VOICES = """
import json, time
started = time.perf_counter()
from masseur.speech import list_voices
imported = time.perf_counter()
voices = list_voices()
done = time.perf_counter()
print(json.dumps({"import_ms": (imported - started) * 1000, "list_ms": (done - imported) * 1000,
                  "voices": len(voices)}))
"""


def in_fresh_process(code: str, cache: Path, *args: str) -> dict[str, float]:
    environment = {**os.environ, "MASSEUR_CACHE_DIR": str(cache)}
    output = subprocess.run(
        [sys.executable, "-c", code, *args],
        env=environment,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    result: dict[str, float] = json.loads(output.strip().splitlines()[-1])
    return result


def latency_report(repeats: int = 5) -> None:
    starts = worker_start_ms()
    median = statistics.median(starts)
    print(f"worker start (spawn to ready): median {median:.0f} ms, runs {_ms(starts)}")

    cold, warm, imports = [], [], []
    for run in range(repeats):
        with tempfile.TemporaryDirectory() as folder:
            cache = Path(folder)
            text = f"{TYPICAL} Run {run}."
            first = in_fresh_process(FIRST_SENTENCE, cache, text)
            again = in_fresh_process(FIRST_SENTENCE, cache, text)
            assert first["made"] == 1 and again["made"] == 0, (first, again)
            cold.append(first["first_ms"])
            warm.append(again["first_ms"])
            imports.append(first["import_ms"])
    print(
        f"first sentence, fresh process, empty cache: median {statistics.median(cold):.0f} ms"
        f" (runs {_ms(cold)})"
    )
    print(
        f"first sentence, fresh process, cached:      median {statistics.median(warm):.1f} ms"
        f" (runs {_ms(warm, 1)})"
    )
    print(f"import masseur.speech: median {statistics.median(imports):.0f} ms")

    with tempfile.TemporaryDirectory() as folder:
        synthesizer = Pyttsx3Synthesizer(cache_dir=Path(folder))
        synthesizer.synthesize("Warm up.", VoiceSettings())
        sentences = [f"{TYPICAL} Number {n}." for n in range(50)]
        started = time.perf_counter()
        audio_ms = 0.0
        for sentence in sentences:
            audio_ms += (wav_frames(synthesizer.synthesize(sentence, VoiceSettings())) or 0) / 22.05
        took = (time.perf_counter() - started) * 1000
        again_started = time.perf_counter()
        for sentence in sentences:
            synthesizer.synthesize(sentence, VoiceSettings())
        hit_ms = (time.perf_counter() - again_started) * 1000 / len(sentences)
        synthesizer.close()
    words = len(sentences[0].split())
    print(
        f"synthesis on a running worker: {took / len(sentences):.1f} ms per {words}-word sentence,"
        f" {audio_ms / took:.0f}x faster than real time; cache hit {hit_ms:.2f} ms"
    )

    with tempfile.TemporaryDirectory() as folder:
        cache = Path(folder)
        listed_cold = in_fresh_process(LIST_VOICES, cache)
        listed_warm = [in_fresh_process(LIST_VOICES, cache) for _ in range(3)]
    print(
        f"list_voices() in a fresh process: {listed_cold['list_ms']:.0f} ms uncached, "
        f"{statistics.median(r['list_ms'] for r in listed_warm):.1f} ms cached "
        f"({int(listed_cold['voices'])} voices; import {listed_cold['import_ms']:.0f} ms)"
    )


def _ms(values: list[float], digits: int = 0) -> str:
    return ", ".join(f"{value:.{digits}f}" for value in values)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fit", action="store_true", help="print refitted estimate models")
    parser.add_argument("--json", type=Path, help="also save the measured lengths here")
    arguments = parser.parse_args()
    rows = measure_lengths(FIT_RATES if arguments.fit else REPORT_RATES)
    if arguments.json:
        arguments.json.write_text(json.dumps(rows, ensure_ascii=False, indent=1))
    if arguments.fit:
        print("_ESTIMATE_MODELS (letters, pauses, ends per 150 wpm; fixed ms):")
        fit(rows)
        return
    latency_report()
    estimate_report(rows)


if __name__ == "__main__":
    main()
