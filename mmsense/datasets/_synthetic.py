"""Synthetic multimodal sentiment data with a checkable ground truth."""

from __future__ import annotations

import numbers
import warnings

import numpy as np
from sklearn.utils import Bunch, check_random_state

from .._contract import parse_modalities

DEFAULT_MODALITIES = {"text": 32, "audio": (20, 5), "vision": (20, 8)}
_TASKS = ("regression", "binary", "multiclass")
SCORE_JITTER_SD = 0.25  # sd of a sample's latent score around its cluster center


def make_multimodal_sentiment(
    n_samples=200,
    modalities=None,
    *,
    n_clusters=7,
    modality_informativeness=None,
    unaligned=True,
    noise=1.0,
    labeled_fraction=1.0,
    task="regression",
    return_latent=False,
    random_state=None,
    labelled_fraction=None,
):
    """Generate tri-modal (or any-modal) sentiment data driven by clustered latent scores.

    Each sample belongs to one of ``n_clusters`` sentiment clusters whose
    centers are evenly spaced in [-2.5, 2.5]; its latent score is the center
    plus Gaussian jitter (sd 0.25), clipped to [-3, 3]. Every modality sees the
    same sample through its own random linear view::

        signal_m = informativeness_m * (A_m[cluster] + w_m * score)
        static:    x = signal_m + noise * N(0, I)
        sequence:  x_t = signal_m + noise * N(0, I) for each real step t

    so a modality with informativeness 0 is pure noise, and averaging a
    sequence's steps removes noise. Sequences are NaN post-padded.

    Parameters
    ----------
    n_samples : int, default=200
        Number of rows.
    modalities : dict, default=None
        The contract's spec (name -> width or (n_steps, n_features)); None uses
        ``{"text": 32, "audio": (20, 5), "vision": (20, 8)}``.
    n_clusters : int, default=7
        Number of sentiment clusters (their centers spread over [-3, 3]).
    modality_informativeness : dict of str to float, default=None
        Signal scale per modality (missing names get 1.0).
    unaligned : bool, default=True
        If True, each sample has a random duration ``u`` in [0.25, 1] and each
        of its sequences ``max(1, round(u * T))`` real steps, so lengths vary
        across samples and correlate across modalities (as in real clips,
        where audio and video frames both grow with the clip's duration); if
        False every sequence has all ``T`` steps.
    noise : float, default=1.0
        Standard deviation of the per-feature Gaussian noise.
    labeled_fraction : float, default=1.0
        Fraction of rows that keep their label; the rest get ``y = -1``. Every
        class keeps at least one labeled row. Classification tasks only,
        since -1 is a valid regression score.
    task : {"regression", "binary", "multiclass"}, default="regression"
        ``y`` is the score (float in [-3, 3]), its polarity ``score >= 0`` (0/1),
        or the cluster index (0 .. n_clusters-1, ordered by sentiment).
    return_latent : bool, default=False
        Also return a Bunch with ``score``, ``cluster``, ``labeled`` (mask),
        ``lengths`` (dict of sequence lengths), ``cluster_scores``, ``noise`` and
        ``views``: per modality, the ``prototypes`` ``(n_clusters, d)``,
        ``direction`` ``(d,)`` and ``informativeness`` of its linear view (with
        them the Bayes-optimal prediction can be computed, as
        ``benchmarks/synthetic_oracle.py`` does).
    random_state : int, RandomState instance or None, default=None
        Seed of every draw.
    labelled_fraction : float or None, default=None
        Deprecated spelling of ``labeled_fraction``.

    Returns
    -------
    X : ndarray of shape (n_samples, n_columns), float32
        The input contract: every modality's columns side by side.
    y : ndarray of shape (n_samples,)
        Targets as ``task`` says; -1 on unlabeled rows.
    modalities : dict
        The spec of ``X``'s columns, to pass to the estimators.
    latent : Bunch
        Only when ``return_latent=True``.

    Examples
    --------
    >>> from mmsense.datasets import make_multimodal_sentiment
    >>> X, y, modalities = make_multimodal_sentiment(50, random_state=0)
    >>> X.shape, X.dtype, modalities
    ((50, 292), dtype('float32'), {'text': 32, 'audio': (20, 5), 'vision': (20, 8)})
    """
    if labelled_fraction is not None:
        warnings.warn("labelled_fraction is deprecated and will be removed in 0.3; use "
                      "labeled_fraction (scikit-learn's spelling).", FutureWarning, stacklevel=2)
        labeled_fraction = labelled_fraction
    modalities = dict(DEFAULT_MODALITIES if modalities is None else modalities)
    specs = parse_modalities(modalities)
    _check_params(n_samples, n_clusters, noise, labeled_fraction, task, specs,
                  modality_informativeness)
    informativeness = {s.name: 1.0 for s in specs}
    informativeness.update(modality_informativeness or {})
    rng = check_random_state(random_state)

    centers = np.linspace(-2.5, 2.5, n_clusters) if n_clusters > 1 else np.zeros(1)
    cluster = rng.randint(n_clusters, size=n_samples)
    score = np.clip(centers[cluster] + SCORE_JITTER_SD * rng.randn(n_samples), -3.0, 3.0)

    duration = rng.uniform(0.25, 1.0, size=n_samples)
    blocks, lengths, views = [], {}, {}
    for spec in specs:
        d = spec.n_features
        prototypes = rng.randn(n_clusters, d)
        direction = rng.randn(d)
        direction /= np.linalg.norm(direction)
        views[spec.name] = Bunch(prototypes=prototypes, direction=direction,
                                 informativeness=informativeness[spec.name])
        signal = informativeness[spec.name] * (prototypes[cluster] + score[:, None] * direction)
        if not spec.is_sequence:
            blocks.append(signal + noise * rng.randn(n_samples, d))
            continue
        T = spec.n_steps
        seq_len = (np.maximum(1, np.round(duration * T)) if unaligned
                   else np.full(n_samples, T)).astype(np.int64)
        seq = signal[:, None, :] + noise * rng.randn(n_samples, T, d)
        seq[np.arange(T)[None, :] >= seq_len[:, None]] = np.nan
        blocks.append(seq.reshape(n_samples, T * d))
        lengths[spec.name] = seq_len
    X = np.concatenate(blocks, axis=1).astype(np.float32)

    y = {"regression": score, "binary": (score >= 0).astype(np.int64),
         "multiclass": cluster.astype(np.int64)}[task]
    # regression keeps every label (labeled_fraction is 1, checked above)
    labeled = _choose_labeled(y, labeled_fraction, rng)
    y = np.where(labeled, y, -1)

    if not return_latent:
        return X, y, modalities
    latent = Bunch(score=score, cluster=cluster, labeled=labeled, lengths=lengths,
                   cluster_scores=centers, views=views, noise=noise)
    return X, y, modalities, latent


