"""Memory and time of the input contract on a large float32 sequence matrix.

Prints, for validation, splitting and ModalityScaler.fit/transform, the peak
extra memory allocated (tracemalloc, which sees numpy's buffers) as a multiple
of X's own size, and the median wall time of several runs.

    python -m benchmarks.bench_contract [--rows 2000] [--repeats 3]

Expected: validation and ModalityScaler.fit allocate a small fraction of X
(chunked checks, no float64 copy); split and transform one float32 copy (ratio ~1).
"""

import statistics
import tracemalloc

import numpy as np
from sklearn.base import BaseEstimator

from benchmarks._common import (load_average, make_parser, split_modalities, timed,
                                validate_multimodal)
from mmsense import ModalityScaler

# MOSEI-like unaligned widths: text 768 vector, audio 500 x 74, vision 500 x 35
MODALITIES = {"text": 768, "audio": (500, 74), "vision": (500, 35)}


class _Holder(BaseEstimator):
    def __init__(self, modalities=None):
        self.modalities = modalities


def make_X(rows, rng):
    width = 768 + 500 * 74 + 500 * 35
    X = rng.standard_normal((rows, width), dtype=np.float32)
    lengths = rng.integers(50, 501, size=rows)
    for start, d in ((768, 74), (768 + 500 * 74, 35)):
        seq = X[:, start:start + 500 * d].reshape(rows, 500, d)
        seq[np.arange(500)[None, :] >= lengths[:, None]] = np.nan
    return X


def measure(fn, repeats):
    times, peaks = [], []
    for _ in range(repeats):
        tracemalloc.start()
        seconds, result = timed(fn)
        times.append(seconds)
        peaks.append(tracemalloc.get_traced_memory()[1])
        tracemalloc.stop()
        del result
    return statistics.median(times), max(peaks)


def parse_args(argv=None):
    parser = make_parser(__doc__)
    parser.add_argument("--rows", type=int, default=2000)
    parser.add_argument("--repeats", type=int, default=3)
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    X = make_X(args.rows, np.random.default_rng(0))
    holder = _Holder(MODALITIES)
    _, _, specs = validate_multimodal(holder, X)
    scaler = ModalityScaler(modalities=MODALITIES).fit(X)
    steps = {
        "validate_multimodal": lambda: validate_multimodal(holder, X),
        "split_modalities": lambda: split_modalities(X, specs),
        "ModalityScaler.fit": lambda: ModalityScaler(modalities=MODALITIES).fit(X),
        "ModalityScaler.transform": lambda: scaler.transform(X),
    }
    print(f"X: {X.shape[0]} x {X.shape[1]} float32 = {X.nbytes / 2**20:.0f} MiB, "
          f"{load_average()}")
    print(f"{'step':<26}{'median s':>10}{'peak extra MiB':>16}{'x size of X':>13}")
    for name, fn in steps.items():
        seconds, peak = measure(fn, args.repeats)
        print(f"{name:<26}{seconds:>10.3f}{peak / 2**20:>16.1f}{peak / X.nbytes:>13.2f}")


if __name__ == "__main__":
    main()
