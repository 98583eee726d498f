"""``masseur validate``: check routine files and say where each mistake is."""

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
    from masseur.textsafety import visible
    from masseur.words import words_for

    targets: list[Path] = []
    for given in files:
        if _is_folder(given):
            targets += sorted(p for p in given.iterdir() if p.suffix in ROUTINE_SUFFIXES)
        elif not looks_like_path(str(given)) and not _exists(given):
            targets.append(find_routine(str(given)).path)  # a routine name, yours or built-in
        else:
            targets.append(given)
    failures = 0
    for path in targets:
        try:
            routine = load_routine(path)
        except MasseurError as error:
            failures += 1
            # A file name may carry control characters: print them written out.
            click.echo(visible(str(error) if error.location else f"{path}: {error}"))
            continue
        if not quiet:
            steps = words_for("en").count(routine.step_count, "step")
            click.echo(visible(f"{path}: ok ({routine.name}, {steps})"), err=True)
    if not targets:
        click.echo("masseur: no routine files found", err=True)
        raise click.exceptions.Exit(ExitStatus.BAD_INPUT)
    if failures:
        raise click.exceptions.Exit(ExitStatus.BAD_INPUT)


def _exists(path: Path) -> bool:
    # A name too long to look up is taken as a file, which the loader then reports.
    try:
        return path.exists()
    except OSError:
        return True


def _is_folder(path: Path) -> bool:
    # A name too long to look up is reported by the loader, with the other files' results.
    try:
        return path.is_dir()
    except OSError:
        return False
