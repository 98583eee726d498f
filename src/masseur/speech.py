"""Text to WAV files with pyttsx3 and espeak-ng, cached, and never able to stall a session.

pyttsx3 runs in a child process (``_speech_worker.py``), one per voice, that this module can
kill and restart: espeak-ng calls ``exit()`` when its data files are missing, pyttsx3 prints
``Audio saved to ...`` on stdout and ``runAndWait`` has been reported to hang. None of that
reaches the caller, who only ever sees a WAV path, :class:`SpeechTimeout`,
:class:`SpeechFailed` or :class:`SpeechUnavailable`.

Measured on the development machine (Debian 12, espeak-ng 1.51, pyttsx3 2.99): see
``benchmarks/bench_speech.py`` for the numbers and how they were taken.

Why one worker per voice: after switching an engine from ``zle/ru`` to ``gmw/en`` the next
English sentence came out 8 % longer, and every later one still 2 % longer than on a fresh
engine, so a cached file would have depended on what was said before it. Rate changes did
not leave such traces once each one is confirmed (see the worker).
"""

from __future__ import annotations

import collections
import contextlib
import ctypes
import hashlib
import json
import math
import os
import re
import select
import subprocess
import sys
import tempfile
import threading
import time
import wave
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Protocol

from masseur.errors import BadInput, MasseurError
from masseur.phrases import EN_ONES, EN_TENS

SAMPLE_RATE = 22050  # what pyttsx3's espeak driver writes: mono, 16-bit
MIN_RATE = 80  # espeak-ng's slowest speed; it silently clamps anything below
MAX_RATE = 450  # above this espeak switches to a different (sonic) speed-up

INSTALL_ESPEAK = "install it with `sudo apt-get install espeak-ng`"
INSTALL_PYTTSX3 = "install it with `pip install pyttsx3`"

# Bump when the way files are made changes, so old cache entries are not served.
CACHE_FORMAT = 1
# pyttsx3's own list of places to find the library (drivers/_espeak.py), Linux first.
_LIBRARY_NAMES = (
    "libespeak-ng.so.1",
    "/usr/local/lib/libespeak-ng.so.1",
    "libespeak.so.1",
    "/opt/homebrew/lib/libespeak-ng.1.dylib",
    "/usr/local/lib/libespeak-ng.1.dylib",
)
WORKER_SCRIPT = Path(__file__).with_name("_speech_worker.py")
WORKER_START_TIMEOUT_S = 10.0
MAX_WORKERS = 2  # one per voice; a session normally uses one
LEFTOVER_AGE_S = 3600.0  # a .part file this old belongs to no running synthesis


class SpeechUnavailable(MasseurError):
    """espeak-ng or pyttsx3 is missing or broken; the message says what to install."""


class NoVoiceForLanguage(BadInput):
    """No installed espeak-ng voice speaks the language (or has the id) asked for."""

    def __init__(self, language: str) -> None:
        super().__init__(f"no installed voice speaks {language!r}; see `masseur voices`")
        self.language = language


class SpeechTimeout(MasseurError):
    """Synthesis did not finish in time; the engine was stopped and will be restarted."""


class SpeechFailed(MasseurError):
    """The speech engine stopped or answered with an error for this sentence."""


@dataclass(frozen=True)
class VoiceSettings:
    voice: str | None = None  # a voice id (``gmw/en``), a language code (``ru``), None = default
    rate: int = 150  # words per minute, as espeak-ng counts them


@dataclass(frozen=True)
class VoiceInfo:
    id: str
    name: str
    languages: tuple[str, ...]
    is_default: bool


class Synthesizer(Protocol):
    def synthesize(self, text: str, settings: VoiceSettings, timeout: float | None = None) -> Path:
        """A WAV file of ``text`` spoken; SpeechTimeout if it takes longer than ``timeout``."""
        ...

    def close(self) -> None: ...


# --------------------------------------------------------------------------- the engine's identity


@dataclass(frozen=True)
class _EngineIdentity:
    espeak_version: str
    fingerprint: str  # changes when espeak-ng, its data or pyttsx3 is upgraded


_identity: _EngineIdentity | None = None
_identity_lock = threading.Lock()


def _load_espeak_library() -> Any:
    errors = []
    for name in _LIBRARY_NAMES:
        try:
            return ctypes.CDLL(name)
        except OSError as error:
            errors.append(str(error))
    detail = errors[0] if errors else "libespeak-ng.so.1 not found"
    raise SpeechUnavailable(
        f"speech needs espeak-ng, which is missing or broken ({detail}); {INSTALL_ESPEAK}"
    )


