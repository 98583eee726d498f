"""Shell completion of routine names, voices and settings, through click's own mechanism.

The shell runs ``masseur`` with ``_MASSEUR_COMPLETE=bash_complete`` (or zsh/fish) on every
Tab press, so everything here must be quick and must never raise: a completion function
that fails gives no suggestions, not a traceback in the middle of the user's command line.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from pathlib import Path

import click
from click.shell_completion import CompletionItem

SHELLS = ("bash", "zsh", "fish")
COMPLETE_VARIABLE = "_MASSEUR_COMPLETE"

_TITLE_LINE = re.compile(rb"^title:[ \t]*(.+?)[ \t]*$", re.MULTILINE)


def _quick_title(path: Path) -> str | None:
    """The ``title:`` of a routine file, read without parsing the YAML (that is too slow here)."""
    try:
        with path.open("rb") as handle:
            head = handle.read(4096)
    except OSError:
        return None
    match = _TITLE_LINE.search(head)
    if match is None:
        return None
    title = match.group(1).decode("utf-8", "replace").split(" #", 1)[0].strip()
    return title.strip("\"'") or None


Completer = Callable[[click.Context, click.Parameter, str], list[CompletionItem]]


def _never_raises(completer: Completer) -> Completer:
    """A completer that gives no suggestions, rather than a traceback, when it fails."""

    @functools.wraps(completer)
    def complete(
        ctx: click.Context, param: click.Parameter, incomplete: str
    ) -> list[CompletionItem]:
        try:
            return completer(ctx, param, incomplete)
        except Exception:
            return []

    return complete


def _path_like(incomplete: str) -> bool:
    return incomplete.startswith((".", "/", "~")) or "/" in incomplete


@_never_raises
def complete_routine(
    ctx: click.Context, param: click.Parameter, incomplete: str
) -> list[CompletionItem]:
    """Routine names (built-in and the user's own) that start with ``incomplete``.

    Something that looks like a path is left to the shell's file completion.
    """
    if _path_like(incomplete):
        return [CompletionItem(incomplete, type="file")]
    from masseur.library import available_routines

    items = []
    for entry in available_routines():
        if entry.name.startswith(incomplete):
            title = _quick_title(entry.path)
            origin = "yours" if entry.origin == "user" else entry.origin
            help_text = f"{title} ({origin})" if title else origin
            items.append(CompletionItem(entry.name, help=help_text))
    return items


@_never_raises
def complete_voice(
    ctx: click.Context, param: click.Parameter, incomplete: str
) -> list[CompletionItem]:
    """Language codes and voice ids that start with ``incomplete``; languages come first."""
    from masseur.speech import list_voices

    voices = list_voices()
    needle = incomplete.lower()
    languages: dict[str, str] = {}
    ids: list[CompletionItem] = []
    for voice in voices:
        for language in voice.languages:
            if language.lower().startswith(needle):
                languages.setdefault(language, voice.name)
        if voice.id.lower().startswith(needle):
            ids.append(CompletionItem(voice.id, help=voice.name))
    items = [
        CompletionItem(code, help=f"language ({name})") for code, name in sorted(languages.items())
    ]
    seen = set(languages)
    from masseur.speech.piper_voices import find_piper_voices

    piper = [
        CompletionItem(voice.id, help=f"Piper, {voice.language}")
        for voice in find_piper_voices()
        if voice.id.lower().startswith(needle)
    ]
    return items + [item for item in ids if item.value not in seen] + piper


@_never_raises
def complete_setting_name(
    ctx: click.Context, param: click.Parameter, incomplete: str
) -> list[CompletionItem]:
    """Setting names for ``masseur config set``/``unset``."""
    from masseur.config import SETTINGS

    return [
        CompletionItem(name, help=setting.help)
        for name, setting in SETTINGS.items()
        if name.startswith(incomplete)
    ]


@_never_raises
def complete_setting_value(
    ctx: click.Context, param: click.Parameter, incomplete: str
) -> list[CompletionItem]:
    """Values for ``masseur config set KEY``: true/false for switches, voices for ``voice``."""
    from masseur.config import SETTINGS

    setting = SETTINGS.get(str(ctx.params.get("key")))
    if setting is None:
        return []
    if setting.name == "voice":
        return complete_voice(ctx, param, incomplete)
    if setting.type is bool:
        return [CompletionItem(word) for word in ("true", "false") if word.startswith(incomplete)]
    return []


def completion_script(shell: str, prog_name: str = "masseur") -> str:
    """The script that a shell evaluates to complete ``prog_name``."""
    from click.shell_completion import get_completion_class

    from masseur.cli import cli

    completion_class = get_completion_class(shell)
    if completion_class is None:
        raise ValueError(f"no completion for shell {shell!r}; use one of {', '.join(SHELLS)}")
    return completion_class(cli, {}, prog_name, COMPLETE_VARIABLE).source()
