"""``masseur list``: the built-in routines and your own, with their length."""

from __future__ import annotations

import json

import click

from masseur.errors import MasseurError


@click.command("list", epilog="Example: masseur list --json | jq '.[].name'")
@click.option("--json", "as_json", is_flag=True, help="Print the list as JSON for scripts.")
def command(as_json: bool) -> None:
    """List the built-in routines and your own, with their length.

    The length, steps and timed parts (each side and repeat of a step is one part) are
    those of the session `run` would play with your settings.

    Your routines live in the folder printed at the bottom (set MASSEUR_ROUTINES_DIR
    to move it). A routine of yours with a built-in's name is used in its place.
    """
    from masseur import config, paths
    from masseur.commands.common import plan
    from masseur.durations import format_duration
    from masseur.library import available_routines
    from masseur.textsafety import plain

    rows: list[dict[str, object]] = []
    for entry in available_routines():
        row: dict[str, object] = {
            "name": entry.name,
            "origin": entry.origin,
            "shadows_builtin": entry.shadows_builtin,
            "path": str(entry.path),
        }
        try:
            routine = entry.load()
        except MasseurError as error:
            row.update(title=None, total_ms=None, steps=None, parts=None, error=str(error))
        else:
            # The same timeline `run` would play with your settings, so the lengths agree.
            timeline = plan(routine, config.resolve({}, routine=routine), None)
            row.update(
                title=routine.title,
                total_ms=timeline.total_ms,
                steps=timeline.step_count,
                parts=len(timeline.segments),
                language=routine.language,
            )
        rows.append(row)

    if as_json:
        click.echo(json.dumps(rows, indent=2, ensure_ascii=False))
        return

    from rich.console import Console
    from rich.table import Table

    console = Console()
    table = Table(box=None, pad_edge=False, header_style="bold")
    for column in ("name", "title", "length", "steps", "parts", "from"):
        table.add_column(column, justify="left" if column in ("name", "title", "from") else "right")
    for row in rows:
        origin = str(row["origin"])
        if row["shadows_builtin"]:
            origin += " (replaces built-in)"
        if row.get("error"):
            table.add_row(
                plain(row["name"]), "[red]invalid: run masseur validate[/red]", "", "", "", origin
            )
            continue
        length = row["total_ms"]
        assert isinstance(length, int)
        table.add_row(
            plain(row["name"]),
            plain(row["title"]),
            format_duration(length),
            str(row["steps"]),
            str(row["parts"]),
            origin,
        )
    console.print(table)
    for row in rows:
        if row["shadows_builtin"]:
            console.print(
                plain(
                    f"\n{row['name']}: your file {row['path']} is used instead of the built-in "
                    "routine of the same name; delete or rename it to get the built-in back."
                ),
                highlight=False,
            )
    console.print(plain(f"\nYour routines: {paths.user_routines_dir()}", "dim"), highlight=False)
