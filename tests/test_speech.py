"""masseur.speech against the real espeak-ng (through pyttsx3 in its worker process).

Fakes appear only where the real thing cannot be made to misbehave on demand: a worker that
hangs (the real worker wrapped so that one sentence never finishes), and slow or failing
synthesizers for the Prefetcher, which is what those tests are about.
"""

from __future__ import annotations

import array
import itertools
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
import wave
from collections.abc import Iterator
from pathlib import Path

import pytest

from masseur import speech
from masseur.errors import BadInput
from masseur.speech import (
    NoVoiceForLanguage,
    Prefetcher,
    Pyttsx3Synthesizer,
    SpeechFailed,
    SpeechTimeout,
    SpeechUnavailable,
    VoiceInfo,
    VoiceSettings,
    _worker_client,
    engine,
    estimate_speech_ms,
    list_voices,
    resolve_voice,
    voices,
    wav_frames,
)
from masseur.speech.synthesizer import engine_shares, is_intact
from process_helper import process_exists, wait_for

from fakes import FakeSynthesizer

SENTENCE = "Press your thumb slowly along the arch of your foot, from the heel to the toes."
SRC = Path(speech.__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def _private_cache(masseur_home: Path) -> None:
    """Every test gets its own cache folder (the voice list is kept there)."""


@pytest.fixture
def synthesizer(tmp_path: Path) -> Iterator[Pyttsx3Synthesizer]:
    with Pyttsx3Synthesizer(cache_dir=tmp_path / "speech") as made:
        yield made


def length_ms(path: Path) -> float:
    frames = wav_frames(path)
    assert frames is not None, f"{path} is not a complete WAV file"
    return frames * 1000 / 22050


def peak(path: Path) -> int:
    with wave.open(str(path), "rb") as wav:
        samples = array.array("h", wav.readframes(wav.getnframes()))
    return max(abs(sample) for sample in samples)


# --------------------------------------------------------------------------- synthesis


def test_a_sentence_becomes_a_22050_hz_mono_wav_about_as_long_as_estimated(
    synthesizer: Pyttsx3Synthesizer,
) -> None:
    path = synthesizer.synthesize(SENTENCE, VoiceSettings(rate=150))

    with wave.open(str(path), "rb") as wav:
        assert (wav.getframerate(), wav.getnchannels(), wav.getsampwidth()) == (22050, 1, 2)
    assert peak(path) > 5000  # speech, not silence
    estimate = estimate_speech_ms(SENTENCE, 150)
    assert abs(length_ms(path) - estimate) <= 0.25 * estimate
    assert synthesizer.synthesized == 1


def test_the_second_request_is_served_from_the_cache_without_the_engine(
    tmp_path: Path, synthesizer: Pyttsx3Synthesizer
) -> None:
    first = synthesizer.synthesize(SENTENCE, VoiceSettings())
    started = time.perf_counter()
    second = synthesizer.synthesize(SENTENCE, VoiceSettings())
    took = time.perf_counter() - started

    assert second == first
    assert (synthesizer.synthesized, synthesizer.cache_hits) == (1, 1)
    assert took < 0.05
    # A later session (a new synthesizer on the same cache) starts no engine at all.
    with Pyttsx3Synthesizer(cache_dir=tmp_path / "speech") as later:
        assert later.synthesize(SENTENCE, VoiceSettings()) == first
        assert (later.synthesized, later.worker_starts) == (0, 0)


def test_a_faster_rate_gives_another_file_with_shorter_speech(
    synthesizer: Pyttsx3Synthesizer,
) -> None:
    slow = synthesizer.synthesize(SENTENCE, VoiceSettings(rate=120))
    fast = synthesizer.synthesize(SENTENCE, VoiceSettings(rate=180))

    assert slow != fast
    ratio = length_ms(slow) / length_ms(fast)
    assert 1.3 < ratio < 1.6  # 180/120 = 1.5 for the sounds; pauses shrink a little less


def test_twenty_sentences_in_a_row_each_get_their_own_complete_audio(
    synthesizer: Pyttsx3Synthesizer,
) -> None:
    long_sentence = (
        "Now gently press your thumb into the middle of the sole and slowly move it "
        "towards the heel while you keep breathing calmly"
    )
    words = long_sentence.split()
    lengths = []
    for count in range(1, 21):
        text = " ".join(words[:count]) + "."
        path = synthesizer.synthesize(text, VoiceSettings())
        lengths.append(length_ms(path))
        if count >= 5:  # very short texts are mostly the end pause
            estimate = estimate_speech_ms(text, 150)
            assert abs(lengths[-1] - estimate) <= 0.25 * estimate, text
    # Each sentence is the previous one and a word more, so a stale file from the call
    # before (or an empty one) would break the growth.
    assert all(later > earlier for earlier, later in itertools.pairwise(lengths))
    assert synthesizer.synthesized == 20
    assert synthesizer.worker_starts == 1


def test_switching_rates_back_and_forth_always_uses_the_rate_asked_for(
    synthesizer: Pyttsx3Synthesizer,
) -> None:
    # pyttsx3 applied a changed rate late about one time in four; each pair here would then
    # come out with a ratio near 1 instead of 2.
    for number in range(8):
        text = f"Repeat the stroke along the outer edge of the foot, number {number}."
        slow = length_ms(synthesizer.synthesize(text, VoiceSettings(rate=100)))
        fast = length_ms(synthesizer.synthesize(text, VoiceSettings(rate=200)))
        assert 1.75 < slow / fast < 2.2, (number, slow, fast)


def test_russian_text_is_spoken_by_the_russian_voice(synthesizer: Pyttsx3Synthesizer) -> None:
    text = "Медленно ведите большим пальцем вдоль свода стопы, от пятки к пальцам."
    path = synthesizer.synthesize(text, VoiceSettings(voice="ru", rate=150))

    assert peak(path) > 5000
    # The English voice spells Cyrillic out letter by letter, which takes far longer.
    estimate = estimate_speech_ms(text, 150, "ru")
    assert abs(length_ms(path) - estimate) <= 0.25 * estimate


def test_speaking_russian_in_between_does_not_change_the_english_audio(tmp_path: Path) -> None:
    # One espeak engine that switched to the Russian voice and back made English 2-8 %
    # longer from then on, so each voice gets its own engine process.
    english = VoiceSettings(voice="en")
    with Pyttsx3Synthesizer(cache_dir=tmp_path / "alone") as alone:
        reference = length_ms(alone.synthesize(SENTENCE, english))
    with Pyttsx3Synthesizer(cache_dir=tmp_path / "mixed") as mixed:
        mixed.synthesize("First some English.", english)
        mixed.synthesize("Теперь по-русски, пожалуйста.", VoiceSettings(voice="ru"))
        after_russian = length_ms(mixed.synthesize(SENTENCE, english))
    assert after_russian == pytest.approx(reference, rel=0.015)


def test_nothing_reaches_stdout_or_stderr(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    with Pyttsx3Synthesizer(cache_dir=tmp_path / "speech") as fresh:
        for text in ("One.", "Two sentences. Here.", SENTENCE):
            fresh.synthesize(text, VoiceSettings())
        fresh.synthesize("Пять.", VoiceSettings(voice="ru"))
    captured = capfd.readouterr()
    assert captured.out == ""  # pyttsx3 prints "Audio saved to ..." in the worker
    assert captured.err == ""


def test_a_damaged_cache_entry_is_made_again(synthesizer: Pyttsx3Synthesizer) -> None:
    path = synthesizer.synthesize(SENTENCE, VoiceSettings())
    good_size = path.stat().st_size
    with open(path, "r+b") as cut:  # the header still promises the full length
        cut.truncate(good_size // 2)
    assert wav_frames(path) is None

    # (espeak's pauses vary by a few samples from run to run, hence approx)
    again = synthesizer.synthesize(SENTENCE, VoiceSettings())
    assert again == path
    assert again.stat().st_size == pytest.approx(good_size, rel=0.01)
    assert synthesizer.synthesized == 2

    path.write_bytes(b"")
    remade = synthesizer.synthesize(SENTENCE, VoiceSettings())
    assert remade.stat().st_size == pytest.approx(good_size, rel=0.01)
    assert synthesizer.synthesized == 3
    assert not [leftover for leftover in path.parent.iterdir() if leftover.suffix == ".part"]


def test_a_cache_entry_with_a_good_header_but_other_samples_is_made_again(
    synthesizer: Pyttsx3Synthesizer,
) -> None:
    path = synthesizer.synthesize(SENTENCE, VoiceSettings())
    good = path.read_bytes()
    # Same length, valid header, but full-scale noise where the speech was.
    noise = good[:44] + bytes([0xFF, 0x7F]) * ((len(good) - 44) // 2)
    path.write_bytes(noise)
    assert wav_frames(path) is not None  # the header alone cannot tell
    again = synthesizer.synthesize(SENTENCE, VoiceSettings())
    assert again == path
    assert synthesizer.synthesized == 2  # made again, not played as noise
    # (an engine that spoke before varies its pauses by a few samples, hence approx)
    assert again.read_bytes() != noise
    assert len(again.read_bytes()) == pytest.approx(len(good), rel=0.01)


def test_a_cache_entry_is_one_wav_file_that_carries_its_own_checksum(
    synthesizer: Pyttsx3Synthesizer,
) -> None:
    path = synthesizer.synthesize(SENTENCE, VoiceSettings())
    assert sorted(entry.name for entry in path.parent.iterdir() if entry.stem == path.stem) == [
        path.name
    ]
    with wave.open(str(path), "rb") as wav:  # any WAV reader skips the chunk after the samples
        assert (wav.getnchannels(), wav.getsampwidth(), wav.getframerate()) == (1, 2, 22050)
        samples = wav.readframes(wav.getnframes())
    whole = path.read_bytes()
    assert whole[44 : 44 + len(samples)] == samples
    assert whole[-12:-4] == b"mcrc" + (4).to_bytes(4, "little")
    assert int.from_bytes(whole[4:8], "little") == len(whole) - 8  # RIFF counts the chunk


def test_a_cache_entry_with_one_byte_changed_is_made_again(
    synthesizer: Pyttsx3Synthesizer,
) -> None:
    path = synthesizer.synthesize(SENTENCE, VoiceSettings())
    damaged = bytearray(path.read_bytes())
    damaged[len(damaged) // 2] ^= 0x01  # one bit of one sample, as a failing disk might
    path.write_bytes(damaged)
    again = synthesizer.synthesize(SENTENCE, VoiceSettings())
    assert again == path
    assert synthesizer.synthesized == 2
    assert again.read_bytes() != bytes(damaged)


def test_half_written_files_left_by_a_killed_process_are_swept(tmp_path: Path) -> None:
    cache = tmp_path / "speech"
    cache.mkdir()
    old, recent = cache / ".abc.old.part", cache / ".abc.recent.part"
    old.write_bytes(b"RIFF")
    recent.write_bytes(b"RIFF")  # could belong to another process synthesizing right now
    two_hours_ago = time.time() - 7200
    os.utime(old, (two_hours_ago, two_hours_ago))

    with Pyttsx3Synthesizer(cache_dir=cache) as synthesizer:
        synthesizer.synthesize("Sweep.", VoiceSettings())
    assert not old.exists()
    assert recent.exists()


@pytest.mark.parametrize("batch", [False, True], ids=["one sentence", "a batch"])
def test_an_unwritable_cache_is_a_speech_failure_not_a_crash(tmp_path: Path, batch: bool) -> None:
    in_the_way = tmp_path / "speech"
    in_the_way.write_text("a file where the cache folder should be")
    with (
        Pyttsx3Synthesizer(cache_dir=in_the_way) as synthesizer,
        pytest.raises(SpeechFailed, match="cannot write to the speech cache"),
    ):
        if batch:
            list(synthesizer.synthesize_all(["Nowhere to go.", "Nor here."], VoiceSettings()))
        else:
            synthesizer.synthesize("Nowhere to go.", VoiceSettings())


def test_the_cache_key_changes_with_the_engine(
    synthesizer: Pyttsx3Synthesizer, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = VoiceSettings(voice="gmw/en", rate=150)
    before = synthesizer.cache_path(SENTENCE, settings)
    upgraded = engine.EngineIdentity("1.52", "another-installation")
    monkeypatch.setattr(engine, "_identity", upgraded)
    assert synthesizer.cache_path(SENTENCE, settings) != before


def test_a_killed_worker_is_replaced_on_the_next_sentence(
    synthesizer: Pyttsx3Synthesizer,
) -> None:
    synthesizer.synthesize("First.", VoiceSettings())
    (worker,) = synthesizer._workers.values()
    worker.process.kill()
    worker.process.wait()

    path = synthesizer.synthesize("Second, after the engine died.", VoiceSettings())
    assert peak(path) > 5000
    assert synthesizer.worker_starts == 2


def test_two_threads_can_share_one_synthesizer(synthesizer: Pyttsx3Synthesizer) -> None:
    # A session's prefetching thread and its main thread both call synthesize().
    results: dict[str, Path] = {}

    def say(prefix: str) -> None:
        for number in range(5):
            text = f"{prefix} sentence number {number}, said with care."
            results[text] = synthesizer.synthesize(text, VoiceSettings(), timeout=20)

    threads = [threading.Thread(target=say, args=(name,)) for name in ("First", "Second")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(set(results.values())) == 10
    for text, path in results.items():
        estimate = estimate_speech_ms(text, 150)
        assert abs(length_ms(path) - estimate) <= 0.25 * estimate, text


def test_close_stops_the_engine_processes(synthesizer: Pyttsx3Synthesizer) -> None:
    synthesizer.synthesize("English.", VoiceSettings())
    synthesizer.synthesize("Русский.", VoiceSettings(voice="ru"))
    processes = [worker.process for worker in synthesizer._workers.values()]
    assert len(processes) == 2

    synthesizer.close()
    assert all(process.poll() is not None for process in processes)
    assert synthesizer.synthesize("English.", VoiceSettings()).exists()  # cached: still fine
    with pytest.raises(SpeechFailed, match="closed"):
        synthesizer.synthesize("Something new.", VoiceSettings())


def test_empty_text_and_impossible_rates_are_bad_input(
    synthesizer: Pyttsx3Synthesizer,
) -> None:
    with pytest.raises(BadInput):
        synthesizer.synthesize("   ", VoiceSettings())
    with pytest.raises(BadInput, match="out of range"):
        synthesizer.synthesize("Hello.", VoiceSettings(rate=20))
    with pytest.raises(NoVoiceForLanguage):
        synthesizer.synthesize("Hello.", VoiceSettings(voice="xx"))


# --------------------------------------------------------------------------- a hanging engine

WRAPPED_WORKER = """
import importlib.util, os, sys, time
from pathlib import Path

spec = importlib.util.spec_from_file_location("real_worker", {worker!r})
worker = importlib.util.module_from_spec(spec)
spec.loader.exec_module(worker)
real_handle = worker.handle
{before}
def handle(engine, request):
    text = str(request.get("text", ""))
{handle}
    return real_handle(engine, request)

worker.handle = handle
sys.exit(worker.main())
"""


def wrapped_worker(folder: Path, handle: str, before: str = "") -> list[str]:
    """The command of the real worker with its request handler wrapped: ``handle`` runs first
    for each request (it sees ``text``), after ``before`` has run once at the start."""
    script = folder / "wrapped_worker.py"
    script.write_text(
        WRAPPED_WORKER.format(
            worker=str(_worker_client.WORKER_SCRIPT), before=before, handle=handle
        )
    )
    return [sys.executable, "-P", str(script)]


def hanging_worker(folder: Path, pids: Path) -> list[str]:
    """A worker that never answers a text with HANG in it (what a stuck engine looks like
    from outside) and writes its pid to ``pids`` when it starts."""
    return wrapped_worker(
        folder,
        handle='    if "HANG" in text:\n        time.sleep(3600)',
        before=f'Path({str(pids)!r}).open("a").write(f"{{os.getpid()}}\\n")',
    )


def test_a_hanging_engine_times_out_and_the_next_sentence_works(tmp_path: Path) -> None:
    pids = tmp_path / "pids"
    command = hanging_worker(tmp_path, pids)

    with Pyttsx3Synthesizer(cache_dir=tmp_path / "speech", worker_command=command) as hanging:
        hanging.synthesize("Warm the engine up.", VoiceSettings(), timeout=10)
        started = time.monotonic()
        with pytest.raises(SpeechTimeout):
            hanging.synthesize("This one will HANG.", VoiceSettings(), timeout=1.0)
        assert time.monotonic() - started < 1.0 + 0.5

        path = hanging.synthesize("And this one works.", VoiceSettings(), timeout=10)
        assert peak(path) > 5000
        assert hanging.worker_starts == 2

    first_pid = int(pids.read_text().split()[0])
    with pytest.raises(ProcessLookupError):
        os.kill(first_pid, 0)  # killed and reaped, not left behind


# --------------------------------------------------------------------------- missing espeak-ng

SYNTHESIZE_ONE = """
import sys
from pathlib import Path
from masseur.errors import MasseurError
from masseur.speech import Pyttsx3Synthesizer, VoiceSettings
try:
    Pyttsx3Synthesizer(cache_dir=Path(sys.argv[1])).synthesize("Hello.", VoiceSettings())
except MasseurError as error:
    print(type(error).__name__, str(error), sep="|")
    sys.exit(error.status)
print("spoke")
"""


def run_python(
    code: str, *args: str, env: dict[str, str], prefix: list[str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*(prefix or []), sys.executable, "-c", code, *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_a_broken_espeak_library_is_reported_with_the_package_to_install(
    tmp_path: Path,
) -> None:
    # The dynamic loader looks in LD_LIBRARY_PATH first: put a damaged libespeak-ng there.
    broken = tmp_path / "lib"
    broken.mkdir()
    (broken / "libespeak-ng.so.1").write_bytes(b"not a library")
    env = {**os.environ, "LD_LIBRARY_PATH": str(broken), "MASSEUR_CACHE_DIR": str(tmp_path)}

    result = run_python(SYNTHESIZE_ONE, str(tmp_path / "speech"), env=env)

    assert result.returncode == 1, result
    kind, message = result.stdout.strip().split("|")
    assert kind == "SpeechUnavailable"
    assert "sudo apt-get install espeak-ng" in message
    assert "\n" not in message


def test_missing_espeak_data_kills_only_the_worker(tmp_path: Path) -> None:
    # Hide espeak-ng's data in a private mount namespace: the library loads, but espeak-ng
    # calls exit() when it starts. That must end the worker, not the session.
    if shutil.which("unshare") is None or os.geteuid() != 0:
        pytest.skip("needs root and unshare to hide espeak-ng-data in a mount namespace")
    data = Path("/usr/lib/x86_64-linux-gnu/espeak-ng-data")
    if not data.is_dir():
        pytest.skip(f"espeak-ng data is not at {data}")
    hide = f'mount -t tmpfs none {data} && exec "$@"'
    prefix = ["unshare", "--mount", "sh", "-c", hide, "sh"]
    env = {**os.environ, "MASSEUR_CACHE_DIR": str(tmp_path)}

    result = run_python(SYNTHESIZE_ONE, str(tmp_path / "speech"), env=env, prefix=prefix)

    if "Operation not permitted" in result.stderr or "cannot" in result.stderr:
        pytest.skip(f"mount namespaces are not allowed here: {result.stderr.strip()}")
    assert result.returncode == 1, result
    kind, message = result.stdout.strip().split("|")
    assert kind == "SpeechUnavailable"
    assert "phontab" in message  # espeak-ng's own last words, from the worker's stderr
    assert "sudo apt-get install espeak-ng" in message


def test_missing_pyttsx3_is_reported_with_the_package_to_install(tmp_path: Path) -> None:
    # -S leaves site-packages (and so pyttsx3) off the path; masseur comes from the source.
    env = {**os.environ, "PYTHONPATH": str(SRC), "MASSEUR_CACHE_DIR": str(tmp_path)}
    result = subprocess.run(
        [sys.executable, "-S", "-c", SYNTHESIZE_ONE, str(tmp_path / "speech")],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1, result
    kind, message = result.stdout.strip().split("|")
    assert kind == "SpeechUnavailable"
    assert "pip install pyttsx3" in message


# --------------------------------------------------------------------------- voices


def test_list_voices_gives_many_voices_with_russian_and_one_default() -> None:
    voices = list_voices()

    assert len(voices) > 50
    assert all(isinstance(voice, VoiceInfo) and voice.languages for voice in voices)
    assert sum(voice.is_default for voice in voices) == 1
    assert any("ru" in voice.languages for voice in voices)
    english = next(voice for voice in voices if voice.id == "gmw/en")
    assert english.languages[:2] == ("en-gb", "en")  # all languages, not only the first


def _no_worker(*args: object, **kwargs: object) -> object:
    raise AssertionError("a worker was asked for the voice list")


def test_list_voices_asks_no_engine_once_listed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(voices, "_catalog", None)  # as in a new process
    listed = list_voices()  # asks a worker, keeps the answer in the (test's own) cache folder
    monkeypatch.setattr(voices, "_catalog", None)  # a new process again
    monkeypatch.setattr(voices, "ask_new_worker", _no_worker)
    assert list_voices() == listed


@pytest.mark.parametrize("damage", ["empty", "cut short", "zeros"])
def test_a_damaged_voice_list_is_asked_for_again_and_rewritten(
    monkeypatch: pytest.MonkeyPatch, damage: str
) -> None:
    # The list is written without a sync to disk: a crash may leave it any of these ways.
    monkeypatch.setattr(voices, "_catalog", None)
    listed = list_voices()
    cached = voices._voices_cache_file(engine.engine_identity().fingerprint)
    whole = cached.read_bytes()
    cached.write_bytes(
        {"empty": b"", "cut short": whole[: len(whole) // 2], "zeros": bytes(len(whole))}[damage]
    )
    monkeypatch.setattr(voices, "_catalog", None)
    assert list_voices() == listed
    assert cached.read_bytes() == whole


@pytest.mark.parametrize(
    ("wanted", "language", "expected"),
    [
        (None, "ru", "zle/ru"),
        ("", "ru", "zle/ru"),
        (None, "en", "gmw/en"),  # the default voice speaks "en" (after en-gb)
        ("en-us", "ru", "gmw/en-us"),  # an explicit choice beats the routine's language
        ("EN_us", None, "gmw/en-us"),
        ("gmw/en-gb-scotland", "fr", "gmw/en-gb-scotland"),  # an exact voice id
        ("zle/ru", None, "zle/ru"),
        (None, None, None),  # nothing asked for: the engine's default
    ],
)
def test_resolve_voice(wanted: str | None, language: str | None, expected: str | None) -> None:
    assert resolve_voice(wanted, language) == expected


def test_resolve_voice_falls_back_to_a_regional_variety() -> None:
    chosen = resolve_voice(None, "pt")
    assert chosen is not None
    voice = next(voice for voice in list_voices() if voice.id == chosen)
    assert any(language.startswith("pt") for language in voice.languages)


def test_resolve_voice_rejects_a_language_nobody_speaks() -> None:
    with pytest.raises(NoVoiceForLanguage, match="no installed voice speaks 'xx'") as raised:
        resolve_voice(None, "xx")
    assert raised.value.status == 2
    assert "masseur voices" in str(raised.value)


# --------------------------------------------------------------------------- estimate


def test_estimate_grows_with_text_and_shrinks_with_rate() -> None:
    short, long = "Relax.", SENTENCE
    assert estimate_speech_ms(short, 150) < estimate_speech_ms(long, 150)
    assert estimate_speech_ms(long, 200) < estimate_speech_ms(long, 150)
    assert estimate_speech_ms("", 150) == 0
    # Numbers are said as words.
    assert estimate_speech_ms("Rest for 20 seconds.", 150) == pytest.approx(
        estimate_speech_ms("Rest for twenty seconds.", 150), rel=0.01
    )


# --------------------------------------------------------------------------- fake synthesizer


def test_fake_synthesizer_writes_a_quiet_tone_of_the_estimated_length(tmp_path: Path) -> None:
    fake = FakeSynthesizer(tmp_path)
    settings = VoiceSettings(rate=180)

    path = fake.synthesize(SENTENCE, settings)

    assert wav_frames(path) == round(estimate_speech_ms(SENTENCE, 180) * 22050 / 1000)
    assert 0 < peak(path) <= FakeSynthesizer.AMPLITUDE
    assert fake.calls == [(SENTENCE, settings)]


def test_fake_synthesizer_can_be_too_slow(tmp_path: Path) -> None:
    fake = FakeSynthesizer(tmp_path, delay_s=0.3)
    started = time.monotonic()
    with pytest.raises(SpeechTimeout):
        fake.synthesize("Late.", VoiceSettings(), timeout=0.05)
    assert time.monotonic() - started < 0.25


# --------------------------------------------------------------------------- prefetcher

ITEMS = [(f"Step {number}.", VoiceSettings()) for number in range(1, 6)]


def test_prefetcher_makes_the_sentences_in_order_ahead_of_need(tmp_path: Path) -> None:
    fake = FakeSynthesizer(tmp_path, delay_s=0.02)
    with Prefetcher(fake, ITEMS) as prefetcher:
        paths = [prefetcher.get(text, settings, timeout=2.0) for text, settings in ITEMS]

    assert all(path is not None and wav_frames(path) for path in paths)
    assert paths == [fake.synthesize(text, settings) for text, settings in ITEMS]
    assert fake.calls[: len(ITEMS)] == ITEMS


def test_prefetcher_gives_none_when_a_sentence_is_not_ready_in_time(tmp_path: Path) -> None:
    fake = FakeSynthesizer(tmp_path, delay_s=0.4)
    with Prefetcher(fake, ITEMS) as prefetcher:
        started = time.monotonic()
        assert prefetcher.get(*ITEMS[0], timeout=0.05) is None
        assert time.monotonic() - started < 0.2
        assert prefetcher.get(*ITEMS[0], timeout=2.0) is not None  # it did come, later


def test_prefetcher_moves_a_sentence_asked_for_early_to_the_front(tmp_path: Path) -> None:
    fake = FakeSynthesizer(tmp_path, delay_s=0.1)
    with Prefetcher(fake, ITEMS) as prefetcher:
        last = ITEMS[-1]
        assert prefetcher.get(*last, timeout=1.0) is not None
        assert fake.calls.index(last) <= 1  # at most the sentence already in hand came first
        extra = ("Not in the plan.", VoiceSettings())
        assert prefetcher.get(*extra, timeout=1.0) is not None


class FailingSynthesizer:
    """Speech that cannot work: every call raises the given error."""

    def __init__(self, error: Exception) -> None:
        self.error = error
        self.calls = 0

    def synthesize(self, text: str, settings: VoiceSettings, timeout: float | None = None) -> Path:
        self.calls += 1
        raise self.error

    def close(self) -> None:
        pass


def test_prefetcher_stops_at_once_when_speech_is_unavailable() -> None:
    failing = FailingSynthesizer(SpeechUnavailable("no espeak-ng"))
    with Prefetcher(failing, ITEMS) as prefetcher:
        assert prefetcher.get(*ITEMS[0], timeout=2.0) is None
        started = time.monotonic()
        assert prefetcher.get(*ITEMS[3], timeout=2.0) is None
        assert time.monotonic() - started < 0.1
        assert isinstance(prefetcher.unavailable, SpeechUnavailable)
    assert failing.calls == 1


def test_prefetcher_skips_a_failed_sentence_and_goes_on() -> None:
    failing = FailingSynthesizer(SpeechFailed("engine error"))
    with Prefetcher(failing, ITEMS[:2]) as prefetcher:
        assert prefetcher.get(*ITEMS[0], timeout=2.0) is None
        assert prefetcher.get(*ITEMS[1], timeout=2.0) is None
    assert failing.calls == 2
    assert [text for text, _ in prefetcher.errors] == [ITEMS[0][0], ITEMS[1][0]]


def test_prefetcher_with_the_real_engine(synthesizer: Pyttsx3Synthesizer) -> None:
    texts = ["Sit down comfortably.", "Take off your socks.", "Теперь начнём."]
    items = [(text, VoiceSettings(voice="ru" if text[0] == "Т" else None)) for text in texts]
    with Prefetcher(synthesizer, items) as prefetcher:
        paths = [prefetcher.get(text, settings, timeout=10.0) for text, settings in items]
    assert all(path is not None and peak(path) > 5000 for path in paths)


def test_a_cold_start_lists_voices_and_speaks_on_one_engine(tmp_path: Path) -> None:
    # What `run` does with an empty cache: start the engine early, pick the voice for the
    # routine's language, then synthesize. The voice list comes from the same engine.
    with Pyttsx3Synthesizer(cache_dir=tmp_path / "speech") as synthesizer:
        synthesizer.prepare(None)
        voice = synthesizer.voice_id("en")
        path = synthesizer.synthesize(SENTENCE, VoiceSettings(voice))
        assert peak(path) > 5000
        assert synthesizer.worker_starts == 1


def test_a_started_engine_tells_the_identity_that_loading_espeak_finds(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The cache's keys depend on it: both ways must give the very same fingerprint.
    monkeypatch.setattr(engine, "_identity", None)
    loaded = engine.engine_identity()
    worker = _worker_client.Worker(_worker_client.default_worker_command())
    try:
        deadline = time.monotonic() + 30
        while not worker.ready_now():
            assert time.monotonic() < deadline
            time.sleep(0.01)
        assert worker.hello is not None
        monkeypatch.setattr(engine, "_identity", None)
        engine.adopt_engine_identity(worker.hello)
        assert engine.known_engine_identity() == loaded
        # A message without the data folder (a Piper engine) tells nothing.
        monkeypatch.setattr(engine, "_identity", None)
        engine.adopt_engine_identity({**worker.hello, "data": None})
        assert engine.known_engine_identity() is None
    finally:
        worker.close()


def test_choosing_a_voice_takes_the_identity_from_the_started_engine(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(engine, "_identity", None)
    monkeypatch.setattr(voices, "_catalog", None)

    def not_here() -> object:
        raise AssertionError("espeak-ng's library was loaded into masseur's own process")

    with Pyttsx3Synthesizer(cache_dir=tmp_path / "speech") as synthesizer:
        synthesizer.prepare(None)
        deadline = time.monotonic() + 30
        while not (synthesizer._spare and synthesizer._spare.ready_now()):
            assert time.monotonic() < deadline
            time.sleep(0.01)
        monkeypatch.setattr(engine, "_load_espeak_library", not_here)
        voice = synthesizer.voice_id("en")
        assert peak(synthesizer.synthesize(SENTENCE, VoiceSettings(voice))) > 5000
        assert synthesizer.worker_starts == 1


def test_a_request_sent_ahead_is_answered_once_and_never_mixed_with_others() -> None:
    worker = _worker_client.Worker(_worker_client.default_worker_command())
    try:
        deadline = time.monotonic() + 30
        worker.ask_ahead({"op": "voices"}, deadline)  # before the engine is ready
        listed = worker.request({"op": "voices"}, deadline)
        assert listed["ok"] and listed["voices"]
        synth = {"op": "synth", "text": SENTENCE, "voice": listed["default"], "rate": 160}
        said = worker.request({**synth, "limit": 30}, deadline)
        assert said["ok"] and len(said["pcm"]) > 10_000
        worker.ask_ahead({"op": "voices"}, deadline)  # not asked for after all: skipped
        again = worker.request({**synth, "limit": 30}, deadline)
        # The sentence's own reply (the engine's state makes it differ by a few samples).
        assert again["ok"] and "voices" not in again
        assert len(again["pcm"]) == pytest.approx(len(said["pcm"]), rel=0.1)
    finally:
        worker.close()


def test_the_engine_starts_from_bytecode_cached_beside_its_file(tmp_path: Path) -> None:
    """Python compiles a script afresh at every start; the worker's file is loaded as a
    module instead, so its compiled form is cached beside it for the next start."""
    worker_file = tmp_path / "_speech_worker.py"
    shutil.copy(_worker_client.WORKER_SCRIPT, worker_file)
    command = _worker_client.default_worker_command()
    assert command[-1] == str(_worker_client.WORKER_SCRIPT)
    env = {name: value for name, value in os.environ.items() if name != "PYTHONDONTWRITEBYTECODE"}
    done = subprocess.run(
        [*command[:-1], str(worker_file)],
        input=b'{"op": "voices"}\n',
        capture_output=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert list((tmp_path / "__pycache__").glob("_speech_worker.*.pyc"))


@pytest.mark.parametrize("which", ["first", "twin"])
def test_an_engine_whose_sentence_outlasts_its_limit_ends_itself(which: str) -> None:
    """The engine's watchdog: a process whose work outlasts the limit it was given ends, so
    that it cannot linger after masseur has given up on it (a forked twin too, whose timer
    is its own). A limit that is met leaves the engine working."""
    first = _worker_client.Worker(_worker_client.default_worker_command(), twin=True)
    try:
        deadline = time.monotonic() + 30
        first.wait_ready(deadline)
        assert first.twin is not None
        worker = first if which == "first" else first.twin
        synth = {"op": "synth", "text": SENTENCE, "voice": None, "rate": 160}
        assert worker.request({**synth, "limit": 30}, deadline)["ok"]
        assert worker.request({**synth, "limit": 30}, deadline)["ok"]  # not ended by the first
        worker.send({**synth, "text": SENTENCE * 20, "limit": 0.01}, deadline)
        with pytest.raises(SpeechFailed, match="stopped"):
            worker.receive(deadline)
        assert not worker.alive()
        if which == "first":
            assert first.process.returncode == -signal.SIGALRM
        else:
            assert first.request({**synth, "limit": 30}, deadline)["ok"]  # the other goes on
    finally:
        first.close()


def test_a_first_run_has_the_engine_list_its_voices_as_soon_as_it_is_up(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No voice list cached: prepare asks for it at once, so it is there, unasked, by the
    time the voice is chosen; once listed, an engine is asked for nothing ahead."""
    import select

    monkeypatch.setenv("MASSEUR_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(voices, "_catalog", None)  # as in a new process
    for first_run in (True, False):
        with Pyttsx3Synthesizer(cache_dir=tmp_path / "speech") as synthesizer:
            synthesizer.prepare(None)
            spare = synthesizer._spare
            assert spare is not None
            spare.wait_ready(time.monotonic() + 30)
            waiting, _, _ = select.select([spare.fileno()], [], [], 5 if first_run else 1)
            assert bool(waiting) is first_run
            assert synthesizer.voice_id("en") == resolve_voice("en", None)
            assert synthesizer.worker_starts == 1
        monkeypatch.setattr(voices, "_catalog", None)  # the list is read from the cache now


def test_the_same_sentence_gives_the_same_bytes_from_fresh_engines(tmp_path: Path) -> None:
    made = set()
    for attempt in range(3):
        with Pyttsx3Synthesizer(cache_dir=tmp_path / f"speech-{attempt}") as synthesizer:
            synthesizer.synthesize("Warm up first.", VoiceSettings(rate=170))
            made.add(synthesizer.synthesize(SENTENCE, VoiceSettings(rate=130)).read_bytes())
    assert len(made) == 1


# --------------------------------------------------------------------------- a batch (exports)

BATCH = [
    "Sit comfortably.",
    "Hold your right foot in both hands and rub the sole slowly, from the heel to the toes.",
    "Breathe out.",
    "Now circle each toe, gently, three times one way and three times the other way.",
    "Rest.",
]


def test_a_batch_is_shared_between_two_engines_and_repeats_to_the_byte(tmp_path: Path) -> None:
    settings = VoiceSettings(rate=160)
    made = []
    for attempt in range(2):
        with Pyttsx3Synthesizer(cache_dir=tmp_path / f"batch-{attempt}") as synthesizer:
            paths = list(synthesizer.synthesize_all(BATCH, settings))
            assert synthesizer.worker_starts == 2 and synthesizer.synthesized == len(BATCH)
            made.append([path.read_bytes() for path in paths])
    assert made[0] == made[1]
    # Each engine's first sentence is what a fresh engine makes of it, said alone.
    for number in (0, 1):
        with Pyttsx3Synthesizer(cache_dir=tmp_path / f"alone-{number}") as alone:
            assert alone.synthesize(BATCH[number], settings).read_bytes() == made[0][number]
    # And every file is its own sentence: longer texts, longer speech.
    lengths = [len(data) for data in made[0]]
    assert lengths[1] > lengths[0] and lengths[3] > lengths[2] and lengths[3] > lengths[4]


def test_an_export_gets_its_second_engine_by_a_fork_that_makes_the_same_bytes(
    tmp_path: Path,
) -> None:
    """prepare(batch=True): the first engine forks its twin once ready; the batch uses both,
    with one process start, and the bytes are those of two freshly started engines."""
    settings = VoiceSettings(rate=160)
    with Pyttsx3Synthesizer(cache_dir=tmp_path / "spawned") as spawned:
        expected = [path.read_bytes() for path in spawned.synthesize_all(BATCH, settings)]
        assert spawned.worker_starts == 2
    synthesizer = Pyttsx3Synthesizer(cache_dir=tmp_path / "forked")
    with synthesizer:
        synthesizer.prepare(batch=True)
        made = [path.read_bytes() for path in synthesizer.synthesize_all(BATCH, settings)]
        assert synthesizer.worker_starts == 1 and synthesizer.synthesized == len(BATCH)
        (worker,) = synthesizer._workers.values()
        ((_, twin),) = synthesizer._helpers.values()
        pids = [worker.process.pid, twin.process.pid]
        assert pids[1] != pids[0] and twin.parent is worker
        for pid in pids:
            os.kill(pid, 0)  # both alive, each an engine of its own
    assert made == expected
    for pid in pids:  # and both gone with the synthesizer
        assert wait_for(lambda pid=pid: not process_exists(pid), 5), pid


def test_an_engine_that_cannot_fork_its_twin_gets_a_second_engine_started(
    tmp_path: Path,
) -> None:
    command = wrapped_worker(
        tmp_path,
        handle="    pass",
        before="def no_fork():\n    raise OSError(11, 'Resource temporarily unavailable')\n"
        "os.fork = no_fork",
    )
    settings = VoiceSettings(rate=160)
    with Pyttsx3Synthesizer(cache_dir=tmp_path / "speech", worker_command=command) as engines:
        engines.prepare(batch=True)
        made = list(engines.synthesize_all(BATCH, settings))
        assert engines.worker_starts == 2 and engines.synthesized == len(BATCH)
    assert all(peak(path) > 5000 for path in made)


def test_a_twin_that_is_never_used_ends_with_its_engine(tmp_path: Path) -> None:
    synthesizer = Pyttsx3Synthesizer(cache_dir=tmp_path / "speech")
    synthesizer.prepare(batch=True)
    assert synthesizer._spare is not None and synthesizer._spare.twin is not None
    twin = synthesizer._spare.twin
    twin.wait_ready(time.monotonic() + 10)
    twin_pid = twin.process.pid
    assert twin_pid is not None and process_exists(twin_pid)
    synthesizer.close()
    assert wait_for(lambda: not process_exists(twin_pid), 5)


def test_a_batch_is_shared_so_that_both_engines_have_as_much_to_say() -> None:
    long = "Hold your right foot in both hands and rub the sole slowly, " * 6
    texts = [long, "Rest.", "Breathe out.", "Now circle each toe, gently.", "Rest now.", long]
    owners = engine_shares(texts, 150, 2)
    # The long first text on one engine; the other takes the next ones meanwhile.
    assert owners[:5] == [0, 1, 1, 1, 1]
    assert owners == engine_shares(texts, 150, 2)  # a fixed function of the texts
    loads = [0.0, 0.0]
    for text, owner in zip(texts, owners, strict=True):
        loads[owner] += estimate_speech_ms(text, 150)
    assert max(loads) / sum(loads) < 0.6
    assert engine_shares(texts, 150, 1) == [0] * len(texts)


def test_a_batch_takes_what_is_cached_and_makes_only_the_rest(tmp_path: Path) -> None:
    settings = VoiceSettings(rate=160)
    with Pyttsx3Synthesizer(cache_dir=tmp_path / "speech") as synthesizer:
        cached = synthesizer.synthesize(BATCH[2], settings)
        paths = list(synthesizer.synthesize_all([*BATCH, BATCH[0]], settings))
        assert paths[2] == cached and paths[5] == paths[0]
        assert synthesizer.synthesized == len(BATCH)  # 1 before, 4 in the batch
        assert [synthesizer.synthesize(text, settings) for text in BATCH] == paths[:5]


def test_a_batch_that_fails_or_is_left_early_leaves_no_reply_for_the_next_request(
    tmp_path: Path,
) -> None:
    """A sentence still on its way when a batch ends must not be taken for a later one."""
    command = wrapped_worker(
        tmp_path,
        handle='    if "FAIL" in text:\n        raise RuntimeError("this sentence cannot be said")',
    )
    settings = VoiceSettings(rate=160)
    later = ["Rest now.", "Then press the heel with both thumbs, and hold it for a slow breath."]
    with Pyttsx3Synthesizer(cache_dir=tmp_path / "fresh") as fresh:
        expected = [length_ms(fresh.synthesize(text, settings)) for text in later]

    def made_next(synthesizer: Pyttsx3Synthesizer, folder: str) -> list[float]:
        synthesizer.cache_dir = tmp_path / folder
        return [length_ms(path) for path in synthesizer.synthesize_all(later, settings)]

    with Pyttsx3Synthesizer(cache_dir=tmp_path / "speech", worker_command=command) as engines:
        # Engine 1 fails on its second sentence while engine 2 has one in the making.
        batch = engines.synthesize_all([*BATCH[:2], "This will FAIL.", *BATCH[2:]], settings)
        assert next(batch).exists() and next(batch).exists()
        with pytest.raises(SpeechFailed, match="cannot be said"):
            next(batch)
        # The entries the engines were asked to fill and never completed are gone.
        assert leftovers(tmp_path / "speech") == []
        assert made_next(engines, "after-failure") == pytest.approx(expected, abs=100)

        engines.cache_dir = tmp_path / "left-early"
        batch = engines.synthesize_all(BATCH, settings)
        next(batch)
        batch.close()  # both engines with a sentence asked for and not taken
        assert leftovers(tmp_path / "left-early") == []
        assert made_next(engines, "after-leaving") == pytest.approx(expected, abs=100)


def leftovers(folder: Path) -> list[str]:
    """Half-made cache entries in ``folder``."""
    return sorted(path.name for path in folder.glob(".*.part"))


def test_a_batch_has_its_engines_write_the_samples_into_the_entries_it_completes(
    tmp_path: Path,
) -> None:
    """The samples of a batch reach the cache through the entry files, not the reply pipe:
    an engine that would put them in its reply fails the batch; the entries are whole."""
    command = wrapped_worker(
        tmp_path, handle='    request.pop("into", None)  # the samples would come in the reply'
    )
    settings = VoiceSettings(rate=160)
    with Pyttsx3Synthesizer(cache_dir=tmp_path / "piped", worker_command=command) as piped:
        with pytest.raises(SpeechFailed):
            list(piped.synthesize_all(BATCH, settings))
        assert leftovers(tmp_path / "piped") == []
    made: dict[Path, bytes] = {}
    with Pyttsx3Synthesizer(cache_dir=tmp_path / "speech") as batch:
        paths = list(batch.synthesize_all(BATCH, settings, made))
    assert all(is_intact(path) for path in paths) and leftovers(tmp_path / "speech") == []
    # What the batch hands on is what the entries hold: the samples read back.
    assert sorted(made) == sorted(paths)
    for path in paths:
        with wave.open(str(path), "rb") as entry:
            assert entry.readframes(entry.getnframes()) == made[path]


def test_closing_during_a_stuck_batch_stops_both_of_its_engines(tmp_path: Path) -> None:
    pids = tmp_path / "pids"
    command = hanging_worker(tmp_path, pids)
    synthesizer = Pyttsx3Synthesizer(cache_dir=tmp_path / "speech", worker_command=command)
    failed: list[BaseException] = []

    def batch() -> None:
        try:  # the second text goes to the second engine, which never answers
            list(synthesizer.synthesize_all(["Sit down.", "HANG here.", "Rest."], VoiceSettings()))
        except BaseException as error:
            failed.append(error)

    thread = threading.Thread(target=batch)
    thread.start()
    deadline = time.monotonic() + 10
    while len(pids.read_text().split() if pids.exists() else []) < 2:
        assert time.monotonic() < deadline, "the batch did not start both engines"
        time.sleep(0.05)
    time.sleep(0.3)  # the first sentence is made; the batch waits on the second engine
    synthesizer.close()  # the batch holds the engines: close waits a second, then kills
    thread.join(timeout=10)
    assert not thread.is_alive() and failed and isinstance(failed[0], SpeechFailed)
    for pid in map(int, pids.read_text().split()):
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)


def test_an_export_starts_its_engine_and_twin_before_reading_its_settings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from masseur.commands import common

    monkeypatch.setenv("MASSEUR_CACHE_DIR", str(tmp_path / "cache"))
    assert common.start_early({"voice": "piper:en_US-joe-medium"}, batch=True) is None
    with common.start_speech_engine({}, batch=True) as synthesizer:
        spare = synthesizer._spare
        assert spare is not None and spare.twin is not None and synthesizer.worker_starts == 1
        paths = list(synthesizer.synthesize_all(BATCH, VoiceSettings(rate=160)))
        assert synthesizer.worker_starts == 1 and len(synthesizer._helpers) == 1
    assert all(peak(path) > 5000 for path in paths)
    with common.start_speech_engine({}) as synthesizer:  # a live session: no twin
        assert synthesizer._spare is not None and synthesizer._spare.twin is None
