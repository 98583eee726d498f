"""The real synthesizer: espeak-ng (through pyttsx3's binding) or Piper in worker processes,
with a file cache.

Each engine runs in a child process (``_speech_worker.py``), one per voice, that this module
can kill and restart: espeak-ng calls ``exit()`` when its data files are missing, a C library
can hang, and Piper (GPL) must stay out of masseur's own process. The worker sends each
sentence's samples down its pipe and this module writes them to the cache. None of that
reaches the caller, who only ever sees a WAV path, SpeechTimeout, SpeechFailed or
SpeechUnavailable.

Why one worker per voice: after switching an engine from ``zle/ru`` to ``gmw/en`` the next
English sentence came out 8 % longer, and every later one still 2 % longer than on a fresh
engine, so a cached file would have depended on what was said before it. Rate changes
leave no such traces.
"""

from __future__ import annotations

import collections
import contextlib
import hashlib
import json
import os
import struct
import threading
import time
import zlib
from collections.abc import Iterator, MutableMapping, Sequence
from pathlib import Path

from masseur import atomic
from masseur.errors import MasseurError
from masseur.speech._worker_client import (
    WORKER_START_TIMEOUT_S,
    Expired,
    Worker,
    default_worker_command,
    first_to_reply,
)
from masseur.speech.base import (
    NoVoiceForLanguage,
    SpeechFailed,
    SpeechTimeout,
    VoiceInfo,
    VoiceSettings,
    check_request,
)
from masseur.speech.engine import (
    adopt_engine_identity,
    engine_identity,
    known_engine_identity,
)
from masseur.speech.estimate import estimate_speech_ms
from masseur.speech.piper_voices import (
    PiperVoice,
    is_piper,
    piper_fingerprint,
    resolve_piper_voice,
)
from masseur.speech.voices import (
    cached_voices,
    catalog_lock,
    default_voice,
    pick_voice,
    store_voices,
)
from masseur.text import quote
from masseur.wav import HEADER_BYTES, SAMPLE_WIDTH, wav_header

# Bump when the way files are made changes, so old cache entries are not served.
CACHE_FORMAT = 3  # 2: PCM from espeak-ng's synchronous mode; 3: the checksum inside
MAX_WORKERS = 2  # one per voice; a session normally uses one
# Engines a batch (an export) shares its sentences between, one per core of a small
# machine: 37 sentences took 0.43 s on one engine, one at a time.
BATCH_ENGINES = 2
VOICES_REQUEST = {"op": "voices"}
LEFTOVER_AGE_S = 3600.0  # a .part file this old belongs to no running synthesis


def default_timeout_s(text: str, rate: int) -> float:
    """Time allowed when the caller gives none: ample for a worker start (~0.15 s) and the
    synthesis (a running worker makes speech a few hundred times faster than it plays),
    yet finite."""
    return 10.0 + estimate_speech_ms(text, rate) / 1000 * 0.25


# Each cache entry ends with a chunk of its own after the samples: the CRC-32 of everything
# before it. One file per sentence, not a WAV and a checksum beside it: an export made 74
# files for 37 sentences, and each took ~0.4 ms to create and rename.
CHECK_CHUNK = b"mcrc"
CHECK_BYTES = 12  # chunk id, size (4), CRC-32


def _check_chunk(header: bytes, pcm: bytes | bytearray | memoryview) -> bytes:
    return struct.pack("<4sII", CHECK_CHUNK, 4, zlib.crc32(pcm, zlib.crc32(header)))


