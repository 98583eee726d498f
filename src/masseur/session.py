"""Put together a real session: voice, player, chimes, screen and keyboard around the runner."""

from __future__ import annotations

import contextlib
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import IO, TYPE_CHECKING, Protocol

from masseur.audio import AudioUnavailable, NullPlayer, Playback, Player, Sound
from masseur.errors import MasseurError
from masseur.phrases import phrases_for
from masseur.routine import Routine
from masseur.runner import Clock, Display, MonotonicClock, Runner, SessionResult, Status
from masseur.session_speech import SessionSpeech
from masseur.speech.base import Synthesizer
from masseur.timeline import Event, Timeline

if TYPE_CHECKING:
    from masseur.stopping import StopSignals


@dataclass
class SessionOptions:
    voice: str | None = None
    rate: int = 150
    volume: float = 1.0
    chime_volume: float = 0.8
    require_audio: bool = False
    text_only: bool = False
    no_voice: str | None = None  # why speech cannot be used (chimes and text go on)
    start_ms: int = 0  # where in the timeline the session begins (--from, --resume)


@dataclass
class Warnings:
    """Problems to tell the person about, each said once."""

    stream: IO[str]
    said: set[str] = field(default_factory=set)

    def once(self, key: str, message: str) -> None:
        if key not in self.said:
            self.said.add(key)
            from masseur.terminal import echo

            echo(f"masseur: {message}", self.stream)


class PlayerProbe:
    """Opens the sound device on a thread, so that it overlaps loading the routine.

    Opening a device takes tens of milliseconds (about 70 ms through PulseAudio here);
    doing it alongside the rest of start-up brings the first word that much sooner.
    """

    def __init__(self) -> None:
        self._player: Player | None = None
        self._error: MasseurError | None = None
        self._opened = threading.Event()
        self._thread = threading.Thread(target=self._probe, name="audio-probe", daemon=True)
        self._thread.start()

    def _probe(self) -> None:
        from masseur.audio import SimpleaudioPlayer
        from masseur.wav import SAMPLE_RATE

        try:
            player = SimpleaudioPlayer()
            # Playing 20 ms of silence proves the device opens and warms the player up.
            playback = player.play(Sound.silence(20, SAMPLE_RATE))
        except MasseurError as error:
            self._error = error
            return
        else:
            self._player = player
        finally:
            # The session need not wait while the silence drains (up to 2 s through PulseAudio).
            self._opened.set()
        if not playback.wait(timeout=2.0):
            playback.stop()

    def result(self) -> Player:
        self._opened.wait()
        if self._error is not None:
            raise self._error
        assert self._player is not None
        return self._player


def open_player(
    options: SessionOptions, warnings: Warnings, probe: PlayerProbe | None = None
) -> tuple[Player, bool]:
    """The real player, or a silent one (with a warning) when no sound can play."""
    if options.text_only:
        return NullPlayer(), False
    from masseur.audio import AudioUnavailable

    try:
        player = (probe or PlayerProbe()).result()
    except AudioUnavailable as error:
        if options.require_audio:
            raise
        reason = error.message.split(";")[0]  # drop advice meant for a hard failure
        warnings.once("audio", f"{reason}; going on with text on screen only")
        return NullPlayer(), False
    return player, True


def open_speech(
    timeline: Timeline,
    options: SessionOptions,
    warnings: Warnings,
    synthesizer: Synthesizer | None = None,
) -> SessionSpeech | None:
    if options.text_only:
        return None
    if options.no_voice is not None:
        warnings.once("speech", f"{options.no_voice}; going on without the voice")
        return None
    from masseur.speech import Pyttsx3Synthesizer, VoiceSettings

    try:
        return SessionSpeech(
            timeline,
            VoiceSettings(voice=options.voice, rate=options.rate),
            options.volume,
            synthesizer or Pyttsx3Synthesizer(),
        )
    except MasseurError as error:
        if options.require_audio:
            raise
        warnings.once("speech", f"{error.message}; going on without the voice")
        return None


class SoundGuard:
    """The real player until the sound device goes away mid-session (the sound server quit,
    a headset was unplugged); then silence with one warning, the text going on, or with
    ``required`` (--require-audio) the AudioUnavailable that stops the session cleanly."""

    def __init__(self, player: Player, warnings: Warnings, *, required: bool) -> None:
        self._player = player
        self._warnings = warnings
        self._required = required
        self.lost: AudioUnavailable | None = None

    def play(self, sound: Sound) -> Playback:
        if self.lost is None:
            try:
                return self._player.play(sound)
            except AudioUnavailable as error:
                self.lost = error
                if self._required:
                    raise
                reason = error.message.split(";")[0]  # drop advice meant for a hard failure
                self._warnings.once("audio", f"{reason}; going on with text on screen only")
        return NullPlayer().play(sound)

    def stop_all(self) -> None:
        if self.lost is None:
            self._player.stop_all()


