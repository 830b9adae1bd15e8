"""CMCSLSelfLabeler: cross-modality clustering-based self-labelling."""

from __future__ import annotations

import time
import warnings
from numbers import Integral

import numpy as np
from joblib import Parallel, delayed
from sklearn.base import BaseEstimator, MetaEstimatorMixin, clone
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import check_is_fitted

from .._contract import allows_nan, modality_presence, modality_vectors, validate_multimodal
from .._labels import (
    SemiSupervisedClassifierMixin, check_two_labeled_classes, decode_partial_labels,
    encode_partial_labels,
)
from ..neural_network import TorchMLPClassifier
from ..nn import NeuralEstimatorMixin, resolve_device, step_line
from ..utils._param_validation import DEVICE, HasMethods, Int, StrOptions
from ._features import (
    PREPROCESSING, early_fusion_matrix, fit_features, take_rows, transform_features,
)
from ._propagation import CLUSTERINGS, KMEANS_INITS, Propagation, propagate
from ._resolution import (
    RESOLUTIONS, choose_rule, loo_error, median_scale, modality_scores, resolve,
)


def _estimator_has(attr):
    """True when the inner estimator (the default MLP when None) has ``attr``."""
    def check(self):
        inner = self.estimator if self.estimator is not None else TorchMLPClassifier()
        if self.fusion == "late" and attr == "decision_function":
            return hasattr(inner, attr) and hasattr(inner, "predict_proba")
        return hasattr(inner, attr)
    return check


