"""CMCSL benchmark: the paper's protocol on synthetic data, plus propagation throughput.

(The whole ``fit`` and ``predict`` at scale, against their floors: bench_cmcsl_fit.)

Protocol (arXiv 2408.02568): labeled budgets of 1, 2, 5, 10, 20 rows per class;
5x2 repeated stratified CV (train on one half, with only ``budget`` labeled rows
per class, test on the other half); balanced accuracy of each modality's own
classifier and of the fused prediction. Methods: PRE (labeled rows only), UNI
(propagation inside each modality), CMCSL (both clustering modes, every
resolution rule), sklearn's LabelSpreading and SelfTrainingClassifier on the
same preprocessed features, each with GaussianNB, LogisticRegression and the
default skorch MLP.

Default run (about 25 minutes on 2 shared cores; ``--quick`` is a few
minutes): every scenario, task and budget with GaussianNB
(and the sklearn baselines); LogisticRegression and the MLP on the first
scenario, binary task, budgets 1 and 5; the throughput at 1e4, 1e5 and 1e6
rows, each also as a ratio to its floor, the float32 distance products alone
(rows x seeds per modality) timed next to it in every repeat. ``--full`` runs
every classifier everywhere (about an hour on 2 cores).
The accuracy part runs torch on one thread (tiny matrices: a second thread only
adds OpenMP overhead on a shared CPU); the throughput part uses all threads.

    OMP_NUM_THREADS=2 python -m benchmarks.bench_cmcsl --quick    # ~3 min smoke run
    OMP_NUM_THREADS=2 python -m benchmarks.bench_cmcsl            # default (~25 min)
    OMP_NUM_THREADS=2 python -m benchmarks.bench_cmcsl --full     # full grid
    python -m benchmarks.bench_cmcsl --skip-accuracy              # throughput only
    python -m benchmarks.bench_cmcsl --skip-accuracy --device cuda  # throughput on a GPU
    # one slice of the grid, MLP only, means written to JSON (run many side by side)
    python -m benchmarks.bench_cmcsl --full --classifiers MLP --no-sklearn-baselines \
        --scenarios weak-2mod --tasks binary --budgets 1 --skip-throughput --json out.json
"""

from __future__ import annotations

import statistics
import sys
import time
from functools import partial

import numpy as np
import torch
from sklearn.base import clone
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import balanced_accuracy_score
from sklearn.model_selection import RepeatedStratifiedKFold
from sklearn.naive_bayes import GaussianNB
from sklearn.semi_supervised import LabelSpreading, SelfTrainingClassifier

from benchmarks._common import (add_device_option, add_json_option, distance_product_seconds,
                                hide_labels, load_average, make_parser, make_preprocessor,
                                md_header, md_row, median_scale, modality_scores,
                                modality_vectors, parse_modalities, peak_rss_mib, propagate,
                                resolve, timed, write_json)
from mmsense import CMCSLSelfLabeler, TorchMLPClassifier
from mmsense.datasets import make_multimodal_sentiment

BUDGETS = (1, 2, 5, 10, 20)
RULES = ("euclidean", "median_scaled", "ratio", "reliability")
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


def features(X_train, X_test, spec):
    """Per-modality preprocessed vectors (fitted on train), as CMCSL sees them."""
    specs = parse_modalities(spec, X_train.shape[1])
    train, test = modality_vectors(X_train, specs), modality_vectors(X_test, specs)
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
    y_semi = hide_labels(y[train], rng, per_class=budget)
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
                out[(clf_name if label != "LabelSpreading" else "-", label)] = scores
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
    print(f"balanced accuracy, mean of 5x2 CV, cells = {' / '.join(views)}")
    print(md_header(["clf", "method", *(f"b={b}" for b in budgets)]))
    for clf, method in keys:
        cells = []
        for b in budgets:
            store = results.get((b, clf, method))
            cells.append(" / ".join(f"{np.mean(store[v]):.3f}" for v in views) if store else "")
        print(md_row([clf, method, *cells]))


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


def propagate_and_resolve(mods, labeled, y, n_classes, chunk_size, device):
    """CMCSL's propagation in every modality, then the ratio resolution across them."""
    labels, scores = [], []
    for Z in mods:
        prop = propagate(Z, labeled, y, n_classes, chunk_size=chunk_size, device=device)
        labels.append(prop.labels)
        scores.append(modality_scores(prop.class_distances, "ratio",
                                      median_scale(prop.class_distances, ~labeled)))
    return resolve(np.stack(labels), np.stack(scores))


