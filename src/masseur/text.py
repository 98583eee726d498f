"""Small text helpers shared by messages and exports: one line, a short quotation, a hint."""

from __future__ import annotations

from collections.abc import Iterable


def one_line(text: str, limit: int | None = None) -> str:
    """``text`` with every run of whitespace (newlines too) made one space.

    With ``limit``, a longer result is cut to that many characters, ending in ``...``.
    """
    line = " ".join(text.split())
    if limit is None or len(line) <= limit:
        return line
    return line[: limit - 3] + "..."


def quote(text: str, limit: int = 40) -> str:
    """A short quotation of ``text`` for an error message: one line, cut with an ellipsis."""
    text = one_line(text)
    return repr(text if len(text) <= limit else text[: limit - 1] + "\u2026")


def close_matches(word: str, choices: Iterable[str], n: int = 1, cutoff: float = 0.6) -> list[str]:
    """The choices most like ``word`` (difflib's ratio at least ``cutoff``), best first: the
    "did you mean" of a message. difflib is imported only for such a message (it took
    1.5 ms of every start)."""
    import difflib

    return difflib.get_close_matches(word, list(choices), n=n, cutoff=cutoff)
