"""How fast does `masseur --help` start, compared with a bare Python interpreter?

Both are timed in one run, interleaved, so machine noise hits them alike; the ratio of the
medians is the number to watch (aim: under 3x). `masseur list` answers from its index of
routine metadata (the first run here builds it); it should take at most twice `--help`.

    python benchmarks/bench_startup.py [--runs 30]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time


def wall_time(command: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()
    commands = {
        "python -c pass": [sys.executable, "-c", "pass"],
        "masseur --help": [sys.executable, "-m", "masseur", "--help"],
        "masseur show --help": [sys.executable, "-m", "masseur", "show", "--help"],
        "masseur list": [sys.executable, "-m", "masseur", "list"],
    }
    for command in commands.values():  # warm the file cache
        wall_time(command)
    times: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(args.runs):
        for name, command in commands.items():
            times[name].append(wall_time(command))
    base = statistics.median(times["python -c pass"])
    for name, samples in times.items():
        median = statistics.median(samples)
        print(f"{name:20s} median {median * 1000:7.1f} ms   {median / base:5.2f}x python -c pass")
    help_s = statistics.median(times["masseur --help"])
    list_s = statistics.median(times["masseur list"])
    print(f"masseur list / masseur --help: {list_s / help_s:.2f}x (aim: at most 2x)")


if __name__ == "__main__":
    main()
