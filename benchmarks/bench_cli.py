"""Start-up time of the command line: ``mmsense --help`` and each command's ``--help``.

Each is a fresh ``python -m mmsense ...`` process, timed against ``python -c pass`` (the
interpreter's own start-up) measured in the same run; medians of --repeats runs.

    python -m benchmarks.bench_cli [--repeats 7]
"""

import argparse
import os
import subprocess
import sys
from pathlib import Path

from ._common import CLI_COMMANDS as COMMANDS
from ._common import load_average
from ._common import median_seconds as median_call_seconds

# run the checkout this script belongs to, not another installed copy
ROOT = Path(__file__).resolve().parents[1]


def median_seconds(argv, repeats):
    """Median wall-clock seconds of a fresh process running ``argv``."""
    return median_call_seconds(
        lambda: subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, cwd=ROOT), repeats
    )[0]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args(argv)

    print(f"{load_average()} ({os.cpu_count()} CPUs); medians of {args.repeats} runs")
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
