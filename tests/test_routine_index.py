"""`masseur list` from its index of routine metadata: same answers, without parsing routines."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from conftest import REPO
from masseur.cli import cli

LIST_WITHOUT_PARSING = """
import sys
from masseur.cli import main
try:
    main(["list", "--json"])
except SystemExit:
    pass
loaded = [name for name in ("masseur.routine", "yaml", "rich") if name in sys.modules]
print("loaded:", ",".join(loaded), file=sys.stderr)
"""


def list_json() -> list[dict[str, object]]:
    result = CliRunner().invoke(cli, ["list", "--json"])
    assert result.exit_code == 0, result.output
    rows: list[dict[str, object]] = json.loads(result.output)
    return rows


def write_routine(path: Path, title: str, seconds: int) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        f"name: {path.stem}\ntitle: {title}\ndescription: Mine.\n"
        f"steps:\n  - {{say: Rub the sole., duration: {seconds}s}}\n",
        encoding="utf-8",
    )


def test_a_changed_routine_is_listed_as_it_is_now(masseur_home: Path) -> None:
    mine = masseur_home / "data" / "routines" / "mine.yaml"
    write_routine(mine, "First title", 30)
    first = {row["name"]: row for row in list_json()}["mine"]
    assert first["title"] == "First title"

    write_routine(mine, "Second, longer title", 90)
    second = {row["name"]: row for row in list_json()}["mine"]
    assert second["title"] == "Second, longer title"
    assert isinstance(first["total_ms"], int) and isinstance(second["total_ms"], int)
    assert second["total_ms"] > first["total_ms"]

    mine.write_text("name: mine\n", encoding="utf-8")  # now invalid
    broken = {row["name"]: row for row in list_json()}["mine"]
    assert broken["title"] is None and "error" in broken


def test_the_index_gives_the_same_rows_as_parsing(masseur_home: Path) -> None:
    built = list_json()  # parses every routine, and fills the index
    assert (masseur_home / "cache" / "routine-index.json").exists()
    assert list_json() == built  # from the index
    (masseur_home / "cache" / "routine-index.json").write_text("{not json")
    assert list_json() == built  # a damaged index is rebuilt


def test_a_second_list_loads_no_routine_nor_the_libraries_for_them(masseur_home: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(REPO / "src")}
    for attempt in ("builds the index", "reads it"):
        result = subprocess.run(
            [sys.executable, "-c", LIST_WITHOUT_PARSING],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        )
        rows = json.loads(result.stdout)
        assert len(rows) >= 10, attempt
    assert result.stderr.strip() == "loaded:"


LIST_TABLE = LIST_WITHOUT_PARSING.replace('["list", "--json"]', '["list"]')


def test_the_table_fits_80_columns_by_wrapping_titles_without_loading_rich(
    masseur_home: Path,
) -> None:
    env = {**os.environ, "PYTHONPATH": str(REPO / "src"), "COLUMNS": "80"}
    for attempt in ("builds the index", "reads it"):
        result = subprocess.run(
            [sys.executable, "-c", LIST_TABLE],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        )
        lines = result.stdout.splitlines()
        assert max(len(line) for line in lines) <= 80, attempt
        # A title too long for its column goes on under it, whole words on each line.
        start = next(i for i, line in enumerate(lines) if line.startswith("anti-cellulite-legs"))
        title = " ".join(lines[start][21:48].split() + lines[start + 1][21:48].split())
        assert title == "Vigorous leg massage for cellulite", lines[start : start + 2]
    assert result.stderr.strip() == "loaded:"
