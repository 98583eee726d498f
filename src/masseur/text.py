"""Small text helpers shared by messages and exports: one line, a short quotation."""

from __future__ import annotations


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
