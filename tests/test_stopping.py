"""Every way of stopping a session: Ctrl-C (once or many times), SIGTERM, SIGHUP and Ctrl-Z.

Each ends the same way: sound stopped, the terminal given back in cooked mode with the cursor
shown, the session in the history with an outcome that says how it ended, and the exit status
a shell expects (130 for Ctrl-C, 128 + N for signal N). Real processes, real signals, a real pty.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import termios
from collections.abc import Callable
from pathlib import Path

import pexpect
import pytest

from conftest import home_env
from masseur.audio import Sound
from masseur.outcome import Outcome
from masseur.runner import Command, Runner
from process_helper import wait_for
from pty_helper import spawn_masseur
from test_runner import make_runner, make_timeline, played

from fakes import FakeClock, RecordingPlayer

HIDE_CURSOR = "\x1b[?25l"
SHOW_CURSOR = "\x1b[?25h"


def last_record(home: Path) -> dict[str, object]:
    lines = (home / "data" / "history.jsonl").read_text(encoding="utf-8").splitlines()
    record: dict[str, object] = json.loads(lines[-1])
    return record


def cooked(child: pexpect.spawn) -> bool:
    """Whether the pty is in the mode a shell expects: lines, echo. (The master end reports
    the settings of the terminal side.)"""
    local_flags = termios.tcgetattr(child.child_fd)[3]
    return bool(local_flags & termios.ICANON) and bool(local_flags & termios.ECHO)


def send_signal(number: int) -> Callable[[pexpect.spawn], None]:
    return lambda child: child.kill(number)


def close_terminal(child: pexpect.spawn) -> int:
    """Close the terminal's master end, as closing its window does (the kernel sends SIGHUP
    and every later write fails); masseur's exit status once it has left."""
    import time

    os.close(child.child_fd)
    child.closed = True  # pexpect must not close it again
    for _ in range(600):
        done, status = os.waitpid(child.pid, os.WNOHANG)
        if done:
            return os.waitstatus_to_exitcode(status)
        time.sleep(0.1)
    child.kill(signal.SIGKILL)
    pytest.fail("masseur went on after its terminal was closed")


STOPS = {
    # Two Ctrl-C in a row, as a person does when the first seems not to work.
    "double-ctrl-c": (lambda child: child.send("\x03\x03"), 130, "interrupted"),
    "sigterm": (send_signal(signal.SIGTERM), 128 + signal.SIGTERM, "terminated"),
    "sighup": (send_signal(signal.SIGHUP), 128 + signal.SIGHUP, "hung_up"),
}


@pytest.mark.parametrize("how", list(STOPS))
def test_each_way_of_stopping_restores_the_terminal_and_logs_the_session(
    masseur_home: Path, how: str
) -> None:
    stop, status, outcome = STOPS[how]
    child = spawn_masseur(masseur_home, "run", "foot-classic", "--yes", "--text-only")
    child.codec_errors = "replace"
    child.expect("Introduction")
    assert not cooked(child)  # the session has the keys one at a time, unechoed
    stop(child)
    child.expect(pexpect.EOF)
    shown = child.before
    assert cooked(child)
    assert shown.rfind(SHOW_CURSOR) > shown.rfind(HIDE_CURSOR)
    child.close()
    assert "Traceback" not in shown and "Error" not in shown, shown
    assert child.exitstatus == status, shown
    record = last_record(masseur_home)
    assert record["outcome"] == outcome
    assert record["routine"] == "foot-classic"
    assert record["stopped_at_part"] == 0  # `run --resume` can continue it


@pytest.mark.parametrize("plain", [[], ["--plain"]])
def test_closing_the_terminal_window_logs_the_session(masseur_home: Path, plain: list[str]) -> None:
    """The terminal really goes away (its master end closes): the kernel sends SIGHUP and
    every later write fails; the session is still logged and the status is 129."""

    child = spawn_masseur(masseur_home, "run", "foot-classic", "--yes", "--text-only", *plain)
    child.codec_errors = "replace"
    child.expect(r"Introduction|\[0:00\]")  # the session has begun
    assert close_terminal(child) == 128 + signal.SIGHUP
    assert last_record(masseur_home)["outcome"] == "hung_up"


def test_closing_the_terminal_during_an_mp3_export_leaves_no_file(masseur_home: Path) -> None:
    """An export on a real terminal (its progress bar drawn there) whose window is closed
    while the mp3 is being written: no file, not even the hidden temporary one, and 129."""
    import time

    out_dir = masseur_home / "out"
    out_dir.mkdir(parents=True)
    target = out_dir / "long.mp3"
    child = spawn_masseur(
        masseur_home, "export", "foot-self-massage", "--minutes", "120", "-o", str(target)
    )
    deadline = time.monotonic() + 120
    while not any(out_dir.iterdir()):  # the temporary file is being written
        assert child.isalive(), child.read()
        assert time.monotonic() < deadline
        time.sleep(0.002)
    assert close_terminal(child) == 128 + signal.SIGHUP
    assert list(out_dir.iterdir()) == []


