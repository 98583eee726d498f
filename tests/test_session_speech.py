"""A live session's speech: only a few sentences in memory, safety words never skipped.

The unit tests use the fake synthesizer (a slow engine on demand); the last test starts
masseur twenty times from an empty cache with the real engine and real playback (recipe A)
and finds the introduction, with its safety reminder, in every one.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import home_env
from masseur import session_speech
from masseur.audio import Sound
from masseur.phrases import ENGLISH
from masseur.routine import load_routine
from masseur.session_speech import AHEAD, SessionSpeech
from masseur.speech import Pyttsx3Synthesizer, VoiceSettings, resolve_voice
from masseur.timeline import EventKind, Timeline, TimelineOptions, build_timeline

from audio_capture import file_capture, until_first_sound
from fakes import FakeSynthesizer

ROUTINE = Path(__file__).parent / "data" / "routines" / "e2e.yaml"
RATE = 250


def e2e_timeline(*, speak_warnings: bool = False) -> Timeline:
    options = TimelineOptions(rate=RATE, speak_warnings=speak_warnings)
    return build_timeline(load_routine(ROUTINE), options)


def test_only_the_next_few_sentences_are_held_in_memory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(session_speech, "SPEECH_GRACE_S", 10.0)  # a busy machine is no failure
    timeline = e2e_timeline()
    spoken = timeline.spoken()
    assert len({event.text for event in spoken}) > AHEAD + 1
    speech = SessionSpeech(timeline, VoiceSettings(None, RATE), 0.5, FakeSynthesizer(tmp_path))
    try:
        for event in spoken:
            sound = speech.get(event)
            assert sound is not None, event.text
            assert speech.held <= AHEAD + 1
        # The last sentence is still there (a repeat finds it), the first long gone.
        assert speech.get(spoken[-1]) is not None
        assert speech.held <= AHEAD + 1
    finally:
        speech.close()


def test_volume_scales_every_sample(tmp_path: Path) -> None:
    timeline = e2e_timeline()
    first = timeline.spoken()[0]
    synthesizer = FakeSynthesizer(tmp_path)
    full = SessionSpeech(timeline, VoiceSettings(None, RATE), 1.0, synthesizer)
    half = SessionSpeech(timeline, VoiceSettings(None, RATE), 0.5, FakeSynthesizer(tmp_path))
    try:
        loud, quiet = full.get(first), half.get(first)
        assert loud is not None and quiet is not None
        # Half of each sample, rounded half up (masseur.wav.scale_pcm).
        assert [(sample + 1) >> 1 for sample in loud.samples()] == list(quiet.samples())
    finally:
        full.close()
        half.close()


def test_a_slow_engine_skips_an_ordinary_sentence_but_waits_for_the_safety_words(
    tmp_path: Path,
) -> None:
    timeline = e2e_timeline()
    intro, ordinary = timeline.spoken()[0], timeline.spoken()[1]
    assert intro.kind is EventKind.INTRO and ENGLISH.safety in intro.text
    notices: list[str] = []

    slow = FakeSynthesizer(tmp_path, delay_s=1.0)  # four times the grace for a sentence
    speech = SessionSpeech(timeline, VoiceSettings(None, RATE), 1.0, slow)
    try:
        assert speech.get(ordinary) is None  # asked before its turn, not ready in time
        speech.wait_for_safety(lambda: notices.append("preparing"))
        assert notices == ["preparing"]
        assert speech.get(intro) is not None
    finally:
        speech.close()

    quick = SessionSpeech(timeline, VoiceSettings(None, RATE), 1.0, FakeSynthesizer(tmp_path))
    try:
        speech_ready = quick.get(intro)
        quick.wait_for_safety(lambda: notices.append("again"))
        assert speech_ready is not None and notices == ["preparing"]  # no notice when ready
    finally:
        quick.close()


def test_a_sentence_with_the_safety_reminder_is_waited_for_even_mid_session(
    tmp_path: Path,
) -> None:
    timeline = e2e_timeline()
    later = timeline.spoken()[3]
    event = type(later)(later.at_ms, later.kind, later.segment, "Note. " + ENGLISH.safety)
    speech = SessionSpeech(
        timeline, VoiceSettings(None, RATE), 1.0, FakeSynthesizer(tmp_path, delay_s=0.6)
    )
    try:
        assert speech.get(event) is not None
    finally:
        speech.close()


@pytest.mark.audio
@pytest.mark.slow
def test_twenty_cold_starts_each_speak_the_introduction_first(tmp_path: Path) -> None:
    # Each start has an empty speech cache: the engine starts, lists its voices and makes the
    # introduction while the session waits for it. The session is stopped with Ctrl-C as soon
    # as the first sound has been played (recipe A plays without pacing).
    # --yes and --plain: nobody confirmed the warnings on a live screen, so they are spoken.
    timeline = e2e_timeline(speak_warnings=True)
    intro = timeline.spoken()[0]
    voice = resolve_voice(None, "en")
    for attempt in range(20):
        home = tmp_path / f"home-{attempt}"
        capture = file_capture(tmp_path / f"capture-{attempt}")
        env = {**capture.env(), **home_env(home)}
        args = ["run", str(ROUTINE), "--yes", "--plain", "--rate", str(RATE)]
        errors = until_first_sound(capture, args, env, timeout=30)
        assert "Traceback" not in errors, errors
        with Pyttsx3Synthesizer(cache_dir=home / "cache" / "speech") as cached:
            entry = cached.cache_path(intro.text, VoiceSettings(voice, RATE))
        expected = Sound.from_wav(entry).pcm
        played = [sound.pcm for sound in capture.sounds() if any(sound.pcm)]
        assert played, f"start {attempt}: nothing was played"
        assert played[0] == expected, f"start {attempt}: the introduction was not first"
