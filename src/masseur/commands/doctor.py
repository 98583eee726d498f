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
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import click

from masseur.errors import ExitStatus, MasseurError
from masseur.text import one_line

if TYPE_CHECKING:
    from masseur.config import Settings

Status = Literal["ok", "warn", "fail"]
SUBPROCESS_TIMEOUT_S = 20.0
SIMPLEAUDIO_DISTRIBUTIONS = ("simpleaudio-patched", "simpleaudio-312compat", "simpleaudio")


@dataclass(frozen=True)
class Check:
    name: str
    status: Status
    detail: str
    fix: str | None = None


def _ok(name: str, detail: str) -> Check:
    return Check(name, "ok", detail)


def _warn(name: str, detail: str, fix: str | None = None) -> Check:
    return Check(name, "warn", detail, fix)


def _fail(name: str, detail: str, fix: str | None = None) -> Check:
    return Check(name, "fail", detail, fix)


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"


# --------------------------------------------------------------------------- python and packages


def check_python() -> Iterable[Check]:
    # An older Python cannot even import masseur (pyproject requires 3.11), so this line is
    # information for bug reports rather than a test.
    version = ".".join(str(part) for part in sys.version_info[:3])
    yield _ok("python", f"Python {version} ({sys.executable})")


def _simpleaudio_distribution() -> tuple[str, str] | None:
    from importlib import metadata

    for name in SIMPLEAUDIO_DISTRIBUTIONS:
        try:
            return name, metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return None


def check_simpleaudio() -> Iterable[Check]:
    import importlib.util

    found = _simpleaudio_distribution()
    importable = importlib.util.find_spec("simpleaudio") is not None
    if found is None or not importable:
        yield _warn(
            "simpleaudio",
            "not installed: no chimes or speech through the speakers (text-only sessions)",
            "pip install simpleaudio (needs gcc and libasound2-dev), or "
            "simpleaudio-patched on Python 3.12+",
        )
        return
    name, version = found
    if name == "simpleaudio" and sys.version_info >= (3, 12):
        yield _fail(
            "simpleaudio",
            f"simpleaudio {version} crashes the program after every sound on Python 3.12+",
            "pip uninstall simpleaudio && pip install simpleaudio-patched",
        )
        return
    yield _ok("simpleaudio", f"{name} {version}")


# --------------------------------------------------------------------------- sound output

# simpleaudio can crash its process on some Pythons; probe the device in a child process.
_AUDIO_PROBE = """
import json
try:
    from masseur.audio import SimpleaudioPlayer
    SimpleaudioPlayer().probe()
except Exception as error:
    print(json.dumps({"ok": False, "error": str(error)}))
else:
    print(json.dumps({"ok": True}))
"""


def check_audio(require_audio: bool) -> Iterable[Check]:
    try:
        finished = subprocess.run(
            [sys.executable, "-c", _AUDIO_PROBE],
            capture_output=True,
            text=True,
            timeout=SUBPROCESS_TIMEOUT_S,
            stdin=subprocess.DEVNULL,
        )
        lines = finished.stdout.strip().splitlines()
        answer = json.loads(lines[-1]) if lines else None
        if not isinstance(answer, dict):
            raise ValueError(f"the sound test exited with status {finished.returncode}")
    except (subprocess.TimeoutExpired, ValueError) as error:
        answer = {"ok": False, "error": f"the sound test failed: {error}"}
    if answer.get("ok"):
        yield _ok("audio output", "a test sound played on the default output device")
        return
    # The player's own advice (after "; ") names options of `run`; the fix below replaces it.
    reason = one_line(str(answer.get("error")).split("; ")[0], 200)
    if "audio output device" not in reason:
        reason = f"no audio output device: {reason}"
    if require_audio:
        yield _fail(
            "audio output",
            f"{reason}; require_audio is on, so sessions will not start",
            "connect a sound device, or masseur config unset require_audio",
        )
    else:
        yield _warn(
            "audio output",
            f"{reason}; sessions still run, text-only",
            "connect a sound device; `masseur export ROUTINE -o session.wav` makes a file to "
            "play elsewhere",
        )


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
    from masseur.history import history_path, read_records

    path = history_path()
    records, warnings = read_records(path)
    if warnings:
        yield _warn(
            "history",
            f"{path}: {_count(len(records), 'session')}, "
            f"{_count(len(warnings), 'damaged line')} skipped "
            f"(first: {warnings[0]})",
            "nothing to do unless it grows; damaged lines are ignored",
        )
    else:
        yield _ok("history", f"{path} ({_count(len(records), 'session')})")


# --------------------------------------------------------------------------- running them


def run_checks() -> list[Check]:
    from masseur import paths

    config_checks, settings = check_config()
    voice = settings.voice if settings is not None else None
    require_audio = settings is not None and settings.require_audio
    from masseur.commands.doctor_speech import (
        check_espeak_command,
        check_espeak_library,
        check_piper,
        check_pyttsx3,
        check_voices,
    )

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
    checks = run_checks()
    failures = sum(check.status == "fail" for check in checks)
    warnings = sum(check.status == "warn" for check in checks)
    if as_json:
        click.echo(json.dumps([asdict(check) for check in checks], indent=2, ensure_ascii=False))
    else:
        width = max(len(check.name) for check in checks)
        for check in checks:
            label = click.style(f"{check.status:<4}", fg=_STYLE[check.status], bold=True)
            line = f"{label}  {check.name:<{width}}  {check.detail}"
            if check.fix:
                line += f" -> {check.fix}"
            click.echo(line)
        click.echo(
            f"\n{failures} failure{'s' if failures != 1 else ''}, "
            f"{warnings} warning{'s' if warnings != 1 else ''}"
        )
    if failures:
        raise click.exceptions.Exit(ExitStatus.FAILURE)
