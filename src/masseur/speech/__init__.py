"""Text to WAV files with espeak-ng (or Piper), cached, and never able to stall a session.

One job per module: ``base`` (settings, voices, errors, rate limits), ``engine`` (which
espeak-ng is installed), ``voices`` (the voice list and picking one), ``piper_voices`` (the
Piper voices on disk, found without importing Piper), ``estimate`` (how long a text takes to
say; pure, and all that the timeline needs), ``synthesizer`` (the synthesizer with its
cache), ``prefetch`` (speech made ahead of need), and the private ``_worker_client`` that
talks to ``_speech_worker.py``, the process the engines run in.

Measured on the development machine (Debian 12, espeak-ng 1.51, pyttsx3 2.99): see
``benchmarks/bench_speech.py`` and ``benchmarks/bench_export.py`` for the numbers and how
they were taken.

The names below are imported on first use, so that importing one light module (the estimate,
say) does not load the process and ctypes machinery.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from masseur import lazy
from masseur.speech.base import (
    MAX_RATE,
    MIN_RATE,
    NoVoiceForLanguage,
    SpeechFailed,
    SpeechTimeout,
    SpeechUnavailable,
    Synthesizer,
    VoiceInfo,
    VoiceSettings,
)

if TYPE_CHECKING:
    from masseur.speech.engine import engine_identity
    from masseur.speech.estimate import estimate_speech_ms
    from masseur.speech.prefetch import Prefetcher
    from masseur.speech.synthesizer import Pyttsx3Synthesizer
    from masseur.speech.voices import (
        check_voice,
        list_voices,
        resolve_voice,
        voice_for_routine,
    )
    from masseur.wav import wav_frames, write_wav

_LAZY = {
    "engine_identity": "masseur.speech.engine",
    "estimate_speech_ms": "masseur.speech.estimate",
    "Prefetcher": "masseur.speech.prefetch",
    "Pyttsx3Synthesizer": "masseur.speech.synthesizer",
    "list_voices": "masseur.speech.voices",
    "resolve_voice": "masseur.speech.voices",
    "check_voice": "masseur.speech.voices",
    "voice_for_routine": "masseur.speech.voices",
    "wav_frames": "masseur.wav",
    "write_wav": "masseur.wav",
}


__getattr__ = lazy.exports(__name__, _LAZY)


__all__ = [
    "MAX_RATE",
    "MIN_RATE",
    "NoVoiceForLanguage",
    "Prefetcher",
    "Pyttsx3Synthesizer",
    "SpeechFailed",
    "SpeechTimeout",
    "SpeechUnavailable",
    "Synthesizer",
    "VoiceInfo",
    "VoiceSettings",
    "check_voice",
    "engine_identity",
    "estimate_speech_ms",
    "list_voices",
    "resolve_voice",
    "voice_for_routine",
    "wav_frames",
    "write_wav",
]
