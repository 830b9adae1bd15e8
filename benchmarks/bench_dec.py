"""Labelled-fraction curve for DEC pretraining (arXiv 2501.06475) against its baselines.

For each labelled fraction, on synthetic tri-modal MOSI-size data and on real
CMU-MOSI text features (binary polarity ``score >= 0``, standard split):

(a) scratch   the DECClassifier network trained on the labelled rows only
(b) ae        autoencoder-only pretraining (phase 2 skipped) + fine-tuning
(c) dec       full semi-supervised DEC pretraining + fine-tuning
(d) spread    sklearn LabelSpreading (kNN kernel) on the same features
(e) selftrain sklearn SelfTrainingClassifier(LogisticRegression) on the same features
(o) Bayes     synthetic data only: the Bayes-optimal prediction from the generator's
              own parameters (``synthetic_oracle.py``), the ceiling of every method

"The same features" are the standardised inputs each modality gives the
network, pooled over real steps for the sklearn baselines (which need a fixed
width). Printed: test accuracy, NMI against the test labels of the predicted
classes and (b, c) of the network's cluster assignment, seconds per epoch per
phase and parameter counts. The default run is small (CPU shared); ``--full``
gives the issue's whole curve.

    python benchmarks/bench_dec.py                 # default: 40% labelled, 1 seed
    python benchmarks/bench_dec.py --full          # 0.1 .. 1.0, 3 seeds
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, normalized_mutual_info_score
from sklearn.semi_supervised import LabelSpreading, SelfTrainingClassifier

from mmsense._contract import parse_modalities, split_modalities
from mmsense.datasets import make_multimodal_sentiment
from mmsense.dec import DECClassifier, DECPretrainer
from mmsense.preprocessing import ModalityScaler

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from benchmarks.bench_mmrest import CACHE_DIR as TEXT_CACHE_DIR  # noqa: E402
from benchmarks.bench_mmrest import MOSI_SIZES  # noqa: E402  (train / valid / test segments)
from benchmarks.synthetic_oracle import oracle_accuracy  # noqa: E402

FULL_FRACTIONS = (0.1, 0.2, 0.4, 0.6, 0.8, 1.0)


@dataclass
class Task:
    name: str
    spec: dict
    X_train: np.ndarray
    y_train: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray
    oracle_acc: float | None = None  # Bayes-optimal test accuracy (synthetic data only)

    def pooled(self, X):
        """Each modality's features averaged over its real steps, side by side."""
        blocks = split_modalities(X, parse_modalities(self.spec, X.shape[1]))
        return np.hstack([
            b.values if b.lengths is None else b.values.sum(1) / np.maximum(b.lengths, 1)[:, None]
            for b in blocks.values()
        ])


def scaled(name, spec, X_train, y_train, X_test, y_test) -> Task:
    scaler = ModalityScaler(modalities=spec).fit(X_train)
    return Task(name, spec, scaler.transform(X_train), y_train, scaler.transform(X_test), y_test)


def synthetic_task(noise: float, seed: int) -> Task:
    n_train, _, n_test = MOSI_SIZES
    X, y, spec, latent = make_multimodal_sentiment(
        n_train + n_test, task="binary", noise=noise, random_state=seed, return_latent=True)
    task = scaled(f"synthetic(noise={noise})", spec, X[:n_train], y[:n_train], X[n_train:],
                  y[n_train:])
    task.oracle_acc, _ = oracle_accuracy(X[n_train:], y[n_train:], spec, latent)
    return task


def mosi_task(cache_dir) -> Task:
    from mmsense.datasets import load_msa_transcripts
    from mmsense.feature_extraction import TextEmbedder

    mosi = load_msa_transcripts("mosi")
    features = TextEmbedder(cache_dir=cache_dir).fit_transform(mosi.data)
    y = (mosi.target >= 0).astype(np.int64)
    train, test = mosi.split == "train", mosi.split == "test"
    spec = {"text": features.shape[1]}
    return scaled("CMU-MOSI text", spec, features[train], y[train], features[test], y[test])


def hide_labels(y, fraction, rng):
    """Keep ``fraction`` of each class labelled (at least one row); the rest become -1."""
    kept = np.full_like(y, -1)
    for cls in np.unique(y):
        rows = np.flatnonzero(y == cls)
        n_keep = max(1, int(round(fraction * len(rows))))
        chosen = rng.choice(rows, n_keep, replace=False)
        kept[chosen] = y[chosen]
    return kept


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


def sklearn_methods(seed) -> dict:
    return {
        "(d) spread": LabelSpreading(kernel="knn", n_neighbors=10, max_iter=100),
        "(e) selftrain": SelfTrainingClassifier(LogisticRegression(max_iter=2000)),
    }


def mean_dur(history):
    return np.mean([row["dur"] for row in history]) if history else np.nan


def run_network(clf, task, y_partial) -> dict:
    start = time.perf_counter()
    clf.fit(task.X_train, y_partial)
    seconds = time.perf_counter() - start
    pred = clf.predict(task.X_test)
    row = {"acc": accuracy_score(task.y_test, pred),
           "nmi_pred": normalized_mutual_info_score(task.y_test, pred),
           "nmi_clusters": np.nan, "s_ae": np.nan, "s_dec": np.nan, "dec_epochs": np.nan,
           "s_ft": mean_dur(clf.history_), "fit_s": seconds,
           "params": sum(p.numel() for p in clf.net_.module_.parameters())}
    pre = clf.pretrainer_
    if pre is not None:
        clusters = pre.classes_[pre.predict(task.X_test)]
        row.update(nmi_clusters=normalized_mutual_info_score(task.y_test, clusters),
                   s_ae=mean_dur(pre.history_["autoencoder"]),
                   s_dec=mean_dur(pre.history_["clustering"]), dec_epochs=pre.n_iter_)
    return row


