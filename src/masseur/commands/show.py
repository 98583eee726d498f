from __future__ import annotations

import click

from masseur.commands.common import build, choose_voice, settings_from, timeline_options
from masseur.completion import complete_routine
from masseur.errors import MasseurError


@click.command("show", epilog="Example: masseur show foot-classic --minutes 15")
@click.argument("routine", shell_complete=complete_routine)
@timeline_options
def command(routine: str, minutes: float | None, **given: object) -> None:
    """Show ROUTINE (a name or a file): what to prepare, who should not do it, and every step.

    The total is the length of the whole spoken session, introduction included, with the
    same settings and options `run` would use; each side and repeat of a step is one timed
    part.
    """
    from rich.console import Console
    from rich.table import Table

    from masseur.durations import format_duration
    from masseur.library import load
    from masseur.words import totals_line, words_for

    entry, loaded = load(routine)
    values, _sources = settings_from(loaded, dict(given))
    voice = None
    if minutes is not None:  # fitted as `run` would, with the speech lengths it knows
        try:
            voice, _why_not = choose_voice(values, loaded.language)
        except MasseurError:
            voice = None
    timeline = build(loaded, values, minutes, voice)
    words = words_for(loaded.language)
    console = Console(highlight=False)
    console.print(
        f"[bold]{loaded.title}[/bold]  [dim]({loaded.name}, {entry.origin}, "
        f"language {loaded.language})[/dim]"
    )
    console.print(loaded.description)
    console.print()
    if not loaded.contraindications:
        console.print(f"[yellow]{words('md_no_contraindications')}[/yellow]\n")
    _print_list(console, words("md_do_not"), loaded.contraindications, "red")
    _print_list(console, words("md_have_ready"), loaded.preparation, "cyan")

    table = Table(box=None, pad_edge=False, header_style="bold")
    table.add_column("#", justify="right")
    table.add_column("step")
    table.add_column("time", justify="right")
    table.add_column("parts")
    number = 0
    for phase in loaded.all_phases:
        if loaded.phases is not None:
            table.add_row("", f"[bold]{phase.heading}[/bold]", "", "")
        for step in phase.steps:
            number += 1
            parts = [s for s in timeline.segments if s.step_index == number - 1]
            runs = []
            if step.sides:
                runs.append(" + ".join(timeline.side_label(side) for side in step.sides))
            if step.repeat > 1:
                runs.append(f"x{step.repeat}")
            table.add_row(
                str(number),
                step.heading,
                format_duration(sum(part.duration_ms for part in parts)),
                ", ".join(runs),
            )
    console.print(table)
    steps_ms = sum(segment.duration_ms for segment in timeline.segments)
    console.print(
        f"\n[bold]{words('total')}[/bold] {totals_line(words, timeline)} "
        f"({words('steps_time', time=format_duration(steps_ms))})"
    )
    if loaded.notes:
        console.print()
        _print_list(console, words("md_notes"), loaded.notes, "green")


def _print_list(console: object, heading: str, items: list[str], colour: str) -> None:
    from rich.console import Console

    assert isinstance(console, Console)
    if not items:
        return
    console.print(f"[bold {colour}]{heading}:[/bold {colour}]")
    for item in items:
        console.print(f"  • {item}")
    console.print()
