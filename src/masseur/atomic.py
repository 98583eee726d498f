"""Write a file so that readers see either the old version or the whole new one, never a part.

Every file masseur writes (the speech cache, the settings file, exports, new routines) goes
through here: a temporary file in the target's own folder (so the final rename is atomic),
created with the permissions the umask gives any new file, synced to disk, then renamed onto
the target. Whatever stops the writing (an error, Ctrl-C, a signal turned into an exception)
removes the temporary file and leaves the target as it was.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator, Sequence
from pathlib import Path

TEMPORARY_SUFFIX = ".part"  # what leftover sweeps look for


def _create_beside(target: Path) -> tuple[Path, int]:
    """A new empty file beside ``target``: its name and a descriptor open for writing (and
    reading, for a file that another process fills and this one reads back)."""
    # os.open with 0o666 lets the kernel apply the umask, as for any new file (mkstemp would
    # make it 0600, and reading the umask means changing it, which races with other threads).
    folder, name = os.path.split(target)
    for _ in range(100):
        candidate = os.path.join(folder, f".{name[:200]}.{os.urandom(4).hex()}{TEMPORARY_SUFFIX}")
        try:
            descriptor = os.open(
                candidate, os.O_RDWR | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o666
            )
        except FileExistsError:
            continue
        return Path(candidate), descriptor
    raise FileExistsError(f"no free temporary name beside {target}")


def _sync(path: Path) -> None:
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def _link(temporary: Path, target: Path) -> None:
    try:
        os.link(temporary, target)  # unlike replace(), fails when the target exists
    except FileExistsError:
        raise
    except OSError:
        # A file system without hard links (FAT on a memory stick): check, then replace.
        if os.path.lexists(target):
            raise FileExistsError(f"{target} exists") from None
        os.replace(temporary, target)


class Replacement:
    """A new temporary file beside ``target``, filled while other work goes on (by this
    process or another, through :attr:`path`), then made the target by :meth:`commit` or
    removed by :meth:`discard`. A block of code that fills a file uses :func:`replacing`.

    Not synced to disk: the caller syncs :attr:`descriptor` first if the file must be durable.
    """

    def __init__(self, target: Path, *, overwrite: bool = True) -> None:
        self.target = target
        self.overwrite = overwrite
        self.path, self.descriptor = _create_beside(target)
        self._open = True

    def _close(self) -> None:
        if self._open:
            self._open = False
            os.close(self.descriptor)

    def commit(self) -> None:
        """Close the file and make it the target (see :func:`replacing`); if that fails, it
        goes, and the OSError reaches the caller."""
        renamed = False
        try:
            self._close()
            if self.overwrite:
                os.replace(self.path, self.target)
                renamed = True
            else:
                _link(self.path, self.target)
        finally:
            if not renamed:  # a link leaves the temporary name to remove, as a failure does
                with contextlib.suppress(OSError):
                    os.unlink(self.path)

    def discard(self) -> None:
        """Close the file and remove it; the target stays as it was."""
        try:
            self._close()
        finally:
            with contextlib.suppress(OSError):
                os.unlink(self.path)


@contextlib.contextmanager
def _placing(target: Path, *, overwrite: bool) -> Iterator[tuple[Path, int]]:
    """A new temporary file beside ``target``: (its name, a descriptor open for writing).

    The descriptor is closed when the block ends. If the block ends cleanly the file then
    becomes ``target`` (see :func:`replacing`); however it ends otherwise, the file goes.
    """
    replacement = Replacement(target, overwrite=overwrite)
    try:
        yield replacement.path, replacement.descriptor
    except BaseException:
        replacement.discard()
        raise
    replacement.commit()


@contextlib.contextmanager
def replacing(target: Path, *, overwrite: bool = True, durable: bool = True) -> Iterator[Path]:
    """An empty file beside ``target`` to fill; when the block ends cleanly it becomes ``target``.

    With ``overwrite=False`` an existing target, even one created while the block ran, is
    left alone and FileExistsError is raised. The folder must exist. OSError from creating,
    syncing or renaming reaches the caller, who knows what to tell the user. ``durable=False``
    skips the sync to disk, for files whose readers check them whole (a cache).
    """
    with _placing(target, overwrite=overwrite) as (temporary, _descriptor):
        yield temporary
        if durable:  # by name: the block may have written it through a file of its own
            _sync(temporary)


def write_bytes(
    target: Path,
    data: bytes | bytearray | Sequence[bytes | bytearray],
    *,
    overwrite: bool = True,
    durable: bool = True,
) -> None:
    """Put ``data`` (or its parts, one after the other, joined by no copy) in ``target``
    atomically (see :func:`replacing`)."""
    parts = [data] if isinstance(data, bytes | bytearray) else data
    # Written through the descriptor the file was created with: the speech cache writes two
    # files per sentence, and opening each again cost a third of the time of writing it.
    with _placing(target, overwrite=overwrite) as (_temporary, descriptor):
        for part in parts:
            view = memoryview(part)
            while view:  # a write may take less than it is given
                view = view[os.write(descriptor, view) :]
        if durable:
            os.fsync(descriptor)


def write_text(target: Path, text: str, *, overwrite: bool = True) -> None:
    """Put ``text`` in ``target`` as UTF-8, atomically (see :func:`replacing`)."""
    write_bytes(target, text.encode("utf-8"), overwrite=overwrite)


LOCK_SUFFIX = ".lock"


@contextlib.contextmanager
def editing(target: Path) -> Iterator[None]:
    """Hold the lock of ``target`` for a read-modify-write: other masseur processes wait.

    Two ``masseur config set`` at once would otherwise both read the old file and the
    second rename would drop the first one's change. The lock is ``flock`` on a file beside
    the target (``config.toml.lock``), which stays; the kernel releases the lock when the
    process ends, however it ends. The folder must exist.
    """
    try:
        import fcntl
    except ImportError:  # not a POSIX system: no lock to take
        yield
        return
    descriptor = os.open(
        target.with_name(target.name + LOCK_SUFFIX), os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o666
    )
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX)
        yield
    finally:
        os.close(descriptor)  # closing releases the lock
