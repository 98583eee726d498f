"""Make docs/guide.png: a guide with audio, on a desktop and on a phone, side by side.

    .venv/bin/python scripts/guide_screenshot.py reflex-points docs/guide.png

Needs the test tools (selenium, Pillow) and Debian's chromium and chromium-driver.
"""

from __future__ import annotations

import io
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))

from PIL import Image  # noqa: E402

from browser import chromium  # noqa: E402


def shot(page: Path, width: int, height: int, element: str) -> Image.Image:
    """The window at this size, playing step 3, scrolled to ``element``."""
    with chromium(width, height) as driver:
        driver.get(page.as_uri())
        driver.execute_script(
            "const audio = document.querySelector('audio'); audio.muted = true;"
            "window.masseurGuide.seek(Number(document.querySelector('#step-3')"
            ".dataset.startMs) + 20000);"
            "document.querySelector(arguments[0]).scrollIntoView({block: 'start'});",
            element,
        )
        return Image.open(io.BytesIO(driver.get_screenshot_as_png())).convert("RGB")


def main() -> None:
    routine, target = sys.argv[1], Path(sys.argv[2])
    with tempfile.TemporaryDirectory() as folder:
        page = Path(folder) / "guide.html"
        subprocess.run(
            [sys.executable, "-m", "masseur", "export", routine, "--audio", "-o", str(page)],
            check=True,
        )
        desktop = shot(page, 1280, 900, ".timeline")
        phone = shot(page, 390, 844, "#step-3")
    height = 675
    desktop = desktop.resize((round(desktop.width * height / desktop.height), height))
    phone = phone.resize((round(phone.width * height / phone.height), height))
    margin = 24
    canvas = Image.new(
        "RGB", (desktop.width + phone.width + 3 * margin, height + 2 * margin), "#d9cfc7"
    )
    canvas.paste(desktop, (margin, margin))
    canvas.paste(phone, (desktop.width + 2 * margin, margin))
    canvas.save(target, optimize=True)


if __name__ == "__main__":
    main()
