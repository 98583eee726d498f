# The guide's outline goldens live in tests/golden/*.outline.txt. After a deliberate change to
# the guide, rewrite them with
#
#     MASSEUR_UPDATE_GOLDEN=1 python -m pytest tests/test_guide.py -q
#
# and read `git diff tests/golden` before committing.
"""The zones vocabulary, the guide's pictures, and the HTML and PDF guide: structure, goldens,
determinism, offline-ness and a real PDF rendered page by page."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from html.parser import HTMLParser
from pathlib import Path

import pytest

from cli_helper import run_main
from conftest import require_tools
from masseur.export import chime_lengths
from masseur.guide.build import fix_ogg_serial
from masseur.guide.html import GuideAudio, render_guide
from masseur.guide.pictures import VIEWS, choose_pictures, render_picture
from masseur.routine import Routine, json_schema, load_routine, parse_routine
from masseur.timeline import (
    DEFAULT_RATE,
    Timeline,
    TimelineOptions,
    build_timeline,
    with_chime_durations,
)
from masseur.zones import ZONES, describe, expand

TESTS = Path(__file__).resolve().parent
GUIDE_DATA = TESTS / "data" / "guide"
GOLDEN = TESTS / "golden"
UPDATE_GOLDEN = os.environ.get("MASSEUR_UPDATE_GOLDEN") == "1"
ROUTINES = ("feet", "legs")


def routine(name: str) -> Routine:
    return load_routine(GUIDE_DATA / f"{name}.yaml")


def session_timeline(loaded: Routine) -> Timeline:
    """The timeline `masseur export` renders for a guide without audio, with default settings."""
    options = TimelineOptions(rate=loaded.voice.rate or DEFAULT_RATE)
    timeline = build_timeline(loaded, options)
    return with_chime_durations(timeline, chime_lengths(timeline))


def guide(name: str, audio: GuideAudio | None = None, for_print: bool = False) -> str:
    loaded = routine(name)
    return render_guide(session_timeline(loaded), loaded, audio=audio, for_print=for_print)


ONE_STEP = """\
name: one
title: One
description: One step.
steps:
  - say: Knead.
    duration: 5s
    zones: [{zones}]
