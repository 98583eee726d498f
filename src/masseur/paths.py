"""Where masseur finds its built-in files and keeps the user's own.

Every user folder can be moved with an environment variable, so tests (and people who keep
their routines in a dotfiles repo) can point masseur elsewhere.
"""

from __future__ import annotations

import os
from pathlib import Path

APP_NAME = "masseur"


def _env_dir(variable: str) -> Path | None:
    value = os.environ.get(variable)
    return Path(value).expanduser() if value else None


def data_dir() -> Path:
    """User data folder (routines, history): ``$MASSEUR_DATA_DIR`` or the platform's default."""
    import platformdirs

    return _env_dir("MASSEUR_DATA_DIR") or Path(platformdirs.user_data_dir(APP_NAME))


def user_routines_dir() -> Path:
    """The user's own routines: ``$MASSEUR_ROUTINES_DIR`` or ``<data dir>/routines``."""
    return _env_dir("MASSEUR_ROUTINES_DIR") or data_dir() / "routines"


def cache_dir() -> Path:
    """Synthesized speech and other things that can be rebuilt: ``$MASSEUR_CACHE_DIR``."""
    import platformdirs

    return _env_dir("MASSEUR_CACHE_DIR") or Path(platformdirs.user_cache_dir(APP_NAME))


def config_dir() -> Path:
    """Where ``config.toml`` lives: ``$MASSEUR_CONFIG_DIR`` or the platform's default."""
    import platformdirs

    return _env_dir("MASSEUR_CONFIG_DIR") or Path(platformdirs.user_config_dir(APP_NAME))


def _bundled(name: str) -> Path:
    # In a wheel the top-level routines/ and sounds/ folders are packed inside the package.
    # In a source checkout (editable install, tests) they sit at the top of the repository.
    # They are read as files from a folder (a routine by path, a chime by simpleaudio), so
    # the package is found from this file: importlib.resources would say the same of a
    # package on disk, and importing it (with zipfile) took 5-8 ms of every command's start.
    package = Path(__file__).resolve().parent
    packaged = package / name
    if packaged.is_dir():
        return packaged
    return package.parents[1] / name


def builtin_routines_dir() -> Path:
    return _bundled("routines")


def sounds_dir() -> Path:
    return _bundled("sounds")
