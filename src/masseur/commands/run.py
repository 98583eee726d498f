from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

import click

from masseur.commands.common import build, choose_voice, settings_from, timeline_options
from masseur.completion import complete_routine
from masseur.errors import BadInput, ExitStatus, MasseurError
from masseur.terminal import echo

if TYPE_CHECKING:
    from masseur.routine import Routine
    from masseur.runner import SessionResult
    from masseur.session import PlayerProbe
    from masseur.timeline import Timeline


def print_dry_run(timeline: Timeline) -> None:
    from rich.console import Console
    from rich.table import Table

    from masseur.durations import format_clock
    from masseur.timeline import speech_overlaps
    from masseur.words import totals_line, words_for

    table = Table(box=None, pad_edge=False, header_style="bold")
    table.add_column("time", justify="right")
    table.add_column("kind")
    table.add_column("step", justify="right")
    table.add_column("part", justify="right")
    table.add_column("what", overflow="fold")
    for event in timeline.events:
        segment = (
            timeline.segments[event.segment]
            if 0 <= event.segment < len(timeline.segments)
            else None
        )
        what = event.text or (f"♪ {event.sound}" if event.sound else "")
        table.add_row(
            format_clock(event.at_ms),
            event.kind.value,
            f"{segment.step_index + 1}" if segment else "",
            f"{segment.index + 1}" if segment else "",
            what,
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


def print_summary(result: SessionResult, language: str, err: Any) -> None:
    from masseur.durations import format_duration
    from masseur.words import words_for

    words = words_for(language)
    parts = [
        words(result.outcome.value, time=format_duration(result.elapsed_ms)),
        words(
            "done_of",
            done=result.segments_done,
            parts=words.count(result.segments_total, "part"),
        ),
    ]
    if result.segments_skipped:
        parts.append(words("skipped", count=result.segments_skipped))
    if result.missed_speech:
        parts.append(words("not_spoken", sentences=words.count(result.missed_speech, "sentence")))
    echo(", ".join(parts) + ".", err)


@click.command(
    "run",
    epilog="Examples:\n\n  masseur run foot-classic\n\n"
    "  masseur run foot-self-massage --minutes 20 --countdown\n\n"
    "  masseur run bedtime-relax --dry-run",
)
@click.argument("routine", shell_complete=complete_routine)
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
def command(
    routine: str, yes: bool, dry_run: bool, text_only: bool, minutes: float | None, **given: Any
) -> None:
    """Guide a session of ROUTINE (a name or a file) by voice, hands-free.

    masseur first shows who should not do this massage and asks you to
    confirm. During the session: space pauses and resumes, n or Right skips
    to the next step, b or Left goes back, r repeats the instruction, q quits.
    """
    from masseur.library import load

    probe = None
    if not (dry_run or text_only):
        from masseur.session import PlayerProbe

        probe = PlayerProbe()  # opens the sound device while the routine loads
    _entry, loaded = load(routine)
    values, _sources = settings_from(loaded, given)
    # The voice is checked before the safety screen: a typo must not cost a screenful first.
    voice, no_voice = choose_voice(values, loaded.language, needed=not (text_only or dry_run))
    if values["require_audio"] and probe is not None:
        probe.result()  # no sound device: say so now, not after the safety screen
    timeline = build(loaded, values, minutes, voice)
    if dry_run:
        print_dry_run(timeline)
        return
    if not safety_screen(loaded, yes):
        from masseur.words import words_for

        echo(words_for(loaded.language)("stopped_before"), sys.stderr)
        return
    status = _run(loaded, timeline, values, voice, text_only, minutes, probe, no_voice)
    if status != ExitStatus.OK:
        raise click.exceptions.Exit(status)


def _run(
    routine: Routine,
    timeline: Timeline,
    values: dict[str, Any],
    voice: str | None,
    text_only: bool,
    minutes: float | None,
    probe: PlayerProbe | None,
    no_voice: str | None,
) -> ExitStatus:
    from masseur.display import LiveDisplay, PlainDisplay
    from masseur.runner import Outcome
    from masseur.session import SessionOptions, run_session

    stdout = sys.stdout
    stderr = sys.stderr
    options = SessionOptions(
        voice=voice,
        rate=int(values["rate"]),
        volume=float(values["volume"]),
        chime_volume=float(values["chime_volume"]),
        require_audio=bool(values["require_audio"]),
        text_only=text_only,
        no_voice=no_voice,
    )
    interactive = sys.stdin.isatty()
    live = stdout.isatty() and not values["plain"]
    display: Any = PlainDisplay(stdout)
    if live:
        from rich.console import Console  # only the live screen needs rich

        display = LiveDisplay(Console())
    if live:
        display.__enter__()
    try:
        report = run_session(
            routine,
            timeline,
            options,
            display=display,
            stdout=stdout,
            stderr=stderr,
            keyboard=interactive,
            probe=probe,
        )
    finally:
        if live:
            display.__exit__(None, None, None)
    result = report.result
    print_summary(result, routine.language, stderr)
    _record(routine, timeline, report, values, minutes, voice, stderr)
    return ExitStatus.INTERRUPTED if result.outcome is Outcome.INTERRUPTED else ExitStatus.OK


def _record(
    routine: Routine,
    timeline: Timeline,
    report: Any,
    values: dict[str, Any],
    minutes: float | None,
    voice: str | None,
    stderr: Any,
) -> None:
    from masseur.history import SessionRecord, append_record

    result = report.result
    options = {key: values[key] for key in ("rate", "countdown", "halfway", "chimes")}
    options.update(minutes=minutes, voice=voice)
    record = SessionRecord(
        routine=routine.name,
        title=routine.title,
        started_at=report.started_at.isoformat(timespec="seconds"),
        planned_ms=timeline.total_ms,
        actual_ms=result.elapsed_ms,
        steps_done=result.segments_done,
        steps_skipped=result.segments_skipped,
        steps_total=result.segments_total,
        outcome=result.outcome.value,
        options=options,
    )
    try:
        append_record(record)
    except (OSError, MasseurError) as error:
        echo(f"masseur: could not save this session to the history: {error}", stderr)
