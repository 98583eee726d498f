"""What the person sees during a session: a live screen on a terminal, plain lines otherwise.

Both show every sentence masseur speaks, when it is due, whether or not sound can play: a
person without a sound device, or hard of hearing, gets all of the guidance on screen.
"""

from __future__ import annotations

import contextlib
from typing import IO, Any

from masseur.durations import format_clock, format_duration
from masseur.runner import Status
from masseur.terminal import terminal_size, wrap
from masseur.timeline import Event, EventKind, Part, Segment, Timeline
from masseur.words import words_for

SAID_LINES = 4  # sentences of a step kept on the live screen under its instruction
MAP_COLUMNS = 16  # width of the map of the current zones on a large terminal


def segment_label(timeline: Timeline, segment: Segment) -> str:
    """ "Step 2/4 · part 3/7: Rub the sole, right foot" in the routine's language."""
    words = words_for(timeline.language)
    label = (
        words("step_of", step=segment.step_index + 1, steps=timeline.step_count)
        + " · "
        + words("part_of", part=segment.index + 1, parts=len(timeline.segments))
        + f": {segment.heading}"
    )
    if segment.side:
        label += f", {segment.side_label}"
    if segment.repetitions > 1:
        label += ", " + words("round_of", round=segment.repetition, rounds=segment.repetitions)
    return label


def next_line(timeline: Timeline, status: Status) -> str:
    """What comes next and when, on the session clock."""
    words = words_for(timeline.language)
    upcoming = status.upcoming
    if status.part is Part.OPENING:  # before a step (introduction, lead-in): the next to start
        upcoming = next((s for s in timeline.segments if s.start_ms >= status.position_ms), None)
    if upcoming is not None:
        what = upcoming.heading
        if upcoming.side:
            what += f", {upcoming.side_label}"
        return words("next_at", clock=format_clock(upcoming.start_ms), what=what)
    if status.part is not Part.CLOSING:
        ending = timeline.segments[-1].end_ms if timeline.segments else 0
        return words("ending_at", clock=format_clock(ending))
    return ""


def _where(zones: tuple[str, ...], language: str) -> str:
    """Where the hands work, in words: "Where: heel, arch"."""
    from masseur.guide_words import guide_words
    from masseur.zones import describe

    return f"{guide_words(language).where}: {describe(zones, language)}"


class PlainDisplay:
    """One line per event, for pipes, logs, screen readers and ``--plain``."""

    tick_s: float | None = None

    def __init__(self, stream: IO[str]) -> None:
        self.stream = stream
        self._paused = False
        size = terminal_size(stream)
        self._width = size[0] - 1 if size else None

    def _print(self, text: str, indent: str = "", hanging: str = "") -> None:
        for line in wrap(text, self._width, indent, hanging):
            print(line, file=self.stream, flush=True)

    def update(self, status: Status) -> None:
        if status.paused != self._paused:
            self._paused = status.paused
            words = words_for(status.timeline.language)
            stamp = format_clock(status.position_ms)
            self._print(f"[{stamp}] " + (words("paused") if status.paused else words("resumed")))

    def event(self, event: Event, status: Status) -> None:
        stamp = format_clock(event.at_ms)
        timeline = status.timeline
        if event.kind is EventKind.STEP and status.current is not None:
            segment = status.current
            self._print(
                f"[{stamp}] {segment_label(timeline, segment)} · "
                f"{format_duration(segment.duration_ms)}"
            )
            self._print(event.text, "    ")
            if segment.zones:
                self._print(_where(segment.zones, timeline.language), "    ")
        elif event.kind is EventKind.INTRO:
            self._print(f"[{stamp}] {timeline.title}")
            self._print(event.text, "    ")
        elif event.kind.spoken:
            self._print(f"[{stamp}]   {event.text}", hanging="    ")
            if event.zones:
                self._print(_where(event.zones, timeline.language), "    ")
        elif event.kind is EventKind.END:
            self._print(f"[{stamp}] {words_for(timeline.language)('end')}")


