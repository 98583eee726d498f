"""``python -m masseur``: the same as the ``masseur`` command."""

from masseur.cli import run

run()