def entry_bytes(pcm: bytes | bytearray) -> list[bytes | bytearray]:
    """A cache entry's bytes, in parts: the WAV header, the samples, their check chunk."""
    header = wav_header(len(pcm) // SAMPLE_WIDTH, chunks_after=CHECK_BYTES)
    return [header, pcm, _check_chunk(header, pcm)]


def is_intact(entry: Path) -> bool:
    """Whether a cache entry is whole, with the very samples that were made: exactly the
    header its length gives, the samples, and their checksum.

    A file with a valid header but other data (a disk error, a stray write) would otherwise
    be played as noise; a file cut short by a crash has no checksum at its end. Either is
    made again. CRC-32 is enough for damage of this kind (a random change goes unseen once
    in four billion) and takes a third of SHA-256's time (4 ms against 13 ms for a built-in
    routine's 14 MB of speech).
    """
    try:
        data = entry.read_bytes()
    except OSError:
        return False
    pcm_bytes = len(data) - HEADER_BYTES - CHECK_BYTES
    if pcm_bytes <= 0 or pcm_bytes % SAMPLE_WIDTH:
        return False
    view = memoryview(data)
    header = wav_header(pcm_bytes // SAMPLE_WIDTH, chunks_after=CHECK_BYTES)
    body = view[HEADER_BYTES : HEADER_BYTES + pcm_bytes]
    return view[:HEADER_BYTES] == header and view[-CHECK_BYTES:] == _check_chunk(header, body)


def _cache_unwritable(folder: Path, error: OSError) -> SpeechFailed:
    return SpeechFailed(f"cannot write to the speech cache {folder}: {error.strerror or error}")


def wants_twin(voice: str | None) -> bool:
    """Whether a batch in ``voice`` gets its second engine as a twin: espeak-ng only (Piper
    uses every core alone), and where processes fork (POSIX)."""
    return BATCH_ENGINES > 1 and not is_piper(voice) and hasattr(os, "fork")


def engine_shares(texts: Sequence[str], rate: int, engines: int) -> list[int]:
    """Which engine makes each text: in order, each to the engine with the least speech so
    far (by the estimated length), so that the engines finish together. A fixed function of
    the texts, so the same batch gives each engine the same sentences in the same order."""
    loads = [0.0] * engines
    owners = []
    for text in texts:
        owner = min(range(engines), key=lambda number: (loads[number], number))
        owners.append(owner)
        loads[owner] += estimate_speech_ms(text, rate)
    return owners


def cache_key(fingerprint: str, voice_id: str, rate: int, text: str) -> str:
    """The name a sentence is cached under: it changes with anything that changes the sound."""
    material = json.dumps([CACHE_FORMAT, fingerprint, voice_id, rate, text], ensure_ascii=False)
    return hashlib.sha256(material.encode("utf-8")).hexdigest()


class Pyttsx3Synthesizer:
    """The real synthesizer: pyttsx3 + espeak-ng in worker processes, with a file cache.

    Thread-safe: a prefetching thread and the session's thread may both call synthesize().
    Cache hits never wait for the engine.
    """

    def __init__(
        self,
        cache_dir: Path | None = None,
        *,
        worker_command: Sequence[str] | None = None,
    ) -> None:
        if cache_dir is None:
            from masseur.paths import cache_dir as user_cache_dir

            cache_dir = user_cache_dir() / "speech"
        self.cache_dir = cache_dir
        self.worker_command = list(worker_command or default_worker_command())
        self.synthesized = 0  # sentences the engine made (cache misses)
        self.cache_hits = 0
        self.worker_starts = 0
        self._workers: collections.OrderedDict[str, Worker] = collections.OrderedDict()
        self._spare: Worker | None = None  # started ahead of need, not yet given a voice
        self._spare_command: list[str] = []
        # The second engine of a batch (synthesize_all), by voice, with its command. Started
        # only when a batch finds sentences to make: started ahead, it cost a warm export
        # (nothing to make) 15 % on two cores, and gained a cold one nothing.
        self._helpers: dict[str, tuple[list[str], Worker]] = {}
        self._piper_voices: dict[str, PiperVoice] = {}
        self._engine_lock = threading.Lock()
        self._closed = False
        self._swept = False

    # -- public

    def synthesize(self, text: str, settings: VoiceSettings, timeout: float | None = None) -> Path:
        check_request(text, settings)
        if timeout is None:
            timeout = default_timeout_s(text, settings.rate)
        deadline = time.monotonic() + timeout
        voice_id = self.voice_id(settings.voice, deadline)
        target = self.cache_path(text, VoiceSettings(voice_id, settings.rate))
        if is_intact(target):
            self.cache_hits += 1
            return target
        return self._make(text, voice_id, settings.rate, target, deadline)

    def voice_id(self, wanted: str | None, deadline: float | None = None) -> str:
        """The id of the voice to use for a voice id, a language code or None (the default)."""
        if is_piper(wanted):
            assert wanted is not None
            return self._piper_voice(wanted).id
        voices = self._voices(deadline or time.monotonic() + WORKER_START_TIMEOUT_S)
        if not wanted or not wanted.strip():
            return default_voice(voices)
        picked = pick_voice(voices, wanted)
        if picked is None:
            raise NoVoiceForLanguage(wanted.strip())
        return picked

    def cache_path(self, text: str, settings: VoiceSettings) -> Path:
        """Where the sentence is (or would be) cached; ``settings.voice`` must be a voice id."""
        voice_id = settings.voice or ""
        if is_piper(voice_id):
            fingerprint = "piper-" + piper_fingerprint(self._piper_voice(voice_id))
        else:
            fingerprint = engine_identity().fingerprint
        key = cache_key(fingerprint, voice_id, settings.rate, text)
        return self.cache_dir / f"{key}.wav"

    def prepare(
        self, voice: str | None = None, *, batch: bool = False, started: Worker | None = None
    ) -> None:
        """Start the engine for ``voice`` now, without waiting for it, so that it gets ready
        while the caller loads the routine; the first sentence then finds it running.

        With ``batch`` (an export), an espeak-ng engine forks its twin as soon as it is
        ready: the second engine of :meth:`synthesize_all`, at the cost of a fork.
        ``started``: an engine the caller started already (:func:`start_early`), taken if it
        is the one ``voice`` needs, else stopped.
        """
        command = self._command_for(voice)
        with self._engine_lock:
            if self._closed or self._workers or self._spare is not None:
                if started is not None:
                    started.kill()
                return
            if started is not None and command == default_worker_command():
                self._spare = started
            else:
                if started is not None:
                    started.kill()
                self._spare = Worker(command, twin=batch and wants_twin(voice))
            self._spare_command = command
            self.worker_starts += 1
            if command == self.worker_command and self._catalog_unknown():
                # On a first run the voice cannot be chosen before espeak-ng has listed its
                # voices. Asked now, the list is made as soon as the engine is up; when it
                # turns out to be cached, the unread answer is skipped.
                with contextlib.suppress(SpeechFailed, Expired):
                    self._spare.ask_ahead(VOICES_REQUEST, time.monotonic() + 1.0)

    def check(self, timeout: float = WORKER_START_TIMEOUT_S) -> None:
        """Raise SpeechUnavailable now, rather than at the first sentence, if speech cannot work.

        Cheap when the voice list is cached; otherwise starts the worker that will then make
        the first sentence.
        """
        self._voices(time.monotonic() + timeout)

    def close(self) -> None:
        """Stop the engine processes. Cached sentences can still be fetched afterwards.

        Waits at most a second for a sentence another thread is making; after that its
        worker is killed and that thread gets SpeechFailed.
        """
        self._closed = True
        locked = self._engine_lock.acquire(timeout=1.0)
        try:
            workers = list(self._workers.values())
            helpers = [worker for _, worker in self._helpers.values()]
            spare = self._spare
            if locked:
                self._workers.clear()
                self._helpers.clear()
                self._spare = None
        finally:
            if locked:
                self._engine_lock.release()
        if spare is not None:
            # Started ahead of need and never needed (everything was cached): it may still
            # be starting up, and has nothing to finish.
            spare.kill()
        for helper in helpers:
            helper.kill()  # a batch's second engine: nothing of it is needed any more
        for worker in workers:
            if locked:
                worker.close()
            else:
                worker.kill()

    def __enter__(self) -> Pyttsx3Synthesizer:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- inside

    def _catalog_unknown(self) -> bool:
        """Whether the voice list may have to be asked for: yes, unless this process knows
        espeak-ng's identity already and has the list for it. Finding the identity here
        would load the library (10-16 ms of a start); the engine, still starting, answers
        as soon as it is up, while it would be idle anyway."""
        identity = known_engine_identity()
        if identity is None:
            return True
        with catalog_lock:
            return cached_voices(identity.fingerprint) is None

    def _fingerprint(self, deadline: float) -> str:
        """espeak-ng's fingerprint: from the started engine's ready message if it has come,
        so that this process need not load the library to find it."""
        if known_engine_identity() is None:
            with self._engine(deadline):
                spare = self._spare
                if spare is not None and self._spare_command == self.worker_command:
                    # A failed start is met again, and said, where the engine is used.
                    with contextlib.suppress(MasseurError, Expired):
                        if spare.ready_now():
                            adopt_engine_identity(spare.hello or {})
        return engine_identity().fingerprint

    def _voices(self, deadline: float) -> list[VoiceInfo]:
        fingerprint = self._fingerprint(deadline)
        with catalog_lock:
            voices = cached_voices(fingerprint)
        if voices is not None:
            return voices
        # Ask a worker of our own rather than a throwaway one: it then makes the first
        # sentence, which saves a process start (~0.1 s) on a cold start.
        with self._engine(deadline):
            if self._spare is not None and self._spare_command != self.worker_command:
                self._spare.close()  # a Piper engine cannot list espeak-ng's voices
                self._spare = None
            if self._spare is None:
                self._spare = self._start_worker(self.worker_command, deadline)
                self._spare_command = self.worker_command
            try:
                reply = self._spare.request(VOICES_REQUEST, deadline)
            except Expired:
                self._spare.kill()
                self._spare = None
                raise SpeechTimeout("the speech engine took too long to list its voices") from None
            except SpeechFailed:
                self._spare.kill()
                self._spare = None
                raise
        with catalog_lock:
            return store_voices(fingerprint, reply)

    @contextlib.contextmanager
    def _engine(self, deadline: float) -> Iterator[None]:
        """Hold the right to talk to the workers, waiting no longer than the deadline."""
        remaining = deadline - time.monotonic()
        if remaining <= 0 or not self._engine_lock.acquire(timeout=remaining):
            raise SpeechTimeout("the speech engine is busy with other sentences")
        try:
            if self._closed:
                raise SpeechFailed("the speech synthesizer was closed")
            yield
        finally:
            self._engine_lock.release()

    def _piper_voice(self, wanted: str) -> PiperVoice:
        # Looking for voices scans folders: once per name and synthesizer is enough.
        key = wanted.strip().lower()
        voice = self._piper_voices.get(key)
        if voice is None:
            voice = self._piper_voices[key] = resolve_piper_voice(wanted, None)
        return voice

    def _command_for(self, voice: str | None) -> list[str]:
        if not is_piper(voice):
            return self.worker_command
        assert voice is not None
        model = self._piper_voice(voice).model
        return [*default_worker_command(), "piper", str(model)]

    def _start_worker(self, command: list[str], deadline: float) -> Worker:
        try:
            worker = Worker(command, deadline)
        except Expired:
            raise SpeechTimeout("the speech engine took too long to start") from None
        self.worker_starts += 1
        return worker

    def _make(self, text: str, voice_id: str, rate: int, target: Path, deadline: float) -> Path:
        with self._engine(deadline):
            if is_intact(target):  # made by another thread while we waited
                self.cache_hits += 1
                return target
            self._prepare_cache(target.parent)
            worker = self._worker_for(voice_id, deadline)
            self._send_synth(worker, text, voice_id, rate, deadline)
            self._store(target, self._receive_pcm(worker, text, voice_id, deadline))
            return target

    def synthesize_all(
        self,
        texts: Sequence[str],
        settings: VoiceSettings,
        made: MutableMapping[Path, bytes] | None = None,
    ) -> Iterator[Path]:
        """What :meth:`synthesize` gives for each text, in order, made faster for a batch
        (``made``: see BatchSynthesizer).

        The texts not in the cache are shared between two espeak-ng engines, one per core,
        so that each has about as much speech to make (:func:`engine_shares`, by the
        estimated length). Each engine always has its next sentence asked for, and a sentence
        is stored as soon as it comes, from whichever engine: neither engine waits while the
        other makes a long one. Each engine gets its texts in a fixed order, so the same
        batch makes the same bytes. The engines are held for the whole batch: close the
        iterator (or run it to its end) to let others use them.
        """
        for text in texts:
            check_request(text, settings)
        voice_id = self.voice_id(settings.voice)
        targets = [self.cache_path(text, VoiceSettings(voice_id, settings.rate)) for text in texts]
        missing = []  # where the texts not in the cache are, each text once
        seen: set[Path] = set()
        for index, target in enumerate(targets):
            if target not in seen and not is_intact(target):
                missing.append(index)
            seen.add(target)
        if not missing:
            self.cache_hits += len(targets)
            yield from targets
            return
        rate = settings.rate
        deadlines: dict[int, float] = {}  # of each text asked for

        with self._engine(time.monotonic() + default_timeout_s(texts[missing[0]], rate)):
            self._prepare_cache(targets[0].parent)
            first_deadline = time.monotonic() + default_timeout_s(texts[missing[0]], rate)
            engines = [self._worker_for(voice_id, first_deadline)]
            # Piper keeps every core busy on its own: a second one made foot-classic's
            # export slower (10.2 s against 8.9 s here).
            if len(missing) > 1 and BATCH_ENGINES > 1 and not is_piper(voice_id):
                engines.append(self._helper_for(voice_id))
            owners = engine_shares([texts[index] for index in missing], rate, len(engines))
            waiting: list[collections.deque[int]] = [collections.deque() for _ in engines]
            for index, owner in zip(missing, owners, strict=True):
                waiting[owner].append(index)  # each engine's texts not yet asked for, in order
            asked: list[collections.deque[int]] = [collections.deque() for _ in engines]
            done: set[int] = set()
            failed: dict[int, SpeechFailed | SpeechTimeout] = {}
            to_make = set(missing)
            # The cache entry of each text asked for, which its engine writes the samples
            # into and this process completes (header, checksum) and puts in place.
            entries: dict[int, atomic.Replacement] = {}

            def ask(number: int) -> None:
                """Keep engine ``number`` two sentences ahead."""
                while waiting[number] and len(asked[number]) < 2:
                    index = waiting[number].popleft()
                    deadlines[index] = time.monotonic() + default_timeout_s(texts[index], rate)
                    entries[index] = self._new_entry(targets[index])
                    self._send_synth(
                        engines[number],
                        texts[index],
                        voice_id,
                        rate,
                        deadlines[index],
                        into=entries[index].path,
                    )
                    asked[number].append(index)

            def take_one() -> None:
                """Store the next sentence to come, from whichever engine sends it first.

                An engine that fails is dropped with the rest of its share; its failure
                is given when the batch reaches that text, after those before it."""
                busy = [number for number in range(len(engines)) if asked[number]]
                first = first_to_reply(
                    [engines[number] for number in busy],
                    [deadlines[asked[number][0]] for number in busy],
                )
                number = busy[first]
                index = asked[number][0]
                try:
                    written = self._receive_written(
                        engines[number], texts[index], voice_id, deadlines[index]
                    )
                except (SpeechFailed, SpeechTimeout) as error:  # the engine is gone
                    failed[index] = error
                    asked[number].clear()
                    waiting[number].clear()
                    return
                asked[number].popleft()
                pcm = self._complete_entry(entries.pop(index), written)
                if made is not None:
                    made[targets[index]] = pcm
                done.add(index)
                ask(number)

            try:
                for number in range(len(engines)):
                    ask(number)
                for index, target in enumerate(targets):
                    if index in to_make:
                        while index not in done:
                            if index in failed:
                                raise failed[index]
                            take_one()
                    else:
                        self.cache_hits += 1  # (or made above, for a text given twice)
                    yield target
            finally:
                for number, engine in enumerate(engines):
                    if asked[number]:
                        # Left early with a sentence still coming: its reply would be taken
                        # for the answer to the next request, so this engine goes.
                        self._drop_worker(voice_id, engine)
                for entry in entries.values():  # asked for and never completed
                    entry.discard()

    def _helper_for(self, voice_id: str) -> Worker:
        """The second engine for a batch in this voice: the last batch's, the twin of the
        first engine (see :meth:`prepare`), or a new one, which starts while the first
        engine works."""
        command = self._command_for(voice_id)
        found = self._helpers.get(voice_id)
        if found is not None and found[0] == command and found[1].alive():
            return found[1]
        if found is not None:
            found[1].kill()
        first = self._workers.get(voice_id)
        twin = None
        if first is not None:
            twin, first.twin = first.twin, None
        if twin is not None and twin.alive():
            try:  # forked when its engine was ready, long before now
                twin.wait_ready(time.monotonic() + WORKER_START_TIMEOUT_S)
            except (Expired, MasseurError):  # it could not be forked: start one instead
                twin.kill()
                twin = None
        if twin is not None:
            worker = twin
        else:
            worker = Worker(command)  # no deadline: the first request waits for it
            self.worker_starts += 1
        self._helpers[voice_id] = (command, worker)
        return worker

    def _prepare_cache(self, folder: Path) -> None:
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise _cache_unwritable(folder, error) from None
        if not self._swept:
            self._sweep_leftovers(folder)

    def _new_entry(self, target: Path) -> atomic.Replacement:
        """An empty cache entry for ``target``, for an engine to write the samples into."""
        try:
            return atomic.Replacement(target.absolute())
        except OSError as error:
            raise _cache_unwritable(target.parent, error) from None

    def _complete_entry(self, entry: atomic.Replacement, written: int) -> bytes:
        """Read back the samples an engine wrote into ``entry`` (``written`` bytes, after
        the header's place), add the header and the checksum, and put it in place: like
        :meth:`_store`. The samples, for the caller."""
        try:
            pcm = os.pread(entry.descriptor, written, HEADER_BYTES)
            if len(pcm) != written:
                raise SpeechFailed(
                    f"the speech engine wrote {len(pcm)} bytes of {written} to {entry.path}"
                )
            header, _, check = entry_bytes(pcm)
            os.pwrite(entry.descriptor, header, 0)
            os.pwrite(entry.descriptor, check, HEADER_BYTES + written)
            entry.commit()
        except OSError as error:
            entry.discard()
            raise _cache_unwritable(entry.target.parent, error) from None
        except BaseException:
            entry.discard()
            raise
        self.synthesized += 1
        return pcm

    def _store(self, target: Path, pcm: bytes | bytearray) -> None:
        """Put a sentence's samples in the cache, with their checksum."""
        try:
            # A cache entry is checked when read (is_intact) and can be made again: it need
            # not wait for the disk. Its parts go out one after the other: a long sentence's
            # megabytes are not copied once more to join them. The checksum is of the bytes
            # written, not read back: a disk that garbles them is found out when the entry
            # is next read.
            atomic.write_bytes(target, entry_bytes(pcm), durable=False)
        except OSError as error:
            raise _cache_unwritable(target.parent, error) from None
        self.synthesized += 1

    def _sweep_leftovers(self, folder: Path) -> None:
        """Remove half-written files that a killed process left behind."""
        self._swept = True
        stale_before = time.time() - LEFTOVER_AGE_S
        with contextlib.suppress(OSError), os.scandir(folder) as entries:
            for entry in entries:
                if (
                    entry.name.endswith(atomic.TEMPORARY_SUFFIX)
                    and entry.stat().st_mtime < stale_before
                ):
                    with contextlib.suppress(OSError):
                        os.unlink(entry.path)

    def _worker_for(self, voice_id: str, deadline: float) -> Worker:
        worker = self._workers.get(voice_id)
        if worker is not None and worker.alive():
            self._workers.move_to_end(voice_id)
            return worker
        if worker is not None:
            del self._workers[voice_id]
            worker.kill()
        while len(self._workers) >= MAX_WORKERS:
            _, oldest = self._workers.popitem(last=False)
            oldest.close()
        command = self._command_for(voice_id)
        if self._spare is not None and self._spare.alive() and self._spare_command == command:
            worker, self._spare = self._spare, None
        else:
            worker = self._start_worker(command, deadline)
        self._workers[voice_id] = worker
        return worker

    def _send_synth(
        self,
        worker: Worker,
        text: str,
        voice_id: str,
        rate: int,
        deadline: float,
        *,
        into: Path | None = None,
    ) -> None:
        """Ask for a sentence: its samples come in the reply, or with ``into`` are written
        into that cache entry after its header's place (see :meth:`_receive_written`)."""
        request: dict[str, object] = {
            "op": "synth",
            "text": text,
            "voice": voice_id,
            "rate": rate,
            # The worker gives up on its own a little after we do, so that it cannot linger
            # if this process has died.
            "limit": max(0.5, deadline - time.monotonic()) + 2.0,
        }
        if into is not None:
            request.update(into=str(into), at=HEADER_BYTES)
        with self._talking(worker, text, voice_id):
            worker.wait_ready(deadline)
            worker.send(request, deadline)

    def _receive_pcm(
        self, worker: Worker, text: str, voice_id: str, deadline: float
    ) -> bytes | bytearray:
        """The samples of the sentence the worker was asked for (the oldest request)."""
        with self._talking(worker, text, voice_id):
            reply = worker.receive(deadline)
        pcm = reply.get("pcm")
        if not reply.get("ok") or not isinstance(pcm, bytes | bytearray):
            # The engine's state is unknown after an error: start afresh next time.
            self._drop_worker(voice_id, worker)
            raise SpeechFailed(f"could not synthesize {quote(text)}: {reply.get('error')}")
        if not pcm:
            raise SpeechFailed(f"the speech engine gave no sound for {quote(text)}")
        return pcm

    def _receive_written(self, worker: Worker, text: str, voice_id: str, deadline: float) -> int:
        """How many bytes of samples the worker wrote into the entry it was asked to fill
        (the oldest request)."""
        with self._talking(worker, text, voice_id):
            reply = worker.receive(deadline)
        written = reply.get("wrote")
        if not reply.get("ok") or not isinstance(written, int):
            self._drop_worker(voice_id, worker)
            raise SpeechFailed(f"could not synthesize {quote(text)}: {reply.get('error')}")
        if written <= 0:
            raise SpeechFailed(f"the speech engine gave no sound for {quote(text)}")
        return written

    @contextlib.contextmanager
    def _talking(self, worker: Worker, text: str, voice_id: str) -> Iterator[None]:
        """A worker that runs out of time or stops while ``text`` is asked of it is dropped;
        the caller gets SpeechTimeout or SpeechFailed."""
        try:
            yield
        except Expired:
            self._drop_worker(voice_id, worker)
            raise SpeechTimeout(
                f"speech for {quote(text)} was not ready in time; the engine was restarted"
            ) from None
        except SpeechFailed:
            self._drop_worker(voice_id, worker)
            raise

    def _drop_worker(self, voice_id: str, worker: Worker) -> None:
        worker.kill()
        if self._workers.get(voice_id) is worker:
            del self._workers[voice_id]
        helper = self._helpers.get(voice_id)
        if helper is not None and helper[1] is worker:
            del self._helpers[voice_id]
