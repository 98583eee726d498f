"""Lines for the terminal, wrapped at word boundaries, and the safety screen that fits on it."""

from __future__ import annotations

import shutil
import textwrap
from collections.abc import Callable
from dataclasses import dataclass
from typing import IO, Any

import click

from masseur.words import Words

START_ANSWERS = frozenset({"", "y", "yes", "д", "да"})
STOP_ANSWERS = frozenset({"n", "no", "q", "quit", "н", "нет"})


def terminal_size(stream: IO[str]) -> tuple[int, int] | None:
    """(columns, lines) of the terminal ``stream`` writes to, or None when it is no terminal."""
    try:
        if not stream.isatty():
            return None
    except (AttributeError, ValueError):
        return None
    size = shutil.get_terminal_size()
    return max(20, size.columns), max(5, size.lines)


def wrap(text: str, width: int | None, indent: str = "", hanging: str = "") -> list[str]:
    """``text`` broken into lines of at most ``width`` characters, only between words."""
    if width is None:
        return [indent + text]
    lines: list[str] = []
    for paragraph in text.split("\n"):
        lines += textwrap.wrap(
            paragraph,
            width=width,
            initial_indent=indent,
            subsequent_indent=hanging or indent,
            break_on_hyphens=False,
            break_long_words=False,
        ) or [indent]
    return lines


def echo(text: str, stream: IO[str], *, indent: str = "", hanging: str = "", **style: Any) -> None:
    """Print ``text``; on a terminal, wrapped to its width at word boundaries."""
    size = terminal_size(stream)
    width = size[0] - 1 if size else None  # the last column would make some terminals wrap
    for line in wrap(text, width, indent, hanging):
        click.secho(line, file=stream, **style)


@dataclass(frozen=True)
class Line:
    text: str
    style: dict[str, Any]


def safety_lines(
    title: str,
    contraindications: list[str],
    preparation: list[str],
    words: Words,
    width: int | None,
    compact: bool,
) -> list[Line]:
    """The safety screen as lines; ``compact`` runs each list together to save lines."""
    lines = [Line("", {}), Line(title, {"bold": True})]

    def add(text: str, indent: str = "", hanging: str = "", **style: Any) -> None:
        lines.extend(Line(part, style) for part in wrap(text, width, indent, hanging))

    def add_list(items: list[str]) -> None:
        if compact:
            add("  ".join(f"•\u00a0{item}" for item in items), "  ", "  ")
        else:
            for item in items:
                add(f"• {item}", "  ", "    ")

    if contraindications:
        add(words("do_not"), fg="yellow")
        add_list(contraindications)
    else:
        add(words("no_contraindications"), fg="yellow")
    if preparation:
        add(words("have_ready"))
        add_list(preparation)
    return lines


def show_safety(
    title: str,
    contraindications: list[str],
    preparation: list[str],
    words: Words,
    stream: IO[str],
    ask: Callable[[], str] | None,
) -> None:
    """Print the safety screen so that it fits the terminal with the prompt below it.

    The full layout is used when it fits; otherwise each list is run together; when even
    that is too tall, it is shown a page at a time (Enter shows the next page).
    """
    size = terminal_size(stream)
    width = size[0] - 1 if size else None
    lines = safety_lines(title, contraindications, preparation, words, width, compact=False)
    if size is not None:
        room = size[1] - 2  # the prompt line and the line the answer leaves behind
        if len(lines) > room:
            lines = safety_lines(title, contraindications, preparation, words, width, True)
        if ask is not None and len(lines) > room:
            page = room - 1  # one line for "Enter: more"
            while len(lines) > room:
                for line in lines[:page]:
                    click.secho(line.text, file=stream, **line.style)
                click.secho(words("more"), file=stream, nl=False, dim=True)
                ask()
                lines = lines[page:]
    for line in lines:
        click.secho(line.text, file=stream, **line.style)


def confirm(words: Words, stream: IO[str], read: Callable[[], str]) -> bool:
    """Ask whether to start: Enter, y or yes start; n, no or q stop; end of input stops."""
    question = words("prompt")
    while True:
        click.echo("", file=stream)
        click.echo(question, nl=False, file=stream)
        answer = read()
        if answer == "":
            return False  # end of input: nobody is there to say yes
        text = answer.strip().lower()
        if text in START_ANSWERS:
            return True
        if text in STOP_ANSWERS:
            return False
        question = words("prompt_again")