class TerminalSafeDisplay:
    """A display whose terminal may go away (closed, then SIGHUP): from then on nothing is
    drawn, and the session ends as the signal says instead of failing on a write. A pipe
    whose reader left (``| head``) still ends the session, as before: BrokenPipeError."""

    def __init__(self, display: Display) -> None:
        self._display = display
        self._gone = False
        self.tick_s = display.tick_s

    def update(self, status: Status) -> None:
        if not self._gone:
            try:
                self._display.update(status)
            except BrokenPipeError:
                raise
            except OSError:
                self._gone = True

    def event(self, event: Event, status: Status) -> None:
        if not self._gone:
            try:
                self._display.event(event, status)
            except BrokenPipeError:
                raise
            except OSError:
                self._gone = True


class TerminalHolder(Protocol):
    """Something that has the terminal in a mode of its own during a session."""

    def release_terminal(self) -> None: ...

    def retake_terminal(self) -> None: ...


def chime_loader(
    timeline: Timeline, volume: float, audible: bool, bell: Callable[[], None]
) -> Callable[[str], Sound | None]:
    """Chimes for the runner, read and scaled before the session starts.

    Reading and scaling a chime takes tens of milliseconds; done when the chime falls due,
    it made that chime late by as much.
    """
    from masseur.audio import load_chime

    names = {event.sound for event in timeline.events if event.sound}
    ready: dict[str, Sound] = {}
    failed: list[MasseurError] = []

    def load() -> None:
        try:
            ready.update({name: load_chime(name).scaled(volume) for name in names})
        except MasseurError as error:  # said when the first chime is due
            failed.append(error)

    # On a thread: the first chime comes after the introduction, and the first word should
    # not wait for the chimes.
    loading = threading.Thread(target=load, name="chime-load", daemon=True)
    if audible:
        loading.start()

    def chime(name: str) -> Sound | None:
        if not audible:
            bell()  # no sound device: the terminal bell is the chime
            return None
        loading.join()
        if failed:
            raise failed[0]
        return ready[name]

    return chime


@dataclass
class SessionReport:
    result: SessionResult
    started_at: datetime
    sound_lost: AudioUnavailable | None = None  # why a session with --require-audio stopped


def run_session(
    routine: Routine,
    timeline: Timeline,
    options: SessionOptions,
    *,
    display: Display,
    stdout: IO[str],
    stderr: IO[str],
    keyboard: bool,
    clock: Clock | None = None,
    probe: PlayerProbe | None = None,
    synthesizer: Synthesizer | None = None,
    signals: StopSignals | None = None,
    holders: tuple[TerminalHolder, ...] = (),
) -> SessionReport:
    """Run one session to its end (or until quit, Ctrl-C or a signal) and report it.

    ``signals`` (posting to ``clock``) makes Ctrl-Z suspend the session: the ``holders`` of
    the terminal (the live screen) and the key reader hand it back until ``fg``.
    """
    from masseur import collector
    from masseur.stopping import stop_this_process

    collector.let_go()  # a session runs for hours: what it makes is collected as usual
    warnings = Warnings(stderr)
    with contextlib.ExitStack() as stack:
        # Speech first: its engine starts (or its cache is read) while the sound device opens.
        speech = open_speech(timeline, options, warnings, synthesizer)
        if speech is not None:
            stack.callback(speech.close)
        real_player, audible = open_player(options, warnings, probe)
        player = SoundGuard(real_player, warnings, required=options.require_audio)
        real_clock = clock or MonotonicClock()

        def bell() -> None:
            if stdout.isatty():
                with contextlib.suppress(OSError):
                    stdout.write("\a")
                    stdout.flush()

        in_hand: list[TerminalHolder] = list(holders)

        def suspend() -> None:
            for holder in reversed(in_hand):
                holder.release_terminal()
            stop_this_process()
            for holder in in_hand:
                holder.retake_terminal()

        def missed(event: Event) -> None:
            gone = speech.prefetcher.unavailable if speech is not None else None
            if gone is not None:
                warnings.once("speech", f"{gone.message}; going on without the voice")
            else:
                warnings.once(
                    "missed",
                    "the voice was not ready in time for a sentence; the session "
                    "goes on and shows it on screen",
                )

        runner = Runner(
            timeline,
            clock=real_clock,
            player=player,
            speech=speech,
            chimes=chime_loader(timeline, options.chime_volume, audible, bell),
            display=TerminalSafeDisplay(display),
            on_missed_speech=missed,
            start_ms=options.start_ms,
            on_suspend=suspend if signals is not None else None,
        )
        if speech is not None:
            preparing = phrases_for(timeline.language).preparing_voice
            speech.wait_for_safety(lambda: print(preparing, file=stderr, flush=True))
        started_at = datetime.now().astimezone()
        if keyboard and isinstance(real_clock, MonotonicClock):
            from masseur.keyboard import KeyReader

            in_hand.append(stack.enter_context(KeyReader(real_clock.inbox.put, sys.stdin)))
        if signals is not None:
            stack.enter_context(signals.catching_suspend())
        result = runner.run()
    return SessionReport(result, started_at, runner.sound_lost)
