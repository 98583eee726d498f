"""Measure `masseur export` to audio: speed against espeak-ng itself, and peak memory.

    python benchmarks/bench_export.py [ROUTINE]      # default foot-self-massage, ~1 minute

Reports, for the routine at its own rate and voice:
- the wall time of a cold export to wav (a fresh MASSEUR_CACHE_DIR, so every sentence is
  synthesized), of a warm one (every sentence cached; aim: under 1.5x a plain numpy mixdown
  of the cached sentences, also timed), and of `espeak-ng -w` speaking the same narration
  (each distinct text once, as the export synthesizes them) into one file in one process:
  the speech engine's own speed. All include process start-up. The ratio cold export /
  espeak-ng is the cost of everything the export adds (aim: under 1.3). For comparison,
  also espeak-ng run once per text, which pays a process start per text, and masseur's own
  speech engines alone (a process that starts them and has them say every text, shared as
  an export shares them, and does nothing else): the floor under a cold export here.
  And what no cold export can go below on this machine, since the texts are known only
  once masseur has started and planned the routine: an export to txt (masseur's start with
  nothing said) plus two espeak-ng processes saying the engines' two shares at once.
- the real-time factor (synthesis time / speech time) of espeak-ng and, when Piper and a
  Piper voice are installed, of Piper, for the same narration.
- the peak resident memory (max RSS from wait4) of the export process for the routine as
  written and stretched to two hours with --minutes 120, and of a process that only
  imports what the export imports. The block-by-block mixer should keep the first two
  close together (aim: under 150 MB).

Each export is a separate `python -m masseur export` process. Timings are the best of
--repeats runs (default 3), all in one run of this script, since other work on the machine
slows single runs unevenly.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import wave
from collections.abc import Callable
from pathlib import Path

from masseur.library import load
from masseur.speech import Pyttsx3Synthesizer, VoiceSettings, resolve_voice
from masseur.speech.synthesizer import engine_shares
from masseur.timeline import DEFAULT_RATE, Timeline, TimelineOptions, build_timeline


def run_measured(command: list[str], env: dict[str, str]) -> tuple[float, int]:
    """(wall seconds, peak RSS in MB) of one child process run to its end."""
    start = time.perf_counter()
    process = subprocess.Popen(
        command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - start
    process.returncode = os.waitstatus_to_exitcode(status)
    errors = process.stderr.read() if process.stderr else ""
    if process.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed ({process.returncode}): {errors}")
    return elapsed, usage.ru_maxrss // 1024  # ru_maxrss is in KiB on Linux


def run_at_once(commands: list[list[str]], env: dict[str, str]) -> tuple[float, int]:
    """(wall seconds, 0) of child processes started together, until the last one ends."""
    start = time.perf_counter()
    processes = [
        subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL) for command in commands
    ]
    for process in processes:
        if process.wait() != 0:
            raise SystemExit(f"{' '.join(process.args)} failed ({process.returncode})")
    return time.perf_counter() - start, 0


def wav_seconds(path: Path) -> float:
    with wave.open(str(path), "rb") as wav:
        return wav.getnframes() / wav.getframerate()


def best_of(repeats: int, measure: Callable[[int], tuple[float, int]]) -> tuple[float, int]:
    """The fastest of ``repeats`` runs (the machine may be busy with other work) and the
    largest peak RSS seen."""
    runs = [measure(number) for number in range(repeats)]
    return min(seconds for seconds, _ in runs), max(megabytes for _, megabytes in runs)


# The least any export must do with every sentence cached: start Python, import numpy, read
# each sentence once, add it into one array at its time, write one WAV file.
PLAIN_MIXDOWN = """
import json, sys, wave
import numpy as np
plan = json.load(open(sys.argv[1]))
mix = np.zeros(plan["frames"], dtype=np.int32)
sounds = {}
for frame, path in plan["events"]:
    if path not in sounds:
        with wave.open(path, "rb") as wav:
            sounds[path] = np.frombuffer(wav.readframes(wav.getnframes()), dtype="<i2")
    sound = sounds[path][: len(mix) - frame]
    mix[frame : frame + len(sound)] += sound
with wave.open(sys.argv[2], "wb") as out:
    out.setnchannels(1)
    out.setsampwidth(2)
    out.setframerate(22050)
    out.writeframes(np.clip(mix, -32768, 32767).astype("<i2").tobytes())
"""


# What a cold export cannot do without: start Python, start masseur's speech engines (as
# an export does: one, which forks its twin) and have them say every text, shared as the
# export shares them (engine_shares), each reply taken as it comes.
# No routine, no cache, no mixing, no file: the floor under the cold export on this machine.
ENGINES_ALONE = """
import collections, json, sys, time
from masseur.speech._worker_client import Worker, default_worker_command, first_to_reply
from masseur.speech.synthesizer import BATCH_ENGINES, engine_shares
plan = json.load(open(sys.argv[1]))
texts, voice, rate = plan["texts"], plan["voice"], plan["rate"]
first = Worker(default_worker_command(), twin=BATCH_ENGINES > 1 and len(texts) > 1)
engines = [first, first.twin] if first.twin else [first]
deadline = time.monotonic() + 60
for engine in engines:
    engine.wait_ready(deadline)
