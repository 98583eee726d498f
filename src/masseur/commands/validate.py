from __future__ import annotations

from pathlib import Path

import click

from masseur.errors import ExitStatus, MasseurError


@click.command(
    "validate",
    epilog="Example: masseur validate routines/*.yaml ~/my-routines/",
)
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("-q", "--quiet", is_flag=True, help="Print only the problems.")
def command(files: tuple[Path, ...], quiet: bool) -> None:
    """Check routine FILES (or folders of them) for mistakes.

    Each problem is printed as file:line:column: message. The exit code is 0
    only when every file is valid, 2 otherwise.
    """
    from masseur.library import ROUTINE_SUFFIXES
    from masseur.routine import load_routine
    from masseur.words import words_for

    targets: list[Path] = []
    for given in files:
        if given.is_dir():
            targets += sorted(p for p in given.iterdir() if p.suffix in ROUTINE_SUFFIXES)
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