class CMCSLSelfLabeler(SemiSupervisedClassifierMixin, MetaEstimatorMixin, BaseEstimator):
    """Cross-modality clustering-based self-labelling for multimodal classification.

    Labels the unlabeled rows (``y == -1``) by clustering each modality around
    the labeled rows, settles disagreements between modalities, then trains a
    classifier on every row with its self-assigned label.

    1. Each modality becomes one vector per row (a sequence modality is the mean
       of its real steps) and is preprocessed (default: row-wise L2
       normalisation then standardisation), fitted on the training rows only.
    2. Inside each modality, every row takes the label of its nearest centroid:
       the labeled rows themselves (``clustering="nearest_seed"``) or the
       clusters of a k-means seeded by them (``clustering="kmeans"``).
    3. Where modalities disagree, ``resolution`` picks the modality whose
       proposal is most trustworthy (with ``majority_vote``, the most frequent
       label wins first when there are three or more modalities). Rows labeled
       by the user keep their labels.
    4. ``estimator`` is fitted on all rows with their labels: once on all
       modalities (``fusion="early"``) or once per modality with probabilities
       averaged (``fusion="late"``).

    ``mode="uni"`` skips step 3 (each modality's classifier learns from its own
    propagation) and ``mode="pre"`` skips steps 2-3 (classifiers learn from the
    labeled rows only): the paper's baselines.

    A modality may be missing from some rows (a static block all NaN, a
    sequence without a real step), at fit and at predict time. A missing
    modality neither proposes nor resolves a row's label: its preprocessing,
    propagation and classifier see only the rows that have it, and late fusion
    averages the probabilities of the modalities a row has. Early fusion fills
    a missing modality's vector with zeros (the training mean after the default
    standardisation) and adds a presence column for every modality missing from
    some training row. An unlabeled row missing every modality stays unlabeled
    (-1 in ``transduction_``) and is reported in ``unlabeled_rows_`` and by a
    warning; at predict time a row missing every modality is an error.

    Parameters
    ----------
    estimator : classifier or None, default=None
        Unfitted scikit-learn classifier, cloned for each fit. None uses
        :class:`TorchMLPClassifier` (runs on CUDA when available) with this
        estimator's ``device`` and ``random_state``.
    modalities : dict or None, default=None
        The input contract's modalities (name -> width or ``(n_steps, n_features)``);
        None is one static modality spanning every column.
    mode : {"cmcsl", "uni", "pre"}, default="cmcsl"
        ``"cmcsl"``: cross-modal self-labelling. ``"uni"``: propagation inside
        each modality only (needs ``fusion="late"``). ``"pre"``: labeled rows
        only.
    clustering : {"nearest_seed", "kmeans"}, default="nearest_seed"
        ``"nearest_seed"`` (the authors' code): each row takes the label of its
        nearest labeled row. ``"kmeans"`` (the paper's text): k-means from
        ``kmeans_init`` iterated until no assignment changes; a cluster takes
        the majority label of its labeled rows (its seed's label if it holds
        none; ties keep the seed's label when tied, else the first class).
    kmeans_init : {"seeds", "class_means"}, default="seeds"
        One centroid per labeled row, or one per class at the mean of its
        labeled rows.
    resolution : {"auto", "ratio", "reliability", "median_scaled", "euclidean"}, \
default="auto"
        How modalities are compared when they disagree (lower wins):
        ``"euclidean"`` is the raw distance to the nearest centroid (the
        authors' rule; distances grow with a modality's dimension, so the
        lower-dimensional modality wins almost every disagreement whatever its
        quality), ``"median_scaled"`` divides it by the modality's median
        nearest-centroid distance over the unlabeled training rows, and
        ``"ratio"`` is nearest distance / distance to the nearest centroid of
        another class (a per-row confidence in [0, 1]). ``"median_scaled"``
        makes every modality's typical distance 1, so a weak modality wins
        about half the disagreements. Known weakness of ``"ratio"``: distances
        concentrate in many dimensions, so a strong high-dimensional modality
        paired with a weak low-dimensional one looks unsure and loses
        disagreements. ``"reliability"`` multiplies the ratio by the
        modality's leave-one-out nearest-labeled-row error on the labeled rows,
        so that a modality the labels show to be better wins more
        disagreements (it needs two labeled rows of every class); ``"auto"``
        uses it when every class has two labeled rows and ``"ratio"``
        otherwise. The rules are compared in
        ``benchmarks/results/cmcsl.md``; compare them on your data with the
        labeled-only scorer of :mod:`mmsense.model_selection`.
    majority_vote : bool, default=True
        With three or more modalities, restrict the choice to the modalities
        proposing the most frequent label; ``resolution`` breaks ties.
    fusion : {"late", "early"}, default="late"
        ``"late"``: one clone of ``estimator`` per modality, predicted
        probabilities averaged (needs ``predict_proba``). ``"early"``: one
        clone on the concatenated preprocessed modalities.
    preprocessing : {"l2_standard", "standard", "l2", "none"}, default="l2_standard"
        Per-modality preprocessing fitted in ``fit`` and reused at predict time.
    classes : array-like or None, default=None
        Every class the task has. Gives ``classes_`` (and the columns of
        ``predict_proba``) even when a training set lacks labeled rows of a
        class; such a class gets probability 0. A labeled class not in it is
        an error.
    kmeans_max_iter : int, default=300
        Maximum k-means iterations (``clustering="kmeans"``).
    chunk_size : int, default=65536
        Rows per distance computation, and per prediction: bounds the memory of
        propagation to about ``chunk_size * (n_centroids + n_features)`` values
        and that of ``predict`` (and the other prediction methods) to one
        chunk's features and the estimator's work on them.
    device : {"auto", "cpu", "cuda", "cuda:N"}, default="auto"
        Torch device for propagation (and the default estimator).
    n_jobs : int or None, default=None
        Threads that fit and apply the per-modality classifiers of late fusion
        side by side (joblib's convention: None is 1, -1 every core). Worth it
        for classifiers whose work releases the GIL, such as scikit-learn's
        (two GaussianNB on 200,000 rows x 512 features: the final fit about
        1.8x faster on 2 cores, see the user guide's benchmarks). The torch
        classifiers of mmsense (the default) set torch's process-wide seed and
        thread count, so they run one at a time whatever ``n_jobs``.
    random_state : int, RandomState instance or None, default=None
        Seeds the default estimator; propagation is deterministic.
    verbose : int, default=0
        0: silent. 1 or more: one line per step with its time: rows labeled by each
        modality's propagation (per class), how many unlabeled rows the modalities
        disagree on and how each was settled (majority vote or ``resolution``, and
        which modality's label was taken), then the final classifier's progress
        (passed on to the default estimator).

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        Class labels (never -1).
    transduction_ : ndarray
        Label given to every training row: shape ``(n_samples,)`` for
        ``mode="cmcsl"`` (self-labeled) and ``"pre"`` (``y`` as given, -1
        where unlabeled); ``(n_samples, n_modalities)`` for ``mode="uni"``,
        column ``j`` the labels propagated inside modality ``j``. -1 where no
        label could be given (see ``unlabeled_rows_``); an object array when
        the classes are strings and a -1 is needed.
    unlabeled_rows_ : ndarray of int
        Unlabeled training rows that got no label: every modality is missing
        from them, or none of their modalities has a labeled row to propagate
        from (modes "cmcsl" and "uni").
    label_modality_ : ndarray of object, shape (n_samples,)
        Name of the modality that supplied each resolved label (``None`` on
        rows labeled by the user, and everywhere for ``mode`` "uni"/"pre").
    modality_labels_ : dict of str to ndarray
        Labels propagated inside each modality before resolution (modes
        "cmcsl" and "uni"); -1 on the rows missing the modality.
    modality_names_ : tuple of str
    preprocessors_ : dict of str to transformer
        Fitted per-modality preprocessing (on the rows that have the modality).
    n_missing_ : dict of str to int
        Training rows missing each modality (all NaN).
    indicator_modalities_ : tuple of str
        The modalities missing from some training row; early fusion gives
        each of them a presence column.
    centroids_ : dict of str to ndarray
        Final centroids per modality (modes "cmcsl" and "uni").
    centroid_labels_ : dict of str to ndarray
        Class label of each centroid.
    distance_scales_ : dict of str to float
        Median nearest-centroid distance per modality (``"median_scaled"``).
    resolution_ : str
        The rule used (``"auto"`` resolved to ``"reliability"`` or ``"ratio"``;
        modes "cmcsl" and "uni").
    modality_reliability_ : dict of str to float
        One minus each modality's smoothed leave-one-out nearest-labeled-row
        error on the labeled rows (modes "cmcsl" and "uni").
    kmeans_n_iter_ : dict of str to int
        k-means iterations per modality (0 for ``"nearest_seed"``).
    estimator_ : classifier
        Fitted classifier (``fusion="early"``).
    estimators_ : list of classifier
        Fitted classifier per modality (``fusion="late"``).
    device_ : str
    n_features_in_ : int
    feature_names_in_ : ndarray of str
        Only when ``X`` has string column names.

    See Also
    --------
    sklearn.semi_supervised.SelfTrainingClassifier : Self-training from the
        classifier's own confident predictions.
    sklearn.semi_supervised.LabelSpreading : Graph-based label propagation.
    TorchMLPClassifier : The default final classifier.

    References
    ----------
    .. [1] "Cross-Modality Clustering-based Self-Labeling for Multimodal Data
       Classification", arXiv:2408.02568, 2024.
       Authors' code: https://github.com/w4k2/cmcsl

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.naive_bayes import GaussianNB
    >>> from mmsense.cmcsl import CMCSLSelfLabeler
    >>> from mmsense.datasets import make_multimodal_sentiment
    >>> X, y, modalities = make_multimodal_sentiment(
    ...     200, {"text": 8, "image": 16}, task="binary", labeled_fraction=0.05,
    ...     random_state=0)
    >>> clf = CMCSLSelfLabeler(GaussianNB(), modalities=modalities).fit(X, y)
    >>> int((y == -1).sum()), int((clf.transduction_ == -1).sum())
    (190, 0)
    >>> sorted(set(clf.label_modality_[y == -1]))
    ['image', 'text']
    >>> clf.predict(X[:3]).shape
    (3,)
    """

    _parameter_constraints = {
        "estimator": [HasMethods(["fit", "predict"]), None],
        "modalities": [dict, None],
        "mode": [StrOptions({"cmcsl", "uni", "pre"})],
        "clustering": [StrOptions(set(CLUSTERINGS))],
        "kmeans_init": [StrOptions(set(KMEANS_INITS))],
        "resolution": [StrOptions(set(RESOLUTIONS))],
        "majority_vote": ["boolean"],
        "fusion": [StrOptions({"early", "late"})],
        "preprocessing": [StrOptions(set(PREPROCESSING))],
        "classes": ["array-like", None],
        "kmeans_max_iter": [Int(1)],
        "chunk_size": [Int(1)],
        "device": DEVICE,
        "n_jobs": [Integral, None],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
    }

    def __init__(self, estimator=None, *, modalities=None, mode="cmcsl",
                 clustering="nearest_seed", kmeans_init="seeds", resolution="auto",
                 majority_vote=True, fusion="late", preprocessing="l2_standard",
                 classes=None, kmeans_max_iter=300, chunk_size=65536, device="auto",
                 n_jobs=None, random_state=None, verbose=0):
        self.estimator = estimator
        self.modalities = modalities
        self.mode = mode
        self.clustering = clustering
        self.kmeans_init = kmeans_init
        self.resolution = resolution
        self.majority_vote = majority_vote
        self.fusion = fusion
        self.preprocessing = preprocessing
        self.classes = classes
        self.kmeans_max_iter = kmeans_max_iter
        self.chunk_size = chunk_size
        self.device = device
        self.n_jobs = n_jobs
        self.random_state = random_state
        self.verbose = verbose

    # ------------------------------------------------------------------ checks
    def _check_relations(self):
        """What the constraint table cannot say: the options that need each other."""
        if self.mode == "uni" and self.fusion != "late":
            raise ValueError(
                "mode='uni' gives each modality its own labels, so it needs fusion='late'; "
                f"got fusion={self.fusion!r}."
            )
        if self.fusion == "late" and not hasattr(self._make_estimator(), "predict_proba"):
            raise ValueError(
                "fusion='late' averages the modalities' predict_proba, but "
                f"{type(self.estimator).__name__} has no predict_proba; use fusion='early'."
            )

    def _make_estimator(self):
        if self.estimator is None:
            return TorchMLPClassifier(device=self.device, random_state=self.random_state,
                                      verbose=self.verbose)
        return clone(self.estimator)

    # --------------------------------------------------------------------- fit
    def fit(self, X, y):
        """Self-label the unlabeled rows and fit the final classifier(s).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            All modalities side by side, laid out as ``modalities`` says.
        y : array-like of shape (n_samples,)
            Class labels, -1 for unlabeled rows (an object array for string
            labels).

        Returns
        -------
        self : CMCSLSelfLabeler
            The fitted estimator.
        """
        self._validate_params()
        self._check_relations()
        if y is None:
            raise ValueError(
                f"{type(self).__name__} requires y to be passed, but the target y is None."
            )
        # rows missing every modality are reported below, not refused
        X, y, specs = validate_multimodal(self, X, y, all_missing="allow")
        self.classes_, y_enc = encode_partial_labels(y, self.classes)
        check_two_labeled_classes(self.classes_[np.unique(y_enc[y_enc >= 0])], self)
        self.device_ = resolve_device(self.device)
        self.modality_names_ = tuple(s.name for s in specs)
        start = time.perf_counter()
        features, present = self._fit_features(X, specs)
        self._say(f"CMCSLSelfLabeler: {len(y)} rows, {int((y_enc >= 0).sum())} labeled; "
                  f"features of {len(features)} modalities in {time.perf_counter() - start:.2f}s")
        targets = self._self_label(features, present, y_enc >= 0, y_enc, y)
        self._report_unlabeled(targets, present, y_enc)
        start = time.perf_counter()
        self._fit_estimators(features, present, targets)
        self._say(f"  final classifier(s) fitted in {time.perf_counter() - start:.2f}s")
        return self

    def _say(self, text):
        if self.verbose:
            step_line(text)

    def _fit_features(self, X, specs):
        """Preprocessed vectors (0 where missing) and presence masks, per modality."""
        vectors, present = modality_vectors(X, specs), modality_presence(X, specs)
        self.preprocessors_, features = fit_features(vectors, present, self.preprocessing)
        self.indicator_modalities_ = tuple(name for name, rows in present.items()
                                           if not rows.all())
        return features, present

    def _self_label(self, features, present, labeled, y_enc, y):
        """Propagate and resolve; return each modality's training labels (-1: none)."""
        n = len(y_enc)
        self.label_modality_ = np.full(n, None, dtype=object)
        self.modality_labels_, self.centroids_, self.centroid_labels_ = {}, {}, {}
        self.distance_scales_, self.kmeans_n_iter_ = {}, {}
        if self.mode == "pre":
            self.transduction_ = np.array(y, copy=True)
            return {name: y_enc for name in features}
        self.resolution_ = choose_rule(self.resolution, y_enc[labeled])
        self.modality_reliability_ = {}
        labels, scores = zip(*(self._propagate_modality(name, values, present[name], labeled,
                                                        y_enc)
                               for name, values in features.items()))
        labels, scores = np.stack(labels), np.stack(scores)
        if self.mode == "uni":
            self.transduction_ = np.stack([decode_partial_labels(self.classes_, lab)
                                           for lab in labels], axis=1)
            return dict(zip(features, labels))
        resolved, source = resolve(labels, scores, majority_vote=self.majority_vote)
        resolved = np.where(labeled, y_enc, resolved)
        names = np.asarray(self.modality_names_, dtype=object)
        if self.verbose:
            self._say("  " + _resolution_summary(labels, resolved, source, labeled,
                                                 names, self.resolution_, self.majority_vote))
        sourced = ~labeled & (source >= 0)
        self.label_modality_[sourced] = names[source[sourced]]
        self.transduction_ = decode_partial_labels(self.classes_, resolved)
        return {name: resolved for name in features}

    def _propagate_modality(self, name, values, rows, labeled, y_enc):
        """One modality's labels and scores over all rows (-1 and inf where it is missing).

        Propagation, its centroids, scales and reliability use the rows that have
        the modality; a modality with no labeled row among them proposes nothing.
        """
        start = time.perf_counter()
        own, score = np.full(len(y_enc), -1), np.full(len(y_enc), np.inf)
        seeds, codes = labeled[rows], y_enc[rows]
        if seeds.any():
            prop = propagate(take_rows(values, rows), seeds, codes, len(self.classes_),
                             clustering=self.clustering, kmeans_init=self.kmeans_init,
                             max_iter=self.kmeans_max_iter, chunk_size=self.chunk_size,
                             device=self.device_)
        else:
            prop = Propagation(np.full((int(rows.sum()), len(self.classes_)), np.inf),
                               values[:0], np.zeros(0, dtype=np.int64))
        scale = median_scale(prop.class_distances, ~seeds)
        error = loo_error(values[rows & labeled], codes[seeds])
        own[rows] = np.where(seeds, codes, prop.labels if seeds.any() else -1)
        if seeds.any():
            score[rows] = modality_scores(prop.class_distances, self.resolution_, scale, error)
        self.modality_labels_[name] = decode_partial_labels(self.classes_, own)
        self.centroids_[name] = prop.centroids
        self.centroid_labels_[name] = self.classes_[prop.centroid_labels]
        self.distance_scales_[name] = scale
        self.kmeans_n_iter_[name] = prop.n_iter
        self.modality_reliability_[name] = 1.0 - error
        unlabeled = rows & ~labeled
        self._say(f"  {name}: propagated labels to {int(unlabeled.sum())} unlabeled rows "
                  f"({_class_counts(self.classes_, own[unlabeled & (own >= 0)])}"
                  + (f"; {prop.n_iter} k-means iterations" if prop.n_iter else "")
                  + f") in {time.perf_counter() - start:.2f}s")
        return own, score

    def _report_unlabeled(self, targets, present, y_enc):
        """``unlabeled_rows_``, and a warning naming the rows left out of training."""
        dropped = np.flatnonzero(~np.logical_or.reduce(list(present.values())))
        unlabeled = np.zeros(0, dtype=np.int64)
        if self.mode != "pre":
            no_label = (np.stack(list(targets.values())) < 0).all(axis=0)
            unlabeled = self.unlabeled_rows_ = np.flatnonzero((y_enc < 0) & no_label)
        parts = []
        if len(dropped):
            parts.append(f"{len(dropped)} training row(s) miss every modality "
                         f"{_rows_text(dropped)}: no classifier learns from them")
        if len(unlabeled):
            parts.append(f"{len(unlabeled)} unlabeled row(s) got no label {_rows_text(unlabeled)}"
                         ": every modality is missing from them or none of their modalities "
                         "has a labeled row; they stay -1 in transduction_ (unlabeled_rows_)")
        if parts:
            warnings.warn(f"{type(self).__name__}: " + "; ".join(parts) + ".", UserWarning,
                          stacklevel=3)

    def _fit_estimators(self, features, present, targets):
        """Fit on rows with a label (all of them unless mode='pre') that have the features.

        Late fusion: each modality's classifier learns from the rows that have the
        modality. Early fusion: from every row with at least one modality, missing
        modalities as zeros plus their indicator columns.
        """
        if self.fusion == "early":
            y_enc = next(iter(targets.values()))
            rows = (y_enc >= 0) & np.logical_or.reduce(list(present.values()))
            self._say(f"  final classifier on all modalities: {int(rows.sum())} rows")
            Z = early_fusion_matrix(features, present, self.indicator_modalities_)
            self.estimator_ = self._make_estimator().fit(take_rows(Z, rows),
                                                         self.classes_[y_enc[rows]])
            return
        jobs = []
        for name, values in features.items():
            rows = (targets[name] >= 0) & present[name]
            self._say(f"  final classifier on {name}: {int(rows.sum())} rows")
            jobs.append((self._make_estimator().fit, take_rows(values, rows),
                         self.classes_[targets[name][rows]]))
        self.estimators_ = self._per_modality(jobs)

    def _per_modality(self, calls):
        """``[func(*args) for func, *args in calls]``, in ``n_jobs`` threads where allowed."""
        # mmsense's torch estimators (None: the default MLP) set torch's process-wide seed
        # and thread count
        torch_inner = self.estimator is None or isinstance(self.estimator, NeuralEstimatorMixin)
        n_jobs = 1 if torch_inner else self.n_jobs
        return Parallel(n_jobs=n_jobs, prefer="threads")(
            delayed(func)(*args) for func, *args in calls)

    # ----------------------------------------------------------------- predict
    def _per_chunk(self, X, compute):
        """``compute(features, present)`` on ``chunk_size`` rows of ``X`` at a time, stacked.

        ``features`` are the chunk's preprocessed vectors (0 where missing),
        ``present`` its presence masks. Predictions are made row by row, so each
        chunk's features are dropped once used: the memory taken is one chunk's,
        not ``X``'s.
        """
        check_is_fitted(self, "classes_")
        X, _, specs = validate_multimodal(self, X, reset=False)
        parts = []
        for lo in range(0, X.shape[0], self.chunk_size):
            chunk = X[lo:lo + self.chunk_size]
            present = modality_presence(chunk, specs)
            parts.append(compute(transform_features(self.preprocessors_,
                                                    modality_vectors(chunk, specs), present),
                                 present))
        if isinstance(parts[0], dict):
            return {key: np.concatenate([p[key] for p in parts]) for key in parts[0]}
        return np.concatenate(parts)

    def _early_matrix(self, features, present):
        return early_fusion_matrix(features, present, self.indicator_modalities_)

    def _aligned_proba(self, est, values):
        """``est.predict_proba`` with one column per ``classes_`` (0 for unseen classes)."""
        proba = est.predict_proba(values)
        if len(est.classes_) == len(self.classes_) and np.array_equal(est.classes_, self.classes_):
            return proba
        out = np.zeros((proba.shape[0], len(self.classes_)), dtype=np.float64)
        out[:, np.searchsorted(self.classes_, est.classes_)] = proba
        return out

    @available_if(_estimator_has("predict_proba"))
    def predict_proba(self, X):
        """Class probabilities, one column per ``classes_``.

        Late fusion averages the per-modality estimators' probabilities over the
        modalities each row has.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            The input contract: every modality's columns side by side, as ``modalities`` says.

        Returns
        -------
        ndarray of shape (n_samples, n_classes)
            Probabilities, columns in the order of ``classes_``.
        """
        return self._per_chunk(X, self._proba)

    def _proba(self, features, present):
        if self.fusion == "early":
            return self._aligned_proba(self.estimator_, self._early_matrix(features, present))
        probas = self._per_modality([(self._aligned_proba, est, features[name])
                                     for name, est in zip(self.modality_names_, self.estimators_)])
        return _present_mean(probas, present, self.modality_names_)

    @available_if(_estimator_has("decision_function"))
    def decision_function(self, X):
        """The inner estimator's decision function (late fusion: the mean over present modalities).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            The input contract: every modality's columns side by side, as ``modalities`` says.

        Returns
        -------
        ndarray of shape (n_samples,) or (n_samples, n_classes)
            The inner estimator's decision values, averaged over modalities.
        """
        if self.fusion == "early":
            return self._per_chunk(X, lambda features, present: self.estimator_
                                   .decision_function(self._early_matrix(features, present)))
        check_is_fitted(self, "classes_")
        for est in self.estimators_:
            if not np.array_equal(est.classes_, self.classes_):
                raise ValueError(
                    "decision_function needs every modality's estimator to have seen all "
                    f"classes {list(self.classes_)}; one saw {list(est.classes_)}. Use "
                    "predict_proba, which aligns the columns."
                )
        return self._per_chunk(X, lambda features, present: _present_mean(
            self._per_modality([(est.decision_function, features[name])
                                for name, est in zip(self.modality_names_, self.estimators_)]),
            present, self.modality_names_))

    def predict(self, X):
        """Predicted class of each row.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            The input contract: every modality's columns side by side, as ``modalities`` says.

        Returns
        -------
        ndarray of shape (n_samples,)
            Labels from ``classes_``.
        """
        if self.fusion == "early":
            return self._per_chunk(X, lambda features, present: self.estimator_.predict(
                self._early_matrix(features, present)))
        proba = self.predict_proba(X)
        return self.classes_[np.argmax(proba, axis=1)]

    def modality_predict(self, X):
        """Each modality's own prediction (``fusion="late"`` only).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            The input contract: every modality's columns side by side, as ``modalities`` says.

        Returns
        -------
        dict of str to ndarray of shape (n_samples,)
            Modality name -> the prediction of that modality's estimator; -1
            on the rows missing the modality.
        """
        if self.fusion != "late":
            raise ValueError("modality_predict needs fusion='late' (one estimator per modality).")
        return self._per_chunk(X, lambda features, present: dict(zip(
            self.modality_names_, self._per_modality(
                [(_predict_present, est, features[name], present[name])
                 for name, est in zip(self.modality_names_, self.estimators_)]))))

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = allows_nan(self.modalities)
        return tags


