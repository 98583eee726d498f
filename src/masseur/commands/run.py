"""``masseur run``: the safety screen, then a live session with voice, chimes and keys."""

from __future__ import annotations

import contextlib
import signal
import sys
from contextlib import ExitStack
from typing import IO, TYPE_CHECKING, Any

import click

from masseur.commands.common import choose_voice, plan, timeline_options
from masseur.completion import complete_routine
from masseur.errors import BadInput, ExitStatus, MasseurError
from masseur.terminal import echo

if TYPE_CHECKING:
    from masseur.config import Settings
    from masseur.history import SessionRecord
    from masseur.routine import Routine
    from masseur.runner import Command, MonotonicClock, SessionResult
    from masseur.session import PlayerProbe, SessionOptions, SessionReport
    from masseur.speech import Pyttsx3Synthesizer
    from masseur.stopping import StopSignals
    from masseur.timeline import Timeline


def _signal_commands() -> dict[int, Command]:
    from masseur.runner import Command

    return {
        signal.SIGINT: Command.INTERRUPT,
        signal.SIGTERM: Command.TERMINATE,
        signal.SIGHUP: Command.HANG_UP,
        signal.SIGTSTP: Command.SUSPEND,
    }


def print_dry_run(timeline: Timeline) -> None:
    from rich.console import Console
    from rich.table import Table

    from masseur.durations import format_clock
    from masseur.spacing import speech_overlaps
    from masseur.textsafety import plain
    from masseur.words import totals_line, words_for

    table = Table(box=None, pad_edge=False, header_style="bold")
    table.add_column("time", justify="right")
    table.add_column("kind")
    table.add_column("step", justify="right")
    table.add_column("part", justify="right")
    table.add_column("what", overflow="fold")
    for event in timeline.events:
        segment = timeline.segments[event.segment] if event.segment is not None else None
        what = event.text or (f"♪ {event.sound}" if event.sound else "")
        table.add_row(
            format_clock(event.at_ms),
            event.kind.value,
            f"{segment.step_index + 1}" if segment else "",
            f"{segment.index + 1}" if segment else "",
            plain(what),
        )
    console = Console(highlight=False)
    console.print(table)
    console.print(
        f"\n[bold]Total[/bold] {totals_line(words_for('en'), timeline)}, voice at "
        f"{timeline.rate} words per minute"
    )
    overlaps = speech_overlaps(timeline)
    if overlaps:
        places = ", ".join(
            f"{format_clock(event.at_ms)} (+{by / 1000:.1f}s)" for event, by in overlaps[:5]
        )
        more = f" and {len(overlaps) - 5} more" if len(overlaps) > 5 else ""
        echo(
            f"masseur: warning: {words_for('en').count(len(overlaps), 'sentence')} would run "
            f"into the next one: {places}{more}; give the steps more time (--minutes) or a "
            "faster --rate",
            sys.stderr,
        )


def safety_screen(routine: Routine, assume_yes: bool) -> bool:
    """Show the contraindications; True when the person chooses to go on."""
    from masseur.terminal import confirm, show_safety
    from masseur.words import words_for

    words = words_for(routine.language)
    ask = None if assume_yes or not sys.stdin.isatty() else sys.stdin.readline
    show_safety(
        routine.title, routine.contraindications, routine.preparation, words, sys.stderr, ask
    )
    if assume_yes:
        return True
    if ask is None:
        raise BadInput(
            "cannot ask you to confirm the contraindications: input is not a terminal; "
            "read them above (or with `masseur show`) and run again with --yes"
        )
    return confirm(words, sys.stderr, ask)


def print_summary(result: SessionResult, language: str, err: IO[str]) -> None:
    from masseur.durations import format_duration
    from masseur.words import words_for

    words = words_for(language)
    parts = [
        words(f"outcome_{result.outcome.value}", time=format_duration(result.elapsed_ms)),
        words(
            "done_of",
            done=result.segments_done,
            parts=words.count(result.segments_total, "part"),
            total=result.segments_total,
        ),
    ]
    if result.segments_skipped:
        parts.append(words("skipped", count=result.segments_skipped))
    if result.missed_speech:
        parts.append(words("not_spoken", sentences=words.count(result.missed_speech, "sentence")))
    echo(", ".join(parts) + ".", err)
    if result.stopped_at is not None:
        echo(words("resume_hint"), err)


