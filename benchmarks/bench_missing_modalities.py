"""Scores against the fraction of rows missing audio, vision or both (issue 14, section 1).

On MOSI-size synthetic tri-modal data (``make_multimodal_sentiment``: text 32,
audio (20, 5), vision (20, 8); the first ``MOSI_SIZES`` rows train, the last
686 test), a fraction of the rows (0, 10, 30, 50 %) loses audio, vision or both
(the block becomes all NaN, the contract's missing modality). Two cases:

* ``fit+predict``: that fraction of the training rows and of the test rows;
* ``predict``: the model is fitted on complete rows, that fraction of the test
  rows is missing.

Each estimator runs ``native`` (it takes the missing modality itself) next to
``impute``, the simple alternative a user would try: scikit-learn's
``SimpleImputer(strategy="mean", add_indicator=True)`` in front of the same
estimator, the indicator columns passed as one more static modality,
``"missing"``. The data are generated without padding (``unaligned=False``)
so that the imputer fills the missing blocks only (it would fill sequence
padding too). For CMCSL the imputer adds no indicator: every CMCSL modality
proposes labels and votes, and an indicator modality would vote for one class
on every row. Scores: test balanced accuracy (classifiers, binary polarity,
``--labeled-fraction`` of the training rows labeled) or MAE (MMRestRegressor,
every row labeled), mean over ``--seeds`` data draws.

    python -m benchmarks.bench_missing_modalities                 # default: 2 draws (~15 min)
    python -m benchmarks.bench_missing_modalities --estimators cmcsl-gnb --seeds 3
    python -m benchmarks.bench_missing_modalities --n-samples 300 --epochs 2 --seeds 1 \
        --fractions 0 0.5                                          # a quick look
"""

from __future__ import annotations

import time

import numpy as np
from sklearn.impute import SimpleImputer
from sklearn.metrics import balanced_accuracy_score, mean_absolute_error
from sklearn.naive_bayes import GaussianNB
from sklearn.pipeline import make_pipeline

from benchmarks._common import (MOSI_SIZES, add_json_option, load_average, make_parser, md_header,
                                md_row, timed, write_json)
from mmsense import (CMCSLSelfLabeler, DECClassifier, DECPretrainer, MMRestRegressor,
                     TorchMLPClassifier)
from mmsense.datasets import make_multimodal_sentiment

FRACTIONS = (0.0, 0.1, 0.3, 0.5)
MISSING = {"audio": ("audio",), "vision": ("vision",), "both": ("audio", "vision")}
CASES = ("fit+predict", "predict")
ESTIMATORS = ("dec", "cmcsl-gnb", "cmcsl-mlp", "mmrest")


def make_estimator(name, spec, epochs, seed):
    """A small, seeded estimator for ``spec``; which score it gets follows from its name."""
    if name == "dec":
        pre = DECPretrainer(modalities=spec, embed_dim=16, num_heads=2, num_layers=1,
                            hidden_dims=(32,), latent_dim=8, pretrain_max_epochs=epochs,
                            max_epochs=epochs, n_init=3, random_state=seed)
        return DECClassifier(pre, max_epochs=epochs, random_state=seed)
    if name == "cmcsl-gnb":
        return CMCSLSelfLabeler(GaussianNB(), modalities=spec)
    if name == "cmcsl-mlp":
        mlp = TorchMLPClassifier(max_epochs=epochs, lr=3e-3, device="cpu", random_state=seed)
        return CMCSLSelfLabeler(mlp, modalities=spec, device="cpu")
    return MMRestRegressor(modalities=spec, hidden_dim=16, decision_dim=16, lstm_hidden_dim=16,
                           max_epochs=epochs, device="cpu", random_state=seed)


def is_regressor(name) -> bool:
    return name == "mmrest"


def draw(name, args, seed):
    """``(X_train, y_train, X_test, y_test, spec)`` of data draw ``seed``."""
    n_test = round(args.n_samples * MOSI_SIZES[2] / (MOSI_SIZES[0] + MOSI_SIZES[2]))
    task = "regression" if is_regressor(name) else "binary"
    labeled = 1.0 if is_regressor(name) else args.labeled_fraction
    X, y, spec, latent = make_multimodal_sentiment(
        args.n_samples, task=task, noise=args.noise, unaligned=False, labeled_fraction=labeled,
        return_latent=True, random_state=seed)
    truth = latent.score if is_regressor(name) else (latent.score >= 0).astype(np.int64)
    cut = args.n_samples - n_test
    return X[:cut], y[:cut], X[cut:], truth[cut:], spec


def drop(X, spec, names, fraction, rng):
    """A copy of ``X`` with ``names`` missing (all NaN) on ``fraction`` of the rows."""
    X = X.copy()
    rows = rng.choice(len(X), int(round(fraction * len(X))), replace=False)
    start = 0
    for name, shape in spec.items():
        width = shape if isinstance(shape, int) else shape[0] * shape[1]
        if name in names:
            X[np.ix_(rows, np.arange(start, start + width))] = np.nan
        start += width
    return X


def imputing(name, spec, X_train, epochs, seed):
    """SimpleImputer (indicator columns as a ``"missing"`` modality, not for CMCSL) + estimator."""
    indicator = not name.startswith("cmcsl")
    n_indicators = int(np.isnan(X_train).any(axis=0).sum()) if indicator else 0
    spec = {**spec, "missing": n_indicators} if n_indicators else spec
    return make_pipeline(SimpleImputer(strategy="mean", add_indicator=indicator),
                         make_estimator(name, spec, epochs, seed))


