"""The runner against a fake clock and a recording player: timing, pause, skip, back, quit."""

from __future__ import annotations

from masseur.audio import Sound
from masseur.routine import parse_routine
from masseur.runner import Command, Outcome, Runner
from masseur.timeline import EventKind, Timeline, TimelineOptions, build_timeline

from fakes import FakeClock, FakeSpeech, RecordingPlayer

CHIME = Sound.silence(300, 22050)

ROUTINE = """\
name: three-steps
title: Three steps
description: Test routine.
steps:
  - title: Rub
    say: Rub the sole.
    duration: 30s
    cues: [{at: 15s, say: Keep going.}]
  - title: Knead
    say: Knead the heel.
    duration: 40s
    sides: [left, right]
  - title: Stroke
    say: Stroke the top of the foot.
    duration: 20s
"""


def estimate(text: str, rate: int, language: str) -> int:
    return 100 * len(text.split())  # fixed and simple, so tests can reason about it


def make_timeline(text: str = ROUTINE, **options: object) -> Timeline:
    return build_timeline(parse_routine(text), TimelineOptions(estimate=estimate, **options))


def make_runner(timeline: Timeline, clock: FakeClock, speech: FakeSpeech | None = None):
    player = RecordingPlayer(clock=clock.now, sleep=clock.sleep)
    speech = speech or FakeSpeech()
    chime_sounds: dict[int, str] = {}

    def chime(name: str) -> Sound:
        sound = Sound.silence(300, 22050)
        chime_sounds[id(sound)] = name
        return sound

    runner = Runner(timeline, clock=clock, player=player, speech=speech, chimes=chime)
    return runner, player, speech, chime_sounds


def played(player: RecordingPlayer, clock: FakeClock, speech: FakeSpeech, chimes: dict[int, str]):
    """(ms since start, what) for every sound played."""
    out = []
    for record in player.history:
        key = id(record.sound)
        what = f"chime:{chimes[key]}" if key in chimes else speech.by_sound[key].kind.value
        out.append((round(clock.elapsed(record.started_at) * 1000), what))
    return out


def test_events_fire_exactly_at_their_deadlines() -> None:
    timeline = make_timeline()
    clock = FakeClock()
    runner, player, speech, chimes = make_runner(timeline, clock)
    result = runner.run()

    assert result.outcome is Outcome.FINISHED
    expected = [
        (event.at_ms, f"chime:{event.sound}" if event.kind is EventKind.CHIME else event.kind.value)
        for event in timeline.events
        if event.kind is not EventKind.END
    ]
    assert played(player, clock, speech, chimes) == expected
    assert result.segments_done == result.segments_total == 4
    assert result.segments_skipped == 0
    assert round(clock.elapsed(clock.t) * 1000) == timeline.total_ms
    assert max(result.late_ms) == 0


def test_no_drift_over_a_two_hour_session_with_a_late_scheduler() -> None:
    steps = "\n".join(
        f"  - {{say: Step number {n}., duration: 1m, cues: [{{at: 30s, say: Half.}}]}}"
        for n in range(120)
    )
    timeline = make_timeline(f"name: long\ntitle: Long\ndescription: Two hours.\nsteps:\n{steps}\n")
    assert timeline.total_ms > 2 * 3600 * 1000
    clock = FakeClock(jitter_s=0.004)  # every wake-up up to 4 ms late
    runner, player, speech, chimes = make_runner(timeline, clock)
    result = runner.run()

    chime_times = [
        t for t, what in played(player, clock, speech, chimes) if what.startswith("chime")
    ]
    scheduled = [e.at_ms for e in timeline.events if e.kind is EventKind.CHIME]
    errors = [actual - planned for actual, planned in zip(chime_times, scheduled, strict=True)]
    # Lateness never accumulates: the last chime is as close to schedule as the first.
    assert all(0 <= error <= 4 for error in errors)
    assert max(result.late_ms) <= 4.0 + 1e-6


def test_pause_shifts_every_later_event_by_the_paused_time_and_repeats_the_sentence() -> None:
    timeline = make_timeline()
    intro = timeline.events[0]
    assert intro.kind is EventKind.INTRO
    # Pause one second into the introduction (still being spoken), resume 30 s later.
    clock = FakeClock([(1.0, Command.PAUSE), (31.0, Command.PAUSE)])
    runner, player, speech, chimes = make_runner(timeline, clock)
    runner.run()

    sounds = played(player, clock, speech, chimes)
    assert sounds[0] == (0, "intro")
    assert sounds[1] == (31_000, "intro")  # said again on resume
    assert player.history[0].stopped_at is not None  # and cut off at once on pause
    rest = sounds[2:]
    expected = [
        (
            event.at_ms + 30_000,
            f"chime:{event.sound}" if event.kind is EventKind.CHIME else event.kind.value,
        )
        for event in timeline.events[1:]
        if event.kind is not EventKind.END
    ]
    assert rest == expected