owners = engine_shares(texts, rate, len(engines))
waiting = [collections.deque() for _ in engines]
for index, owner in enumerate(owners):
    waiting[owner].append(index)
asked = [collections.deque() for _ in engines]
def ask(n):
    while waiting[n] and len(asked[n]) < 2:
        index = waiting[n].popleft()
        request = {"op": "synth", "text": texts[index], "voice": voice, "rate": rate, "limit": 60}
        engines[n].send(request, deadline)
        asked[n].append(index)
for n in range(len(engines)):
    ask(n)
for _ in texts:
    busy = [n for n in range(len(engines)) if asked[n]]
    n = busy[first_to_reply([engines[b] for b in busy], [deadline] * len(busy))]
    reply = engines[n].receive(deadline)
    assert reply.get("ok") and reply.get("pcm"), reply
    asked[n].popleft()
    ask(n)
first.close()
for engine in engines[1:]:
    engine.close()
"""


def mixdown_plan(timeline: Timeline, voice_id: str | None, rate: int, cache: Path) -> object:
    """Where each spoken event's cached WAV goes in the session, for PLAIN_MIXDOWN."""
    synthesizer = Pyttsx3Synthesizer(cache / "speech")
    settings = VoiceSettings(voice_id, rate)
    events = [
        (event.at_ms * 22050 // 1000, str(synthesizer.cache_path(event.text, settings)))
        for event in timeline.spoken()
    ]
    return {"frames": timeline.total_ms * 22050 // 1000, "events": events}


def piper_voice_ids() -> list[str]:
    """The first Piper voice found, if Piper is installed (to time it beside espeak-ng)."""
    from masseur.speech.piper_voices import find_piper_voices, piper_installed

    voices = find_piper_voices() if piper_installed() else []
    return [voices[0].id] if voices else []


def real_time_factor(voice: str, texts: list[str], rate: int, cache: Path) -> str:
    """Synthesis time over speech time for the narration, from an empty cache, with the
    engine already started (a warm-up sentence first)."""
    with Pyttsx3Synthesizer(cache) as synthesizer:
        synthesizer.synthesize("Ready.", VoiceSettings(voice, rate))
        start = time.perf_counter()
        spoken = sum(
            wav_seconds(synthesizer.synthesize(text, VoiceSettings(voice, rate))) for text in texts
        )
        elapsed = time.perf_counter() - start
    return (
        f"real-time factor, {voice}: {elapsed / spoken:.3f} "
        f"({elapsed:.2f} s for {spoken:.0f} s of speech)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("routine", nargs="?", default="foot-self-massage")
    parser.add_argument("--repeats", type=int, default=3, help="runs of each timing (best kept)")
    args = parser.parse_args()

    _, routine = load(args.routine)
    rate = routine.voice.rate or DEFAULT_RATE
    # An audio export, like a --yes --plain session, speaks the contraindications.
    timeline = build_timeline(routine, TimelineOptions(rate=rate, speak_warnings=True))
    texts = list(dict.fromkeys(event.text for event in timeline.spoken()))
    voice_id = resolve_voice(routine.voice.voice, routine.language)
    voice = voice_id or routine.language
    work = Path(tempfile.mkdtemp(prefix="masseur-bench-export-"))
    try:
        env = dict(os.environ, MASSEUR_CACHE_DIR=str(work / "cache"))
        # pip compiles what it installs to bytecode; with PYTHONDONTWRITEBYTECODE set, every
        # run here would recompile masseur and its libraries, which no installed copy does.
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        subprocess.run(
            [sys.executable, "-m", "masseur", "--version"], env=env, capture_output=True, check=True
        )
        export = [sys.executable, "-m", "masseur", "export", args.routine, "--force"]
        espeak = ["espeak-ng", "-v", voice, "-s", str(rate), "-w"]
        print(
            f"{args.routine}: {timeline.total_ms / 60000:.1f} min session, {len(texts)} distinct "
            f"texts, {sum(len(t.split()) for t in texts)} words, voice {voice}, {rate} wpm; "
            f"best of {args.repeats} runs"
        )

        narration = work / "narration.txt"
        narration.write_text("\n\n".join(texts) + "\n", encoding="utf-8")
        espeak_s, _ = best_of(
            args.repeats,
            lambda _: run_measured([*espeak, str(work / "espeak.wav"), "-f", str(narration)], env),
        )
        print(
            f"espeak-ng -w, whole narration:  {espeak_s:6.2f} s "
            f"({wav_seconds(work / 'espeak.wav'):.0f} s of speech)"
        )

        def espeak_per_text(_: int) -> tuple[float, int]:
            start = time.perf_counter()
            for number, text in enumerate(texts):
                subprocess.run([*espeak, str(work / f"{number}.wav"), text], check=True)
            return time.perf_counter() - start, 0

        per_text_s, _ = best_of(args.repeats, espeak_per_text)
        print(f"espeak-ng -w, one run per text: {per_text_s:6.2f} s")

        def cold_export(number: int) -> tuple[float, int]:
            cold_env = dict(env, MASSEUR_CACHE_DIR=str(work / f"cold-cache-{number}"))
            return run_measured([*export, "-o", str(work / "cold.wav")], cold_env)

        cold_s, cold_mb = best_of(args.repeats, cold_export)
        print(
            f"export to wav, cold cache:      {cold_s:6.2f} s  ratio {cold_s / espeak_s:.2f}x "
            f"(to one run per text: {cold_s / per_text_s:.2f}x)"
        )
        speech_plan = work / "speech.json"
        speech_plan.write_text(json.dumps({"texts": texts, "voice": voice_id, "rate": rate}))
        alone = [sys.executable, "-c", ENGINES_ALONE, str(speech_plan)]
        alone_s, _ = best_of(args.repeats, lambda _: run_measured(alone, env))
        print(
            f"masseur's engines alone:        {alone_s:6.2f} s  ratio {alone_s / espeak_s:.2f}x "
            f"(the floor of a cold export; the export is {cold_s / alone_s:.2f}x it)"
        )
        # What no export can go below here: masseur starting, loading the routine and
        # planning it with nothing said (an export to text), then the narration said by two
        # espeak-ng processes at once, each given the texts the export gives each engine.
        start_s, _ = best_of(
            args.repeats, lambda _: run_measured([*export, "-o", str(work / "plan.txt")], env)
        )
        halves = [work / "half-0.txt", work / "half-1.txt"]
        owners = engine_shares(texts, rate, len(halves))
        for number, half in enumerate(halves):
            mine = [text for text, owner in zip(texts, owners, strict=True) if owner == number]
            half.write_text("\n\n".join(mine) + "\n", encoding="utf-8")
        halves_s, _ = best_of(
            args.repeats,
            lambda _: run_at_once(
                [[*espeak, str(half.with_suffix(".wav")), "-f", str(half)] for half in halves], env
            ),
        )
        print(
            f"masseur's start, nothing said:  {start_s:6.2f} s  ratio {start_s / espeak_s:.2f}x "
            "(an export to txt)"
        )
        print(
            f"espeak-ng -w, two halves at once: {halves_s:4.2f} s  ratio "
            f"{halves_s / espeak_s:.2f}x (the two engines' shares, in parallel)"
        )
        print(
            f"the two added:                  {start_s + halves_s:6.2f} s  ratio "
            f"{(start_s + halves_s) / espeak_s:.2f}x (what a cold export cannot go below here)"
        )
        run_measured([*export, "-o", str(work / "warm.wav")], env)  # fills the cache
        plan = work / "plan.json"
        plan.write_text(json.dumps(mixdown_plan(timeline, voice_id, rate, work / "cache")))
        plain = [sys.executable, "-c", PLAIN_MIXDOWN, str(plan), str(work / "plain.wav")]
        # Interleaved, so that a busy moment of the machine falls on both alike.
        warm_runs, mix_runs = [], []
        for _ in range(args.repeats):
            warm_runs.append(run_measured([*export, "-o", str(work / "warm.wav")], env))
            mix_runs.append(run_measured(plain, env))
        warm_s, warm_mb = min(s for s, _ in warm_runs), max(mb for _, mb in warm_runs)
        mix_s = min(s for s, _ in mix_runs)
        print(f"plain numpy mixdown of cache:   {mix_s:6.2f} s")
        print(
            f"export to wav, warm cache:      {warm_s:6.2f} s  ratio {warm_s / mix_s:.2f}x "
            f"(to espeak-ng: {warm_s / espeak_s:.2f}x)"
        )

        long_s, long_mb = run_measured(
            [*export, "--minutes", "120", "-o", str(work / "long.wav")], env
        )
        baseline_s, baseline_mb = run_measured(
            [sys.executable, "-c", "import masseur.commands.export, masseur.export, numpy"], env
        )
        print(
            f"peak RSS, {wav_seconds(work / 'warm.wav') / 60:5.1f} min export:   {warm_mb:4d} MB "
            f"(cold {cold_mb} MB)"
        )
        print(
            f"peak RSS, {wav_seconds(work / 'long.wav') / 60:5.1f} min export:   {long_mb:4d} MB "
            f"({long_s:.2f} s, {(work / 'long.wav').stat().st_size / 1e6:.0f} MB file)"
        )
        print(f"peak RSS, imports only:         {baseline_mb:4d} MB ({baseline_s:.2f} s)")
        for engine_voice in ("en", *piper_voice_ids()):
            print(real_time_factor(engine_voice, texts, rate, work / f"rtf-{len(engine_voice)}"))
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
