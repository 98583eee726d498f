"""``masseur config``: show the settings and where each comes from; set and unset them."""

from __future__ import annotations

import json
import os

import click

from masseur.completion import complete_setting_name, complete_setting_value


@click.group(
    "config",
    invoke_without_command=True,
    epilog=(
        "\b\nExamples:\n  masseur config\n  masseur config set rate 140\n"
        "  masseur config unset rate\n  MASSEUR_VOICE=ru masseur config --json"
    ),
)
@click.option("--json", "as_json", is_flag=True, help="Print the settings as JSON for scripts.")
@click.pass_context
def command(ctx: click.Context, as_json: bool) -> None:
    """Show your settings and where each one comes from.

    Settings are read from config.toml (see `masseur config path`), then from
    environment variables MASSEUR_<NAME> (e.g. MASSEUR_RATE=140), then from the
    command line; each one overrides the one before.
    """
    if ctx.invoked_subcommand is not None:
        return
    from masseur.config import SETTINGS, resolve

    resolved = resolve({})
    if as_json:
        document = {
            "path": str(resolved.config_path),
            "settings": {
                name: {
                    "value": resolved.values[name],
                    "source": resolved.sources[name],
                    "default": setting.default,
                    "env": setting.env_var,
                }
                for name, setting in SETTINGS.items()
            },
        }
        click.echo(json.dumps(document, indent=2, ensure_ascii=False))
        return

    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    from masseur.config import format_toml_value

    console = Console(highlight=False)
    table = Table(box=None, pad_edge=False, header_style="bold")
    for column in ("setting", "value", "from", "meaning"):
        table.add_column(column)
    for name, setting in SETTINGS.items():
        value = resolved.values[name]
        source = resolved.sources[name]
        shown = "(routine's)" if value is None else format_toml_value(value)
        where = f"environment ({setting.env_var})" if source == "environment" else source
        style = "dim" if source == "default" else "bold"
        table.add_row(name, f"[{style}]{escape(shown)}[/{style}]", where, escape(setting.help))
    console.print(table)
    # Plain echo: rich would wrap a long path, and people copy it into their editor.
    exists = resolved.config_path.exists()
    click.echo(f"\nSettings file: {resolved.config_path}{'' if exists else ' (not created yet)'}")


@command.command("path")
def path_command() -> None:
    """Print where the settings file is (it may not exist yet)."""
    from masseur.config import config_path

    click.echo(str(config_path()))


@command.command("set", epilog="Example: masseur config set voice ru")
@click.argument("key", shell_complete=complete_setting_name)
@click.argument("value", shell_complete=complete_setting_value)
def set_command(key: str, value: str) -> None:
    """Write KEY = VALUE into the settings file (creating it if needed).

    The value is checked first; other settings and comments in the file are kept.
    """
    from masseur.config import config_path, format_toml_value, set_setting
    from masseur.errors import BadInput
    from masseur.textsafety import find_control_character, is_undecodable

    if is_undecodable(value):
        raise BadInput(
            f"the value for '{key}' is not valid UTF-8 text; type it again in a UTF-8 terminal"
        )
    if find_control_character(value) is not None:
        raise BadInput(f"the value for '{key}' contains a control character; remove it")
    if key == "voice" and value.strip():
        from masseur.errors import MasseurError
        from masseur.speech import NoVoiceForLanguage, resolve_voice

        try:
            resolve_voice(value, None)  # an unknown voice is refused now, not at the next session
        except NoVoiceForLanguage:
            raise
        except MasseurError:
            pass  # no speech engine here to ask; `masseur doctor` says so
    written = set_setting(key, value)
    click.echo(f"{key} = {format_toml_value(written)}   ({config_path()})")


@command.command("unset", epilog="Example: masseur config unset rate")
@click.argument("key", shell_complete=complete_setting_name)
def unset_command(key: str) -> None:
    """Remove KEY from the settings file, so its default applies again."""
    from masseur.config import SETTINGS, config_path, unset_setting

    if unset_setting(key):
        click.echo(f"removed {key} from {config_path()}")
        if key not in SETTINGS:
            click.echo(f"note: '{key}' is not a masseur setting; it was removed", err=True)
    else:
        click.echo(f"{key} was not set in {config_path()}; nothing to do", err=True)
    if key in SETTINGS and SETTINGS[key].env_var in os.environ:
        click.echo(f"note: {SETTINGS[key].env_var} is set in your environment", err=True)