def _stat_marks(paths: Sequence[Path]) -> list[str]:
    marks = []
    for path in paths:
        try:
            status = path.stat()
        except OSError:
            marks.append(f"{path.name}:missing")
        else:
            marks.append(f"{path.name}:{status.st_size}:{status.st_mtime_ns}")
    return marks


def _data_marks(data_dir: Path) -> list[str]:
    # Voices live in lang/<family>/ and voices/<kind>/; adding one (an mbrola package, say)
    # changes its folder's mtime. phondata changes with every espeak-ng data upgrade.
    folders = [data_dir / "phondata", data_dir / "lang", data_dir / "voices"]
    for top in ("lang", "voices"):
        with contextlib.suppress(OSError), os.scandir(data_dir / top) as entries:
            folders.extend(Path(entry.path) for entry in entries if entry.is_dir())
    return _stat_marks(sorted(folders))


def engine_identity() -> _EngineIdentity:
    """Which espeak-ng and pyttsx3 we would use, without starting either (a few ms).

    Raises SpeechUnavailable when either is missing. Loading the library only maps it; the
    engine itself (which can exit the process when its data is missing) is never started here.
    """
    global _identity
    with _identity_lock:
        if _identity is not None:
            return _identity
        import importlib.util

        spec = importlib.util.find_spec("pyttsx3")
        if spec is None or spec.origin is None:
            raise SpeechUnavailable(
                "speech needs the Python package pyttsx3, which is not installed; "
                + INSTALL_PYTTSX3
            )
        library = _load_espeak_library()
        try:
            library.espeak_ng_InitializePath(None)  # only works out where the data is
            data_path = ctypes.c_char_p()
            library.espeak_Info.restype = ctypes.c_char_p
            version_bytes = library.espeak_Info(ctypes.byref(data_path)) or b"unknown"
            version = version_bytes.decode("utf-8", errors="replace")
            data_dir = Path((data_path.value or b"").decode("utf-8", errors="replace"))
        except AttributeError as error:  # an espeak (not -ng) library without these functions
            raise SpeechUnavailable(
                f"speech needs espeak-ng, but the library found is too old ({error}); "
                f"{INSTALL_ESPEAK}"
            ) from None
        package = Path(spec.origin).parent
        marks = [
            f"espeak-ng {version}",
            *_data_marks(data_dir),
            *_stat_marks([package / "drivers" / "espeak.py", package / "drivers" / "_espeak.py"]),
        ]
        digest = hashlib.sha256("\n".join(marks).encode()).hexdigest()[:16]
        _identity = _EngineIdentity(version, digest)
        return _identity


# --------------------------------------------------------------------------- the worker process


def default_worker_command() -> list[str]:
    # -P: do not put src/masseur on sys.path (its module names could shadow others);
    # the worker imports nothing from masseur.
    return [sys.executable, "-P", str(WORKER_SCRIPT)]


class _Expired(Exception):
    """The deadline passed while waiting for the worker."""


