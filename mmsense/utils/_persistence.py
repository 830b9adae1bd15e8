"""The types a user trusts to load a fitted mmsense model with skops (and MLflow 3)."""

from __future__ import annotations


def get_trusted_types() -> list[str]:
    """Return the names of the types to trust when loading a fitted mmsense model with skops.

    ``skops.io.load`` refuses any type outside its default allow-list (numpy,
    scipy and scikit-learn types) unless it is passed in ``trusted``. MLflow 3
    saves scikit-learn models with skops by default and takes the same list as
    ``mlflow.sklearn.save_model(..., skops_trusted_types=...)``. A fitted
    mmsense estimator, alone or in a ``Pipeline``, holds only the types listed
    here beyond skops' defaults: the mmsense estimators (and CMCSL's per-modality
    preprocessor), the skorch nets and their callbacks, and the torch classes
    those nets take as parameters.

    The network weights are not in this list: mmsense saves each skorch net's
    modules with ``torch.save`` and reads them back with
    ``torch.load(weights_only=True)``, whose restricted unpickler builds only
    tensors, ``torch.nn`` and mmsense modules, so no pickle runs while loading.

    Returns
    -------
    list of str
        Sorted ``"module.Name"`` strings, the spelling skops uses in
        ``skops.io.get_untrusted_types``.

    See Also
    --------
    skops.io.get_untrusted_types : The types a saved file needs, to review
        before trusting them.

    Examples
    --------
    >>> from mmsense.utils import get_trusted_types
    >>> trusted = get_trusted_types()
    >>> "mmsense.mmrest._estimator.MMRestRegressor" in trusted
    True

    Save a fitted model and load it back, trusting exactly these types::

        import skops.io
        skops.io.dump(model, "model.skops")
        model = skops.io.load("model.skops", trusted=get_trusted_types())

    or with MLflow 3::

        mlflow.sklearn.save_model(model, "model_dir",
                                  skops_trusted_types=get_trusted_types())
        model = mlflow.sklearn.load_model("model_dir")
    """
    import functools

    import torch
    from skorch import NeuralNet, NeuralNetClassifier
    from skorch import utils as skorch_utils
    from skorch.callbacks import EpochScoring, EpochTimer, PassthroughScoring, PrintLog
    from skorch.dataset import Dataset, ValidSplit
    from skorch.history import History
    from skorch.setter import optimizer_setter

    from ..cmcsl import CMCSLSelfLabeler
    from ..cmcsl._features import VectorPreprocessor
    from ..dec import DECClassifier, DECPretrainer
    from ..dec._classifier import _PretrainedModuleNet, _valid_accuracy
    from ..dec._losses import AutoencoderLoss
    from ..dec._modules import DECAutoencoder
    from ..mmrest import MMRestRegressor
    from ..mmrest._modules import MMRestModule
    from ..mmrest._net import MMCConfig, MMRestNet
    from ..neural_network import TorchMLPClassifier
    from ..nn import EpochLog, KeepBestEpoch, ProgressCallback
    from ..nn._guards import FiniteLossGuard
    from ..neural_network._mlp import _MLPModule
    from ..preprocessing import ModalityScaler

    mmsense_types = [
        MMRestRegressor, MMRestNet, MMRestModule, MMCConfig,
        DECPretrainer, DECClassifier, _PretrainedModuleNet, DECAutoencoder, AutoencoderLoss,
        _valid_accuracy,
        CMCSLSelfLabeler, VectorPreprocessor, TorchMLPClassifier, _MLPModule,
        ModalityScaler,
        KeepBestEpoch, FiniteLossGuard,
        ProgressCallback, EpochLog,  # nets fitted with verbose >= 1 hold the progress callback
    ]
    skorch_types = [
        NeuralNet, NeuralNetClassifier, History, Dataset, ValidSplit,
        EpochScoring, EpochTimer, PassthroughScoring, PrintLog,
        optimizer_setter,
        # functions skorch stores: Dataset's indexing, predefined_split, EpochScoring's target
        skorch_utils._indexing_dict, skorch_utils._indexing_other, skorch_utils._make_split,
        skorch_utils.to_numpy,
    ]
    torch_types = [torch.nn.L1Loss, torch.nn.CrossEntropyLoss, torch.optim.Adam,
                   torch.utils.data.DataLoader]
    # skorch nets hold functools.partial objects and PrintLog prints with print
    python_types = [functools.partial, print]
    return sorted(f"{obj.__module__}.{obj.__name__}"
                  for obj in mmsense_types + skorch_types + torch_types + python_types)
