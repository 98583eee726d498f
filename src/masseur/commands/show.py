"""``masseur show``: a routine's steps, timing and contraindications."""

from __future__ import annotations

import click

from masseur.completion import complete_routine


@click.command("show", epilog="Example: masseur show foot-classic")
@click.argument("routine", shell_complete=complete_routine)
def command(routine: str) -> None:
    """Show ROUTINE (a name or a file): what to prepare, who should not do it, and every step.

    The total is the length of the whole spoken session, introduction included.
    """
    from rich.console import Console
    from rich.table import Table

    from masseur.durations import format_duration
    from masseur.library import load
    from masseur.textsafety import plain
    from masseur.timeline import build_timeline
    from masseur.zones import describe

    entry, loaded = load(routine)
    timeline = build_timeline(loaded)
    console = Console(highlight=False)
    # Routine text is printed as Text, never read as markup: "[/]" or "[link=...]" in a
    # title must show as written.
    console.print(
        plain(loaded.title, "bold"),
        plain(f" ({loaded.name}, {entry.origin}, language {loaded.language})", "dim"),
    )
    console.print(plain(loaded.description))
    console.print()
    _print_list(console, "Do not do this massage if", loaded.contraindications, "red")
    _print_list(console, "Have ready", loaded.preparation, "cyan")

    table = Table(box=None, pad_edge=False, header_style="bold")
    table.add_column("#", justify="right")
    table.add_column("step")
    table.add_column("time", justify="right")
    table.add_column("runs")
    table.add_column("where")
    number = 0
    for phase in loaded.all_phases:
        if loaded.phases is not None:
            sides = " → ".join(phase.sides) if phase.sides else ""
            table.add_row("", plain(phase.heading, "bold"), "", sides, "")
        for step in phase.steps:
            number += 1
            runs = []
            if step.sides:
                runs.append(" + ".join(phase.step_sides(step) or step.sides))
            if step.repeat > 1:
                runs.append(f"x{step.repeat}")
            table.add_row(
                str(number),
                plain(step.heading),
                format_duration(phase.step_ms(step)),
                ", ".join(runs),
                describe(step.zones or [], loaded.language),
            )
    console.print(table)
    console.print(
        f"\n[bold]Total[/bold] {format_duration(timeline.total_ms)} "
        f"({format_duration(loaded.steps_ms)} of steps, {loaded.step_count} steps, "
        f"{len(timeline.segments)} timed parts)"
    )
    if loaded.notes:
        console.print()
        _print_list(console, "Notes", loaded.notes, "green")


def _print_list(console: object, heading: str, items: list[str], colour: str) -> None:
    from rich.console import Console

    from masseur.textsafety import plain

    assert isinstance(console, Console)
    if not items:
        if heading.startswith("Do not"):
            console.print("[yellow]This routine lists no contraindications.[/yellow]\n")
        return
    console.print(f"[bold {colour}]{heading}:[/bold {colour}]")
    for item in items:
        console.print(plain(f"  • {item}"))
    console.print()
