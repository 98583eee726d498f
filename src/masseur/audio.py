"""Sounds in memory and the players that play them.

Everything that makes noise goes through a :class:`Player`: ``play()`` returns at once with
a :class:`Playback` handle, so the session clock never waits on the length of a sound.
:class:`SimpleaudioPlayer` plays through the sound card and :class:`NullPlayer` plays
nothing (text-only mode); the tests' fake that notes what was played and when
(``RecordingPlayer``) is kept with the other fakes, in ``tests/fakes.py``.

PCM data is always signed 16-bit little-endian mono. Sample arithmetic uses the standard
library (``array``), except volume scaling of long sounds, which imports numpy when it is
first needed.
"""

from __future__ import annotations

import array
import functools
import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from masseur.errors import MasseurError
from masseur.paths import sounds_dir
from masseur.wav import (
    GAIN_ONE,
    SAMPLE_RATE,
    SAMPLE_WIDTH,
    gain_steps,
    pcm_from_samples,
    read_wav,
    samples_from_pcm,
    scale_pcm,
    write_wav,
)

SAMPLE_MIN = -32768
SAMPLE_MAX = 32767

CHIME_NAMES = ("step", "phase", "side", "end", "soft")

# A sound this short (every chime) is scaled without numpy in under 2 ms, far less than
# importing numpy costs; longer ones (speech) go through numpy.
SCALE_WITHOUT_NUMPY_FRAMES = 3 * SAMPLE_RATE


@dataclass(frozen=True)
class Sound:
    """A mono sound: ``pcm`` is signed 16-bit little-endian, ``rate`` frames per second."""

    pcm: bytes
    rate: int

    def __post_init__(self) -> None:
        if self.rate <= 0:
            raise ValueError(f"sample rate must be positive, got {self.rate}")
        if len(self.pcm) % SAMPLE_WIDTH:
            raise ValueError("16-bit PCM must have an even number of bytes")

    @property
    def frames(self) -> int:
        return len(self.pcm) // SAMPLE_WIDTH

    @property
    def duration_ms(self) -> float:
        return self.frames * 1000.0 / self.rate

    def samples(self) -> array.array[int]:
        """The samples as integers, for analysis."""
        return samples_from_pcm(self.pcm)

    @classmethod
    def from_samples(cls, samples: array.array[int], rate: int) -> Sound:
        return cls(pcm_from_samples(samples), rate)

    @classmethod
    def from_wav(cls, path: Path) -> Sound:
        """Read a PCM WAV file (8 or 16-bit, mono or stereo; stereo is mixed down to mono).

        Raises BadInput naming the file if it cannot be read or is not such a WAV file.
        """
        return cls(*read_wav(path))

    def write_wav(self, path: Path) -> None:
        """Write as a 16-bit mono WAV file."""
        write_wav(path, self.pcm, self.rate)

    def scaled(self, volume: float) -> Sound:
        """This sound at ``volume`` (a gain from 0 to 1; values outside are clipped to it),
        each sample rounded as :func:`masseur.wav.scale_pcm` says."""
        if math.isnan(volume):
            raise ValueError("volume must be a number from 0 to 1")
        steps = gain_steps(volume)
        if steps == GAIN_ONE:
            return self
        if self.frames <= SCALE_WITHOUT_NUMPY_FRAMES:
            return Sound(scale_pcm(self.pcm, volume), self.rate)
        # numpy, imported here only, for long sounds (speech): the same integers, 4-5x faster.
        import numpy as np

        samples = np.frombuffer(self.pcm, dtype="<i2").astype(np.int64)
        return Sound(((samples * steps + 32768) >> 16).astype("<i2").tobytes(), self.rate)

    def resampled(self, rate: int) -> Sound:
        """This sound at another sample rate, by linear interpolation.

        Good enough for chimes mixed into speech; not meant for music.
        """
        if rate <= 0:
            raise ValueError(f"sample rate must be positive, got {rate}")
        if rate == self.rate:
            return self
        if not self.pcm:
            return Sound(b"", rate)
        source = self.samples()
        last = len(source) - 1
        target_frames = round(len(source) * rate / self.rate)
        step = self.rate / rate
        out = array.array("h", bytes(SAMPLE_WIDTH * target_frames))
        for index in range(target_frames):
            position = index * step
            before = int(position)
            if before >= last:
                out[index] = source[last]
                continue
            fraction = position - before
            value = source[before] + (source[before + 1] - source[before]) * fraction
            out[index] = max(SAMPLE_MIN, min(SAMPLE_MAX, round(value)))
        return Sound.from_samples(out, rate)

    @staticmethod
    def silence(ms: float, rate: int) -> Sound:
        """``ms`` milliseconds of silence (rounded to whole frames)."""
        frames = max(0, round(ms * rate / 1000.0))
        return Sound(bytes(SAMPLE_WIDTH * frames), rate)


