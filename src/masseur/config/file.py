"""The settings file, ``config.toml``: read with line and column in every error, edited in place.

The file is flat TOML (no tables)::

    rate = 140
    voice = "ru"
    countdown = true
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator, Mapping
from pathlib import Path

from masseur import atomic, paths
from masseur.config.table import (
    SETTINGS,
    SettingValue,
    check_value,
    parse_text_value,
    unknown_setting_message,
)
from masseur.errors import BadInput, MasseurError
from masseur.files import decode_text, read_regular_file

CONFIG_FILE_NAME = "config.toml"
MAX_CONFIG_BYTES = 64 * 1024


def config_path() -> Path:
    """Where the settings file is (it need not exist)."""
    return paths.config_dir() / CONFIG_FILE_NAME


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


def parse_config_text(text: str, source: str) -> dict[str, SettingValue]:
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
            raise BadInput(unknown_setting_message(key), location=where)
        try:
            values[key] = check_value(setting, value)
        except ValueError as error:
            raise BadInput(str(error), location=where) from None
    return values


def read_config_text(path: Path) -> str | None:
    try:
        raw = read_regular_file(path, MAX_CONFIG_BYTES)  # a FIFO here must not hang masseur
    except FileNotFoundError:
        return None
    except IsADirectoryError:
        raise BadInput("is a folder, not a settings file", location=str(path)) from None
    except OSError as error:
        raise BadInput(f"cannot read: {error.strerror}", location=str(path)) from None
    if len(raw) > MAX_CONFIG_BYTES:
        raise BadInput(f"is larger than {MAX_CONFIG_BYTES // 1024} KiB", location=str(path))
    return decode_text(raw, str(path))


def load_config(path: Path | None = None) -> dict[str, SettingValue]:
    """The settings written in the file (only those present); ``{}`` if there is no file.

    Raises BadInput ``path:line:col: message`` for broken TOML, unknown keys (with a
    did-you-mean) and values of the wrong type or out of range.
    """
    path = path or config_path()
    text = read_config_text(path)
    if text is None:
        return {}
    return parse_config_text(text, str(path))


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


def _change_setting(path: Path | None, name: str, value: SettingValue) -> Path:
    path = path or config_path()
    if name not in SETTINGS:
        raise BadInput(unknown_setting_message(name))
    with _writing_settings(path):
        path.parent.mkdir(parents=True, exist_ok=True)
        with atomic.editing(path):  # another `config set` at the same moment waits its turn
            _edit_locked(path, name, value)
    return path


@contextlib.contextmanager
def _writing_settings(path: Path) -> Iterator[None]:
    """A folder that is a file, or one the user may not write to, as one line that says
    what to do (the file itself is left as it was)."""
    try:
        yield
    except OSError as error:
        raise MasseurError(
            f"cannot write the settings file there: {error.strerror or error}; check that "
            "it is a folder you can write to, or set MASSEUR_CONFIG_DIR to another one",
            location=str(path.parent),
        ) from None


def _edit_locked(path: Path, name: str, value: SettingValue) -> None:
    text = read_config_text(path) or ""
    current = parse_config_text(text, str(path))  # refuse to edit a file we cannot read
    wanted = {**current, name: value}
    if value is None:
        del wanted[name]
    new_text = _edited_text(text, name, value)
    # The line edit keeps comments; if it did not give exactly the wanted settings (a value
    # spread over several lines, say), write the settings out plainly instead.
    try:
        edited_ok = parse_config_text(new_text, str(path)) == wanted
    except BadInput:
        edited_ok = False
    atomic.write_text(path, new_text if edited_ok else _render(wanted))


def set_setting(name: str, text: str, path: Path | None = None) -> SettingValue:
    """Write ``name = <text read as the setting's type>`` into the file, atomically.

    Other settings and comments stay. Returns the value written; BadInput if it is not valid.
    """
    if name not in SETTINGS:
        raise BadInput(unknown_setting_message(name))
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
        if read_config_text(path) is None:
            raise BadInput(unknown_setting_message(name))
        with _writing_settings(path), atomic.editing(path):
            text = read_config_text(path) or ""
            if _find_key(text, name) is None:
                raise BadInput(unknown_setting_message(name))
            atomic.write_text(path, _edited_text(text, name, None))
        return True
    if name not in load_config(path):
        return False
    _change_setting(path, name, None)
    return True
