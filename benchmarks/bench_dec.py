"""Labeled-fraction curve for DEC pretraining (arXiv 2501.06475) against its baselines.

For each labeled fraction, on synthetic tri-modal MOSI-size data and on real
CMU-MOSI text features (binary polarity ``score >= 0``, standard split):

(a) scratch   the DECClassifier network trained on the labeled rows only
(b) ae        autoencoder-only pretraining (phase 2 skipped) + fine-tuning
(c) dec       full semi-supervised DEC pretraining + fine-tuning
(d) spread    sklearn LabelSpreading (kNN kernel) on the same features
(e) selftrain sklearn SelfTrainingClassifier(LogisticRegression) on the same features
(o) Bayes     synthetic data only: the Bayes-optimal prediction from the generator's
              own parameters (``benchmarks.synthetic_oracle``), the ceiling of every method

"The same features" are the standardised inputs each modality gives the
network, pooled over real steps for the sklearn baselines (which need a fixed
width). Printed: test accuracy, NMI against the test labels of the predicted
classes and (b, c) of the network's cluster assignment, seconds per epoch per
phase and parameter counts. The default run is small (CPU shared); ``--full``
gives the issue's whole curve.

    python -m benchmarks.bench_dec                 # default: 40% labeled, 1 seed
    python -m benchmarks.bench_dec --full          # 0.1 .. 1.0, 3 seeds
"""

from __future__ import annotations

import numpy as np
from sklearn.metrics import accuracy_score, normalized_mutual_info_score

from benchmarks._common import (TEXT_CACHE_DIR, add_data_dir_option, add_json_option,
                                add_seed_options, append_json_lines, dec_autoencoder_size,
                                dec_sklearn_baselines, hide_labels, load_average, make_parser,
                                mosi_task, seed_range, synthetic_task, timed)
from benchmarks.synthetic_oracle import oracle_accuracy
from mmsense import DECClassifier, DECPretrainer

FULL_FRACTIONS = (0.1, 0.2, 0.4, 0.6, 0.8, 1.0)


def synthetic_task_with_oracle(noise: float, seed: int):
    """The synthetic task of draw ``seed``, with its Bayes-optimal test accuracy."""
    task, X_test_raw, latent = synthetic_task(noise, seed)
    task.oracle_acc, _ = oracle_accuracy(X_test_raw, task.y_test, task.spec, latent)
    return task


def pretrainer(spec, args, seed, clustering=True):
    return DECPretrainer(
        modalities=spec, embed_dim=args.embed_dim, hidden_dims=(2 * args.embed_dim,),
        latent_dim=args.embed_dim // 2, pretrain_max_epochs=args.pretrain_epochs,
        max_epochs=args.dec_epochs if clustering else 0, patience=args.patience,
        random_state=seed,
    )


def network_methods(spec, args, seed) -> dict:
    def classifier(pre, pretrain=True):
        return DECClassifier(pre, pretrain=pretrain, max_epochs=args.finetune_epochs,
                             patience=args.patience, random_state=seed)

    return {
        "(a) scratch": classifier(pretrainer(spec, args, seed), pretrain=False),
        "(b) ae": classifier(pretrainer(spec, args, seed, clustering=False)),
        "(c) dec": classifier(pretrainer(spec, args, seed)),
    }


def mean_dur(history):
    return np.mean([row["dur"] for row in history]) if history else np.nan


COLUMNS = ("acc", "nmi_pred", "nmi_clusters", "s_ae", "s_dec", "dec_epochs", "s_ft", "fit_s",
           "params")


def scores(task, pred, seconds) -> dict:
    """One result row: the test scores of ``pred``, NaN for the network-only columns."""
    return {**dict.fromkeys(COLUMNS, np.nan),
            "acc": accuracy_score(task.y_test, pred),
            "nmi_pred": normalized_mutual_info_score(task.y_test, pred), "fit_s": seconds}


def run_network(clf, task, y_partial) -> dict:
    seconds, _ = timed(lambda: clf.fit(task.X_train, y_partial))
    row = scores(task, clf.predict(task.X_test), seconds)
    row.update(s_ft=mean_dur(clf.history_),
               params=sum(p.numel() for p in clf.net_.module_.parameters()))
    pre = clf.pretrainer_
    if pre is not None:
        clusters = pre.classes_[pre.predict(task.X_test)]
        row.update(nmi_clusters=normalized_mutual_info_score(task.y_test, clusters),
                   s_ae=mean_dur(pre.history_["autoencoder"]),
                   s_dec=mean_dur(pre.history_["clustering"]), dec_epochs=pre.n_iter_)
    return row


def run_sklearn(est, task, y_partial) -> dict:
    seconds, _ = timed(lambda: est.fit(task.pooled(task.X_train), y_partial))
    return scores(task, est.predict(task.pooled(task.X_test)), seconds)


def print_table(task_name, fraction, results):
    print(f"\n{task_name}, {fraction:.0%} labeled (mean over {len(next(iter(results.values())))}"
          " seed(s))")
    print(f"{'method':<14}" + "".join(f"{c:>13}" for c in COLUMNS))
    for method, rows in results.items():
        means = {c: np.nanmean([r[c] for r in rows]) if not all(np.isnan(r[c]) for r in rows)
                 else np.nan for c in COLUMNS}
        cells = "".join(f"{means[c]:>13.4g}" if not np.isnan(means[c]) else f"{'-':>13}"
                        for c in COLUMNS)
        print(f"{method:<14}{cells}", flush=True)


