"""Find routines by name (built-in or the user's own) or by path."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from masseur import paths
from masseur.errors import BadInput
from masseur.text import close_matches

if TYPE_CHECKING:
    from masseur.routine import Routine

ROUTINE_SUFFIXES = (".yaml", ".yml")
Origin = Literal["built-in", "user", "file"]


@dataclass(frozen=True)
class RoutineEntry:
    """A routine file that a name refers to, before it is loaded."""

    name: str
    path: Path
    origin: Origin
    shadows_builtin: bool = False

    def load(self) -> Routine:
        from masseur.routine import load_routine

        return load_routine(self.path)


def _routine_files(folder: Path) -> dict[str, Path]:
    if not folder.is_dir():
        return {}
    found: dict[str, Path] = {}
    for path in sorted(folder.iterdir()):
        if path.suffix in ROUTINE_SUFFIXES and path.is_file() and not path.name.startswith("."):
            found.setdefault(path.stem, path)
    return found


def available_routines() -> list[RoutineEntry]:
    """Every routine a name can reach; a user routine hides the built-in of the same name."""
    builtin = _routine_files(paths.builtin_routines_dir())
    user = _routine_files(paths.user_routines_dir())
    entries = [
        RoutineEntry(name, path, "user", shadows_builtin=name in builtin)
        for name, path in user.items()
    ]
    entries += [
        RoutineEntry(name, path, "built-in") for name, path in builtin.items() if name not in user
    ]
    return sorted(entries, key=lambda entry: entry.name)


def looks_like_path(spec: str) -> bool:
    return "/" in spec or "\\" in spec or spec.endswith(ROUTINE_SUFFIXES)


def find_routine(spec: str) -> RoutineEntry:
    """Resolve a routine name or a path to a file; BadInput with suggestions if nothing fits."""
    if looks_like_path(spec) or Path(spec).is_file():
        path = Path(spec).expanduser()
        if not path.exists():
            raise BadInput("no such file", location=spec)
        return RoutineEntry(path.stem, path, "file")
    entries = {entry.name: entry for entry in available_routines()}
    if spec in entries:
        return entries[spec]
    close = close_matches(spec, entries, n=3, cutoff=0.5)
    hint = (
        f"did you mean {' or '.join(repr(c) for c in close)}?"
        if close
        else ("run `masseur list` to see the routines")
    )
    raise BadInput(f"no routine named '{spec}'; {hint}")


def load(spec: str) -> tuple[RoutineEntry, Routine]:
    entry = find_routine(spec)
    return entry, entry.load()