def throughput(sizes, n_seeds, n_features, n_classes, chunk_size, repeats, device="cpu"):
    print(f"\n## propagation throughput: 2 modalities x {n_features} features, {n_seeds} seeds, "
          f"{n_classes} classes, chunk_size={chunk_size}, nearest_seed + ratio resolution, "
          f"device {device}")
    print(f"torch threads: {torch.get_num_threads()}, {load_average()}", flush=True)
    print("floor: the float32 distance products alone (rows x seeds, per modality), timed in "
          "each repeat next to the propagation; ratio: median of the repeats' ratios")
    print(md_header(["rows", "median s", "runs", "rows/s", "matmul GFLOP/s", "floor s",
                     "ratio to floor", "peak RSS GB"]))
    for n in sizes:
        rng = np.random.default_rng(0)
        mods = [rng.standard_normal((n, n_features), dtype=np.float32) for _ in range(2)]
        y = np.full(n, -1)
        seeds = rng.choice(n, n_seeds, replace=False)
        y[seeds] = np.arange(n_seeds) % n_classes
        labeled = y >= 0
        run = partial(propagate_and_resolve, mods, labeled, y, n_classes, chunk_size, device)
        n_runs = repeats if n < 10**6 else max(1, repeats - 1)
        times, floors = timed_against_floor(run, mods, labeled, chunk_size, device, n_runs)
        med = statistics.median(times)
        rss = peak_rss_mib() / 2**10
        gflops = 2 * 2 * n * n_seeds * n_features / med / 1e9  # 2 modalities, 2 FLOP per MAC
        ratio = statistics.median(t / f for t, f in zip(times, floors))
        print(md_row([f"{n:,}", f"{med:.2f}", n_runs, f"{n / med:,.0f}", f"{gflops:.0f}",
                      f"{statistics.median(floors):.2f}", f"{ratio:.2f}", f"{rss:.1f}"]),
              flush=True)
        del run, mods


def timed_against_floor(run, mods, labeled, chunk_size, device, n_runs):
    """Seconds of ``run()`` and of the bare distance products, one of each per repeat."""
    times, floors = [], []
    for _ in range(n_runs):
        times.append(timed(run)[0])
        floors.append(sum(distance_product_seconds(Z, Z[labeled], chunk_size, device)
                          for Z in mods))
    return times, floors


def parse_args(argv=None):
    p = make_parser(__doc__)
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
    p.add_argument("--seeds", type=int, default=300,
                   help="throughput: labeled seed rows (not random seeds)")
    p.add_argument("--chunk-size", type=int, default=65536)
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--classifiers", nargs="+", choices=("GNB", "LR", "MLP"), default=None,
                   help="with --full: only these final classifiers")
    p.add_argument("--no-sklearn-baselines", action="store_true",
                   help="skip LabelSpreading and SelfTraining")
    p.add_argument("--mlp-device", default="auto", help="torch device of the MLP classifier")
    add_json_option(p, "also write every (budget, classifier, method, view) mean to this file")
    add_device_option(p, "cpu", "torch device for the throughput part (host arrays in and out)")
    args = p.parse_args(argv)
    if args.quick:
        args.scenarios, args.tasks, args.budgets = ["weak-2mod"], ["binary"], [1, 5, 20]
        args.sizes = [s for s in args.sizes if s <= 1e5]
    return args


def accuracy_section(args, scenario, task, clfs):
    """Evaluate one (scenario, task), print its table and targets; return its results."""
    t0 = time.perf_counter()
    first = {"GNB": clfs["GNB"]} if not args.full else clfs
    results, weak, strong = evaluate(scenario, task, args.budgets, first, args.n_samples,
                                     full=args.full,
                                     with_baselines=not args.no_sklearn_baselines)
    if (not args.full and not args.quick and scenario == args.scenarios[0]
            and task == args.tasks[0]):
        more = {k: v for k, v in clfs.items() if k != "GNB"}
        extra, _, _ = evaluate(scenario, task, [b for b in args.budgets if b in (1, 5)],
                               more, args.n_samples)
        print(f"(LR, MLP: {time.perf_counter() - t0:.0f} s)", flush=True)
        results.update(extra)
    title = f"{scenario} {task} (n={args.n_samples}; weak={weak}, strong={strong})"
    print_table(title, results, args.budgets, [weak, strong, "fused"])
    print_targets(title, results, args.budgets, weak, strong)
    print(f"({time.perf_counter() - t0:.0f} s)", flush=True)
    return [dict(scenario=scenario, task=task, budget=k[0], clf=k[1], method=k[2],
                 weak=weak, strong=strong,
                 views={view: float(np.mean(v)) for view, v in store.items()})
            for k, store in results.items()]


def run_accuracy(args):
    clfs = classifiers(args.mlp_device)
    if args.classifiers:
        clfs = {k: v for k, v in clfs.items() if k in args.classifiers}
    all_results = []
    for scenario in args.scenarios:
        for task in args.tasks:
            all_results.extend(accuracy_section(args, scenario, task, clfs))
            if args.json:
                write_json(args.json, all_results)
            sys.stdout.flush()


def main(argv=None):
    args = parse_args(argv)
    start = time.perf_counter()
    n_threads = torch.get_num_threads()
    if not args.skip_accuracy:
        torch.set_num_threads(1)
        run_accuracy(args)
    if not args.skip_throughput:
        torch.set_num_threads(n_threads)
        throughput([int(s) for s in args.sizes], args.seeds, 512, 5, args.chunk_size,
                   args.repeats, args.device)
    print(f"\ntotal {time.perf_counter() - start:.0f} s ({load_average()})")


if __name__ == "__main__":
    main()