def score(name, model, X_test, y_test) -> float:
    predicted = model.predict(X_test)
    if is_regressor(name):
        return float(mean_absolute_error(y_test, predicted))
    return float(balanced_accuracy_score(y_test, predicted))


def run_complete(name, data, args, seed, add):
    """Fraction 0, and every ``predict`` case: one model fitted on the complete rows."""
    X_train, y_train, X_test, y_test, spec = data
    model = make_estimator(name, spec, args.epochs, seed).fit(X_train, y_train)
    imputer = SimpleImputer(strategy="mean").fit(X_train)
    for case in CASES:
        for missing in MISSING:
            for method in ("native", "impute"):
                add(case, missing, method, 0.0, score(name, model, X_test, y_test))
    for fraction in (f for f in args.fractions if f > 0):
        for missing, names in MISSING.items():
            X_miss = drop(X_test, spec, names, fraction, np.random.RandomState([seed, 1]))
            add("predict", missing, "native", fraction, score(name, model, X_miss, y_test))
            add("predict", missing, "impute", fraction,
                score(name, model, imputer.transform(X_miss).astype(X_miss.dtype), y_test))


def run_missing_at_fit(name, data, args, seed, add):
    """Every ``fit+predict`` case above fraction 0: two fits (native, impute) per case."""
    X_train, y_train, X_test, y_test, spec = data
    for fraction in (f for f in args.fractions if f > 0):
        for missing, names in MISSING.items():
            X_tr = drop(X_train, spec, names, fraction, np.random.RandomState([seed, 0]))
            X_te = drop(X_test, spec, names, fraction, np.random.RandomState([seed, 1]))
            native = make_estimator(name, spec, args.epochs, seed).fit(X_tr, y_train)
            add("fit+predict", missing, "native", fraction, score(name, native, X_te, y_test))
            imputed = imputing(name, spec, X_tr, args.epochs, seed).fit(X_tr, y_train)
            add("fit+predict", missing, "impute", fraction, score(name, imputed, X_te, y_test))


def run_estimator(name, args) -> dict:
    """``{(case, missing, method, fraction): [score per seed]}`` for one estimator."""
    results = {}

    def add(case, missing, method, fraction, value):
        results.setdefault((case, missing, method, fraction), []).append(value)

    for seed in range(args.first_seed, args.first_seed + args.seeds):
        data = draw(name, args, seed)
        run_complete(name, data, args, seed, add)
        run_missing_at_fit(name, data, args, seed, add)
    return results


def cell(values) -> str:
    if len(values) == 1:
        return f"{values[0]:.3f}"
    return f"{np.mean(values):.3f} ± {np.std(values, ddof=1):.3f}"


def print_table(name, results, fractions):
    metric = "MAE (lower is better)" if is_regressor(name) else "balanced accuracy"
    print(f"\n### {name}: test {metric}, fraction of rows missing the modality\n")
    print(md_header(["case", "missing", "method", *(f"{f:.0%}" for f in fractions)]))
    for case in CASES:
        for missing in MISSING:
            for method in ("native", "impute"):
                cells = [cell(results[(case, missing, method, f)]) for f in fractions]
                print(md_row([case, missing, method, *cells]))


def parse_args(argv=None):
    parser = make_parser(__doc__)
    parser.add_argument("--estimators", nargs="+", choices=ESTIMATORS, default=list(ESTIMATORS))
    parser.add_argument("--fractions", type=float, nargs="+", default=list(FRACTIONS),
                        help="fractions of rows missing the modality (0 is always run)")
    parser.add_argument("--seeds", type=int, default=2, help="data draws (and model seeds)")
    parser.add_argument("--first-seed", type=int, default=0)
    parser.add_argument("--n-samples", type=int, default=MOSI_SIZES[0] + MOSI_SIZES[2],
                        help="rows drawn; about 35%% of them test (MOSI's train + test size)")
    parser.add_argument("--epochs", type=int, default=10,
                        help="epoch cap of every network phase (DEC, MLP, MMRest)")
    parser.add_argument("--noise", type=float, default=4.0, help="synthetic noise sd")
    parser.add_argument("--labeled-fraction", type=float, default=0.1,
                        help="labeled share of the training rows (classifiers)")
    add_json_option(parser, "also write every score here (JSON)")
    args = parser.parse_args(argv)
    args.fractions = sorted({0.0, *args.fractions})
    return args


def main(argv=None):
    args = parse_args(argv)
    print(f"settings: {vars(args)}\n{load_average()}", flush=True)
    everything = {}
    for name in args.estimators:
        cpu = time.process_time()
        try:
            seconds, results = timed(lambda: run_estimator(name, args))
        except (ValueError, TypeError, RuntimeError) as error:  # reported, the others still run
            print(f"\n### {name}: failed: {type(error).__name__}: {error}")
            continue
        print_table(name, results, args.fractions)
        print(f"\n{name}: {seconds:.0f} s wall, {time.process_time() - cpu:.0f} s CPU "
              f"({load_average()})", flush=True)
        everything[name] = [{"case": c, "missing": m, "method": k, "fraction": f, "scores": v}
                            for (c, m, k, f), v in results.items()]
    if args.json:
        write_json(args.json, everything)


if __name__ == "__main__":
    main()
