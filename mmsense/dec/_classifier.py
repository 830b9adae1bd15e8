"""DECClassifier: DEC pretraining on every row, then fine-tuning on the labelled rows."""

from __future__ import annotations

import copy

import numpy as np
import torch
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.utils.validation import check_is_fitted, validate_data
from skorch import NeuralNet

from .._contract import check_modality_values, parse_modalities
from ..nn import NeuralEstimatorMixin, seed_torch
from ._labels import encode_partial_labels
from ._modules import EncoderClassifier
from ._params import check_int, check_real
from ._pretrainer import DECPretrainer
from ._training import encode, holdout_fits, skorch_epochs


class DECClassifier(NeuralEstimatorMixin, ClassifierMixin, BaseEstimator):
    """Semi-supervised classifier: DEC pretraining, then encoder + head fine-tuning.

    ``fit(X, y)`` with ``y = -1`` on unlabelled rows (1) fits a clone of
    ``pretrainer`` on every row with the labelled classes as clusters, (2)
    copies its fusion encoder, puts a linear head on ``z`` and trains both with
    cross-entropy on the labelled rows (skorch, Adam, early stopping on a
    random hold-out of the labelled rows). The head starts as the
    nearest-centre rule of the pretrained cluster centres (ours: the paper
    does not say how the head is initialised), so fine-tuning starts from
    DEC's class assignment rather than from a random head.

    Parameters
    ----------
    pretrainer : DECPretrainer, default=None
        Network architecture and pretraining settings; None means
        ``DECPretrainer()``. Its ``modalities`` is the input spec. Its
        parameters are reachable as ``pretrainer__<name>`` (e.g. in
        GridSearchCV). Its ``n_clusters`` must be None or the number of
        labelled classes. When its ``random_state`` is None it is seeded from
        this estimator's ``random_state``.
    pretrain : bool, default=True
        False skips pretraining: the same network, randomly initialised, is
        trained on the labelled rows only (the from-scratch baseline).
    lr : float, default=1e-3
        Adam learning rate for fine-tuning. Ours.
    batch_size : int, default=32
        Ours.
    max_epochs : int, default=100
        Fine-tuning epoch cap. Ours.
    validation_fraction : float or None, default=0.1
        Hold-out of the labelled rows for early stopping (skipped when it
        would leave no row on one side). Ours.
    patience : int or None, default=10
        Ours.
    device : {"auto", "cpu", "cuda", "cuda:N"}, default="auto"
        Device for fine-tuning ("auto": CUDA when available); the pretrainer
        uses its own ``device``.
    random_state : int, RandomState instance or None, default=None
    verbose : int, default=0

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        The labelled classes (never ``-1``).
    pretrainer_ : DECPretrainer or None
        The fitted pretrainer (None when ``pretrain=False``).
    net_ : skorch.NeuralNet
        The fine-tuned network; ``net_.module_`` is an
        :class:`EncoderClassifier`.
    history_ : list of dict
        Per fine-tuning epoch: ``train_loss``, ``valid_loss``, ``dur``.
        Pretraining history is in ``pretrainer_.history_``.
    device_ : str
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
    >>> X, y, spec = make_multimodal_sentiment(60, n_clusters=2, task="binary",
    ...                                        labelled_fraction=0.5, random_state=0)
    >>> pre = DECPretrainer(modalities=spec, embed_dim=8, hidden_dims=(16,), latent_dim=4,
    ...                     pretrain_max_epochs=2, max_epochs=2)
    >>> clf = DECClassifier(pre, max_epochs=2, random_state=0).fit(X, y)
    >>> clf.classes_, clf.predict_proba(X).shape
    (array([0, 1]), (60, 2))
    """

    def __init__(self, pretrainer=None, *, pretrain=True, lr=1e-3, batch_size=32,
                 max_epochs=100, validation_fraction=0.1, patience=10, device="auto",
                 random_state=None, verbose=0):
        self.pretrainer = pretrainer
        self.pretrain = pretrain
        self.lr = lr
        self.batch_size = batch_size
        self.max_epochs = max_epochs
        self.validation_fraction = validation_fraction
        self.patience = patience
        self.device = device
        self.random_state = random_state
        self.verbose = verbose

    def fit(self, X, y):
        """Pretrain on every row, then fine-tune on the rows with ``y != -1``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,)
            Class labels, ``-1`` for unlabelled rows (strings in an object
            array, as in SelfTrainingClassifier).

        Returns
        -------
        self : DECClassifier
        """
        pretrainer = self._pretrainer()
        X, y = validate_data(self, X, y, dtype=[np.float32, np.float64],
                             ensure_all_finite=False)
        specs = parse_modalities(pretrainer.modalities, X.shape[1])
        check_modality_values(X, specs)
        self._check_params()
        classes, codes = encode_partial_labels(y)
        _check_labelled_classes(classes, pretrainer.n_clusters)

        seed = self._start_torch_fit()
        encoder = self._pretrained_encoder(pretrainer, X, codes, specs, classes, seed)
        seed_torch(seed)  # fine-tuning draws the same numbers whatever pretraining drew
        labelled = codes >= 0
        centres = self.pretrainer_.cluster_centers_ if self.pretrain else None
        module = EncoderClassifier(encoder, pretrainer.latent_dim, len(classes), centres)
        self.net_ = self._fine_tune(module, self._net_inputs(X[labelled], specs),
                                    codes[labelled], seed)
        self.net_.module_.eval()
        self.history_ = skorch_epochs(self.net_.history)
        self.classes_ = classes
        self._specs = specs
        return self

    def predict_proba(self, X):
        """Class probabilities (softmax of the head's logits).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes), columns in ``classes_`` order
        """
        check_is_fitted(self)
        X = validate_data(self, X, reset=False, dtype=[np.float32, np.float64],
                          ensure_all_finite=False)
        check_modality_values(X, self._specs)
        logits = encode(self.net_.module_, self._net_inputs(X, self._specs), self.batch_size)
        return torch.softmax(logits, dim=1).numpy()

    def predict(self, X):
        """Most probable class of each row.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        y : ndarray of shape (n_samples,), values from ``classes_``
        """
        proba = self.predict_proba(X)
        return self.classes_[proba.argmax(1)]

    def _fine_tune(self, module, inputs, codes, seed) -> NeuralNet:
        """Cross-entropy on the labelled rows, early stopping on a hold-out of them."""
        holdout = holdout_fits(self.validation_fraction, len(codes))
        net = NeuralNet(
            module=module,
            criterion=torch.nn.CrossEntropyLoss,
            optimizer=torch.optim.Adam,
            lr=self.lr,
            batch_size=self.batch_size,
            max_epochs=self.max_epochs,
            train_split=self._train_split(seed) if holdout else None,
            callbacks=self._early_stopping_callbacks() if holdout else [],
            iterator_train__shuffle=True,
            device=self.device_,
            verbose=self._verbose_level,
        )
        return net.fit(inputs, codes)

    def _pretrainer(self) -> DECPretrainer:
        if self.pretrainer is None:
            return DECPretrainer()
        if not isinstance(self.pretrainer, DECPretrainer):
            raise ValueError(
                f"pretrainer must be a DECPretrainer or None; got {type(self.pretrainer).__name__}."
            )
        return self.pretrainer

    def _pretrained_encoder(self, pretrainer, X, codes, specs, classes, seed):
        """Fit a clone of ``pretrainer`` and copy its encoder; or a fresh encoder."""
        if not self.pretrain:
            self.pretrainer_ = None
            pretrainer._check_params()
            return pretrainer._build_module(specs, len(classes)).encoder
        self.pretrainer_ = clone(pretrainer)
        if self.pretrainer_.random_state is None:
            self.pretrainer_.set_params(random_state=seed)
        self.pretrainer_.fit(X, codes)
        return copy.deepcopy(self.pretrainer_.net_.module_.encoder)

    def _check_params(self):
        self._check_training_params()
        check_int("batch_size", self.batch_size, minimum=1)
        check_int("max_epochs", self.max_epochs, minimum=1)
        check_real("lr", self.lr, 0.0, np.inf, lower_open=True)


def _check_labelled_classes(classes, n_clusters):
    if len(classes) == 0:
        raise ValueError(
            "y has no labelled row (every entry is -1); DECClassifier fine-tunes on the "
            "labelled rows and needs at least one row of each of at least 2 classes."
        )
    if len(classes) < 2:
        raise ValueError(
            f"y has 1 class among its labelled rows ({classes[0]!r}); DECClassifier needs "
            "at least 2 classes."
        )
    if n_clusters is not None and n_clusters != len(classes):
        raise ValueError(
            f"pretrainer has n_clusters={n_clusters} but y has {len(classes)} labelled classes "
            f"{classes.tolist()}; DEC uses one cluster per class, so leave the pretrainer's "
            f"n_clusters=None or set it to {len(classes)}."
        )
