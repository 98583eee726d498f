"""The checks ``masseur doctor`` makes of Python, sound and speech (Piper too), and their Check.

Probes that could hang or kill their process (pyttsx3's init, opening the sound device) run
in a child process, so that a broken installation cannot take the doctor down with it.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from masseur.errors import MasseurError
from masseur.text import one_line

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


def _run_probe(script: str) -> subprocess.CompletedProcess[str]:
    """Run ``script`` in a fresh Python; TimeoutExpired if it takes too long."""
    return subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        timeout=SUBPROCESS_TIMEOUT_S,
        stdin=subprocess.DEVNULL,
    )


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


# --------------------------------------------------------------------------- espeak-ng and pyttsx3


def check_espeak_command() -> Iterable[Check]:
    binary = shutil.which("espeak-ng")
    if binary is None:
        yield _warn(
            "espeak-ng command",
            "not found (masseur speaks through the library, but the command comes with "
            "its voice data)",
            "sudo apt-get install espeak-ng",
        )
        return
    try:
        finished = subprocess.run(
            [binary, "--version"], capture_output=True, text=True, timeout=SUBPROCESS_TIMEOUT_S
        )
    except (OSError, subprocess.TimeoutExpired) as error:
        yield _warn("espeak-ng command", f"{binary} does not run: {error}")
        return
    version = finished.stdout.strip().split("  ")[0] or "unknown version"
    yield _ok("espeak-ng command", f"{binary}: {version}")


def check_espeak_library() -> Iterable[Check]:
    from masseur.speech import SpeechUnavailable, engine_identity

    try:
        identity = engine_identity()
    except SpeechUnavailable as error:
        fix = "pip install pyttsx3" if "pyttsx3" in str(error) else "sudo apt-get install espeak-ng"
        yield _fail("espeak-ng library", one_line(str(error), 200), fix)
        return
    yield _ok("espeak-ng library", f"libespeak-ng {identity.espeak_version}")


# Runs in a child process so that a pyttsx3 that hangs or kills its process cannot take the
# doctor down with it. The last line of stdout is the answer (pyttsx3 may print before it).
_PYTTSX3_PROBE = """
import json, importlib.metadata
import pyttsx3
engine = pyttsx3.init("espeak")
voices = engine.getProperty("voices")
print()
print(json.dumps({"version": importlib.metadata.version("pyttsx3"), "voices": len(voices)}))
"""


def check_pyttsx3() -> Iterable[Check]:
    try:
        finished = _run_probe(_PYTTSX3_PROBE)
    except subprocess.TimeoutExpired:
        yield _fail(
            "pyttsx3",
            f"pyttsx3.init() did not finish in {SUBPROCESS_TIMEOUT_S:g} s",
            "sudo apt-get install --reinstall espeak-ng espeak-ng-data",
        )
        return
    lines = finished.stdout.strip().splitlines()
    try:
        answer = json.loads(lines[-1]) if finished.returncode == 0 and lines else None
    except ValueError:
        answer = None
    if not isinstance(answer, dict):
        error_lines = finished.stderr.strip().splitlines()
        reason = error_lines[-1] if error_lines else f"exit status {finished.returncode}"
        missing = "No module named 'pyttsx3'" in finished.stderr
        yield _fail(
            "pyttsx3",
            "not installed" if missing else f"import and init failed: {one_line(reason, 200)}",
            "pip install pyttsx3" if missing else "sudo apt-get install espeak-ng",
        )
        return
    yield _ok("pyttsx3", f"pyttsx3 {answer['version']} starts the espeak driver")


def check_voices(configured_voice: str | None) -> Iterable[Check]:
    from masseur.speech import list_voices, resolve_voice

    try:
        voices = list_voices()
    except MasseurError as error:
        yield _fail(
            "voices", one_line(str(error), 200), "sudo apt-get install espeak-ng espeak-ng-data"
        )
        return
    if not voices:
        yield _fail("voices", "espeak-ng has no voices", "sudo apt-get install espeak-ng-data")
        return
    default = next((voice.id for voice in voices if voice.is_default), voices[0].id)
    yield _ok("voices", f"{len(voices)} voices, default {default}")
    try:
        russian = resolve_voice("ru", None)
    except MasseurError:
        russian = None
    if russian is None:
        yield _warn(
            "russian voice",
            "none installed: Russian routines would be read by another voice",
            "sudo apt-get install espeak-ng-data",
        )
    else:
        yield _ok("russian voice", russian)
    if configured_voice:
        try:
            chosen = resolve_voice(configured_voice, None)
        except MasseurError as error:
            yield _fail(
                "voice setting",
                f"voice = {configured_voice!r}: {one_line(str(error), 200)}",
                "masseur voices, then masseur config set voice ID",
            )
        else:
            yield _ok("voice setting", f"{configured_voice!r} speaks with {chosen}")


def check_piper() -> Iterable[Check]:
    """Piper is optional: report it, its voices, and that it really speaks when it is there."""
    from masseur.speech.piper_voices import (
        find_piper_voices,
        piper_installed,
        piper_version,
        voices_dir,
    )

    voices = find_piper_voices()
    names = ", ".join(voice.id for voice in voices[:3]) + (" ..." if len(voices) > 3 else "")
    if not piper_installed():
        if voices:
            yield _warn(
                "piper",
                f"not installed, so {_count(len(voices), 'Piper voice')} cannot be used: {names}",
                "pip install 'masseur[piper]'",
            )
        else:
            yield _ok("piper", "not installed (optional: pip install 'masseur[piper]')")
        return
    if not voices:
        yield _warn(
            "piper",
            f"piper-tts {piper_version()} is installed but has no voices",
            f"put a voice's .onnx and .onnx.json files in {voices_dir()}",
        )
        return
    yield from _check_piper_speaks(voices[0].id, f"piper-tts {piper_version()}, {names}")


def _check_piper_speaks(voice_id: str, found: str) -> Iterable[Check]:
    from masseur.speech import Pyttsx3Synthesizer, VoiceSettings

    with (
        tempfile.TemporaryDirectory(prefix="masseur-doctor-") as scratch,
        Pyttsx3Synthesizer(Path(scratch)) as synthesizer,
    ):
        try:
            synthesizer.synthesize("Ready.", VoiceSettings(voice_id), timeout=60)
        except MasseurError as error:
            yield _fail("piper", f"{found}: {one_line(str(error), 200)}", None)
            return
    yield _ok("piper", f"{found} (speaks)")


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
        finished = _run_probe(_AUDIO_PROBE)
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
