"""masseur.collector: the garbage collector held off while masseur starts, let go after."""

from __future__ import annotations

import gc
import subprocess
import sys
from collections.abc import Iterator

import pytest

from masseur import collector

# What the program reports of the collector as a command's work begins (run in a child).
PROGRAM = """
import gc, os, sys
from masseur import collector
def let_go():
    held = not gc.isenabled()
    real_let_go()
    print(held, gc.isenabled(), gc.get_freeze_count() > 10_000, file=sys.stderr, flush=True)
    os._exit(0)  # the session itself is not what this is about
real_let_go, collector.let_go = collector.let_go, let_go
sys.argv = ["masseur", *sys.argv[1:]]
from masseur.__main__ import main
main()
"""


@pytest.fixture
def restored() -> Iterator[None]:
    enabled = gc.isenabled()
    yield
    gc.unfreeze()
    if enabled:
        gc.enable()


@pytest.mark.usefixtures("restored")
def test_held_off_then_let_go_leaves_what_was_made_out_of_later_collections() -> None:
    collector.hold()
    assert not gc.isenabled()
    made_at_start = [[index] for index in range(1000)]
    collector.let_go()
    assert gc.isenabled()
    assert gc.get_freeze_count() >= len(made_at_start)


@pytest.mark.usefixtures("restored")
def test_letting_go_when_never_held_changes_nothing() -> None:
    gc.enable()
    frozen = gc.get_freeze_count()
    collector.let_go()
    assert gc.isenabled() and gc.get_freeze_count() == frozen


def test_the_program_starts_with_the_collector_held_and_a_session_lets_it_go() -> None:
    """Held from before click is imported until the session begins, then let go, with what
    start-up made (tens of thousands of objects) left out of later collections."""
    shown = subprocess.run(
        [sys.executable, "-c", PROGRAM, "run", "foot-classic", "--text-only", "--plain", "--yes"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        stdin=subprocess.DEVNULL,
    )
    assert shown.returncode == 0, shown.stderr
    assert shown.stderr.strip().splitlines()[-1].split() == ["True", "True", "True"]
