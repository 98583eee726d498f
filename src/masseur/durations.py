"""Parse and format the durations used in routine files (``90``, ``90s``, ``1m30s``, ``2m``)."""

from __future__ import annotations

import re

_DURATION = re.compile(
    r"""^\s*(?:(?P<h>\d+(?:\.\d+)?)\s*h)?\s*
        (?:(?P<m>\d+(?:\.\d+)?)\s*m(?:in)?)?\s*
        (?:(?P<s>\d+(?:\.\d+)?)\s*s(?:ec)?)?\s*$""",
    re.VERBOSE,
)

DURATION_HELP = "write seconds (90, 90s) or minutes and seconds (2m, 1m30s)"


MAX_DURATION_S = 24 * 3600


def _quoted(value: object) -> str:
    """``value`` as written, cut short if it is too long to be worth repeating whole."""
    shown = repr(value)
    return shown if len(shown) <= 40 else shown[:30] + "..." + shown[-6:]


def _seconds_from_parts(value: str, parts: dict[str, str | None]) -> float:
    """Seconds from ``1h``/``2m``/``30s`` parts; a part that overflows its unit is a typo."""
    hours, minutes, seconds = (float(parts[unit] or 0) for unit in ("h", "m", "s"))
    if parts["s"] and (parts["m"] or parts["h"]) and seconds >= 60:
        raise ValueError(
            f"cannot read {_quoted(value)}: seconds after minutes must be under 60; {DURATION_HELP}"
        )
    if parts["m"] and parts["h"] and minutes >= 60:
        raise ValueError(f"cannot read {_quoted(value)}: minutes after hours must be under 60")
    return hours * 3600 + minutes * 60 + seconds


def parse_duration_ms(value: object) -> int:
    """Return a duration in whole milliseconds, or raise ValueError with a helpful message.

    A bare number is seconds. Durations under a millisecond (zero, negative, or rounding
    to zero) are rejected here because no step, cue or option in masseur can use them.
    """
    if isinstance(value, bool):
        raise ValueError(f"expected a duration, got {_quoted(value)}; {DURATION_HELP}")
    if isinstance(value, int) and abs(value) > MAX_DURATION_S:
        # Checked before float(): an integer of hundreds of digits does not fit a float.
        raise ValueError(
            f"{_quoted(value)} is longer than a day" if value > 0 else "must be more than zero"
        )
    if isinstance(value, int | float):
        seconds = float(value)
    elif isinstance(value, str):
        text = value.strip()
        if re.fullmatch(r"-?\d+(?:\.\d+)?", text):
            seconds = float(text)
        else:
            match = _DURATION.match(text)
            if not text or match is None or not any(match.groupdict().values()):
                raise ValueError(f"cannot read {_quoted(value)}; {DURATION_HELP}")
            seconds = _seconds_from_parts(value, match.groupdict())
    else:
        raise ValueError(f"expected a duration, got {type(value).__name__}; {DURATION_HELP}")
    if seconds != seconds or seconds == float("-inf"):
        raise ValueError(f"cannot read {_quoted(value)}; {DURATION_HELP}")
    if seconds <= 0:
        raise ValueError(f"must be more than zero, got {_quoted(value)}")
    if seconds > MAX_DURATION_S:
        raise ValueError(f"{_quoted(value)} is longer than a day")
    milliseconds = round(seconds * 1000)
    if milliseconds < 1:
        raise ValueError(
            f"{_quoted(value)} is shorter than a millisecond; give at least 0.001 seconds"
        )
    return milliseconds


def format_duration(ms: int) -> str:
    """Format milliseconds for people: ``45s``, ``2m``, ``1m30s``, ``1h05m``."""
    total = round(ms / 1000)
    hours, rest = divmod(total, 3600)
    minutes, seconds = divmod(rest, 60)
    if hours:
        return f"{hours}h{minutes:02d}m"
    if minutes and seconds:
        return f"{minutes}m{seconds:02d}s"
    if minutes:
        return f"{minutes}m"
    return f"{seconds}s"


def format_clock(ms: int, *, millis: bool = False) -> str:
    """Format milliseconds as ``M:SS`` (or ``H:MM:SS``); with ``millis`` as ``HH:MM:SS.mmm``."""
    if millis:
        hours, rest = divmod(ms, 3_600_000)
        minutes, rest = divmod(rest, 60_000)
        seconds, msec = divmod(rest, 1000)
        return f"{hours:02d}:{minutes:02d}:{seconds:02d}.{msec:03d}"
    total = max(0, ms) // 1000
    hours, rest = divmod(total, 3600)
    minutes, seconds = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{seconds:02d}" if hours else f"{minutes}:{seconds:02d}"
