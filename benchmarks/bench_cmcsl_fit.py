"""CMCSL's whole fit and predict at scale, each as a ratio to its floor timed in the same run.

Data: ``--n-samples`` rows (default 200,000) of ``--modalities`` static float32
modalities of ``--features`` columns (default 2 x 512), ``--labeled`` labeled rows
(default 200) of ``--classes`` classes; ``CMCSLSelfLabeler(GaussianNB())`` with its
defaults (nearest-seed propagation, ratio resolution, late fusion, l2_standard
preprocessing).

Floors, timed in the same process on the same rows (each modality's preprocessed
vectors as one contiguous float32 array):

* fit: per modality, the float32 distance product of the propagation (the rows'
  vectors times the labeled rows', ``chunk_size`` rows at a time) plus
  ``GaussianNB().fit`` on every row with its self-label;
* predict: per modality, the fitted GaussianNB's ``predict_proba`` on every row
  (late fusion averages them).

The fit is also set against its floor plus a plain copy of the preprocessed features into
fresh memory (what any fit must at least write for its classifiers), timed in each repeat
right after the fit has freed its own.

With ``--n-jobs``, the fit's and the floors' GaussianNB work alike run in that many
threads, one modality each.

On a virtual machine whose kernel reports free memory to the hypervisor (the header
says), fresh memory costs more the longer it was left free: the host must back each
page again. A call then pays for what the call before it left free, and the fit, which
needs 800 MiB more fresh memory than its floor, pays most. ``--warm-memory GIB`` writes
and frees that much memory right before every timed call, so that each call draws on
memory the host still backs, as on a machine without the reporting; ``--memory-probe``
shows the effect: the time to fill the size of X after 0, 2 and 5 idle seconds.

Each repeat times the floors, ``fit`` and ``predict`` one after the other, so a
change of load hits all of them, each floor right before its call in even repeats and
right after it in odd ones; the table gives medians over repeats, the ratio
is the median of the per-repeat ratios. CPU seconds (all threads of the process)
are the steadier figure while other jobs load the machine; their kernel share is
mostly the first touch of fresh memory (page faults), which varies from run to run
on a virtual machine. Peak extra memory is
the rise of the process's peak resident memory during the call, as a multiple of
the size of X.

    python -m benchmarks.bench_cmcsl_fit                      # 200,000 x 2 x 512, 3 repeats
    python -m benchmarks.bench_cmcsl_fit --n-samples 20000    # a quick look
    python -m benchmarks.bench_cmcsl_fit --steps              # and the fit's steps one by one
    python -m benchmarks.bench_cmcsl_fit --n-jobs 2           # GaussianNB fits in 2 threads
    python -m benchmarks.bench_cmcsl_fit --warm-memory 3      # each call on backed memory
    python -m benchmarks.bench_cmcsl_fit --memory-probe       # what idle memory costs here
    python -m benchmarks.bench_cmcsl_fit --memory-probe 0 10  # after 0 and 10 idle seconds
"""

from __future__ import annotations

import os
import statistics
import time

import numpy as np
import torch
from joblib import Parallel, delayed
from sklearn.naive_bayes import GaussianNB

from benchmarks._common import (add_device_option, distance_product_seconds,
                                free_page_reporting, load_average, make_parser,
                                make_preprocessor, md_header, md_row, modality_vectors,
                                peak_rss_mib, propagate, reported_mib, reset_peak_rss,
                                touch_and_release, validate_multimodal)
from mmsense import CMCSLSelfLabeler


def make_data(n_samples, n_modalities, n_features, n_labeled, n_classes, seed=0):
    """Random float32 modalities with a class shift; ``n_labeled`` rows keep their label."""
    rng = np.random.default_rng(seed)
    y_true = rng.integers(0, n_classes, n_samples)
    X = rng.standard_normal((n_samples, n_modalities * n_features), dtype=np.float32)
    X += 0.3 * np.eye(n_classes, n_modalities * n_features, dtype=np.float32)[y_true]
    y = np.full(n_samples, -1)
    labeled = rng.choice(n_samples, n_labeled, replace=False)
    y[labeled] = np.arange(n_labeled) % n_classes  # every class labeled
    spec = {f"m{i}": n_features for i in range(n_modalities)}
    return X, y, spec


