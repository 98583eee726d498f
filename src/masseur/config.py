"""The user's settings: ``config.toml``, ``MASSEUR_*`` environment variables and the command line.

Each setting is looked up in that order of strength: the command line beats the environment,
which beats the file, which beats the built-in default. :func:`resolve` also says where every
value came from, so ``masseur config`` can explain why a session sounds the way it does.

The file is flat TOML (no tables)::

    rate = 140
    voice = "ru"
    countdown = true
"""

from __future__ import annotations

import difflib
import math
import os
import re
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from masseur import paths
from masseur.errors import BadInput

CONFIG_FILE_NAME = "config.toml"
ENV_PREFIX = "MASSEUR_"
DEFAULT_RATE = 150
"""Words per minute when neither the settings nor the routine choose a rate."""

Source = Literal["default", "config file", "environment", "command line"]
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
            80,  # espeak-ng does not go slower
            400,
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


def config_path() -> Path:
    """Where the settings file is (it need not exist)."""
    return paths.config_dir() / CONFIG_FILE_NAME


@dataclass(frozen=True)
class Resolved:
    """The effective settings, and for each one where it came from."""

    values: dict[str, SettingValue]
    sources: dict[str, Source]
    config_path: Path = field(default_factory=config_path)


# --------------------------------------------------------------------------- checking values


def _unknown_setting_message(name: str) -> str:
    close = difflib.get_close_matches(name, list(SETTINGS), n=1, cutoff=0.6)
    hint = f"did you mean '{close[0]}'?" if close else f"known settings: {', '.join(SETTINGS)}"
    return f"unknown setting '{name}'; {hint}"


def _check_value(setting: Setting, value: object) -> SettingValue:
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
        raise ValueError(_unknown_setting_message(name))
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
    return _check_value(setting, value)


# --------------------------------------------------------------------------- the file


def _find_key(text: str, key: str) -> tuple[int, int] | None:
    """1-based line and column where ``key`` is assigned at the top level, if it is."""
    pattern = re.compile(
        rf"""^[ \t]*(?:{re.escape(key)}|"{re.escape(key)}"|'{re.escape(key)}')[ \t]*="""
    )
    for number, line in enumerate(text.splitlines(), start=1):
        if line.lstrip().startswith("["):
            break  # past the top level
        if pattern.match(line):
            return number, len(line) - len(line.lstrip()) + 1
    return None


def _toml_position(message: str) -> tuple[int, int, str]:
    """Split tomllib's "... (at line 3, column 7)" into the place and the message."""
    match = re.search(r"\s*\(at line (\d+), column (\d+)\)\s*$", message)
    if match is None:
        match_eof = re.search(r"\s*\(at end of document\)\s*$", message)
        if match_eof is not None:
            return 0, 0, message[: match_eof.start()]
        return 1, 1, message
    return int(match.group(1)), int(match.group(2)), message[: match.start()]


def _parse_config_text(text: str, source: str) -> dict[str, SettingValue]:
    import tomllib

    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        line, column, message = _toml_position(str(error))
        if line == 0:  # "at end of document": point at the end of the last line
            last_lines = text.rstrip("\n").split("\n")
            line, column = len(last_lines), len(last_lines[-1]) + 1
        if message.startswith("Cannot overwrite a value"):
            message = "this setting is given twice; keep only one"
        raise BadInput(
            f"not valid TOML: {message[:1].lower()}{message[1:]}",
            location=f"{source}:{line}:{column}",
        ) from None
    values: dict[str, SettingValue] = {}
    for key, value in data.items():
        line, column = _find_key(text, key) or (1, 1)
        where = f"{source}:{line}:{column}"
        if isinstance(value, dict):
            raise BadInput(
                f"tables such as [{key}] are not used; write settings at the top level",
                location=where,
            )
        setting = SETTINGS.get(key)
        if setting is None:
            raise BadInput(_unknown_setting_message(key), location=where)
        try:
            values[key] = _check_value(setting, value)
        except ValueError as error:
            raise BadInput(str(error), location=where) from None
    return values


def _read_config_text(path: Path) -> str | None:
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return None
    except IsADirectoryError:
        raise BadInput("is a folder, not a settings file", location=str(path)) from None
    except OSError as error:
        raise BadInput(f"cannot read: {error.strerror}", location=str(path)) from None
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        raise BadInput(
            "file is not valid UTF-8 text; save it as UTF-8", location=f"{path}:{line}:1"
        ) from None


