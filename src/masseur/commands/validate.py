from __future__ import annotations

from pathlib import Path

import click

from masseur.completion import complete_routine
from masseur.errors import ExitStatus, MasseurError


@click.command(
    "validate",
    epilog="Examples: masseur validate routines/*.yaml ~/my-routines/\n\n"
    "  masseur validate evening-feet foot-classic",
)
@click.argument(
    "files",
    nargs=-1,
    required=True,
    type=click.Path(path_type=Path),
    shell_complete=complete_routine,
)
@click.option("-q", "--quiet", is_flag=True, help="Print only the problems.")
def command(files: tuple[Path, ...], quiet: bool) -> None:
    """Check routine FILES (or folders of them, or routine names) for mistakes.

    Each problem is printed as file:line:column: message. The exit code is 0
    only when every file is valid, 2 otherwise.
    """
    from masseur.library import ROUTINE_SUFFIXES, find_routine, looks_like_path
    from masseur.routine import load_routine
    from masseur.words import words_for

    targets: list[Path] = []
    for given in files:
        if given.is_dir():
            targets += sorted(p for p in given.iterdir() if p.suffix in ROUTINE_SUFFIXES)
        elif not given.exists() and not looks_like_path(str(given)):
            targets.append(find_routine(str(given)).path)  # a routine name, yours or built-in
        else:
            targets.append(given)
    failures = 0
    for path in targets:
        try:
            routine = load_routine(path)
        except MasseurError as error:
            failures += 1
            click.echo(str(error) if error.location else f"{path}: {error}")
            continue
        if not quiet:
            steps = words_for("en").count(routine.step_count, "step")
            click.echo(f"{path}: ok ({routine.name}, {steps})", err=True)
    if not targets:
        click.echo("masseur: no routine files found", err=True)
        raise click.exceptions.Exit(ExitStatus.BAD_INPUT)
    if failures:
        raise click.exceptions.Exit(ExitStatus.BAD_INPUT)
