"""``masseur new``: start a routine of your own, from a commented template or a copy."""

from __future__ import annotations

import re
from pathlib import Path

import click

from masseur import atomic
from masseur.completion import complete_routine
from masseur.errors import BadInput, MasseurError

# A routine that passes load_routine as it is, with a comment on every key, so that people
# can learn the format by changing it. tests/test_user_routines.py loads it.
STARTER_TEMPLATE = """\
# A masseur routine. Check it with:  masseur validate {path}
# Run it with:                        masseur run {name}
# Times are seconds (45) or durations such as 90s, 2m or 1m30s.
# Lines starting with # are comments; delete them once you know the format.

# The id you type in `masseur run`: lowercase letters, digits and dashes. Keep it equal
# to the file name.
name: {name}
# Shown at the top of the session.
title: My foot massage
# A sentence or two about what the routine is for.
description: >-
  A short foot massage of my own: warm up, work the soles, finish with strokes.
# The language the steps are written in (en, ru, de...); it picks the voice.
language: en
# Optional voice settings: rate in words per minute (80 to 400), volume from 0 to 1,
# voice as a voice id or a language code (see `masseur voices`).
voice:
  rate: 150
# Optional: how the two sides are spoken when a step has `sides`.
side_names: {{left: left foot, right: right foot}}
# Who should not do this massage. Shown by `masseur show` and before the session.
contraindications:
  - Wounds, rashes or infections on the feet.
  - A recent injury, a blood clot or severe varicose veins in the legs.
# What to have ready before you start.
preparation:
  - A chair, a towel and a little massage oil or cream.
# Extra advice printed by `masseur show` (not spoken).
notes:
  - Press firmly but never to the point of pain.
# Spoken after the title, before the first step.
intro: Sit comfortably and take off your socks. We start with the left foot.
# Spoken when the session ends.
outro: That is all. Rest your feet for a minute before you stand up.
# The timed steps, in order. (For a longer routine you can group steps into
# `phases:`, each with a name and its own `steps:`; see `masseur schema`.)
steps:
  - # Optional id, unique in the routine.
    name: warm-up
    # Optional short heading shown on screen.
    title: Warm up
    # Spoken when the step starts.
    say: Rub the whole foot between your palms, from the toes to the ankle.
    # How long the step lasts (for each side and each repeat).
    duration: 45s
    # Optional: run the step once per side, with a spoken switch between.
    sides: [left, right]
    # Optional: where the step works, highlighted in the guide (`masseur export ... -o
    # guide.html`) and named on screen: heel, arch, ball, toes, foot-top, calf... (see
    # `masseur schema`). A step that works no one place says `general: true` instead.
    zones: [foot]
  - name: soles
    title: Knead the soles
    say: Knead the sole with your knuckles in small circles, heel to toes.
    duration: 1m
    sides: [left, right]
    # Optional reminders spoken during the step, `at` a time from its start.
    zones: [sole]
    cues:
      - at: 30s
        say: Now press a little deeper under the arch.
        # Optional: where a cue moves the hands to.
        zones: [arch]
    # Optional sound at the start: step, phase, side, end, soft or none.
    chime: phase
  - name: closing-strokes
    say: Stroke both feet slowly from the toes up to the ankles.
    duration: 20s
    zones: [foot-top, ankle]
    # Optional: run the step this many times in a row.
    repeat: 2
"""

_NAME_LINE = re.compile(r"^name:[ \t]*(?P<value>[^#\n]*?)(?P<rest>[ \t]*(?:#.*)?)$", re.MULTILINE)


def starter_text(name: str, path: Path) -> str:
    return STARTER_TEMPLATE.format(name=name, path=path)


def renamed_copy(text: str, name: str) -> str:
    """The routine text with its top-level ``name:`` set to ``name``; everything else kept."""
    match = _NAME_LINE.search(text)
    if match is None:
        return f"name: {name}\n{text}"
    return text[: match.start("value")] + name + text[match.end("value") :]


def check_new_name(name: str) -> None:
    from masseur.routine import SLUG_PATTERN

    # fullmatch: re.match with "$" would let a trailing newline into the file name.
    if not re.fullmatch(SLUG_PATTERN, name) or len(name) > 64:
        raise BadInput(
            f"{name!r} cannot be a routine name; use lowercase letters, digits and dashes, "
            "e.g. my-evening-feet"
        )


