"""The settings a session runs with: four layers resolved once into one typed, frozen object.

Weakest first: the built-in default, the routine (its voice, rate and volumes), the settings
file, ``MASSEUR_*`` environment variables, the command line. Every value remembers the layer
it came from, for ``masseur config``. The layers below the command line get typed pieces of
it (timeline options, voice settings), never the whole table as a dict.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, TypeVar

from masseur.config.file import config_path, load_config
from masseur.config.table import (
    SETTINGS,
    SettingValue,
    Source,
    check_value,
    parse_text_value,
    unknown_setting_message,
)
from masseur.errors import BadInput
from masseur.speech.base import DEFAULT_RATE

if TYPE_CHECKING:
    from masseur.routine import Routine
    from masseur.session import SessionOptions
    from masseur.speech.base import VoiceSettings
    from masseur.timeline import Estimator, TimelineOptions

_T = TypeVar("_T")


@dataclass(frozen=True)
class Settings:
    """The effective settings, typed, and for each one the layer it came from."""

    rate: int | None  # None only when no routine was given: "the routine's, or 150"
    voice: str | None  # a voice id or a language code; None: the routine's language
    volume: float
    chime_volume: float
    countdown: bool
    halfway: bool
    chimes: bool
    plain: bool
    require_audio: bool
    sources: Mapping[str, Source]
    config_path: Path

    @property
    def values(self) -> dict[str, SettingValue]:
        """Every setting by name, in the table's order (for showing, not for passing on)."""
        return {name: getattr(self, name) for name in SETTINGS}

    @property
    def words_per_minute(self) -> int:
        return self.rate or DEFAULT_RATE

    def timeline_options(
        self,
        minutes: float | None = None,
        *,
        speak_warnings: bool = False,
        speech_length: Estimator | None = None,
    ) -> TimelineOptions:
        """What shapes the timeline; ``minutes`` is a command-line choice, not a setting,
        ``speak_warnings`` is for sessions where no screen shows the contraindications, and
        ``speech_length`` gives real lengths of speech already synthesized."""
        from masseur.timeline import TimelineOptions

        return TimelineOptions(
            rate=self.words_per_minute,
            minutes=minutes,
            countdown=self.countdown,
            halfway=self.halfway,
            chimes=self.chimes,
            speak_warnings=speak_warnings,
            speech_length=speech_length,
        )

    def voice_settings(self, language: str) -> VoiceSettings:
        """The voice to synthesize with: the one chosen, else one for ``language``."""
        from masseur.speech.base import VoiceSettings

        return VoiceSettings(voice=self.voice or language, rate=self.words_per_minute)

    def session_options(
        self, voice_id: str | None, *, text_only: bool, no_voice: str | None, start_ms: int = 0
    ) -> SessionOptions:
        """What the live session needs: the voice found for this machine, the volumes."""
        from masseur.session import SessionOptions

        return SessionOptions(
            voice=voice_id,
            rate=self.words_per_minute,
            volume=self.volume,
            chime_volume=self.chime_volume,
            require_audio=self.require_audio,
            text_only=text_only,
            no_voice=no_voice,
            start_ms=start_ms,
        )


def load_environment(environ: Mapping[str, str] | None = None) -> dict[str, SettingValue]:
    """Settings given as ``MASSEUR_<NAME>`` variables; an empty variable counts as unset."""
    environ = os.environ if environ is None else environ
    values: dict[str, SettingValue] = {}
    for name, setting in SETTINGS.items():
        text = environ.get(setting.env_var)
        if text is None or not text.strip():
            continue
        try:
            values[name] = parse_text_value(name, text)
        except ValueError as error:
            raise BadInput(f"environment variable {setting.env_var}: {error}") from None
    return values


def routine_layer(routine: Routine) -> dict[str, SettingValue]:
    """What a routine file chooses for itself (already checked when it was loaded)."""
    return {
        "rate": routine.voice.rate,
        "voice": routine.voice.voice or None,
        "volume": routine.voice.volume,
        "chime_volume": routine.chime_volume,
    }


def _take(values: Mapping[str, SettingValue], name: str, kind: type[_T]) -> _T:
    value = values[name]
    assert isinstance(value, kind), f"{name} = {value!r} is not a {kind.__name__}"
    return value


def _take_optional(values: Mapping[str, SettingValue], name: str, kind: type[_T]) -> _T | None:
    return None if values[name] is None else _take(values, name, kind)


def resolve(
    command_line: Mapping[str, object | None],
    *,
    routine: Routine | None = None,
    path: Path | None = None,
    environ: Mapping[str, str] | None = None,
) -> Settings:
    """The effective settings: default < routine < config file < environment < command line.

    ``command_line`` maps setting names to what the user gave; ``None`` means "not given".
    A name that is not a setting is a programming mistake (ValueError); a bad value from
    any source is BadInput. Without a routine, ``rate`` stays None when no layer sets it.
    """
    for name in command_line:
        if name not in SETTINGS:
            raise ValueError(unknown_setting_message(name))
    path = path or config_path()
    layers: list[tuple[Source, Mapping[str, object | None]]] = [
        ("routine", routine_layer(routine) if routine is not None else {}),
        ("config file", load_config(path)),
        ("environment", load_environment(environ)),
        ("command line", command_line),
    ]
    values: dict[str, SettingValue] = {name: s.default for name, s in SETTINGS.items()}
    sources: dict[str, Source] = dict.fromkeys(SETTINGS, "default")
    for source, layer in layers:
        for name, value in layer.items():
            if value is None:
                continue
            if source in ("routine", "command line"):  # the others were checked on reading
                try:
                    value = check_value(SETTINGS[name], value)
                except ValueError as error:
                    raise BadInput(str(error)) from None
            assert isinstance(value, int | float | str | bool)
            values[name] = value
            sources[name] = source
    if routine is not None and values["rate"] is None:
        values["rate"] = DEFAULT_RATE
    return Settings(
        rate=_take_optional(values, "rate", int),
        voice=_take_optional(values, "voice", str),
        volume=_take(values, "volume", float),
        chime_volume=_take(values, "chime_volume", float),
        countdown=_take(values, "countdown", bool),
        halfway=_take(values, "halfway", bool),
        chimes=_take(values, "chimes", bool),
        plain=_take(values, "plain", bool),
        require_audio=_take(values, "require_audio", bool),
        sources=MappingProxyType(sources),
        config_path=path,
    )