"""


# --------------------------------------------------------------------------- the vocabulary


def test_a_misspelt_zone_is_one_line_with_a_suggestion() -> None:
    with pytest.raises(Exception) as raised:
        parse_routine(ONE_STEP.format(zones="heel, akle"), "mine.yaml")
    assert str(raised.value) == "mine.yaml:7:19: zones: unknown zone 'akle'; did you mean 'ankle'?"


def test_validate_reports_a_bad_zone_with_exit_code_2(tmp_path: Path) -> None:
    path = tmp_path / "mine.yaml"
    path.write_text(ONE_STEP.format(zones="calff"), encoding="utf-8")
    result = run_main(["validate", str(path)])
    assert result.exit_code == 2
    assert "unknown zone 'calff'; did you mean 'calf'?" in result.output
    assert "Traceback" not in result.output


def test_a_cue_can_name_zones_and_a_general_step_names_none() -> None:
    text = (
        ONE_STEP.format(zones="heel") + "    cues:\n      - {at: 2s, say: Arch., zones: [arch]}\n"
    )
    step = parse_routine(text).steps[0]  # type: ignore[index]
    assert step.zones == ["heel"] and step.cues[0].zones == ["arch"]
    with pytest.raises(Exception, match="a general step names no zones"):
        parse_routine(ONE_STEP.format(zones="heel") + "    general: true\n", "g.yaml")
    with pytest.raises(Exception, match="zones"):
        parse_routine(ONE_STEP.format(zones=""), "empty.yaml")


def test_the_schema_lists_every_zone() -> None:
    text = str(json_schema())
    for slug in ZONES:
        assert f"'{slug}'" in text


def test_groups_open_into_drawn_zones_and_every_zone_has_both_names() -> None:
    assert expand(["toes", "big-toe", "heel"]) == (
        "big-toe",
        "second-toe",
        "third-toe",
        "fourth-toe",
        "little-toe",
        "heel",
    )
    drawn = {shape.zone for view in VIEWS.values() for shape in view.shapes}
    for zone in ZONES.values():
        assert zone.en and zone.ru
        assert set(expand([zone.slug])) <= drawn, f"{zone.slug} is not drawn anywhere"
    assert describe(["calf", "knee-back"], "ru") == "икра, подколенная ямка"


def test_the_fewest_pictures_show_a_step() -> None:
    assert choose_pictures(["heel"]) == ("sole",)
    assert choose_pictures(["calf", "heel", "achilles"]) == ("leg-back",)
    assert choose_pictures(["foot-top", "toes"]) == ("top",)
    assert choose_pictures(["reflex-heart", "ball"]) == ("sole", "reflex")


def test_a_picture_highlights_exactly_the_zones_asked_for() -> None:
    svg = render_picture("sole", on=["toes", "heel"], prefix="t")
    lit = set(re.findall(r'class="zone on \w+" data-zone="([\w-]+)"', svg))
    assert lit == {"heel", "big-toe", "second-toe", "third-toe", "fourth-toe", "little-toe"}
    plain = render_picture("sole", on=[], prefix="t")
    assert "zone on" not in plain
    assert "translate(200 0) scale(-1 1)" in render_picture("sole", prefix="t", mirrored=True)


# --------------------------------------------------------------------------- the page


class Outline(HTMLParser):
    """A readable outline of a guide: its sections, cards, pictures and lit zones."""

    def __init__(self) -> None:
        super().__init__()
        self.lines: list[str] = []
        self.cards: dict[str, dict[str, list[str]]] = {}
        self.urls: list[str] = []
        self._card = ""
        self._text: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        for name in ("src", "href"):
            value = found.get(name) or ""
            if value and not value.startswith(("#", "data:")):
                self.urls.append(value)
        classes = (found.get("class") or "").split()
        if tag == "article" and "card" in classes:
            self._card = found.get("id") or ""
            self.cards[self._card] = {"pictures": [], "on": [], "named": []}
            self.cards[self._card]["named"] = (found.get("data-zones") or "").split()
            self.lines.append(f"card {self._card} start={found.get('data-start-ms')}")
        elif tag == "svg" and "picture" in classes:
            self.cards[self._card]["pictures"].append(found.get("data-picture") or "")
            self.lines.append(f"  picture {found.get('data-picture')}")
        elif tag == "g" and "zone" in classes and "on" in classes:
            self.cards[self._card]["on"].append(found.get("data-zone") or "")
            self.lines.append(f"    on {found.get('data-zone')}")
        elif tag in ("h1", "h2", "h3", "li", "figcaption", "p") or (
            tag == "a" and "bar" in classes
        ):
            self._text = [f"{tag}{'.' + '.'.join(classes) if classes else ''}:"]
        if tag == "a" and "bar" in classes:
            self.lines.append(f"bar {found.get('href')} at {found.get('data-start-ms')}")
            self._text = None

    def handle_data(self, data: str) -> None:
        if self._text is not None and data.strip():
            self._text.append(" ".join(data.split()))

    def handle_endtag(self, tag: str) -> None:
        if tag == "article":
            self._card = ""
        if tag in ("h1", "h2", "h3", "li", "figcaption", "p") and self._text is not None:
            indent = "  " if self._card else ""
            self.lines.append(indent + " ".join(self._text))
            self._text = None


def outline(html: str) -> Outline:
    parser = Outline()
    parser.feed(html)
    return parser


@pytest.mark.parametrize("name", ROUTINES)
def test_the_guide_outline_matches_its_golden(name: str) -> None:
    text = "\n".join(outline(guide(name)).lines) + "\n"
    path = GOLDEN / f"guide-{name}.outline.txt"
    if UPDATE_GOLDEN:
        path.write_text(text, encoding="utf-8", newline="\n")
    assert path.exists(), f"no golden file {path}; make it with MASSEUR_UPDATE_GOLDEN=1"
    assert text == path.read_text(encoding="utf-8"), f"{path.name} differs (see the file's top)"


@pytest.mark.parametrize("name", ROUTINES)
def test_each_card_lights_the_zones_its_step_names(name: str) -> None:
    loaded = routine(name)
    parsed = outline(guide(name))
    steps = [step for _, step in loaded.iter_steps()]
    assert len(parsed.cards) == len(steps)
    for number, step in enumerate(steps, start=1):
        card = parsed.cards[f"step-{number}"]
        named = list(step.zones or []) + [z for cue in step.cues for z in cue.zones or []]
        if step.general:
            assert card["pictures"] == [] and card["on"] == []
            continue
        assert set(card["on"]) == set(expand(named)), f"card {number}"
        assert card["pictures"] == list(choose_pictures(named))


@pytest.mark.parametrize("name", ROUTINES)
def test_the_page_needs_nothing_from_outside(name: str) -> None:
    html = guide(name, audio=GuideAudio(b"OggS", "audio/ogg"))
    assert outline(html).urls == []
    assert "<link" not in html and "@import" not in html and "url(http" not in html
    assert "default-src 'none'" in html  # the page forbids itself any request


def test_the_page_speaks_the_routines_language() -> None:
    russian = guide("legs")
    assert '<html lang="ru">' in russian
    for words in ("Не делайте этот массаж, если", "Шаги", "Где:", "только поглаживать"):
        assert words in russian
    assert "Do not do this massage" not in russian and "Steps" not in russian


def test_the_same_routine_and_options_give_the_same_page(tmp_path: Path) -> None:
    first, second = tmp_path / "a.html", tmp_path / "b.html"
    source = str(GUIDE_DATA / "feet.yaml")
    for target in (first, second):
        assert run_main(["export", source, "-o", str(target)]).exit_code == 0
    assert first.read_bytes() == second.read_bytes()
    assert first.read_text(encoding="utf-8") == guide("feet")


def test_the_ogg_serial_is_fixed_and_its_checksums_stay_valid(tmp_path: Path) -> None:
    import numpy as np
    import soundfile

    tone = (np.sin(np.arange(22050) / 10) * 8000).astype(np.int16)
    path = tmp_path / "tone.ogg"
    soundfile.write(str(path), tone, 22050, format="OGG", subtype="VORBIS")
    fixed = fix_ogg_serial(path.read_bytes())
    assert fixed[14:18] == (0x6D617373).to_bytes(4, "little")
    (tmp_path / "fixed.ogg").write_bytes(fixed)
    # libogg drops a page whose checksum is wrong: the whole second must still be there.
    assert soundfile.info(str(tmp_path / "fixed.ogg")).frames == 22050


def test_audio_is_refused_where_no_player_can_go(tmp_path: Path) -> None:
    source = str(GUIDE_DATA / "feet.yaml")
    result = run_main(["export", source, "--audio", "-o", str(tmp_path / "g.pdf")])
    assert result.exit_code == 2 and "a PDF cannot play audio" in result.output
    result = run_main(["export", source, "--audio", "-o", str(tmp_path / "g.md")])
    assert result.exit_code == 2 and "--audio is for the html guide" in result.output


# --------------------------------------------------------------------------- the PDF


@pytest.mark.parametrize(
    ("how", "options"),
    [
        (signal.SIGINT, ["-o", "guide.pdf"]),
        (signal.SIGTERM, ["-o", "guide.pdf"]),
        (signal.SIGHUP, ["-o", "guide.pdf"]),
    ],
)
def test_an_interrupted_guide_export_leaves_no_file(
    tmp_path: Path, how: signal.Signals, options: list[str]
) -> None:
    out = tmp_path / "out"
    out.mkdir()
    command = [sys.executable, "-m", "masseur", "export", str(GUIDE_DATA / "feet.yaml")]
    process = subprocess.Popen(
        [*command, *options[:-1], str(out / options[-1])],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    while not any(out.iterdir()):  # the temporary file exists while the PDF is laid out
        assert process.poll() is None, process.communicate()
        time.sleep(0.002)
    process.send_signal(how)
    _, err = process.communicate(timeout=60)
    assert process.returncode == 128 + how, err
    assert "Traceback" not in err
    assert list(out.iterdir()) == []


def test_a_hung_up_guide_with_audio_leaves_no_file(tmp_path: Path) -> None:
    """SIGHUP while the session's audio is mixed for the page: nothing left, here or in TMPDIR."""
    out, scratch = tmp_path / "out", tmp_path / "tmp"
    out.mkdir()
    scratch.mkdir()
    command = [sys.executable, "-m", "masseur", "export", "foot-self-massage", "--minutes", "120"]
    process = subprocess.Popen(
        [*command, "--audio", "-o", str(out / "guide.html")],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "TMPDIR": str(scratch)},
    )
    while not any(scratch.glob("*/session.*")):  # the audio for the page is being mixed
        assert process.poll() is None, process.communicate()
        time.sleep(0.002)
    process.send_signal(signal.SIGHUP)
    _, err = process.communicate(timeout=60)
    assert process.returncode == 128 + signal.SIGHUP, err
    assert "Traceback" not in err
    assert list(out.iterdir()) == [] and list(scratch.iterdir()) == []


