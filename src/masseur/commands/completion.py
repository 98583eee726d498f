"""``masseur completion``: print the script that lets a shell complete masseur's words."""

from __future__ import annotations

import os
from pathlib import Path

import click

from masseur.completion import SHELLS


@click.command(
    "completion",
    epilog="""\b
Install it once:
  bash  echo 'eval "$(masseur completion bash)"' >> ~/.bashrc
  zsh   echo 'eval "$(masseur completion zsh)"' >> ~/.zshrc
  fish  masseur completion fish > ~/.config/fish/completions/masseur.fish
Then open a new shell and try: masseur run <Tab>""",
)
@click.argument("shell", required=False, type=click.Choice(SHELLS), metavar="[bash|zsh|fish]")
def command(shell: str | None) -> None:
    """Print the script that makes your SHELL complete masseur commands.

    It completes commands, options, routine names (built-in and yours), voices and
    setting names. SHELL is bash, zsh or fish; without it, the shell in $SHELL is used.
    Evaluate the output in your shell's start-up file, as shown below.
    """
    from masseur.completion import completion_script
    from masseur.errors import BadInput

    if shell is None:
        guessed = Path(os.environ.get("SHELL", "")).name
        if guessed not in SHELLS:
            raise BadInput(
                f"cannot tell your shell from $SHELL ({guessed or 'not set'}); "
                f"name one: masseur completion {'|'.join(SHELLS)}"
            )
        shell = guessed
    click.echo(completion_script(shell), nl=False)
