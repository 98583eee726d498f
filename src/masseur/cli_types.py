"""Option types for the command line that refuse what click's own types let through."""

from __future__ import annotations

import math
from typing import Any

import click


class FiniteFloatRange(click.FloatRange):
    """A number in a range; ``nan`` and ``inf`` are refused (they pass every comparison or
    none, and then break the arithmetic that uses them)."""

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        number = super().convert(value, param, ctx)
        if isinstance(number, float) and not math.isfinite(number):
            self.fail(f"{value!r} is not a number; give a number such as 20", param, ctx)
        return number
