"""DECClassifier: DEC pretraining on every row, then fine-tuning on the labeled rows."""

from __future__ import annotations

import copy

import numpy as np
import torch
from sklearn.base import BaseEstimator, clone
from sklearn.utils.validation import check_is_fitted, validate_data
from skorch import NeuralNet
from skorch.callbacks import EpochScoring
from skorch.dataset import Dataset
from skorch.helper import predefined_split

from .._contract import allows_nan, network_inputs, validate_multimodal
from .._labels import (
    SemiSupervisedClassifierMixin, check_two_labeled_classes, encode_partial_labels,
)
from ..nn import NeuralEstimatorMixin, check_finite_output, epoch_history, predict_batches
from ..utils._param_validation import NEURAL_TRAINING_CONSTRAINTS, Float, Int
from ._modules import DECAutoencoder, EncoderClassifier
from ._pretrainer import DECPretrainer, architecture, check_architecture
from ._training import labeled_holdout


class DECClassifier(NeuralEstimatorMixin, SemiSupervisedClassifierMixin, BaseEstimator):
    """Semi-supervised classifier: DEC pretraining, then encoder + head fine-tuning.

    ``fit(X, y)`` with ``y = -1`` on unlabeled rows (1) fits a clone of
    ``pretrainer`` on every row with the labeled classes as clusters, (2)
    copies its fusion encoder, puts a linear head on ``z`` and trains both with
    cross-entropy on the labeled rows (skorch, Adam). The fine-tuning epoch
    is picked by accuracy on held-out labeled rows: the pretrainer's phase-2
    hold-out (labels the encoder was not trained on), or without pretraining a
    stratified ``validation_fraction`` of the labeled rows; the untuned start
    counts as epoch 0. The head starts as the
    nearest-center rule of the pretrained cluster centers (ours: the paper
    does not say how the head is initialised), so fine-tuning starts from
    DEC's class assignment rather than from a random head.

    Parameters
    ----------
    pretrainer : DECPretrainer, default=None
        Network architecture and pretraining settings; None means
        ``DECPretrainer()``. Its ``modalities`` is the input spec. Its
        parameters are reachable as ``pretrainer__<name>`` (e.g. in
        GridSearchCV). Its ``n_clusters`` must be None or the number of
        labeled classes. When its ``random_state`` is None it is seeded from
        this estimator's ``random_state``.
    pretrain : bool, default=True
        False skips pretraining: the same network, randomly initialised, is
        trained on the labeled rows only (the from-scratch baseline).
    lr : float, default=1e-3
        Adam learning rate for fine-tuning. Ours.
    encoder_lr_ratio : float, default=1.0
        The pretrained encoder learns at ``encoder_lr_ratio * lr``, the head at
        ``lr`` (discriminative learning rates; ignored when ``pretrain=False``).
        Ours (the values tried are recorded in ``benchmarks/results/dec.md``).
    batch_size : int, default=32
        Ours.
    max_epochs : int, default=100
        Fine-tuning epoch cap. Ours.
    validation_fraction : float or None, default=0.2
        Without pretraining (or when the pretrainer held nothing out): the
        stratified fraction of each labeled class held out to pick the
        fine-tuning epoch (each class keeps a training row); None: train
        ``max_epochs`` on every labeled row. Ours (0.2, as the pretrainer's
        ``label_validation_fraction``, so both arms of a comparison hold out
        as many rows).
    patience : int or None, default=10
        Epochs without a better held-out accuracy before stopping. Ours.
    device : {"auto", "cpu", "cuda", "cuda:N"}, default="auto"
        Device for fine-tuning ("auto": CUDA when available); the pretrainer
        uses its own ``device``.
    random_state : int, RandomState instance or None, default=None
        Seeds torch, NumPy and the hold-out splits; an int gives the same fit on every call.
    verbose : int, default=0
        0: silent. 1: one line per fine-tuning epoch (loss, held-out accuracy with a
        ``*`` on the best epoch so far, elapsed and estimated time left), and the
        pretrainer's progress at least at this level. 2: more detail (see
        :class:`DECPretrainer`).
    callbacks : list of (str, skorch.callbacks.Callback) or None, default=None
        Extra skorch callbacks (e.g. a TensorBoard or MLflow logger) run by the fine-tuning net;
        their parameters can be set as ``callbacks__<name>__<param>``.
    n_threads : int or None, default=1
        Torch threads used by fit, predict and transform (the process-wide setting is
        restored afterwards). One thread keeps a fit fast when other processes share
        the cores (several threads spin-wait and stall each other there) and lets
        ``GridSearchCV(n_jobs=k)`` scale; None uses torch's current setting.
        With two or more threads and two or more sequence modalities, the
        inference passes (predict, transform, and those inside fit) encode the
        sequences side by side, a thread each; training steps do not.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        The labeled classes (never ``-1``).
    pretrainer_ : DECPretrainer or None
        The fitted pretrainer (None when ``pretrain=False``).
    net_ : skorch.NeuralNet
        The fine-tuned network; ``net_.module_`` is an
        :class:`EncoderClassifier`.
    validation_rows_ : ndarray of int
        Training rows held out of fine-tuning to pick its epoch.
    start_accuracy_ : float or None
        Held-out accuracy before fine-tuning (None without held-out rows);
        when no epoch beats it, the start is kept.
    best_epoch_ : int
        Fine-tuning epoch whose weights were kept (0: the start).
    history_ : list of dict
        Per fine-tuning epoch: ``train_loss``, ``valid_loss``, ``valid_acc``,
        ``dur``.
        Pretraining history is in ``pretrainer_.history_``.
    device_ : str
    n_missing_ : dict of str to int
        Training rows missing each modality (all NaN). A missing modality is
        left out of the fusion, as in :class:`DECPretrainer`, at fit and at
        predict time; a row missing every modality is an error.
    n_features_in_ : int
    feature_names_in_ : ndarray of str
        Only when ``X`` has string column names.

    See Also
    --------
    DECPretrainer : The pretraining step, usable alone as a transformer.
    sklearn.semi_supervised.SelfTrainingClassifier : Same ``-1`` convention.

    References
    ----------
    .. [1] "Enhancing Multi-Modal Video Sentiment Classification Through
       Semi-Supervised Clustering", arXiv:2501.06475, 2025.

    Examples
    --------
    >>> from mmsense.datasets import make_multimodal_sentiment
    >>> from mmsense.dec import DECClassifier, DECPretrainer
    >>> X, y, modalities = make_multimodal_sentiment(60, n_clusters=2, task="binary",
    ...                                        labeled_fraction=0.5, random_state=0)
    >>> pre = DECPretrainer(modalities=modalities, embed_dim=8, hidden_dims=(16,), latent_dim=4,
    ...                     pretrain_max_epochs=2, max_epochs=2)
    >>> clf = DECClassifier(pre, max_epochs=2, random_state=0).fit(X, y)
    >>> clf.classes_, clf.predict_proba(X).shape
    (array([0, 1]), (60, 2))
    """

    _parameter_constraints = {
        "pretrainer": [DECPretrainer, None],
        "pretrain": ["boolean"],
        "lr": [Float(0, closed="neither")],
        "encoder_lr_ratio": [Float(0, closed="neither")],
        "batch_size": [Int(1)],
        "max_epochs": [Int(1)],
        **NEURAL_TRAINING_CONSTRAINTS,
    }

    def __init__(self, pretrainer=None, *, pretrain=True, lr=1e-3, encoder_lr_ratio=1.0,
                 batch_size=32, max_epochs=100, validation_fraction=0.2, patience=10,
                 device="auto", random_state=None, verbose=0, callbacks=None, n_threads=1):
        self.pretrainer = pretrainer
        self.pretrain = pretrain
        self.lr = lr
        self.encoder_lr_ratio = encoder_lr_ratio
        self.batch_size = batch_size
        self.max_epochs = max_epochs
        self.validation_fraction = validation_fraction
        self.patience = patience
        self.device = device
        self.random_state = random_state
        self.verbose = verbose
        self.callbacks = callbacks
        self.n_threads = n_threads

    def fit(self, X, y):
        """Pretrain on every row, then fine-tune on the rows with ``y != -1``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            The input contract: every modality's columns side by side, as ``modalities`` says.
        y : array-like of shape (n_samples,)
            Class labels, ``-1`` for unlabeled rows (strings in an object
            array, as in SelfTrainingClassifier).

        Returns
        -------
        self : DECClassifier
            The fitted estimator.
        """
        self._validate_params()
        pretrainer = self.pretrainer if self.pretrainer is not None else DECPretrainer()
        check_architecture(pretrainer)
        X_in = X
        X, y, specs = validate_multimodal(self, X, y, modalities=pretrainer.modalities)
        classes, codes = encode_partial_labels(y)
        check_two_labeled_classes(classes, self)
        _check_n_clusters(classes, pretrainer.n_clusters)
        inputs = network_inputs(X, specs)

        with self._torch_fit() as seed:
            encoder = self._pretrained_encoder(pretrainer, X_in, inputs, specs, classes, codes,
                                               seed)
            torch.manual_seed(seed)  # fine-tuning draws the same numbers whatever pretraining drew
            centers = self.pretrainer_.cluster_centers_ if self.pretrain else None
            module = EncoderClassifier(encoder, pretrainer.latent_dim, len(classes), centers)
            self.validation_rows_ = self._validation_rows(codes, seed)
            self.net_ = self._fine_tune(module, inputs, codes)
        self.net_.module_.eval()
        self.history_ = epoch_history(self.net_.history)
        self.best_epoch_ = self._best_epoch(self.net_)
        self.classes_ = classes
        self._modalities = pretrainer.modalities  # the modalities checked at predict time
        return self

    def predict_proba(self, X):
        """Class probabilities (softmax of the head's logits).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            The input contract: every modality's columns side by side, as ``modalities`` says.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Probabilities, columns in the order of ``classes_``.
        """
        check_is_fitted(self)
        X, _, specs = validate_multimodal(self, X, reset=False, modalities=self._modalities)
        logits = predict_batches(self.net_.module_, network_inputs(X, specs))
        check_finite_output(logits, type(self).__name__, "the class logits")
        return torch.softmax(logits, dim=1).numpy()

    def predict(self, X):
        """Most probable class of each row.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            The input contract: every modality's columns side by side, as ``modalities`` says.

        Returns
        -------
        y : ndarray of shape (n_samples,)
            Labels from ``classes_``.
        """
        proba = self.predict_proba(X)
        return self.classes_[proba.argmax(1)]

    def _validation_rows(self, codes, seed) -> np.ndarray:
        """Labeled rows held out of fine-tuning to pick its epoch.

        After pretraining: the pretrainer's phase-2 hold-out, whose labels the
        encoder has not been trained on; otherwise a stratified
        ``validation_fraction`` of the labeled rows.
        """
        held = getattr(self.pretrainer_, "label_holdout_", None)
        if held is not None and len(held):
            return held
        return labeled_holdout(codes, self.validation_fraction, seed)

    def _fine_tune(self, module, inputs, codes) -> NeuralNet:
        """Cross-entropy on the labeled rows; keep the epoch best on the held-out rows.

        The pretrained encoder learns at ``encoder_lr_ratio * lr``. The start
        (the nearest-center head on the pretrained encoder) counts as epoch 0:
        when no fine-tuning epoch beats its held-out accuracy, it is kept.
        """
        valid = np.zeros(len(codes), dtype=bool)
        valid[self.validation_rows_] = True
        train = (codes >= 0) & ~valid
        split = dict(train_split=None, callbacks=self._training_callbacks(validation=False))
        self.start_accuracy_ = None
        if valid.any():
            self.start_accuracy_ = _accuracy(module, _rows(inputs, valid), codes[valid])
            scoring = EpochScoring(_valid_accuracy, lower_is_better=False, name="valid_acc")
            split = dict(
                train_split=predefined_split(Dataset(_rows(inputs, valid), codes[valid])),
                callbacks=[("valid_acc", scoring)] + self._training_callbacks(
                    "valid_acc", lower_is_better=False, start_score=self.start_accuracy_),
            )
        split["callbacks"] = split["callbacks"] + self._extra_callbacks(
            "DECClassifier fine-tuning", "valid_acc", metric_name="valid accuracy",
            lower_is_better=False)
        ratio = self.encoder_lr_ratio if self.pretrain else 1.0
        net = _PretrainedModuleNet(
            module=module,
            criterion=torch.nn.CrossEntropyLoss,
            optimizer=torch.optim.Adam,
            optimizer__param_groups=[("encoder.*", {"lr": self.lr * ratio})],
            lr=self.lr,
            batch_size=self.batch_size,
            max_epochs=self.max_epochs,
            iterator_train__shuffle=True,
            device=self.device_,
            verbose=0,  # progress lines come from the "progress" callback
            **split,
        )
        return net.fit(_rows(inputs, train), codes[train])

    def _pretrained_encoder(self, pretrainer, X, inputs, specs, classes, codes, seed):
        """Fit a clone of ``pretrainer`` on the validated inputs and copy its encoder.

        Without pretraining: a freshly initialised encoder of the same architecture.
        """
        if not self.pretrain:
            self.pretrainer_ = None
            return DECAutoencoder(specs, len(classes), **architecture(pretrainer)).encoder
        self.pretrainer_ = clone(pretrainer)
        if self.pretrainer_.random_state is None:
            self.pretrainer_.set_params(random_state=seed)
        # the classifier's progress setting covers its pretraining too
        self.pretrainer_.set_params(verbose=max(self._verbose_level,
                                                self.pretrainer_._verbose_level))
        # n_features_in_ / feature_names_in_ from the user's X; its values were checked above
        validate_data(self.pretrainer_, X, skip_check_array=True)
        self.pretrainer_.n_missing_ = dict(self.n_missing_)
        self.pretrainer_._fit_network(inputs, specs, classes, codes)
        return copy.deepcopy(self.pretrainer_.net_.module_.encoder)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        pretrainer = self.pretrainer if self.pretrainer is not None else DECPretrainer()
        tags.input_tags.allow_nan = allows_nan(pretrainer.modalities)
        return tags


