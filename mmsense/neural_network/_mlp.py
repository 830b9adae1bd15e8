"""A small skorch-backed MLP classifier (CMCSL's default final classifier)."""

from __future__ import annotations

import numpy as np
import torch
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.preprocessing import LabelEncoder
from sklearn.utils.class_weight import compute_class_weight
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data
from skorch import NeuralNetClassifier
from torch import nn

from ..nn import NeuralEstimatorMixin, check_finite_output, mlp, predict_batches
from ..utils._param_validation import (
    NEURAL_TRAINING_CONSTRAINTS, Float, Int, StrOptions, check_layer_sizes,
)


class _MLPModule(nn.Module):
    """Linear-ReLU-Dropout blocks then a linear layer of class logits."""

    def __init__(self, in_features, n_classes, hidden_layer_sizes=(64,), dropout=0.0):
        super().__init__()
        self.layers = mlp([in_features, *hidden_layer_sizes, n_classes], dropout)

    def forward(self, X):
        return self.layers(X)


class TorchMLPClassifier(NeuralEstimatorMixin, ClassifierMixin, BaseEstimator):
    """Multi-layer perceptron classifier trained with skorch, on CUDA when available.

    A plain feature-vector classifier (one 2-D float matrix, no modality
    spec): ReLU hidden layers, cross-entropy loss, Adam. Labels may be any
    hashable values; they are encoded internally.

    Parameters
    ----------
    hidden_layer_sizes : tuple of int, default=(64,)
        Width of each hidden layer; ``()`` gives multinomial logistic regression.
    dropout : float, default=0.0
        Dropout after each hidden layer.
    max_epochs : int, default=50
        Maximum number of training epochs.
    batch_size : int, default=64
        Rows per mini-batch.
    lr : float, default=1e-3
        Adam learning rate.
    weight_decay : float, default=0.0
        Adam weight decay (L2 penalty).
    class_weight : "balanced", dict or None, default=None
        Per-class loss weights. ``"balanced"`` is ``n_samples / (n_classes *
        count)``, counted on the ``y`` given to ``fit`` (inside
        CMCSLSelfLabeler, the propagated labels); a dict maps class -> weight
        (missing classes weigh 1).
    validation_fraction : float or None, default=None
        Fraction of the training rows held out to monitor ``valid_loss``.
    patience : int or None, default=5
        Early-stopping patience on ``valid_loss`` (used with ``validation_fraction``).
    device : {"auto", "cpu", "cuda", "cuda:N"}, default="auto"
        Torch device; "auto" is CUDA when available, else the CPU.
    random_state : int, RandomState instance or None, default=None
        Seeds weight initialisation, shuffling and the validation split.
    verbose : int, default=0
        0: silent. 1 or more: one line per epoch (loss, validation accuracy with a
        ``*`` on the best epoch so far when ``validation_fraction`` is set, elapsed and
        estimated time left).
    callbacks : list of (str, skorch.callbacks.Callback) or None, default=None
        Extra skorch callbacks (e.g. a TensorBoard or MLflow logger) run by the net;
        their parameters can be set as ``callbacks__<name>__<param>``.
    n_threads : int or None, default=1
        Torch threads used by fit, predict and transform (the process-wide setting is
        restored afterwards). One thread keeps a fit fast when other processes share
        the cores (several threads spin-wait and stall each other there) and lets
        ``GridSearchCV(n_jobs=k)`` scale; None uses torch's current setting.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
    net_ : skorch.NeuralNetClassifier
        The fitted network (trained on encoded labels ``0 .. n_classes-1``).
    device_ : str
        Device used.
    best_epoch_ : int
        Epoch whose weights were kept: the best on ``valid_loss`` with a
        validation split, else the last.
    class_weight_ : ndarray of shape (n_classes,) or None
    n_features_in_ : int

    See Also
    --------
    CMCSLSelfLabeler : Uses this classifier by default.
    sklearn.neural_network.MLPClassifier : The NumPy counterpart.

    Examples
    --------
    >>> import numpy as np
    >>> from mmsense.neural_network import TorchMLPClassifier
    >>> X = np.r_[np.zeros((10, 2)), np.ones((10, 2))].astype(np.float32)
    >>> y = np.r_[np.zeros(10), np.ones(10)]
    >>> clf = TorchMLPClassifier(max_epochs=30, lr=0.05, random_state=0, device="cpu")
    >>> clf.fit(X, y).predict([[0, 0], [1, 1]])
    array([0., 1.])
    """

    _parameter_constraints = {
        "hidden_layer_sizes": [tuple, list],
        "dropout": [Float(0, 1, closed="left")],
        "max_epochs": [Int(1)],
        "batch_size": [Int(1)],
        "lr": [Float(0, closed="neither")],
        "weight_decay": [Float(0)],
        "class_weight": [StrOptions({"balanced"}), dict, None],
        **NEURAL_TRAINING_CONSTRAINTS,
    }

    def __init__(self, hidden_layer_sizes=(64,), *, dropout=0.0, max_epochs=50, batch_size=64,
                 lr=1e-3, weight_decay=0.0, class_weight=None, validation_fraction=None,
                 patience=5, device="auto", random_state=None, verbose=0, callbacks=None,
                 n_threads=1):
        self.hidden_layer_sizes = hidden_layer_sizes
        self.dropout = dropout
        self.max_epochs = max_epochs
        self.batch_size = batch_size
        self.lr = lr
        self.weight_decay = weight_decay
        self.class_weight = class_weight
        self.validation_fraction = validation_fraction
        self.patience = patience
        self.device = device
        self.random_state = random_state
        self.verbose = verbose
        self.callbacks = callbacks
        self.n_threads = n_threads

    def fit(self, X, y):
        """Fit the network on ``X`` (float matrix) and ``y`` (class labels).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training vectors.
        y : array-like of shape (n_samples,)
            Class labels (any hashable values).

        Returns
        -------
        self : TorchMLPClassifier
            The fitted classifier.
        """
        self._validate_params()
        check_layer_sizes("hidden_layer_sizes", self.hidden_layer_sizes)
        X, y = validate_data(self, X, y, dtype=np.float32)
        check_classification_targets(y)
        encoder = LabelEncoder().fit(y)
        self.classes_ = encoder.classes_
        y_enc = encoder.transform(y).astype(np.int64)
        self.class_weight_ = (
            None if self.class_weight is None
            else compute_class_weight(self.class_weight, classes=self.classes_, y=y)
        )
        with self._torch_fit() as seed:
            self.net_ = self._build_net(X.shape[1], seed, len(X))
            self.net_.fit(X, y_enc)
        self.best_epoch_ = self._best_epoch(self.net_)
        return self

    def _build_net(self, n_features, seed, n_samples):
        weight = (None if self.class_weight_ is None
                  else torch.as_tensor(self.class_weight_, dtype=torch.float32))
        return NeuralNetClassifier(
            _MLPModule,
            module__in_features=n_features,
            module__n_classes=len(self.classes_),
            module__hidden_layer_sizes=tuple(self.hidden_layer_sizes),
            module__dropout=self.dropout,
            criterion=nn.CrossEntropyLoss,
            criterion__weight=weight,
            optimizer=torch.optim.Adam,
            optimizer__weight_decay=self.weight_decay,
            lr=self.lr,
            max_epochs=self.max_epochs,
            batch_size=self.batch_size,
            iterator_train__shuffle=True,
            train_split=self._train_split(seed, n_samples),
            callbacks=self._training_callbacks(validation=self.validation_fraction is not None)
            + self._extra_callbacks("TorchMLPClassifier", "valid_acc",
                                    metric_name="valid accuracy", lower_is_better=False),
            classes=np.arange(len(self.classes_)),
            device=self.device_,
            verbose=0,  # progress lines come from the "progress" callback
        )

    def _logits(self, X):
        check_is_fitted(self, "net_")
        X = validate_data(self, X, reset=False, dtype=np.float32)
        logits = predict_batches(self.net_.module_, {"X": X})
        check_finite_output(logits, type(self).__name__, "the class logits")
        return logits.numpy()

    def decision_function(self, X):
        """Class logits; for two classes the logit margin.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Feature matrix.

        Returns
        -------
        ndarray of shape (n_samples,) or (n_samples, n_classes)
            The logit margin of ``classes_[1]`` for two classes, else the logits.
        """
        logits = self._logits(X)
        return logits[:, 1] - logits[:, 0] if logits.shape[1] == 2 else logits

    def predict_proba(self, X):
        """Softmax of the class logits.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Feature matrix.

        Returns
        -------
        ndarray of shape (n_samples, n_classes)
            Probabilities, columns in the order of ``classes_``.
        """
        logits = self._logits(X)
        logits = logits - logits.max(axis=1, keepdims=True)
        proba = np.exp(logits)
        return proba / proba.sum(axis=1, keepdims=True)

    def predict(self, X):
        """Most probable class of each row.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Feature matrix.

        Returns
        -------
        ndarray of shape (n_samples,)
            Labels from ``classes_``.
        """
        logits = self._logits(X)
        return self.classes_[np.argmax(logits, axis=1)]
