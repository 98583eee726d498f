"""``masseur voices``: the installed voices, their engines and the languages they speak."""

from __future__ import annotations

import json
from typing import Any

import click

from masseur.speech.base import MAX_RATE, MIN_RATE


@click.command(
    "voices",
    epilog="Examples:\n\n  masseur voices --language ru\n\n  masseur voices --sample",
)
@click.option("-l", "--language", default=None, help="Only voices that speak this language.")
@click.option("--json", "as_json", is_flag=True, help="Print the voices as JSON for scripts.")
@click.option(
    "--sample", is_flag=True, help="Say a sentence in each voice listed (use with --language)."
)
@click.option(
    "--rate", type=click.IntRange(MIN_RATE, MAX_RATE), default=None, help="Words per minute."
)
def command(language: str | None, as_json: bool, sample: bool, rate: int | None) -> None:
    """List the installed voices: id, name, languages and engine; the default is marked.

    espeak-ng voices come with espeak-ng. Piper voices (natural neural voices) are
    an .onnx model with its .onnx.json, put in the voices folder printed at the
    bottom or installed as a package, and need `pip install 'masseur[piper]'`.
    --sample says a sentence in each voice listed, one after another.
    Give an id or a language code to `masseur run --voice` (a Piper voice as
    piper:NAME); a routine is only read by a voice that speaks its language.
    """
    from masseur.speech import list_voices
    from masseur.speech.piper_voices import find_piper_voices, piper_installed, voices_dir

    rows: list[dict[str, Any]] = [
        {
            "id": voice.id,
            "name": voice.name,
            "languages": list(voice.languages),
            "default": voice.is_default,
            "engine": "espeak-ng",
        }
        for voice in list_voices()
    ]
    rows += [
        {
            "id": voice.id,
            "name": voice.short_name,
            "languages": [voice.language],
            "default": False,
            "engine": "piper",
        }
        for voice in find_piper_voices()
    ]
    if language:
        wanted = language.lower().replace("_", "-")
        rows = [
            row
            for row in rows
            if any(
                str(code).lower() == wanted or str(code).lower().startswith(wanted + "-")
                for code in row["languages"]
            )
        ]
        if not rows:
            from masseur.errors import BadInput

            raise BadInput(
                f"no installed voice speaks {language!r}; run `masseur voices` "
                "to see them all, or install more espeak-ng voices"
            )
    if as_json:
        click.echo(json.dumps(rows, indent=2, ensure_ascii=False))
        return
    if sample:
        _say_samples(rows, rate)
        return
    from rich.console import Console
    from rich.table import Table

    from masseur.textsafety import plain

    table = Table(box=None, pad_edge=False, header_style="bold")
    for column in ("", "id", "name", "languages", "engine"):
        table.add_column(column, no_wrap=column == "id")  # an id is copied whole
    for row in rows:
        table.add_row(
            "*" if row["default"] else "",
            plain(str(row["id"])),
            plain(str(row["name"])),
            plain(", ".join(row["languages"])),
            str(row["engine"]),
        )
    console = Console(highlight=False)
    console.print(table)
    console.print(f"\n{len(rows)} voices; * marks the default.", style="dim")
    piper = "" if piper_installed() else " (needs `pip install 'masseur[piper]'`)"
    console.print(f"Piper voices folder{piper}: {voices_dir()}", style="dim")


def _say_samples(rows: list[dict[str, Any]], rate: int | None) -> None:
    """Each voice says a sentence in its own language (English where masseur has none)."""
    from masseur.commands.say import play_to_end, spoken
    from masseur.phrases import phrases_for
    from masseur.speech import Pyttsx3Synthesizer
    from masseur.speech.base import DEFAULT_RATE

    with Pyttsx3Synthesizer() as synthesizer:
        for row in rows:
            languages = row["languages"]
            text = phrases_for(str(languages[0]) if languages else "en").voice_sample
            click.echo(f"{row['id']}  {row['name']}")
            sound = spoken(synthesizer, text, str(row["id"]), rate or DEFAULT_RATE)
            play_to_end(sound, "connect a sound device to hear the voices")