def _present_mean(values, present, names):
    """Mean over modalities of per-modality outputs, each row over the modalities it has."""
    weights = np.stack([present[name] for name in names]).astype(np.float64)
    values = np.stack(values)
    weights = weights.reshape(weights.shape + (1,) * (values.ndim - 2))
    return (values * weights).sum(axis=0) / weights.sum(axis=0)


def _predict_present(est, values, rows):
    """``est.predict`` on the rows that have the modality; -1 on the others."""
    if rows.all():
        return est.predict(values)
    predicted = est.predict(values[rows]) if rows.any() else np.zeros(0, dtype=np.int64)
    codes = np.full(len(rows), -1, dtype=np.int64)
    codes[rows] = np.searchsorted(est.classes_, predicted)
    return decode_partial_labels(est.classes_, codes)


def _rows_text(rows) -> str:
    """``(rows [i, j, ...])``, the first ten."""
    return f"(rows {rows[:10].tolist()}{' ...' if len(rows) > 10 else ''})"


def _class_counts(classes, codes) -> str:
    counts = np.bincount(codes, minlength=len(classes))
    return ", ".join(f"class {c}: {n}" for c, n in zip(classes, counts))


def _resolution_summary(labels, resolved, source, labeled, names, resolution, majority_vote):
    """One line: unlabeled rows the modalities disagree on, and how each was settled."""
    proposed = labels >= 0
    lowest = np.where(proposed, labels, np.iinfo(labels.dtype).max).min(axis=0)
    rows = ~labeled & proposed.any(axis=0) & (lowest != labels.max(axis=0))
    n = int(rows.sum())
    if n == 0:
        return f"modalities agree on all {int((~labeled).sum())} unlabeled rows"
    settled, n_score = [], n
    if majority_vote and labels.shape[0] > 2:
        votes = labels[:, rows]
        support = (votes[:, None, :] == votes[None, :, :]).sum(axis=1)
        winner = (votes == resolved[rows]).sum(axis=0)
        runner_up = np.where((votes != resolved[rows]) & (votes >= 0), support, 0).max(axis=0)
        by_vote = int((winner > runner_up).sum())
        settled.append(f"{by_vote} by majority vote")
        n_score = n - by_vote
    settled.append(f"{n_score} by resolution={resolution!r}")
    taken = ", ".join(f"{name}: {int((source[rows] == k).sum())}" for k, name in enumerate(names))
    return (f"modalities disagree on {n} of {int((~labeled).sum())} unlabeled rows: "
            f"{', '.join(settled)}; label taken from {taken}")
