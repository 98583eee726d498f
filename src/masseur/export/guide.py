"""The visual guide (html, pdf): masseur.guide draws it; this hands it an export's job."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from masseur.guide.build import session_audio, write_guide

if TYPE_CHECKING:
    from masseur.export.job import Job
    from masseur.guide.html import GuideAudio


def write(job: Job) -> str | None:
    """Write the guide; with ``job.with_audio`` the session is synthesized first, as an audio
    export does, and embedded in the page."""
    make_audio: Callable[[], GuideAudio] | None = None
    if job.with_audio:

        def make_audio() -> GuideAudio:
            return session_audio(
                job.timeline,
                job.routine,
                job.speech(),
                job.voice,
                speech_volume=job.levels.speech,
                chime_volume=job.levels.chimes,
                progress=job.progress,
            )

    write_guide(
        job.format.name,
        job.timeline,
        job.routine,
        job.destination,
        make_audio=make_audio,
        check=job.check_interrupt,
    )
    return None