@functools.cache
def load_chime(name: str) -> Sound:
    """One of the bundled chimes (see ``CHIME_NAMES``), read once per process."""
    return Sound.from_wav(sounds_dir() / f"{name}.wav")


class Playback(Protocol):
    """One sound that was started by a Player."""

    def is_playing(self) -> bool: ...

    def stop(self) -> None:
        """Stop the sound. Returns at once; the sound may take a moment to fall silent.

        With SimpleaudioPlayer the audio already handed to the device still plays out:
        0.2 to 0.3 s, during which ``is_playing()`` stays True.
        """
        ...

    def wait(self, timeout: float | None = None) -> bool:
        """Wait until the sound has finished, at most ``timeout`` seconds; True if it has."""
        ...


class Player(Protocol):
    def play(self, sound: Sound) -> Playback:
        """Start playing ``sound`` and return at once, never waiting for it to finish."""
        ...

    def stop_all(self) -> None: ...


class AudioUnavailable(MasseurError):
    """Sound cannot be played here (no output device, device busy, ...)."""


NO_DEVICE_ADVICE = "check that a sound output device is connected and free, or run with --text-only"

# -- ALSA error messages ----------------------------------------------------------------------
#
# When it cannot open a device, libasound prints several "ALSA lib ..." lines straight to
# stderr before simpleaudio raises its exception. Those lines mean nothing to someone doing a
# foot massage. libasound lets a program replace its error printer, so install one that
# drops them; the failure itself still reaches the user as one AudioUnavailable line. A
# handler is used rather than redirecting file descriptor 2 because the redirect would also
# swallow anything other threads write to stderr meanwhile, and ALSA can report errors from
# the playback threads at any time.


def _ignore_alsa_error(
    file: bytes | None, line: int, function: bytes | None, error: int, message: bytes | None
) -> None:
    return None


# Kept at module level so the callback is never garbage collected while libasound holds it.
_alsa_error_handler: object | None = None
_alsa_lock = threading.Lock()


def _loaded_libasound_paths() -> list[str]:
    """Paths of the libasound copies mapped into this process (Linux only)."""
    try:
        with open("/proc/self/maps", encoding="utf-8", errors="replace") as maps:
            # address perms offset device inode path (the path may contain spaces)
            fields = (line.split(maxsplit=5) for line in maps if "libasound.so" in line)
            return sorted({parts[5].strip() for parts in fields if len(parts) == 6})
    except OSError:
        return []


def silence_alsa_errors() -> bool:
    """Stop libasound from printing its own error messages to stderr in this process.

    Must run after the module that uses ALSA (simpleaudio) has been imported, so that the
    handler goes into the very copy of libasound that module uses (found in the process's
    memory map). Returns whether a handler was installed; False on systems without ALSA.
    """
    global _alsa_error_handler
    with _alsa_lock:
        if _alsa_error_handler is not None:
            return True
        import ctypes  # only needed here; keeps it out of text-only start-up

        # void (*)(const char *file, int line, const char *function, int err, const char *fmt,
        # ...): the variadic tail is never read, and on the supported ABIs a function that
        # does not declare it can be called as if it did.
        handler_type = ctypes.CFUNCTYPE(
            None, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p
        )
        handler = handler_type(_ignore_alsa_error)
        installed = False
        for library_path in _loaded_libasound_paths():
            try:
                library = ctypes.CDLL(library_path)
                set_handler = library.snd_lib_error_set_handler
            except (OSError, AttributeError):
                continue
            set_handler.argtypes = [handler_type]
            set_handler.restype = ctypes.c_int
            set_handler(handler)
            installed = True
        if installed:
            _alsa_error_handler = handler
        return installed


