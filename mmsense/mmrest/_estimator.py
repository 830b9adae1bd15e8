"""MMRestRegressor: cluster-based multi-metric learning with a projection bias (MMRest)."""

from __future__ import annotations

import numpy as np
import torch
from skorch.callbacks import PassthroughScoring
from skorch.dataset import Dataset
from skorch.helper import predefined_split
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.utils import Bunch
from sklearn.utils.validation import check_is_fitted

from .._contract import allows_nan, network_inputs, validate_multimodal
from .._labels import SENTIMENT_RANGE
from ..nn import NeuralEstimatorMixin, check_finite_output, epoch_history, predict_batches
from ..utils._param_validation import (
    NEURAL_TRAINING_CONSTRAINTS, Float, Int, StrOptions,
)
from ._modules import MMRestModule
from ._net import MMCConfig, MMRestNet

_HISTORY_KEYS = ("epoch", "train_loss", "valid_loss", "train_mmc", "train_l1",
                 "valid_mmc", "valid_l1", "dur")


class MMRestRegressor(NeuralEstimatorMixin, RegressorMixin, BaseEstimator):
    """Multimodal sentiment regression with cluster-based multi-metric learning (MMRest).

    Each modality is encoded into a shared ``hidden_dim`` space (static: Linear;
    sequence: LSTM over the real steps, last hidden state, Linear). The shared
    points are clustered into sentiment clusters, each with a learned metric
    ``M_i = M0 + dM_i + beta * I`` trained by the MMC intra- and inter-cluster
    losses. The prediction is a decision-level fusion score plus ``gamma`` times
    the projection bias of each sample towards its second-nearest cluster.
    The training loss is ``eta * L_MMC + L1``.

    Missing modalities (a static block all NaN, a sequence without a real step)
    give no shared-space point: such a point is left out of the clustering, the
    bin vote, both cluster losses and the projection bias average, and its branch
    of the decision fusion contributes nothing. With ``semi_supervised=True``,
    NaN in ``y`` marks an unlabeled row: its points take part in the clustering,
    the inter-cluster loss and the representation, while the labeled rows alone
    vote the clusters' bins and drive the intra-cluster and L1 losses.

    Departures from the authors' code, following the paper: clusters keep their
    identity across training (the whole training split is re-clustered once per
    epoch, warm-started and matched to the previous centers), the projection
    bias is applied in :meth:`predict` too, the model is selected on the
    validation split only (validation MAE), and ``beta``, ``gamma`` and ``eta``
    are parameters.

    Parameters
    ----------
    modalities : dict or None, default=None
        The input contract's spec (see :mod:`mmsense._contract`); None means one
        static modality spanning all columns.
    n_clusters : int, default=7
        Number of sentiment clusters k (the paper uses 7 on MOSI, 10 on MOSEI).
        With a single cluster there is no second-nearest center and no other
        cluster, so the projection bias and the inter-cluster loss are 0.
    receptive_field : int, default=32
        M, the number of nearest representations forming a center's receptive
        field: in each batch for the intra-cluster loss (capped by the batch's
        points), and over the training split for the bin vote.
    margin : float, default=3.0
        The intra-cluster margin xi (70 on MOSEI in the paper).
    alpha : float, default=1.0
        Scale of the inter-cluster margins ``rho_ij = alpha * ||C_j - C_i||^2``.
    inter_weight : float, default=0.8
        Weight v1 of the inter-cluster loss.
    metric_reg : float, default=1.0
        Weight v2 of ``||M0||_F^2``.
    gamma : float, default=0.05
        Weight of the projection bias in the prediction.
    eta : float, default=0.01
        Weight of L_MMC in the training loss.
    beta : float, default=0.01
        Multiple of the identity added to every cluster metric.
    max_pairs : int or None, default=1024
        Cap on the receptive-field pairs per cluster in a batch; above it a
        seeded subsample is used. None uses every pair.
    hidden_dim : int, default=64
        Width d1 of the shared clustering space.
    decision_dim : int, default=50
        Width d2 of PDLF's Conv1D blocks.
    lstm_hidden_dim : int or None, default=32
        Hidden width of the sequence modalities' LSTMs (their last hidden state
        is then projected to ``hidden_dim``); None uses ``hidden_dim``. The
        LSTMs dominate the CPU time, which grows with this width.
    dropout : float, default=0.0
        Dropout in PDLF's MLP.
    bucket_by_length : bool, default=True
        Group training rows of similar sequence lengths into the same batch
        (batches still come in random order, with jittered composition), so
        the LSTMs run over fewer padded steps. No effect without sequences.
    metric_loss : bool, default=True
        Ablation switch: False trains on the L1 loss alone (no L_MMC).
    projection_bias : bool, default=True
        Ablation switch: False predicts the decision score alone.
    single_metric : bool, default=False
        Ablation switch: True fixes M0 to the identity and every dM_i to zero,
        so all clusters share one (Euclidean) metric.
    bias_mode : {"projection", "signed"}, default="projection"
        "projection" is the paper's ``u^T M0 v / sqrt(v^T M0 v)``; "signed"
        multiplies it by the sign of (second-nearest cluster's bin - nearest
        cluster's bin), so the bias points towards the more positive or more
        negative neighbour.
    label_range : (float, float), default=(-3.0, 3.0)
        Range of the sentiment scores; cut into 7 equal sentiment bins. ``y``
        outside it is an error.
    semi_supervised : bool, default=False
        True: NaN in ``y`` marks an unlabeled row, which the shared-space
        clustering, the inter-cluster loss and the encoders learn from; the
        validation hold-out is drawn from the labeled rows. False: NaN in ``y``
        is an error, so an accidental NaN is never taken for "unlabeled".
    lr : float, default=1e-3
        Adam learning rate of the network.
    metric_lr : float, default=1e-4
        Adam learning rate of M0 and the dM_i.
    batch_size : int, default=64
        Rows per mini-batch.
    max_epochs : int, default=100
        Maximum number of training epochs.
    patience : int or None, default=10
        Epochs without a better validation MAE before training stops; None
        trains ``max_epochs`` epochs. Either way the epoch with the best
        validation MAE is the one kept.
    validation_fraction : float or None, default=0.1
        Random hold-out of the training data for model selection, unless
        ``validation_data`` is passed to :meth:`fit`. None: no validation.
    device : {"auto", "cpu", "cuda", "cuda:N"}, default="auto"
        Torch device; "auto" is CUDA when available, else the CPU.
    random_state : int, RandomState instance or None, default=None
        Seeds torch, NumPy and the hold-out splits; an int gives the same fit on every call.
    verbose : int, default=0
        0: silent. 1: one line per epoch (training loss, validation MAE with a ``*`` on
        the best epoch so far, elapsed and estimated time left). 2: also the L1 and
        L_MMC parts apart and ``center_shift``, how far re-clustering moved the centers.
    callbacks : list of (str, skorch.callbacks.Callback) or None, default=None
        Extra skorch callbacks (e.g. a TensorBoard or MLflow logger) run by the net;
        their parameters can be set as ``callbacks__<name>__<param>``.
    n_threads : int or None, default=1
        Torch threads used by fit, predict and transform (the process-wide setting is
        restored afterwards). One thread keeps a fit fast when other processes share
        the cores (several threads spin-wait and stall each other there) and lets
        ``GridSearchCV(n_jobs=k)`` scale; None uses torch's current setting.
        With two or more threads, the audio and vision (every sequence) encoders
        run side by side, one thread each, in fit and predict alike: an epoch on
        MOSI-size data about 1.3x faster on 2 cores than with one thread.

    Attributes
    ----------
    net_ : skorch.NeuralNet
        The trained net (its ``module_`` is the torch network).
    cluster_centers_ : ndarray of shape (n_clusters, hidden_dim)
    cluster_bins_ : ndarray of int of shape (n_clusters,)
        Sentiment bin of each cluster, 0 (most negative) .. 6 (most positive);
        bin b covers ``[low + b * w, low + (b + 1) * w)`` with ``w = (high - low) / 7``.
    metric_ : ndarray of shape (hidden_dim, hidden_dim)
        The global metric M0.
    local_metrics_ : ndarray of shape (n_clusters, hidden_dim, hidden_dim)
        The local metrics dM_i.
    history_ : list of dict
        Per epoch: ``epoch``, ``train_loss`` (eta * L_MMC + L1), ``train_mmc``,
        ``train_l1``, ``valid_loss`` (= ``valid_l1``, the validation MAE),
        ``valid_mmc``, ``valid_l1``, ``dur`` (seconds); validation keys only with
        a validation split.
    best_epoch_ : int
        Epoch whose weights were kept: the best on validation MAE, or the last
        one without a validation split.
    device_ : str
        Device used for training.
    n_missing_ : dict of str to int
        Per modality, the number of training rows missing it (validation rows included).
    n_unlabeled_ : int
        Number of training rows with NaN ``y`` (0 unless ``semi_supervised``).
    n_features_in_ : int
    feature_names_in_ : ndarray of str
        Only when ``X`` has string column names.

    See Also
    --------
    sklearn.svm.SVR : A strong baseline on frozen sentence embeddings.

    References
    ----------
    .. [1] MMRest: cluster-based multi-metric learning with projection bias for
       multimodal sentiment analysis, CVPR 2026.

    Examples
    --------
    >>> from mmsense.datasets import make_multimodal_sentiment
    >>> from mmsense.mmrest import MMRestRegressor
    >>> X, y, modalities = make_multimodal_sentiment(60, random_state=0)
    >>> reg = MMRestRegressor(modalities=modalities, hidden_dim=8, decision_dim=8, max_epochs=2,
    ...                       random_state=0).fit(X, y)
    >>> reg.predict(X[:3]).shape
    (3,)
    >>> reg.cluster_centers_.shape
    (7, 8)
    """

    _parameter_constraints = {
        "modalities": [dict, None],
        "n_clusters": [Int(1)],
        "receptive_field": [Int(2)],
        **{name: [Float(0)] for name in ("margin", "alpha", "inter_weight", "metric_reg",
                                         "gamma", "eta", "beta")},
        "max_pairs": [Int(1), None],
        "hidden_dim": [Int(1)],
        "decision_dim": [Int(1)],
        "lstm_hidden_dim": [Int(1), None],
        "dropout": [Float(0, 1, closed="left")],
        **{name: ["boolean"] for name in ("bucket_by_length", "metric_loss", "projection_bias",
                                          "single_metric")},
        "bias_mode": [StrOptions({"projection", "signed"})],
        "label_range": [tuple, list],
        "semi_supervised": ["boolean"],
        "lr": [Float(0, closed="neither")],
        "metric_lr": [Float(0, closed="neither")],
        "batch_size": [Int(1)],
        "max_epochs": [Int(1)],
        **NEURAL_TRAINING_CONSTRAINTS,
    }

    def __init__(self, *, modalities=None, n_clusters=7, receptive_field=32, margin=3.0,
                 alpha=1.0, inter_weight=0.8, metric_reg=1.0, gamma=0.05, eta=0.01,
                 beta=0.01, max_pairs=1024, hidden_dim=64, decision_dim=50,
                 lstm_hidden_dim=32, dropout=0.0, bucket_by_length=True, metric_loss=True,
                 projection_bias=True, single_metric=False,
                 bias_mode="projection", label_range=SENTIMENT_RANGE, semi_supervised=False,
                 lr=1e-3, metric_lr=1e-4,
                 batch_size=64, max_epochs=100, patience=10, validation_fraction=0.1,
                 device="auto", random_state=None, verbose=0, callbacks=None, n_threads=1):
        self.modalities = modalities
        self.n_clusters = n_clusters
        self.receptive_field = receptive_field
        self.margin = margin
        self.alpha = alpha
        self.inter_weight = inter_weight
        self.metric_reg = metric_reg
        self.gamma = gamma
        self.eta = eta
        self.beta = beta
        self.max_pairs = max_pairs
        self.hidden_dim = hidden_dim
        self.decision_dim = decision_dim
        self.lstm_hidden_dim = lstm_hidden_dim
        self.dropout = dropout
        self.bucket_by_length = bucket_by_length
        self.metric_loss = metric_loss
        self.projection_bias = projection_bias
        self.single_metric = single_metric
        self.bias_mode = bias_mode
        self.label_range = label_range
        self.semi_supervised = semi_supervised
        self.lr = lr
        self.metric_lr = metric_lr
        self.batch_size = batch_size
        self.max_epochs = max_epochs
        self.patience = patience
        self.validation_fraction = validation_fraction
        self.device = device
        self.random_state = random_state
        self.verbose = verbose
        self.callbacks = callbacks
        self.n_threads = n_threads

    def fit(self, X, y, validation_data=None):
        """Train the network; select the epoch on validation MAE.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            The input contract: every modality's columns side by side, as ``modalities`` says.
        y : array-like of shape (n_samples,)
            Sentiment scores within ``label_range``; with ``semi_supervised=True``,
            NaN on unlabeled rows.
        validation_data : tuple (X_val, y_val), optional
            A predefined validation split (e.g. a dataset's standard one), used
            instead of ``validation_fraction``. It is not kept in the fitted model.

        Returns
        -------
        self
            The fitted estimator.
        """
        self._validate_params()
        y = _numeric_scores(y, "y")
        unlabeled = self._unlabeled_rows(y)
        # sklearn's y check refuses NaN: it sees the unlabeled rows as 0, then NaN goes back
        X, y, specs = validate_multimodal(self, X, np.where(unlabeled, 0.0, y), y_numeric=True)
        y = np.where(unlabeled.ravel(), np.nan, y)
        self._check_relations(X.shape[0])
        self._check_labels(y[~np.isnan(y)], "y")
        self.n_unlabeled_ = int(np.isnan(y).sum())
        with self._torch_fit() as seed:
            if validation_data is not None:
                train_split = predefined_split(self._validation_dataset(validation_data))
            else:
                n_labeled = X.shape[0] - self.n_unlabeled_ if self.semi_supervised else None
                train_split = self._train_split(seed, X.shape[0], n_labeled)
            self.net_ = self._build_net(specs, seed, train_split)
            self.net_.fit(network_inputs(X, specs), y.astype(np.float32))
        self.net_.train_split = None  # drop the validation data from the fitted model
        self._store_fitted_attributes()
        return self

    def predict(self, X):
        """Predicted sentiment scores, decision score plus ``gamma`` times the projection bias.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            The input contract: every modality's columns side by side, as ``modalities`` says.

        Returns
        -------
        ndarray of shape (n_samples,)
            Predicted sentiment scores.
        """
        inputs = self._inputs_for_inference(X)
        prediction = predict_batches(self.net_.module_, inputs)[0]
        check_finite_output(prediction, type(self).__name__, "the prediction")
        return prediction.numpy().astype(np.float64)

    def embed(self, X):
        """The shared-space embedding and cluster assignment, for analysis and plots.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            The input contract: every modality's columns side by side, as ``modalities`` says.

        Returns
        -------
        Bunch
            ``embedding``: ndarray (n_samples, n_modalities, hidden_dim), the
            shared-space points, NaN for a modality missing from the row;
            ``modalities``: list of str, the modality order of the second axis;
            ``present``: ndarray of bool (n_samples, n_modalities), which points
            exist; ``cluster``: ndarray of int (n_samples, n_modalities), the
            nearest cluster under the learned metrics (-1 for a missing
            modality); ``second_cluster``: the second-nearest (-1 with one
            cluster or a missing modality); ``bias``: ndarray (n_samples,), the
            projection bias averaged over the row's present modalities (computed
            even with ``projection_bias=False``); ``decision``: ndarray
            (n_samples,), the decision score y'.
        """
        inputs = self._inputs_for_inference(X)
        decision, bias, nearest, second, shared, present = predict_batches(
            self.net_.module_, inputs, method="explain")
        check_finite_output(shared, type(self).__name__, "the embedding")
        present = present.numpy()
        return Bunch(
            embedding=np.where(present[:, :, None], shared.numpy().astype(np.float64), np.nan),
            modalities=list(self.net_.module_.names),
            present=present,
            cluster=nearest.numpy(),
            second_cluster=second.numpy(),
            bias=bias.numpy().astype(np.float64),
            decision=decision.numpy().astype(np.float64),
        )

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = allows_nan(self.modalities)
        return tags

    # -- helpers -------------------------------------------------------------------------------

    def _inputs_for_inference(self, X):
        check_is_fitted(self, "net_")
        X, _, specs = validate_multimodal(self, X, reset=False)
        return network_inputs(X, specs)

    def _validation_dataset(self, validation_data):
        try:
            X_val, y_val = validation_data
        except (TypeError, ValueError):
            raise ValueError(
                "validation_data must be a pair (X_val, y_val); "
                f"got {type(validation_data).__name__}."
            ) from None
        X_val, _, specs = validate_multimodal(self, X_val, reset=False)
        y_val = _numeric_scores(y_val, "validation_data y_val").ravel()
        if np.isnan(y_val).any():
            raise ValueError(
                f"validation_data y_val has NaN in {int(np.isnan(y_val).sum())} row(s); "
                "validation scores labeled rows only, so drop the unlabeled rows from it."
            )
        if y_val.shape[0] != X_val.shape[0]:
            raise ValueError(
                f"validation_data: X_val has {X_val.shape[0]} rows but y_val has {y_val.shape[0]}."
            )
        self._check_labels(y_val, "validation_data y_val")
        return Dataset(network_inputs(X_val, specs), y_val.astype(np.float32))

    def _build_net(self, specs, seed, train_split):
        mmc = MMCConfig(
            n_clusters=self.n_clusters, receptive_field=self.receptive_field,
            margin=float(self.margin), alpha=float(self.alpha),
            inter_weight=float(self.inter_weight), metric_reg=float(self.metric_reg),
            eta=float(self.eta), max_pairs=self.max_pairs,
            label_range=tuple(float(v) for v in self.label_range),
            metric_loss=bool(self.metric_loss), single_metric=bool(self.single_metric),
        )
        callbacks = [
            ("train_mmc", PassthroughScoring("train_mmc", on_train=True)),
            ("train_l1", PassthroughScoring("train_l1", on_train=True)),
        ]
        if train_split is not None:
            callbacks += [("valid_mmc", PassthroughScoring("valid_mmc")),
                          ("valid_l1", PassthroughScoring("valid_l1"))]
        return MMRestNet(
            MMRestModule,
            mmc=mmc,
            seed=seed,
            module__specs=specs,
            module__hidden_dim=self.hidden_dim,
            module__decision_dim=self.decision_dim,
            module__n_clusters=self.n_clusters,
            module__beta=float(self.beta),
            module__gamma=float(self.gamma),
            module__projection_bias=bool(self.projection_bias),
            module__signed_bias=self.bias_mode == "signed",
            module__single_metric=bool(self.single_metric),
            module__dropout=float(self.dropout),
            module__lstm_hidden_dim=self.lstm_hidden_dim,
            bucket_by_length=bool(self.bucket_by_length),
            criterion=torch.nn.L1Loss,
            optimizer=torch.optim.Adam,
            lr=self.lr,
            optimizer__param_groups=[("metric", {"lr": self.metric_lr}),
                                     ("local_metrics", {"lr": self.metric_lr})],
            batch_size=self.batch_size,
            max_epochs=self.max_epochs,
            train_split=train_split,
            iterator_train__shuffle=True,
            callbacks=callbacks + self._training_callbacks(validation=train_split is not None)
            + self._extra_callbacks("MMRestRegressor", "valid_loss", metric_name="valid MAE",
                                    details=("train_l1", "train_mmc", "valid_mmc",
                                             "center_shift")),
            device=self.device_,
            verbose=0,  # progress lines come from the "progress" callback
        )

    def _store_fitted_attributes(self):
        module = self.net_.module_
        self.cluster_centers_ = module.centers.detach().cpu().double().numpy()
        self.cluster_bins_ = module.bins.detach().cpu().numpy()
        self.metric_ = module.metric.detach().cpu().double().numpy()
        self.local_metrics_ = module.local_metrics.detach().cpu().double().numpy()
        self.history_ = epoch_history(self.net_.history, _HISTORY_KEYS)
        self.best_epoch_ = self._best_epoch(self.net_)

    def _unlabeled_rows(self, y):
        """NaN targets: the unlabeled rows with ``semi_supervised``, an error without it."""
        unlabeled = np.isnan(y) if y.dtype.kind in "fc" else np.zeros(y.shape, dtype=bool)
        n_rows = unlabeled.shape[0] if unlabeled.ndim else 0
        if unlabeled.any() and not self.semi_supervised:
            first = int(np.flatnonzero(unlabeled.ravel())[0])
            raise ValueError(
                f"y contains NaN in {int(unlabeled.sum())} of {n_rows} rows (first at row "
                f"{first}). NaN marks an unlabeled row only with semi_supervised=True: set it "
                "to learn from those rows too, or drop them."
            )
        if n_rows and unlabeled.all():
            raise ValueError(
                f"y is NaN (unlabeled) in every one of the {n_rows} rows; semi_supervised=True "
                "still needs labeled rows to vote the clusters' bins and train the L1 loss."
            )
        return unlabeled

    def _check_labels(self, y, name):
        low, high = self.label_range
        outside = (y < low) | (y > high)
        if outside.any():
            raise ValueError(
                f"{name} must lie within label_range={tuple(self.label_range)}; found "
                f"{int(outside.sum())} value(s) outside, from {y.min():g} to {y.max():g}. "
                "Set label_range to the scores' range (values are never clipped)."
            )

    def _check_relations(self, n_samples):
        """What the constraint table cannot say: the label range's order, enough rows."""
        _check_label_range(self.label_range)
        if n_samples < self.n_clusters:
            raise ValueError(
                f"n_clusters={self.n_clusters} needs at least {self.n_clusters} samples; "
                f"got {n_samples} sample(s)."
            )


def _numeric_scores(y, name):
    """``y`` as float64 scores; strings or other non-numbers are a clear error."""
    if y is None:
        raise ValueError(
            "MMRestRegressor requires y to be passed, but the target y is None."
        )
    values = np.asarray(y)
    if values.dtype.kind == "c":
        return values  # validate_data refuses it ("Complex data not supported")
    if values.dtype.kind not in "biuf":
        try:
            return values.astype(np.float64)
        except (TypeError, ValueError):
            raise ValueError(
                f"{name} must hold numeric sentiment scores (floats within label_range); got "
                f"values of dtype {values.dtype} such as {values.ravel()[:3].tolist()}."
            ) from None
    return values.astype(np.float64, copy=False)


def _check_label_range(label_range):
    try:
        low, high = (float(v) for v in label_range)
    except (TypeError, ValueError):
        raise ValueError(f"label_range must be a pair (low, high); got {label_range!r}.") from None
    if not (np.isfinite(low) and np.isfinite(high) and low < high):
        raise ValueError(
            f"label_range must be finite with low < high; got {label_range!r}."
        )
