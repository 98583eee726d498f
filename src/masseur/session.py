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
from masseur.routine import Routine
from masseur.runner import Clock, Display, MonotonicClock, Runner, SessionResult, Status
from masseur.timeline import Event, Timeline

if TYPE_CHECKING:
    from masseur.stopping import StopSignals

SPEECH_GRACE_S = 0.25  # how long a due sentence may wait for its synthesis before it is skipped


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


class PrefetchedSpeech:
    """Speech for each event, made ready ahead of time in timeline order.

    The prefetcher synthesizes (or finds in the cache) each sentence's WAV; a second thread
    reads and scales each one into a Sound as soon as it exists, so that when a sentence
    falls due, playing it costs nothing but the call to play.
    """

    def __init__(self, timeline: Timeline, voice: str | None, rate: int, volume: float) -> None:
        from masseur.speech import Prefetcher, Pyttsx3Synthesizer, VoiceSettings

        self.settings = VoiceSettings(voice=voice, rate=rate)
        self.volume = volume
        self.synthesizer = Pyttsx3Synthesizer()
        self.texts = list(dict.fromkeys(event.text for event in timeline.spoken()))
        self.prefetcher = Prefetcher(
            self.synthesizer, [(text, self.settings) for text in self.texts]
        )
        self._sounds: dict[str, Sound] = {}
        self._lock = threading.Lock()
        self._closed = threading.Event()
        self.prefetcher.start()
        self._loader = threading.Thread(target=self._load_ahead, name="speech-load", daemon=True)
        self._loader.start()

    def _load_ahead(self) -> None:
        for text in self.texts:
            while not self._closed.is_set() and self.prefetcher.unavailable is None:
                if self._load(text, timeout=0.5) is not None or self._failed(text):
                    break
            if self._closed.is_set() or self.prefetcher.unavailable is not None:
                return

    def _failed(self, text: str) -> bool:
        return any(failed == text for failed, _ in self.prefetcher.errors)

    def _load(self, text: str, timeout: float) -> Sound | None:
        with self._lock:
            ready = self._sounds.get(text)
        if ready is not None:
            return ready
        path = self.prefetcher.get(text, self.settings, timeout=timeout)
        if path is None:
            return None
        sound = Sound.from_wav(path).scaled(self.volume)
        with self._lock:
            return self._sounds.setdefault(text, sound)

    def get(self, event: Event) -> Sound | None:
        return self._load(event.text, timeout=SPEECH_GRACE_S)

    def close(self) -> None:
        self._closed.set()
        self.prefetcher.close()
        self._loader.join(timeout=1.0)
        self.synthesizer.close()


class PlayerProbe:
    """Opens the sound device on a thread, so that it overlaps loading the routine.

    Opening a device takes tens of milliseconds (about 70 ms through PulseAudio here);
    doing it alongside the rest of start-up brings the first word that much sooner.
    """

    def __init__(self) -> None:
        self._player: Player | None = None
        self._error: MasseurError | None = None
        self._thread = threading.Thread(target=self._probe, name="audio-probe", daemon=True)
        self._thread.start()

    def _probe(self) -> None:
        from masseur.audio import SimpleaudioPlayer

        try:
            player = SimpleaudioPlayer()
            player.probe()
        except MasseurError as error:
            self._error = error
        else:
            self._player = player

    def result(self) -> Player:
        self._thread.join()
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
    timeline: Timeline, options: SessionOptions, warnings: Warnings
) -> PrefetchedSpeech | None:
    if options.text_only:
        return None
    if options.no_voice is not None:
        warnings.once("speech", f"{options.no_voice}; going on without the voice")
        return None
    try:
        return PrefetchedSpeech(timeline, options.voice, options.rate, options.volume)
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
    ready = {name: load_chime(name).scaled(volume) for name in names} if audible else {}

    def chime(name: str) -> Sound | None:
        if not audible:
            bell()  # no sound device: the terminal bell is the chime
            return None
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
    signals: StopSignals | None = None,
    holders: tuple[TerminalHolder, ...] = (),
) -> SessionReport:
    """Run one session to its end (or until quit, Ctrl-C or a signal) and report it.

    ``signals`` (posting to ``clock``) makes Ctrl-Z suspend the session: the ``holders`` of
    the terminal (the live screen) and the key reader hand it back until ``fg``.
    """
    from masseur.stopping import stop_this_process

    warnings = Warnings(stderr)
    real_player, audible = open_player(options, warnings, probe)
    player = SoundGuard(real_player, warnings, required=options.require_audio)
    with contextlib.ExitStack() as stack:
        speech = open_speech(timeline, options, warnings)
        if speech is not None:
            stack.callback(speech.close)
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
        started_at = datetime.now().astimezone()
        if keyboard and isinstance(real_clock, MonotonicClock):
            from masseur.keyboard import KeyReader

            in_hand.append(stack.enter_context(KeyReader(real_clock.inbox.put, sys.stdin)))
        if signals is not None:
            stack.enter_context(signals.catching_suspend())
        result = runner.run()
    return SessionReport(result, started_at, runner.sound_lost)
