"""The routine loader: valid files load, every kind of mistake is one located line."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from masseur import yaml_reader
from masseur.durations import format_clock, format_duration, parse_duration_ms
from masseur.errors import BadInput, ExitStatus
from masseur.paths import builtin_routines_dir
from masseur.routine import MAX_FILE_BYTES, load_routine, parse_routine

INVALID = Path(__file__).parent / "data" / "invalid"

# file -> (line, column, words the message must contain)
EXPECTED = {
    "alias-bomb.yaml": (1, 26, "too many aliases"),
    "bad-duration.yaml": (7, 15, "cannot read 'half a minute'"),
    "cue-past-end.yaml": (11, 13, "cue at 70s is not inside its step"),
    "duplicate-key.yaml": (8, 5, "duplicate key 'say' (first given on line 6)"),
    "duplicate-phase-name.yaml": (10, 11, "duplicate phase name 'warm-up'"),
    "duplicate-step-name.yaml": (9, 11, "duplicate step name 'rub'"),
    "empty-say.yaml": (8, 10, "'say' must not be empty"),
    "missing-duration.yaml": (6, 5, "missing required key 'duration'"),
    "negative-duration.yaml": (7, 15, "must be more than zero"),
    "no-steps.yaml": (1, 1, "has no steps"),
    "not-a-mapping.yaml": (1, 1, "must be a mapping"),
    "not-utf8.yaml": (3, 1, "not valid UTF-8"),
    "unknown-key.yaml": (7, 5, "unknown key 'duraton'; did you mean 'duration'?"),
    "unknown-side.yaml": (8, 19, "'left' or 'right'"),
    "wrong-type.yaml": (8, 13, "repeat: input should be a valid integer"),
    "yaml-syntax.yaml": (8, 4, "YAML syntax error"),
    "zero-duration.yaml": (7, 15, "must be more than zero, got '0s'"),
}

VALID = """\
name: demo
title: Demo
description: A short demo.
contraindications: [Fever]
phases:
  - name: warm-up
    steps:
      - say: Rub your foot.
        duration: 1m30s
        sides: [left, right]
        cues:
          - {at: 30, say: Keep going.}
  - name: closing
    title: Closing strokes
    steps:
      - say: Stroke gently.
        duration: 2m
        repeat: 2
