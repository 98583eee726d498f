"""Write a routine's visual guide as an HTML page (optionally with its audio) or a PDF."""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from masseur.errors import BadInput, MasseurError
from masseur.guide.html import GuideAudio, render_guide

if TYPE_CHECKING:
    from masseur.export.job import Destination, ProgressCallback
    from masseur.routine import Routine
    from masseur.speech.base import Synthesizer, VoiceSettings
    from masseur.timeline import Timeline

# The page's player takes the first of these this machine can write: both are small enough to
# embed, and every current phone browser plays them.
_AUDIO_CHOICES = (("ogg", "audio/ogg"), ("mp3", "audio/mpeg"))


def session_audio(
    timeline: Timeline,
    routine: Routine,
    synthesizer: Synthesizer,
    settings: VoiceSettings,
    *,
    speech_volume: float = 1.0,
    chime_volume: float = 1.0,
    progress: ProgressCallback | None = None,
) -> GuideAudio:
    """The whole session as compressed audio, to embed in the page."""
    from masseur.export import available_audio_formats
    from masseur.export.mixdown import render_audio

    available = available_audio_formats()
    choice = next((item for item in _AUDIO_CHOICES if item[0] in available), None)
    if choice is None:
        raise BadInput(
            "a guide with audio needs ogg or mp3 export, which this machine cannot write "
            "(it needs the soundfile package with libsndfile); export the guide without --audio"
        )
    fmt, mime = choice
    with tempfile.TemporaryDirectory(prefix="masseur-guide-") as folder:
        path = Path(folder) / f"session.{fmt}"
        render_audio(
            timeline,
            routine,
            path,
            fmt,
            synthesizer,
            settings,
            speech_volume=speech_volume,
            chime_volume=chime_volume,
            progress=progress,
        )
        data = path.read_bytes()
    return GuideAudio(fix_ogg_serial(data) if fmt == "ogg" else data, mime)


# libvorbis picks a random serial number for each Ogg stream; a fixed one makes the same
# routine and options give the same page, byte for byte.
OGG_SERIAL = 0x6D617373  # "mass"


def _ogg_crc_table() -> list[int]:
    table = []
    for byte in range(256):
        crc = byte << 24
        for _ in range(8):
            crc = ((crc << 1) ^ 0x04C11DB7) if crc & 0x80000000 else crc << 1
        table.append(crc & 0xFFFFFFFF)
    return table


def fix_ogg_serial(data: bytes, serial: int = OGG_SERIAL) -> bytes:
    """The Ogg stream ``data`` with every page's serial number set to ``serial``.

    Each page's checksum covers its header, so it is computed again (CRC-32, polynomial
    0x04C11DB7, as the Ogg format defines it). Data that is not a single Ogg stream is returned
    unchanged.
    """
    table = _ogg_crc_table()
    out = bytearray(data)
    position = 0
    while position < len(out):
        if out[position : position + 4] != b"OggS" or position + 27 > len(out):
            return data
        segments = out[position + 26]
        body = sum(out[position + 27 : position + 27 + segments])
        end = position + 27 + segments + body
        if end > len(out):
            return data
        out[position + 14 : position + 18] = serial.to_bytes(4, "little")
        out[position + 22 : position + 26] = bytes(4)
        crc = 0
        for byte in out[position:end]:
            crc = ((crc << 8) & 0xFFFFFFFF) ^ table[(crc >> 24) ^ byte]
        out[position + 22 : position + 26] = crc.to_bytes(4, "little")
        position = end
    return bytes(out)


def pdf_bytes(page: str) -> bytes:
    """The printable guide (an HTML page made ``for_print``) as PDF, through WeasyPrint."""
    try:
        import weasyprint  # type: ignore[import-untyped]
    except ImportError:
        raise BadInput(
            "PDF export needs WeasyPrint: pip install 'masseur[pdf]' "
            "(or export the guide as .html and print it from a browser)"
        ) from None
    except OSError as error:  # the package is there but its Pango library is not
        raise MasseurError(
            f"PDF export cannot start WeasyPrint ({error}); install Pango "
            "(Debian: libpango-1.0-0 libpangoft2-1.0-0)"
        ) from None
    document = weasyprint.HTML(string=page).render()
    result: bytes = document.write_pdf()
    return result


def write_guide(
    fmt: str,
    timeline: Timeline,
    routine: Routine,
    destination: Destination,
    *,
    make_audio: Callable[[], GuideAudio] | None = None,
    check: Callable[[], None] = lambda: None,
) -> None:
    """Write the guide in ``fmt`` (html or pdf) to ``destination``: a file, written atomically,
    or html to its stream.

    ``check`` is called once the page is laid out, before it is written: it raises
    KeyboardInterrupt if the export was interrupted meanwhile, and the temporary file goes.
    """
    from masseur.export.job import write_atomically

    if fmt == "pdf":
        if make_audio is not None:
            raise BadInput("a PDF cannot play audio; drop --audio, or export .html")
        if destination.target is None:
            raise BadInput("a PDF cannot go to standard output; give a file, e.g. -o guide.pdf")
        page = render_guide(timeline, routine, for_print=True)

        def write(path: Path) -> None:
            data = pdf_bytes(page)
            check()
            path.write_bytes(data)

        write_atomically(destination.target, write, force=destination.force)
        return
    audio = make_audio() if make_audio is not None else None
    text = render_guide(timeline, routine, audio=audio)
    check()
    destination.write_text(text)