class _Worker:
    """One running ``_speech_worker.py``: JSON lines in, JSON lines out, killable."""

    def __init__(self, command: Sequence[str], deadline: float) -> None:
        self.stderr_tail: collections.deque[str] = collections.deque(maxlen=20)
        self._buffer = b""
        try:
            self.process = subprocess.Popen(
                list(command),
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                close_fds=True,
                # Its own session: Ctrl-C in the terminal is for the session, not for the
                # engine, which we stop ourselves.
                start_new_session=True,
            )
        except OSError as error:
            raise SpeechUnavailable(f"cannot start the speech engine ({error})") from None
        assert self.process.stdin and self.process.stdout and self.process.stderr
        self._stdin_fd = self.process.stdin.fileno()
        self._stdout_fd = self.process.stdout.fileno()
        os.set_blocking(self._stdin_fd, False)
        threading.Thread(
            target=self._drain_stderr, args=(self.process.stderr,), daemon=True
        ).start()
        self.exit_detail = ""
        try:
            hello = self.receive(deadline)
        except _Expired:
            self.kill()
            raise
        except SpeechFailed as error:
            # espeak-ng exits the process when its data is missing or damaged.
            detail = self.exit_detail or error.message
            raise SpeechUnavailable(
                f"speech needs espeak-ng, which is missing or broken (the engine {detail}); "
                f"{INSTALL_ESPEAK}"
            ) from None
        if hello.get("event") == "unavailable":
            self.kill()
            detail = _one_line(str(hello.get("error", "")))
            if hello.get("missing") == "pyttsx3":
                raise SpeechUnavailable(f"speech needs pyttsx3 ({detail}); {INSTALL_PYTTSX3}")
            raise SpeechUnavailable(
                f"speech needs espeak-ng, which is missing or broken ({detail}); {INSTALL_ESPEAK}"
            )
        if hello.get("event") != "ready":
            self.kill()
            raise SpeechFailed(f"the speech engine said something unexpected: {hello!r:.200}")
        self.hello = hello

    def _drain_stderr(self, stream: IO[bytes]) -> None:
        # Keep the last lines for error messages; never let a full pipe block the worker.
        with contextlib.suppress(OSError, ValueError):
            for line in stream:
                self.stderr_tail.append(line.decode("utf-8", errors="replace").rstrip())

    def _died(self) -> SpeechFailed:
        try:
            status = self.process.wait(timeout=2.0)
        except subprocess.TimeoutExpired:
            self.kill()
            status = self.process.returncode
        time.sleep(0.01)  # let the stderr reader catch the last line
        last = next((line for line in reversed(self.stderr_tail) if line.strip()), "")
        self.exit_detail = f"exited with status {status}" + (f": {_one_line(last)}" if last else "")
        return SpeechFailed(f"the speech engine stopped: it {self.exit_detail}")

    def send(self, message: dict[str, Any], deadline: float) -> None:
        data = (json.dumps(message, ensure_ascii=False) + "\n").encode("utf-8")
        while data:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise _Expired
            _, writable, _ = select.select([], [self._stdin_fd], [], remaining)
            if not writable:
                continue
            try:
                written = os.write(self._stdin_fd, data)
            except BlockingIOError:
                continue
            except OSError:  # a broken pipe: the worker is gone
                raise self._died() from None
            data = data[written:]

    def receive(self, deadline: float) -> dict[str, Any]:
        while b"\n" not in self._buffer:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise _Expired
            readable, _, _ = select.select([self._stdout_fd], [], [], remaining)
            if not readable:
                continue
            chunk = os.read(self._stdout_fd, 65536)
            if not chunk:
                raise self._died()
            self._buffer += chunk
        line, _, self._buffer = self._buffer.partition(b"\n")
        try:
            message = json.loads(line)
        except ValueError:
            raise SpeechFailed(f"the speech engine sent garbage: {line[:200]!r}") from None
        if not isinstance(message, dict):
            raise SpeechFailed(f"the speech engine sent garbage: {line[:200]!r}")
        return message

    def request(self, message: dict[str, Any], deadline: float) -> dict[str, Any]:
        self.send(message, deadline)
        return self.receive(deadline)

    def alive(self) -> bool:
        return self.process.poll() is None

    def kill(self) -> None:
        with contextlib.suppress(OSError):
            self.process.kill()
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=5.0)
        self._close_pipes()

    def close(self) -> None:
        """Ask the worker to leave (end of its input), kill it if it does not."""
        if self.process.stdin is not None:
            with contextlib.suppress(OSError):
                self.process.stdin.close()
        try:
            self.process.wait(timeout=1.0)
        except subprocess.TimeoutExpired:
            self.kill()
        self._close_pipes()

    def _close_pipes(self) -> None:
        for stream in (self.process.stdin, self.process.stdout):
            if stream is not None:
                with contextlib.suppress(OSError):
                    stream.close()


def _one_line(text: str) -> str:
    return " ".join(text.split())


# --------------------------------------------------------------------------- voices


_catalog: tuple[str, list[VoiceInfo]] | None = None  # (fingerprint, voices)
_catalog_lock = threading.Lock()


def _voices_cache_file(fingerprint: str) -> Path:
    from masseur.paths import cache_dir

    return cache_dir() / "speech" / f"voices-{fingerprint}.json"


def _voices_from_json(data: Any) -> list[VoiceInfo]:
    default = str(data["default"])
    return [
        VoiceInfo(
            id=str(entry["id"]),
            name=str(entry["name"]),
            languages=tuple(str(language) for language in entry["languages"]),
            is_default=str(entry["id"]) == default,
        )
        for entry in data["voices"]
    ]


def _ask_worker_for_voices(command: Sequence[str]) -> dict[str, Any]:
    deadline = time.monotonic() + WORKER_START_TIMEOUT_S
    try:
        worker = _Worker(command, deadline)
    except _Expired:
        raise SpeechTimeout("the speech engine took too long to start") from None
    try:
        reply = worker.request({"op": "voices"}, deadline)
    except _Expired:
        worker.kill()
        raise SpeechTimeout("the speech engine took too long to list its voices") from None
    worker.close()
    if not reply.get("ok"):
        raise SpeechFailed(f"could not list voices: {reply.get('error')}")
    return reply


def _cached_voices(fingerprint: str) -> list[VoiceInfo] | None:
    """The voice list from memory or the cache folder; call with _catalog_lock held."""
    global _catalog
    if _catalog is not None and _catalog[0] == fingerprint:
        return _catalog[1]
    voices: list[VoiceInfo] | None = None
    with contextlib.suppress(OSError, ValueError, KeyError, TypeError):
        text = _voices_cache_file(fingerprint).read_text(encoding="utf-8")
        voices = _voices_from_json(json.loads(text)) or None
    if voices is not None:
        _catalog = (fingerprint, voices)
    return voices


