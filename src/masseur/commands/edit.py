"""``masseur edit``: open one of your routines in an editor and check it when saved."""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import click

from masseur.completion import complete_routine
from masseur.errors import BadInput, ExitStatus, MasseurError
from masseur.terminal import echo
from masseur.textsafety import visible

FALLBACK_EDITORS = ("nano", "vi")


def stdin_is_interactive() -> bool:
    """Whether we can ask the user a question (and expect an answer) on this terminal."""
    return sys.stdin.isatty()


def editor_command() -> list[str]:
    """The user's editor as an argument list: $VISUAL, then $EDITOR, then nano or vi."""
    for variable in ("VISUAL", "EDITOR"):
        value = os.environ.get(variable, "").strip()
        if value:
            return shlex.split(value)
    for fallback in FALLBACK_EDITORS:
        found = shutil.which(fallback)
        if found:
            return [found]
    raise MasseurError("no text editor found; set EDITOR, e.g. export EDITOR=nano")


def run_editor(path: Path) -> None:
    command = [*editor_command(), str(path)]
    try:
        finished = subprocess.run(command, check=False)
    except FileNotFoundError:
        raise MasseurError(
            f"cannot start the editor '{command[0]}'; check $VISUAL / $EDITOR"
        ) from None
    if finished.returncode != 0:
        raise MasseurError(
            f"the editor '{command[0]}' exited with status {finished.returncode}; "
            f"the file is left as it is: {path}"
        )


def _file_to_edit(name: str) -> Path:
    """The user's file for ``name`` (or a path), copying a built-in there first if agreed."""
    from masseur.commands.new import (
        builtin_routine_path,
        check_new_name,
        renamed_copy,
        user_routine_path,
        write_user_routine,
    )
    from masseur.library import looks_like_path

    if looks_like_path(name):
        path = Path(name).expanduser()
        if not path.is_file():
            raise BadInput("no such file", location=name)
        return path
    own = user_routine_path(name)
    if own is not None:
        return own
    builtin = builtin_routine_path(name)
    if builtin is None:
        check_new_name(name)
        raise BadInput(
            f"you have no routine named '{name}'; create it with `masseur new {name}` "
            "(see `masseur list`)"
        )
    hint = f"masseur new {name} --from {name}"
    if not stdin_is_interactive():
        raise BadInput(
            f"'{name}' is a built-in routine and cannot be changed; copy it to your folder "
            f"with `{hint}`, then edit the copy"
        )
    click.echo(f"'{name}' is a built-in routine; built-ins are not changed in place.", err=True)
    if not click.confirm(
        "Copy it to your routines folder and edit the copy (used instead of the built-in)?",
        default=True,
        err=True,
    ):
        raise click.exceptions.Exit(ExitStatus.BAD_INPUT)
    text = builtin.read_text(encoding="utf-8")
    path = write_user_routine(name, renamed_copy(text, name), force=False)
    click.echo(f"Copied to {path}", err=True)
    return path


@click.command("edit", epilog="Example: EDITOR=nano masseur edit evening-feet")
@click.argument("name", shell_complete=complete_routine)
def command(name: str) -> None:
    """Open your routine NAME in your editor, and check it when you save.

    The editor is $VISUAL, else $EDITOR, else nano or vi. If the saved file has a
    mistake, it is shown as file:line:col: message and you are asked whether to reopen
    the file (without a terminal to ask on, it exits with status 2). A built-in name is
    first copied to your folder, if you agree.
    """
    from masseur.routine import load_routine

    path = _file_to_edit(name)
    while True:
        run_editor(path)
        try:
            routine = load_routine(path)
        except BadInput as error:
            echo(visible(str(error) if error.location else f"{path}: {error}"), sys.stderr)
            if not stdin_is_interactive():
                echo(
                    f"masseur: the routine has a mistake; fix it with: masseur edit {name}",
                    sys.stderr,
                )
                raise click.exceptions.Exit(ExitStatus.BAD_INPUT) from None
            if click.confirm("Reopen the file to fix it?", default=True, err=True):
                continue
            click.echo(f"The file is saved with the mistake: {path}", err=True)
            raise click.exceptions.Exit(ExitStatus.BAD_INPUT) from None
        break
    from masseur.words import words_for

    steps = words_for("en").count(routine.step_count, "step")
    click.echo(visible(f"{path}: ok ({steps})"))
    if routine.name != path.stem:
        click.echo(
            f"note: the file is named '{path.stem}' but says name: {routine.name}; "
            f"masseur finds it as '{path.stem}'",
            err=True,
        )
