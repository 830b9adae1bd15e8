"""Validation-split sweep of DEC pretraining settings, one (dataset, variant, seed) per call.

Picks DECPretrainer/DECClassifier defaults on validation data only: CMU-MOSI's
standard *valid* split (text features) and a validation part of the synthetic
data; the test accuracy is recorded for the report, never for the choice.
Each call prints one JSON line, so many calls can run side by side:

    python -m benchmarks.sweep_dec --list                       # the variants
    python -m benchmarks.sweep_dec mosi c 0 --mosi-npz mosi_text.npz

``--mosi-npz`` is an ``np.savez`` of ``X`` (TextEmbedder features of every MOSI
transcript), ``y`` (polarity) and ``split`` (train/valid/test), so the sweep
needs neither the shared data nor the text model where it runs.
"""

from __future__ import annotations

import json

import numpy as np
import torch
from sklearn.metrics import accuracy_score

from benchmarks._common import (MOSI_SIZES, add_device_option, by_split, dec_sklearn_baselines,
                                hide_labels, make_parser, mosi_size_split, pooled, timed)
from mmsense import DECClassifier, DECPretrainer, ModalityScaler
from mmsense.datasets import make_multimodal_sentiment

# name -> (pretrain?, DECPretrainer overrides, DECClassifier overrides)
VARIANTS = {
    "a": (False, {}, {}),
    "b": (True, {"max_epochs": 0}, {}),
    "c": (True, {}, {}),
    "c_lw0": (True, {"label_weight": 0.0}, {}),
    "c_lw0.01": (True, {"label_weight": 0.01}, {}),
    "c_lw0.1": (True, {"label_weight": 0.1}, {}),
    "c_cw0.01": (True, {"clustering_weight": 0.01}, {}),
    "c_cw1": (True, {"clustering_weight": 1.0}, {}),
    "c_lw0_cw1": (True, {"label_weight": 0.0, "clustering_weight": 1.0}, {}),
    "c_ui5": (True, {"update_interval": 5}, {}),
    "c_dec5": (True, {"max_epochs": 5}, {}),
    "a_dropout0": (False, {"dropout": 0.0}, {}),
    "c_dropout0": (True, {"dropout": 0.0}, {}),
    "a_lr3e-4": (False, {}, {"lr": 3e-4}),
    "c_lr3e-4": (True, {}, {"lr": 3e-4}),
    "a_layers1": (False, {"num_layers": 1}, {}),
    "a_dropout0.3": (False, {"dropout": 0.3}, {}),
    "a_embed16": (False, {"embed_dim": 16}, {}),
    "c_layers1": (True, {"num_layers": 1}, {}),
    "c_dropout0.3": (True, {"dropout": 0.3}, {}),
    "c_embed16": (True, {"embed_dim": 16}, {}),
    "c_elr0.1": (True, {}, {"encoder_lr_ratio": 0.1}),
}
# the sklearn baselines of bench_dec, on each modality averaged over its real steps
SKLEARN_VARIANTS = {"spread": "(d) spread", "selftrain": "(e) selftrain"}


def load(dataset, mosi_npz):
    """(spec, (X, y) for train, valid, test), scaled on train."""
    if dataset == "mosi":
        data = np.load(mosi_npz)
        parts = by_split(data["X"], data["y"], data["split"])
        spec = {"text": data["X"].shape[1]}
    else:
        noise = {"synthetic": 4.0, "synthetic-hard": 8.0}[dataset]
        X, y, spec = make_multimodal_sentiment(sum(MOSI_SIZES), task="binary", noise=noise,
                                               random_state=0)
        parts = mosi_size_split(X, y)
    scaler = ModalityScaler(modalities=spec).fit(parts[0][0])
    return spec, [(scaler.transform(X), y) for X, y in parts]


def make(spec, variant, seed, args):
    pretrain, pre_kw, clf_kw = VARIANTS[variant]
    pre = DECPretrainer(**{
        **dict(modalities=spec, embed_dim=args.embed_dim, hidden_dims=(2 * args.embed_dim,),
               latent_dim=args.embed_dim // 2, pretrain_max_epochs=args.pretrain_epochs,
               max_epochs=args.dec_epochs, patience=args.patience, random_state=seed),
        **pre_kw})
    return DECClassifier(pre, pretrain=pretrain, max_epochs=args.finetune_epochs,
                         patience=args.patience, random_state=seed, **clf_kw)


def parse_args(argv=None):
    p = make_parser(__doc__)
    p.add_argument("dataset", nargs="?", choices=("mosi", "synthetic", "synthetic-hard"))
    p.add_argument("variant", nargs="?", choices=tuple(VARIANTS) + tuple(SKLEARN_VARIANTS))
    p.add_argument("seed", nargs="?", type=int)
    p.add_argument("--list", action="store_true")
    p.add_argument("--fraction", type=float, default=0.4)
    p.add_argument("--mosi-npz", default="mosi_text.npz")
    p.add_argument("--embed-dim", type=int, default=32)
    p.add_argument("--pretrain-epochs", type=int, default=20)
    p.add_argument("--dec-epochs", type=int, default=20)
    p.add_argument("--finetune-epochs", type=int, default=30)
    p.add_argument("--patience", type=int, default=5)
    add_device_option(p, "cpu")
    return p.parse_args(argv)


def fit_sklearn(args, spec, parts, y_partial) -> dict:
    """Fit one sklearn baseline on the pooled features; its accuracies and fit time."""
    (X_tr, _), (X_va, y_va), (X_te, y_te) = parts
    est = dec_sklearn_baselines()[SKLEARN_VARIANTS[args.variant]]
    seconds, _ = timed(lambda: est.fit(pooled(X_tr, spec), y_partial))
    return {"valid_acc": accuracy_score(y_va, est.predict(pooled(X_va, spec))),
            "test_acc": accuracy_score(y_te, est.predict(pooled(X_te, spec))),
            "fit_s": seconds}


def fit_network(args, spec, parts, y_partial) -> dict:
    """Fit one DEC variant; its accuracies, fit time and DEC epochs."""
    (X_tr, _), (X_va, y_va), (X_te, y_te) = parts
    clf = make(spec, args.variant, args.seed, args).set_params(device=args.device)
    if clf.pretrain:
        clf.set_params(pretrainer__device=args.device)
    seconds, _ = timed(lambda: clf.fit(X_tr, y_partial))
    return {
        "valid_acc": accuracy_score(y_va, clf.predict(X_va)),
        "test_acc": accuracy_score(y_te, clf.predict(X_te)),
        "fit_s": seconds, "torch_threads": torch.get_num_threads(),
        "dec_epochs": None if clf.pretrainer_ is None else clf.pretrainer_.n_iter_,
        "best_dec_epoch": None if clf.pretrainer_ is None else clf.pretrainer_.best_epoch_,
    }


def main(argv=None):
    args = parse_args(argv)
    if args.list:
        print("\n".join([*VARIANTS, *SKLEARN_VARIANTS]))
        return
    spec, parts = load(args.dataset, args.mosi_npz)
    y_partial = hide_labels(parts[0][1], np.random.RandomState(args.seed),
                            fraction=args.fraction)
    fit = fit_sklearn if args.variant in SKLEARN_VARIANTS else fit_network
    print(json.dumps({"dataset": args.dataset, "variant": args.variant, "seed": args.seed,
                      "fraction": args.fraction, **fit(args, spec, parts, y_partial)}))


if __name__ == "__main__":
    main()