def timed_with_memory(func, warm_bytes=0):
    """``((wall s, CPU s, kernel CPU s), peak extra MiB, result)`` of one call of ``func()``.

    CPU seconds are the process's, user and kernel (all threads); the kernel's share is
    mostly first touches of freshly allocated memory (page faults), whose cost varies from
    run to run on a virtual machine. ``warm_bytes`` of memory are written and freed first
    (:func:`touch_and_release`).
    """
    touch_and_release(warm_bytes)
    reset_peak_rss()
    base = peak_rss_mib()
    start, start_cpu = time.perf_counter(), os.times()
    result = func()
    end_cpu = os.times()
    kernel = end_cpu.system - start_cpu.system
    seconds = (time.perf_counter() - start, end_cpu.user - start_cpu.user + kernel, kernel)
    return seconds, peak_rss_mib() - base, result


def wall_and_cpu(func, warm_bytes=0):
    """``(wall s, CPU s, kernel CPU s)`` of one call of ``func()``."""
    return timed_with_memory(func, warm_bytes)[0]


def floor_inputs(clf, X, y):
    """Each modality's preprocessed vectors (contiguous), its seeds and the self-labels."""
    Zs, start = [], 0
    for name in clf.modality_names_:
        width = clf.modalities[name]
        Zs.append(np.ascontiguousarray(clf.preprocessors_[name].transform(
            X[:, start:start + width])))
        start += width
    labeled = y >= 0
    return Zs, [Z[labeled] for Z in Zs], clf.transduction_


def fit_floor(Zs, seeds, labels, chunk_size, device, n_jobs=None):
    """What no fit can skip: each modality's distance product and GaussianNB fit (the
    fits in ``n_jobs`` threads, as the fit runs them)."""
    for Z, s in zip(Zs, seeds):
        distance_product_seconds(Z, s, chunk_size, device)
    Parallel(n_jobs=n_jobs, prefer="threads")(delayed(GaussianNB().fit)(Z, labels) for Z in Zs)


def predict_floor(clf, Zs, n_jobs=None):
    """What no prediction can skip: each modality's ``predict_proba`` (in ``n_jobs`` threads)."""
    Parallel(n_jobs=n_jobs, prefer="threads")(
        delayed(est.predict_proba)(Z) for est, Z in zip(clf.estimators_, Zs))


def one_repeat(make_clf, X, y, floor_data, chunk_size, device, n_jobs=None, warm_bytes=0,
               call_first=False):
    """Floors, fit and predict once each: (wall s, CPU s) of each and peak extra MiB;
    ``warm_bytes`` of memory written and freed before each call. Each floor runs right
    before its call, or right after it with ``call_first``."""
    out = {}

    def fit():
        out["fit"], out["fit MiB"], out["model"] = timed_with_memory(
            lambda: make_clf().fit(X, y), warm_bytes)
        # right after the fit has freed its own features
        out["features write"] = wall_and_cpu(lambda: [Z.copy() for Z in floor_data[0]],
                                             warm_bytes)

    def fit_floor_only():
        out["fit floor"] = wall_and_cpu(
            lambda: fit_floor(*floor_data, chunk_size, device, n_jobs), warm_bytes)

    def predict():
        out["predict"], out["predict MiB"], _ = timed_with_memory(
            lambda: out["model"].predict(X), warm_bytes)

    def predict_floor_only():
        out["predict floor"] = wall_and_cpu(
            lambda: predict_floor(out["model"], floor_data[0], n_jobs), warm_bytes)

    for floor, call in ((fit_floor_only, fit), (predict_floor_only, predict)):
        for step in ((call, floor) if call_first else (floor, call)):
            step()
    del out["model"]
    return out


def ratio(seconds, floor_seconds):
    """``seconds / floor_seconds``; NaN where the floor took no measurable time."""
    return seconds / floor_seconds if floor_seconds > 1e-6 else float("nan")


