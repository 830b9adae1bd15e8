"""Inference speed: rows per second of predict/transform for each estimator.

MOSI-size synthetic data (``make_multimodal_sentiment``, default modalities), each
estimator fitted briefly, then ``predict`` (``transform`` for DECPretrainer) timed with
the default inference batch (``mmsense.nn.INFERENCE_BATCH_SIZE`` rows). Medians of
--repeats runs; the load average is printed.

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
        "MMRestRegressor.predict": (MMRestRegressor(modalities=spec, max_epochs=1, device="cpu",
                                                    random_state=0), "regression", "predict"),
        "DECPretrainer.transform": (pre, "binary", "transform"),
        "DECClassifier.predict": (DECClassifier(pre, max_epochs=1, device="cpu",
                                                random_state=0), "binary", "predict"),
        "TorchMLPClassifier.predict": (TorchMLPClassifier(max_epochs=1, device="cpu",
                                                          random_state=0), "binary", "predict"),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-samples", type=int, default=1284)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    print(f"load average {' '.join(f'{v:.2f}' for v in os.getloadavg())}, {os.cpu_count()} "
          f"CPUs; medians of {args.repeats} runs, {args.n_samples} rows")
    print(f"{'estimator':<28} {'rows/s':>10}")
    for name, (model, task, method) in models(None).items():
        X, y, spec = make_multimodal_sentiment(args.n_samples, task=task, random_state=0)
        if isinstance(model, TorchMLPClassifier):
            X = X[:, :spec["text"]]  # the static text block (the MLP takes a plain matrix)
        else:
            model.set_params(**({"pretrainer__modalities": spec} if "pretrainer" in
                                model.get_params() else {"modalities": spec}))
        model.fit(X, y)
        call = getattr(model, method)
        print(f"{name:<28} {rows_per_second(lambda: call(X), len(X), args.repeats):10.0f}")


if __name__ == "__main__":
    main()
