"""Python's cyclic garbage collector: held off while masseur starts, let go when work begins.

Starting a command makes tens of thousands of objects (modules, classes, functions, the
routine's records) that live until masseur ends, and the collector, run every few hundred
new objects, went over them again and again: 49 passes, 12-19 ms of a cold export's start.
Hardly any of them is garbage. So :func:`hold` (at the program's start) turns automatic
collection off, and :func:`let_go` (where a session begins, which may run for hours) turns
it on again for what is made from then on; what start-up made is set aside (``gc.freeze``)
and never gone over again. Every other command, an export included, makes little after its
start and ends with collection held off, its memory given back by the system.
"""

from __future__ import annotations

import gc


def hold() -> None:
    """No automatic collection until :func:`let_go`."""
    gc.disable()


def let_go() -> None:
    """Collect as usual from now on, leaving out everything made so far. Does nothing if
    collection was never held off (masseur used as a library, or in tests)."""
    if not gc.isenabled():
        gc.freeze()
        gc.enable()
