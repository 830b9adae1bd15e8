"""Semi-supervised MMRest: a label-budget curve against MMRest, Ridge and SVR on the labeled rows.

For each seed and each labeled fraction of the training split (nested: a larger
fraction adds rows to a smaller one's), four models are fitted and scored on the
whole test split:

* ``semi``: ``MMRestRegressor(semi_supervised=True)`` on every training row, the
  unlabeled ones with NaN targets;
* ``sup``: ``MMRestRegressor`` on the labeled rows only, with as many optimiser steps
  allowed as ``semi`` (its epoch cap and patience multiplied by
  ``n_train / n_labeled``: a semi-supervised epoch runs over every row, so it
  takes that many more mini-batch steps). This is the reference of the target;
* ``sup_ep``: the same with the same epoch cap and patience as ``semi`` (fewer
  steps), to show what the step count alone does;
* ``ridge``, ``svr``: ``Ridge`` and ``SVR`` (RBF) on the labeled rows' pooled,
  standardised features, their one hyperparameter chosen by 5-fold
  cross-validation on those rows (mean absolute error).

Both MMRest fits hold out the same labeled rows for early stopping
(``--validation-fraction`` of them, drawn with the same seed), so the pair differs
only by the unlabeled rows. With every row labeled the two are the same fit (a
test checks it), so the 100 % row reuses the supervised fit. The differences
``semi - sup`` are paired by seed: mean and standard error over seeds.
Target: at 10 % and 20 % labels, ``semi`` beats ``sup`` in MAE by more than two
standard errors of the paired difference.

Data (``--data``):

* ``synthetic``: ``make_multimodal_sentiment`` (its default modalities: a 32-d text
  vector, audio (20, 5) and vision (20, 8) sequences), a new draw per seed, sized
  like CMU-MOSI: 1284 training rows, 686 test rows (MOSI's validation split is
  not used: model selection uses the labeled training rows).
* ``mosi``: CMU-MOSI transcripts embedded by ``TextEmbedder`` (all-MiniLM-L6-v2,
  normalised), the standard train and test splits; the seed draws the labeled
  rows and the MMRest seeds.

Usage::

    python -m benchmarks.bench_mmrest_semi --data synthetic --seeds 10 --epochs 40
    python -m benchmarks.bench_mmrest_semi --data mosi --seeds 10 --epochs 40
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import torch
from sklearn.linear_model import Ridge
from sklearn.model_selection import GridSearchCV, KFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVR

from benchmarks._common import (MOSI_SIZES, add_data_dir_option, add_json_option,
                                add_seed_options, add_threads_option, append_json_lines,
                                by_split, load_average, make_parser, mosi_text_features, pooled,
                                seed_range)
from mmsense import MMRestRegressor, msa_report
from mmsense.datasets import make_multimodal_sentiment

FRACTIONS = (0.05, 0.1, 0.2, 0.4, 1.0)
TARGET_FRACTIONS = (0.1, 0.2)
MODELS = ("semi", "sup", "sup_ep", "ridge", "svr")
PATIENCE = 10  # MMRestRegressor's default
BASELINE_GRIDS = {"ridge": (Ridge, "alpha", (0.1, 1.0, 10.0, 100.0)),
                  "svr": (SVR, "C", (0.3, 1.0, 3.0, 10.0))}


@dataclass
class Draw:
    """One seed's data: the training and test rows and the modalities spec."""

    X_train: np.ndarray
    y_train: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray
    spec: dict | None


def synthetic_draw(seed, n_train, n_test):
    X, y, spec = make_multimodal_sentiment(n_train + n_test, random_state=seed)
    return Draw(X[:n_train], y[:n_train], X[n_train:], y[n_train:], spec)


def mosi_draw(data_dir):
    X, bunch = mosi_text_features(data_dir=data_dir)
    (X_train, y_train), (X_test, y_test) = by_split(X, bunch.target, bunch.split,
                                                    ("train", "test"))
    return Draw(X_train, y_train, X_test, y_test, None)


def labeled_rows(order, fraction):
    """The first ``fraction`` of the seed's row order, sorted (nested across fractions)."""
    return np.sort(order[: max(2, int(round(fraction * len(order))))])


def fit_mmrest(draw, rows, seed, args, model):
    """Test predictions, best epoch and fit seconds of one MMRest fit (``MODELS[:3]``)."""
    scale = len(draw.y_train) / len(rows) if model == "sup" else 1.0
    reg = MMRestRegressor(modalities=draw.spec, max_epochs=int(np.ceil(args.epochs * scale)),
                          patience=int(np.ceil(PATIENCE * scale)),
                          validation_fraction=args.validation_fraction,
                          semi_supervised=model == "semi", random_state=seed,
                          **({} if args.eta is None else {"eta": args.eta}))
    start = time.perf_counter()
    if model == "semi":
        y = np.full(len(draw.y_train), np.nan)
        y[rows] = draw.y_train[rows]
        reg.fit(draw.X_train, y)
    else:
        reg.fit(draw.X_train[rows], draw.y_train[rows])
    return reg.predict(draw.X_test), reg.best_epoch_, time.perf_counter() - start


def fit_baseline(name, draw, rows, seed):
    """Test predictions of Ridge or SVR tuned by 5-fold CV on the labeled rows."""
    cls, param, grid = BASELINE_GRIDS[name]
    features_train, features_test = pooled(draw.X_train, draw.spec), pooled(draw.X_test, draw.spec)
    search = GridSearchCV(make_pipeline(StandardScaler(), cls()),
                          {f"{cls.__name__.lower()}__{param}": grid},
                          cv=KFold(min(5, len(rows)), shuffle=True, random_state=seed),
                          scoring="neg_mean_absolute_error")
    start = time.perf_counter()
    search.fit(features_train[rows], draw.y_train[rows])
    return search.predict(features_test), None, time.perf_counter() - start


