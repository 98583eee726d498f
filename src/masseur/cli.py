"""The ``masseur`` command line: parses options and hands work to the modules that do it.

Subcommands live in ``masseur.commands.*`` and are imported only when used, so that
``masseur --help`` does not pay for YAML, rich or the audio stack.
"""

from __future__ import annotations

import contextlib
import errno
import importlib
import sys
from typing import TYPE_CHECKING, Any

import click

from masseur import __version__
from masseur.errors import ExitStatus, MasseurError
from masseur.textsafety import visible

if TYPE_CHECKING:
    from click.shell_completion import CompletionItem

# name -> (module, one-line help). The help is repeated here so listing commands imports nothing.
COMMANDS: dict[str, tuple[str, str]] = {
    "run": ("masseur.commands.run", "Guide a session by voice, hands-free."),
    "list": ("masseur.commands.listing", "List built-in and your own routines."),
    "show": ("masseur.commands.show", "Show a routine: steps, timing, contraindications."),
    "validate": ("masseur.commands.validate", "Check routine files for mistakes."),
    "schema": ("masseur.commands.schema", "Print the routine format as JSON Schema."),
    "voices": ("masseur.commands.voices", "List the installed voices (and hear them)."),
    "say": ("masseur.commands.say", "Say a sentence in a voice, or write it to a WAV file."),
    "export": ("masseur.commands.export", "Export a session as text, subtitles or audio."),
    "new": ("masseur.commands.new", "Start a routine of your own (from scratch or a copy)."),
    "edit": ("masseur.commands.edit", "Edit one of your routines and check it on save."),
    "history": ("masseur.commands.history", "Show past sessions, weekly time and your streak."),
    "config": ("masseur.commands.config", "Show or change your settings."),
    "doctor": ("masseur.commands.doctor", "Check speech, sound, folders and settings."),
    "completion": ("masseur.commands.completion", "Print the shell completion script."),
}


def say(message: str) -> None:
    """An error line on stderr; on a terminal, wrapped at word boundaries to its width."""
    from masseur.terminal import echo

    echo(message, sys.stderr)


def say_stopped(stop: KeyboardInterrupt) -> int:
    """Say how masseur was stopped (Ctrl-C, or a signal as SignalStop); its exit status."""
    import signal

    from masseur.stopping import SignalStop, describe, exit_status, let_go_of_a_closed_terminal

    signum = stop.signum if isinstance(stop, SignalStop) else signal.SIGINT
    with contextlib.suppress(OSError):  # a closed terminal (SIGHUP) takes nothing
        click.echo(f"\nmasseur: {describe(signum)}", err=True)
    let_go_of_a_closed_terminal()
    return exit_status(signum)


def one_line_usage_error(error: click.UsageError) -> str:
    """Click's usage errors in one line, with where to read more."""
    where = error.ctx.command_path if error.ctx is not None else "masseur"
    return visible(f"{where}: {error.format_message()} (see `{where} --help`)")


def one_line_error(error: MasseurError) -> str:
    """A masseur error as the one line a user sees, control characters made visible."""
    return visible(str(error) if error.location else f"masseur: {error}")


# OS errors that mean the user named something that cannot be used (exit 2, not 1).
_BAD_INPUT_ERRNOS = {errno.ENAMETOOLONG, errno.ENOENT, errno.ENOTDIR, errno.EISDIR, errno.ELOOP}


def os_error_report(error: OSError) -> tuple[str, ExitStatus]:
    """An OS error no command expected, as one line and an exit code (never a traceback)."""
    what = error.strerror or str(error)
    where = f"{error.filename}: " if error.filename else ""
    hint = ""
    if error.errno == errno.ENAMETOOLONG:
        hint = "; each part of a path may have at most 255 bytes, use a shorter name"
    status = ExitStatus.BAD_INPUT if error.errno in _BAD_INPUT_ERRNOS else ExitStatus.FAILURE
    return visible(f"masseur: {where}{what}{hint}"), status