def print_task_header(task, args):
    print(f"\n== {task.name}: {len(task.X_train)} train / {len(task.X_test)} test rows, "
          f"{task.X_train.shape[1]} columns, spec {task.spec}")
    print(f"autoencoder parameters (encoder + decoders + centers): benchmark architecture "
          f"{dec_autoencoder_size(pretrainer(task.spec, args, 0), task.spec)}, DECPretrainer "
          f"defaults {dec_autoencoder_size(DECPretrainer(modalities=task.spec), task.spec)} "
          "(paper: about 851K)", flush=True)


def run_seed(task, args, fraction, seed, results):
    """Fit every method on ``task`` with ``fraction`` of its labels; append to ``results``."""
    y_partial = hide_labels(task.y_train, np.random.RandomState(seed), fraction=fraction)
    for name, clf in network_methods(task.spec, args, seed).items():
        results.setdefault(name, []).append(run_network(clf, task, y_partial))
    for name, est in dec_sklearn_baselines().items():
        results.setdefault(name, []).append(run_sklearn(est, task, y_partial))
    if task.oracle_acc is not None:
        results.setdefault("(o) Bayes", []).append(
            {c: task.oracle_acc if c == "acc" else np.nan for c in COLUMNS})


def run_task(task, args, task_for_seed=None):
    """The labeled-fraction rows for one dataset.

    ``task_for_seed(seed)``, when given, draws a new dataset for every seed
    (``--redraw-data``); ``task`` is then seed 0's draw, used for the header.
    """
    summary = {}
    print_task_header(task, args)
    seeds = seed_range(args)
    for fraction in args.fractions:
        results = {}
        for seed in seeds:
            if task_for_seed is not None:
                task = task_for_seed(seed)
            run_seed(task, args, fraction, seed, results)
        print_table(task.name, fraction, results)
        if args.json:
            append_json_lines(args.json, (
                {"dataset": task.name, "fraction": fraction, "seed": seed, "method": method,
                 "acc": row["acc"]}
                for method, rows in results.items() for seed, row in zip(seeds, rows)))
        summary[fraction] = {m: np.mean([r["acc"] for r in rows]) for m, rows in results.items()}
    return summary


def print_target(task_name, summary):
    if 0.4 not in summary:
        return
    acc = summary[0.4]
    others = {m: a for m, a in acc.items() if m[:3] in ("(a)", "(d)", "(e)")}
    met = all(acc["(c) dec"] > a for a in others.values())
    print(f"target at 40% on {task_name}: (c) {acc['(c) dec']:.4f} vs "
          + ", ".join(f"{m} {a:.4f}" for m, a in others.items())
          + f" -> {'MET' if met else 'NOT met'}")


def parse_args(argv=None):
    parser = make_parser(__doc__)
    parser.add_argument("--full", action="store_true",
                        help="fractions 0.1..1.0 and 3 seeds (long: tens of minutes)")
    parser.add_argument("--fractions", type=float, nargs="+", default=None)
    add_seed_options(parser, None, "seeds (label masks, networks, --redraw-data draws); "
                                   "default 1, 3 with --full")
    parser.add_argument("--datasets", nargs="+", default=["synthetic", "synthetic-hard", "mosi"],
                        choices=["synthetic", "synthetic-hard", "mosi"])
    parser.add_argument("--noise", type=float, default=4.0, help="synthetic noise sd")
    parser.add_argument("--hard-noise", type=float, default=8.0,
                        help="noise sd of the harder synthetic variant (below ceiling)")
    parser.add_argument("--embed-dim", type=int, default=32)
    parser.add_argument("--pretrain-epochs", type=int, default=20)
    parser.add_argument("--dec-epochs", type=int, default=20)
    parser.add_argument("--finetune-epochs", type=int, default=30)
    parser.add_argument("--patience", type=int, default=5)
    add_json_option(parser, "also write every (dataset, fraction, seed, method) accuracy here, "
                            "one JSON object per line, for paired comparisons")
    parser.add_argument("--redraw-data", action="store_true",
                        help="synthetic data: a new draw (random_state=seed) for every seed "
                             "instead of draw 0 for all")
    parser.add_argument("--cache-dir", default=str(TEXT_CACHE_DIR),
                        help="TextEmbedder cache for the MOSI transcripts (shared with "
                             "bench_mmrest; entries are keyed by model and settings)")
    add_data_dir_option(parser)
    args = parser.parse_args(argv)
    if args.fractions is None:
        args.fractions = FULL_FRACTIONS if args.full else (0.4,)
    if args.seeds is None:
        args.seeds = 3 if args.full else 1
    return args


def run_datasets(args):
    for dataset in args.datasets:
        if dataset == "mosi":
            task = mosi_task(args.cache_dir, args.data_dir)
            print_target(task.name, run_task(task, args))
            continue
        noise = args.noise if dataset == "synthetic" else args.hard_noise
        task = synthetic_task_with_oracle(noise, seed=0)
        redraw = ((lambda seed: synthetic_task_with_oracle(noise, seed=seed))
                  if args.redraw_data else None)
        print_target(task.name, run_task(task, args, redraw))


def main(argv=None):
    args = parse_args(argv)
    print(f"settings: {vars(args)}")
    print(load_average(), flush=True)
    seconds, _ = timed(lambda: run_datasets(args))
    print(f"\ntotal {seconds:.0f} s ({load_average()})")


if __name__ == "__main__":
    main()
