"""Start-up time of the command line: ``mmsense --help`` and each command's ``--help``.

Each is a fresh ``python -m mmsense ...`` process, timed against ``python -c pass`` (the
interpreter's own start-up) measured in the same run; medians of --repeats runs.

    python benchmarks/bench_cli.py [--repeats 7]
"""

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

# measure the checkout this script belongs to, not another installed copy
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def median_seconds(argv, repeats):
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, cwd=ROOT)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    from mmsense._cli import COMMANDS

    print(f"load average: {' '.join(f'{v:.2f}' for v in os.getloadavg())} "
          f"({os.cpu_count()} CPUs); medians of {args.repeats} runs")
    base = median_seconds([sys.executable, "-c", "pass"], args.repeats)
    print(f"{'python -c pass':<32} {base:6.3f} s")
    for extra in [[]] + [[name] for name in COMMANDS]:
        label = " ".join(["mmsense", *extra, "--help"])
        seconds = median_seconds([sys.executable, "-m", "mmsense", *extra, "--help"],
                                 args.repeats)
        print(f"{label:<32} {seconds:6.3f} s  ({seconds - base:+.3f} s, "
              f"x{seconds / base:.1f} of python -c pass)")


if __name__ == "__main__":
    main()