def load_config(path: Path | None = None) -> dict[str, SettingValue]:
    """The settings written in the file (only those present); ``{}`` if there is no file.

    Raises BadInput ``path:line:col: message`` for broken TOML, unknown keys (with a
    did-you-mean) and values of the wrong type or out of range.
    """
    path = path or config_path()
    text = _read_config_text(path)
    if text is None:
        return {}
    return _parse_config_text(text, str(path))


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


def resolve(
    command_line: Mapping[str, object | None],
    *,
    path: Path | None = None,
    environ: Mapping[str, str] | None = None,
) -> Resolved:
    """The effective settings: default < config file < environment < command line.

    ``command_line`` maps setting names to what the user gave; ``None`` means "not given".
    A name that is not a setting is a programming mistake (ValueError); a bad value from
    any source is BadInput.
    """
    for name in command_line:
        if name not in SETTINGS:
            raise ValueError(_unknown_setting_message(name))
    path = path or config_path()
    layers: list[tuple[Source, Mapping[str, object | None]]] = [
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
            if source == "command line":
                try:
                    value = _check_value(SETTINGS[name], value)
                except ValueError as error:
                    raise BadInput(str(error)) from None
            assert isinstance(value, int | float | str | bool)
            values[name] = value
            sources[name] = source
    return Resolved(values, sources, path)


# --------------------------------------------------------------------------- editing the file


def format_toml_value(value: SettingValue) -> str:
    """A value as TOML source text."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        import json

        # JSON string escapes (\", \\, \n, \uXXXX) are all valid in TOML basic strings.
        return json.dumps(value, ensure_ascii=False)
    raise TypeError(f"cannot write {value!r} as a setting")


def _render(values: Mapping[str, SettingValue]) -> str:
    lines = ["# masseur settings; see `masseur config` and `masseur config --help`."]
    lines += [f"{name} = {format_toml_value(v)}" for name, v in values.items() if v is not None]
    return "\n".join(lines) + "\n"


def _edited_text(text: str, name: str, value: SettingValue) -> str:
    """The file text with ``name`` set to ``value`` (or removed if None), other lines kept."""
    lines = text.splitlines(keepends=True)
    position = _find_key(text, name)
    if position is not None:
        index = position[0] - 1
        if value is None:
            del lines[index]
        else:
            ending = "\n" if lines[index].endswith("\n") else ""
            lines[index] = f"{name} = {format_toml_value(value)}{ending}"
        return "".join(lines)
    if value is None:
        return text
    if text and not text.endswith("\n"):
        text += "\n"
    return text + f"{name} = {format_toml_value(value)}\n"


def _write_atomically(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(prefix=".config-", suffix=".toml", dir=path.parent)
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _change_setting(path: Path | None, name: str, value: SettingValue) -> Path:
    path = path or config_path()
    if name not in SETTINGS:
        raise BadInput(_unknown_setting_message(name))
    text = _read_config_text(path) or ""
    current = _parse_config_text(text, str(path))  # refuse to edit a file we cannot read
    wanted = {**current, name: value}
    if value is None:
        del wanted[name]
    new_text = _edited_text(text, name, value)
    # The line edit keeps comments; if it did not give exactly the wanted settings (a value
    # spread over several lines, say), write the settings out plainly instead.
    try:
        edited_ok = _parse_config_text(new_text, str(path)) == wanted
    except BadInput:
        edited_ok = False
    _write_atomically(path, new_text if edited_ok else _render(wanted))
    return path


def set_setting(name: str, text: str, path: Path | None = None) -> SettingValue:
    """Write ``name = <text read as the setting's type>`` into the file, atomically.

    Other settings and comments stay. Returns the value written; BadInput if it is not valid.
    """
    if name not in SETTINGS:
        raise BadInput(_unknown_setting_message(name))
    try:
        value = parse_text_value(name, text)
    except ValueError as error:
        raise BadInput(str(error)) from None
    _change_setting(path, name, value)
    return value


def unset_setting(name: str, path: Path | None = None) -> bool:
    """Remove ``name`` from the file, atomically. Returns whether it was there."""
    path = path or config_path()
    if name not in SETTINGS:
        # A misspelt key blocks every command until it is gone, so it can be removed here.
        text = _read_config_text(path) or ""
        if _find_key(text, name) is None:
            raise BadInput(_unknown_setting_message(name))
        _write_atomically(path, _edited_text(text, name, None))
        return True
    present = name in load_config(path)
    if present:
        _change_setting(path, name, None)
    return present
