"""``masseur history``: past sessions, time per week and the current streak."""

from __future__ import annotations

import json
from datetime import date, datetime

import click


@click.command(
    "history",
    epilog="\b\nExamples:\n  masseur history -n 5\n  masseur history --json | jq .summary",
)
@click.option(
    "-n",
    "--last",
    "limit",
    type=click.IntRange(min=1),
    metavar="N",
    default=10,
    show_default=True,
    help="How many recent sessions to show.",
)
@click.option("--all", "show_all", is_flag=True, help="Show every session.")
@click.option("--json", "as_json", is_flag=True, help="Print as JSON for scripts.")
def command(limit: int, show_all: bool, as_json: bool) -> None:
    """Show your recent sessions, your time this week and month, and your streak.

    Every session is logged when it ends, whether it finished, you quit or it was
    interrupted. The streak counts consecutive days with a session; it lasts until the end
    of the day after your last one. The log is a JSON-lines file in your data folder.
    """
    from masseur.history import history_path, scan_history
    from masseur.textsafety import plain, visible

    path = history_path()
    today = date.today()
    scan = scan_history(path, today, None if show_all else limit)
    shown, summary, warnings = scan.newest, scan.summary, scan.warnings

    if as_json:
        document = {
            "path": str(path),
            "sessions": [
                {
                    "routine": record.routine,
                    "title": record.title,
                    "started_at": record.started_at,
                    "planned_ms": record.planned_ms,
                    "actual_ms": record.actual_ms,
                    "steps_done": record.steps_done,
                    "steps_skipped": record.steps_skipped,
                    "steps_total": record.steps_total,
                    "outcome": record.outcome,
                    "options": record.options,
                }
                for record in shown
            ],
            "summary": summary.as_json(),
            "warnings": warnings,
        }
        click.echo(json.dumps(document, indent=2, ensure_ascii=False, default=str))
        return

    for warning in warnings:
        click.echo(visible(f"masseur: warning: {warning}"), err=True)
    if not scan.total_sessions:
        click.echo("No sessions yet. Start one with: masseur run ROUTINE")
        click.echo(f"(They will be logged in {path})")
        return

    from rich.console import Console
    from rich.table import Table

    from masseur.durations import format_duration

    console = Console(highlight=False)
    table = Table(box=None, pad_edge=False, header_style="bold")
    for column in ("when", "routine", "time", "parts", "outcome"):
        table.add_column(column, justify="right" if column in ("time", "parts") else "left")
    outcome_style = {"finished": "green", "skipped": "dim", "quit": "yellow"}
    for record in shown:
        started = record.started.astimezone()
        steps = f"{record.steps_done}/{record.steps_total}"
        if record.steps_skipped:
            steps += f" ({record.steps_skipped} skipped)"
        style = outcome_style.get(record.outcome, "red")  # stopped by a signal or lost sound
        table.add_row(
            _when(started, today),
            plain(record.routine),
            format_duration(record.actual_ms),
            steps,
            f"[{style}]{record.outcome}[/{style}]",
        )
    console.print(table)
    if len(shown) < scan.total_sessions:
        console.print(
            f"[dim]{len(shown)} of {scan.total_sessions} sessions; --all shows every one[/dim]"
        )
    console.print()
    console.print(
        f"[bold]This week[/bold] (since {summary.week_start:%a %d %b}): "
        f"{_sessions(summary.week_sessions)}, {format_duration(summary.week_ms)}"
    )
    console.print(
        f"[bold]This month[/bold] ({today:%B}): "
        f"{_sessions(summary.month_sessions)}, {format_duration(summary.month_ms)}"
    )
    streak = summary.current_streak_days
    line = f"[bold]Streak[/bold]: {streak} day{'s' if streak != 1 else ''}"
    if streak and summary.last_session_day is not None and summary.last_session_day < today:
        line += " (a session today keeps it going)"
    line += f"; longest {summary.longest_streak_days}"
    console.print(line)


def _sessions(count: int) -> str:
    return f"{count} session{'s' if count != 1 else ''}"


def _when(started: datetime, today: date) -> str:
    if started.date() == today:
        return f"today {started:%H:%M}"
    if started.year == today.year:
        return f"{started:%a %d %b %H:%M}"
    return f"{started:%Y-%m-%d %H:%M}"
