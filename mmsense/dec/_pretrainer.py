"""DECPretrainer: semi-supervised deep embedded clustering of multimodal inputs."""

from __future__ import annotations

import numpy as np
import torch
from sklearn.base import (
    BaseEstimator,
    ClassNamePrefixFeaturesOutMixin,
    ClusterMixin,
    TransformerMixin,
)
from sklearn.cluster import KMeans
from sklearn.utils.validation import check_is_fitted
from skorch import NeuralNet

from .._contract import allows_nan, n_input_rows, network_inputs, validate_multimodal
from .._labels import encode_partial_labels
from ..nn import NeuralEstimatorMixin, check_finite_output, epoch_history, predict_batches
from ..utils._param_validation import (
    NEURAL_TRAINING_CONSTRAINTS, Float, Int, Interval, RealNotInt, check_layer_sizes,
    validate_parameter_constraints,
)
from ._losses import AutoencoderLoss, log_soft_assignment
from ._modules import DECAutoencoder
from ._training import labeled_holdout, run_clustering

# KMeans' default, used when there are neither labels nor n_clusters
DEFAULT_N_CLUSTERS = 8


class DECPretrainer(
    ClassNamePrefixFeaturesOutMixin, TransformerMixin, ClusterMixin, NeuralEstimatorMixin,
    BaseEstimator,
):
    """Semi-supervised deep embedded clustering (DEC) of multimodal inputs.

    A per-modality Transformer encoder (sinusoidal positions, key-padding mask,
    masked mean pooling; a static modality goes through a linear projection),
    concatenation of the modalities and fully connected layers (LayerNorm,
    ReLU, dropout) map each row to a latent ``z``; one decoder per modality
    reconstructs that modality's raw features averaged over its real steps.
    Fitting runs two phases:

    1. **Autoencoder pretraining**: ``reconstruction_weight * reconstruction +
       disentanglement_weight * disentanglement`` (mean squared off-diagonal
       entry of the batch covariance of ``z``), Adam, early stopping on a
       random ``validation_fraction`` hold-out (skorch).
    2. **Semi-supervised DEC**: centers from the labeled rows' class means of
       ``z`` when ``y`` has labels (one cluster per class), else k-means on
       ``z`` (``n_init`` runs). Every ``update_interval`` epochs the Student-t
       soft assignment ``q`` of the *whole* training set gives the detached
       target ``p_ij ∝ q_ij^2 / f_j``; each mini-batch minimises
       ``clustering_weight * KL(P||Q) + label_weight * CE(labeled rows, q)
       + reconstruction_weight * reconstruction + disentanglement_weight *
       disentanglement``. Training stops when fewer than ``tol`` of the hard
       assignments change between two updates, or after ``max_epochs``.
       With labels, a stratified ``label_validation_fraction`` of the labeled
       rows is held out of the cross-entropy and of the centers (they stay in
       the KL and reconstruction terms as unlabeled rows); their accuracy
       (cluster = class) picks the phase-2 epoch whose weights are kept (the
       phase-1 state counts as epoch 0), and ``patience`` epochs without a
       better one stop training. Ours: without it phase 2 overfits the
       labeled rows (on CMU-MOSI text its held-out accuracy peaks after a few
       epochs and then falls below the phase-1 encoder's).

    The paper gives no sizes, loss weights or learning rates. The defaults
    below marked *ours* come from DEC/IDEC practice (IDEC: reconstruction 1,
    clustering 0.1, Adam 1e-3; DEC: ``a = 1``, ``tol = 0.1%``), except
    ``label_weight``, chosen on validation data. The paper's loss
    ``KL + beta * CE + alpha * recon`` is this loss divided by
    ``clustering_weight``, so the defaults mean ``beta = 0``, ``alpha = 10``
    (Adam is insensitive to the overall scale).

    Parameters
    ----------
    n_clusters : int, default=None
        Number of clusters. None: the number of labeled classes in ``y``, or
        8 (KMeans' default) when fitted without labels. When ``y`` has labels
        it must equal the number of labeled classes.
    modalities : dict or None, default=None
        The input contract's modalities (see :mod:`mmsense._contract`).
    embed_dim : int, default=64
        Width of each modality's encoder (divisible by ``num_heads``). Ours.
    hidden_dims : tuple of int, default=(128,)
        Fully connected layers between the fused encodings and ``z`` (the
        decoders mirror them). Ours.
    latent_dim : int, default=32
        Width of ``z``. Ours.
    num_layers : int, default=2
        Transformer layers per sequence modality (paper: 2).
    num_heads : int, default=4
        Attention heads (paper: 4).
    dropout : float, default=0.1
        Dropout in the Transformer and the fully connected layers. Ours.
    dof : float, default=1.0
        Degrees of freedom ``a`` of the Student-t kernel (paper and DEC: 1).
    reconstruction_weight : float, default=1.0
        Weight of the reconstruction loss in both phases (IDEC: 1).
    disentanglement_weight : float, default=0.1
        Weight of the disentanglement penalty in both phases; 0 turns it off.
        Ours.
    clustering_weight : float, default=0.1
        Weight of ``KL(P || Q)`` (IDEC: 0.1).
    label_weight : float, default=0.0
        Weight of the cross-entropy of the labeled rows' soft assignment
        (the paper's ``beta``, times ``clustering_weight``). Ours, chosen on
        validation data (the sweep is recorded in
        ``benchmarks/results/dec.md``). With 0 the labels still shape phase 2:
        they place the centers (one per class) and their held-out part
        selects the epoch kept; the cross-entropy is left to fine-tuning. Set
        it above 0 for the paper's ``KL + beta * CE`` objective.
    lr : float, default=1e-3
        Adam learning rate in both phases (IDEC: 1e-3).
    batch_size : int, default=64
        Ours.
    pretrain_max_epochs : int, default=200
        Phase-1 epoch cap (paper: 200); 0 skips phase 1.
    validation_fraction : float or None, default=0.1
        Phase-1 hold-out for early stopping; None trains on every row for
        ``pretrain_max_epochs``. Ours.
    patience : int or None, default=10
        Epochs without a better validation loss (phase 1) or held-out labeled
        accuracy (phase 2) before stopping; None: no early stopping (phase 2
        still keeps its best epoch). Ours.
    max_epochs : int, default=100
        Phase-2 epoch cap (paper: 100); 0 gives autoencoder-only pretraining
        (the centers are still initialised, so ``predict`` works).
    label_validation_fraction : float or None, default=0.2
        Fraction of each labeled class held out to select the phase-2 epoch
        (each class keeps at least one training row); None: no hold-out, the
        last epoch is kept. Unused without labels or with ``max_epochs=0``.
        Ours.
    update_interval : int, default=1
        Epochs between two recomputations of the target ``P``. Ours.
    tol : float, default=1e-3
        Stop phase 2 when fewer than this fraction of assignments change
        between two updates (paper: 0.1%).
    n_init : int, default=20
        Number of k-means restarts for the centers when fitted without labels
        (paper: 20).
    device : {"auto", "cpu", "cuda", "cuda:N"}, default="auto"
        "auto" uses CUDA when available. A model fitted on a GPU unpickles on
        a CPU-only machine.
    random_state : int, RandomState instance or None, default=None
        Seeds torch, the hold-out split and k-means. Fits with the same int are
        identical on the CPU.
    verbose : int, default=0
        0: silent. 1: one line per epoch of each phase (loss; phase 1: validation
        loss, phase 2: held-out labeled accuracy, with a ``*`` on the best epoch so
        far; elapsed and estimated time left). 2: phase 2 also shows ``changed``, the
        fraction of assignments changed at the last target update, and the loss terms.
    callbacks : list of (str, skorch.callbacks.Callback) or None, default=None
        Extra skorch callbacks (e.g. a TensorBoard or MLflow logger) run by the phase-1
        (autoencoder) net; their parameters can be set as ``callbacks__<name>__<param>``.
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
    net_ : skorch.NeuralNet
        The fitted network; ``net_.module_`` is the :class:`DECAutoencoder`.
    cluster_centers_ : ndarray of shape (n_clusters, latent_dim)
        Cluster centers in the latent space.
    labels_ : ndarray of shape (n_samples,)
        Cluster index of each training row (``argmax q``).
    classes_ : ndarray or None
        With labels: the labeled classes, cluster ``j`` standing for
        ``classes_[j]``. None when fitted without labels.
    n_iter_ : int
        Phase-2 epochs run.
    best_epoch_ : int
        The phase-2 epoch whose weights were kept (0: the phase-1 encoder and
        initial centers; ``n_iter_`` without a hold-out).
    termination_condition_ : {"tol", "max_epochs", "patience"}
        Why phase 2 stopped.
    label_holdout_ : ndarray of int
        Training rows whose labels were held out to select the phase-2 epoch
        (empty without a hold-out). :class:`DECClassifier` validates its
        fine-tuning on the same rows.
    history_ : dict
        ``"autoencoder"``: per-epoch phase-1 ``train_loss``, ``valid_loss``,
        ``dur``; ``"clustering"``: per-epoch phase-2 ``loss`` and its terms,
        ``changed`` (fraction of changed assignments at that epoch's update,
        None when no comparison), ``holdout_accuracy`` and ``holdout_nll``
        (with a hold-out) and ``dur`` (seconds).
    device_ : str
        The device used for fitting.
    n_missing_ : dict of str to int
        Training rows missing each modality (all NaN; see Notes).
    n_features_in_ : int
    feature_names_in_ : ndarray of str
        Only when ``X`` has string column names.

    See Also
    --------
    DECClassifier : Fine-tunes this pretrainer's encoder with a classifier head.
    sklearn.cluster.KMeans : The clusterer this one's interface follows.

    Notes
    -----
    ``predict`` and ``labels_`` give cluster indices ``0 .. n_clusters - 1``,
    as KMeans does, so that ``cluster_centers_[predict(X)]`` works. When fitted
    with labels, cluster ``j`` is class ``classes_[j]``: ``classes_[predict(X)]``
    gives class labels (for labels ``0 .. k-1`` the two coincide).

    The decoders reconstruct each modality's *input* features averaged over
    the real steps, not the encoder's own pooled output (which the encoder
    could make constant to zero the loss).

    A modality may be missing from some rows (a static block all NaN, a
    sequence without a real step), at fit and at predict time: ``z`` is then
    fused from the row's present modalities only (the missing modality's slot
    in the concatenation is zero), and the reconstruction loss scores each
    modality on the rows that have it. A row missing every modality is an
    error.

    References
    ----------
    .. [1] "Enhancing Multi-Modal Video Sentiment Classification Through
       Semi-Supervised Clustering", arXiv:2501.06475, 2025.
    .. [2] J. Xie, R. Girshick, A. Farhadi, "Unsupervised Deep Embedding for
       Clustering Analysis", ICML 2016.
    .. [3] X. Guo, L. Gao, X. Liu, J. Yin, "Improved Deep Embedded Clustering
       with Local Structure Preservation", IJCAI 2017.

    Examples
    --------
    >>> from mmsense.datasets import make_multimodal_sentiment
    >>> from mmsense.dec import DECPretrainer
    >>> X, y, modalities = make_multimodal_sentiment(60, n_clusters=3, task="multiclass",
    ...                                        labeled_fraction=0.5, random_state=0)
    >>> dec = DECPretrainer(modalities=modalities, embed_dim=8, hidden_dims=(16,), latent_dim=4,
    ...                     pretrain_max_epochs=2, max_epochs=2, random_state=0)
    >>> dec.fit(X, y).transform(X).shape
    (60, 4)
    >>> dec.cluster_centers_.shape, dec.classes_
    ((3, 4), array([0, 1, 2]))
    """

    _parameter_constraints = {
        "n_clusters": [Int(1), None],
        "modalities": [dict, None],
        **{name: [Int(1)] for name in ("embed_dim", "latent_dim", "num_layers", "num_heads",
                                       "batch_size", "update_interval", "n_init")},
        "hidden_dims": [tuple, list],
        "dropout": [Float(0, 1, closed="left")],
        "dof": [Float(0, closed="neither")],
        **{name: [Float(0)] for name in ("reconstruction_weight", "disentanglement_weight",
                                         "clustering_weight", "label_weight")},
        "lr": [Float(0, closed="neither")],
        "pretrain_max_epochs": [Int(0)],
        "max_epochs": [Int(0)],
        "label_validation_fraction": [Interval(RealNotInt, 0, 1, closed="neither"), None],
        "tol": [Float(0, 1, closed="both")],
        **NEURAL_TRAINING_CONSTRAINTS,
    }

    def __init__(
        self,
        n_clusters=None,
        *,
        modalities=None,
        embed_dim=64,
        hidden_dims=(128,),
        latent_dim=32,
        num_layers=2,
        num_heads=4,
        dropout=0.1,
        dof=1.0,
        reconstruction_weight=1.0,
        disentanglement_weight=0.1,
        clustering_weight=0.1,
        label_weight=0.0,
        lr=1e-3,
        batch_size=64,
        pretrain_max_epochs=200,
        validation_fraction=0.1,
        patience=10,
        max_epochs=100,
        label_validation_fraction=0.2,
        update_interval=1,
        tol=1e-3,
        n_init=20,
        device="auto",
        random_state=None,
        verbose=0,
        callbacks=None,
        n_threads=1,
    ):
        self.n_clusters = n_clusters
        self.modalities = modalities
        self.embed_dim = embed_dim
        self.hidden_dims = hidden_dims
        self.latent_dim = latent_dim
        self.num_layers = num_layers
        self.num_heads = num_heads
        self.dropout = dropout
        self.dof = dof
        self.reconstruction_weight = reconstruction_weight
        self.disentanglement_weight = disentanglement_weight
        self.clustering_weight = clustering_weight
        self.label_weight = label_weight
        self.lr = lr
        self.batch_size = batch_size
        self.pretrain_max_epochs = pretrain_max_epochs
        self.validation_fraction = validation_fraction
        self.patience = patience
        self.max_epochs = max_epochs
        self.label_validation_fraction = label_validation_fraction
        self.update_interval = update_interval
        self.tol = tol
        self.n_init = n_init
        self.device = device
        self.random_state = random_state
        self.verbose = verbose
        self.callbacks = callbacks
        self.n_threads = n_threads

    def fit(self, X, y=None):
        """Pretrain the autoencoder, then run (semi-supervised) DEC.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Multimodal input following ``modalities``.
        y : array-like of shape (n_samples,), default=None
            Class labels, ``-1`` for unlabeled rows (strings in an object
            array). None or all ``-1``: unsupervised DEC.

        Returns
        -------
        self : DECPretrainer
            The fitted estimator.
        """
        check_architecture(self)
        X, y, specs = validate_multimodal(self, X, y)
        classes, codes = (None, np.full(len(X), -1, dtype=np.int64)) if y is None \
            else encode_partial_labels(y)
        return self._fit_network(network_inputs(X, specs), specs, classes, codes)

    def _fit_network(self, inputs, specs, classes, codes):
        """Both phases on validated network inputs (DECClassifier calls this on its clone)."""
        classes = classes if classes is not None and len(classes) else None
        n_clusters = self._resolve_n_clusters(classes, len(codes))
        with self._torch_fit() as seed:
            self.net_ = self._pretrain(inputs, specs, n_clusters, seed)
            module = self.net_.module_
            held = self._label_holdout(codes, seed)
            train_codes = codes.copy()
            train_codes[held] = -1  # their labels only pick the phase-2 epoch
            self._init_centers(module, inputs, train_codes, n_clusters, seed)
            weights = {"clustering": self.clustering_weight, "label": self.label_weight,
                       "reconstruction": self.reconstruction_weight,
                       "disentanglement": self.disentanglement_weight}
            generator = torch.Generator().manual_seed(seed)
            (clustering_history, self.n_iter_, self.termination_condition_,
             self.best_epoch_) = run_clustering(
                module, inputs, train_codes, weights=weights, dof=self.dof, lr=self.lr,
                batch_size=self.batch_size, max_epochs=self.max_epochs,
                update_interval=self.update_interval, tol=self.tol, generator=generator,
                holdout=(held, codes[held]) if len(held) else None, patience=self.patience,
                verbose=self._verbose_level,
            )
        self.label_holdout_ = held
        module.eval()
        self.history_ = {"autoencoder": epoch_history(self.net_.history),
                         "clustering": clustering_history}
        self.classes_ = classes
        self.cluster_centers_ = module.centers.detach().cpu().numpy().copy()
        self.labels_ = self._assign(self._latent(inputs))
        return self

    def transform(self, X):
        """The latent representation ``z``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            The input contract: every modality's columns side by side, as ``modalities`` says.

        Returns
        -------
        Z : ndarray of shape (n_samples, latent_dim)
            The latent codes (float32).
        """
        return self._encode(X).numpy()

    def predict(self, X):
        """Index of the closest cluster (``argmax q``) of each row.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            The input contract: every modality's columns side by side, as ``modalities`` says.

        Returns
        -------
        labels : ndarray of shape (n_samples,), int64
            Cluster indices; ``classes_[labels]`` are class labels when fitted
            with labels.
        """
        return self._assign(self._encode(X))

    def _encode(self, X) -> torch.Tensor:
        check_is_fitted(self)
        X, _, specs = validate_multimodal(self, X, reset=False)
        return self._latent(network_inputs(X, specs))

    def _latent(self, inputs) -> torch.Tensor:
        z = predict_batches(self.net_.module_.encoder, inputs)
        check_finite_output(z, type(self).__name__, "the latent code z")
        return z

    def _assign(self, z: torch.Tensor) -> np.ndarray:
        centers = torch.as_tensor(self.cluster_centers_)
        return log_soft_assignment(z, centers, self.dof).argmax(1).numpy().astype(np.int64)

    @property
    def _n_features_out(self):
        return self.cluster_centers_.shape[1]

    def _pretrain(self, inputs, specs, n_clusters, seed) -> NeuralNet:
        """Phase 1 through skorch: reconstruction + disentanglement, early stopping."""
        train_split = None
        if self.pretrain_max_epochs > 0:
            train_split = self._train_split(seed, n_input_rows(inputs))
        net = NeuralNet(
            module=DECAutoencoder,
            module__specs=specs,
            module__n_clusters=n_clusters,
            **{f"module__{k}": v for k, v in architecture(self).items()},
            criterion=AutoencoderLoss,
            criterion__reconstruction_weight=self.reconstruction_weight,
            criterion__disentanglement_weight=self.disentanglement_weight,
            optimizer=torch.optim.Adam,
            lr=self.lr,
            batch_size=self.batch_size,
            max_epochs=self.pretrain_max_epochs,
            train_split=train_split,
            callbacks=self._training_callbacks(validation=train_split is not None)
            + self._extra_callbacks("DECPretrainer phase 1 (autoencoder)", "valid_loss",
                                    metric_name="valid loss"),
            iterator_train__shuffle=True,
            device=self.device_,
            verbose=0,  # progress lines come from the "progress" callback
        )
        if self.pretrain_max_epochs > 0:
            return net.fit(inputs, None)
        return net.initialize()

    def _label_holdout(self, codes, seed) -> np.ndarray:
        """Labeled rows held out from phase 2's cross-entropy to select its epoch."""
        if self.max_epochs == 0:
            return np.zeros(0, dtype=np.int64)
        return labeled_holdout(codes, self.label_validation_fraction, seed)

    def _init_centers(self, module, inputs, codes, n_clusters, seed):
        """Labeled class means of ``z`` when there are labels, else k-means on ``z``."""
        z = predict_batches(module.encoder, inputs)
        if (codes >= 0).any():
            codes_t = torch.as_tensor(codes)
            centers = torch.stack([z[codes_t == j].mean(0) for j in range(n_clusters)])
        else:
            kmeans = KMeans(n_clusters, n_init=self.n_init, random_state=seed)
            centers = torch.as_tensor(kmeans.fit(z.numpy()).cluster_centers_, dtype=z.dtype)
        with torch.no_grad():
            module.centers.copy_(centers.to(module.centers.device))

    def _resolve_n_clusters(self, classes, n_samples: int) -> int:
        if classes is not None:
            if self.n_clusters is not None and self.n_clusters != len(classes):
                raise ValueError(
                    f"n_clusters={self.n_clusters} but y has {len(classes)} labeled classes "
                    f"{classes.tolist()}; with labels each cluster is one class, so leave "
                    f"n_clusters=None or set it to {len(classes)}."
                )
            n_clusters = len(classes)
        else:
            n_clusters = DEFAULT_N_CLUSTERS if self.n_clusters is None else self.n_clusters
        if n_samples < n_clusters:
            raise ValueError(
                f"got n_samples = {n_samples}, fewer than n_clusters = {n_clusters}; "
                "DEC needs at least one row per cluster."
            )
        return n_clusters

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        # the network computes in float32 whatever the input dtype
        tags.transformer_tags.preserves_dtype = ["float32"]
        tags.input_tags.allow_nan = allows_nan(self.modalities)
        return tags


def architecture(pretrainer) -> dict:
    """The network sizes a DECPretrainer's parameters give (DECAutoencoder's arguments)."""
    return dict(embed_dim=pretrainer.embed_dim, hidden_dims=tuple(pretrainer.hidden_dims),
                latent_dim=pretrainer.latent_dim, num_layers=pretrainer.num_layers,
                num_heads=pretrainer.num_heads, dropout=pretrainer.dropout)


def check_architecture(pretrainer) -> None:
    """Validate a DECPretrainer's parameters, those between them included."""
    validate_parameter_constraints(pretrainer._parameter_constraints,
                                   pretrainer.get_params(deep=False),
                                   caller_name=type(pretrainer).__name__)
    check_layer_sizes("hidden_dims", pretrainer.hidden_dims)
    if pretrainer.embed_dim % pretrainer.num_heads:
        raise ValueError(
            f"embed_dim ({pretrainer.embed_dim}) must be divisible by num_heads "
            f"({pretrainer.num_heads})."
        )
