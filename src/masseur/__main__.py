"""``python -m masseur``: the same as the ``masseur`` command."""

from masseur.cli import main

main()
