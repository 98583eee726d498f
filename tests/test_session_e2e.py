"""End to end: `masseur run` with real espeak-ng and real simpleaudio playback, captured.

Recipe A (ALSA file capture) checks *what* is played, sound by sound, in order.
Recipe B (a private PulseAudio null sink recorded in real time) checks *when*: every chime
and every sentence starts at its scheduled time, within 25 ms (the capture itself jitters
by about 10 ms).
"""

from __future__ import annotations

import statistics
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import home_env, require_tools
from masseur.audio import Sound, load_chime
from masseur.routine import load_routine
from masseur.speech import Pyttsx3Synthesizer, VoiceSettings, resolve_voice
from masseur.timeline import EventKind, TimelineOptions, build_timeline

from audio_capture import file_capture, find_onsets, non_silent_spans, pulse_capture

ROUTINE = Path(__file__).parent / "data" / "routines" / "e2e.yaml"
RATE = 250
CHIME_VOLUME = 0.8
TOLERANCE_MS = 25
GAP_MS = 120  # silence needed before a sound for its onset to show in the mix

pytestmark = [pytest.mark.audio, pytest.mark.slow]


def masseur_env(home: Path, base: dict[str, str]) -> dict[str, str]:
    return {
        **base,
        **home_env(home),
    }


def run_masseur(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "masseur",
            "run",
            str(ROUTINE),
            "--yes",
            "--plain",
            "--rate",
            str(RATE),
            "--chime-volume",
            str(CHIME_VOLUME),
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def timeline():
    # --yes and --plain: nobody confirmed the warnings on a live screen, so they are spoken.
    options = TimelineOptions(rate=RATE, speak_warnings=True)
    return build_timeline(load_routine(ROUTINE), options)


def expected_sounds(home: Path) -> list[tuple[str, int, Sound]]:
    """(name, scheduled ms, sound) for everything the session should play, in order.

    Synthesizing here also fills the speech cache the program under test will use.
    """
    plan = timeline()
    voice = resolve_voice(None, "en")
    synthesizer = Pyttsx3Synthesizer(cache_dir=home / "cache" / "speech")
    expected: list[tuple[str, int, Sound]] = []
    try:
        for event in plan.events:
            if event.kind is EventKind.CHIME:
                sound = load_chime(event.sound or "step").scaled(CHIME_VOLUME)
                expected.append((f"chime {event.sound}", event.at_ms, sound))
            elif event.kind.spoken:
                path = synthesizer.synthesize(event.text, VoiceSettings(voice=voice, rate=RATE))
                expected.append((event.text, event.at_ms, Sound.from_wav(path)))
    finally:
        synthesizer.close()
    return expected


def test_run_plays_every_sentence_and_chime_in_order(tmp_path: Path) -> None:
    home = tmp_path / "home"
    expected = expected_sounds(home)
    capture = file_capture(tmp_path / "capture")
    result = run_masseur(masseur_env(home, capture.env()))
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    assert "ALSA lib" not in result.stderr

    played = [sound.pcm for sound in capture.sounds()]
    # The first play of the process is the player's silent warm-up probe.
    while played and not any(played[0]):
        played.pop(0)
    assert [name for name, _, _ in expected] == [
        name for (name, _, sound), got in zip(expected, played, strict=False) if sound.pcm == got
    ], "captured sounds differ from the timeline's, or come in another order"
    assert len(played) == len(expected)


def test_run_keeps_chimes_and_speech_on_schedule(tmp_path: Path) -> None:
    require_tools("pulseaudio", "parec")
    home = tmp_path / "home"
    expected = expected_sounds(home)  # also warms the speech cache: the run starts at once
    with pulse_capture() as capture:
        start = capture.position_ms()
        result = run_masseur(masseur_env(home, capture.env))
        assert result.returncode == 0, result.stderr
    recording = capture.recording
    tail = Sound(recording.pcm[int(start * recording.rate / 1000) * 2 :], recording.rate)
    onsets = find_onsets(tail, threshold_db=-45, min_gap_ms=GAP_MS)
    assert len(onsets) >= len(expected)

    # Each sound is heard a little after it starts (its own lead-in before the first
    # audible sample). A sound that begins while another still rings (speech over the tail
    # of a chime) has no onset of its own in the mix, so only separable sounds are timed.
    heard = []
    for name, at, sound in expected:
        spans = non_silent_spans(sound, threshold_db=-45)
        heard.append((name, at + spans[0][0], at + spans[-1][1]))
    separable = [
        (name, start)
        for name, start, _ in heard
        if not any(
            other_start < start <= other_end + GAP_MS
            for other, other_start, other_end in heard
            if other != name
        )
    ]
    assert len(separable) >= len(expected) - 2

    # The program's start-up time is unknown. Pair each sound with the onset nearest to it
    # (counting from the first sound heard), then take the median offset as the start, so
    # that no single onset's capture jitter decides where every other one should be.
    first = onsets[0] - heard[0][1]
    pairs = [
        (name, start, min(onsets, key=lambda t: abs(t - (start + first))))
        for name, start in separable
    ]
    shift = statistics.median(onset - start for _, start, onset in pairs)
    errors = {
        f"{round(start)} ms {name}": round(onset - start - shift, 1) for name, start, onset in pairs
    }
    print("onset errors (ms):", errors)
    late = {name: error for name, error in errors.items() if abs(error) > TOLERANCE_MS}
    assert not late, f"sounds more than {TOLERANCE_MS} ms off schedule: {late}"
