"""Run ``masseur.cli.main`` (the real entry point, with its exit codes) inside click's runner."""

from __future__ import annotations

from dataclasses import dataclass

from click.testing import CliRunner

from masseur.cli import main


@dataclass(frozen=True)
class MainResult:
    exit_code: int
    stdout: str
    stderr: str
    output: str  # stdout and stderr interleaved as a terminal would show them


def run_main(args: list[str], input: str | None = None) -> MainResult:
    """``masseur ARGS`` as the console script runs it: errors become one line and a status."""
    runner = CliRunner()
    code: int = 0
    with runner.isolation(input=input) as (stdout, stderr, output):
        try:
            main(args)
        except SystemExit as done:
            code = done.code if isinstance(done.code, int) else 1
    return MainResult(
        code,
        stdout.getvalue().decode(),
        stderr.getvalue().decode(),
        output.getvalue().decode(),
    )
