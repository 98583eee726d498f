"""``masseur voices``: the installed voices and the languages they speak."""

from __future__ import annotations

import json

import click


@click.command("voices", epilog="Example: masseur voices --language ru")
@click.option("-l", "--language", default=None, help="Only voices that speak this language.")
@click.option("--json", "as_json", is_flag=True, help="Print the voices as JSON for scripts.")
def command(language: str | None, as_json: bool) -> None:
    """List the installed voices: id, name and languages; the default is marked.

    Give an id or a language code to `masseur run --voice`.
    """
    from masseur.speech import list_voices

    voices = list_voices()
    if language:
        wanted = language.lower().replace("_", "-")
        voices = [
            voice
            for voice in voices
            if any(
                code.lower() == wanted or code.lower().startswith(wanted + "-")
                for code in voice.languages
            )
        ]
        if not voices:
            from masseur.errors import BadInput

            raise BadInput(
                f"no installed voice speaks {language!r}; run `masseur voices` "
                "to see them all, or install more espeak-ng voices"
            )
    if as_json:
        rows = [
            {"id": v.id, "name": v.name, "languages": list(v.languages), "default": v.is_default}
            for v in voices
        ]
        click.echo(json.dumps(rows, indent=2, ensure_ascii=False))
        return
    from rich.console import Console
    from rich.table import Table

    from masseur.textsafety import plain

    table = Table(box=None, pad_edge=False, header_style="bold")
    for column in ("", "id", "name", "languages"):
        table.add_column(column)
    for voice in voices:
        table.add_row(
            "*" if voice.is_default else "",
            plain(voice.id),
            plain(voice.name),
            plain(", ".join(voice.languages)),
        )
    console = Console(highlight=False)
    console.print(table)
    console.print(f"\n{len(voices)} voices; * marks the default.", style="dim")
