"""The HTML guide in a real browser: Debian's Chromium, headless, with no network.

One guide with its real audio (espeak-ng, real chimes) is exported once for the module; the
tests open it, play it muted, seek, click, and take screenshots at phone and desktop sizes.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from browser import chromium, console_errors, full_page_png, requested_urls
from cli_helper import run_main
from conftest import audio_timeline, home_env
from masseur.routine import load_routine
from masseur.timeline import Timeline
from masseur.zones import expand

pytestmark = pytest.mark.slow

TESTS = Path(__file__).resolve().parent
FEET = TESTS / "data" / "guide" / "feet.yaml"
# Keep the pictures for a person to look at: MASSEUR_SCREENSHOTS=folder.
SCREENSHOTS = (
    Path(os.environ["MASSEUR_SCREENSHOTS"]) if "MASSEUR_SCREENSHOTS" in os.environ else None
)


@pytest.fixture(scope="module")
def page(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The feet routine's guide with its audio, exported by the real command."""
    folder = tmp_path_factory.mktemp("guide")
    target = folder / "guide.html"
    with pytest.MonkeyPatch.context() as patch:
        for variable, value in home_env(folder / "home").items():
            patch.setenv(variable, value)
        result = run_main(["export", str(FEET), "--audio", "-o", str(target)])
    assert result.exit_code == 0, result.output
    yield target


@pytest.fixture(scope="module")
def timeline() -> Timeline:
    return audio_timeline(FEET)


def open_page(driver: Any, path: Path) -> list[str]:
    """Load the page; return every URL it asked for."""
    requested_urls(driver)  # forget what the browser fetched for itself at start
    driver.get(path.as_uri())
    driver.execute_script("return document.readyState")
    return requested_urls(driver)


def wait_for(driver: Any, script: str, what: str) -> Any:
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, 30, poll_frequency=0.05).until(
        lambda d: d.execute_script(script), message=f"waited for {what}"
    )


def test_the_same_routine_gives_the_same_page_audio_included(page: Path) -> None:
    again = page.with_name("again.html")
    with pytest.MonkeyPatch.context() as patch:
        for variable, value in home_env(page.parent / "home").items():
            patch.setenv(variable, value)
        result = run_main(["export", str(FEET), "--audio", "-o", str(again)])
    assert result.exit_code == 0, result.output
    assert again.read_bytes() == page.read_bytes()


def test_the_page_loads_offline_with_no_errors_and_asks_for_nothing(page: Path) -> None:
    with chromium() as driver:
        urls = open_page(driver, page)
        outside = [url for url in urls if not url.startswith(("data:", page.as_uri()))]
        assert outside == []
        assert console_errors(driver) == []
        duration = wait_for(driver, "return document.querySelector('audio').duration", "audio")
        assert duration > 30  # the embedded audio decodes: the whole session is there


def test_every_card_highlights_the_zones_its_step_names(page: Path) -> None:
    routine = load_routine(FEET)
    steps = [step for _, step in routine.iter_steps()]
    with chromium() as driver:
        open_page(driver, page)
        cards = driver.execute_script(
            "return Array.from(document.querySelectorAll('.card')).map(card => ({"
            " id: card.id,"
            " on: Array.from(card.querySelectorAll('.zone.on')).map(z => z.dataset.zone),"
            " colour: Array.from(card.querySelectorAll('.zone.on > *')).map("
            "   shape => getComputedStyle(shape).fill + '|' + getComputedStyle(shape).stroke)"
            "}))"
        )
        assert console_errors(driver) == []
    assert [card["id"] for card in cards] == [f"step-{n}" for n in range(1, len(steps) + 1)]
    for card, step in zip(cards, steps, strict=True):
        named = list(step.zones or []) + [zone for cue in step.cues for zone in cue.zones or []]
        assert set(card["on"]) == set(expand(named)), card["id"]
        # lit shapes are painted in the highlight colour (fill, or stroke for edge bands)
        assert all("rgb(228, 87, 46)" in colour for colour in card["colour"]), card["id"]


