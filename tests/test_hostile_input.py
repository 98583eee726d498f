"""Careless and hostile input: each answer is one line and an exit code, never a traceback,
a hang, or text that acts on the terminal."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest

from cli_helper import MainResult, run_main
from conftest import home_env
from masseur.history import append_record
from masseur.routine import parse_routine
from masseur.timeline import fit_durations
from test_history import record as session_record

HANG_GUARD_S = 60  # far longer than any of these takes; only a hang reaches it


def routine_text(
    title: str = "T", duration: str = "5", say: str = "Rub the foot.", extra: str = ""
) -> str:
    return (
        f"name: t\ntitle: {title}\ndescription: d\n{extra}"
        f"steps:\n  - say: {say}\n    duration: {duration}\n"
    )


def closing(*descriptors: int) -> Callable[[], None]:
    """A preexec_fn that closes standard descriptors, as ``<&-``, ``>&-`` or ``2>&-`` do."""

    def close() -> None:
        for descriptor in descriptors:
            os.close(descriptor)

    return close


def masseur(
    home: Path,
    *args: str | bytes,
    env: dict[str, str] | None = None,
    close: tuple[int, ...] = (),
    cwd: Path | None = None,
) -> subprocess.CompletedProcess[str]:
    """The real command in a fresh process, as a user runs it from a shell."""
    environment = {**os.environ, **home_env(home), **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "masseur", *args],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        env=environment,
        timeout=HANG_GUARD_S,
        errors="replace",
        cwd=cwd,
        preexec_fn=closing(*close),
    )


def start_session(
    home: Path, routine: Path, *, env: dict[str, str] | None = None, close: tuple[int, ...] = ()
) -> tuple[str, str]:
    """Start ``run ROUTINE`` in plain text mode; return its first line and its stderr once
    Ctrl-C has stopped it (a session that crashes at its first line shows here)."""
    environment = {**os.environ, **home_env(home), **(env or {})}
    with subprocess.Popen(
        [sys.executable, "-m", "masseur", "run", str(routine), "--yes", "--text-only", "--plain"],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=environment,
        text=True,
        errors="replace",
        preexec_fn=closing(*close),
    ) as session:
        assert session.stdout is not None
        first = session.stdout.readline()
        session.send_signal(signal.SIGINT)
        _, errors = session.communicate(timeout=HANG_GUARD_S)
    assert "Traceback" not in errors, errors
    return first, errors


def assert_one_line(result: subprocess.CompletedProcess[str], status: int) -> str:
    assert "Traceback" not in result.stderr, result.stderr
    assert result.returncode == status, result.stderr
    lines = (result.stdout + result.stderr).strip().splitlines()  # validate uses stdout
    assert len(lines) == 1, result.stdout + result.stderr
    return lines[0]


# --------------------------------------------------------------------------- tracebacks


@pytest.mark.parametrize(
    ("duration", "expected"),
    [
        ("0.0004", "shorter than a millisecond"),
        ("9" * 401, "longer than a day"),
        ("1m90s", "seconds after minutes must be under 60"),
        ("2h75m", "minutes after hours must be under 60"),
    ],
)
def test_durations_that_used_to_crash_are_refused_by_validate(
    tmp_path: Path, duration: str, expected: str
) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(routine_text(duration=duration), encoding="utf-8")
    for command in (["validate", "-q"], ["show"], ["run", "--dry-run"]):
        result = run_main([*command, str(path)])
        assert result.exit_code == 2, result.output
        assert f"{path}:6:15:" in result.output
        assert expected in result.output


def test_a_user_routine_too_short_to_time_breaks_nothing_else(tmp_path: Path) -> None:
    # It once made list fail for every routine while doctor called them all valid.
    folder = tmp_path / "data" / "routines"
    folder.mkdir(parents=True)
    (folder / "bad.yaml").write_text(routine_text(duration="0.0004"), encoding="utf-8")
    listed = masseur(tmp_path, "list")
    assert listed.returncode == 0 and "Traceback" not in listed.stderr
    assert "foot-classic" in listed.stdout and "invalid" in listed.stdout
    doctor = masseur(tmp_path, "doctor").stdout
    assert "1 of 1 invalid (bad)" in doctor and "shorter than a millisecond" in doctor
    for output in ("x.wav", "x.json"):
        line = assert_one_line(masseur(tmp_path, "export", "bad", "-o", str(tmp_path / output)), 2)
        assert "bad.yaml:6:15:" in line and "shorter than a millisecond" in line
        assert not (tmp_path / output).exists()


def test_a_leading_zero_is_decimal_not_octal() -> None:
    routine = parse_routine(routine_text(duration="010", extra="voice: {rate: 0150}\n"))
    assert routine.iter_steps().__next__()[1].duration == 10_000
    assert routine.voice.rate == 150


def test_fitting_durations_refuses_zero_instead_of_spinning() -> None:
    with pytest.raises(ValueError, match="at least 1 ms"):
        fit_durations([0, 1000], [1, 1], 60_000)


@pytest.mark.parametrize("value", ["nan", "inf", "-inf", "NaN"])
def test_minutes_and_volumes_refuse_not_a_number(value: str) -> None:
    for option in ("--minutes", "--volume"):
        result = run_main(["run", "foot-classic", "--dry-run", option, value])
        assert result.exit_code == 2
        assert result.stderr.count("\n") == 1, result.output


def test_markup_in_routine_text_prints_as_written(masseur_home: Path) -> None:
    title = '"Bad [/] title [link=http://evil.example]click[/link] [blink red]x"'
    text = routine_text(title=title, say='"Press [/x] here"', extra='notes: ["[bold]n[/]"]\n')
    shown = show_user_routine(masseur_home, text)
    assert shown.exit_code == 0, shown.output
    assert "Bad [/] title [link=http://evil.example]click[/link]" in shown.stdout
    assert "[bold]n[/]" in shown.stdout
    dry = run_main(["run", "t", "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "Press [/x] here" in dry.stdout
    listed = run_main(["list"])
    assert listed.exit_code == 0, listed.output
    assert "Bad [/] title" in listed.stdout
    for result in (shown, dry, listed):
        assert "\x1b" not in result.output  # no OSC-8 link, no blink


def test_history_with_markup_and_an_extreme_time_is_shown(masseur_home: Path) -> None:
    record = session_record("2025-03-01T10:00:00+00:00", routine="[/x]", actual_ms=60_000)
    path = masseur_home / "data" / "history.jsonl"
    append_record(record, path)
    extreme = json.loads(record.to_json())
    extreme["started_at"] = "0001-01-01T00:00:00+14:00"
    with path.open("a", encoding="utf-8") as handle:
        handle.write(json.dumps(extreme) + "\n")
        handle.write("[" * 100_000 + "\n")  # nested too deep for json
    result = run_main(["history"])
    assert result.exit_code == 0, result.output
    assert "[/x]" in result.stdout
    assert "history.jsonl:2: skipped a damaged line" in result.stderr
    assert "history.jsonl:3: skipped a damaged line" in result.stderr


RUSSIAN = """\
name: ru
title: Массаж стоп
description: Короткий массаж.
language: ru
contraindications: [Травма стопы.]
steps:
  - say: Разотрите стопу.
    duration: 1
