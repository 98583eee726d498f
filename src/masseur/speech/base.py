"""What every part of masseur.speech shares: voice settings, voices, rate limits, errors."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from masseur.errors import BadInput, MasseurError

MIN_RATE = 80  # espeak-ng's slowest speed; it silently clamps anything below
MAX_RATE = 450  # above this espeak switches to a different (sonic) speed-up

INSTALL_ESPEAK = "install it with `sudo apt-get install espeak-ng`"
INSTALL_PYTTSX3 = "install it with `pip install pyttsx3`"


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


def normalize_language(code: str) -> str:
    """``en_US`` and ``EN-us`` both become ``en-us``."""
    return code.strip().lower().replace("_", "-")


def check_request(text: str, settings: VoiceSettings) -> None:
    """BadInput for a request no synthesizer should take: nothing to say, a rate out of range."""
    if not text.strip():
        raise BadInput("there is nothing to say: the text is empty")
    if not MIN_RATE <= settings.rate <= MAX_RATE:
        raise BadInput(
            f"speech rate {settings.rate} is out of range; use {MIN_RATE} to {MAX_RATE} "
            "words per minute"
        )
