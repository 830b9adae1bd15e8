"""``mmsense evaluate MODEL DATA``: scores of a saved model on the labeled rows of a split."""

import json

from . import SPLITS, CommandError, add_parser
from ._data import add_data_arguments, read_data
from ._models import check_same_modalities, load_model, make_targets, select_split


def register(subparsers):
    evaluate = add_parser(
        subparsers, "evaluate", help="score a saved model on a dataset file",
        description="Score MODEL on the labeled rows of DATA: the MSA report for a regressor, "
                    "accuracy, balanced accuracy and F1 for a classifier, adjusted Rand and "
                    "NMI for a clusterer.",
    )
    evaluate.add_argument("model", metavar="MODEL", help="model file written by mmsense fit")
    add_data_arguments(evaluate)
    evaluate.add_argument("--split", choices=SPLITS, default="test", help="rows to score")
    evaluate.add_argument("--json", action="store_true", help="print the scores as JSON")
    evaluate.set_defaults(run=_run)


def scores(kind, y_true, y_pred):
    """The metrics of one kind of model, as a dict of floats."""
    from sklearn import metrics

    if kind == "regressor":
        from ..metrics import msa_report

        return msa_report(y_true, y_pred)
    if kind == "classifier":
        return {
            "accuracy": metrics.accuracy_score(y_true, y_pred),
            "balanced_accuracy": metrics.balanced_accuracy_score(y_true, y_pred),
            "f1_macro": metrics.f1_score(y_true, y_pred, average="macro"),
            "f1_weighted": metrics.f1_score(y_true, y_pred, average="weighted"),
        }
    return {
        "adjusted_rand": metrics.adjusted_rand_score(y_true, y_pred),
        "normalized_mutual_info": metrics.normalized_mutual_info_score(y_true, y_pred),
    }


def _run(args):
    import pandas as pd

    record = load_model(args.model)
    data = read_data(args)
    check_same_modalities(record, data, args.model)
    if data.target is None:
        raise CommandError(f"{data.filename} holds no targets (y) to score against.")
    rows = select_split(data, args.split, command="evaluate")
    y, labeled = make_targets(data.target, record["target"])
    rows = rows & labeled
    if not rows.any():
        raise CommandError(f"{data.filename} has no labeled row in split {args.split!r}.")
    result = {k: float(v) for k, v in
              scores(record["kind"], y[rows], record["model"].predict(data.data[rows])).items()}
    if args.json:
        print(json.dumps({"model": args.model, "estimator": record["estimator"],
                          "split": args.split, "n_rows": int(rows.sum()), "scores": result},
                         indent=2))
        return
    print(f"{record['estimator']} on {int(rows.sum())} labeled rows of {data.filename} "
          f"(split {args.split}, target {record['target']}):")
    table = pd.DataFrame([result], index=[record["estimator"]])
    print(table.to_string(float_format=lambda v: f"{v:.4f}"))