"""


def test_a_latin1_terminal_gets_escapes_not_an_encoding_error(tmp_path: Path) -> None:
    latin = {"PYTHONIOENCODING": "latin-1"}
    listed = masseur(tmp_path, "list", env=latin)
    assert listed.returncode == 0, listed.stderr
    assert "\\u04" in listed.stdout  # the Russian title, written as escapes
    assert "\nYour routines:" in listed.stdout
    routine = tmp_path / "ru.yaml"
    routine.write_text(RUSSIAN, encoding="utf-8")
    # The session used to die at its first line.
    first, errors = start_session(tmp_path, routine, env=latin)
    assert first.startswith("[0:00] \\u041c"), (first, errors)
    assert "UnicodeEncodeError" not in errors


def test_config_set_refuses_a_value_that_is_not_utf8(tmp_path: Path, masseur_home: Path) -> None:
    result = masseur(tmp_path, "config", "set", "voice", b"\xff")
    assert "not valid UTF-8" in assert_one_line(result, 2)
    assert not (tmp_path / "config" / "config.toml").exists()
    escape = run_main(["config", "set", "voice", "\x1b[2Jen"])
    assert escape.exit_code == 2
    assert "contains a control character" in escape.stderr


LONG = "a" * 300


@pytest.mark.parametrize(
    "args",
    [
        ["show", LONG],
        ["show", f"{LONG}.yaml"],
        ["run", LONG, "--dry-run"],
        ["edit", f"./{LONG}.yaml"],
        ["export", "toes", "-o", f"{LONG}.txt"],
        ["new", "x", "--from", f"./{LONG}"],
    ],
)
def test_names_over_255_bytes_are_one_line(tmp_path: Path, args: list[str]) -> None:
    result = masseur(tmp_path, *args, cwd=tmp_path)
    assert_one_line(result, 2)


def test_validate_reports_each_overlong_name_and_goes_on(tmp_path: Path) -> None:
    good = tmp_path / "good.yaml"
    good.write_text(routine_text(), encoding="utf-8")
    result = masseur(tmp_path, "validate", f"{LONG}.yaml", str(good), f"/tmp/{LONG}")
    assert result.returncode == 2, result.stderr
    assert result.stdout.count("File name too long") == 2, result.stdout
    assert "good.yaml: ok" in result.stderr


def test_new_reports_a_routines_folder_that_is_a_file(tmp_path: Path) -> None:
    blocker = tmp_path / "data" / "routines"
    blocker.parent.mkdir(parents=True)
    blocker.write_text("not a folder", encoding="utf-8")
    line = assert_one_line(masseur(tmp_path, "new", "mine"), 1)
    assert "MASSEUR_ROUTINES_DIR" in line
    assert blocker.read_text(encoding="utf-8") == "not a folder"


@pytest.mark.parametrize(
    ("command", "status", "words"),
    [
        (["config", "set", "rate", "160"], 1, "set MASSEUR_CONFIG_DIR to another one"),
        (["config", "unset", "rate"], 2, "cannot read: Not a directory"),
    ],
)
def test_config_reports_a_settings_folder_that_is_a_file(
    tmp_path: Path, command: list[str], status: int, words: str
) -> None:
    blocker = tmp_path / "config"
    blocker.write_text("not a folder", encoding="utf-8")
    line = assert_one_line(masseur(tmp_path, *command), status)
    assert words in line and str(blocker) in line
    assert blocker.read_text(encoding="utf-8") == "not a folder"


def test_new_refuses_a_name_with_a_newline(tmp_path: Path) -> None:
    line = assert_one_line(masseur(tmp_path, "new", "evil\n"), 2)
    assert "'evil\\n' cannot be a routine name" in line
    assert not (tmp_path / "data" / "routines").exists()


def test_closed_stdin_is_not_a_terminal(tmp_path: Path) -> None:
    line = assert_one_line(masseur(tmp_path, "edit", "foot-classic", close=(0,)), 2)
    assert "masseur new foot-classic --from foot-classic" in line
    routine = tmp_path / "z.yaml"
    routine.write_text(routine_text(duration="1"), encoding="utf-8")
    first, errors = start_session(tmp_path, routine, close=(0,))
    assert first.startswith("[0:00] T"), (first, errors)


def test_text_export_to_a_closed_stdout_fails_in_one_line(tmp_path: Path) -> None:
    result = masseur(tmp_path, "export", "toes", "-f", "txt", "-o", "-", close=(1,))
    assert "standard output is closed" in assert_one_line(result, 1)


@pytest.mark.parametrize(
    ("args", "status"),
    [(["list"], 0), (["show", "toes"], 0), (["show", "no-such"], 2), (["history"], 0)],
)
def test_any_command_with_stderr_closed_keeps_its_exit_code(
    tmp_path: Path, args: list[str], status: int
) -> None:
    result = masseur(tmp_path, *args, close=(2,))
    assert result.returncode == status
    assert "Traceback" not in result.stdout


# --------------------------------------------------------------------------- terminal escapes


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("title", r'"Evil\e]52;c;cm0gLXJmIH4=\a title"'),  # writes the clipboard
        ("title", r'"Evil\e]0;owned\a"'),  # sets the window title
        ("say", r'"Clear\e[2J the screen"'),
        ("say", r'"One-byte CSI \x9b2J"'),
        ("description", r'"Bell \a and backspace \b"'),
    ],
)
def test_control_characters_in_routine_text_are_refused_where_written(
    tmp_path: Path, field: str, value: str
) -> None:
    values = {"title": "T", "say": "Rub.", "description": "d"}
    values[field] = value
    text = (
        f"name: t\ntitle: {values['title']}\ndescription: {values['description']}\n"
        f"steps:\n  - say: {values['say']}\n    duration: 5\n"
    )
    path = tmp_path / "evil.yaml"
    path.write_text(text, encoding="utf-8")
    line_of = {"title": 2, "description": 3, "say": 5}[field]
    for command in (["validate"], ["show"], ["run", "--dry-run"], ["export", "-f", "txt"]):
        result = run_main([*command, str(path)])
        assert result.exit_code == 2, result.output
        assert f"{path}:{line_of}:" in result.output
        assert "control character U+" in result.output
        assert "\x1b" not in result.output and "\x9b" not in result.output


@pytest.mark.parametrize(
    "where",
    [
        'contraindications: ["\\e[5m blink"]\n',
        'side_names: {left: "\\e[31mleft", right: right}\n',
        'notes: ["\\u009b31m"]\n',
        '"\\e[2J": 1\n',
    ],
)
def test_control_characters_are_refused_in_every_text_field(where: str) -> None:
    from masseur.errors import BadInput

    with pytest.raises(BadInput, match=r"fuzz\.yaml:4:\d+: the text contains the control"):
        parse_routine(routine_text(extra=where), "fuzz.yaml")


def test_text_from_elsewhere_is_printed_with_its_escapes_visible(masseur_home: Path) -> None:
    result = run_main(["show", "bad\x1b]0;owned\x07name"])
    assert result.exit_code == 2
    assert "\x1b" not in result.output and "\x07" not in result.output
    assert "bad\\x1b]0;owned\\x07name" in result.stderr
    path = masseur_home / "data" / "history.jsonl"
    path.parent.mkdir(parents=True)
    path.write_bytes(b"\x1b[2J\n")
    history = run_main(["history"])
    assert history.exit_code == 0
    assert "\x1b" not in history.output
    folder = masseur_home / "evil"
    folder.mkdir()
    (folder / "a\x1b[2Jb.yaml").write_text(routine_text(), encoding="utf-8")
    (folder / "c\x1b]0;t\x07d.yaml").write_text("name: [", encoding="utf-8")
    checked = run_main(["validate", str(folder)])
    assert checked.exit_code == 2
    assert "a\\x1b[2Jb.yaml: ok" in checked.stderr
    assert "c\\x1b]0;t\\x07d.yaml:1:" in checked.stdout
    assert "\x1b" not in checked.output


# --------------------------------------------------------------------------- hangs and memory


def test_a_routine_that_plans_a_million_events_is_refused_before_planning(
    tmp_path: Path,
) -> None:
    steps = "".join(
        f"  - say: Step {number}.\n    duration: 0.1\n    repeat: 100\n    sides: [left, right]\n"
        for number in range(2500)
    )
    path = tmp_path / "huge.yaml"
    path.write_text(f"name: huge\ntitle: Huge\ndescription: d\nsteps:\n{steps}", encoding="utf-8")
    assert path.stat().st_size < 512 * 1024
    for command in (["validate"], ["run", "--dry-run"], ["export", "-f", "json", "-o", "-"]):
        line = assert_one_line(masseur(tmp_path, *command, str(path)), 2)
        assert f"{path}:5:3:" in line
        assert "500000 timed parts" in line and "at most 5000" in line


@pytest.fixture
def fifo(tmp_path: Path) -> Path:
    path = tmp_path / "pipe.yaml"
    os.mkfifo(path)
    return path


def test_fifos_and_devices_are_refused_without_blocking(tmp_path: Path, fifo: Path) -> None:
    for args in (
        ["show", str(fifo)],
        ["validate", str(fifo)],
        ["new", "mine", "--from", str(fifo)],
        ["new", "mine", "--from", "/dev/zero"],
    ):
        line = assert_one_line(masseur(tmp_path, *args), 2)
        assert "not a regular file" in line


def test_a_fifo_as_settings_or_history_does_not_block(tmp_path: Path) -> None:
    (tmp_path / "config").mkdir()
    os.mkfifo(tmp_path / "config" / "config.toml")
    line = assert_one_line(masseur(tmp_path, "config"), 2)
    assert "config.toml: is a named pipe (FIFO), not a regular file" in line
    os.unlink(tmp_path / "config" / "config.toml")
    (tmp_path / "data").mkdir()
    os.mkfifo(tmp_path / "data" / "history.jsonl")
    result = masseur(tmp_path, "history")
    assert result.returncode == 0
    assert "history.jsonl: is a named pipe (FIFO)" in result.stderr


def test_history_keeps_only_the_sessions_it_shows(tmp_path: Path) -> None:
    from masseur.history import scan_history

    path = tmp_path / "history.jsonl"
    lines = []
    for day in range(1, 29):
        for hour in range(10):
            started = f"2025-02-{day:02d}T{hour + 8:02d}:00:00+00:00"
            record = session_record(started, routine=f"r{day}-{hour}", actual_ms=1000)
            lines.append(record.to_json())
    lines.insert(5, "x" * 200_000)  # a line no session writes: skipped, not kept
    path.write_text("\n".join(reversed(lines)) + "\n", encoding="utf-8")
    scan = scan_history(path, date(2025, 2, 28), keep=3)
    assert [record.routine for record in scan.newest] == ["r28-9", "r28-8", "r28-7"]
    assert scan.total_sessions == 280
    assert scan.summary.total_ms == 280_000
    assert scan.summary.current_streak_days == 28
    assert scan.damaged_lines == 1
    assert "far too long" in scan.warnings[0]


def test_the_live_screen_shows_routine_text_as_written() -> None:
    from rich.console import Console

    from masseur.display import LiveDisplay
    from masseur.runner import Status
    from masseur.timeline import TimelineOptions, build_timeline

    routine = parse_routine(
        routine_text(title='"Bad [/] title [link=http://evil.example]x[/link]"', say='"[/x] rub"')
    )
    timeline = build_timeline(routine, TimelineOptions(estimate=lambda text, rate, lang: 1000))
    console = Console(record=True, width=100, force_terminal=True)
    display = LiveDisplay(console)
    with display:
        display.update(Status(timeline, position_ms=timeline.segments[0].start_ms, segment=0))
    screen = console.export_text()
    assert "Bad [/] title [link=http://evil.example]x[/link]" in screen
    assert "[/x] rub" in screen


@pytest.mark.skipif(
    os.geteuid() != 0 or shutil.which("setpriv") is None,
    reason="needs root and setpriv to run masseur as an unprivileged user",
)
@pytest.mark.parametrize(
    ("command", "folder", "variable"),
    [
        (["new", "mine"], "data/routines", "MASSEUR_ROUTINES_DIR"),
        (["config", "set", "rate", "160"], "config", "MASSEUR_CONFIG_DIR"),
    ],
)
def test_a_read_only_folder_is_one_line_naming_what_to_set(
    command: list[str], folder: str, variable: str
) -> None:
    # root may write anywhere; an unprivileged user meets the read-only folder.
    home = Path(tempfile.mkdtemp(prefix="masseur-ro-"))
    try:
        home.chmod(0o755)
        read_only = home / folder
        read_only.mkdir(parents=True)
        read_only.chmod(0o555)
        nobody = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", sys.executable]
        probe = subprocess.run([*nobody, "-c", "import masseur"], capture_output=True, cwd="/")
        if probe.returncode != 0:
            pytest.skip("this checkout cannot be read by an unprivileged user")
        result = subprocess.run(
            [*nobody, "-m", "masseur", *command],
            capture_output=True,
            text=True,
            env={**os.environ, **home_env(home)},
            cwd="/",
            timeout=HANG_GUARD_S,
        )
        line = assert_one_line(result, 1)
        assert "Permission denied" in line and variable in line
        assert list(read_only.iterdir()) == []
    finally:
        shutil.rmtree(home)


def test_an_audio_export_with_stderr_closed_still_writes_its_file(tmp_path: Path) -> None:
    routine = tmp_path / "z.yaml"
    routine.write_text(routine_text(duration="2"), encoding="utf-8")
    target = tmp_path / "z.wav"
    result = masseur(tmp_path, "export", str(routine), "-o", str(target), close=(2,))
    assert result.returncode == 0, result.stdout
    assert target.stat().st_size > 44  # more than a WAV header


def test_the_live_screen_on_a_real_terminal_shows_markup_as_written(tmp_path: Path) -> None:
    import pexpect

    routine = tmp_path / "markup.yaml"
    routine.write_text(
        routine_text(title='"Bad [/] title [link=http://evil.example]x[/link]"', say='"[/x] rub"'),
        encoding="utf-8",
    )
    child = pexpect.spawn(
        sys.executable,
        ["-m", "masseur", "run", str(routine), "--text-only", "--yes"],
        env={"PATH": "/usr/bin:/bin", "TERM": "xterm-256color", **home_env(tmp_path)},
        dimensions=(30, 120),
        timeout=HANG_GUARD_S,
        encoding="utf-8",
    )
    child.expect("space pause/resume")  # the live screen is up
    screen = child.before
    child.send("n")  # to the step
    child.expect(r"\[/x\] rub")
    child.send("q")
    child.expect(pexpect.EOF)
    screen += child.before
    child.close()
    assert child.exitstatus == 0, screen
    assert "Bad [/] title [link=http://evil.example]x[/link]" in screen
    assert "\x1b]8;" not in screen  # no hyperlink escape
    assert "Traceback" not in screen


def test_markup_in_side_names_prints_as_written(masseur_home: Path) -> None:
    # The parts column of `show` carries the routine's own side names.
    text = (
        "name: t\ntitle: T\ndescription: d\nside_names: {left: 'Bad [/] side', right: R}\n"
        "steps:\n  - say: Rub.\n    duration: 30\n    sides: [left]\n"
    )
    shown = show_user_routine(masseur_home, text)
    assert shown.exit_code == 0, shown.output
    assert "Bad [/] side" in shown.stdout


def show_user_routine(masseur_home: Path, text: str) -> MainResult:
    """`masseur show t` of ``text`` saved as the user's routine t."""
    folder = masseur_home / "data" / "routines"
    folder.mkdir(parents=True)
    (folder / "t.yaml").write_text(text, encoding="utf-8")
    return run_main(["show", "t"])