def _routine_file(folder: Path, name: str) -> Path | None:
    from masseur.library import ROUTINE_SUFFIXES

    for suffix in ROUTINE_SUFFIXES:
        candidate = folder / f"{name}{suffix}"
        if candidate.is_file():
            return candidate
    return None


def user_routine_path(name: str) -> Path | None:
    """The user's file for routine ``name``, if there is one."""
    from masseur.paths import user_routines_dir

    return _routine_file(user_routines_dir(), name)


def builtin_routine_path(name: str) -> Path | None:
    """The built-in file for routine ``name``, if there is one."""
    from masseur.paths import builtin_routines_dir

    return _routine_file(builtin_routines_dir(), name)


def source_text(spec: str) -> tuple[str, str]:
    """The text of the routine to copy and a description of where it came from.

    A built-in name comes first (so ``new foot-classic --from foot-classic --force`` goes
    back to the original); then one of the user's routines or a file path.
    """
    from masseur.routine import read_routine_text

    builtin = builtin_routine_path(spec)
    if builtin is not None:
        return read_routine_text(builtin), f"built-in '{spec}'"
    from masseur.library import find_routine

    # Read as the loader reads: a regular file of limited size (not /dev/zero, not a FIFO).
    entry = find_routine(spec)
    return read_routine_text(entry.path), str(entry.path)


def write_user_routine(name: str, text: str, *, force: bool) -> Path:
    """Check ``text`` is a valid routine, then write it as the user's routine ``name``.

    Refuses (BadInput) to replace an existing routine unless ``force``.
    """
    from masseur.paths import user_routines_dir
    from masseur.routine import parse_routine

    folder = user_routines_dir()
    path = folder / f"{name}.yaml"
    existing = user_routine_path(name)
    if existing is not None and not force:
        raise BadInput(
            f"you already have a routine named '{name}' ({existing}); change it with "
            f"`masseur edit {name}`, or add --force to replace it"
        )
    parse_routine(text, str(path))  # never leave a routine behind that cannot load
    cannot_write = (
        "cannot write your routine there: {}; check that it is a folder you can write to, "
        "or set MASSEUR_ROUTINES_DIR to another one"
    )
    try:
        folder.mkdir(parents=True, exist_ok=True)
        if existing is not None and existing != path:
            existing.unlink()  # name.yml replaced by name.yaml: keep one file per name
    except OSError as error:
        raise MasseurError(cannot_write.format(error.strerror), location=str(folder)) from None
    try:
        # Without --force, a file someone created meanwhile is not overwritten either.
        atomic.write_text(path, text, overwrite=force)
    except FileExistsError:
        raise BadInput(
            f"you already have a routine named '{name}' ({path}); add --force to replace it"
        ) from None
    except OSError as error:
        raise MasseurError(cannot_write.format(error.strerror), location=str(folder)) from None
    return path


@click.command(
    "new",
    epilog=(
        "\b\nExamples:\n  masseur new evening-feet\n  masseur new my-classic --from foot-classic"
    ),
)
@click.argument("name")
@click.option(
    "--from",
    "from_routine",
    metavar="ROUTINE",
    shell_complete=complete_routine,
    help="Start from a copy of this routine (a built-in name, one of yours, or a file).",
)
@click.option("--force", is_flag=True, help="Replace a routine of yours with the same name.")
def command(name: str, from_routine: str | None, force: bool) -> None:
    """Create your own routine NAME and print where its file is.

    Without --from it is a short starter routine with a comment on every key; with
    --from it is a copy of that routine with its name set to NAME. Then change it with
    `masseur edit NAME`. A routine of yours with a built-in's name is used instead of
    the built-in.
    """
    from masseur.paths import user_routines_dir

    check_new_name(name)
    if from_routine is None:
        text = starter_text(name, user_routines_dir() / f"{name}.yaml")
        origin = "a starter routine"
    else:
        copied, origin = source_text(from_routine)
        text = renamed_copy(copied, name)
    path = write_user_routine(name, text, force=force)
    click.echo(str(path))
    click.echo(f"Created from {origin}. Change it with: masseur edit {name}", err=True)
    if builtin_routine_path(name) is not None:
        click.echo(
            f"note: it replaces the built-in '{name}' for you; delete the file to get the "
            "built-in back",
            err=True,
        )
