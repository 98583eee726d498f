"""Capturing what masseur plays, on machines without speakers, and finding sounds in it.

Two ways to capture (see the audio notes for the measurements behind them):

- ``FileCapture`` (recipe A): ALSA's ``file`` plugin writes every opened playback to a WAV
  file, instantly and not in real time. Each ``play()`` gives one file (``play.wav``,
  ``play.wav.0001``, ...), so it checks *what* was played, not *when*.
- ``PulseCapture`` (recipe B): a private PulseAudio server with a null sink, recorded by
  ``parec``. Playback runs in real time, and the recording grows at exactly the sample
  rate, so it shows *when* each sound started.

``find_onsets`` and ``non_silent_spans`` locate the sounds inside a recording.
"""

from __future__ import annotations

import math
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from masseur.audio import Sound

CAPTURE_RATE = 22050

ALSA_FILE_CAPTURE_CONF = """\
</usr/share/alsa/alsa.conf>
pcm.!default {
    type file
    slave.pcm "null"
    file { @func getenv vars [ AUDIO_CAPTURE_FILE ] default "/tmp/capture.wav" }
    format "wav"
    truncate false
}
"""

# Variables that would send the program under test to some other sound server than ours.
_FOREIGN_AUDIO_VARIABLES = (
    "ALSA_CONFIG_PATH",
    "AUDIO_CAPTURE_FILE",
    "PULSE_SERVER",
    "PULSE_SINK",
    "PULSE_RUNTIME_PATH",
    "PULSE_CLIENTCONFIG",
    "PULSE_LATENCY_MSEC",
    "DBUS_SESSION_BUS_ADDRESS",
)


def _clean_environment(base: Mapping[str, str] | None) -> dict[str, str]:
    env = dict(os.environ if base is None else base)
    for variable in _FOREIGN_AUDIO_VARIABLES:
        env.pop(variable, None)
    return env


# -- recipe A: ALSA file capture --------------------------------------------------------------


@dataclass(frozen=True)
class FileCapture:
    """An ALSA configuration that writes all playback of a process into ``directory``."""

    directory: Path

    @property
    def config_path(self) -> Path:
        return self.directory / "alsa-capture.conf"

    @property
    def capture_path(self) -> Path:
        return self.directory / "play.wav"

    def env(self, base: Mapping[str, str] | None = None) -> dict[str, str]:
        """Environment for a subprocess whose playback should be captured here."""
        env = _clean_environment(base)
        env["ALSA_CONFIG_PATH"] = str(self.config_path)
        env["AUDIO_CAPTURE_FILE"] = str(self.capture_path)
        return env

    def sounds(self) -> list[Sound]:
        """Every sound played so far, in order: one per ``play()``."""
        return captured_sounds(self.capture_path)


def file_capture(directory: Path) -> FileCapture:
    """Prepare a FileCapture in ``directory`` (created if needed)."""
    directory.mkdir(parents=True, exist_ok=True)
    capture = FileCapture(directory)
    capture.config_path.write_text(ALSA_FILE_CAPTURE_CONF, encoding="utf-8")
    return capture


def captured_files(capture_path: Path) -> list[Path]:
    """``play.wav``, ``play.wav.0001``, ``play.wav.0002``, ... that exist, in playing order."""
    pattern = re.compile(re.escape(capture_path.name) + r"(?:\.(\d+))?")
    numbered: list[tuple[int, Path]] = []
    if capture_path.parent.is_dir():
        for path in capture_path.parent.iterdir():
            match = pattern.fullmatch(path.name)
            if match:
                numbered.append((int(match.group(1) or 0), path))
    return [path for _, path in sorted(numbered)]


def captured_sounds(capture_path: Path) -> list[Sound]:
    return [Sound.from_wav(path) for path in captured_files(capture_path)]