def report(runs, X):
    """One row per call: medians over the repeats, ratios to the floor (wall and CPU)."""
    print(md_header(["call", "median s", "floor median s", "ratio to floor",
                     "ratios per repeat", "CPU s", "floor CPU s", "CPU ratio",
                     "kernel CPU s (floor)", "peak extra memory, x size of X"]))
    for call in ("fit", "predict"):
        floor = f"{call} floor"
        ratios = [ratio(r[call][0], r[floor][0]) for r in runs]
        cpu_ratios = [ratio(r[call][1], r[floor][1]) for r in runs]
        peak = max(r[f"{call} MiB"] for r in runs) * 2**20 / X.nbytes
        print(md_row([call, f"{statistics.median(r[call][0] for r in runs):.2f}",
                      f"{statistics.median(r[floor][0] for r in runs):.2f}",
                      f"{statistics.median(ratios):.2f}", " ".join(f"{q:.2f}" for q in ratios),
                      f"{statistics.median(r[call][1] for r in runs):.2f}",
                      f"{statistics.median(r[floor][1] for r in runs):.2f}",
                      f"{statistics.median(cpu_ratios):.2f}",
                      f"{statistics.median(r[call][2] for r in runs):.2f} "
                      f"({statistics.median(r[floor][2] for r in runs):.2f})", f"{peak:.2f}"]))
    fit_ratios = [ratio(r["fit"][0], r["fit floor"][0]) for r in runs]
    if len(runs) > 1:
        print(f"\nfit / floor with the floor run before the fit (even repeats): median "
              f"{statistics.median(fit_ratios[::2]):.2f}; after it (odd repeats): "
              f"{statistics.median(fit_ratios[1::2]):.2f}")
    print("per repeat, fit's kernel CPU s -> fit / floor: " + ", ".join(
        f"{r['fit'][2]:.2f} -> {ratio(r['fit'][0], r['fit floor'][0]):.2f}" for r in runs))
    # what no fit can skip either: writing the preprocessed features (here a plain copy of
    # them) into fresh memory
    with_write = [ratio(r["fit"][0], r["fit floor"][0] + r["features write"][0])
                  for r in runs]
    print(f"fit / (floor + a write of the features into fresh memory, "
          f"{statistics.median(r['features write'][0] for r in runs):.2f} s): median "
          f"{statistics.median(with_write):.2f} (" + " ".join(f"{q:.2f}" for q in with_write)
          + ")")


def fit_steps(X, y, spec, n_classes, chunk_size, device, warm_bytes=0):
    """The fit's steps one at a time, ``{step: (wall s, CPU s, kernel CPU s)}``, with two
    references: a plain copy of each modality's columns (the least a preprocessing that writes its
    result can cost) and the distance products (the floor's part of the propagation)."""
    holder = CMCSLSelfLabeler(modalities=spec)
    steps = {}

    def timed_step(func):
        seconds, _, result = timed_with_memory(func, warm_bytes)
        return seconds, result

    steps["validate_multimodal"], (Xv, _, specs) = timed_step(
        lambda: validate_multimodal(holder, X, y))
    vectors = list(modality_vectors(Xv, specs).values())
    steps["(a copy of each modality)"], _ = timed_step(lambda: [np.array(v) for v in vectors])
    steps["preprocessing"], Zs = timed_step(
        lambda: [make_preprocessor("l2_standard").fit_transform(v) for v in vectors])
    labeled = y >= 0
    steps["propagation"], props = timed_step(lambda: [
        propagate(Z, labeled, y, n_classes, chunk_size=chunk_size, device=device) for Z in Zs])
    steps["(the distance products)"], _ = timed_step(lambda: [
        distance_product_seconds(Z, Z[labeled], chunk_size, device) for Z in Zs])
    steps["GaussianNB fits"], _ = timed_step(
        lambda: [GaussianNB().fit(Z, p.labels) for Z, p in zip(Zs, props)])
    return steps


def report_steps(step_runs):
    print("\nthe fit's steps, one at a time (medians over the repeats):")
    print(md_header(["step", "median s", "CPU s", "kernel CPU s"]))
    for step in step_runs[0]:
        print(md_row([step] + [f"{statistics.median(r[step][i] for r in step_runs):.2f}"
                               for i in range(3)]))