@click.command(
    "run",
    epilog="Examples:\n\n  masseur run foot-classic\n\n"
    "  masseur run foot-self-massage --minutes 20 --countdown\n\n"
    "  masseur run bedtime-relax --dry-run\n\n"
    "  masseur run foot-classic --from 3 --lead-in 5\n\n"
    "  masseur run --resume",
)
@click.argument("routine", required=False, shell_complete=complete_routine)
@timeline_options
@click.option("-y", "--yes", is_flag=True, help="Skip the contraindications question.")
@click.option("--dry-run", is_flag=True, help="Print the timeline as a table and exit.")
@click.option(
    "--plain/--no-plain",
    default=None,
    help="Plain lines instead of the live screen (automatic when not a terminal).",
)
@click.option(
    "--require-audio/--no-require-audio",
    default=None,
    help="Stop if no sound can play, instead of going on text-only.",
)
@click.option("--text-only", is_flag=True, help="No voice, no chimes: text on screen only.")
@click.option(
    "--from",
    "start_step",
    metavar="STEP",
    help="Start at this step: its number (as `masseur show` lists it) or its name.",
)
@click.option(
    "--resume",
    is_flag=True,
    help="Continue the last unfinished session (of ROUTINE, if given) where it stopped.",
)
@click.option(
    "--lead-in",
    type=click.IntRange(0, 60),
    default=0,
    metavar="SECONDS",
    help="A spoken count of this many seconds before the first step, to get your hands ready.",
)
def command(
    routine: str | None,
    yes: bool,
    dry_run: bool,
    text_only: bool,
    minutes: float | None,
    start_step: str | None,
    resume: bool,
    lead_in: int,
    **given: Any,
) -> None:
    """Guide a session of ROUTINE (a name or a file) by voice, hands-free.

    masseur first shows who should not do this massage and asks you to
    confirm. During the session: space pauses and resumes, n or Right skips
    to the next step, b or Left goes back, r repeats the instruction, q quits.
    A session you stop is kept in your history with where it stopped:
    `masseur run --resume` continues it there.
    """
    from masseur import config
    from masseur.library import load

    resumed = None
    if resume:
        if start_step is not None:
            raise BadInput("--resume starts where the last session stopped; leave out --from")
        resumed, routine, minutes = _resume(routine, given, minutes)
    elif routine is None:
        raise BadInput(
            "say which routine to run (see `masseur list`), e.g. `masseur run foot-classic`, "
            "or continue the last one with `masseur run --resume`"
        )

    probe = None
    synthesizer = None
    if not (dry_run or text_only):
        from masseur.commands.common import start_speech_engine
        from masseur.session import PlayerProbe

        # Speech first: its engine starts, then the sound device opens, while the routine loads.
        synthesizer = start_speech_engine(given)
        click.get_current_context().call_on_close(synthesizer.close)
        probe = PlayerProbe()
    entry, loaded = load(routine)
    settings = config.resolve(given, routine=loaded)
    # The voice is checked before the safety screen: a typo must not cost a screenful first.
    voice, no_voice = choose_voice(
        settings, loaded.language, needed=not (text_only or dry_run), synthesizer=synthesizer
    )
    if settings.require_audio and probe is not None:
        probe.result()  # no sound device: say so now, not after the safety screen
    # The safety screen is confirmed only by a person at a terminal; anyone else (--yes,
    # plain output) hears the contraindications at the start of the session. A dry run
    # shows the session as `run` would play it with these options at a terminal, so it
    # agrees with `show`, `list` and the text exports unless --yes or --plain says otherwise.
    at_terminal = dry_run or (sys.stdin.isatty() and sys.stdout.isatty())
    confirmed_on_screen = not yes and at_terminal and not settings.plain
    planned = plan(
        loaded, settings, minutes, voice_id=voice, speak_warnings=not confirmed_on_screen
    )
    timeline, start_ms = _starting_point(loaded, planned, resumed, start_step, lead_in)
    if dry_run:
        print_dry_run(timeline)
        return
    if not safety_screen(loaded, yes):
        from masseur.words import words_for

        echo(words_for(loaded.language)("stopped_before"), sys.stderr)
        return
    from masseur.outcome import Outcome
    from masseur.runner import MonotonicClock
    from masseur.stopping import StopSignals, exit_status, let_go_of_a_closed_terminal

    options = settings.session_options(
        voice, text_only=text_only, no_voice=no_voice, start_ms=start_ms
    )
    file = str(entry.path.resolve()) if entry.origin == "file" else None
    clock = MonotonicClock()
    commands = _signal_commands()
    # From here on Ctrl-C, SIGTERM, SIGHUP and Ctrl-Z are commands to the session, however
    # many come: it ends, the terminal is restored and the session is logged before exit.
    with StopSignals(lambda signum: clock.inbox.put(commands[signum])) as signals:
        report = _run(loaded, timeline, options, settings.plain, probe, clock, signals, synthesizer)
        _record(loaded, timeline, report, settings, minutes, voice, file, sys.stderr)
        if report.sound_lost is not None:
            _say_safely(f"masseur: {report.sound_lost.message}", sys.stderr)
    if signals.first is not None:
        let_go_of_a_closed_terminal()
        raise click.exceptions.Exit(exit_status(signals.first))
    if report.result.outcome is Outcome.INTERRUPTED:
        raise click.exceptions.Exit(ExitStatus.INTERRUPTED)
    if report.result.outcome is Outcome.SOUND_LOST:
        raise click.exceptions.Exit(ExitStatus.FAILURE)


