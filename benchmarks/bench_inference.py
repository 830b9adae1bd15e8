"""Inference speed: rows per second of predict/transform for each estimator.

MOSI-size synthetic data (``make_multimodal_sentiment``, default modalities), each
estimator fitted briefly, then ``predict`` (``transform`` for DECPretrainer) timed with the
default large inference batch and with the training batch size (the old behaviour), in
the same run. Medians of --repeats runs; the load average is printed.

    python benchmarks/bench_inference.py [--n-samples 1284] [--repeats 5]
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from mmsense import (  # noqa: E402
    DECClassifier,
    DECPretrainer,
    MMRestRegressor,
    TorchMLPClassifier,
)
from mmsense.datasets import make_multimodal_sentiment  # noqa: E402


def rows_per_second(call, n_rows, repeats):
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    return n_rows / statistics.median(times)


def models(spec):
    pre = DECPretrainer(2, modalities=spec, pretrain_max_epochs=1, max_epochs=1, device="cpu",
                        random_state=0)
    return {
        "MMRestRegressor.predict": (MMRestRegressor(spec, max_epochs=1, device="cpu",
                                                    random_state=0), "regression", "predict"),
        "DECPretrainer.transform": (pre, "binary", "transform"),
        "DECClassifier.predict": (DECClassifier(pre, max_epochs=1, device="cpu",
                                                random_state=0), "binary", "predict"),
        "TorchMLPClassifier.predict": (TorchMLPClassifier(max_epochs=1, device="cpu",
                                                          random_state=0), "binary", "predict"),
    }


def training_batches(model):
    """Force inference back to the training batch size (what predict used before)."""
    for est in (model, getattr(model, "pretrainer", None), getattr(model, "pretrainer_", None)):
        if est is None:
            continue
        if hasattr(est, "_inference_rows"):
            est._inference_rows = lambda specs, est=est: est.batch_size
        if hasattr(est, "net_"):
            est.net_.iterator_valid__batch_size = est.batch_size


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-samples", type=int, default=1284)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    print(f"load average {' '.join(f'{v:.2f}' for v in os.getloadavg())}, {os.cpu_count()} "
          f"CPUs; medians of {args.repeats} runs, {args.n_samples} rows")
    print(f"{'estimator':<28} {'rows/s large':>12} {'rows/s train':>12} {'ratio':>6}")
    for name, (model, task, method) in models(None).items():
        X, y, spec = make_multimodal_sentiment(args.n_samples, task=task, random_state=0)
        if isinstance(model, TorchMLPClassifier):
            X = X[:, :spec["text"]]  # the static text block (the MLP takes a plain matrix)
        else:
            model.set_params(**({"pretrainer__modalities": spec} if "pretrainer" in
                                model.get_params() else {"modalities": spec}))
        model.fit(X, y)
        call = getattr(model, method)
        large = rows_per_second(lambda: call(X), len(X), args.repeats)
        training_batches(model)
        small = rows_per_second(lambda: call(X), len(X), args.repeats)
        print(f"{name:<28} {large:12.0f} {small:12.0f} {large / small:6.2f}")


if __name__ == "__main__":
    main()