class LiveDisplay:
    """A rich screen redrawn a few times a second: step, what is said, time left, what's next.

    The step's instruction stays on screen; each cue, countdown and the closing words are
    added under it when they fall due, and the sentence being said is highlighted.
    """

    tick_s: float | None = 0.25

    def __init__(self, console: Any) -> None:
        from rich.live import Live

        self.console = console
        self._live = Live(console=console, auto_refresh=False, transient=False)
        self._place: tuple[Part, int | None] | None = None  # where self._said was said
        self._said: list[str] = []  # what was said in this segment, the instruction first
        self._cue_zones: tuple[str, ...] = ()  # where the last cue moved the hands, this step

    def start(self) -> None:
        self._live.start()

    def stop(self) -> None:
        # The screen is left as it is and the cursor shown; a closed terminal takes nothing.
        with contextlib.suppress(OSError):
            self._live.stop()

    def release_terminal(self) -> None:
        """Ctrl-Z: stop redrawing and show the cursor, so the shell gets a normal terminal."""
        self.stop()

    def retake_terminal(self) -> None:
        """After ``fg``: draw the screen again below whatever the shell printed."""
        with contextlib.suppress(OSError):
            self._live.start()

    def __enter__(self) -> LiveDisplay:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def event(self, event: Event, status: Status) -> None:
        if event.kind.spoken:
            if (event.part, event.segment) != self._place:
                self._place = (event.part, event.segment)
                self._said = []
                self._cue_zones = ()
            self._said.append(event.text)
            if event.kind is EventKind.CUE and event.zones:
                self._cue_zones = event.zones
        self.update(status)

    def update(self, status: Status) -> None:
        self._live.update(self._render(status), refresh=True)

    def _said_rows(self, speaking: str) -> list[Any]:
        from rich.text import Text

        if not self._said:
            return []
        # Without a voice nothing is "being spoken": the last sentence due is the current one.
        current = speaking or self._said[-1]
        shown = [self._said[0], *self._said[1:][-(SAID_LINES - 1) :]]
        rows = []
        for position, text in enumerate(shown):
            style = "bold" if text == current else ("" if position == 0 else "dim")
            rows.append(Text(("" if position == 0 else "  ") + text, style=style))
        return rows

    def _render(self, status: Status) -> Any:
        from rich.console import Group
        from rich.panel import Panel
        from rich.progress_bar import ProgressBar
        from rich.table import Table
        from rich.text import Text

        timeline = status.timeline
        words = words_for(timeline.language)
        position = min(max(0, status.position_ms), timeline.total_ms)
        segment = status.current
        if (status.part, status.segment) != self._place:  # skipped or went back
            self._place, self._said, self._cue_zones = (status.part, status.segment), [], ()
        rows: list[Any] = []
        if segment is not None:
            if segment.phase_title != timeline.title:
                rows.append(Text(segment.phase_title, style="dim"))
            rows.append(Text(segment_label(timeline, segment), style="bold cyan"))
            rows += self._said_rows(status.speaking) or [Text(segment.say)]
            zones = self._cue_zones or segment.zones
            if zones:
                rows.append(Text(_where(zones, timeline.language), style="magenta"))
            left = max(0, segment.end_ms - position)
            bar = Table.grid(expand=True, padding=(0, 1))
            bar.add_column(ratio=1)
            bar.add_column(justify="right", width=18)
            bar.add_row(
                ProgressBar(total=segment.duration_ms, completed=segment.duration_ms - left),
                words("left", clock=format_clock(left)),
            )
            rows.append(bar)
        else:
            opening = status.part is Part.OPENING
            heading = words("introduction") if opening else words("closing")
            rows.append(Text(heading, style="bold cyan"))
            rows += self._said_rows(status.speaking)
        total = Table.grid(expand=True, padding=(0, 1))
        total.add_column(ratio=1)
        total.add_column(justify="right", width=16)
        total.add_row(
            ProgressBar(total=timeline.total_ms, completed=position, complete_style="green"),
            f"{format_clock(position)} / {format_clock(timeline.total_ms)}",
        )
        rows.append(Text(""))
        rows.append(total)
        coming = next_line(timeline, status)
        if coming:
            rows.append(Text(coming, style="dim"))
        if status.paused:
            rows.append(Text(words("paused"), style="bold yellow"))
        rows.append(Text(words("keys"), style="dim"))
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
