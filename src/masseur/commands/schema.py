"""``masseur schema``: the routine format as JSON Schema, for editors."""

from __future__ import annotations

import json

import click


@click.command(
    "schema",
    epilog="Example: masseur schema > routine.schema.json  "
    "(then add `# yaml-language-server: $schema=routine.schema.json` to a routine)",
)
def command() -> None:
    """Print the routine format as JSON Schema, for editors that autocomplete YAML."""
    from masseur.routine import json_schema

    click.echo(json.dumps(json_schema(), indent=2, ensure_ascii=False))
