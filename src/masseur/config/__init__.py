"""The user's settings: ``config.toml``, ``MASSEUR_*`` environment variables and the command line.

Each setting is looked up in order of strength: the command line beats the environment,
which beats the file, which beats the routine's own choice, which beats the built-in
default. :func:`resolve` also says where every value came from, so ``masseur config`` can
explain why a session sounds the way it does.

``table`` lists the settings and checks values, ``file`` reads and edits ``config.toml``,
``settings`` resolves the layers into one typed :class:`Settings`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from masseur import lazy

if TYPE_CHECKING:
    from masseur.config.file import (
        CONFIG_FILE_NAME,
        config_path,
        format_toml_value,
        load_config,
        set_setting,
        unset_setting,
    )
    from masseur.config.settings import Settings, load_environment, resolve
    from masseur.config.table import (
        ENV_PREFIX,
        SETTINGS,
        Setting,
        SettingValue,
        Source,
        parse_text_value,
    )
    from masseur.speech.base import DEFAULT_RATE

# Imported on first use: the click options of run and export need only the table.
_FILE = "masseur.config.file"
_SETTINGS = "masseur.config.settings"
_TABLE = "masseur.config.table"
__getattr__ = lazy.exports(
    __name__,
    {
        "CONFIG_FILE_NAME": _FILE,
        "config_path": _FILE,
        "format_toml_value": _FILE,
        "load_config": _FILE,
        "set_setting": _FILE,
        "unset_setting": _FILE,
        "Settings": _SETTINGS,
        "load_environment": _SETTINGS,
        "resolve": _SETTINGS,
        "ENV_PREFIX": _TABLE,
        "SETTINGS": _TABLE,
        "Setting": _TABLE,
        "SettingValue": _TABLE,
        "Source": _TABLE,
        "parse_text_value": _TABLE,
        "DEFAULT_RATE": "masseur.speech.base",
    },
)

__all__ = [
    "CONFIG_FILE_NAME",
    "DEFAULT_RATE",
    "ENV_PREFIX",
    "SETTINGS",
    "Setting",
    "SettingValue",
    "Settings",
    "Source",
    "config_path",
    "format_toml_value",
    "load_config",
    "load_environment",
    "parse_text_value",
    "resolve",
    "set_setting",
    "unset_setting",
]
