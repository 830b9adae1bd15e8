"""MMRestRegressor benchmark: speed on MOSI-size synthetic data, accuracy on real MOSI text.

1. Synthetic tri-modal data sized like CMU-MOSI unaligned (1284 train / 229 valid /
   686 test; text a 768-d vector, audio (375, 5) and vision (500, 20) sequences):
   seconds per epoch (median over the epochs; an epoch = training pass,
   re-clustering, validation), peak resident memory during ``fit``, parameter
   count and the MSA report on the test split, for varying sequence lengths
   (with and without length bucketing) and for full-length sequences.
2. Real CMU-MOSI transcripts (``load_msa_transcripts`` + ``TextEmbedder``,
   all-MiniLM-L6-v2, standard split): MSA report of MMRestRegressor, its
   ablations and both bias variants (mean over ``--seeds`` seeds, model
   selection on the validation split), and of Ridge and SVR fitted on the same
   features (their one hyperparameter chosen on the validation split).

The CPU is shared, so timings are noisy: the load average is printed with them.

Usage::

    python -m benchmarks.bench_mmrest                  # both parts
    python -m benchmarks.bench_mmrest --part synthetic --epochs 5
    python -m benchmarks.bench_mmrest --part mosi --seeds 3
    python -m benchmarks.bench_mmrest --part ablation --seeds 5   # paired, synthetic

3. ``--part ablation``: the ablation table on MOSI-size synthetic tri-modal data, whose
   generator has real sentiment clusters, paired by seed (see ``paired_ablation``).
"""

from __future__ import annotations

import statistics
import time

import numpy as np
import torch
from sklearn.linear_model import Ridge
from sklearn.svm import SVR

from benchmarks._common import (MOSI_SIZES, add_data_dir_option, add_device_option,
                                add_seed_options, add_threads_option, by_split, load_average,
                                make_parser, mosi_size_split, mosi_text_features, peak_rss_mib,
                                reset_peak_rss, seed_range, timed)
from mmsense import MMRestRegressor, msa_report
from mmsense.datasets import make_multimodal_sentiment

MOSI_SPEC = {"text": 768, "audio": (375, 5), "vision": (500, 20)}
SHOWN = ("mae", "corr", "acc7", "acc5", "acc2_non0", "f1_non0")

MMREST_VARIANTS = [
    ("MMRest (projection bias)", {}),
    ("MMRest (signed bias)", {"bias_mode": "signed"}),
    ("ablation: no bias", {"projection_bias": False}),
    ("ablation: no bias, no metric loss", {"projection_bias": False, "metric_loss": False}),
    ("ablation: single metric", {"single_metric": True}),
]


def report_line(name, report, extra=""):
    cells = "  ".join(f"{report[k]:6.3f}" for k in SHOWN)
    print(f"{name:<38} {cells}  {extra}", flush=True)


def header(first):
    print(f"{first:<38} " + "  ".join(f"{k:>6}" for k in SHOWN), flush=True)


def bench_synthetic(args):
    print(f"\n== 1. synthetic, MOSI-size ({'/'.join(map(str, MOSI_SIZES))}), "
          f"{args.epochs} epochs, device {args.device}, torch threads {torch.get_num_threads()}, "
          f"{load_average()}")
    cases = [
        ("varying lengths, bucketed batches", True, True),
        ("varying lengths, random batches", True, False),
        ("full-length sequences", False, True),
    ]
    header("case")
    timing_rows = []
    for name, unaligned, bucket in cases:
        X, y, spec = make_multimodal_sentiment(sum(MOSI_SIZES), MOSI_SPEC, unaligned=unaligned,
                                               random_state=0)
        (X_tr, y_tr), valid, (X_te, y_te) = mosi_size_split(X, y)
        reg = MMRestRegressor(modalities=spec, max_epochs=args.epochs, patience=None,
                              bucket_by_length=bucket, device=args.device, random_state=0)
        reset_peak_rss()
        start, cpu_start = time.perf_counter(), time.process_time()
        reg.fit(X_tr, y_tr, validation_data=valid)
        total, cpu = time.perf_counter() - start, time.process_time() - cpu_start
        per_epoch = statistics.median(row["dur"] for row in reg.history_)
        n_params = sum(p.numel() for p in reg.net_.module_.parameters())
        report_line(name, msa_report(y_te, reg.predict(X_te)))
        timing_rows.append((name, per_epoch, cpu / len(reg.history_), total, peak_rss_mib(),
                            n_params))
    print(f"\n{'case':<38} {'s/epoch':>8} {'CPU s/epoch':>12} {'fit s':>7} "
          f"{'peak RSS MiB':>13} {'params':>8}")
    for name, per_epoch, cpu, total, rss, n_params in timing_rows:
        print(f"{name:<38} {per_epoch:8.2f} {cpu:12.2f} {total:7.1f} {rss:13.0f} {n_params:8d}")
    print(f"({load_average()}; s/epoch: wall-clock median over the epochs; CPU s/epoch: process "
          "CPU time of the whole fit / epochs, what an idle core would take; peak RSS of the "
          "whole process during fit, data included)")


def mosi_features(args):
    X, bunch = mosi_text_features(data_dir=args.data_dir)
    return by_split(X, bunch.target, bunch.split)


