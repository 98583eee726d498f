"""`masseur doctor` on this machine, for real: espeak-ng, pyttsx3, the sound device, files."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from cli_helper import run_main
from masseur.config import config_path
from masseur.history import history_path
from masseur.paths import user_routines_dir

LINE = re.compile(r"^(ok|warn|fail) {1,2} +\S")


def doctor() -> tuple[int, dict[str, dict[str, str]]]:
    result = run_main(["doctor", "--json"])
    checks = json.loads(result.stdout)
    by_name = {check["name"]: check for check in checks}
    assert len(by_name) == len(checks), "check names are unique"
    return result.exit_code, by_name


def test_doctor_on_this_machine_prints_one_line_per_check(masseur_home: Path) -> None:
    result = run_main(["doctor"])
    lines = result.stdout.splitlines()
    checks = lines[: lines.index("")]
    assert len(checks) >= 12
    for line in checks:
        assert LINE.match(line), line
    assert re.fullmatch(r"\d+ failures?, \d+ warnings?", lines[-1])
    failures = int(lines[-1].split()[0])
    assert result.exit_code == (1 if failures else 0)


def test_a_working_install_has_no_failures_and_names_what_it_found(masseur_home: Path) -> None:
    status, checks = doctor()
    assert status == 0, {name: c for name, c in checks.items() if c["status"] == "fail"}
    assert checks["python"]["status"] == "ok"
    assert checks["espeak-ng library"]["detail"].startswith("libespeak-ng 1.")
    assert checks["pyttsx3"]["status"] == "ok"
    assert re.match(r"\d+ voices, default \S+", checks["voices"]["detail"])
    assert checks["russian voice"] == {
        "name": "russian voice",
        "status": "ok",
        "detail": "zle/ru",
        "fix": None,
    }
    assert checks["built-in routines"]["status"] == "ok"
    assert checks["settings"]["detail"].endswith("(no file; defaults apply)")
    assert checks["routines folder"]["detail"].endswith("(not created yet; made when needed)")


def test_no_sound_device_is_only_a_warning(masseur_home: Path) -> None:
    status, checks = doctor()
    audio = checks["audio output"]
    if audio["status"] == "ok":
        pytest.skip("this machine can play sound")
    assert audio["status"] == "warn"
    assert "audio output device" in audio["detail"]
    assert "text-only" in audio["detail"]
    assert status == 0


def test_require_audio_without_sound_is_a_failure(masseur_home: Path) -> None:
    config_path().parent.mkdir(parents=True)
    config_path().write_text("require_audio = true\n", encoding="utf-8")
    status, checks = doctor()
    if checks["audio output"]["status"] == "ok":
        pytest.skip("this machine can play sound")
    assert checks["audio output"]["status"] == "fail"
    assert "require_audio" in checks["audio output"]["fix"]
    assert status == 1


def test_a_broken_settings_file_fails_with_its_location(masseur_home: Path) -> None:
    config_path().parent.mkdir(parents=True)
    config_path().write_text("rate = 150\nvolum = 1\n", encoding="utf-8")
    status, checks = doctor()
    assert status == 1
    assert checks["settings"]["status"] == "fail"
    assert checks["settings"]["detail"].startswith(f"{config_path()}:2:1: unknown setting")
    assert checks["settings"]["fix"] == f"edit {config_path()}"


def test_a_voice_setting_that_matches_no_voice_fails(
    masseur_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MASSEUR_VOICE", "klingon")
    status, checks = doctor()
    assert status == 1
    assert checks["voice setting"]["status"] == "fail"
    assert "klingon" in checks["voice setting"]["detail"]


def test_own_routines_and_history_problems_are_warnings(masseur_home: Path) -> None:
    assert run_main(["new", "good-one"]).exit_code == 0
    user_routines_dir().joinpath("bad-one.yaml").write_text("name: bad-one\n", encoding="utf-8")
    history_path().write_text('{"routine": "half', encoding="utf-8")
    status, checks = doctor()
    assert checks["your routines"]["status"] == "warn"
    assert "1 of 2 invalid (bad-one)" in checks["your routines"]["detail"]
    assert checks["your routines"]["fix"] == "masseur edit bad-one"
    assert checks["history"]["status"] == "warn"
    assert "1 damaged line skipped" in checks["history"]["detail"]
    assert re.search(r"\(2 files, \d+\.\d KB\)$", checks["routines folder"]["detail"])
    if checks["audio output"]["status"] != "fail":
        assert status == 0  # warnings alone do not fail the doctor


def test_folders_that_cannot_be_used_are_reported(
    masseur_home: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder", encoding="utf-8")
    monkeypatch.setenv("MASSEUR_CACHE_DIR", str(blocker))
    monkeypatch.setenv("MASSEUR_CONFIG_DIR", str(blocker / "below"))
    status, checks = doctor()
    assert checks["speech cache"]["status"] == "fail"
    assert "is a file, not a folder" in checks["speech cache"]["detail"]
    assert checks["config folder"]["status"] == "warn"
    assert "cannot be created" in checks["config folder"]["detail"]
    assert status == 1
