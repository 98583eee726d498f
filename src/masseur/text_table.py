"""Plain aligned tables and wrapped lines for quick commands, without loading rich.

`masseur list` answers in a few tens of milliseconds from its index; importing and running
rich's console would take longer than everything else it does. The layout is the one rich
draws for a borderless table (two spaces between columns, the last one padded), with bold
headers and colours only on a terminal that wants them.
"""

from __future__ import annotations

import os
import shutil
import sys
import textwrap
import unicodedata
from collections.abc import Sequence
from typing import IO

STYLES = {"bold": "1", "dim": "2", "red": "31", "yellow": "33"}


def cell_width(text: str) -> int:
    """Columns ``text`` takes in a terminal (wide East Asian characters take two)."""
    return sum(2 if unicodedata.east_asian_width(char) in "WF" else 1 for char in text)


class Styler:
    """Adds terminal styles to text when ``stream`` is a terminal that wants colour."""

    def __init__(self, stream: IO[str]) -> None:
        self.enabled = (
            stream.isatty() and "NO_COLOR" not in os.environ and os.environ.get("TERM") != "dumb"
        )
        self.width = shutil.get_terminal_size((80, 24)).columns if stream.isatty() else 80
        if "COLUMNS" in os.environ:
            self.width = shutil.get_terminal_size((80, 24)).columns

    @classmethod
    def plain(cls) -> Styler:
        """A styler that adds nothing (to measure text)."""
        styler = cls.__new__(cls)
        styler.enabled, styler.width = False, 80
        return styler

    def __call__(self, text: str, style: str) -> str:
        if not self.enabled or not text or not style:
            return text
        return f"\x1b[{STYLES[style]}m{text}\x1b[0m"


MIN_WRAPPED_WIDTH = 12  # a wrapped column narrower than this is no longer readable


def table_lines(
    headers: Sequence[str],
    rows: Sequence[Sequence[tuple[str, str] | str]],
    *,
    right: frozenset[int] = frozenset(),
    style: Styler,
    width: int | None = None,
    wrap: int | None = None,
) -> list[str] | None:
    """The lines of a borderless table; a cell is its text, or (text, style).

    With ``width``, the column ``wrap`` is narrowed and its cells wrapped between words so
    that the table fits, as rich does; None if it cannot fit even so.
    """

    def text_of(cell: tuple[str, str] | str) -> str:
        return cell if isinstance(cell, str) else cell[0]

    widths = [cell_width(header) for header in headers]
    for row in rows:
        for column, cell in enumerate(row):
            widths[column] = max(widths[column], cell_width(text_of(cell)))
    excess = sum(widths) + 2 * (len(widths) - 1) - (width or 0)
    if width is not None and excess > 0:
        if wrap is None or widths[wrap] - excess < max(MIN_WRAPPED_WIDTH, len(headers[wrap])):
            return None
        widths[wrap] -= excess

    def line(cells: Sequence[tuple[str, str] | str], header: bool) -> str:
        parts = []
        for column, cell in enumerate(cells):
            text = text_of(cell)
            room = " " * (widths[column] - cell_width(text))
            shown = style(text, "bold" if header else ("" if isinstance(cell, str) else cell[1]))
            parts.append(room + shown if column in right else shown + room)
        return "  ".join(parts)

    lines = [line(headers, True)]
    for row in rows:
        pieces: list[str] = [""]
        if wrap is not None and cell_width(text_of(row[wrap])) > widths[wrap]:
            pieces = textwrap.wrap(text_of(row[wrap]), widths[wrap]) or [""]
        first = list(row)
        if pieces != [""]:
            cell = row[wrap] if wrap is not None else ""
            first[wrap or 0] = pieces[0] if isinstance(cell, str) else (pieces[0], cell[1])
        lines.append(line(first, False))
        for more in pieces[1:]:
            lines.append(line([more if c == wrap else "" for c in range(len(row))], False))
    return lines


def echo(lines: Sequence[str], stream: IO[str] | None = None) -> None:
    out = stream or sys.stdout
    out.write("".join(f"{text}\n" for text in lines))
    out.flush()