def run_sklearn(est, task, y_partial) -> dict:
    start = time.perf_counter()
    est.fit(task.pooled(task.X_train), y_partial)
    seconds = time.perf_counter() - start
    pred = est.predict(task.pooled(task.X_test))
    return {"acc": accuracy_score(task.y_test, pred),
            "nmi_pred": normalized_mutual_info_score(task.y_test, pred),
            "nmi_clusters": np.nan, "s_ae": np.nan, "s_dec": np.nan, "dec_epochs": np.nan,
            "s_ft": np.nan, "fit_s": seconds, "params": np.nan}


COLUMNS = ("acc", "nmi_pred", "nmi_clusters", "s_ae", "s_dec", "dec_epochs", "s_ft", "fit_s",
           "params")


def print_table(task_name, fraction, results):
    print(f"\n{task_name}, {fraction:.0%} labelled (mean over {len(next(iter(results.values())))}"
          " seed(s))")
    print(f"{'method':<14}" + "".join(f"{c:>13}" for c in COLUMNS))
    for method, rows in results.items():
        means = {c: np.nanmean([r[c] for r in rows]) if not all(np.isnan(r[c]) for r in rows)
                 else np.nan for c in COLUMNS}
        cells = "".join(f"{means[c]:>13.4g}" if not np.isnan(means[c]) else f"{'-':>13}"
                        for c in COLUMNS)
        print(f"{method:<14}{cells}", flush=True)


def n_params(pre, spec, n_classes=2):
    module = pre._build_module(parse_modalities(spec), n_classes)
    return sum(p.numel() for p in module.parameters())


def run_task(task, args, task_for_seed=None):
    """The labelled-fraction rows for one dataset.

    ``task_for_seed(seed)``, when given, draws a new dataset for every seed
    (``--redraw-data``); ``task`` is then seed 0's draw, used for the header.
    """
    summary = {}
    print(f"\n== {task.name}: {len(task.X_train)} train / {len(task.X_test)} test rows, "
          f"{task.X_train.shape[1]} columns, spec {task.spec}")
    print(f"autoencoder parameters (encoder + decoders + centres): benchmark architecture "
          f"{n_params(pretrainer(task.spec, args, 0), task.spec)}, DECPretrainer defaults "
          f"{n_params(DECPretrainer(modalities=task.spec), task.spec)} (paper: about 851K)",
          flush=True)
    seeds = range(args.first_seed, args.first_seed + args.seeds)
    for fraction in args.fractions:
        results = {}
        for seed in seeds:
            if task_for_seed is not None:
                task = task_for_seed(seed)
            y_partial = hide_labels(task.y_train, fraction, np.random.RandomState(seed))
            for name, clf in network_methods(task.spec, args, seed).items():
                results.setdefault(name, []).append(run_network(clf, task, y_partial))
            for name, est in sklearn_methods(seed).items():
                results.setdefault(name, []).append(run_sklearn(est, task, y_partial))
            if task.oracle_acc is not None:
                results.setdefault("(o) Bayes", []).append(
                    {c: task.oracle_acc if c == "acc" else np.nan for c in COLUMNS})
        print_table(task.name, fraction, results)
        if args.json:
            with open(args.json, "a") as out:
                for method, rows in results.items():
                    for seed, row in zip(seeds, rows):
                        out.write(json.dumps({"dataset": task.name, "fraction": fraction,
                                              "seed": seed, "method": method,
                                              "acc": row["acc"]}) + "\n")
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


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--full", action="store_true",
                        help="fractions 0.1..1.0 and 3 seeds (long: tens of minutes)")
    parser.add_argument("--fractions", type=float, nargs="+", default=None)
    parser.add_argument("--seeds", type=int, default=None)
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
    parser.add_argument("--first-seed", type=int, default=0,
                        help="seeds (label masks, networks, --redraw-data draws) are "
                             "first-seed .. first-seed + seeds - 1")
    parser.add_argument("--json", default=None,
                        help="also write every (dataset, fraction, seed, method) accuracy here, "
                             "one JSON object per line, for paired comparisons")
    parser.add_argument("--redraw-data", action="store_true",
                        help="synthetic data: a new draw (random_state=seed) for every seed "
                             "instead of draw 0 for all")
    parser.add_argument("--cache-dir", default=str(TEXT_CACHE_DIR),
                        help="TextEmbedder cache for the MOSI transcripts (shared with "
                             "bench_mmrest.py; entries are keyed by model and settings)")
    args = parser.parse_args()
    if args.fractions is None:
        args.fractions = FULL_FRACTIONS if args.full else (0.4,)
    if args.seeds is None:
        args.seeds = 3 if args.full else 1
    return args


def main():
    args = parse_args()
    print(f"settings: {vars(args)}")
    start = time.perf_counter()
    for dataset in args.datasets:
        if dataset == "mosi":
            task = mosi_task(args.cache_dir)
            print_target(task.name, run_task(task, args))
            continue
        noise = args.noise if dataset == "synthetic" else args.hard_noise
        task = synthetic_task(noise, seed=0)
        redraw = (lambda seed: synthetic_task(noise, seed=seed)) if args.redraw_data else None
        print_target(task.name, run_task(task, args, redraw))
    print(f"\ntotal {time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()