def test_the_highlighted_step_follows_the_audio_when_seeking(
    page: Path, timeline: Timeline
) -> None:
    with chromium() as driver:
        open_page(driver, page)
        driver.execute_script(
            "const audio = document.querySelector('audio'); audio.muted = true; audio.play();"
        )
        wait_for(driver, "return document.querySelector('audio').currentTime > 0.2", "playback")
        assert driver.execute_script("return document.querySelector('audio').paused") is False
        for segment in timeline.segments:
            middle = (segment.start_ms + segment.end_ms) / 2000
            driver.execute_script(
                "const audio = document.querySelector('audio');"
                "audio.pause(); audio.currentTime = arguments[0];",
                middle,
            )
            wait_for(driver, "return !document.querySelector('audio').seeking", "the seek")
            current = wait_for(
                driver,
                "const c = document.querySelectorAll('.card.current');"
                "return c.length === 1 ? c[0].id : null;",
                "one current card",
            )
            assert current == f"step-{segment.step_index + 1}", f"at {middle}s"
            playhead = driver.execute_script(
                "return parseFloat(document.querySelector('.chart .playhead').style.left)"
            )
            assert playhead == pytest.approx(middle * 100_000 / timeline.total_ms, abs=0.01)
        # the sentence being heard is highlighted too: the cue of step 3 at its time
        cue = next(e for e in timeline.events if e.text == "Now the arch.")
        driver.execute_script(
            "document.querySelector('audio').currentTime = arguments[0];", cue.at_ms / 1000 + 0.3
        )
        # The highlight moves when the player reports the new time: wait for it to settle there.
        wait_for(driver, "return !document.querySelector('audio').seeking", "the seek")
        speaking = wait_for(
            driver,
            "const s = document.querySelector('.speaking');"
            "return s && s.id === 's3-cue1' ? s.id : null;",
            "the cue of step 3 to be highlighted",
        )
        assert speaking == "s3-cue1"
        lit_now = driver.execute_script(
            "return Array.from(document.querySelectorAll('#step-3 .zone.now'))"
            ".map(z => z.dataset.zone)"
        )
        assert lit_now == ["arch"]  # the cue's own zone, while it is heard
        assert console_errors(driver) == []


def test_a_click_on_a_step_seeks_there(page: Path, timeline: Timeline) -> None:
    with chromium() as driver:
        open_page(driver, page)
        driver.execute_script("document.querySelector('audio').muted = true;")
        card = driver.find_element("css selector", "#step-4")
        driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", card)
        card.click()
        first = next(s for s in timeline.segments if s.step_index == 3)
        position = wait_for(
            driver,
            "const a = document.querySelector('audio'); return a.seeking ? null : a.currentTime;",
            "the seek",
        )
        assert abs(position * 1000 - first.start_ms) < 50
        assert driver.execute_script("return document.querySelector('.card.current').id") == (
            "step-4"
        )


def test_print_keeps_cards_whole_and_hides_the_player(page: Path) -> None:
    with chromium() as driver:
        open_page(driver, page)
        driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": "print"})
        styles = driver.execute_script(
            "return [getComputedStyle(document.querySelector('.card')).breakInside,"
            " getComputedStyle(document.querySelector('#player')).display]"
        )
    assert styles == ["avoid", "none"]


@pytest.mark.parametrize(("width", "height"), [(390, 844), (1280, 900)])
def test_screenshots_at_phone_and_desktop_sizes(
    page: Path, width: int, height: int, tmp_path: Path
) -> None:
    folder = SCREENSHOTS or tmp_path
    folder.mkdir(parents=True, exist_ok=True)
    with chromium(width, height) as driver:
        open_page(driver, page)
        layout = driver.execute_script(
            "return {page: document.documentElement.scrollWidth, view: window.innerWidth,"
            " cards: Array.from(document.querySelectorAll('.card')).map("
            "   c => c.getBoundingClientRect().right)}"
        )
        shot = folder / f"guide-{width}x{height}.png"
        full_page_png(driver, shot)
    # nothing sticks out sideways: no horizontal scrolling on a phone
    assert layout["page"] <= layout["view"], json.dumps(layout)
    assert max(layout["cards"]) <= layout["view"]
    assert shot.stat().st_size > 20_000
