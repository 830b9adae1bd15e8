"""``mmsense fit ESTIMATOR DATA --output MODEL``: fit any public estimator on a dataset file."""

import argparse
import sys
import time

from . import SPLITS, CommandError, add_parser
from ._data import add_data_arguments, read_data
from ._models import (
    ESTIMATORS, SEMI_SUPERVISED, TARGETS, choose_target, estimator_kind, make_estimator,
    make_targets, parse_param, save_model, select_split, set_params,
)


def register(subparsers):
    fit = add_parser(
        subparsers, "fit", help="fit an estimator on a dataset file and save the model",
        description="Fit an mmsense estimator on DATA and save it (with the library versions "
                    "and the modalities spec) to MODEL. Only open model files you trust.",
    )
    fit.add_argument("estimator", metavar="ESTIMATOR", choices=ESTIMATORS,
                     help=f"estimator name: {', '.join(ESTIMATORS)}")
    add_data_arguments(fit)
    fit.add_argument("--output", "-o", required=True, metavar="MODEL",
                     help="model file to write (joblib)")
    fit.add_argument("--param", "-p", action="append", default=[], metavar="NAME=VALUE",
                     help="estimator parameter, repeatable; VALUE is a Python literal "
                          "(e.g. max_epochs=20, hidden_dims=(64,), pretrainer__n_clusters=2), "
                          "else a string")
    fit.add_argument("--split", choices=SPLITS, default="train", help="rows to fit on")
    fit.add_argument("--target", choices=TARGETS, default="auto",
                     help="how targets become what the estimator learns: auto (scores for a "
                          "regressor; for a classifier the labels when they are whole numbers, "
                          "else polarity), score, polarity (score >= 0 is class 1) or labels "
                          "(-1 is unlabeled)")
    fit.add_argument("--random-state", type=int, default=None,
                     help="seed of the estimator (None: a fresh one each run)")
    fit.add_argument("--device", default="auto", help="auto, cpu, cuda or cuda:N")
    fit.add_argument("--verbose", type=int, default=1,
                     help="progress: 0 silent, 1 a line per epoch, 2 more detail")
    fit.add_argument("--scale", action=argparse.BooleanOptionalAction, default=True,
                     help="standardise each modality (ModalityScaler) before the estimator")
    fit.set_defaults(run=_run)


def _run(args):
    import numpy as np
    from sklearn.pipeline import make_pipeline

    params = dict(parse_param(text) for text in args.param)
    data = read_data(args)
    if data.target is None:
        raise CommandError(f"{data.filename} holds no targets (y); fit needs them.")
    estimator = make_estimator(args.estimator, data.modalities)
    given = {"random_state": args.random_state, "device": args.device, "verbose": args.verbose}
    own = estimator.get_params()
    set_params(estimator, {k: v for k, v in given.items() if k in own})
    set_params(estimator, params)
    kind = estimator_kind(estimator)
    rule = choose_target(args.target, kind, data.target)
    rows = select_split(data, args.split, command="fit")
    y, labeled = make_targets(data.target, rule)
    if args.estimator not in SEMI_SUPERVISED and not labeled[rows].all():
        print(f"mmsense fit: {args.estimator} learns from labeled rows only; leaving out "
              f"{int((rows & ~labeled).sum())} unlabeled row(s).", file=sys.stderr)
        rows = rows & labeled
    if not rows.any():
        raise CommandError(f"no row of {data.filename} to fit on (split {args.split!r}).")
    from ..preprocessing import ModalityScaler

    model = (make_pipeline(ModalityScaler(modalities=data.modalities), estimator)
             if args.scale else estimator)
    print(f"Fitting {args.estimator} on {int(rows.sum())} rows of {data.filename} "
          f"(split {args.split}, target {rule}, modalities {data.modalities}).", flush=True)
    start = time.perf_counter()
    model.fit(data.data[rows], y[rows])
    seconds = time.perf_counter() - start
    classes = getattr(estimator, "classes_", None)
    save_model(
        args.output, model, estimator=args.estimator, params=params, kind=kind, target=rule,
        modalities=data.modalities, n_train=int(rows.sum()),
        n_labeled=int((rows & labeled).sum()), split=args.split, data=str(data.filename),
        classes=None if classes is None else np.asarray(classes).tolist(),
        scaled=args.scale, fit_seconds=seconds,
        # how `mmsense extract` made the features, so `predict --clips` can redo it
        extraction=(getattr(data, "metadata", None) or {}).get("extraction"),
    )
    print(f"Fitted in {seconds:.1f} s; model written to {args.output}.")
