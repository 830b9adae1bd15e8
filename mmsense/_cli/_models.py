"""Estimators by name, targets, and model files for the ``fit``/``evaluate``/``predict``/``info``
commands.

A model file is a joblib dump of a dict: the fitted pipeline (``ModalityScaler`` then the
estimator, or the estimator alone) under ``"model"``, and metadata a user can read back with
``mmsense info`` without trusting anything else: estimator name, the parameters given, the
modalities spec, the number of training rows, how targets were turned into labels, and the
mmsense / scikit-learn / torch / skorch versions it was saved with.
"""

from __future__ import annotations

import ast
import sys
import warnings

from . import CommandError

# The public estimators ``fit`` accepts, by the name users import them under.
ESTIMATORS = ("MMRestRegressor", "DECPretrainer", "DECClassifier", "CMCSLSelfLabeler",
              "TorchMLPClassifier")
# Estimators that learn from rows marked -1 (unlabeled); the others are fitted on labeled rows.
SEMI_SUPERVISED = {"DECPretrainer", "DECClassifier", "CMCSLSelfLabeler"}
TARGETS = ("auto", "score", "polarity", "labels")
MODEL_FORMAT = "mmsense-model"
MODEL_FORMAT_VERSION = 1


def parse_param(text):
    """``name=value`` -> (name, value); the value is a Python literal, else the raw string."""
    name, sep, raw = text.partition("=")
    name = name.strip()
    if not sep or not name:
        raise CommandError(f"--param expects name=value; got {text!r}.")
    try:
        value = ast.literal_eval(raw.strip())
    except (ValueError, SyntaxError):
        value = raw.strip()
    return name, value


def make_estimator(name, modalities):
    """A fresh estimator ``name`` whose input spec is ``modalities``."""
    import mmsense

    if name not in ESTIMATORS:
        raise CommandError(f"unknown estimator {name!r}; choose one of {', '.join(ESTIMATORS)}.")
    cls = getattr(mmsense, name)
    if name == "DECClassifier":
        # its spec lives on its pretrainer (reachable as pretrainer__<name>)
        return cls(mmsense.DECPretrainer(modalities=modalities))
    if "modalities" in cls().get_params():
        return cls(modalities=modalities)
    return cls()


def set_params(estimator, params):
    """Set user parameters, rejecting unknown names with the list of valid ones."""
    valid = estimator.get_params(deep=True)
    unknown = [name for name in params if name not in valid]
    if unknown:
        shown = ", ".join(sorted(n for n in valid if n != "modalities"))
        raise CommandError(
            f"{type(estimator).__name__} has no parameter {unknown[0]!r}; valid: {shown}."
        )
    if "modalities" in params:
        raise CommandError("modalities is read from DATA; it cannot be set with --param.")
    estimator.set_params(**params)
    return estimator


def estimator_kind(estimator):
    """"regressor", "classifier" or "clusterer" (from scikit-learn's tags)."""
    from sklearn.base import is_classifier, is_regressor

    if is_regressor(estimator):
        return "regressor"
    if is_classifier(estimator):
        return "classifier"
    return "clusterer"


def choose_target(target, kind, y):
    """The target rule used for fitting: "score" (regression), "polarity" or "labels"."""
    import numpy as np

    if target not in TARGETS:
        raise CommandError(f"--target must be one of {', '.join(TARGETS)}; got {target!r}.")
    if target == "auto":
        if kind == "regressor":
            return "score"
        integral = np.all(np.mod(np.asarray(y, dtype=float), 1) == 0)
        return "labels" if integral else "polarity"
    if kind == "regressor" and target != "score":
        raise CommandError(f"a regressor fits sentiment scores; --target {target} is for "
                           "classifiers.")
    if kind != "regressor" and target == "score":
        raise CommandError("a classifier or clusterer needs classes: use --target polarity "
                           "(score >= 0 is class 1) or --target labels.")
    return target


def make_targets(y, rule):
    """(targets for the estimator, mask of labeled rows) under a target rule.

    ``polarity`` is the has-0 convention of the MSA metrics: class 1 when the score is
    >= 0, else 0. Under ``labels``, -1 marks unlabeled rows.
    """
    import numpy as np

    y = np.asarray(y)
    if rule in ("score", "polarity"):
        scores = y.astype(np.float64)
        return (scores if rule == "score" else (scores >= 0).astype(np.int64)), np.isfinite(scores)
    labeled = y != -1
    if np.issubdtype(y.dtype, np.floating):
        y = y.astype(np.int64)
    return y, labeled


def versions():
    """Versions of the libraries a model file depends on."""
    import sklearn
    import skorch
    import torch

    import mmsense

    return {"mmsense": mmsense.__version__, "scikit-learn": sklearn.__version__,
            "torch": torch.__version__, "skorch": skorch.__version__}


def save_model(path, model, **metadata):
    """Write the fitted model and its metadata with joblib."""
    import joblib

    record = {"format": MODEL_FORMAT, "format_version": MODEL_FORMAT_VERSION,
              "versions": versions(), **metadata, "model": model}
    joblib.dump(record, path)


def load_model(path):
    """Read a model file; warn when it was saved under other library versions.

    Only open model files you trust: they are pickles, and unpickling can run code.
    """
    import joblib

    try:
        record = joblib.load(path)
    except FileNotFoundError:
        raise FileNotFoundError(f"{path}: no such model file.") from None
    except IsADirectoryError:
        raise CommandError(f"{path}: is a folder, not a model file.") from None
    except Exception as exc:  # joblib/pickle raise many types on foreign files
        raise CommandError(f"{path}: not an mmsense model file ({type(exc).__name__}: "
                           f"{exc}).") from None
    if not isinstance(record, dict) or record.get("format") != MODEL_FORMAT:
        raise CommandError(f"{path}: not an mmsense model file (write one with mmsense fit).")
    if record["format_version"] > MODEL_FORMAT_VERSION:
        raise CommandError(f"{path}: model format {record['format_version']} is newer than "
                           f"this mmsense reads ({MODEL_FORMAT_VERSION}); upgrade mmsense.")
    now = versions()
    differ = [f"{lib} {saved} (now {now[lib]})" for lib, saved in record["versions"].items()
              if now.get(lib) != saved]
    if differ:
        warnings.warn(f"{path} was saved with {', '.join(differ)}; results may differ.",
                      stacklevel=2)
    return record


def check_same_modalities(record, data, model_path):
    """Raise (one line) when DATA's modalities spec is not the one the model was fitted on."""
    if record["modalities"] != data.modalities:
        raise CommandError(
            f"{model_path} was fitted on modalities {record['modalities']} but "
            f"{data.filename} has {data.modalities}."
        )


def select_split(data, split, *, command):
    """Row mask of one split ("all": every row); a note on stderr when the data has none."""
    import numpy as np

    n = len(data.data)
    if split == "all":
        return np.ones(n, dtype=bool)
    if data.split is None:
        print(f"mmsense {command}: {data.filename} has no split; using all {n} rows.",
              file=sys.stderr)
        return np.ones(n, dtype=bool)
    rows = np.asarray(data.split) == split
    if not rows.any():
        found = sorted(set(np.asarray(data.split).tolist()))
        raise CommandError(f"{data.filename} has no row in split {split!r}; splits: "
                           f"{', '.join(found)} (or use --split all).")
    return rows
