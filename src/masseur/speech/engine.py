"""Which espeak-ng and pyttsx3 masseur would use, found without starting either."""

from __future__ import annotations

import contextlib
import hashlib
import os
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from masseur.speech.base import INSTALL_ESPEAK, INSTALL_PYTTSX3, SpeechUnavailable

# pyttsx3's own list of places to find the library (drivers/_espeak.py), Linux first.
_LIBRARY_NAMES = (
    "libespeak-ng.so.1",
    "/usr/local/lib/libespeak-ng.so.1",
    "libespeak.so.1",
    "/opt/homebrew/lib/libespeak-ng.1.dylib",
    "/usr/local/lib/libespeak-ng.1.dylib",
)


@dataclass(frozen=True)
class EngineIdentity:
    espeak_version: str
    fingerprint: str  # changes when espeak-ng, its data or pyttsx3 is upgraded


_identity: EngineIdentity | None = None
_identity_lock = threading.Lock()


def _load_espeak_library() -> Any:
    # Imported only here: a session or an export learns the engine from its worker, which
    # loads the library itself, so masseur's own start need not import ctypes (2.4 ms).
    import ctypes

    errors = []
    for name in _LIBRARY_NAMES:
        try:
            return ctypes.CDLL(name)
        except OSError as error:
            errors.append(str(error))
    detail = errors[0] if errors else "libespeak-ng.so.1 not found"
    raise SpeechUnavailable(
        f"speech needs espeak-ng, which is missing or broken ({detail}); {INSTALL_ESPEAK}"
    )


def _stat_marks(paths: Sequence[Path]) -> list[str]:
    marks = []
    for path in paths:
        try:
            status = path.stat()
        except OSError:
            marks.append(f"{path.name}:missing")
        else:
            marks.append(f"{path.name}:{status.st_size}:{status.st_mtime_ns}")
    return marks


def _data_marks(data_dir: Path) -> list[str]:
    # Voices live in lang/<family>/ and voices/<kind>/; adding one (an mbrola package, say)
    # changes its folder's mtime. phondata changes with every espeak-ng data upgrade.
    folders = [data_dir / "phondata", data_dir / "lang", data_dir / "voices"]
    for top in ("lang", "voices"):
        with contextlib.suppress(OSError), os.scandir(data_dir / top) as entries:
            folders.extend(Path(entry.path) for entry in entries if entry.is_dir())
    return _stat_marks(sorted(folders))


def _pyttsx3_package() -> Path:
    import importlib.util

    spec = importlib.util.find_spec("pyttsx3")
    if spec is None or spec.origin is None:
        raise SpeechUnavailable(
            "speech needs the Python package pyttsx3, which is not installed; " + INSTALL_PYTTSX3
        )
    return Path(spec.origin).parent


def _identity_of(version: str, data_dir: Path, package: Path) -> EngineIdentity:
    marks = [
        f"espeak-ng {version}",
        *_data_marks(data_dir),
        *_stat_marks([package / "drivers" / "espeak.py", package / "drivers" / "_espeak.py"]),
    ]
    digest = hashlib.sha256("\n".join(marks).encode()).hexdigest()[:16]
    return EngineIdentity(version, digest)


def engine_identity() -> EngineIdentity:
    """Which espeak-ng and pyttsx3 we would use, without starting either (a few ms).

    Raises SpeechUnavailable when either is missing. Loading the library only maps it; the
    engine itself (which can exit the process when its data is missing) is never started here.
    """
    global _identity
    with _identity_lock:
        if _identity is not None:
            return _identity
        package = _pyttsx3_package()
        library = _load_espeak_library()
        import ctypes

        try:
            library.espeak_ng_InitializePath(None)  # only works out where the data is
            data_path = ctypes.c_char_p()
            library.espeak_Info.restype = ctypes.c_char_p
            version_bytes = library.espeak_Info(ctypes.byref(data_path)) or b"unknown"
            version = version_bytes.decode("utf-8", errors="replace")
            data_dir = Path((data_path.value or b"").decode("utf-8", errors="replace"))
        except AttributeError as error:  # an espeak (not -ng) library without these functions
            raise SpeechUnavailable(
                f"speech needs espeak-ng, but the library found is too old ({error}); "
                f"{INSTALL_ESPEAK}"
            ) from None
        _identity = _identity_of(version, data_dir, package)
        return _identity


def known_engine_identity() -> EngineIdentity | None:
    """The identity if this process has found it already, else None (finds nothing)."""
    return _identity


def adopt_engine_identity(ready: Mapping[str, Any]) -> None:
    """Take the identity from a started espeak-ng engine's ready message (its version and
    data folder), unless it is known already: the fingerprint :func:`engine_identity` would
    find, without loading the library into this process, which took 10-16 ms of a start."""
    global _identity
    version, data = ready.get("espeak"), ready.get("data")
    if not isinstance(version, str) or not isinstance(data, str) or not data:
        return  # a Piper engine, or a worker from before the data folder was said
    with _identity_lock, contextlib.suppress(SpeechUnavailable):
        if _identity is None:
            _identity = _identity_of(version, Path(data), _pyttsx3_package())