"""


def test_every_invalid_file_is_covered() -> None:
    assert sorted(p.name for p in INVALID.iterdir()) == sorted(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_invalid_file_reports_line_column_and_reason(name: str) -> None:
    line, column, words = EXPECTED[name]
    with pytest.raises(BadInput) as caught:
        load_routine(INVALID / name)
    assert caught.value.location == f"{INVALID / name}:{line}:{column}"
    assert words in caught.value.message
    assert "\n" not in str(caught.value)


def test_validate_prints_one_line_per_broken_file_and_exits_2() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "masseur", "validate", str(INVALID)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == ExitStatus.BAD_INPUT
    lines = result.stdout.splitlines()
    assert len(lines) == len(EXPECTED)
    for line, name in zip(lines, sorted(EXPECTED), strict=True):
        expected_line, expected_column, words = EXPECTED[name]
        assert line.startswith(f"{INVALID / name}:{expected_line}:{expected_column}: ")
        assert words in line
    assert "Traceback" not in result.stderr


def test_validate_exits_0_when_all_files_are_valid(tmp_path: Path) -> None:
    good = tmp_path / "demo.yaml"
    good.write_text(VALID)
    result = subprocess.run(
        [sys.executable, "-m", "masseur", "validate", str(good), str(good)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout == ""


def test_valid_routine_loads_into_typed_models() -> None:
    routine = parse_routine(VALID)
    assert [phase.heading for phase in routine.all_phases] == ["Warm up", "Closing strokes"]
    rub = routine.all_phases[0].steps[0]
    assert rub.duration == 90_000
    assert rub.sides == ["left", "right"]
    assert rub.cues[0].at == 30_000
    assert rub.total_ms == 180_000
    assert routine.steps_ms == 180_000 + 240_000
    assert routine.step_count == 2
    assert routine.language == "en"


def test_huge_file_is_refused_before_parsing(tmp_path: Path) -> None:
    big = tmp_path / "big.yaml"
    big.write_text("# padding\n" * (MAX_FILE_BYTES // 10 + 10))
    with pytest.raises(BadInput, match="larger than"):
        load_routine(big)


def test_deep_nesting_is_an_error_not_a_crash() -> None:
    with pytest.raises(BadInput):
        parse_routine("[" * 50_000 + "]" * 50_000)


def test_unsafe_tags_are_refused() -> None:
    with pytest.raises(BadInput, match="YAML syntax error"):
        parse_routine("name: !!python/object/apply:os.system ['true']\n")


def test_both_steps_and_phases_is_an_error() -> None:
    text = VALID + "steps:\n  - say: Extra.\n    duration: 10\n"
    with pytest.raises(BadInput, match="not both"):
        parse_routine(text, "x.yaml")


ONE_STEP = (
    "name: demo\ntitle: Demo\ndescription: D.\n{top}steps:\n  - say: Rub.\n    duration: 10\n{step}"
)


@pytest.mark.parametrize(
    ("top", "step", "where", "words"),
    [
        ("", "    repeat: true\n", "7:13", "repeat: input should be a valid integer, got true"),
        ("", "    repeat: 2.5\n", "7:13", "repeat: input should be a valid integer, got 2.5"),
        ("", "    repeat: 101\n", "7:13", "repeat: input should be less than or equal to 100"),
        ("", "    general: maybe\n", "7:14", "general: input should be true or false"),
        ("", "    repeat: '" + "1" * 5000 + "'\n", "7:13", "is too long for a number"),
        ("", "    repeat: '\u0663'\n", "7:13", "repeat: input should be a valid integer"),
        ("", "    general: 1.0\n", "", ""),
        ("", "    repeat: null\n", "7:13", "repeat: input should be a valid integer, got nothing"),
        ("", "    chime: gong\n", "7:12", "'end', 'soft' or 'none', got 'gong'"),
        ("voice: {volume: .nan}\n", "", "4:17", "volume: input should be a finite number"),
        ("chime_volume: true\n", "", "4:15", "chime_volume: input should be a valid number"),
        ("language: en\n\n", "", "", ""),
        ("name2: x\n", "", "4:1", "unknown key 'name2'; did you mean 'name'?"),
        ("zzz: 1\n", "", "4:1", "unknown key 'zzz'; allowed keys: chime_volume, contraindications"),
        ("voice: loud\n", "", "4:8", "voice: input should be a mapping of keys, got 'loud'"),
        ("side_names: {left: Left}\n", "", "4:13", "missing required key 'right'"),
        ("notes: []\nintro: null\n", "", "", ""),
        ("steps: []\n", "", "", "duplicate key 'steps'"),
        ("title: Again\n", "", "", "duplicate key 'title'"),
        ("", "    sides: []\n", "7:12", "sides: should have at least 1 item"),
        ("", "    zones: [heel, elbow]\n", "7:19", "unknown zone 'elbow'"),
        ("", "    name: Rub-Feet\n", "7:11", "name: 'Rub-Feet' should look like 'foot-classic'"),
        ("", "    title: '  '\n", "7:12", "'title' must not be empty"),
        (
            "contraindications: [7, '']\n",
            "",
            "4:21",
            "contraindications: input should be text, got 7 (and 1 more)",
        ),
    ],
)
def test_each_kind_of_value_is_checked_where_it_is_written(
    top: str, step: str, where: str, words: str
) -> None:
    text = ONE_STEP.format(top=top, step=step)
    if not words:
        parse_routine(text, "x.yaml")  # valid
        return
    with pytest.raises(BadInput) as caught:
        parse_routine(text, "x.yaml")
    if where:
        assert caught.value.location == f"x.yaml:{where}"
    assert words in caught.value.message


def test_numbers_written_as_text_are_read_as_numbers_and_text_is_trimmed() -> None:
    text = ONE_STEP.format(
        top="voice: {rate: '160.0', volume: '0.5'}\n", step="    repeat: '3'\n    title: ' Rub '\n"
    )
    routine = parse_routine(text)
    step = routine.all_phases[0].steps[0]
    assert (routine.voice.rate, routine.voice.volume, step.repeat) == (160, 0.5, 3)
    assert step.title == "Rub"
    assert isinstance(routine.voice.rate, int) and isinstance(step.repeat, int)


@pytest.mark.parametrize(
    ("text", "ms"),
    [
        (90, 90_000),
        ("90", 90_000),
        ("90s", 90_000),
        ("1m30s", 90_000),
        ("2m", 120_000),
        ("1.5m", 90_000),
        ("1h", 3_600_000),
        (" 45 s ", 45_000),
        (0.5, 500),
    ],
)
def test_durations_parse(text: object, ms: int) -> None:
    assert parse_duration_ms(text) == ms


@pytest.mark.parametrize("text", ["", "m", "1x", "-5", 0, "0s", True, None, [1], "1m-3s", "nan"])
def test_bad_durations_are_rejected(text: object) -> None:
    with pytest.raises(ValueError):
        parse_duration_ms(text)


def test_durations_format() -> None:
    assert [format_duration(ms) for ms in (45_000, 120_000, 90_000, 3_900_000)] == [
        "45s",
        "2m",
        "1m30s",
        "1h05m",
    ]
    assert format_clock(3_723_456, millis=True) == "01:02:03.456"
    assert format_clock(83_000) == "1:23"


yaml_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(
            st.sampled_from(
                [
                    "name",
                    "title",
                    "description",
                    "steps",
                    "say",
                    "duration",
                    "cues",
                    "at",
                    "sides",
                    "repeat",
                    "phases",
                    "chime",
                    "voice",
                    "rate",
                    "x",
                ]
            ),
            children,
            max_size=5,
        )
    ),
    max_leaves=20,
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=400))
def test_arbitrary_text_never_crashes_the_loader(text: str) -> None:
    try:
        parse_routine(text, "fuzz.yaml")
    except BadInput as error:
        assert str(error).startswith("fuzz.yaml:")
        assert "\n" not in str(error)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(yaml_values)
def test_arbitrary_yaml_structures_never_crash_the_loader(data: object) -> None:
    import yaml

    text = yaml.safe_dump(data, allow_unicode=True)
    try:
        parse_routine(text, "fuzz.yaml")
    except BadInput as error:
        assert str(error).startswith("fuzz.yaml:")


@pytest.mark.skipif(yaml_reader._FastRoutineLoader is None, reason="PyYAML without libyaml")
@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(yaml_values, st.sampled_from(sorted(builtin_routines_dir().glob("*.yaml")))))
def test_libyaml_reads_what_the_pure_python_loader_reads_in_the_same_places(
    source: object,
) -> None:
    """masseur reads routines with libyaml and falls back to the pure-Python loader only for
    a file libyaml refuses: both must give the same values at the same lines and columns."""
    import yaml

    if isinstance(source, Path):
        text = source.read_text(encoding="utf-8")
    else:
        text = yaml.safe_dump(source, allow_unicode=True, default_flow_style=None)
    try:
        pure, pure_index = yaml_reader._parse_with(yaml_reader._RoutineLoader, text)
    except yaml_reader.LoadProblem as refused:
        with pytest.raises(yaml_reader.LoadProblem) as also_refused:
            yaml_reader.parse_yaml(text)
        assert (also_refused.value.message, also_refused.value.mark) == (
            refused.message,
            refused.mark,
        )
        return
    fast, index = yaml_reader.parse_yaml(text)
    assert fast == pure
    assert (index.values, index.keys) == (pure_index.values, pure_index.keys)


def test_a_file_libyaml_refuses_is_reported_in_the_pure_python_loader_s_words() -> None:
    # A bad character after non-ASCII text: libyaml would give its place in bytes.
    text = "name: ступни\ntitle: x\x07\n"
    with pytest.raises(BadInput) as raised:
        parse_routine(text, "bell.yaml")
    assert str(raised.value) == (
        "bell.yaml:2:9: the character U+0007 (control character) is not allowed in YAML; remove it"
    )


# --------------------------------------------------------------------------- the whole CLI


def mostly(
    usual: st.SearchStrategy[object], odd: st.SearchStrategy[object]
) -> st.SearchStrategy[object]:
    """``usual`` seven times in eight, else ``odd``: most routines stay valid and reach show,
    the planner and the exports, while every field is tried with values that once broke
    masseur."""
    return st.integers(0, 7).flatmap(lambda n: odd if n == 7 else usual)


words = st.text(st.characters(codec="utf-8", categories=["L", "N", "P", "Zs"]), min_size=1)
hostile_text = mostly(
    words.filter(str.strip),
    st.one_of(
        st.sampled_from(["Bad [/] title", "[link=http://evil.example]click[/link]", "[blink]x"]),
        st.sampled_from(["two\nlines", "Массаж стоп", "tab\there", "", " "]),
        st.sampled_from(["\x1b]52;c;cm0=\x07", "\x1b[2J", "\x9b31m", "\x00"]),
        st.text(max_size=30),
    ),
)
hostile_duration = mostly(
    st.integers(min_value=30, max_value=600) | st.sampled_from(["45s", "1m30s", "2m", "010"]),
    st.one_of(
        st.sampled_from(["0.0004", "1m90s", "0x10", "1:30", "9" * 401, "1e400", "-1"]),
        st.integers(),
        st.floats(),
        st.text(max_size=10),
    ),
)
hostile_step = st.fixed_dictionaries(
    {"say": hostile_text, "duration": hostile_duration},
    optional={
        "title": hostile_text,
        "repeat": mostly(st.integers(1, 5), st.integers() | st.just("010")),
        "sides": mostly(
            st.sampled_from([["left"], ["right", "left"]]),
            st.lists(st.sampled_from(["left", "right", "up"]), max_size=3),
        ),
        "cues": st.lists(
            st.fixed_dictionaries(
                {"at": mostly(st.integers(1, 29), hostile_duration), "say": hostile_text}
            ),
            max_size=3,
        ),
        "chime": mostly(st.sampled_from(["step", "phase", "soft", "none"]), st.just("[/]")),
    },
)
hostile_routine = st.fixed_dictionaries(
    {
        "name": mostly(st.just("fuzz"), st.sampled_from(["Fuzz Name", "x\n", "[/]"])),
        "title": hostile_text,
        "description": hostile_text,
        "steps": st.lists(hostile_step, min_size=1, max_size=4),
    },
    optional={
        "language": st.sampled_from(["en", "ru", "de", "xx", "zz-Latn"]),
        "contraindications": st.lists(hostile_text, max_size=2),
        "preparation": st.lists(hostile_text, max_size=2),
        "notes": st.lists(hostile_text, max_size=2),
        "intro": hostile_text,
        "outro": hostile_text,
        "side_names": st.fixed_dictionaries({"left": hostile_text, "right": hostile_text}),
        "voice": st.fixed_dictionaries(
            {}, optional={"rate": mostly(st.integers(80, 400), st.integers())}
        ),
    },
)
CLI_COMMANDS = (
    ["validate", "-q"],
    ["show"],
    ["run", "--dry-run"],
    ["export", "-f", "json", "-o", "-"],
)
# Growth of the test process's peak memory while these examples run; a runaway plan took
# gigabytes. (The peak cannot be reset, so growth is measured from the first example.)
MEMORY_GROWTH_BOUND_KB = 512 * 1024
_peak_before_kb: list[int] = []


@settings(
    max_examples=150,
    # A hang guard, not a speed target: one example runs four commands in well under that.
    deadline=60_000,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(data=hostile_routine)
def test_arbitrary_routines_through_the_cli_never_crash(
    data: dict[str, object], tmp_path: Path, masseur_home: Path
) -> None:
    import resource

    import yaml

    from cli_helper import run_main

    if not _peak_before_kb:
        _peak_before_kb.append(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
    path = tmp_path / "fuzz.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    statuses = set()
    for command in CLI_COMMANDS:
        # run_main lets any exception but a clean exit through: a traceback fails here.
        result = run_main([*command, str(path)])
        statuses.add(result.exit_code)
        assert result.exit_code in (ExitStatus.OK, ExitStatus.BAD_INPUT), result.output
        if result.exit_code == ExitStatus.BAD_INPUT:
            problem = result.output.strip().splitlines()
            assert len(problem) == 1 and problem[0].startswith(str(path)), result.output
        assert "\x1b" not in result.output and "\x9b" not in result.output
    event(f"exit {statuses}")
    # validate agrees with the commands that use the routine.
    assert len(statuses) == 1, statuses
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    assert peak_kb - _peak_before_kb[0] < MEMORY_GROWTH_BOUND_KB


def test_pyyaml_s_reader_gets_a_pattern_that_refuses_exactly_the_same_characters() -> None:
    """masseur.pyyaml hands PyYAML's reader a faster-made pattern for the characters YAML
    does not allow: it must find every one of them, at every code point, and nothing else."""
    import re

    from masseur import pyyaml

    every = "".join(map(chr, range(sys.maxunicode + 1)))
    refused = [found.start() for found in re.finditer(pyyaml.YAML_NON_PRINTABLE, every)]
    assert [found.start() for found in re.finditer(pyyaml.NON_PRINTABLE, every)] == refused
    assert 0x07 in refused and 0xFFFE in refused and 0x0A not in refused and 0x1F600 not in refused
    # The pattern PyYAML compiles is still the one given, so its reader uses the fast one.
    script = (
        "import masseur.yaml_reader, yaml.reader, masseur.pyyaml as p;"
        "print(yaml.reader.Reader.NON_PRINTABLE.pattern == p.NON_PRINTABLE)"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert done.stdout.strip() == "True", done.stderr