@pytest.mark.parametrize(
    "path",
    [GUIDE_DATA / "feet.yaml", GUIDE_DATA / "legs.yaml", TESTS.parent / "routines" / "thighs.yaml"],
    ids=lambda path: path.stem,
)
def test_the_pdf_renders_every_page(path: Path, tmp_path: Path) -> None:
    require_tools("pdftoppm", "pdfinfo", "pdftotext", debian="poppler-utils")
    target = tmp_path / "guide.pdf"
    result = run_main(["export", str(path), "-o", str(target)])
    assert result.exit_code == 0, result.output
    info = subprocess.run(["pdfinfo", str(target)], capture_output=True, text=True, check=True)
    count = int(re.search(r"Pages:\s+(\d+)", info.stdout).group(1))  # type: ignore[union-attr]
    # A page holds two to four step cards (a card never splits), after the safety page.
    cards = load_routine(path).step_count
    assert 1 + cards // 4 <= count <= 2 + cards // 2
    subprocess.run(
        ["pdftoppm", "-r", "30", "-png", str(target), str(tmp_path / "page")], check=True
    )
    rendered = sorted(tmp_path.glob("page-*.png"))
    assert len(rendered) == count
    assert all(page.stat().st_size > 1000 for page in rendered)
    text = subprocess.run(["pdftotext", str(target), "-"], capture_output=True, text=True).stdout
    for _, step in load_routine(path).iter_steps():
        assert " ".join(step.heading.split()[:2]) in " ".join(text.split())
    assert "audio" not in text.lower()


# --------------------------------------------------------------------------- built-in routines

BUILTIN = sorted((TESTS.parent / "routines").glob("*.yaml"))


@pytest.mark.parametrize("path", BUILTIN, ids=lambda path: path.stem)
def test_every_builtin_step_says_where_unless_it_is_general(path: Path) -> None:
    loaded = load_routine(path)
    for phase, step in loaded.iter_steps():
        assert step.zones or step.general, f"{path.name}: {phase.name}/{step.heading} names no zone"


@pytest.mark.parametrize("path", BUILTIN, ids=lambda path: path.stem)
def test_every_builtin_guide_has_a_card_per_step_with_its_zones(path: Path) -> None:
    loaded = load_routine(path)
    parsed = outline(render_guide(session_timeline(loaded), loaded))
    steps = [step for _, step in loaded.iter_steps()]
    assert len(parsed.cards) == len(steps)
    for number, step in enumerate(steps, start=1):
        named = list(step.zones or []) + [zone for cue in step.cues for zone in cue.zones or []]
        assert set(parsed.cards[f"step-{number}"]["on"]) == set(expand(named))
