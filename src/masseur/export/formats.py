"""Every export format in one table: its name, aliases, what it needs and which module writes it.

Adding a format means a row here and a ``write(job)`` function in the module the row names;
the command, its help and its checks read this table.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from masseur.errors import BadInput


@dataclass(frozen=True)
class ExportFormat:
    name: str
    module: str  # under masseur.export; imported only when this format is written
    summary: str  # one line of `masseur export --help`; equal summaries share a line
    aliases: tuple[str, ...] = ()
    binary: bool = False  # cannot go to standard output
    needs_speech: bool = False  # made from synthesized speech, not from the plan alone
    optional: bool = False  # only where a library supports it (see the module's available())
    guide: bool = False  # the visual guide (masseur.guide); --audio is for these
    chapters: bool = False  # gets a chapter mark per step (masseur.chapters)


_COMPRESSED = "the same audio, compressed (see the list of formats below)"

TABLE: tuple[ExportFormat, ...] = (
    ExportFormat("txt", "text", "the narration in order, with times and step headings", ("text",)),
    ExportFormat(
        "md", "text", "a printable guide: warnings, preparation, notes, steps by phase, total",
        ("markdown",),
    ),
    ExportFormat("json", "text", "the timeline: every event and timed part (shape below)"),
    ExportFormat(
        "srt", "subtitles",
        "subtitles; each cue lasts as long as its sentence is heard in the audio",
        ("subrip",), needs_speech=True,
    ),
    ExportFormat(
        "vtt", "subtitles", "the same subtitles as WebVTT", ("webvtt",), needs_speech=True
    ),
    ExportFormat(
        "wav", "mixdown", "the whole session as audio, with every sentence and chime in place",
        ("wave",), binary=True, needs_speech=True,
    ),
    ExportFormat("flac", "mixdown", _COMPRESSED, binary=True, needs_speech=True, optional=True),
    ExportFormat(
        "ogg", "mixdown", _COMPRESSED, ("oga",),
        binary=True, needs_speech=True, optional=True, chapters=True,
    ),
    ExportFormat(
        "mp3", "mixdown", _COMPRESSED,
        binary=True, needs_speech=True, optional=True, chapters=True,
    ),
    ExportFormat(
        "html", "guide",
        "the visual guide: one offline page with pictures of where to work, the\n"
        "        timeline as a chart and a card per step; --audio adds the session's audio\n"
        "        with a player that follows it (copy the one file to a phone)",
        ("htm",), guide=True,
    ),
    ExportFormat(
        "pdf", "guide",
        "the same guide, printable (needs WeasyPrint: pip install 'masseur[pdf]')",
        binary=True, guide=True,
    ),
)  # fmt: skip

BY_NAME = {entry.name: entry for entry in TABLE}
FORMATS = tuple(BY_NAME)
_ALIASES = {alias: entry.name for entry in TABLE for alias in entry.aliases}


def is_heard(fmt: str, *, with_audio: bool = False) -> bool:
    """Whether the export holds the session's sound: then it is made from synthesized speech,
    and it speaks the contraindications itself, as no screen shows them."""
    export_format = BY_NAME[fmt]
    return export_format.needs_speech or (export_format.guide and with_audio)


def normalize_format(name: str) -> str:
    """The canonical format for a name given by the user; BadInput if there is none."""
    key = name.strip().lower().lstrip(".")
    key = _ALIASES.get(key, key)
    if key not in BY_NAME:
        raise BadInput(f"unknown export format '{name}'; use one of {', '.join(FORMATS)}")
    return key


def format_from_path(path: str) -> str | None:
    """The format a file name's extension asks for, or None if it names none."""
    suffix = Path(path).suffix.lower().lstrip(".")
    if not suffix:
        return None
    key = _ALIASES.get(suffix, suffix)
    return key if key in BY_NAME else None


def format_list(final: str = "or") -> str:
    """``txt, md, ... or mp3``: every format, for help and messages."""
    return f"{', '.join(FORMATS[:-1])} {final} {FORMATS[-1]}"


def help_lines() -> list[str]:
    """One line per summary for the command's help: ``  txt   the narration ...``."""
    grouped: dict[str, list[str]] = {}
    for entry in TABLE:
        grouped.setdefault(entry.summary, []).append(entry.name)
    return [f"  {', '.join(names):4s}  {summary}" for summary, names in grouped.items()]
