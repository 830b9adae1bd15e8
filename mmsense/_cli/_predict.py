"""``mmsense predict MODEL DATA --output CSV`` or ``--clips``: one prediction per sample."""

import sys

from . import SPLITS, CommandError, add_parser
from ._data import add_data_arguments, read_data
from ._models import check_same_modalities, load_model, select_split


def register(subparsers):
    predict = add_parser(
        subparsers, "predict", help="write a saved model's predictions to a CSV file",
        description="One CSV row per sample of DATA: its id (when DATA has ids), split (when "
                    "DATA has one), the prediction and, for classifiers, one probability "
                    "column per class. With --clips instead of DATA: media files featurised "
                    "as `mmsense extract` did for the model's training data.",
    )
    predict.add_argument("model", metavar="MODEL", help="model file written by mmsense fit")
    add_data_arguments(predict, required=False)
    predict.add_argument("--clips", nargs="+", metavar="CLIP", default=None,
                         help="media files to predict on (instead of DATA); the model must "
                              "have been fitted on features from `mmsense extract`")
    predict.add_argument("--transcripts", metavar="CSV", default=None,
                         help="with --clips: CSV with columns id,text")
    predict.add_argument("--output", "-o", default="-", metavar="CSV",
                         help="CSV file to write ('-': standard output)")
    predict.add_argument("--split", choices=SPLITS, default="all", help="rows to predict")
    predict.set_defaults(run=_run)


def _run(args):
    import pandas as pd

    record = load_model(args.model)
    if args.clips:
        return _run_clips(args, record)
    if not args.data:
        raise CommandError("give DATA, or --clips CLIP...")
    data = read_data(args)
    check_same_modalities(record, data, args.model)
    rows = select_split(data, args.split, command="predict")
    model, X = record["model"], data.data[rows]
    frame = pd.DataFrame(index=range(int(rows.sum())))
    for column, values in (("id", data.ids), ("split", data.split)):
        if values is not None:
            frame[column] = pd.Series(values).to_numpy()[rows]
    frame["prediction"] = model.predict(X)
    if record["kind"] == "classifier" and hasattr(model, "predict_proba"):
        proba = model.predict_proba(X)
        for k, label in enumerate(record["classes"]):
            frame[f"proba_{label}"] = proba[:, k]
    frame.to_csv(sys.stdout if args.output == "-" else args.output, index=False)
    if args.output != "-":
        print(f"{len(frame)} predictions written to {args.output}.")


def _run_clips(args, record):
    import pandas as pd

    from ..feature_extraction import predict_clips

    if args.data:
        raise CommandError("give either DATA or --clips, not both.")
    if not record.get("extraction"):
        raise CommandError(
            f"{args.model} was not fitted on features from `mmsense extract`, so there is no "
            "record of how to featurise clips for it; fit it on an extract .npz."
        )
    out = predict_clips(record["model"], args.clips, args.transcripts,
                        settings=record["extraction"], on_error="skip")
    frame = pd.DataFrame({"id": out.ids, "prediction": out.predictions})
    frame.to_csv(sys.stdout if args.output == "-" else args.output, index=False)
    for path, reason in out.skipped.items():
        print(f"mmsense predict: skipped {path}: {reason}", file=sys.stderr)
