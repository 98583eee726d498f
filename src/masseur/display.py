"""What the person sees during a session: a live screen on a terminal, plain lines otherwise."""

from __future__ import annotations

from typing import IO, Any

from masseur.durations import format_clock, format_duration
from masseur.runner import Status
from masseur.timeline import Event, EventKind, Part, Segment

KEYS_HELP = "space pause/resume · n/→ next · b/← back · r repeat · q quit"
MAP_COLUMNS = 16  # width of the map of the current zones on a large terminal


def _segment_label(segment: Segment, count: int) -> str:
    parts = [f"{segment.index + 1}/{count}", segment.heading]
    if segment.side:
        parts.append(f"({segment.side})")
    if segment.repetitions > 1:
        parts.append(f"[{segment.repetition}/{segment.repetitions}]")
    return " ".join(parts)


def _where(zones: tuple[str, ...], language: str) -> str:
    """Where the hands work, in words: "Where: heel, arch"."""
    from masseur.phrases import guide_words
    from masseur.zones import describe

    return f"{guide_words(language).where}: {describe(zones, language)}"


class PlainDisplay:
    """One line per event, for pipes, logs, screen readers and ``--plain``."""

    tick_s: float | None = None

    def __init__(self, stream: IO[str]) -> None:
        self.stream = stream
        self._paused = False

    def _print(self, text: str) -> None:
        print(text, file=self.stream, flush=True)

    def update(self, status: Status) -> None:
        if status.paused != self._paused:
            self._paused = status.paused
            stamp = format_clock(status.position_ms)
            self._print(f"[{stamp}] paused" if status.paused else f"[{stamp}] resumed")

    def event(self, event: Event, status: Status) -> None:
        stamp = format_clock(event.at_ms)
        count = len(status.timeline.segments)
        if event.kind is EventKind.STEP and status.current is not None:
            segment = status.current
            self._print(
                f"[{stamp}] {_segment_label(segment, count)} · "
                f"{format_duration(segment.duration_ms)}"
            )
            self._print(f"    {event.text}")
            if segment.zones:
                self._print(f"    {_where(segment.zones, status.timeline.language)}")
        elif event.kind is EventKind.INTRO:
            self._print(f"[{stamp}] {status.timeline.title}")
            self._print(f"    {event.text}")
        elif event.kind.spoken:
            self._print(f"[{stamp}]   {event.text}")
            if event.zones:
                self._print(f"    {_where(event.zones, status.timeline.language)}")
        elif event.kind is EventKind.END:
            self._print(f"[{stamp}] end")


class LiveDisplay:
    """A rich screen redrawn a few times a second: step, time left, progress, what's next."""

    tick_s: float | None = 0.25

    def __init__(self, console: Any) -> None:
        from rich.live import Live

        self.console = console
        self._live = Live(console=console, auto_refresh=False, transient=False)
        self._last_text = ""
        self._cue_zones: tuple[str, ...] = ()  # where the last cue moved the hands, this step

    def __enter__(self) -> LiveDisplay:
        self._live.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._live.stop()

    def event(self, event: Event, status: Status) -> None:
        if event.kind is EventKind.STEP or event.kind is EventKind.INTRO:
            self._last_text = event.text
            self._cue_zones = ()
        elif event.kind is EventKind.CUE and event.zones:
            self._cue_zones = event.zones
        self.update(status)

    def update(self, status: Status) -> None:
        self._live.update(self._render(status), refresh=True)

    def _render(self, status: Status) -> Any:
        from rich.console import Group
        from rich.panel import Panel
        from rich.progress_bar import ProgressBar
        from rich.table import Table
        from rich.text import Text

        timeline = status.timeline
        position = min(max(0, status.position_ms), timeline.total_ms)
        segment = status.current
        rows: list[Any] = []
        if segment is not None:
            if segment.phase_title != timeline.title:
                rows.append(Text(segment.phase_title, style="dim"))
            rows.append(Text(_segment_label(segment, len(timeline.segments)), style="bold cyan"))
            rows.append(Text(segment.say))
            zones = self._cue_zones or segment.zones
            if zones:
                rows.append(Text(_where(zones, timeline.language), style="magenta"))
            left = max(0, segment.end_ms - position)
            bar = Table.grid(expand=True, padding=(0, 1))
            bar.add_column(ratio=1)
            bar.add_column(justify="right", width=12)
            bar.add_row(
                ProgressBar(total=segment.duration_ms, completed=segment.duration_ms - left),
                f"{format_clock(left)} left",
            )
            rows.append(bar)
        elif status.part is Part.OPENING:
            rows.append(Text("Introduction", style="bold cyan"))
            rows.append(Text(self._last_text))
        else:
            rows.append(Text("Closing", style="bold cyan"))
        if status.speaking:
            rows.append(Text(f"🔈 {status.speaking}", style="italic"))
        total = Table.grid(expand=True, padding=(0, 1))
        total.add_column(ratio=1)
        total.add_column(justify="right", width=16)
        total.add_row(
            ProgressBar(total=timeline.total_ms, completed=position, complete_style="green"),
            f"{format_clock(position)} / {format_clock(timeline.total_ms)}",
        )
        rows.append(Text(""))
        rows.append(total)
        upcoming = status.upcoming
        if upcoming is not None:
            rows.append(
                Text(
                    f"Next: {upcoming.heading}" + (f" ({upcoming.side})" if upcoming.side else ""),
                    style="dim",
                )
            )
        if status.paused:
            rows.append(Text("PAUSED: press space to go on", style="bold yellow"))
        rows.append(Text(KEYS_HELP, style="dim"))
        body: Any = Group(*rows)
        picture = self._map(segment)
        if picture is not None:
            body = Table.grid(padding=(0, 2))
            body.add_column(ratio=1)
            body.add_column(width=MAP_COLUMNS)
            body.add_row(Group(*rows), picture)
        # A title is routine text: shown as Text, never read as markup.
        return Panel(body, title=Text(timeline.title), border_style="cyan")

    def _map(self, segment: Segment | None) -> Any:
        """A small map of where the hands are, beside the text, on a large colour terminal."""
        from rich.text import Text

        zones = self._cue_zones or (segment.zones if segment is not None else ())
        size = self.console.size
        if not zones or self.console.color_system is None or size.width < 90 or size.height < 30:
            return None
        from masseur.guide.pictures import choose_pictures
        from masseur.guide.terminal import map_lines

        views = choose_pictures(zones)
        if not views:
            return None
        mirrored = segment is not None and segment.side == "left"
        picture = Text()
        for line in map_lines(views[0], zones, columns=MAP_COLUMNS, mirrored=mirrored):
            for character, style in line:
                picture.append(character, style=style or None)
            picture.append("\n")
        return picture