@pytest.mark.parametrize("how", [signal.SIGINT, signal.SIGTERM, signal.SIGHUP])
def test_a_session_without_a_terminal_is_logged_when_signalled(
    masseur_home: Path, how: signal.Signals
) -> None:
    with subprocess.Popen(
        [sys.executable, "-m", "masseur", "run", "foot-classic", "--yes", "--text-only"],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**os.environ, **home_env(masseur_home)},
        text=True,
    ) as session:
        assert session.stdout is not None
        session.stdout.readline()  # the session has begun
        session.send_signal(how)
        if how is signal.SIGINT:
            session.send_signal(how)  # `timeout -s INT`, then an impatient second one
        _, errors = session.communicate(timeout=60)
    assert "Traceback" not in errors, errors
    assert session.returncode == 128 + how
    assert (
        last_record(masseur_home)["outcome"]
        == {
            signal.SIGINT: "interrupted",
            signal.SIGTERM: "terminated",
            signal.SIGHUP: "hung_up",
        }[how]
    )


def test_ctrl_z_then_fg_gives_the_keys_back(masseur_home: Path) -> None:
    """In a real shell: Ctrl-Z stops the session with the terminal handed back to the shell;
    `fg` continues it with the keys working again (n skips to the next part)."""
    shell = pexpect.spawn(
        "bash",
        ["--norc", "--noprofile", "-i"],
        env={
            "PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin",
            "TERM": "xterm-256color",
            "PS1": "shell$ ",
            **home_env(masseur_home),
        },
        dimensions=(24, 80),
        timeout=30,
        encoding="utf-8",
        codec_errors="replace",
    )
    shell.expect_exact("shell$ ")
    shell.sendline(f"{sys.executable} -m masseur run foot-classic --yes --text-only")
    shell.expect("Introduction")
    shell.send("\x1a")
    shell.expect("Stopped")
    shell.expect_exact("shell$ ")
    shell.sendline("stty -a")  # the shell's terminal is a normal one while masseur is stopped
    shell.expect(r" icanon ")
    shell.expect_exact("shell$ ")
    shell.sendline("fg")
    shell.expect("Introduction")
    shell.send("n")  # read at once, without Enter: raw mode is back
    shell.expect(r"part 1/9")
    shell.send("q")
    shell.expect("Session stopped")
    shell.expect_exact("shell$ ")
    shell.sendline("echo status=$?")
    shell.expect(r"status=(\d+)")
    assert shell.match.group(1) == "0"
    shell.sendline("exit")
    shell.expect(pexpect.EOF)
    assert "Traceback" not in (shell.before or "")
    record = last_record(masseur_home)
    assert record["outcome"] == "quit"
    assert record["steps_skipped"] == 0  # the introduction is not a timed part


def test_the_session_clock_waits_while_the_process_is_stopped() -> None:
    """Ctrl-Z one second into the introduction, `fg` 100 s later: every later event comes
    100 s later, the sentence cut off is said again, and sound was stopped meanwhile."""
    timeline = make_timeline()
    clock = FakeClock([(1.0, Command.SUSPEND)])
    runner, player, speech, chimes = make_runner(timeline, clock)

    def stopped_for_100_s() -> None:
        assert not any(record.ends_at > clock.t for record in player.history)  # silent
        clock.sleep(100.0)

    runner.on_suspend = stopped_for_100_s
    result = runner.run()
    sounds = played(player, clock, speech, chimes)
    assert sounds[:2] == [(0, "intro"), (101_000, "intro")]
    first_chime = next(event for event in timeline.events if event.sound)
    assert (first_chime.at_ms + 100_000, f"chime:{first_chime.sound}") in sounds
    assert result.outcome is Outcome.FINISHED


@pytest.mark.parametrize(
    ("command", "outcome"),
    [
        (Command.INTERRUPT, Outcome.INTERRUPTED),
        (Command.TERMINATE, Outcome.TERMINATED),
        (Command.HANG_UP, Outcome.HUNG_UP),
    ],
)
def test_a_signal_ends_a_paused_session_too(command: Command, outcome: Outcome) -> None:
    timeline = make_timeline()
    clock = FakeClock([(1.0, Command.PAUSE), (5.0, command)])
    player = RecordingPlayer(clock=clock.now, sleep=clock.sleep)
    runner = Runner(
        timeline,
        clock=clock,
        player=player,
        speech=None,
        chimes=lambda name: Sound.silence(300, 22050),
    )
    result = runner.run()
    assert result.outcome is outcome
    assert result.stopped_at == 0


