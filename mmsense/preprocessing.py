"""Preprocessing that understands the multimodal input contract."""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, OneToOneFeatureMixin, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from ._contract import allows_nan, row_chunks, validate_multimodal

__all__ = ["ModalityScaler"]


class ModalityScaler(OneToOneFeatureMixin, TransformerMixin, BaseEstimator):
    """Standardise each modality feature over all of its real time steps.

    A column-wise ``StandardScaler`` treats step 0's pitch and step 300's pitch
    as two unrelated columns, each with its own mean; for sequences that is
    rarely wanted, and late steps that are mostly padding get noisy statistics.
    ``ModalityScaler`` pools every real (non-padding) step of a sequence
    modality, so each of its ``d`` features gets one mean and one scale.
    Static modalities are standardised column-wise, as ``StandardScaler`` does.
    Padding steps (all-NaN) stay NaN; float32 input stays float32. A modality
    missing from a row (a static block all NaN, a sequence without a real
    step) is left out of that modality's statistics and stays NaN in
    ``transform`` and ``inverse_transform``; a row missing every modality
    passes through as NaN (the estimator after the scaler decides about it).

    Parameters
    ----------
    modalities : dict or None, default=None
        The input contract's spec: name -> width (static) or ``(n_steps,
        n_features)`` (sequence). None means one static modality spanning X.
    with_mean : bool, default=True
        Center the features.
    with_std : bool, default=True
        Scale the features to unit variance (features with zero variance are
        left unscaled, as in ``StandardScaler``).

    Attributes
    ----------
    mean_ : ndarray of shape (n_features,)
        Mean subtracted from each column (the same value on every step of a
        sequence feature); zeros when ``with_mean=False``.
    scale_ : ndarray of shape (n_features,)
        Divisor of each column; ones when ``with_std=False``.
    n_real_steps_ : dict of str to int
        Number of real steps (rows for a static modality) each modality's
        statistics were computed from; rows missing the modality do not count.
    n_missing_ : dict of str to int
        Training rows missing each modality (all NaN).
    n_features_in_ : int
    feature_names_in_ : ndarray of str
        Only when X had string column names.

    See Also
    --------
    sklearn.preprocessing.StandardScaler : Column-wise scaling; also works in
        front of mmsense estimators because it keeps NaN padding.

    Examples
    --------
    >>> import numpy as np
    >>> from mmsense.preprocessing import ModalityScaler
    >>> X = np.array([[1.0, 2.0, 4.0, np.nan], [3.0, 6.0, 8.0, 10.0]])
    >>> scaler = ModalityScaler(modalities={"text": 1, "audio": (3, 1)}).fit(X)
    >>> scaler.mean_
    array([2., 6., 6., 6.])
    >>> bool(np.isnan(scaler.transform(X)[0, 3]))
    True
    """

    _parameter_constraints = {
        "modalities": [dict, None],
        "with_mean": ["boolean"],
        "with_std": ["boolean"],
    }

    def __init__(self, *, modalities=None, with_mean=True, with_std=True):
        self.modalities = modalities
        self.with_mean = with_mean
        self.with_std = with_std

    def fit(self, X, y=None):
        """Compute each modality feature's mean and scale over its real steps.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            The input contract: every modality's columns side by side, as ``modalities`` says.
        y : None
            Ignored.

        Returns
        -------
        self : ModalityScaler
            The fitted scaler.
        """
        self._validate_params()
        X, _, specs = validate_multimodal(self, X, reset=True, all_missing="allow")
        means, scales = [], []
        self.n_real_steps_ = {}
        for spec in specs:
            count, mean, var = _pooled_moments(X, spec)
            self.n_real_steps_[spec.name] = count
            mean = mean if self.with_mean else np.zeros_like(mean)
            scale = np.sqrt(var) if self.with_std else np.ones_like(var)
            scale[scale < 10 * np.finfo(np.float64).eps] = 1.0
            repeats = spec.n_steps or 1
            means.append(np.tile(mean, repeats))
            scales.append(np.tile(scale, repeats))
        self.mean_ = np.concatenate(means)
        self.scale_ = np.concatenate(scales)
        return self

    def transform(self, X):
        """Standardise X; padding stays NaN.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            The input contract: every modality's columns side by side, as ``modalities`` says.

        Returns
        -------
        X_scaled : ndarray of shape (n_samples, n_features)
            Same float dtype as X.
        """
        check_is_fitted(self)
        X, _, _ = validate_multimodal(self, X, reset=False, all_missing="allow")
        out = X - self.mean_.astype(X.dtype)  # the one copy; the division is in place
        out /= self.scale_.astype(X.dtype)
        return out

    def inverse_transform(self, X):
        """Undo :meth:`transform`.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            The input contract: every modality's columns side by side, as ``modalities`` says.

        Returns
        -------
        X_original : ndarray of shape (n_samples, n_features)
            ``X`` in the original units; padding stays NaN.
        """
        check_is_fitted(self)
        X, _, _ = validate_multimodal(self, X, reset=False, all_missing="allow")
        out = X * self.scale_.astype(X.dtype)
        out += self.mean_.astype(X.dtype)
        return out

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        tags.input_tags.allow_nan = allows_nan(self.modalities)
        return tags


def _real_steps(X, spec):
    """Yield chunks of ``(n_real_steps, d)`` real steps of one modality."""
    d = spec.n_features
    for rows in row_chunks(X.shape[0], spec.width):
        steps = X[rows, spec.columns].reshape(-1, d)
        yield steps[~np.isnan(steps[:, 0])]  # a validated step is all-NaN or fully real


def _pooled_moments(X, spec):
    """Count, mean and variance of each feature over all real steps.

    Two chunked passes in float64 (mean, then squared deviations) keep memory
    bounded and avoid the cancellation of the one-pass formula.
    """
    d = spec.n_features
    count, total = 0, np.zeros(d)
    for steps in _real_steps(X, spec):
        count += steps.shape[0]
        total += steps.sum(axis=0, dtype=np.float64)
    if count == 0:
        return 0, np.zeros(d), np.ones(d)
    mean = total / count
    sq_dev = np.zeros(d)
    for steps in _real_steps(X, spec):
        sq_dev += np.square(steps - mean).sum(axis=0)
    return count, mean, sq_dev / count