def best_on_valid(make, grid, train, valid):
    """Fit one model per grid value on train; keep the lowest validation MAE."""
    fits = [(np.abs(make(v).fit(*train).predict(valid[0]) - valid[1]).mean(), v) for v in grid]
    mae, value = min(fits)
    return make(value).fit(*train), value


def bench_mosi(args):
    train, valid, test = mosi_features(args)
    print(f"\n== 2. CMU-MOSI transcripts, all-MiniLM-L6-v2 (384-d, normalized), standard split "
          f"{len(train[1])}/{len(valid[1])}/{len(test[1])}, test-split figures, {load_average()}")
    header("model")
    ridge, alpha = best_on_valid(lambda a: Ridge(alpha=a), [0.1, 1.0, 10.0, 100.0], train, valid)
    report_line("Ridge", msa_report(test[1], ridge.predict(test[0])), f"alpha={alpha:g}")
    svr, c = best_on_valid(lambda c: SVR(C=c), [0.3, 1.0, 3.0], train, valid)
    report_line("SVR (RBF)", msa_report(test[1], svr.predict(test[0])), f"C={c:g}")
    for name, params in MMREST_VARIANTS:
        reports, epochs, seconds = [], [], []
        for seed in seed_range(args):
            fit_s, reg = timed(lambda: MMRestRegressor(random_state=seed, **params).fit(
                *train, validation_data=valid))
            seconds.append(fit_s)
            reports.append(msa_report(test[1], reg.predict(test[0])))
            epochs.append(reg.best_epoch_)
        mean = {k: float(np.mean([r[k] for r in reports])) for k in SHOWN}
        spread = (f"sd mae {np.std([r['mae'] for r in reports]):.3f} "
                  f"acc7 {np.std([r['acc7'] for r in reports]):.3f}; best epochs {epochs}; "
                  f"fit {statistics.median(seconds):.0f} s")
        report_line(name, mean, spread)
    seeds = seed_range(args)
    print(f"(MMRest rows: mean over seeds {seeds.start}..{seeds.stop - 1}; {load_average()})")


def paired_ablation(args):
    """The ablation table on synthetic data whose generator has real sentiment clusters.

    Each seed draws its own MOSI-size data set (the generator's default modalities: a
    32-d text vector and 20-step audio and vision sequences; MOSI's 375- and 500-step
    sequences would make the 25+ fits take hours on 2 CPU cores) and fits every variant
    with that seed, so the variants are compared pair by pair: mean and standard error
    over seeds of (variant - full model).
    """
    seeds = seed_range(args)
    print(f"\n== 3. ablations, synthetic MOSI-size data (a new draw per seed), seeds "
          f"{seeds.start}..{seeds.stop - 1}, at most {args.ablation_epochs} epochs, "
          f"{load_average()}")
    results = {name: [] for name, _ in MMREST_VARIANTS}
    for seed in seeds:
        X, y, spec = make_multimodal_sentiment(sum(MOSI_SIZES), random_state=seed)
        train, valid, (X_te, y_te) = mosi_size_split(X, y)
        for name, params in MMREST_VARIANTS:
            reg = MMRestRegressor(modalities=spec, max_epochs=args.ablation_epochs,
                                  random_state=seed, **params)
            results[name].append(msa_report(y_te, reg.fit(*train, validation_data=valid)
                                             .predict(X_te)))
    full = results[MMREST_VARIANTS[0][0]]
    print(f"{'variant':<38} {'MAE':>6} {'Acc-7':>6}  {'dMAE (vs full)':>16}  {'dAcc-7':>16}")
    for name, reports in results.items():
        cells = []
        for key in ("mae", "acc7"):
            diff = np.array([r[key] - f[key] for r, f in zip(reports, full)])
            se = diff.std(ddof=1) / np.sqrt(len(diff)) if len(diff) > 1 else float("nan")
            cells.append(f"{diff.mean():+7.3f} +- {se:5.3f}")
        print(f"{name:<38} {np.mean([r['mae'] for r in reports]):6.3f} "
              f"{np.mean([r['acc7'] for r in reports]):6.3f}  {cells[0]:>16}  {cells[1]:>16}")
    print(f"(mean over seeds; differences paired by seed, +- one standard error; "
          f"{load_average()})")


def parse_args(argv=None):
    parser = make_parser(__doc__)
    parser.add_argument("--part", choices=("all", "synthetic", "mosi", "ablation"),
                        default="all")
    parser.add_argument("--ablation-epochs", type=int, default=40,
                        help="epoch cap of the ablation fits (early stopping on validation MAE)")
    parser.add_argument("--epochs", type=int, default=5, help="epochs per synthetic fit")
    add_seed_options(parser, 3, "MMRest seeds on MOSI")
    add_threads_option(parser, 1, "torch CPU threads (1: the LSTM's per-step synchronisation "
                                  "makes more threads slower on a busy shared CPU)")
    add_device_option(parser, "auto", "torch device of the synthetic fits")
    add_data_dir_option(parser)
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    torch.set_num_threads(args.threads)
    if args.part in ("all", "synthetic"):
        bench_synthetic(args)
    if args.part in ("all", "mosi"):
        bench_mosi(args)
    if args.part == "ablation":
        paired_ablation(args)


if __name__ == "__main__":
    main()