def _store_voices(fingerprint: str, reply: dict[str, Any]) -> list[VoiceInfo]:
    """Keep a worker's voice list in memory and on disk; call with _catalog_lock held."""
    global _catalog
    voices = _voices_from_json(reply)
    if not voices:
        raise SpeechFailed("espeak-ng reports no voices at all; reinstall espeak-ng-data")
    document = {"default": reply["default"], "voices": reply["voices"]}
    with contextlib.suppress(OSError):
        _write_atomically(
            _voices_cache_file(fingerprint),
            json.dumps(document, ensure_ascii=False).encode("utf-8"),
        )
    _catalog = (fingerprint, voices)
    return voices


def list_voices(*, worker_command: Sequence[str] | None = None) -> list[VoiceInfo]:
    """Every installed espeak-ng voice, as pyttsx3 names them.

    The first call per espeak-ng installation starts a worker (~0.2 s); the answer is kept in
    the cache folder, so later calls (and later runs) take a few milliseconds.
    """
    fingerprint = engine_identity().fingerprint
    with _catalog_lock:
        voices = _cached_voices(fingerprint)
        if voices is None:
            reply = _ask_worker_for_voices(worker_command or default_worker_command())
            voices = _store_voices(fingerprint, reply)
        return list(voices)


def _normalize_language(code: str) -> str:
    return code.strip().lower().replace("_", "-")


def _pick_voice(voices: Sequence[VoiceInfo], wanted: str) -> str | None:
    """The best voice for a voice id or language code, or None."""
    as_id = wanted.strip().lower()
    for voice in voices:
        if voice.id == as_id:
            return voice.id
    wanted = _normalize_language(wanted)
    if not wanted:
        return None

    def first(candidates: list[VoiceInfo]) -> str | None:
        if not candidates:
            return None
        defaults = [voice for voice in candidates if voice.is_default]
        return (defaults or candidates)[0].id

    # A voice whose main language is this one (``ru`` -> zle/ru, ``en-us`` -> gmw/en-us) ...
    exact_main = [
        v for v in voices if v.languages and _normalize_language(v.languages[0]) == wanted
    ]
    # ... then one that also speaks it (gmw/en lists en-gb first and en second) ...
    exact_any = [v for v in voices if wanted in map(_normalize_language, v.languages)]
    # ... then one whose id ends in it (``en`` -> gmw/en) ...
    by_id = [v for v in voices if v.id.rsplit("/", 1)[-1] == wanted]
    # ... then a regional variety (``pt`` -> pt-br, ``en`` -> en-gb).
    prefix = wanted + "-"
    by_prefix = [
        v for v in voices if any(_normalize_language(x).startswith(prefix) for x in v.languages)
    ]
    for candidates in (exact_main, exact_any, by_id, by_prefix):
        choice = first(candidates)
        if choice is not None:
            return choice
    return None


def resolve_voice(voice_or_language: str | None, language: str | None) -> str | None:
    """A voice id for an explicit voice (id or language code), else for ``language``.

    An exact voice id wins; otherwise the text is taken as a language code: a voice whose main
    language it is, then one that also speaks it, then a regional variety (``en`` -> ``en-gb``).
    Returns None when neither is given (the engine's default voice). Raises NoVoiceForLanguage
    when nothing installed matches, SpeechUnavailable when espeak-ng is missing.
    """
    wanted = voice_or_language if voice_or_language and voice_or_language.strip() else language
    if wanted is None or not wanted.strip():
        return None
    choice = _pick_voice(list_voices(), wanted)
    if choice is None:
        raise NoVoiceForLanguage(wanted.strip())
    return choice


def _default_voice(voices: Sequence[VoiceInfo]) -> str:
    return next((voice.id for voice in voices if voice.is_default), voices[0].id)


# --------------------------------------------------------------------------- WAV files


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


