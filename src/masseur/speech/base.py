"""What every part of masseur.speech shares: voice settings, voices, rate limits, errors."""

from __future__ import annotations

from collections.abc import Iterator, MutableMapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, runtime_checkable

from masseur.errors import BadInput, MasseurError

# Speech rates in words per minute, as espeak-ng counts them: the one place these bounds
# live (routines, settings, --rate and the synthesizer all check against them).
MIN_RATE = 80  # espeak-ng's slowest speed; it silently clamps anything below
# espeak-ng itself goes to 450 before switching to a different (sonic) speed-up, but above
# ~250 its pauses shrink faster than the length estimate allows and instructions get hard to
# follow; 400 is what masseur accepts everywhere.
MAX_RATE = 400
DEFAULT_RATE = 150  # when neither the settings nor the routine choose a rate

INSTALL_ESPEAK = "install it with `sudo apt-get install espeak-ng`"
INSTALL_PYTTSX3 = "install it with `pip install pyttsx3`"
INSTALL_PIPER = "install it with `pip install 'masseur[piper]'`"


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
    rate: int = DEFAULT_RATE  # words per minute


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


@runtime_checkable
class BatchSynthesizer(Synthesizer, Protocol):
    """A synthesizer that makes a batch of texts faster than one at a time."""

    def synthesize_all(
        self,
        texts: Sequence[str],
        settings: VoiceSettings,
        made: MutableMapping[Path, bytes] | None = None,
    ) -> Iterator[Path]:
        """The WAV file of each text, in order; close the iterator if leaving it early.

        With ``made``, the samples of each text synthesized now (not found in the cache) are
        also put there under its file's path before the path is given, for a caller that
        would otherwise read the file straight back.
        """
        ...


def synthesize_in_order(
    synthesizer: Synthesizer,
    texts: Sequence[str],
    settings: VoiceSettings,
    made: MutableMapping[Path, bytes] | None = None,
) -> Iterator[Path]:
    """The WAV file of each text, in order: as a batch where the synthesizer can make one
    (which also hands over what it made in ``made``, see BatchSynthesizer)."""
    if isinstance(synthesizer, BatchSynthesizer):
        return synthesizer.synthesize_all(texts, settings, made)
    return (synthesizer.synthesize(text, settings) for text in texts)


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