def until_first_sound(
    capture: FileCapture, args: list[str], env: Mapping[str, str], timeout: float = 60.0
) -> str:
    """Run ``python -m masseur ARGS`` until it has played one sound after the player's silent
    warm-up, then stop it with Ctrl-C (recipe A plays without pacing, so that is soon after
    the first sound is due). Returns what it wrote on stderr."""
    process = subprocess.Popen(
        [sys.executable, "-m", "masseur", *args],
        env=dict(env),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + timeout
        while len(captured_files(capture.capture_path)) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(0.1)
    finally:
        process.send_signal(signal.SIGINT)
        _, errors = process.communicate(timeout=30)
    return errors


# -- recipe B: real-time capture from a private PulseAudio null sink --------------------------

PULSE_TOOLS = ("pulseaudio", "parec", "pactl")


def missing_pulse_tools() -> list[str]:
    return [tool for tool in PULSE_TOOLS if shutil.which(tool) is None]


class PulseCaptureError(RuntimeError):
    pass


@dataclass
class PulseCapture:
    """A running private PulseAudio server whose only output is being recorded.

    Run the program under test with ``env``. ``position()`` is how many frames have been
    recorded so far, i.e. the current time on the recording's clock. ``stop()`` ends the
    recording and the server and returns what was recorded.
    """

    runtime_dir: Path
    env: dict[str, str]
    rate: int
    _pulseaudio: subprocess.Popen[bytes]
    _parec: subprocess.Popen[bytes] | None = None
    _recording: Sound | None = field(default=None, repr=False)

    @property
    def raw_path(self) -> Path:
        return self.runtime_dir / "capture.raw"

    @property
    def log_path(self) -> Path:
        return self.runtime_dir / "pulseaudio.log"

    def position(self) -> int:
        """Frames recorded so far (16-bit mono: file size / 2)."""
        try:
            return self.raw_path.stat().st_size // 2
        except FileNotFoundError:
            return 0

    def position_ms(self) -> float:
        return self.position() * 1000.0 / self.rate

    def snapshot(self) -> Sound:
        """What has been recorded so far."""
        data = self.raw_path.read_bytes()
        return Sound(data[: len(data) // 2 * 2], self.rate)

    def stop(self) -> Sound:
        """Stop recording and the server (safe to call again); returns the whole recording."""
        if self._recording is None:
            try:
                _end_process(self._parec, signal.SIGINT)
                _end_process(self._pulseaudio, signal.SIGTERM)
                self._recording = (
                    self.snapshot() if self.raw_path.exists() else Sound(b"", self.rate)
                )
            finally:
                _end_process(self._parec, signal.SIGKILL)
                _end_process(self._pulseaudio, signal.SIGKILL)
                shutil.rmtree(self.runtime_dir, ignore_errors=True)
        return self._recording

    def is_running(self) -> bool:
        """Whether the server is still up (it is needed until the program under test is done)."""
        return self._pulseaudio.poll() is None

    def log_tail(self) -> str:
        """The end of the server's log, for a failure message."""
        try:
            return self.log_path.read_text(encoding="utf-8", errors="replace")[-4000:]
        except OSError:
            return "(no log)"

    @property
    def recording(self) -> Sound:
        if self._recording is None:
            raise RuntimeError("the capture is still running: call stop() first")
        return self._recording


def _die_with_parent() -> None:
    """In the child before exec: get SIGTERM if the test process dies (even by SIGKILL), so
    no server or recorder outlives an aborted test run."""
    if sys.platform.startswith("linux"):
        import ctypes

        pr_set_pdeathsig = 1
        ctypes.CDLL(None).prctl(pr_set_pdeathsig, signal.SIGTERM)


def _end_process(process: subprocess.Popen[bytes] | None, how: signal.Signals) -> None:
    if process is None or process.poll() is not None:
        return
    process.send_signal(how)
    try:
        process.wait(timeout=5)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=5)


def _wait_for(
    condition: Callable[[], bool], timeout: float, what: str, capture: PulseCapture
) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if not capture.is_running():
            raise PulseCaptureError(f"pulseaudio exited early; log:\n{capture.log_tail()}")
        if time.monotonic() > deadline:
            raise PulseCaptureError(f"timed out waiting for {what}; log:\n{capture.log_tail()}")
        time.sleep(0.05)


def start_pulse_capture(rate: int = CAPTURE_RATE, startup_timeout: float = 20.0) -> PulseCapture:
    """Start a private PulseAudio with a null sink and record its monitor with parec.

    Everything lives in a fresh, short runtime directory under the system temp folder
    (the server's socket path must stay under ~100 characters). Blocks until the recording
    file has data, which takes parec 1.5-2 s. Call ``stop()`` (or use ``pulse_capture()``).
    """
    missing = missing_pulse_tools()
    if missing:
        raise PulseCaptureError(f"needs {', '.join(missing)} (Debian: pulseaudio pulseaudio-utils)")
    runtime_dir = Path(tempfile.mkdtemp(prefix="masseur-pa-"))
    runtime_dir.chmod(0o700)
    client_config = runtime_dir / "client.conf"
    # A client that cannot reach our server must fail, not start a server of its own.
    client_config.write_text("autospawn = no\n", encoding="utf-8")
    env = _clean_environment(None)
    env["XDG_RUNTIME_DIR"] = str(runtime_dir)
    env["PULSE_CLIENTCONFIG"] = str(client_config)
    server_env = dict(env)
    # Keep the server's cookie and state files out of the real home folder.
    server_env["HOME"] = str(runtime_dir)
    server_env["XDG_CONFIG_HOME"] = str(runtime_dir / "config")
    server_env["XDG_STATE_HOME"] = str(runtime_dir / "state")

    log_path = runtime_dir / "pulseaudio.log"
    pulseaudio = subprocess.Popen(
        [
            "pulseaudio",
            "-n",
            "--daemonize=no",
            "--exit-idle-time=-1",
            # A loaded CI machine must not make the server end itself: no CPU-load limiter
            # (it terminates a server that uses "too much" CPU), no realtime or nice
            # requests, and no client may ask it to exit.
            "--no-cpu-limit",
            "--realtime=no",
            "--high-priority=no",
            "--disallow-exit",
            "--log-level=info",
            f"--log-target=file:{log_path}",
            "-L",
            "module-native-protocol-unix auth-anonymous=1",
            "-L",
            f"module-null-sink sink_name=cap rate={rate} channels=1",
        ],
        env=server_env,
        preexec_fn=_die_with_parent,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    capture = PulseCapture(runtime_dir=runtime_dir, env=env, rate=rate, _pulseaudio=pulseaudio)
    try:

        def server_ready() -> bool:
            probe = subprocess.run(["pactl", "info"], env=env, capture_output=True, check=False)
            return probe.returncode == 0

        _wait_for(server_ready, startup_timeout, "the PulseAudio server", capture)
        capture._parec = subprocess.Popen(
            [
                "parec",
                "-d",
                "cap.monitor",
                "--format=s16le",
                f"--rate={rate}",
                "--channels=1",
                # Without this the sink runs at ~2 s latency and every playback's end is
                # reported ~2 s late.
                "--latency-msec=10",
                str(capture.raw_path),
            ],
            env=env,
            preexec_fn=_die_with_parent,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        _wait_for(lambda: capture.position() > 0, startup_timeout, "parec's first data", capture)
    except BaseException:
        capture.stop()
        raise
    return capture


@contextmanager
def pulse_capture(rate: int = CAPTURE_RATE) -> Iterator[PulseCapture]:
    """``start_pulse_capture()`` that always stops the server, even when the test fails."""
    capture = start_pulse_capture(rate)
    try:
        yield capture
    finally:
        capture.stop()


# Where a player script was refused by the capture's server rather than failing on its own.
_SERVER_REFUSED = "AudioUnavailable"


def play_into_pulse_capture(
    script: str, attempts: int = 2
) -> tuple[subprocess.CompletedProcess[str], Sound]:
    """Run a player ``script`` against a fresh capture; its result and the whole recording.

    Once, in CI, the private server refused a player's third stream ("Connection refused")
    after taking the first two. That is the capture failing, not the player, so a run the
    server refused is repeated with a fresh server, after printing whether the server was
    still up and its log. A script that fails any other way is returned as it is.
    """
    for attempt in range(1, attempts + 1):
        with pulse_capture() as capture:
            result = run_python(script, capture.env)
            server_running, log = capture.is_running(), capture.log_tail()
            recording = capture.stop()
        refused = result.returncode != 0 and _SERVER_REFUSED in result.stderr
        if not refused or attempt == attempts:
            return result, recording
        print(
            f"attempt {attempt}: the capture server refused the player "
            f"(server {'still running' if server_running else 'gone'}).\n"
            f"player stderr:\n{result.stderr}\nserver log:\n{log}"
        )
    raise AssertionError("attempts must be at least 1")


# -- finding sounds in a recording ------------------------------------------------------------

RMS_WINDOW_MS = 2.0


def _window_levels_db(sound: Sound, window_ms: float) -> tuple[list[float], float]:
    """RMS level (dBFS) of consecutive windows, and the window length in ms."""
    window = max(1, round(window_ms * sound.rate / 1000.0))
    samples = sound.samples()
    levels: list[float] = []
    for start in range(0, len(samples), window):
        chunk = samples[start : start + window]
        mean_square = sum(value * value for value in chunk) / len(chunk)
        levels.append(10.0 * math.log10(mean_square / 32768.0**2) if mean_square else -math.inf)
    return levels, window * 1000.0 / sound.rate


def non_silent_spans(
    sound: Sound,
    threshold_db: float = -40.0,
    min_gap_ms: float = 100.0,
    window_ms: float = RMS_WINDOW_MS,
) -> list[tuple[float, float]]:
    """(start_ms, end_ms) of every stretch whose short-window RMS reaches ``threshold_db``.

    Stretches separated by less than ``min_gap_ms`` of silence count as one (the pauses
    between words, or the dip between two notes of a chime). Times have the window's
    resolution (~2 ms).
    """
    levels, step_ms = _window_levels_db(sound, window_ms)
    spans: list[tuple[float, float]] = []
    for index, level in enumerate(levels):
        if level < threshold_db:
            continue
        start, end = index * step_ms, min((index + 1) * step_ms, sound.duration_ms)
        if spans and start - spans[-1][1] < min_gap_ms:
            spans[-1] = (spans[-1][0], end)
        else:
            spans.append((start, end))
    return spans


def find_onsets(
    sound: Sound,
    threshold_db: float = -40.0,
    min_gap_ms: float = 100.0,
    window_ms: float = RMS_WINDOW_MS,
) -> list[float]:
    """Start (ms) of every non-silent stretch; see ``non_silent_spans``."""
    return [start for start, _ in non_silent_spans(sound, threshold_db, min_gap_ms, window_ms)]


# -- running a small player script ------------------------------------------------------------


def run_python(
    script: str, env: Mapping[str, str], timeout: float = 60.0
) -> subprocess.CompletedProcess[str]:
    """Run ``script`` with this interpreter in a subprocess; output captured as text."""
    return subprocess.run(
        [sys.executable, "-c", script],
        env=dict(env),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
