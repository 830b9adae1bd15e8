"""CMCSL benchmark: the paper's protocol on synthetic data, plus propagation throughput.

Protocol (arXiv 2408.02568): labelled budgets of 1, 2, 5, 10, 20 rows per class;
5x2 repeated stratified CV (train on one half, with only ``budget`` labelled rows
per class, test on the other half); balanced accuracy of each modality's own
classifier and of the fused prediction. Methods: PRE (labelled rows only), UNI
(propagation inside each modality), CMCSL (both clustering modes, every
resolution rule), sklearn's LabelSpreading and SelfTrainingClassifier on the
same preprocessed features, each with GaussianNB, LogisticRegression and the
default skorch MLP.

Default run (about 25 minutes on 2 shared cores; ``--quick`` is a few
minutes): every scenario, task and budget with GaussianNB
(and the sklearn baselines); LogisticRegression and the MLP on the first
scenario, binary task, budgets 1 and 5; the throughput at 1e4, 1e5 and 1e6
rows. ``--full`` runs every classifier everywhere (about an hour on 2 cores).
The accuracy part runs torch on one thread (tiny matrices: a second thread only
adds OpenMP overhead on a shared CPU); the throughput part uses all threads.

    OMP_NUM_THREADS=2 python benchmarks/bench_cmcsl.py --quick    # ~3 min smoke run
    OMP_NUM_THREADS=2 python benchmarks/bench_cmcsl.py            # default (~25 min)
    OMP_NUM_THREADS=2 python benchmarks/bench_cmcsl.py --full     # full grid
    python benchmarks/bench_cmcsl.py --skip-accuracy              # throughput only
    python benchmarks/bench_cmcsl.py --skip-accuracy --device cuda  # throughput on a GPU
    # one slice of the grid, MLP only, means written to JSON (run many side by side)
    python benchmarks/bench_cmcsl.py --full --classifiers MLP --no-sklearn-baselines \
        --scenarios weak-2mod --tasks binary --budgets 1 --skip-throughput --json out.json
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
from pathlib import Path

import numpy as np
from sklearn.base import clone
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import balanced_accuracy_score
from sklearn.model_selection import RepeatedStratifiedKFold
from sklearn.naive_bayes import GaussianNB
from sklearn.semi_supervised import LabelSpreading, SelfTrainingClassifier

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from mmsense._contract import parse_modalities  # noqa: E402
from mmsense.cmcsl import CMCSLSelfLabeler, TorchMLPClassifier  # noqa: E402
from mmsense.cmcsl._features import make_preprocessor, pool_modalities  # noqa: E402
from mmsense.cmcsl._propagation import propagate  # noqa: E402
from mmsense.cmcsl._resolution import median_scale, modality_scores, resolve  # noqa: E402
from mmsense.datasets import make_multimodal_sentiment  # noqa: E402

BUDGETS = (1, 2, 5, 10, 20)
RULES = ("euclidean", "median_scaled", "ratio")
CLUSTERINGS = ("nearest_seed", "kmeans")

# name -> (modalities, informativeness, weak modality, strong modality, extra kwargs)
SCENARIOS = {
    "weak-2mod": ({"strong": 32, "weak": 32}, {"strong": 1.0, "weak": 0.3}, "weak", "strong"),
    "dim30x-2mod": ({"text": 16, "image": 480}, {"text": 1.0, "image": 0.12}, "image", "text"),
    # the weak modality is the low-dimensional one: raw distances favour it
    "dim30x-weaklow": ({"text": 16, "image": 480}, {"text": 0.35, "image": 0.3}, "text", "image"),
    "weak-3mod": ({"strong": 32, "mid": 24, "weak": 32},
                  {"strong": 1.0, "mid": 0.6, "weak": 0.3}, "weak", "strong"),
}
TASKS = {"binary": dict(task="binary", n_clusters=7), "multiclass": dict(task="multiclass",
                                                                         n_clusters=4)}


def classifiers(mlp_device="auto"):
    return {
        "GNB": GaussianNB(),
        "LR": LogisticRegression(max_iter=500),
        "MLP": TorchMLPClassifier(max_epochs=30, lr=3e-3, device=mlp_device, random_state=0),
    }


# the MLP outside --full: the baselines and the default rule only (it is ~50x slower)
MLP_DEFAULT_METHODS = {"PRE", "UNI/nearest_seed", "UNI/kmeans", "CMCSL/nearest_seed/ratio",
                       "CMCSL/kmeans/ratio", "CMCSL/nearest_seed/median_scaled",
                       "CMCSL/kmeans/median_scaled"}


def methods(n_modalities):
    """(label, CMCSLSelfLabeler params) for PRE, UNI and every CMCSL variant.

    With three or more modalities each rule also runs without the majority vote
    (``/novote``): with the vote, a rule only breaks ties.
    """
    out = [("PRE", dict(mode="pre"))]
    for cl in CLUSTERINGS:
        out.append((f"UNI/{cl}", dict(mode="uni", clustering=cl)))
    for cl in CLUSTERINGS:
        for rule in RULES:
            out.append((f"CMCSL/{cl}/{rule}", dict(mode="cmcsl", clustering=cl, resolution=rule)))
            if n_modalities > 2:
                out.append((f"CMCSL/{cl}/{rule}/novote",
                            dict(mode="cmcsl", clustering=cl, resolution=rule,
                                 majority_vote=False)))
    return out


def mask_budget(y, budget, rng):
    """Keep ``budget`` random labelled rows per class, -1 elsewhere."""
    out = np.full_like(y, -1)
    for c in np.unique(y):
        rows = rng.choice(np.flatnonzero(y == c), size=min(budget, (y == c).sum()), replace=False)
        out[rows] = c
    return out


def features(X_train, X_test, spec):
    """Per-modality preprocessed vectors (fitted on train), as CMCSL sees them."""
    specs = parse_modalities(spec, X_train.shape[1])
    train, test = pool_modalities(X_train, specs), pool_modalities(X_test, specs)
    out = {}
    for name in train:
        pre = make_preprocessor("l2_standard").fit(train[name])
        out[name] = (pre.transform(train[name]), pre.transform(test[name]))
    return out


def sklearn_baselines(feats, y_semi, y_test, clf):
    """LabelSpreading and SelfTraining per modality and on all modalities concatenated."""
    res = {}
    names = list(feats)
    views = {n: feats[n] for n in names}
    views["fused"] = (np.concatenate([feats[n][0] for n in names], axis=1),
                      np.concatenate([feats[n][1] for n in names], axis=1))
    for label, make in (("LabelSpreading", lambda: LabelSpreading(kernel="knn", n_neighbors=7)),
                        ("SelfTraining", lambda: SelfTrainingClassifier(clone(clf)))):
        scores = {}
        for view, (tr, te) in views.items():
            model = make().fit(tr, y_semi)
            scores[view] = balanced_accuracy_score(y_test, model.predict(te))
        res[label] = scores
    return res


def run_fold(X, y, spec, train, test, budget, rng, clfs, with_baselines, full):
    y_semi = mask_budget(y[train], budget, rng)
    out = {}
    for clf_name, clf in clfs.items():
        for label, params in methods(len(spec)):
            if clf_name == "MLP" and not full and label not in MLP_DEFAULT_METHODS:
                continue
            model = CMCSLSelfLabeler(clone(clf), modalities=spec, random_state=0,
                                     device="cpu" if clf_name != "MLP" else clf.device,
                                     **params)
            model.fit(X[train], y_semi)
            per_mod = model.modality_predict(X[test])
            scores = {m: balanced_accuracy_score(y[test], p) for m, p in per_mod.items()}
            scores["fused"] = balanced_accuracy_score(y[test], model.predict(X[test]))
            out[(clf_name, label)] = scores
        # SelfTraining refits its classifier up to 10 times per view: MLP only with --full
        if with_baselines and (clf_name != "MLP" or full):
            feats = features(X[train], X[test], spec)
            for label, scores in sklearn_baselines(feats, y_semi, y[test], clf).items():
                if label == "LabelSpreading" and clf_name != next(iter(clfs)):
                    continue  # does not depend on the classifier
                key = "LabelSpreading" if label == "LabelSpreading" else f"SelfTraining"
                out[(clf_name if label != "LabelSpreading" else "-", key)] = scores
    return out


def evaluate(scenario, task, budgets, clfs, n_samples, with_baselines=True, full=False):
    spec, info, weak, strong = SCENARIOS[scenario]
    X, y, spec = make_multimodal_sentiment(n_samples, spec, modality_informativeness=info,
                                           random_state=0, **TASKS[task])
    cv = RepeatedStratifiedKFold(n_splits=2, n_repeats=5, random_state=0)
    results = {}  # (budget, clf, method) -> {view: [scores]}
    for budget in budgets:
        rng = np.random.RandomState(budget)
        for train, test in cv.split(X, y):
            fold = run_fold(X, y, spec, train, test, budget, rng, clfs, with_baselines, full)
            for key, scores in fold.items():
                store = results.setdefault((budget,) + key, {})
                for view, s in scores.items():
                    store.setdefault(view, []).append(s)
    return results, weak, strong


def print_table(title, results, budgets, views):
    keys = sorted({k[1:] for k in results}, key=lambda k: (k[0], _method_order(k[1])))
    print(f"\n## {title}")
    header = "| clf | method | " + " | ".join(f"b={b}" for b in budgets) + " |"
    print(f"balanced accuracy, mean of 5x2 CV, cells = {' / '.join(views)}")
    print(header)
    print("|" + "---|" * (len(budgets) + 2))
    for clf, method in keys:
        cells = []
        for b in budgets:
            store = results.get((b, clf, method))
            cells.append(" / ".join(f"{np.mean(store[v]):.3f}" for v in views) if store else "")
        print(f"| {clf} | {method} | " + " | ".join(cells) + " |")


def _method_order(m):
    order = ["PRE", "UNI", "CMCSL", "LabelSpreading", "SelfTraining"]
    return (next(i for i, o in enumerate(order) if m.startswith(o)), m)


def print_targets(title, results, budgets, weak, strong, small=(1, 2, 5)):
    """Does CMCSL beat UNI and PRE on the weak modality; does it keep the strong one?"""
    print(f"\n### targets: {title}")
    clfs = sorted({k[1] for k in results if k[1] != "-"})
    for clf in clfs:
        for cl in CLUSTERINGS:
            for rule in [r + v for r in RULES for v in ("", "/novote")]:
                wins, strong_delta = [], []
                for b in budgets:
                    get = lambda m, v: np.mean(results[(b, clf, m)][v])  # noqa: E731
                    cm = f"CMCSL/{cl}/{rule}"
                    if (b, clf, cm) not in results:
                        continue
                    if b in small:
                        wins.append(get(cm, weak) > max(get(f"UNI/{cl}", weak), get("PRE", weak)))
                    strong_delta.append(get(cm, strong) - get(f"UNI/{cl}", strong))
                if not strong_delta:
                    continue
                print(f"{clf} {cl:12s} {rule:20s} weak beats UNI&PRE at small budgets: "
                      f"{sum(wins)}/{len(wins)}; strong vs UNI, per budget: "
                      + " ".join(f"{d:+.3f}" for d in strong_delta))


def throughput(sizes, n_seeds, n_features, n_classes, chunk_size, repeats, device="cpu"):
    print(f"\n## propagation throughput: 2 modalities x {n_features} features, {n_seeds} seeds, "
          f"{n_classes} classes, chunk_size={chunk_size}, nearest_seed + ratio resolution, "
          f"device {device}")
    import torch
    print(f"torch threads: {torch.get_num_threads()}", flush=True)
    print("| rows | median s | runs | rows/s | matmul GFLOP/s | peak RSS GB |")
    print("|---|---|---|---|---|---|")
    for n in sizes:
        rng = np.random.default_rng(0)
        mods = [rng.standard_normal((n, n_features), dtype=np.float32) for _ in range(2)]
        y = np.full(n, -1)
        seeds = rng.choice(n, n_seeds, replace=False)
        y[seeds] = np.arange(n_seeds) % n_classes
        labelled = y >= 0
        times = []
        for _ in range(repeats if n < 10**6 else max(1, repeats - 1)):
            t0 = time.perf_counter()
            labels, scores = [], []
            for Z in mods:
                prop = propagate(Z, labelled, y, n_classes, chunk_size=chunk_size, device=device)
                labels.append(prop.labels)
                scores.append(modality_scores(prop.class_distances, "ratio",
                                              median_scale(prop.class_distances, ~labelled)))
            resolve(np.stack(labels), np.stack(scores))
            times.append(time.perf_counter() - t0)
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
        med = float(np.median(times))
        gflops = 2 * 2 * n * n_seeds * n_features / med / 1e9  # 2 modalities, 2 FLOP per MAC
        print(f"| {n:,} | {med:.2f} | {len(times)} | {n / med:,.0f} | {gflops:.0f} | {rss:.1f} |",
              flush=True)
        del mods


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--full", action="store_true", help="MLP on every scenario and budget")
    p.add_argument("--quick", action="store_true",
                   help="smoke run: weak-2mod binary, GaussianNB only, budgets 1 5 20, "
                        "throughput up to 1e5 rows")
    p.add_argument("--n-samples", type=int, default=1000)
    p.add_argument("--budgets", type=int, nargs="+", default=list(BUDGETS))
    p.add_argument("--scenarios", nargs="+", default=list(SCENARIOS))
    p.add_argument("--tasks", nargs="+", default=list(TASKS))
    p.add_argument("--skip-accuracy", action="store_true")
    p.add_argument("--skip-throughput", action="store_true")
    p.add_argument("--sizes", type=float, nargs="+", default=[1e4, 1e5, 1e6])
    p.add_argument("--seeds", type=int, default=300)
    p.add_argument("--chunk-size", type=int, default=65536)
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--classifiers", nargs="+", choices=("GNB", "LR", "MLP"), default=None,
                   help="with --full: only these final classifiers")
    p.add_argument("--no-sklearn-baselines", action="store_true",
                   help="skip LabelSpreading and SelfTraining")
    p.add_argument("--mlp-device", default="auto", help="torch device of the MLP classifier")
    p.add_argument("--json", default=None,
                   help="also write every (budget, classifier, method, view) mean to this file")
    p.add_argument("--device", default="cpu",
                   help="torch device for the throughput part (host arrays in and out)")
    args = p.parse_args(argv)
    if args.quick:
        args.scenarios, args.tasks, args.budgets = ["weak-2mod"], ["binary"], [1, 5, 20]
        args.sizes = [s for s in args.sizes if s <= 1e5]
    start = time.perf_counter()
    import torch
    n_threads = torch.get_num_threads()
    all_results = []
    if not args.skip_accuracy:
        torch.set_num_threads(1)
        clfs = classifiers(args.mlp_device)
        if args.classifiers:
            clfs = {k: v for k, v in clfs.items() if k in args.classifiers}
        first = {"GNB": clfs["GNB"]} if not args.full else clfs
        for scenario in args.scenarios:
            for task in args.tasks:
                t0 = time.perf_counter()
                results, weak, strong = evaluate(scenario, task, args.budgets, first,
                                                 args.n_samples, full=args.full,
                                                 with_baselines=not args.no_sklearn_baselines)
                if (not args.full and not args.quick and scenario == args.scenarios[0]
                        and task == args.tasks[0]):
                    more = {k: v for k, v in clfs.items() if k != "GNB"}
                    extra, _, _ = evaluate(scenario, task, [b for b in args.budgets if b in (1, 5)],
                                           more, args.n_samples)
                    print(f"(LR, MLP: {time.perf_counter() - t0:.0f} s)", flush=True)
                    results.update(extra)
                views = [weak, strong, "fused"]
                title = f"{scenario} {task} (n={args.n_samples}; weak={weak}, strong={strong})"
                print_table(title, results, args.budgets, views)
                print_targets(title, results, args.budgets, weak, strong)
                print(f"({time.perf_counter() - t0:.0f} s)", flush=True)
                if args.json:
                    all_results.extend(
                        dict(scenario=scenario, task=task, budget=k[0], clf=k[1], method=k[2],
                             weak=weak, strong=strong,
                             views={view: float(np.mean(v)) for view, v in store.items()})
                        for k, store in results.items())
                    Path(args.json).write_text(json.dumps(all_results, indent=1))
                sys.stdout.flush()
    if not args.skip_throughput:
        torch.set_num_threads(n_threads)
        throughput([int(s) for s in args.sizes], args.seeds, 512, 5, args.chunk_size,
                   args.repeats, args.device)
    print(f"\ntotal {time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()