def _say_safely(text: str, stream: IO[str]) -> None:
    """A last line after a session; a terminal that was closed (SIGHUP) takes nothing."""
    with contextlib.suppress(OSError):
        echo(text, stream)


def _starting_point(
    routine: Routine,
    timeline: Timeline,
    resumed: SessionRecord | None,
    start_step: str | None,
    lead_in: int,
) -> tuple[Timeline, int]:
    """The timeline with its lead-in, and where in it the session begins (ms)."""
    from masseur.resume import part_of_step, with_lead_in

    start_part: int | None = None
    if resumed is not None and resumed.stopped_at_part is not None:
        start_part = min(resumed.stopped_at_part, len(timeline.segments) - 1)
    elif start_step is not None:
        start_part = part_of_step(routine, timeline, start_step)
    timeline = with_lead_in(timeline, lead_in, start_part or 0)
    if start_part is None:
        return timeline, 0  # from the introduction
    return timeline, timeline.segments[start_part].start_ms - lead_in * 1000


def _run(
    routine: Routine,
    timeline: Timeline,
    options: SessionOptions,
    plain: bool,
    probe: PlayerProbe | None,
    clock: MonotonicClock,
    signals: StopSignals,
    synthesizer: Pyttsx3Synthesizer | None,
) -> SessionReport:
    from masseur.display import LiveDisplay, PlainDisplay
    from masseur.session import TerminalHolder, run_session

    stdout = sys.stdout
    stderr = sys.stderr
    interactive = sys.stdin.isatty()
    with ExitStack() as stack:
        display: PlainDisplay | LiveDisplay = PlainDisplay(stdout)
        holders: tuple[TerminalHolder, ...] = ()
        if stdout.isatty() and not plain:
            from rich.console import Console  # only the live screen needs rich

            display = stack.enter_context(LiveDisplay(Console()))
            holders = (display,)
        report = run_session(
            routine,
            timeline,
            options,
            display=display,
            stdout=stdout,
            stderr=stderr,
            keyboard=interactive,
            clock=clock,
            probe=probe,
            signals=signals,
            holders=holders,
            synthesizer=synthesizer,
        )
    with contextlib.suppress(OSError):  # the terminal was closed: the history has it all
        print_summary(report.result, routine.language, stderr)
    return report


def _resume(
    routine: str | None, given: dict[str, Any], minutes: float | None
) -> tuple[SessionRecord, str, float | None]:
    """The session to continue, the routine to load, and its options (unless given again)."""
    from masseur.history import read_records
    from masseur.library import looks_like_path
    from masseur.resume import last_unfinished

    records, _warnings = read_records()
    wanted = routine if routine is not None and not looks_like_path(routine) else None
    record = last_unfinished(records, wanted)
    for key in ("rate", "countdown", "halfway", "chimes", "voice"):
        if given.get(key) is None and record.options.get(key) is not None:
            given[key] = record.options[key]
    if minutes is None and isinstance(record.options.get("minutes"), int | float):
        minutes = float(record.options["minutes"])  # type: ignore[arg-type]
    file = record.options.get("file")
    return record, str(file) if isinstance(file, str) else record.routine, minutes


def _record(
    routine: Routine,
    timeline: Timeline,
    report: SessionReport,
    settings: Settings,
    minutes: float | None,
    voice: str | None,
    file: str | None,
    stderr: IO[str],
) -> None:
    from masseur.history import SessionRecord, append_record

    result = report.result
    options: dict[str, object] = {
        "rate": settings.words_per_minute,
        "countdown": settings.countdown,
        "halfway": settings.halfway,
        "chimes": settings.chimes,
        "minutes": minutes,
        "voice": voice,
    }
    if file is not None:
        options["file"] = file  # a routine from a file is found again by its path
    record = SessionRecord(
        routine=routine.name,
        title=routine.title,
        started_at=report.started_at.isoformat(timespec="seconds"),
        planned_ms=timeline.total_ms,
        actual_ms=result.elapsed_ms,
        steps_done=result.segments_done,
        steps_skipped=result.segments_skipped,
        steps_total=result.segments_total,
        outcome=result.outcome,
        options=options,
        stopped_at_part=result.stopped_at,
    )
    try:
        append_record(record)
    except (OSError, MasseurError) as error:
        echo(f"masseur: could not save this session to the history: {error}", stderr)
