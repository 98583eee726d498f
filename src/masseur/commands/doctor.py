"""``masseur doctor``: is everything masseur needs here, and if not, what to do about it.

What fails and what only warns: a check fails when masseur cannot do its main job, a spoken
session, or would refuse to start (no espeak-ng library, pyttsx3 broken, no voices at all,
a broken settings file, a broken built-in routine, a simpleaudio that crashes, or no sound
while ``require_audio`` is on). It warns when masseur still works with less: no sound output
(sessions run text-only and ``export`` still makes WAV files), no Russian voice (Russian
routines are read by another voice), no ``espeak-ng`` command (the library is what is used),
a folder that cannot be written (no history, cache or new routines), an invalid routine of
your own, or damaged lines in the history.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING

import click

from masseur.commands.doctor_checks import (
    Check,
    Status,
    _count,
    _fail,
    _ok,
    _warn,
    check_audio,
    check_espeak_command,
    check_espeak_library,
    check_piper,
    check_python,
    check_pyttsx3,
    check_simpleaudio,
    check_voices,
)
from masseur.errors import ExitStatus, MasseurError
from masseur.text import one_line

if TYPE_CHECKING:
    from masseur.config import Settings

# --------------------------------------------------------------------------- folders and files


def _folder_size(folder: Path) -> tuple[int, int]:
    files = size = 0
    for root, _, names in os.walk(folder):
        for name in names:
            try:
                size += (Path(root) / name).stat().st_size
            except OSError:
                continue
            files += 1
    return files, size


def _human_size(size: int) -> str:
    amount = float(size)
    for unit in ("B", "KB", "MB", "GB"):
        if amount < 1024 or unit == "GB":
            return f"{amount:.0f} {unit}" if unit == "B" else f"{amount:.1f} {unit}"
        amount /= 1024
    return f"{size} B"


def _writable(folder: Path) -> bool:
    """Whether a file can be created in ``folder`` (tried for real: os.access lies for root)."""
    try:
        with tempfile.TemporaryFile(dir=folder):
            return True
    except OSError:
        return False


def check_folder(name: str, folder: Path, purpose: str) -> Iterable[Check]:
    if folder.exists() and not folder.is_dir():
        yield _fail(name, f"{folder} is a file, not a folder", f"move {folder} away")
        return
    if not folder.exists():
        parent = next((p for p in folder.parents if p.exists()), None)
        if parent is not None and parent.is_dir() and _writable(parent):
            yield _ok(name, f"{folder} (not created yet; made when needed)")
        else:
            yield _warn(name, f"{folder} cannot be created: {purpose}", f"mkdir -p {folder}")
        return
    files, size = _folder_size(folder)
    if not _writable(folder):
        yield _warn(
            name, f"{folder} is not writable: {purpose}", f"check the permissions of {folder}"
        )
        return
    yield _ok(name, f"{folder} ({_count(files, 'file')}, {_human_size(size)})")


def check_config() -> tuple[list[Check], Settings | None]:
    from masseur.config import config_path, load_config, resolve

    path = config_path()
    try:
        written = load_config(path)
        resolved = resolve({})
    except MasseurError as error:
        where = "masseur config" if "environment" in str(error) else f"edit {path}"
        return [_fail("settings", one_line(str(error), 200), where)], None
    if not path.exists():
        detail = f"{path} (no file; defaults apply)"
    else:
        detail = f"{path} ({len(written)} setting{'s' if len(written) != 1 else ''}, valid)"
    return [_ok("settings", detail)], resolved


def check_routines() -> Iterable[Check]:
    from masseur.library import ROUTINE_SUFFIXES, available_routines
    from masseur.paths import builtin_routines_dir
    from masseur.routine import load_routine

    builtin_files = sorted(
        path for path in builtin_routines_dir().glob("*") if path.suffix in ROUTINE_SUFFIXES
    )
    broken = []
    for path in builtin_files:
        try:
            load_routine(path)
        except MasseurError as error:
            broken.append(str(error))
    if not builtin_files:
        yield _fail(
            "built-in routines",
            f"none found in {builtin_routines_dir()}",
            "reinstall masseur: pip install --force-reinstall masseur",
        )
    elif broken:
        yield _fail(
            "built-in routines",
            f"{len(broken)} of {len(builtin_files)} invalid, first: {one_line(broken[0], 200)}",
            "reinstall masseur: pip install --force-reinstall masseur",
        )
    else:
        yield _ok("built-in routines", f"{len(builtin_files)} routines, all valid")

    own = [entry for entry in available_routines() if entry.origin == "user"]
    invalid = []
    for entry in own:
        try:
            entry.load()
        except MasseurError as error:
            invalid.append(entry.name)
            first_error = str(error)
    if invalid:
        yield _warn(
            "your routines",
            f"{len(invalid)} of {len(own)} invalid ({', '.join(invalid)}); first: "
            f"{one_line(first_error, 200)}",
            f"masseur edit {invalid[0]}",
        )
    else:
        shadowing = [entry.name for entry in own if entry.shadows_builtin]
        note = f"; used instead of the built-in: {', '.join(shadowing)}" if shadowing else ""
        yield _ok("your routines", f"{_count(len(own), 'routine')}, all valid{note}")


def check_history() -> Iterable[Check]:
    from datetime import date

    from masseur.history import history_path, scan_history

    path = history_path()
    scan = scan_history(path, date.today(), keep=0)
    warnings = scan.warnings
    sessions = _count(scan.total_sessions, "session")
    if warnings:
        yield _warn(
            "history",
            f"{path}: {sessions}, "
            f"{_count(scan.damaged_lines, 'damaged line')} skipped "
            f"(first: {warnings[0]})",
            "nothing to do unless it grows; damaged lines are ignored",
        )
    else:
        yield _ok("history", f"{path} ({sessions})")


# --------------------------------------------------------------------------- running them


def run_checks() -> list[Check]:
    from masseur import paths

    config_checks, settings = check_config()
    voice = settings.voice if settings is not None else None
    require_audio = settings is not None and settings.require_audio

    groups: list[Callable[[], Iterable[Check]]] = [
        check_python,
        check_simpleaudio,
        check_espeak_command,
        check_espeak_library,
        check_pyttsx3,
        lambda: check_voices(voice),
        check_piper,
        lambda: check_audio(require_audio),
        lambda: config_checks,
        check_routines,
        lambda: check_folder(
            "routines folder", paths.user_routines_dir(), "`masseur new` cannot save"
        ),
        lambda: check_folder("data folder", paths.data_dir(), "sessions are not logged"),
        lambda: check_folder("speech cache", paths.cache_dir(), "speech is made again every time"),
        lambda: check_folder(
            "config folder", paths.config_dir(), "`masseur config set` cannot save"
        ),
        check_history,
    ]
    checks: list[Check] = []
    for group in groups:
        try:
            checks.extend(group())
        except Exception as error:  # a check that crashes is itself a finding, not a traceback
            name = getattr(group, "__name__", "check").removeprefix("check_").replace("_", " ")
            checks.append(_fail(name, f"the check itself failed: {type(error).__name__}: {error}"))
    return checks


_STYLE: dict[Status, str] = {"ok": "green", "warn": "yellow", "fail": "red"}


@click.command("doctor", epilog="Example: masseur doctor || echo 'something needs fixing'")
@click.option("--json", "as_json", is_flag=True, help="Print the checks as JSON for scripts.")
def command(as_json: bool) -> None:
    """Check that speech, sound, folders, settings and routines work here.

    Prints one line per check: ok, warn (masseur works, with less) or fail (it cannot do
    its job), with what to do about it. The exit code is 1 if any check fails, else 0.
    A machine without a sound card gets a warning: sessions then run text-only.
    """
    from masseur.textsafety import visible

    checks = run_checks()
    failures = sum(check.status == "fail" for check in checks)
    warnings = sum(check.status == "warn" for check in checks)
    if as_json:
        click.echo(json.dumps([asdict(check) for check in checks], indent=2, ensure_ascii=False))
    else:
        from masseur.terminal import terminal_size, wrap

        width = max(len(check.name) for check in checks)
        size = terminal_size(sys.stdout)
        hanging = " " * (4 + 2 + width + 2)  # long details continue under the detail column
        for check in checks:
            line = f"{check.status:<4}  {check.name:<{width}}  {check.detail}"
            if check.fix:
                line += f" -> {check.fix}"
            # Details quote paths, settings and errors: show their control characters.
            first, *rest = wrap(visible(line), size[0] - 1 if size else None, hanging=hanging)
            label = click.style(f"{check.status:<4}", fg=_STYLE[check.status], bold=True)
            click.echo(label + first[4:])
            for more in rest:
                click.echo(more)
        click.echo(
            f"\n{failures} failure{'s' if failures != 1 else ''}, "
            f"{warnings} warning{'s' if warnings != 1 else ''}"
        )
    if failures:
        raise click.exceptions.Exit(ExitStatus.FAILURE)
