"""What `list` shows of each routine, kept in a small index so it need not parse them all.

Loading a routine means importing the YAML reader, parsing the file and building its
timeline, for every routine. The index keeps each routine file's title, length, step count
and language (or why it is invalid), keyed by its path, size and modification time, and by
the masseur version and the modules that decide those values. Anything that changes one
of them makes that entry be worked out again.
"""

from __future__ import annotations

import contextlib
import json
from pathlib import Path
from typing import Any

from masseur import __version__, atomic
from masseur.errors import MasseurError
from masseur.library import RoutineEntry

INDEX_FORMAT = 1
# The modules whose code decides what the index holds (the loader, the timeline and what
# it is built from): a change to any of them (an upgrade, an edited checkout) rebuilds it.
_DECIDING_MODULES = (
    "routine.py",
    "typed_yaml.py",
    "yaml_reader.py",
    "timeline.py",
    "spacing.py",
    "phrases.py",
    "speech/estimate.py",
)


def _index_path() -> Path:
    from masseur.paths import cache_dir

    return cache_dir() / "routine-index.json"


def _code_mark(settings: str) -> str:
    package = Path(__file__).parent
    marks = [f"masseur {__version__}", f"index {INDEX_FORMAT}", f"settings {settings}"]
    for name in _DECIDING_MODULES:
        try:
            status = (package / name).stat()
            marks.append(f"{name}:{status.st_size}:{status.st_mtime_ns}")
        except OSError:
            marks.append(f"{name}:missing")
    return "|".join(marks)


def _file_mark(path: Path) -> list[int] | None:
    try:
        status = path.stat()
    except OSError:
        return None
    return [status.st_size, status.st_mtime_ns]


def _summarize(entry: RoutineEntry) -> dict[str, Any]:
    from masseur import config
    from masseur.timeline import build_timeline

    try:
        routine = entry.load()
    except MasseurError as error:
        return {"title": None, "total_ms": None, "steps": None, "parts": None, "error": str(error)}
    # The same timeline `run` would play with the person's settings, so the lengths agree.
    options = config.resolve({}, routine=routine).timeline_options()
    timeline = build_timeline(routine, options)
    return {
        "title": routine.title,
        "total_ms": timeline.total_ms,
        "steps": timeline.step_count,
        "parts": len(timeline.segments),
        "language": routine.language,
    }


def _settings_mark() -> str:
    """The settings from the file and the environment that shape a timeline."""
    from masseur import config

    settings = config.resolve({})
    shaping = ("rate", "countdown", "halfway", "chimes")
    return json.dumps([getattr(settings, name) for name in shaping])


def _read_index(code: str) -> dict[str, Any]:
    with contextlib.suppress(OSError, ValueError, TypeError):
        data = json.loads(_index_path().read_text(encoding="utf-8"))
        if isinstance(data, dict) and data.get("code") == code:
            entries = data.get("entries")
            if isinstance(entries, dict):
                return entries
    return {}


def summaries(entries: list[RoutineEntry]) -> list[dict[str, Any]]:
    """For each routine: title, total_ms, steps, parts and language, or those None and
    ``error``. Read from the index where it is current; the index is then updated."""
    code = _code_mark(_settings_mark())
    index = _read_index(code)
    kept: dict[str, Any] = {}
    found = []
    for entry in entries:
        key = str(entry.path.resolve())
        mark = _file_mark(entry.path)
        known = index.get(key)
        if isinstance(known, dict) and mark is not None and known.get("mark") == mark:
            summary = known["summary"]
        else:
            summary = _summarize(entry)
        if mark is not None:
            kept[key] = {"mark": mark, "summary": summary}
        found.append(dict(summary))
    if kept != index:
        document = {"code": code, "entries": kept}
        with contextlib.suppress(OSError):
            path = _index_path()
            path.parent.mkdir(parents=True, exist_ok=True)
            # Only a cache: no need to wait for the disk.
            atomic.write_bytes(path, json.dumps(document).encode("utf-8"), durable=False)
    return found
