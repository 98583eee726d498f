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


def parse_duration_ms(value: object) -> int:
    """Return a duration in whole milliseconds, or raise ValueError with a helpful message.

    A bare number is seconds. Zero and negative durations are rejected here because no
    step, cue or option in masseur can use them.
    """
    if isinstance(value, bool):
        raise ValueError(f"expected a duration, got {value!r}; {DURATION_HELP}")
    if isinstance(value, int | float):
        seconds = float(value)
    elif isinstance(value, str):
        text = value.strip()
        if re.fullmatch(r"-?\d+(?:\.\d+)?", text):
            seconds = float(text)
        else:
            match = _DURATION.match(text)
            if not text or match is None or not any(match.groupdict().values()):
                raise ValueError(f"cannot read {value!r}; {DURATION_HELP}")
            parts = {k: float(v) if v else 0.0 for k, v in match.groupdict().items()}
            seconds = parts["h"] * 3600 + parts["m"] * 60 + parts["s"]
    else:
        raise ValueError(f"expected a duration, got {type(value).__name__}; {DURATION_HELP}")
    if seconds != seconds or seconds in (float("inf"), float("-inf")):
        raise ValueError(f"cannot read {value!r}; {DURATION_HELP}")
    if seconds <= 0:
        raise ValueError(f"must be more than zero, got {value!r}")
    if seconds > 24 * 3600:
        raise ValueError(f"{value!r} is longer than a day")
    return round(seconds * 1000)


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
