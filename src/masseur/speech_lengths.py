"""How long each sentence takes to say: its cached recording when there is one, else an estimate.

Planning with the real length of speech already synthesized (for this voice and rate) keeps
``--minutes`` from squeezing steps below what the voice really needs, where the estimate
(about 5 % off on average, up to 20 % for a sentence) would fall short.
"""

from __future__ import annotations

from collections.abc import Callable

from masseur.errors import MasseurError

Estimator = Callable[[str, int, str], int]


def cached_or_estimated(voice_id: str | None) -> Estimator:
    """An estimator for :class:`~masseur.timeline.TimelineOptions` that prefers the cache."""
    from masseur.speech import Pyttsx3Synthesizer, VoiceSettings, estimate_speech_ms
    from masseur.wav import SAMPLE_RATE, wav_frames

    synthesizer: Pyttsx3Synthesizer | None = None
    if voice_id:
        try:
            synthesizer = Pyttsx3Synthesizer()
            synthesizer.cache_path("", VoiceSettings(voice_id, 150))  # is the engine there?
        except MasseurError:
            synthesizer = None
    known: dict[tuple[str, int], int] = {}

    def length(text: str, rate: int, language: str = "en") -> int:
        estimate = estimate_speech_ms(text, rate, language)
        if synthesizer is None or not text.strip():
            return estimate
        key = (text, rate)
        if key not in known:
            frames = wav_frames(synthesizer.cache_path(text, VoiceSettings(voice_id, rate)))
            known[key] = estimate if frames is None else round(frames * 1000 / SAMPLE_RATE)
        return known[key]

    return length