class _PretrainedModuleNet(NeuralNet):
    """NeuralNet given its module as an instance (the pretrained encoder plus head).

    skorch pickles ``module_`` through its CUDA-aware path but the ``module``
    parameter through plain pickle, so a CUDA instance there would stop a
    GPU-fitted classifier from loading on a CPU-only machine; listing it routes
    it through the same path.
    """

    cuda_dependent_attributes_ = NeuralNet.cuda_dependent_attributes_ + ["module"]


def _rows(inputs: dict, mask) -> dict:
    return {key: values[mask] for key, values in inputs.items()}


def _valid_accuracy(net, X, y) -> float:
    """skorch scoring: accuracy of the logits' argmax (NeuralNet.predict gives logits)."""
    return float((net.predict_proba(X).argmax(1) == np.asarray(y)).mean())


def _accuracy(module, inputs, codes) -> float:
    logits = predict_batches(module, inputs)
    return float((logits.argmax(1).numpy() == codes).mean())


def _check_n_clusters(classes, n_clusters):
    if n_clusters is not None and n_clusters != len(classes):
        raise ValueError(
            f"pretrainer has n_clusters={n_clusters} but y has {len(classes)} labeled classes "
            f"{classes.tolist()}; DEC uses one cluster per class, so leave the pretrainer's "
            f"n_clusters=None or set it to {len(classes)}."
        )
