"""Inference speed: rows per second of predict/transform for each estimator, against a floor.

Synthetic data (``make_multimodal_sentiment``: the generator's small default modalities,
or MOSI's widths and 375/500-step sequences with ``--spec mosi``), each estimator fitted
briefly, then ``predict`` (``transform`` for DECPretrainer) timed with the default
inference batch (``mmsense.nn.INFERENCE_BATCH_SIZE`` rows) and the estimators' default
``n_threads=1``. Next to it, in the same run:

* the forward pass's floating-point operations per row, counted with torch's
  ``FlopCounterMode`` on rows run one at a time (so only each row's real steps count;
  padding a batch to its longest row is work the estimator adds);
* the machine's float32 matrix-product rate on one thread (a 1024 x 1024 product);
* the share of that rate the whole ``predict`` call reaches (rows/s x FLOPs per row);
* the matrix-product floor: the forward pass's matrix products alone (captured from one
  pass over the batches ``predict`` forms, through torch's plain LSTM and attention
  kernels, so an LSTM's per-step products at their real, skinny shapes are among them),
  replayed on random data; what no implementation built from these products can beat
  (for an LSTM: what its recurrence allows), and the share of it ``predict`` reaches.

Medians of --repeats runs; the load average is printed. Rates are per CPU second (the
rows/s per wall-clock second are printed too): on one thread the two agree on a quiet
machine, and CPU time stays meaningful while other jobs share the cores.

    python -m benchmarks.bench_inference [--n-samples 1284] [--repeats 5] [--spec mosi]
"""

import argparse
import os
from contextlib import contextmanager

import numpy as np
import torch
from torch.utils._python_dispatch import TorchDispatchMode
from torch.utils.flop_counter import FlopCounterMode, sdpa_flop_count

from mmsense import (
    DECClassifier,
    DECPretrainer,
    MMRestRegressor,
    TorchMLPClassifier,
)
from mmsense.datasets import make_multimodal_sentiment
from mmsense.nn import batch_of, predict_batches, torch_threads

from ._common import (gemm_rate, load_average, median_seconds, network_inputs,
                      parse_modalities)

MOSI_SPEC = {"text": 768, "audio": (375, 5), "vision": (500, 20)}
GEMM_SIZE = 1024
FLOP_SAMPLE_ROWS = 32


def rows_per_second(call, n_rows, repeats):
    """Rows per wall-clock second and per CPU second of ``call()`` (medians)."""
    wall, cpu = median_seconds(call, repeats)
    return n_rows / wall, n_rows / cpu


def _sdpa_flops(query_shape, key_shape, value_shape, *args, out_shape=None, **kwargs):
    return sdpa_flop_count(query_shape, key_shape, value_shape)


@contextmanager
def countable_kernels():
    """Run LSTMs and Transformer layers through kernels FlopCounterMode can see."""
    fastpath = torch.backends.mha.get_fastpath_enabled()
    torch.backends.mha.set_fastpath_enabled(False)
    try:
        with torch.backends.mkldnn.flags(enabled=False):
            yield
    finally:
        torch.backends.mha.set_fastpath_enabled(fastpath)


@torch.no_grad()
def flops_per_row(module, inputs, n_rows, seed=0):
    """Mean forward FLOPs of rows run one at a time (each trimmed to its real steps)."""
    rows = np.random.RandomState(seed).choice(n_rows, min(FLOP_SAMPLE_ROWS, n_rows),
                                              replace=False)
    mapping = {torch.ops.aten._scaled_dot_product_flash_attention_for_cpu: _sdpa_flops}
    counter = FlopCounterMode(display=False, custom_mapping=mapping)
    was_training = module.training
    module.eval()
    with countable_kernels(), counter:
        for row in rows:
            module(**batch_of(inputs, [row], "cpu"))
    module.train(was_training)
    return counter.get_total_flops() / len(rows)


aten = torch.ops.aten
# the matrix products (and the attention kernel, two of them) a forward pass is made of
MATMUL_OPS = {aten.mm.default, aten.addmm.default, aten.bmm.default, aten.baddbmm.default,
              aten.convolution.default, aten._scaled_dot_product_flash_attention_for_cpu.default}


class MatmulRecorder(TorchDispatchMode):
    """Records the matrix products dispatched inside it: op, tensor shapes, other args."""

    def __init__(self):
        super().__init__()
        self.calls = []

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        if func in MATMUL_OPS:
            self.calls.append((func, [_spec(a) for a in args],
                               {k: _spec(v) for k, v in kwargs.items()}))
        return func(*args, **kwargs)


