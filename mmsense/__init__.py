"""mmsense: semi-supervised, clustering-based multimodal sentiment analysis for scikit-learn.

Public names are re-exported here; the implementation lives in private modules
(see the README's map of the package). Names are imported on first use, so that
``python -m mmsense --help`` and light imports do not pay for torch.
"""

import importlib

__version__ = "0.1.0.dev0"

# public name -> module that defines it (relative to this package)
_EXPORTS = {
    "MMRestRegressor": ".mmrest",
    "DECPretrainer": ".dec",
    "DECClassifier": ".dec",
    "CMCSLSelfLabeler": ".cmcsl",
    "TorchMLPClassifier": ".neural_network",
    "TextEmbedder": ".feature_extraction",
    "stack_modalities": "._contract",
    "ModalityScaler": ".preprocessing",
    "msa_report": ".metrics",
    "get_msa_scorer": ".metrics",
    "msa_scorers": ".metrics",
    "LabeledStratifiedKFold": ".model_selection",
    "RepeatedLabeledStratifiedKFold": ".model_selection",
    "labeled_scorer": ".model_selection",
}

__all__ = list(_EXPORTS)

# deprecated spellings, importable for one more release but not advertised
_EXPORTS.update({
    "LabelledStratifiedKFold": ".model_selection",
    "RepeatedLabelledStratifiedKFold": ".model_selection",
    "labelled_scorer": ".model_selection",
})


def __getattr__(name):
    if name not in _EXPORTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(_EXPORTS[name], __name__), name)
    globals()[name] = value
    return value


def __dir__():
    return sorted(set(globals()) | set(__all__))
