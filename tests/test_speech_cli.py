"""`masseur voices` against the real espeak-ng voices."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from masseur.cli import cli


def test_voices_lists_real_voices_with_one_default(masseur_home: Path) -> None:
    result = CliRunner().invoke(cli, ["voices", "--json"])
    assert result.exit_code == 0, result.output
    voices = json.loads(result.output)
    assert len(voices) > 50
    assert sum(voice["default"] for voice in voices) == 1
    assert any("ru" in voice["languages"] for voice in voices)


def test_voices_filters_by_language_and_rejects_unknown_ones(masseur_home: Path) -> None:
    result = CliRunner().invoke(cli, ["voices", "--language", "ru"])
    assert result.exit_code == 0
    assert "zle/ru" in result.output
    assert "gmw/en" not in result.output
    missing = CliRunner().invoke(cli, ["voices", "--language", "xx"])
    assert missing.exit_code == 2
