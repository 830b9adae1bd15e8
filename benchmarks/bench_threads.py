"""Fits on a busy machine: torch threads per fit (``n_threads``) and GridSearchCV(n_jobs=2).

1. Seconds per MMRestRegressor epoch on MOSI-size synthetic data
   (``make_multimodal_sentiment(1284)``, default modalities and estimator settings) with
   (a) a quiet machine and (b) one busy process this script starts and stops itself, for
   the default ``n_threads=1`` and for torch's own thread count (``n_threads=None``).
   Target: (b)/(a) <= 1.5 with the default.
2. ``GridSearchCV`` of 8 fits (4 candidates x 2 folds, ``refit=False``) with ``n_jobs=2``
   against ``n_jobs=1``, after a small fit in this process and in each of loky's workers
   (the first fit in a process pays several seconds of one-off start-up), next to the
   speed-up two concurrent single-thread torch jobs reach on this machine (the ceiling).
   Target: speed-up >= 1.5 on 2 cores.

Medians of --repeats runs; the machine's load average is printed before and after,
because other processes change every figure here.

    python -m benchmarks.bench_threads                       # the figures for the notes
    python -m benchmarks.bench_threads --n-samples 300 --epochs 2 --repeats 1 --grid-epochs 1
"""

import argparse
import multiprocessing
import os
import statistics
import time

import torch
from sklearn.model_selection import GridSearchCV

from mmsense import MMRestRegressor
from mmsense.datasets import make_multimodal_sentiment

from ._common import load_average


def _spin():
    while True:
        pass


class BusyCore:
    """One process keeping a core busy for the duration of the block."""

    def __enter__(self):
        self.process = multiprocessing.get_context("spawn").Process(target=_spin, daemon=True)
        self.process.start()
        time.sleep(0.5)  # let it reach its loop
        return self

    def __exit__(self, *exc):
        self.process.terminate()
        self.process.join()


def epoch_seconds(X, y, spec, n_threads, epochs, repeats):
    """Median over repeats of the median epoch duration of one fit (skorch's ``dur``)."""
    runs = []
    for seed in range(repeats):
        model = MMRestRegressor(modalities=spec, max_epochs=epochs, patience=None, device="cpu",
                                random_state=seed, n_threads=n_threads).fit(X, y)
        runs.append(statistics.median(row["dur"] for row in model.history_))
    return statistics.median(runs)


def _tiny_fit():
    """One small fit: the first fit in a process pays one-off start-up costs (imports,
    torch and k-means first calls, several seconds), which are not what is compared."""
    X, y, spec = make_multimodal_sentiment(40, random_state=0)
    MMRestRegressor(modalities=spec, max_epochs=1, device="cpu", random_state=0).fit(X, y)
    return os.getpid()


def warm_up(n_jobs):
    """Run a small fit in this process and in each of loky's ``n_jobs`` workers."""
    from joblib import Parallel, delayed

    _tiny_fit()
    Parallel(n_jobs=n_jobs)(delayed(_tiny_fit)() for _ in range(2 * n_jobs))


def grid_seconds(X, y, spec, n_jobs, epochs, repeats):
    """Median seconds of the search's 8 cross-validation fits (refit=False: the final refit
    on all rows runs alone after the search, whatever n_jobs is)."""
    grid = {"margin": [1.0, 3.0], "alpha": [0.7, 1.0]}
    runs = []
    for seed in range(repeats):
        search = GridSearchCV(MMRestRegressor(modalities=spec, max_epochs=epochs, device="cpu",
                                              random_state=seed), grid, cv=2, n_jobs=n_jobs,
                              refit=False)
        start = time.perf_counter()
        search.fit(X, y)
        runs.append(time.perf_counter() - start)
    return statistics.median(runs)


def _lstm_work(repeats=300):
    """A fixed single-thread torch workload (LSTM forward and backward), in seconds."""
    torch.set_num_threads(1)
    lstm = torch.nn.LSTM(8, 32, batch_first=True)
    x = torch.randn(64, 20, 8)
    start = time.perf_counter()
    for _ in range(repeats):
        lstm(x)[0].sum().backward()
    return time.perf_counter() - start


def parallel_floor(repeats):
    """Speed-up of two concurrent single-thread torch workers over one, on this machine.

    Two jobs in two loky workers against the same two jobs one after the other in one
    worker: the best a 2-job grid search can do here (shared caches and memory bandwidth,
    or a VM's cores, keep it under 2).
    """
    from joblib import Parallel, delayed

    one, two = [], []
    for _ in range(repeats):
        start = time.perf_counter()
        Parallel(n_jobs=1)(delayed(_lstm_work)() for _ in range(2))
        one.append(time.perf_counter() - start)
        start = time.perf_counter()
        Parallel(n_jobs=2)(delayed(_lstm_work)() for _ in range(2))
        two.append(time.perf_counter() - start)
    return statistics.median(one) / statistics.median(two)


def load():
    return load_average()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-samples", type=int, default=1284, help="rows (MOSI train: 1284)")
    parser.add_argument("--epochs", type=int, default=3, help="epochs per timed fit")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--grid-epochs", type=int, default=2, help="epochs per grid fit")
    parser.add_argument("--part", choices=("all", "threads", "grid"), default="all")
    args = parser.parse_args(argv)
    X, y, spec = make_multimodal_sentiment(args.n_samples, random_state=0)
    print(f"{os.cpu_count()} CPUs, torch {torch.__version__} with "
          f"{torch.get_num_threads()} threads by default; load average before: {load()}")
    print(f"data: {X.shape[0]} rows, modalities {spec}; medians of {args.repeats} runs")
    if args.part in ("all", "threads"):
        print(f"\n1. seconds per epoch ({args.epochs} epochs per fit)")
        print(f"{'n_threads':>12} {'(a) quiet':>10} {'(b) busy':>10} {'(b)/(a)':>8}")
        for n_threads in (1, None):
            quiet = epoch_seconds(X, y, spec, n_threads, args.epochs, args.repeats)
            with BusyCore():
                busy = epoch_seconds(X, y, spec, n_threads, args.epochs, args.repeats)
            label = "1 (default)" if n_threads == 1 else f"None ({torch.get_num_threads()})"
            print(f"{label:>12} {quiet:10.3f} {busy:10.3f} {busy / quiet:8.2f}")
    if args.part in ("all", "grid"):
        print(f"\n2. GridSearchCV, 8 fits of {args.grid_epochs} epochs")
        warm_up(2)
        one = grid_seconds(X, y, spec, 1, args.grid_epochs, args.repeats)
        two = grid_seconds(X, y, spec, 2, args.grid_epochs, args.repeats)
        floor = parallel_floor(args.repeats)
        print(f"n_jobs=1 {one:.2f} s, n_jobs=2 {two:.2f} s, speed-up {one / two:.2f}; two "
              f"concurrent single-thread torch jobs reach {floor:.2f} here "
              f"(ratio to that ceiling {one / two / floor:.2f})")
    print(f"\nload average after: {load()}")


if __name__ == "__main__":
    main()
