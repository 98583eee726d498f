"""``masseur validate``: check routine files and say where each mistake is."""

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
    from masseur.textsafety import visible

    targets: list[Path] = []
    for given in files:
        if _is_folder(given):
            targets += sorted(p for p in given.iterdir() if p.suffix in ROUTINE_SUFFIXES)
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
            click.echo(
                visible(f"{path}: ok ({routine.name}, {routine.step_count} steps)"), err=True
            )
    if not targets:
        click.echo("masseur: no routine files found", err=True)
        raise click.exceptions.Exit(ExitStatus.BAD_INPUT)
    if failures:
        raise click.exceptions.Exit(ExitStatus.BAD_INPUT)


def _is_folder(path: Path) -> bool:
    # A name too long to look up is reported by the loader, with the other files' results.
    try:
        return path.is_dir()
    except OSError:
        return False
