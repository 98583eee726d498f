"""The Piper voices masseur can use, found on disk without importing Piper itself.

Piper (the ``piper-tts`` package, GPL) runs only inside masseur's speech worker process, so
this module never imports it: it looks for voice models (an ``.onnx`` file beside its
``.onnx.json``) in masseur's voices folder and in installed packages that ship one (any
top-level package whose name contains ``piper_voice``), and reads their language from the
JSON file.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import importlib.util
import json
import sys
from dataclasses import dataclass
from pathlib import Path

from masseur.errors import BadInput
from masseur.speech.base import INSTALL_PIPER, normalize_language

PIPER_PREFIX = "piper:"


@dataclass(frozen=True)
class PiperVoice:
    name: str  # the model's file name without .onnx: en_US-joe-medium
    model: Path
    language: str  # normalized: en-us

    @property
    def id(self) -> str:
        return PIPER_PREFIX + self.name

    @property
    def short_name(self) -> str:
        """The speaker part of the usual ``<language>-<speaker>-<quality>`` name: joe."""
        parts = self.name.split("-")
        return parts[1] if len(parts) == 3 else self.name


def is_piper(voice: str | None) -> bool:
    return bool(voice) and str(voice).strip().lower().startswith(PIPER_PREFIX)


def voices_dir() -> Path:
    """Where a person puts Piper voices: ``<data dir>/voices``."""
    from masseur.paths import data_dir

    return data_dir() / "voices"


def piper_installed() -> bool:
    """Whether the ``piper`` package can be imported (found without importing it)."""
    return importlib.util.find_spec("piper") is not None


def _language_of(config: Path) -> str | None:
    with contextlib.suppress(OSError, ValueError, TypeError, AttributeError):
        data = json.loads(config.read_text(encoding="utf-8"))
        code = (data.get("language") or {}).get("code") or (data.get("espeak") or {}).get("voice")
        if code:
            return normalize_language(str(code))
    return None


def _models_in(folder: Path, pattern: str) -> list[Path]:
    with contextlib.suppress(OSError):
        return sorted(folder.glob(pattern))
    return []


def find_piper_voices() -> list[PiperVoice]:
    """Every usable Piper voice: the voices folder first, then installed voice packages."""
    models = _models_in(voices_dir(), "*.onnx")
    for entry in dict.fromkeys(sys.path):
        if entry and Path(entry).is_dir():
            models += _models_in(Path(entry), "*piper_voice*/**/*.onnx")
    found: dict[str, PiperVoice] = {}
    for model in models:
        language = _language_of(model.with_name(model.name + ".json"))
        if language is not None and model.stem not in found:
            found[model.stem] = PiperVoice(model.stem, model, language)
    return list(found.values())


def find_piper_voice(wanted: str) -> PiperVoice | None:
    """The voice named ``piper:NAME`` (its file name, or its speaker such as ``joe``)."""
    name = wanted.strip()[len(PIPER_PREFIX) :].strip().lower()
    voices = find_piper_voices()
    by_name = [voice for voice in voices if voice.name.lower() == name]
    by_speaker = [voice for voice in voices if voice.short_name.lower() == name]
    return next(iter(by_name + by_speaker), None)


def speaks(voice_language: str, language: str | None) -> bool:
    """Whether a voice for ``voice_language`` (en-us) may read a text in ``language`` (en)."""
    if not language:
        return True
    return voice_language.split("-")[0] == normalize_language(language).split("-")[0]


def resolve_piper_voice(wanted: str, language: str | None) -> PiperVoice:
    """The Piper voice for ``piper:NAME``; BadInput (one line) if it cannot be used here."""
    if not piper_installed():
        raise BadInput(
            f"the voice {wanted.strip()!r} needs Piper, which is not installed; " + INSTALL_PIPER
        )
    voice = find_piper_voice(wanted)
    if voice is None:
        raise BadInput(
            f"no Piper voice named {wanted.strip()!r}; put its .onnx and .onnx.json files in "
            f"{voices_dir()} and see `masseur voices`"
        )
    if not speaks(voice.language, language):
        raise BadInput(
            f"the voice {voice.id} speaks {voice.language}, but the routine is in {language}; "
            f"see `masseur voices --language {language}`"
        )
    return voice


@functools.cache
def piper_version() -> str:
    """The installed piper-tts version, from its metadata (Piper is not imported)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("piper-tts")
    except PackageNotFoundError:
        return "unknown"


def piper_fingerprint(voice: PiperVoice) -> str:
    """Changes when the model, Piper or masseur's worker changes: part of the cache keys."""
    # The worker's code decides the pace, pauses and trimming of Piper's speech.
    worker = Path(__file__).with_name("_speech_worker.py")
    marks = []
    for path in (voice.model, worker):
        try:
            status = path.stat()
            marks.append(f"{path.name}:{status.st_size}:{status.st_mtime_ns}")
        except OSError:
            marks.append(f"{path.name}:missing")
    material = "\n".join([f"piper {piper_version()}", voice.name, *marks])
    return hashlib.sha256(material.encode()).hexdigest()[:16]
