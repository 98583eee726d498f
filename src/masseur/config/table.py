"""The settings masseur has: name, type, default, bounds and help, and how a value is checked.

This one table serves the settings file, the environment, ``masseur config`` and the
command-line options' ranges, so a bound is written down once.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

from masseur.speech.base import DEFAULT_RATE, MAX_RATE, MIN_RATE
from masseur.text import close_matches

ENV_PREFIX = "MASSEUR_"

Source = Literal["default", "routine", "config file", "environment", "command line"]
"""Where a value came from, weakest first: each layer overrides the ones before it."""
SettingValue = int | float | str | bool | None


@dataclass(frozen=True)
class Setting:
    """One setting: its name, the Python type of its value, its default and a line of help."""

    name: str
    type: type
    default: SettingValue
    help: str
    minimum: float | None = None
    maximum: float | None = None

    @property
    def env_var(self) -> str:
        return ENV_PREFIX + self.name.upper()

    @property
    def type_name(self) -> str:
        names = {int: "whole number", float: "number", str: "text", bool: "true or false"}
        return names[self.type]


SETTINGS: dict[str, Setting] = {
    setting.name: setting
    for setting in (
        Setting(
            "rate",
            int,
            None,
            f"Words per minute (unset: routine's or {DEFAULT_RATE}).",
            MIN_RATE,
            MAX_RATE,
        ),
        Setting("voice", str, None, "Voice id or language code, e.g. ru."),
        Setting("volume", float, 1.0, "Speech volume, from 0 to 1.", 0, 1),
        Setting("chime_volume", float, 0.8, "Chime volume, from 0 to 1.", 0, 1),
        Setting("countdown", bool, False, "Say 'ten seconds left' near the end of steps."),
        Setting("halfway", bool, False, "Say when half of the session is done."),
        Setting("chimes", bool, True, "Play chimes between steps."),
        Setting("plain", bool, False, "Plain output: no colour, no live progress."),
        Setting("require_audio", bool, False, "Refuse to start when no sound can play."),
    )
}

_TRUE_WORDS = frozenset({"1", "true", "yes", "on"})
_FALSE_WORDS = frozenset({"0", "false", "no", "off"})


# --------------------------------------------------------------------------- checking values


def unknown_setting_message(name: str) -> str:
    close = close_matches(name, SETTINGS)
    hint = f"did you mean '{close[0]}'?" if close else f"known settings: {', '.join(SETTINGS)}"
    return f"unknown setting '{name}'; {hint}"


def check_value(setting: Setting, value: object) -> SettingValue:
    """The value if it fits the setting (ints are accepted where numbers are); else ValueError."""
    if value is None:
        return None
    expected = setting.type
    # bool is a subclass of int in Python, but `rate = true` is surely a mistake.
    if expected is float and isinstance(value, int) and not isinstance(value, bool):
        value = float(value)
    if type(value) is not expected:
        shown = "true or false" if isinstance(value, bool) else repr(value)
        raise ValueError(f"'{setting.name}' must be a {setting.type_name}, got {shown}")
    assert isinstance(value, int | float | str | bool)
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError(f"'{setting.name}' must be a finite number, got {value!r}")
    if isinstance(value, str) and not value.strip():
        raise ValueError(f"'{setting.name}' must not be empty")
    if isinstance(value, int | float) and not isinstance(value, bool):
        low, high = setting.minimum, setting.maximum
        if (low is not None and value < low) or (high is not None and value > high):
            raise ValueError(
                f"'{setting.name}' must be from {low:g} to {high:g}, got {value:g}"
                if low is not None and high is not None
                else f"'{setting.name}' is out of range: {value:g}"
            )
    return value


def parse_text_value(name: str, text: str) -> SettingValue:
    """Read a setting from text (an environment variable, ``config set``); ValueError if bad."""
    setting = SETTINGS.get(name)
    if setting is None:
        raise ValueError(unknown_setting_message(name))
    stripped = text.strip()
    value: object
    if setting.type is bool:
        word = stripped.lower()
        if word in _TRUE_WORDS:
            value = True
        elif word in _FALSE_WORDS:
            value = False
        else:
            raise ValueError(f"'{name}' must be true or false (or 1/0, yes/no), got {text!r}")
    elif setting.type is int:
        try:
            value = int(stripped)
        except ValueError:
            raise ValueError(f"'{name}' must be a whole number, got {text!r}") from None
    elif setting.type is float:
        try:
            value = float(stripped)
        except ValueError:
            raise ValueError(f"'{name}' must be a number, got {text!r}") from None
    else:
        value = stripped
    return check_value(setting, value)
