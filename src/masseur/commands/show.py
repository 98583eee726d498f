"""``masseur show``: a routine's steps, timing and contraindications."""

from __future__ import annotations

import click

from masseur.commands.common import choose_voice, plan, timeline_options
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

    from masseur import config
    from masseur.durations import format_duration
    from masseur.library import load
    from masseur.textsafety import plain
    from masseur.words import totals_line, words_for
    from masseur.zones import describe

    entry, loaded = load(routine)
    settings = config.resolve(given, routine=loaded)
    voice = None
    if minutes is not None:  # fitted as `run` would, with the speech lengths it knows
        try:
            voice, _why_not = choose_voice(settings, loaded.language)
        except MasseurError:
            voice = None
    timeline = plan(loaded, settings, minutes, voice_id=voice)
    words = words_for(loaded.language)
    console = Console(highlight=False)
    # Routine text is printed as Text, never read as markup: "[/]" or "[link=...]" in a
    # title must show as written.
    console.print(
        plain(loaded.title, "bold"),
        plain(f" ({loaded.name}, {entry.origin}, language {loaded.language})", "dim"),
    )
    console.print(plain(loaded.description))
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
    table.add_column("where")
    number = 0
    for phase in loaded.all_phases:
        if loaded.phases is not None:
            sides = " → ".join(timeline.side_label(side) for side in phase.sides or [])
            table.add_row("", plain(phase.heading, "bold"), "", plain(sides), "")
        for step in phase.steps:
            number += 1
            parts = [s for s in timeline.segments if s.step_index == number - 1]
            runs = []
            step_sides = phase.step_sides(step)
            if step.sides and step_sides:
                runs.append(" + ".join(timeline.side_label(side) for side in step_sides))
            if step.repeat > 1:
                runs.append(f"x{step.repeat}")
            table.add_row(
                str(number),
                plain(step.heading),
                format_duration(sum(part.duration_ms for part in parts)),
                plain(", ".join(runs)),
                describe(step.zones or [], loaded.language),
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

    from masseur.textsafety import plain

    assert isinstance(console, Console)
    if not items:
        return
    console.print(f"[bold {colour}]{heading}:[/bold {colour}]")
    for item in items:
        console.print(plain(f"  • {item}"))
    console.print()
