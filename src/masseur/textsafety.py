"""Keep text from routines, history, paths and the system from acting on the terminal.

Routine text may not contain control characters at all (the loader refuses them); text
from anywhere else is shown with its control characters made visible, and never read as
rich markup.
"""

from __future__ import annotations

import re
import unicodedata
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rich.text import Text

# C0 controls but tab and newline, DEL, and the C1 controls (U+0080 to U+009F): a terminal
# acts on these (ESC starts an escape sequence; U+009B is a one-character CSI).
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_CONTROL_OR_NEWLINE = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def find_control_character(text: str) -> int | None:
    """The index of the first character a terminal would act on (tab and newline pass)."""
    match = _CONTROL.search(text)
    return match.start() if match else None


def is_undecodable(text: str) -> bool:
    """Whether ``text`` came from bytes that are not UTF-8 (Python keeps them as surrogates)."""
    return any("\udc80" <= character <= "\udcff" for character in text)


def describe_character(character: str) -> str:
    """``U+001B (ESCAPE)``: a character named so that a person can find it."""
    name = unicodedata.name(character, "") or {"\x1b": "ESCAPE", "\x7f": "DELETE"}.get(
        character, "control character"
    )
    return f"U+{ord(character):04X} ({name})"


def _shown(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def visible(text: str, *, one_line: bool = True) -> str:
    """``text`` with control characters written out as ``\\x1b``; newlines too if one_line."""
    pattern = _CONTROL_OR_NEWLINE if one_line else _CONTROL
    return pattern.sub(_shown, text)


def plain(text: object, style: str = "") -> Text:
    """A rich Text that shows ``text`` exactly as written: no markup, no control sequences."""
    from rich.text import Text

    return Text(visible(str(text), one_line=False), style=style)