def run_seed(draw, seed, args):
    """Records (one per fraction and model) of one seed."""
    order = np.random.RandomState(seed).permutation(len(draw.y_train))
    records = []
    for fraction in args.fractions:
        rows = labeled_rows(order, fraction)
        fits = {"sup": fit_mmrest(draw, rows, seed, args, "sup")}
        # every row labeled: the three MMRest fits are the same fit (tested for semi)
        for model in ("semi", "sup_ep"):
            fits[model] = (fits["sup"] if len(rows) == len(order)
                           else fit_mmrest(draw, rows, seed, args, model))
        for name in ("ridge", "svr"):
            fits[name] = fit_baseline(name, draw, rows, seed)
        for model, (prediction, best_epoch, seconds) in fits.items():
            report = msa_report(draw.y_test, prediction)
            records.append(dict(data=args.data, seed=seed, fraction=float(fraction),
                                n_labeled=len(rows), model=model, mae=report["mae"],
                                acc7=report["acc7"], best_epoch=best_epoch, fit_s=seconds))
        print(f"  seed {seed}, {fraction:.0%} ({len(rows)} labeled): "
              + "  ".join(f"{r['model']} {r['mae']:.3f}" for r in records[-len(fits):]),
              flush=True)
    return records


def mean_se(values):
    values = np.asarray(values, dtype=float)
    se = values.std(ddof=1) / np.sqrt(len(values)) if len(values) > 1 else float("nan")
    return values.mean(), se


def print_table(records, fractions):
    """Mean test MAE (+- SE over seeds) per model, and the paired semi - sup difference."""
    print(f"\n{'labeled':>8} {'n':>5}  " + "  ".join(f"{m + ' MAE':>16}" for m in MODELS)
          + f"  {'semi - sup MAE':>17}  {'semi - sup Acc-7':>17}  target")
    verdicts = {}
    for fraction in fractions:
        rows = [r for r in records if r["fraction"] == float(fraction)]
        by_model = {m: sorted((r for r in rows if r["model"] == m), key=lambda r: r["seed"])
                    for m in MODELS}
        cells = ["{:8.3f} +- {:5.3f}".format(*mean_se([r["mae"] for r in by_model[m]]))
                 for m in MODELS]
        diffs = {key: mean_se([s[key] - u[key]
                               for s, u in zip(by_model["semi"], by_model["sup"])])
                 for key in ("mae", "acc7")}
        met = diffs["mae"][0] < -2 * diffs["mae"][1]
        if fraction in TARGET_FRACTIONS:
            verdicts[fraction] = met
        mark = ("met" if met else "not met") if fraction in TARGET_FRACTIONS else ""
        print(f"{fraction:8.0%} {rows[0]['n_labeled']:5d}  " + "  ".join(cells)
              + "  {:+8.3f} +- {:5.3f}".format(*diffs["mae"])
              + "  {:+8.3f} +- {:5.3f}".format(*diffs["acc7"]) + f"  {mark}")
    return verdicts


def report(records, args):
    seeds = seed_range(args)
    print(f"\n== label budget, {args.data}: test MAE, mean +- SE over seeds {seeds.start}.."
          f"{seeds.stop - 1}; semi - sup paired by seed ({load_average()})")
    verdicts = print_table(records, args.fractions)
    if verdicts:
        held = all(verdicts.values())
        print(f"target (semi beats sup by > 2 SE of the paired MAE difference at "
              f"{', '.join(f'{f:.0%}' for f in verdicts)} labels): "
              f"{'MET' if held else 'NOT MET'}")


def parse_args(argv=None):
    parser = make_parser(__doc__)
    parser.add_argument("--data", choices=("synthetic", "mosi"), default="synthetic")
    parser.add_argument("--epochs", type=int, default=40,
                        help="epoch cap of the MMRest fits (early stopping on validation MAE)")
    parser.add_argument("--fractions", type=float, nargs="+", default=list(FRACTIONS))
    parser.add_argument("--eta", type=float, default=None,
                        help="weight of L_MMC in every MMRest fit (default: MMRest's, 0.01)")
    parser.add_argument("--validation-fraction", type=float, default=0.2,
                        help="share of the labeled rows held out for MMRest's early stopping")
    parser.add_argument("--n-train", type=int, default=MOSI_SIZES[0],
                        help="synthetic training rows (MOSI's train split)")
    parser.add_argument("--n-test", type=int, default=MOSI_SIZES[2],
                        help="synthetic test rows (MOSI's test split)")
    add_seed_options(parser, 10, "seeds (labeled rows, data draw and model seeds)")
    add_threads_option(parser, 1, "torch CPU threads")
    add_json_option(parser, "also append every (seed, fraction, model) record here, one JSON "
                            "object per line")
    add_data_dir_option(parser)
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    torch.set_num_threads(args.threads)
    mosi = mosi_draw(args.data_dir) if args.data == "mosi" else None
    print(f"== label budget, {args.data}, fractions {args.fractions}, at most {args.epochs} "
          f"epochs, eta {args.eta or 'default'}, validation {args.validation_fraction:.0%} of "
          "the labeled rows, "
          f"{load_average()}", flush=True)
    records = []
    for seed in seed_range(args):
        draw = mosi or synthetic_draw(seed, args.n_train, args.n_test)
        records += run_seed(draw, seed, args)
    if args.json:
        append_json_lines(args.json, records)
    report(records, args)


if __name__ == "__main__":
    main()