def _spec(value):
    if isinstance(value, torch.Tensor):
        return ("tensor", tuple(value.shape), value.dtype)
    return value


def _materialise(spec):
    if isinstance(spec, tuple) and len(spec) == 3 and spec[0] == "tensor":
        _, shape, dtype = spec
        return torch.randn(shape) if dtype.is_floating_point else torch.zeros(shape, dtype=dtype)
    return spec


def matmul_floor(module, inputs, method, repeats):
    """CPU seconds of the matrix products alone of one ``predict_batches`` pass: the
    same batches and shapes (an LSTM's per-step products included), replayed on random
    data with nothing between them. No implementation of the forward pass built from
    these products can take less."""
    recorder = MatmulRecorder()
    with countable_kernels(), torch_threads(1), recorder:
        predict_batches(module, inputs, method=method)
    calls = [(func, [_materialise(a) for a in args],
              {k: _materialise(v) for k, v in kwargs.items()})
             for func, args, kwargs in recorder.calls]

    def replay():
        for func, args, kwargs in calls:
            func(*args, **kwargs)

    with torch.no_grad(), torch_threads(1):
        return median_seconds(replay, repeats)[1]


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


def forward_module_and_inputs(model, X, spec):
    """The torch module ``predict``/``transform`` runs, and its network-input dict."""
    if isinstance(model, TorchMLPClassifier):
        return model.net_.module_, {"X": X.astype(np.float32)}
    inputs = network_inputs(X, parse_modalities(spec, X.shape[1]))
    module = model.net_.module_
    return (module.encoder if isinstance(model, DECPretrainer) else module), inputs


def fitted(model, task, n_samples, data_spec):
    X, y, spec = make_multimodal_sentiment(n_samples, data_spec, task=task, random_state=0)
    if isinstance(model, TorchMLPClassifier):
        X = X[:, :spec["text"]]  # the static text block (the MLP takes a plain matrix)
    else:
        model.set_params(**({"pretrainer__modalities": spec} if "pretrainer" in
                            model.get_params() else {"modalities": spec}))
    return model.fit(X, y), X, spec


def measure(model, method, X, spec, repeats, rate):
    """One table row: rows/s (wall and CPU), MFLOP/row, GFLOP/s, share of the GEMM peak,
    the matmul floor's rows/s and the share of it reached."""
    call = getattr(model, method)
    wall, speed = rows_per_second(lambda: call(X), len(X), repeats)
    module, inputs = forward_module_and_inputs(model, X, spec)
    flops = flops_per_row(module, inputs, len(X))
    floor_rows = len(X) / matmul_floor(module, inputs, "forward", repeats)
    return (f"{wall:9.0f} {speed:10.0f} {flops / 1e6:10.3f} {speed * flops / 1e9:8.2f} "
            f"{speed * flops / rate:8.1%} {floor_rows:12.0f} {speed / floor_rows:9.1%}")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-samples", type=int, default=1284)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--spec", choices=("small", "mosi"), default="small",
                        help="the generator's small default modalities or MOSI's shapes")
    parser.add_argument("--only", nargs="*", default=None,
                        help="estimators to run (names as printed, e.g. MMRestRegressor)")
    args = parser.parse_args(argv)
    data_spec = MOSI_SPEC if args.spec == "mosi" else None
    rate = gemm_rate(args.repeats, GEMM_SIZE)
    print(f"{load_average()}, {os.cpu_count()} CPUs; medians of {args.repeats} runs, "
          f"{args.n_samples} rows, {args.spec} modalities; float32 {GEMM_SIZE}^3 matrix "
          f"product on 1 thread: {rate / 1e9:.1f} GFLOP per CPU second")
    print(f"{'estimator':<28} {'rows/s':>9} {'rows/CPU s':>10} {'MFLOP/row':>10} "
          f"{'GFLOP/s':>8} {'of peak':>8} {'floor rows/s':>12} {'of floor':>9}")
    for name, (model, task, method) in models(None).items():
        if args.only and not any(name.startswith(prefix) for prefix in args.only):
            continue
        model, X, spec = fitted(model, task, args.n_samples, data_spec)
        print(f"{name:<28} {measure(model, method, X, spec, args.repeats, rate)}", flush=True)
    print(f"(MFLOP/row: FlopCounterMode, rows run one at a time, mean of {FLOP_SAMPLE_ROWS}; "
          f"GFLOP/s and the shares: per CPU second; of peak: of the {GEMM_SIZE}^3 product's "
          f"rate; floor: the forward pass's matrix products alone, replayed at the shapes "
          f"predict runs them; {load_average()})")


if __name__ == "__main__":
    main()
