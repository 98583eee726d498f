"""The wheel carries every built-in routine and chime, and the package finds them there."""

from __future__ import annotations

import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(out), str(REPO)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    (built,) = out.glob("masseur-*.whl")
    return built


def test_wheel_contains_every_routine_and_sound(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    for folder in ("routines", "sounds"):
        shipped = sorted(p.name for p in (REPO / folder).iterdir() if p.is_file())
        assert shipped, f"{folder}/ is empty"
        for name in shipped:
            assert f"masseur/{folder}/{name}" in names


def test_installed_wheel_lists_routines_from_another_folder(wheel: Path, tmp_path: Path) -> None:
    # Unpack the wheel (it is a zip) and run masseur from it, far from the source tree.
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {
        "PYTHONPATH": str(site),
        "PATH": "/usr/bin:/bin",
        "HOME": str(tmp_path),
        "MASSEUR_DATA_DIR": str(tmp_path / "data"),
    }
    result = subprocess.run(
        [sys.executable, "-m", "masseur", "list", "--json"],
        cwd=elsewhere,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    import json

    rows = json.loads(result.stdout)
    assert len(rows) >= 10
    assert all(row["origin"] == "built-in" and str(site) in row["path"] for row in rows)
    shown = subprocess.run(
        [sys.executable, "-m", "masseur", "show", "foot-classic"],
        cwd=elsewhere,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert shown.returncode == 0, shown.stderr
    assert "Classic foot massage" in shown.stdout


@pytest.mark.slow
def test_pipx_install_puts_masseur_on_path(tmp_path: Path) -> None:
    # The README's recommended install, into a private pipx home.
    from conftest import require_tools

    require_tools("pipx")
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(tmp_path),
        "PIPX_HOME": str(tmp_path / "pipx"),
        "PIPX_BIN_DIR": str(tmp_path / "bin"),
        "MASSEUR_DATA_DIR": str(tmp_path / "data"),
    }
    installed = subprocess.run(
        ["pipx", "install", "--python", sys.executable, str(REPO)],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert installed.returncode == 0, installed.stderr
    env["PATH"] = f"{tmp_path / 'bin'}:/usr/bin:/bin"
    shown = subprocess.run(
        ["masseur", "show", "foot-classic"], env=env, capture_output=True, text=True, timeout=60
    )
    assert shown.returncode == 0, shown.stderr
    assert re.search(r"\d+ steps, \d+ timed parts", shown.stdout)


@pytest.mark.slow
def test_setup_prints_the_line_that_puts_masseur_on_path(tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    finished = subprocess.run(
        ["bash", str(REPO / "scripts" / "setup.sh")],
        env={
            "PATH": "/usr/bin:/bin",
            "HOME": str(tmp_path),
            "PYTHON": sys.executable,
            "VENV": str(venv),
            "PIP_DISABLE_PIP_VERSION_CHECK": "1",
        },
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert finished.returncode == 0, finished.stderr
    line = f"echo 'export PATH=\"{venv / 'bin'}:$PATH\"' >> ~/.bashrc"
    assert line in finished.stdout.splitlines()[-2], finished.stdout
    # That line, run, makes plain `masseur` work.
    shell = subprocess.run(
        ["bash", "-c", f'export PATH="{venv / "bin"}:$PATH" && masseur list --json'],
        env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert shell.returncode == 0, shell.stderr


def test_wheel_carries_the_guides_stylesheet_and_player(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    assert {"masseur/guide/guide.css", "masseur/guide/player.js"} <= names
