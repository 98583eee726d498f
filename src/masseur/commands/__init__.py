"""One module per ``masseur`` subcommand; each exposes ``command``."""
