"""Measure `masseur history` on a large log: time per MB, and peak memory against a tiny log.

    python benchmarks/bench_history.py [--megabytes 200]

Writes a history of about --megabytes MB of ordinary session lines (plus a few damaged
ones) into a temporary data folder, then runs `python -m masseur history` on it and on a
log of ten sessions, each as a separate process. Reports the wall time, the peak resident
memory (max RSS from wait4) of both, and the ratio big / tiny of the memory: the log is
read as a stream, so the ratio should stay near 1 (aim: under 1.5) however large the log.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from masseur.history import SessionRecord


def run_measured(command: list[str], env: dict[str, str]) -> tuple[float, int]:
    """(wall seconds, peak RSS in MB) of one child process run to its end."""
    start = time.perf_counter()
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        errors = process.stderr.read().decode() if process.stderr else ""
        raise SystemExit(f"{' '.join(command)} failed: {errors}")
    return elapsed, usage.ru_maxrss // 1024  # ru_maxrss is in KiB on Linux


def write_history(path: Path, megabytes: float) -> int:
    """About ``megabytes`` MB of session lines, one day apart; returns how many."""
    path.parent.mkdir(parents=True, exist_ok=True)
    target = int(megabytes * 1024 * 1024)
    written = sessions = 0
    with path.open("w", encoding="utf-8") as handle:
        while written < target:
            day = sessions % 3000
            record = SessionRecord(
                routine="foot-classic",
                title="Classic foot massage",
                started_at=f"{2000 + day // 365:04d}-01-01T21:00:00+00:00",
                planned_ms=600_000,
                actual_ms=590_000 + sessions % 1000,
                steps_done=10,
                steps_skipped=0,
                steps_total=10,
                outcome="finished",
                options={"rate": 150, "countdown": False, "halfway": False, "chimes": True},
            )
            line = record.to_json() + "\n"
            if sessions % 100_000 == 7:
                line = "{damaged\n"
            handle.write(line)
            written += len(line)
            sessions += 1
    return sessions


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--megabytes", type=float, default=200)
    arguments = parser.parse_args()
    command = [sys.executable, "-m", "masseur", "history"]
    with tempfile.TemporaryDirectory() as folder:
        results = {}
        for label, megabytes in (("tiny", 0.002), ("big", arguments.megabytes)):
            data = Path(folder) / label
            lines = write_history(data / "history.jsonl", megabytes)
            env = {**os.environ, "MASSEUR_DATA_DIR": str(data)}
            seconds, peak = run_measured(command, env)
            size = (data / "history.jsonl").stat().st_size / 1024 / 1024
            results[label] = (seconds, peak)
            print(f"{label:5} {size:8.1f} MB {lines:9d} lines  {seconds:6.2f} s  {peak:5d} MB peak")
    (tiny_s, tiny_mb), (big_s, big_mb) = results["tiny"], results["big"]
    print(f"memory big / tiny: {big_mb / tiny_mb:.2f}")
    print(f"seconds per MB (beyond start-up): {(big_s - tiny_s) / arguments.megabytes:.3f}")


if __name__ == "__main__":
    main()