class LazyGroup(click.Group):
    """A group whose subcommands are imported on first use."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        spec = COMMANDS.get(cmd_name)
        if spec is None:
            return None
        module = importlib.import_module(spec[0])
        command: click.Command = module.command
        return command

    def shell_complete(self, ctx: click.Context, incomplete: str) -> list[CompletionItem]:
        # Completing a command name must not import every command module (Tab must be quick).
        from click.shell_completion import CompletionItem

        items = [
            CompletionItem(name, help=COMMANDS[name][1])
            for name in self.list_commands(ctx)
            if name.startswith(incomplete)
        ]
        items.extend(click.Command.shell_complete(self, ctx, incomplete))
        return items

    def invoke(self, ctx: click.Context) -> Any:
        # Errors are turned into one line and an exit code here, not in main(), so that
        # click's test runner and shell completion see exactly what a user sees.
        try:
            return super().invoke(ctx)
        except MasseurError as error:
            say(one_line_error(error))
            raise click.exceptions.Exit(error.status) from None
        except click.UsageError as error:
            say(one_line_usage_error(error))
            raise click.exceptions.Exit(ExitStatus.BAD_INPUT) from None
        except BrokenPipeError:
            raise
        except OSError as error:
            message, status = os_error_report(error)
            click.echo(message, err=True)
            raise click.exceptions.Exit(status) from None
        except KeyboardInterrupt as stop:
            raise click.exceptions.Exit(say_stopped(stop)) from None

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, COMMANDS[name][1]) for name in self.list_commands(ctx)]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


@click.group(
    cls=LazyGroup,
    invoke_without_command=True,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
    epilog="Example: masseur run foot-self-massage   (see `masseur COMMAND --help`)",
)
@click.version_option(__version__, "-V", "--version", prog_name="masseur")
@click.pass_context
def cli(ctx: click.Context) -> None:
    """masseur talks you through a foot and leg self-massage, hands-free.

    It reads a routine of timed steps, speaks each one aloud, chimes between
    them and shows where you are, so your hands stay on your feet.
    """
    if ctx.invoked_subcommand is None:  # `masseur` alone: the help, as asked for
        click.echo(ctx.get_help())


def run() -> None:
    """The ``masseur`` program: :func:`main`, then an exit that skips the interpreter's last
    garbage collection, which went through every object of every module (30 ms of each
    command here) to free memory the system takes back anyway. By then every file masseur
    wrote is closed and every process it started is stopped."""
    import gc

    try:
        main()
    finally:
        gc.freeze()


def main(argv: list[str] | None = None, **extra: Any) -> None:
    """Entry point: turns every known failure into one line and the right exit code."""
    from masseur.streams import prepare_standard_streams

    prepare_standard_streams()
    try:
        status = cli.main(args=argv, prog_name="masseur", standalone_mode=False, **extra)
    except MasseurError as error:
        say(one_line_error(error))
        sys.exit(error.status)
    except click.exceptions.Exit as done:
        sys.exit(done.exit_code)
    except click.UsageError as error:
        say(one_line_usage_error(error))
        sys.exit(ExitStatus.BAD_INPUT)
    except click.ClickException as error:
        error.show()
        sys.exit(error.exit_code)
    except KeyboardInterrupt as stop:
        sys.exit(say_stopped(stop))
    except click.Abort:
        sys.exit(say_stopped(KeyboardInterrupt()))
    except BrokenPipeError:
        # `masseur export ... -o - | head`: the reader left; that is not an error of ours.
        sys.stderr.close()
        sys.exit(ExitStatus.OK)
    except OSError as error:
        message, status = os_error_report(error)
        click.echo(message, err=True)
        sys.exit(status)
    # Without standalone mode click returns the code of a command that called ctx.exit(code).
    sys.exit(status if isinstance(status, int) else ExitStatus.OK)
