"""``mmsense info MODEL``: what a saved model is and what it was saved with."""

import json

from . import add_parser
from ._models import load_model


def register(subparsers):
    info = add_parser(subparsers, "info", help="describe a saved model",
                      description="Estimator, parameters, modalities, training size and the "
                                  "library versions MODEL was saved with.")
    info.add_argument("model", metavar="MODEL", help="model file written by mmsense fit")
    info.add_argument("--json", action="store_true", help="print the description as JSON")
    info.set_defaults(run=_run)


def describe(record):
    """The model file's metadata as plain JSON-ready values."""
    from ..inspection._plotting import final_step

    estimator, _ = final_step(record["model"])
    return {
        "estimator": record["estimator"], "kind": record["kind"], "target": record["target"],
        "params_given": {k: repr(v) for k, v in record["params"].items()},
        "params": {k: repr(v) for k, v in estimator.get_params(deep=False).items()},
        "modalities": record["modalities"], "n_train": record["n_train"],
        "n_labeled": record["n_labeled"], "split": record["split"], "data": record["data"],
        "classes": record["classes"], "scaled": record["scaled"],
        "fit_seconds": round(record["fit_seconds"], 3), "versions": record["versions"],
    }


def _run(args):
    record = load_model(args.model)
    described = describe(record)
    if args.json:
        print(json.dumps(described, indent=2))
        return
    for key, value in described.items():
        print(f"{key:>13}: {value}")
    print(f"{'model':>13}: {record['model']!r}")