def _choose_labeled(y, fraction, rng):
    """Keep ``fraction`` of each class labeled, at least one row per class."""
    if fraction >= 1.0:
        return np.ones(len(y), dtype=bool)
    labeled = np.zeros(len(y), dtype=bool)
    for cls in np.unique(y):
        rows = np.flatnonzero(y == cls)
        keep = max(1, int(round(fraction * len(rows))))
        labeled[rng.choice(rows, size=keep, replace=False)] = True
    return labeled


def _check_params(n_samples, n_clusters, noise, labeled_fraction, task, specs, informativeness):
    if not isinstance(n_samples, numbers.Integral) or n_samples < 1:
        raise ValueError(f"n_samples must be a positive int; got {n_samples!r}.")
    if not isinstance(n_clusters, numbers.Integral) or n_clusters < 1:
        raise ValueError(f"n_clusters must be a positive int; got {n_clusters!r}.")
    if not isinstance(noise, numbers.Real) or noise < 0:
        raise ValueError(f"noise must be a non-negative float; got {noise!r}.")
    if task not in _TASKS:
        raise ValueError(f"task must be one of {_TASKS}; got {task!r}.")
    if not (isinstance(labeled_fraction, numbers.Real) and 0 < labeled_fraction <= 1):
        raise ValueError(f"labeled_fraction must be in (0, 1]; got {labeled_fraction!r}.")
    if task == "regression" and labeled_fraction < 1:
        raise ValueError(
            "labeled_fraction < 1 needs task='binary' or 'multiclass': -1 marks unlabeled "
            "rows in classification, but is a valid regression score."
        )
    names = {s.name for s in specs}
    unknown = set(informativeness or {}) - names
    if unknown:
        raise ValueError(
            f"modality_informativeness names unknown modalities {sorted(unknown)}; "
            f"the modalities are {sorted(names)}."
        )
