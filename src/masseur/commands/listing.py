"""``masseur list``: the built-in routines and your own, with their length."""

from __future__ import annotations

import json
import sys

import click


@click.command("list", epilog="Example: masseur list --json | jq '.[].name'")
@click.option("--json", "as_json", is_flag=True, help="Print the list as JSON for scripts.")
def command(as_json: bool) -> None:
    """List the built-in routines and your own, with their length.

    The length, steps and timed parts (each side and repeat of a step is one part) are
    those of the session `run` would play with your settings.

    Your routines live in the folder printed at the bottom (set MASSEUR_ROUTINES_DIR
    to move it). A routine of yours with a built-in's name is used in its place.
    """
    from masseur import paths
    from masseur.durations import format_duration
    from masseur.library import available_routines
    from masseur.routine_index import summaries

    entries = available_routines()
    rows: list[dict[str, object]] = []
    for entry, summary in zip(entries, summaries(entries), strict=True):
        row: dict[str, object] = {
            "name": entry.name,
            "origin": entry.origin,
            "shadows_builtin": entry.shadows_builtin,
            "path": str(entry.path),
        }
        row.update(summary)
        rows.append(row)

    if as_json:
        click.echo(json.dumps(rows, indent=2, ensure_ascii=False))
        return

    table: list[list[tuple[str, str] | str]] = []
    for row in rows:
        origin = str(row["origin"])
        if row["shadows_builtin"]:
            origin += " (replaces built-in)"
        if row.get("error"):
            invalid = ("invalid: run masseur validate", "red")
            table.append([str(row["name"]), invalid, "", "", "", origin])
            continue
        length = row["total_ms"]
        assert isinstance(length, int)
        table.append(
            [
                str(row["name"]),
                str(row["title"]),
                format_duration(length),
                str(row["steps"]),
                str(row["parts"]),
                origin,
            ]
        )
    notes = [
        (
            str(row["name"]),
            f": your file {row['path']} is used instead of the built-in routine of the same "
            "name; delete or rename it to get the built-in back.",
        )
        for row in rows
        if row["shadows_builtin"]
    ]
    folder = f"Your routines: {paths.user_routines_dir()}"
    if not _print_plain(table, notes, folder):
        _print_rich(table, notes, folder)


HEADERS = ("name", "title", "length", "steps", "parts", "from")
RIGHT_ALIGNED = frozenset({2, 3, 4})
TITLE_COLUMN = 1  # the column that wraps when the table is wider than the terminal
Cell = tuple[str, str] | str


def _print_plain(table: list[list[Cell]], notes: list[tuple[str, str]], folder: str) -> bool:
    """Print without loading rich (titles wrapped between words to fit, as rich would);
    False if the terminal is too narrow for that."""
    import textwrap

    from masseur.text_table import Styler, echo, table_lines

    style = Styler(sys.stdout)
    lines = table_lines(
        HEADERS, table, right=RIGHT_ALIGNED, style=style, width=style.width, wrap=TITLE_COLUMN
    )
    if lines is None:
        return False
    for name, rest in notes:
        first, *more = textwrap.wrap(name + rest, style.width) or [name]
        lines += ["", style(name, "yellow") + first[len(name) :], *more]
    echo([*lines, "", *(style(part, "dim") for part in textwrap.wrap(folder, style.width))])
    return True


def _print_rich(table: list[list[Cell]], notes: list[tuple[str, str]], folder: str) -> None:
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    console = Console()
    drawn = Table(box=None, pad_edge=False, header_style="bold")
    for index, column in enumerate(HEADERS):
        drawn.add_column(column, justify="right" if index in RIGHT_ALIGNED else "left")
    for cells in table:
        drawn.add_row(
            # Routine text as Text, never read as markup.
            *(
                Text(cell) if isinstance(cell, str) else Text(cell[0], style=cell[1])
                for cell in cells
            )
        )
    console.print(drawn)
    for name, rest in notes:
        console.print(Text.assemble("\n", (name, "yellow"), rest))
    console.print(Text("\n" + folder, style="dim"))