def _write_atomically(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise


def write_wav(path: Path, samples: bytes, sample_rate: int = SAMPLE_RATE) -> None:
    """Write 16-bit mono little-endian samples as a WAV file, atomically."""
    import io

    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(sample_rate)
        wav.writeframes(samples)
    _write_atomically(path, buffer.getvalue())


# --------------------------------------------------------------------------- estimating length

# Fitted to real espeak-ng 1.51 output by ``benchmarks/bench_speech.py --fit`` (least squares
# on relative error, 30 English and 12 Russian sentences at 100-220 wpm). The model is
#     ms = (letters * a + clause pauses * b + sentence ends * c) * 150 / rate + d
# Letters (numbers spelled out first) stood in for phonemes as well as any syllable or
# phoneme guess tried; the pauses espeak makes shrink with the rate too. Above ~250 wpm
# espeak shortens pauses much more than this and the estimate runs long.
# Keys: primary language subtag; other languages use English.
_ESTIMATE_MODELS: dict[str, tuple[float, float, float, float]] = {
    "en": (66.9, 382.1, 606.5, -110.0),
    "ru": (65.4, 346.0, 480.4, -27.5),
}

_LETTER = re.compile(r"[^\W\d_]")
_NUMBER = re.compile(r"\d+")
_CLAUSE_PAUSE = re.compile(r"[,;:\u2013\u2014]|\s-\s")
_SENTENCE_END = re.compile(r"[.!?\u2026]+(?=\s|$)")


def _number_words(number: int) -> str:
    """English words for a number, as espeak reads it (close enough to count letters)."""
    if number < 20:
        return EN_ONES[number]
    if number < 100:
        return EN_TENS[number // 10] + ("" if number % 10 == 0 else " " + EN_ONES[number % 10])
    if number < 1000:
        rest = "" if number % 100 == 0 else " and " + _number_words(number % 100)
        return EN_ONES[number // 100] + " hundred" + rest
    if number < 1_000_000:
        rest = "" if number % 1000 == 0 else " " + _number_words(number % 1000)
        return _number_words(number // 1000) + " thousand" + rest
    return " ".join(EN_ONES[int(digit)] for digit in str(number))


def speech_features(text: str) -> tuple[int, int, int]:
    """(letters, clause pauses, sentence ends) of ``text``: what the estimate is made from."""
    spelled = _NUMBER.sub(lambda match: _number_words(int(match.group())), text)
    letters = len(_LETTER.findall(spelled))
    pauses = len(_CLAUSE_PAUSE.findall(spelled))
    ends = max(1, len(_SENTENCE_END.findall(spelled.strip())))
    return letters, pauses, ends


def _estimate_family(language: str) -> str:
    # Accept "en", "en-GB", "ru_RU" and voice ids such as "zle/ru".
    return _normalize_language(language or "en").rsplit("/", 1)[-1].split("-")[0]


def estimate_speech_ms(text: str, rate: int, language: str = "en") -> int:
    """How long espeak-ng takes to say ``text`` at ``rate`` words per minute, in ms.

    Includes the silence espeak leaves at the end. Measured error at 120-180 wpm: see
    ``benchmarks/bench_speech.py`` (about 5 % on average, under 20 % for any sentence tried).
    """
    if not text.strip():
        return 0
    per_letter, per_pause, per_end, fixed = _ESTIMATE_MODELS.get(
        _estimate_family(language), _ESTIMATE_MODELS["en"]
    )
    letters, pauses, ends = speech_features(text)
    scale = 150 / max(MIN_RATE, min(MAX_RATE, rate))
    spoken = per_letter * letters + per_pause * pauses + per_end * ends
    return max(1, round(spoken * scale + fixed))


# --------------------------------------------------------------------------- synthesizers


def _check_request(text: str, settings: VoiceSettings) -> None:
    if not text.strip():
        raise BadInput("there is nothing to say: the text is empty")
    if not MIN_RATE <= settings.rate <= MAX_RATE:
        raise BadInput(
            f"speech rate {settings.rate} is out of range; use {MIN_RATE} to {MAX_RATE} "
            "words per minute"
        )


def default_timeout_s(text: str, rate: int) -> float:
    """Time allowed when the caller gives none: ample for a worker start (~0.15 s) and the
    synthesis (a running worker makes speech a few hundred times faster than it plays),
    yet finite."""
    return 10.0 + estimate_speech_ms(text, rate) / 1000 * 0.25


def _cache_key(fingerprint: str, voice_id: str, rate: int, text: str) -> str:
    material = json.dumps([CACHE_FORMAT, fingerprint, voice_id, rate, text], ensure_ascii=False)
    return hashlib.sha256(material.encode("utf-8")).hexdigest()


class Pyttsx3Synthesizer:
    """The real synthesizer: pyttsx3 + espeak-ng in worker processes, with a file cache.

    Thread-safe: a prefetching thread and the session's thread may both call synthesize().
    Cache hits never wait for the engine.
    """

    def __init__(
        self,
        cache_dir: Path | None = None,
        *,
        worker_command: Sequence[str] | None = None,
    ) -> None:
        if cache_dir is None:
            from masseur.paths import cache_dir as user_cache_dir

            cache_dir = user_cache_dir() / "speech"
        self.cache_dir = cache_dir
        self.worker_command = list(worker_command or default_worker_command())
        self.synthesized = 0  # sentences the engine made (cache misses)
        self.cache_hits = 0
        self.worker_starts = 0
        self._workers: collections.OrderedDict[str, _Worker] = collections.OrderedDict()
        self._spare: _Worker | None = None  # started to list voices, not yet given a voice
        self._engine_lock = threading.Lock()
        self._closed = False
        self._swept = False

    # -- public

    def synthesize(self, text: str, settings: VoiceSettings, timeout: float | None = None) -> Path:
        _check_request(text, settings)
        if timeout is None:
            timeout = default_timeout_s(text, settings.rate)
        deadline = time.monotonic() + timeout
        voices = self._voices(deadline)
        voice_id = _default_voice(voices)
        if settings.voice and settings.voice.strip():
            picked = _pick_voice(voices, settings.voice)
            if picked is None:
                raise NoVoiceForLanguage(settings.voice.strip())
            voice_id = picked
        target = self.cache_path(text, VoiceSettings(voice_id, settings.rate))
        if wav_frames(target) is not None:
            self.cache_hits += 1
            return target
        return self._make(text, voice_id, settings.rate, target, deadline)

    def cache_path(self, text: str, settings: VoiceSettings) -> Path:
        """Where the sentence is (or would be) cached; ``settings.voice`` must be a voice id."""
        key = _cache_key(engine_identity().fingerprint, settings.voice or "", settings.rate, text)
        return self.cache_dir / f"{key}.wav"

    def check(self, timeout: float = WORKER_START_TIMEOUT_S) -> None:
        """Raise SpeechUnavailable now, rather than at the first sentence, if speech cannot work.

        Cheap when the voice list is cached; otherwise starts the worker that will then make
        the first sentence.
        """
        self._voices(time.monotonic() + timeout)

    def close(self) -> None:
        """Stop the engine processes. Cached sentences can still be fetched afterwards.

        Waits at most a second for a sentence another thread is making; after that its
        worker is killed and that thread gets SpeechFailed.
        """
        self._closed = True
        locked = self._engine_lock.acquire(timeout=1.0)
        try:
            workers = list(self._workers.values())
            if self._spare is not None:
                workers.append(self._spare)
            if locked:
                self._workers.clear()
                self._spare = None
        finally:
            if locked:
                self._engine_lock.release()
        for worker in workers:
            if locked:
                worker.close()
            else:
                worker.kill()

    def __enter__(self) -> Pyttsx3Synthesizer:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- inside

    def _voices(self, deadline: float) -> list[VoiceInfo]:
        fingerprint = engine_identity().fingerprint
        with _catalog_lock:
            voices = _cached_voices(fingerprint)
        if voices is not None:
            return voices
        # Ask a worker of our own rather than a throwaway one: it then makes the first
        # sentence, which saves a process start (~0.1 s) on a cold start.
        with self._engine(deadline):
            if self._spare is None:
                self._spare = self._start_worker(deadline)
            try:
                reply = self._spare.request({"op": "voices"}, deadline)
            except _Expired:
                self._spare.kill()
                self._spare = None
                raise SpeechTimeout("the speech engine took too long to list its voices") from None
            except SpeechFailed:
                self._spare.kill()
                self._spare = None
                raise
        if not reply.get("ok"):
            raise SpeechFailed(f"could not list voices: {reply.get('error')}")
        with _catalog_lock:
            return _store_voices(fingerprint, reply)

    @contextlib.contextmanager
    def _engine(self, deadline: float) -> Iterator[None]:
        """Hold the right to talk to the workers, waiting no longer than the deadline."""
        remaining = deadline - time.monotonic()
        if remaining <= 0 or not self._engine_lock.acquire(timeout=remaining):
            raise SpeechTimeout("the speech engine is busy with other sentences")
        try:
            if self._closed:
                raise SpeechFailed("the speech synthesizer was closed")
            yield
        finally:
            self._engine_lock.release()

    def _start_worker(self, deadline: float) -> _Worker:
        try:
            worker = _Worker(self.worker_command, deadline)
        except _Expired:
            raise SpeechTimeout("the speech engine took too long to start") from None
        self.worker_starts += 1
        return worker

    def _make(self, text: str, voice_id: str, rate: int, target: Path, deadline: float) -> Path:
        with self._engine(deadline):
            if wav_frames(target) is not None:  # made by another thread while we waited
                self.cache_hits += 1
                return target
            try:
                temporary = self._new_part_file(target)
            except OSError as error:
                raise SpeechFailed(
                    f"cannot write to the speech cache {target.parent}: {error.strerror or error}"
                ) from None
            try:
                self._synthesize_into(temporary, text, voice_id, rate, deadline)
                if wav_frames(temporary) is None:
                    raise SpeechFailed(f"the speech engine wrote an empty file for {_quote(text)}")
                try:
                    os.replace(temporary, target)
                except OSError as error:
                    raise SpeechFailed(
                        f"cannot write to the speech cache {target.parent}: "
                        f"{error.strerror or error}"
                    ) from None
            finally:
                with contextlib.suppress(OSError):
                    os.unlink(temporary)
            self.synthesized += 1
            return target

    def _new_part_file(self, target: Path) -> Path:
        """An empty file beside ``target`` for the worker to write (then renamed into place)."""
        target.parent.mkdir(parents=True, exist_ok=True)
        if not self._swept:
            self._sweep_leftovers(target.parent)
        handle, temporary = tempfile.mkstemp(
            dir=target.parent, prefix=f".{target.stem[:16]}.", suffix=".part"
        )
        os.close(handle)
        return Path(temporary)

    def _sweep_leftovers(self, folder: Path) -> None:
        """Remove half-written files that a killed process left behind."""
        self._swept = True
        stale_before = time.time() - LEFTOVER_AGE_S
        with contextlib.suppress(OSError), os.scandir(folder) as entries:
            for entry in entries:
                if entry.name.endswith(".part") and entry.stat().st_mtime < stale_before:
                    with contextlib.suppress(OSError):
                        os.unlink(entry.path)

    def _worker_for(self, voice_id: str, deadline: float) -> _Worker:
        worker = self._workers.get(voice_id)
        if worker is not None and worker.alive():
            self._workers.move_to_end(voice_id)
            return worker
        if worker is not None:
            del self._workers[voice_id]
            worker.kill()
        while len(self._workers) >= MAX_WORKERS:
            _, oldest = self._workers.popitem(last=False)
            oldest.close()
        if self._spare is not None and self._spare.alive():
            worker, self._spare = self._spare, None
        else:
            worker = self._start_worker(deadline)
        self._workers[voice_id] = worker
        return worker

    def _synthesize_into(
        self, path: Path, text: str, voice_id: str, rate: int, deadline: float
    ) -> None:
        worker = self._worker_for(voice_id, deadline)
        request = {
            "op": "synth",
            "text": text,
            "voice": voice_id,
            "rate": rate,
            "path": str(path),
            # The worker gives up on its own a little after we do, so that it cannot linger
            # if this process has died.
            "limit": max(0.5, deadline - time.monotonic()) + 2.0,
        }
        try:
            reply = worker.request(request, deadline)
        except _Expired:
            self._drop_worker(voice_id, worker)
            raise SpeechTimeout(
                f"speech for {_quote(text)} was not ready in time; the engine was restarted"
            ) from None
        except SpeechFailed:
            self._drop_worker(voice_id, worker)
            raise
        if not reply.get("ok"):
            # The engine's state is unknown after an error: start afresh next time.
            self._drop_worker(voice_id, worker)
            raise SpeechFailed(f"could not synthesize {_quote(text)}: {reply.get('error')}")

    def _drop_worker(self, voice_id: str, worker: _Worker) -> None:
        worker.kill()
        if self._workers.get(voice_id) is worker:
            del self._workers[voice_id]


def _quote(text: str, limit: int = 40) -> str:
    text = _one_line(text)
    return repr(text if len(text) <= limit else text[: limit - 1] + "\u2026")


def _voice_language(voice: str | None) -> str:
    """A language for the estimator from a voice id or language code (gmw/en-us -> en-us)."""
    if not voice:
        return "en"
    return voice.rsplit("/", 1)[-1]


class FakeSynthesizer:
    """For tests: a quiet tone as long as estimate_speech_ms says, and a record of each call.

    ``delay_s`` makes every call take that long (a timeout shorter than it raises
    SpeechTimeout after the timeout), to test callers against a slow engine.
    """

    TONE_HZ = 220.0
    AMPLITUDE = 1000  # about -30 dBFS

    def __init__(self, out_dir: Path | None = None, *, delay_s: float = 0.0) -> None:
        self._own_dir = out_dir is None
        self.out_dir = out_dir or Path(tempfile.mkdtemp(prefix="masseur-fake-speech-"))
        self.delay_s = delay_s
        self.calls: list[tuple[str, VoiceSettings]] = []
        self._lock = threading.Lock()

    def synthesize(self, text: str, settings: VoiceSettings, timeout: float | None = None) -> Path:
        _check_request(text, settings)
        with self._lock:
            self.calls.append((text, settings))
        if self.delay_s > 0:
            if timeout is not None and timeout < self.delay_s:
                time.sleep(max(0.0, timeout))
                raise SpeechTimeout(f"speech for {_quote(text)} was not ready in time")
            time.sleep(self.delay_s)
        key = _cache_key("fake", settings.voice or "", settings.rate, text)
        path = self.out_dir / f"{key}.wav"
        if wav_frames(path) is None:
            length_ms = estimate_speech_ms(text, settings.rate, _voice_language(settings.voice))
            write_wav(path, self.tone(length_ms))
        return path

    @classmethod
    def tone(cls, length_ms: int) -> bytes:
        import array

        frames = max(1, round(length_ms * SAMPLE_RATE / 1000))
        step = 2 * math.pi * cls.TONE_HZ / SAMPLE_RATE
        samples = array.array(
            "h", (round(cls.AMPLITUDE * math.sin(step * i)) for i in range(frames))
        )
        if sys.byteorder == "big":
            samples.byteswap()
        return samples.tobytes()

    def close(self) -> None:
        if self._own_dir:
            import shutil

            shutil.rmtree(self.out_dir, ignore_errors=True)


# --------------------------------------------------------------------------- prefetching

_Item = tuple[str, VoiceSettings]


class Prefetcher:
    """Synthesizes an ordered list of (text, settings) on a background thread, ahead of need.

    get() never waits longer than it is told; an item asked for before its turn jumps the
    queue. A sentence that failed (timeout, engine error) gives None; so does everything once
    speech turns out to be unavailable. ``errors`` keeps what went wrong, for a warning.
    """

    def __init__(
        self,
        synthesizer: Synthesizer,
        items: Sequence[tuple[str, VoiceSettings]],
        *,
        synthesis_timeout: float | None = None,
    ) -> None:
        self.synthesizer = synthesizer
        self.synthesis_timeout = synthesis_timeout
        self._queue: collections.deque[_Item] = collections.deque(dict.fromkeys(items))
        self._results: dict[_Item, Path | None] = {}
        self._condition = threading.Condition()
        self._thread: threading.Thread | None = None
        self._closed = False
        self._gave_up: MasseurError | None = None
        self.errors: list[tuple[str, MasseurError]] = []

    def start(self) -> None:
        with self._condition:
            if self._thread is not None or self._closed:
                return
            self._thread = threading.Thread(
                target=self._run, name="masseur-speech-prefetch", daemon=True
            )
            self._thread.start()

    def get(self, text: str, settings: VoiceSettings, timeout: float) -> Path | None:
        item = (text, settings)
        self.start()
        with self._condition:
            if item not in self._results and not self._closed and self._gave_up is None:
                # Not made yet: put it first (a skip ahead, or a sentence not in the plan).
                with contextlib.suppress(ValueError):
                    self._queue.remove(item)
                self._queue.appendleft(item)
                self._condition.notify_all()
            self._condition.wait_for(
                lambda: item in self._results or self._closed or self._gave_up is not None,
                timeout=max(0.0, timeout),
            )
            return self._results.get(item)

    def ready(self, text: str, settings: VoiceSettings) -> bool:
        with self._condition:
            return self._results.get((text, settings)) is not None

    @property
    def unavailable(self) -> MasseurError | None:
        """Why speech stopped altogether, or None."""
        return self._gave_up

    def close(self) -> None:
        """Stop after the sentence in hand (the synthesizer is the caller's to close)."""
        with self._condition:
            self._closed = True
            self._condition.notify_all()
            thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout=1.0)

    def __enter__(self) -> Prefetcher:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _next_item(self) -> _Item | None:
        with self._condition:
            while True:
                if self._closed or self._gave_up is not None:
                    return None
                while self._queue:
                    item = self._queue.popleft()
                    if item not in self._results:
                        return item
                self._condition.wait()

    def _run(self) -> None:
        while (item := self._next_item()) is not None:
            text, settings = item
            path: Path | None = None
            try:
                path = self.synthesizer.synthesize(text, settings, self.synthesis_timeout)
            except SpeechUnavailable as error:
                with self._condition:
                    self.errors.append((text, error))
                    self._gave_up = error
                    self._condition.notify_all()
                return
            except MasseurError as error:
                self.errors.append((text, error))
            except Exception as error:  # a bug must not kill the thread silently mid-session
                self.errors.append((text, SpeechFailed(f"{type(error).__name__}: {error}")))
            with self._condition:
                self._results[item] = path
                self._condition.notify_all()


__all__ = [
    "FakeSynthesizer",
    "NoVoiceForLanguage",
    "Prefetcher",
    "Pyttsx3Synthesizer",
    "SpeechFailed",
    "SpeechTimeout",
    "SpeechUnavailable",
    "Synthesizer",
    "VoiceInfo",
    "VoiceSettings",
    "estimate_speech_ms",
    "list_voices",
    "resolve_voice",
    "wav_frames",
    "write_wav",
]
