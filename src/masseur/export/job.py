"""What a format's writer is given (one Job), and where its output goes: a file or stdout.

Files are written through masseur.atomic: a failed or interrupted export leaves no partial
file behind, and an existing file is replaced only when asked to.
"""

from __future__ import annotations

import errno
import os
import shutil
import stat
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING

from masseur import atomic
from masseur.errors import BadInput, MasseurError

if TYPE_CHECKING:
    from masseur.export.formats import ExportFormat
    from masseur.routine import Routine
    from masseur.speech.base import Synthesizer, VoiceSettings
    from masseur.timeline import Timeline

ProgressCallback = Callable[[str, int, int], None]
"""``progress(stage, done, total)``; stage is ``"speech"`` (sentences) or ``"audio"`` (frames)."""


def not_interrupted() -> None:
    """The interrupt check of an export that cannot be interrupted: it never raises."""


@dataclass(frozen=True)
class Destination:
    """A file (``target``), or ``stream`` when target is None; ``force`` replaces a file."""

    target: Path | None
    stream: IO[str] | None = None
    force: bool = False

    def write_text(self, text: str) -> None:
        """The text to the stream, or atomically to the file."""
        if self.target is None:
            assert self.stream is not None
            self.stream.write(text)
            self.stream.flush()
            return

        def write(path: Path) -> None:
            with path.open("w", encoding="utf-8", newline="\n") as handle:
                handle.write(text)

        write_atomically(self.target, write, force=self.force)


@dataclass(frozen=True)
class Levels:
    """How loud speech and chimes are in an audio export, each a gain from 0 to 1."""

    speech: float = 1.0
    chimes: float = 1.0


@dataclass(frozen=True)
class Job:
    """One export: the session to render, in which format, with what voice, to where."""

    format: ExportFormat
    timeline: Timeline
    routine: Routine
    destination: Destination
    voice: VoiceSettings
    levels: Levels = Levels()
    synthesizer: Synthesizer | None = None  # given when the export is heard (is_heard)
    progress: ProgressCallback | None = None
    with_audio: bool = False  # a guide that embeds the session's audio
    check_interrupt: Callable[[], None] = not_interrupted

    def speech(self) -> Synthesizer:
        assert self.synthesizer is not None, f"{self.format.name} needs a synthesizer"
        return self.synthesizer


Writer = Callable[[Job], "str | None"]
"""A format's ``write(job)``: writes the export and returns a warning line, or None."""


def is_stream(target: Path) -> bool:
    """Whether ``target`` is a named pipe or a character device (``/dev/null``, a terminal,
    ``/dev/stdout``): written into as a stream, never replaced, so no --force is needed."""
    try:
        mode = target.stat().st_mode
    except OSError:
        return False
    return stat.S_ISFIFO(mode) or stat.S_ISCHR(mode)


def check_target(target: Path, *, force: bool) -> None:
    if target.is_dir():
        raise BadInput(f"{target} is a folder; give a file name")
    if is_stream(target):
        return
    if target.exists() and not target.is_file():
        raise BadInput(
            f"{target} is not a regular file (a disk device or a socket); masseur writes "
            "files, named pipes and devices such as /dev/null; give a file name"
        )
    if target.exists() and not force:
        raise BadInput(f"{target} exists; use --force to overwrite")
    if not target.parent.is_dir():
        raise BadInput(f"folder {target.parent} does not exist")


def write_atomically(target: Path, write: Callable[[Path], None], *, force: bool) -> None:
    """Call ``write(temporary_path)``, then move the result onto ``target`` in one step.

    The temporary file sits in the target's folder (so the move is atomic) and is removed
    whatever happens: a failed or interrupted export leaves no partial file behind. An
    existing ``target`` is replaced only with ``force``.
    """
    check_target(target, force=force)
    if is_stream(target):
        _write_into_stream(target, write)
        return
    try:
        with atomic.replacing(target, overwrite=force) as temporary:
            write(temporary)
    except FileExistsError:
        raise BadInput(f"{target} exists; use --force to overwrite") from None
    except OSError as error:
        raise MasseurError(f"cannot write {target}: {error.strerror or error}") from None


def _write_into_stream(target: Path, write: Callable[[Path], None]) -> None:
    """Make the export in a temporary folder (writers seek and reopen their file), then pour
    it into the pipe or device; the special file itself is never replaced."""
    with tempfile.TemporaryDirectory(prefix="masseur-export-") as folder:
        made = Path(folder) / target.name
        write(made)
        try:
            # Without O_NONBLOCK a named pipe nobody reads would wait here for ever.
            descriptor = os.open(target, os.O_WRONLY | os.O_NONBLOCK | os.O_CLOEXEC)
        except OSError as error:
            if error.errno == errno.ENXIO:
                raise MasseurError(
                    f"nothing is reading from the named pipe {target}; start the program "
                    "that reads it first"
                ) from None
            raise MasseurError(f"cannot write {target}: {error.strerror or error}") from None
        try:
            os.set_blocking(descriptor, True)
            with made.open("rb") as source, open(descriptor, "wb", closefd=False) as sink:
                shutil.copyfileobj(source, sink)
        except OSError as error:
            raise MasseurError(f"cannot write {target}: {error.strerror or error}") from None
        finally:
            os.close(descriptor)