def memory_probe(nbytes, idles, repeats=3):
    """Print the time to fill ``nbytes`` of fresh memory after the same amount was freed and
    left idle for each of ``idles`` seconds (medians), with the MiB the kernel reported to
    its hypervisor meanwhile."""
    print(f"\nfilling {nbytes / 2**20:.0f} MiB of fresh memory after as much was freed and "
          f"left idle (medians of {repeats}):")
    print(md_header(["idle s", "fill s", "kernel CPU s", "MiB reported to the hypervisor"]))
    for idle in idles:
        runs = []
        for _ in range(repeats):
            touch_and_release(nbytes)
            before = reported_mib()
            time.sleep(idle)
            reported = reported_mib() - before
            runs.append(wall_and_cpu(lambda: touch_and_release(nbytes)) + (reported,))
        print(md_row([idle, f"{statistics.median(r[0] for r in runs):.2f}",
                      f"{statistics.median(r[2] for r in runs):.2f}",
                      f"{statistics.median(r[3] for r in runs):.0f}"]))


def parse_args(argv=None):
    p = make_parser(__doc__)
    p.add_argument("--n-samples", type=int, default=200_000)
    p.add_argument("--modalities", type=int, default=2)
    p.add_argument("--features", type=int, default=512, help="columns per modality")
    p.add_argument("--labeled", type=int, default=200)
    p.add_argument("--classes", type=int, default=5)
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--chunk-size", type=int, default=65536)
    p.add_argument("--steps", action="store_true",
                   help="also time the fit's steps one at a time (validation, preprocessing, "
                        "propagation, final classifiers)")
    p.add_argument("--n-jobs", type=int, default=None,
                   help="CMCSLSelfLabeler's n_jobs: the modalities' GaussianNB fitted and applied "
                        "in that many threads (the floors' GaussianNB work too)")
    p.add_argument("--warm-memory", type=float, default=0.0, metavar="GIB",
                   help="write and free this many GiB right before every timed call, so each "
                        "draws on memory the hypervisor still backs (default 0)")
    p.add_argument("--memory-probe", type=float, nargs="*", metavar="IDLE_S",
                   help="also time filling the size of X with fresh memory after as much was "
                        "freed and left idle this many seconds (default 0 2 5)")
    add_device_option(p, "cpu", "torch device of the propagation (and of its floor)")
    return p.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    X, y, spec = make_data(args.n_samples, args.modalities, args.features, args.labeled,
                           args.classes)

    def make_clf():
        return CMCSLSelfLabeler(GaussianNB(), modalities=spec, chunk_size=args.chunk_size,
                                device=args.device, n_jobs=args.n_jobs)

    warm = make_clf().fit(X, y)  # also what the floors run on
    floor_data = floor_inputs(warm, X, y)
    del warm
    print(f"CMCSL fit/predict: {args.n_samples:,} rows x {args.modalities} modalities x "
          f"{args.features} float32 features ({X.nbytes / 2**20:.0f} MiB), {args.labeled} "
          f"labeled rows, {args.classes} classes, GaussianNB, device {args.device}, "
          f"torch threads {torch.get_num_threads()}, n_jobs {args.n_jobs}")
    warm_bytes = int(args.warm_memory * 2**30)
    print(f"{free_page_reporting()}; written and freed before every call: "
          f"{args.warm_memory:g} GiB")
    print(f"before: {load_average()}", flush=True)
    # floors before their calls in even repeats, after them in odd ones: whatever one call
    # leaves behind (memory to back again, a warm or cold cache) weighs on both alike
    runs = [one_repeat(make_clf, X, y, floor_data, args.chunk_size, args.device, args.n_jobs,
                       warm_bytes, call_first=bool(i % 2))
            for i in range(args.repeats)]
    report(runs, X)
    if args.steps:
        report_steps([fit_steps(X, y, spec, args.classes, args.chunk_size, args.device,
                                warm_bytes) for _ in range(args.repeats)])
    if args.memory_probe is not None:
        memory_probe(X.nbytes, args.memory_probe or (0, 2, 5))
    print(f"after: {load_average()}")


if __name__ == "__main__":
    main()