def test_next_skips_to_the_following_step_at_once() -> None:
    timeline = make_timeline()
    first = timeline.segments[0]
    skip_at = first.start_ms / 1000 + 5
    clock = FakeClock([(skip_at, Command.NEXT)])
    runner, player, speech, chimes = make_runner(timeline, clock)
    result = runner.run()

    sounds = played(player, clock, speech, chimes)
    after = [s for s in sounds if s[0] >= skip_at * 1000]
    assert after[0] == (round(skip_at * 1000), "chime:step")  # segment 1 starts now
    assert all(what != "cue" for _, what in sounds)  # segment 0's cue never came
    assert result.segments_skipped == 1
    assert result.segments_done == 3
    # The rest of the session is shifted earlier by what was skipped.
    assert round(clock.elapsed(clock.t) * 1000) == timeline.total_ms - (
        first.end_ms - skip_at * 1000
    )


def test_back_restarts_the_step_or_goes_to_the_previous_one_at_its_start() -> None:
    timeline = make_timeline()
    second = timeline.segments[1]
    late_in_second = second.start_ms / 1000 + 20
    clock = FakeClock([(late_in_second, Command.BACK), (late_in_second + 1, Command.BACK)])
    runner, player, speech, chimes = make_runner(timeline, clock)
    runner.run()

    sounds = played(player, clock, speech, chimes)
    step_speech = [t for t, what in sounds if what == "step"]
    # First back (20 s in): segment 1 restarts. Second back (1 s after): segment 0.
    chimes_at = [t for t, what in sounds if what.startswith("chime")]
    assert round(late_in_second * 1000) in chimes_at
    assert round((late_in_second + 1) * 1000) in chimes_at
    said = [
        speech.by_sound[id(r.sound)].segment
        for r in player.history
        if id(r.sound) in speech.by_sound and speech.by_sound[id(r.sound)].kind is EventKind.STEP
    ]
    assert said == [0, 1, 1, 0, 1, 2, 3]
    assert len(step_speech) == len(said)


def test_quit_stops_audio_and_reports_progress() -> None:
    timeline = make_timeline()
    quit_at = timeline.segments[1].start_ms / 1000 + 1
    clock = FakeClock([(quit_at, Command.QUIT)])
    runner, player, _, _ = make_runner(timeline, clock)
    result = runner.run()

    assert result.outcome is Outcome.QUIT
    assert result.segments_done == 1
    assert result.position_ms == round(quit_at * 1000)
    assert player.stop_all_calls == [clock.t]
    assert not any(r.ends_at > clock.t for r in player.history)


def test_a_cue_waits_for_the_sentence_before_it_but_the_clock_does_not() -> None:
    timeline = make_timeline()
    clock = FakeClock()
    # The step instruction lasts 20 s: it is still playing when the cue is due at 15 s.
    speech = FakeSpeech(by_kind={"step": 20_000})
    runner, player, speech, chimes = make_runner(timeline, clock, speech)
    runner.run()

    sounds = played(player, clock, speech, chimes)
    step0 = next(e for e in timeline.events if e.kind is EventKind.STEP and e.segment == 0)
    cue = next(e for e in timeline.events if e.kind is EventKind.CUE)
    cue_started = next(t for t, what in sounds if what == "cue")
    assert cue_started >= step0.at_ms + 20_000 > cue.at_ms
    assert cue_started - (step0.at_ms + 20_000) <= 50  # picked up within one poll
    # The next segment's chime is still on time.
    chime1 = next(e for e in timeline.events if e.kind is EventKind.CHIME and e.segment == 1)
    assert (chime1.at_ms, "chime:step") in sounds


def test_speech_not_ready_is_skipped_and_reported_but_the_step_still_chimes() -> None:
    timeline = make_timeline()
    missing = {e.text for e in timeline.events if e.kind is EventKind.STEP and e.segment == 0}
    clock = FakeClock()
    speech = FakeSpeech(missing=missing)
    missed = []
    player = RecordingPlayer(clock=clock.now, sleep=clock.sleep)
    runner = Runner(
        timeline,
        clock=clock,
        player=player,
        speech=speech,
        chimes=lambda name: CHIME,
        on_missed_speech=missed.append,
    )
    result = runner.run()
    assert [e.segment for e in missed] == [0]
    assert result.missed_speech == 1
    first_segment_start = timeline.segments[0].start_ms
    assert any(
        round(clock.elapsed(r.started_at) * 1000) == first_segment_start and r.sound is CHIME
        for r in player.history
    )
