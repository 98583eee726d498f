"""The installed espeak-ng voices: listed once per installation, cached, and picked by language."""

from __future__ import annotations

import contextlib
import json
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from masseur import atomic
from masseur.speech._worker_client import ask_new_worker, default_worker_command
from masseur.speech.base import NoVoiceForLanguage, SpeechFailed, VoiceInfo, normalize_language
from masseur.speech.engine import engine_identity
from masseur.speech.piper_voices import (
    find_piper_voice,
    find_piper_voices,
    is_piper,
    resolve_piper_voice,
    speaks,
)

_catalog: tuple[str, list[VoiceInfo]] | None = None  # (fingerprint, voices)
catalog_lock = threading.Lock()


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


def cached_voices(fingerprint: str) -> list[VoiceInfo] | None:
    """The voice list from memory or the cache folder; call with catalog_lock held."""
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


def store_voices(fingerprint: str, reply: dict[str, Any]) -> list[VoiceInfo]:
    """Keep a worker's voice list in memory and on disk; call with catalog_lock held."""
    global _catalog
    if not reply.get("ok"):
        raise SpeechFailed(f"could not list voices: {reply.get('error')}")
    voices = _voices_from_json(reply)
    if not voices:
        raise SpeechFailed("espeak-ng reports no voices at all; reinstall espeak-ng-data")
    document = {"default": reply["default"], "voices": reply["voices"]}
    with contextlib.suppress(OSError):
        path = _voices_cache_file(fingerprint)
        path.parent.mkdir(parents=True, exist_ok=True)
        # Not synced to disk: cached_voices reads it whole and asks the engine again if a
        # crash left it empty or cut short. The sync took 18 ms of a first run's start,
        # before any sentence could be asked for.
        atomic.write_bytes(
            path, json.dumps(document, ensure_ascii=False).encode("utf-8"), durable=False
        )
    _catalog = (fingerprint, voices)
    return voices


def list_voices(*, worker_command: Sequence[str] | None = None) -> list[VoiceInfo]:
    """Every installed espeak-ng voice, as pyttsx3 names them.

    The first call per espeak-ng installation starts a worker (~0.2 s); the answer is kept in
    the cache folder, so later calls (and later runs) take a few milliseconds.
    """
    fingerprint = engine_identity().fingerprint
    with catalog_lock:
        voices = cached_voices(fingerprint)
        if voices is None:
            command = worker_command or default_worker_command()
            reply = ask_new_worker(command, {"op": "voices"}, "list its voices")
            voices = store_voices(fingerprint, reply)
        return list(voices)


def pick_voice(voices: Sequence[VoiceInfo], wanted: str) -> str | None:
    """The best voice for a voice id or language code, or None."""
    as_id = wanted.strip().lower()
    for voice in voices:
        if voice.id == as_id:
            return voice.id
    wanted = normalize_language(wanted)
    if not wanted:
        return None

    def first(candidates: list[VoiceInfo]) -> str | None:
        if not candidates:
            return None
        defaults = [voice for voice in candidates if voice.is_default]
        return (defaults or candidates)[0].id

    # A voice whose main language is this one (``ru`` -> zle/ru, ``en-us`` -> gmw/en-us) ...
    exact_main = [v for v in voices if v.languages and normalize_language(v.languages[0]) == wanted]
    # ... then one that also speaks it (gmw/en lists en-gb first and en second) ...
    exact_any = [v for v in voices if wanted in map(normalize_language, v.languages)]
    # ... then one whose id ends in it (``en`` -> gmw/en) ...
    by_id = [v for v in voices if v.id.rsplit("/", 1)[-1] == wanted]
    # ... then a regional variety (``pt`` -> pt-br, ``en`` -> en-gb).
    prefix = wanted + "-"
    by_prefix = [
        v for v in voices if any(normalize_language(x).startswith(prefix) for x in v.languages)
    ]
    for candidates in (exact_main, exact_any, by_id, by_prefix):
        choice = first(candidates)
        if choice is not None:
            return choice
    return None


def check_voice(voice: str | None, language: str | None) -> None:
    """BadInput now, in one line, for a Piper voice that cannot read ``language`` here.

    espeak-ng voices are checked when the synthesizer picks one (a worker lists them).
    """
    if is_piper(voice):
        assert voice is not None
        resolve_piper_voice(voice, language)


def voice_for_routine(voice: str | None, language: str, *, asked_now: bool) -> str:
    """The voice (id or language code) to read a routine in ``language`` with.

    A Piper voice reads only routines in its own language. One asked for on the command line
    (``asked_now``) that cannot is bad input; one from the settings gives way to a Piper
    voice that speaks the language, else to espeak-ng's voice for it: a Russian routine
    stays on espeak-ng unless a Russian Piper voice is there. Piper missing altogether is
    bad input either way.
    """
    if not is_piper(voice):
        return voice or language
    assert voice is not None
    if asked_now:
        return resolve_piper_voice(voice, language).id
    resolve_piper_voice(voice, None)  # installed, and the voice is there
    chosen = find_piper_voice(voice)
    if chosen is not None and speaks(chosen.language, language):
        return chosen.id
    same_language = [found for found in find_piper_voices() if speaks(found.language, language)]
    return same_language[0].id if same_language else language


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
    if is_piper(wanted):
        return resolve_piper_voice(wanted, language).id
    choice = pick_voice(list_voices(), wanted)
    if choice is None:
        raise NoVoiceForLanguage(wanted.strip())
    return choice


def default_voice(voices: Sequence[VoiceInfo]) -> str:
    return next((voice.id for voice in voices if voice.is_default), voices[0].id)