# -- players ----------------------------------------------------------------------------------

_POLL_INTERVAL_S = 0.005


def _poll_until_done(is_playing: Callable[[], bool], timeout: float | None) -> bool:
    deadline = None if timeout is None else time.monotonic() + max(0.0, timeout)
    while is_playing():
        if deadline is not None:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return False
            time.sleep(min(_POLL_INTERVAL_S, remaining))
        else:
            time.sleep(_POLL_INTERVAL_S)
    return True


class _SimpleaudioPlayback:
    def __init__(self, play_object: Any, sound: Sound) -> None:
        self._play_object = play_object
        self._sound = sound  # keep the PCM alive as long as it may be playing

    def is_playing(self) -> bool:
        return bool(self._play_object.is_playing())

    def stop(self) -> None:
        self._play_object.stop()

    def wait(self, timeout: float | None = None) -> bool:
        return _poll_until_done(self.is_playing, timeout)


class SimpleaudioPlayer:
    """Plays through the default ALSA device (the sound card, or PulseAudio/PipeWire).

    Every ``play()`` opens its own stream, so sounds may overlap. Measured through a
    PulseAudio null sink: ``play()`` returns in 1-5 ms, sounds start within ~10 ms of when
    they were asked for, ``wait()`` returns ~20 ms after the sound's end, and ``stop()``
    silences the sound 0.2-0.3 s later (simpleaudio drains its 100 ms device buffer).
    """

    def __init__(self) -> None:
        # Imported here, not at module level: only sessions that make sound pay for it.
        try:
            import simpleaudio
        except ImportError as error:
            raise AudioUnavailable(
                f"the simpleaudio package is not installed ({error}); "
                "reinstall masseur, or run with --text-only"
            ) from None
        self._simpleaudio = simpleaudio
        silence_alsa_errors()

    def play(self, sound: Sound) -> Playback:
        try:
            play_object = self._simpleaudio.play_buffer(sound.pcm, 1, SAMPLE_WIDTH, sound.rate)
        except Exception as error:
            # simpleaudio raises its own SimpleaudioError; catch broadly so that no C-level
            # failure ever shows up as a traceback.
            raise AudioUnavailable(_describe_simpleaudio_error(error)) from None
        return _SimpleaudioPlayback(play_object, sound)

    def stop_all(self) -> None:
        self._simpleaudio.stop_all()

    def probe(self) -> None:
        """Check that sound can be played, by playing 20 ms of silence.

        Raises AudioUnavailable if not. It also warms the player up: the first sound a
        process plays starts a few milliseconds later than the following ones.
        """
        playback = self.play(Sound.silence(20, SAMPLE_RATE))
        if not playback.wait(timeout=2.0):
            playback.stop()


def _describe_simpleaudio_error(error: Exception) -> str:
    # "Error opening PCM device. -- CODE: -2 -- MSG: No such file or directory"
    detail = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
    parts = [part.strip().rstrip(".") for part in detail.split("--")]
    reason = next((part[4:].strip() for part in parts if part.startswith("MSG:")), "")
    what = parts[0] or "cannot play sound"
    if reason:
        what = f"{what}: {reason}"
    if "opening PCM device" in detail:
        return f"no usable audio output device ({what}); {NO_DEVICE_ADVICE}"
    return f"cannot play sound ({what}); {NO_DEVICE_ADVICE}"


class _FinishedPlayback:
    def is_playing(self) -> bool:
        return False

    def stop(self) -> None:
        return None

    def wait(self, timeout: float | None = None) -> bool:
        return True


class NullPlayer:
    """Plays nothing: for text-only sessions. Every playback has finished at once."""

    def play(self, sound: Sound) -> Playback:
        return _FinishedPlayback()

    def stop_all(self) -> None:
        return None