# --------------------------------------------------------------------------- the speech worker


def speech_workers(cache_dir: Path) -> list[int]:
    """Live speech worker processes started for this cache folder (zombies are dead)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            command = (entry / "cmdline").read_bytes()
            environment = (entry / "environ").read_bytes()
            state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        ours = b"_speech_worker.py" in command and str(cache_dir).encode() in environment
        if ours and state != "Z":
            found.append(int(entry.name))
    return found


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_no_speech_worker_outlives_a_killed_masseur(tmp_path: Path) -> None:
    """kill -9 during a cold export (the worker busy making speech): the worker goes too."""
    home = tmp_path / "home"
    cache = home / "cache"
    output = tmp_path / "session.wav"
    export = subprocess.Popen(
        [sys.executable, "-m", "masseur", "export", "foot-self-massage", "-o", str(output)],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, **home_env(home)},
    )
    try:
        assert wait_for(lambda: bool(speech_workers(cache)), 60), "no worker started"
        # Busy: sentences are being written into the (cold) cache.
        assert wait_for(lambda: any((cache / "speech").glob("*.wav")), 60)
        export.kill()
        export.wait(timeout=30)
        assert wait_for(lambda: not speech_workers(cache), 10), speech_workers(cache)
    finally:
        export.kill()
        export.wait()
        for pid in speech_workers(cache):
            os.kill(pid, signal.SIGKILL)


# Starts as the real worker does (its die_with_parent, first thing), then hangs.
HUNG_WORKER = """\
import json, sys, time
sys.path.insert(0, sys.argv[1])
from _speech_worker import die_with_parent, started_by
die_with_parent(started_by())
print(json.dumps({"event": "ready"}), flush=True)
sys.stdin.readline()  # a request: then hang, as pyttsx3's runAndWait has been seen to
time.sleep(3600)
"""

PARENT = """\
import sys, time
from masseur.speech._worker_client import WORKER_SCRIPT, Worker
worker = Worker([sys.executable, sys.argv[1], str(WORKER_SCRIPT.parent)], time.monotonic() + 30)
worker.send({"op": "synth"}, time.monotonic() + 30)
print(worker.process.pid, flush=True)
time.sleep(3600)
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="asks the Linux kernel")
def test_a_hung_worker_dies_with_its_parent(tmp_path: Path) -> None:
    """A worker stuck inside the engine reads no more input; the kernel ends it with masseur."""
    script = tmp_path / "hung_worker.py"
    script.write_text(HUNG_WORKER)
    parent = subprocess.Popen(
        [sys.executable, "-c", PARENT, str(script)], stdout=subprocess.PIPE, text=True
    )
    assert parent.stdout is not None
    worker = int(parent.stdout.readline())
    parent.kill()
    parent.wait(timeout=30)

    def gone() -> bool:
        try:
            state = Path(f"/proc/{worker}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            return True
        return state == "Z"

    try:
        assert wait_for(gone, 10)
    finally:
        if not gone():
            os.kill(worker, signal.SIGKILL)


def test_history_reads_old_and_new_outcomes_alike(masseur_home: Path) -> None:
    """A line written before these outcomes existed and lines with each new one: all shown,
    and a session stopped by a signal can be resumed."""
    from cli_helper import run_main
    from masseur.history import append_record, history_path
    from test_history import record

    history_path().parent.mkdir(parents=True)
    old_line = (
        '{"routine":"toes","title":"Toes","started_at":"2026-01-05T20:00:00+00:00",'
        '"planned_ms":1000,"actual_ms":500,"steps_done":0,"steps_skipped":0,"steps_total":2,'
        '"outcome":"interrupted","options":{"rate":150}}\n'
    )
    history_path().write_text(old_line, encoding="utf-8")
    for day, outcome in enumerate(("terminated", "hung_up", "sound_lost"), start=6):
        append_record(record(f"2026-01-{day:02d}T20:00:00+00:00", outcome=outcome))
    result = run_main(["history", "--all"])
    assert result.exit_code == 0, result.output
    for outcome in ("interrupted", "terminated", "hung_up", "sound_lost"):
        assert outcome in result.stdout
    assert "skipped a damaged line" not in result.output


@pytest.mark.parametrize("outcome", ["terminated", "hung_up", "sound_lost"])
def test_a_session_stopped_by_a_signal_can_be_resumed(outcome: str) -> None:
    from dataclasses import replace

    from masseur.resume import last_unfinished
    from test_history import record

    stopped = replace(record("2026-01-06T20:00:00+00:00", outcome=outcome), stopped_at_part=2)
    assert last_unfinished([stopped], None) is stopped
