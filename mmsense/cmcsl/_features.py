"""Per-modality preprocessing of CMCSL's feature vectors.

CMCSL clusters and classifies per-modality *vectors*. A sequence modality is
first pooled to a vector by the contract's ``modality_vectors`` (the mean over
its real steps); a static modality is a view of ``X``'s columns. Each modality's
vectors are then, by default, L2-normalised row by row and standardised column
by column (the authors' best setting). The statistics are fitted in ``fit``
only and reused at predict time (the authors' code refits them on test data; we
do not). A modality missing from a row (all NaN) is left out of the fitting and
its vector there is 0; the presence masks say which rows hold real vectors.

:class:`VectorPreprocessor` does what scikit-learn's ``Normalizer`` followed by
``StandardScaler`` does, equal to float rounding, without their cost on large
float32 input: it computes in the input's dtype, reads the input (a strided view
is fine) a few cache-sized row blocks at a time, in as many threads as torch
uses, and never makes a full-size temporary. Its fit is one pass over the input:
each block's column sums around a shift near the mean, merged across blocks
with Chan et al.'s pairwise update, so that neither a large mean nor the block
order costs precision, and a constant column gets a variance of exactly 0. Its
transform is one pass that writes the output; ``fit_transform`` keeps the row
norms of the fitting pass instead of computing them again.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np
import torch
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from .._contract import row_chunks

PREPROCESSING = ("l2_standard", "standard", "l2", "none")

# Values per row block: 2**18 float32 (1 MiB) and the block's work buffer stay in
# a core's 2 MiB L2 cache through its in-place steps. Smaller blocks leave the
# threads queueing for the GIL on the per-block Python work (2**16: fit 1.6x
# slower with 2 threads, benchmarks/results/cmcsl.md).
_BLOCK_ELEMENTS = 2**18


def make_preprocessor(preprocessing: str):
    """An unfitted :class:`VectorPreprocessor` for one modality's vectors."""
    return VectorPreprocessor(preprocessing)


def take_rows(values: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """``values[rows]`` for a boolean mask, without the copy when every row is taken."""
    return values if rows.all() else values[rows]


def fit_features(vectors: dict, present: dict, preprocessing: str):
    """Fit one preprocessor per modality on the rows that have it; transform every row.

    Returns ``(preprocessors, features)``, as :func:`transform_features` gives
    them; a modality no row misses is fitted and transformed in one go
    (``fit_transform``, its row norms computed once).
    """
    preprocessors, features = {}, {}
    for name, values in vectors.items():
        pre = preprocessors[name] = make_preprocessor(preprocessing)
        if present[name].all():
            features[name] = pre.fit_transform(values)
        else:
            pre.fit(values[present[name]])
            features.update(transform_features({name: pre}, {name: values},
                                               {name: present[name]}))
    return preprocessors, features


def transform_features(preprocessors: dict, vectors: dict, present: dict) -> dict:
    """Each modality's preprocessed vectors; rows missing the modality are 0.

    The rows of a missing modality are never read as features: propagation and
    the late-fusion classifiers take the present rows only, and early fusion
    pairs the zeros with an indicator column (:func:`early_fusion_matrix`).
    """
    features = {}
    for name, values in vectors.items():
        rows = present[name]
        if rows.all():
            features[name] = preprocessors[name].transform(values)
            continue
        out = np.zeros(values.shape, dtype=values.dtype)
        if rows.any():
            transformed = preprocessors[name].transform(values[rows])
            out = out.astype(transformed.dtype, copy=False)
            out[rows] = transformed
        features[name] = out
    return features


def early_fusion_matrix(features: dict, present: dict, indicators) -> np.ndarray:
    """The modalities side by side, then one presence column (1.0: present) per name in
    ``indicators``: the modalities that were missing from some training row, as
    ``SimpleImputer(add_indicator=True)`` chooses its indicators.
    """
    blocks = list(features.values())
    dtype = np.result_type(*blocks)
    blocks += [present[name][:, None].astype(dtype) for name in indicators]
    return np.concatenate(blocks, axis=1)


class VectorPreprocessor(TransformerMixin, BaseEstimator, auto_wrap_output_keys=None):
    """Row-wise L2 normalisation and/or column standardisation of one modality.

    Equal, to float rounding, to scikit-learn's ``Normalizer()`` then
    ``StandardScaler()`` (``"l2_standard"``), either alone (``"l2"``,
    ``"standard"``) or neither (``"none"``, which returns its input). Computes
    in the input's dtype (float32 stays float32), in cache-sized row blocks
    shared among as many threads as torch uses.

    Parameters
    ----------
    preprocessing : {"l2_standard", "standard", "l2", "none"}, default="l2_standard"
        What is applied.

    Attributes
    ----------
    mean_ : ndarray of shape (n_features,) or None
        Column means of the (normalised) fitting rows, float64; None unless
        standardising.
    var_ : ndarray of shape (n_features,) or None
        Their variances, float64.
    scale_ : ndarray of shape (n_features,) or None
        Divisor of each column: the standard deviation, 1 for a constant column
        (as ``StandardScaler``).
    n_samples_seen_ : int
        Rows the statistics come from.
    """

    def __init__(self, preprocessing="l2_standard"):
        self.preprocessing = preprocessing

    @property
    def _normalises(self):
        return self.preprocessing in ("l2_standard", "l2")

    @property
    def _standardises(self):
        return self.preprocessing in ("l2_standard", "standard")

    def fit(self, X, y=None):
        """Compute the column statistics of ``X`` (after row normalisation).

        Parameters
        ----------
        X : ndarray of shape (n_samples, n_features)
            One modality's vectors, float32 or float64.
        y : None
            Ignored.

        Returns
        -------
        self : VectorPreprocessor
            The fitted preprocessor.
        """
        self._fit(X)
        return self

    def fit_transform(self, X, y=None):
        """Fit, then transform ``X`` with the row norms the fit computed.

        Parameters
        ----------
        X : ndarray of shape (n_samples, n_features)
            One modality's vectors, float32 or float64.
        y : None
            Ignored.

        Returns
        -------
        ndarray of shape (n_samples, n_features)
            New array in the dtype of ``X`` (``X`` itself for ``"none"``).
        """
        return self._transform(X, self._fit(X))

    def transform(self, X):
        """Normalise and/or standardise ``X`` with the fitted statistics.

        Parameters
        ----------
        X : ndarray of shape (n_samples, n_features)
            One modality's vectors, float32 or float64.

        Returns
        -------
        ndarray of shape (n_samples, n_features)
            New array in the dtype of ``X`` (``X`` itself for ``"none"``).
        """
        check_is_fitted(self, "n_samples_seen_")
        return self._transform(X, None)

    # ------------------------------------------------------------------ passes
    def _fit(self, X):
        """One pass: statistics into the attributes; return the inverse row norms (or None)."""
        n, d = X.shape
        self.n_samples_seen_ = n
        self.mean_ = self.var_ = self.scale_ = None
        if not (self._normalises or self._standardises):
            return None
        inv_norms = np.empty(n, dtype=X.dtype) if self._normalises else None
        parts = _in_threads(n, d, lambda rows: self._fit_rows(X, rows, inv_norms))
        if self._standardises:
            moments = parts[0]
            for part in parts[1:]:
                moments.merge(part)
            self.mean_, self.var_ = moments.mean, moments.var
            self.scale_ = _scale(self.var_)
        return inv_norms

    def _fit_rows(self, X, rows, inv_norms):
        """The statistics of ``X[rows]`` (one thread's share); fills ``inv_norms[rows]``."""
        d = X.shape[1]
        moments = _Moments(d)
        buf = np.empty((_block_rows(d), d), dtype=X.dtype)
        for block_rows in _blocks(rows, d):
            block = X[block_rows]
            if self._normalises:
                inv_norms[block_rows] = _inverse_row_norms(block)
                block = _scale_rows(block, inv_norms[block_rows], buf[: len(block)])
            if self._standardises:
                moments.add(block, buf[: len(block)])
        return moments

    def _transform(self, X, inv_norms):
        """One pass writing the output; ``inv_norms`` from the fit, or None to compute them."""
        if not (self._normalises or self._standardises):
            return X
        out = np.empty(X.shape, dtype=X.dtype)
        _in_threads(X.shape[0], X.shape[1],
                    lambda rows: self._transform_rows(X, rows, inv_norms, out))
        return out

    def _transform_rows(self, X, rows, inv_norms, out):
        """Write the transform of ``X[rows]`` into ``out[rows]`` (one thread's share)."""
        if self._standardises:
            mean, inv_scale = self.mean_.astype(X.dtype), (1.0 / self.scale_).astype(X.dtype)
        for block_rows in _blocks(rows, X.shape[1]):
            block, dest = X[block_rows], out[block_rows]
            if self._normalises:
                scale = (inv_norms[block_rows] if inv_norms is not None
                         else _inverse_row_norms(block))
                block = _scale_rows(block, scale, dest)
            if self._standardises:
                np.subtract(block, mean, out=dest)
                dest *= inv_scale


def _in_threads(n_rows: int, n_features: int, work) -> list:
    """``work(rows)`` on contiguous row ranges, one per thread at once; the results in order.

    As many threads as torch uses (the propagation's), but no more than leave
    each at least 8 blocks; numpy releases the GIL in the blocks' arithmetic.
    """
    n_parts = max(1, min(torch.get_num_threads(), n_rows // (8 * _block_rows(n_features))))
    bounds = np.linspace(0, n_rows, n_parts + 1).astype(int)
    parts = [slice(lo, hi) for lo, hi in zip(bounds[:-1], bounds[1:])]
    if n_parts == 1:
        return [work(parts[0])]
    with ThreadPoolExecutor(n_parts) as pool:
        return list(pool.map(work, parts))


def _blocks(rows: slice, n_features: int):
    """Cache-sized row blocks of the row range ``rows``."""
    for block in row_chunks(rows.stop - rows.start, n_features, _BLOCK_ELEMENTS):
        yield slice(rows.start + block.start, rows.start + block.stop)


def _block_rows(n_features: int) -> int:
    return max(1, _BLOCK_ELEMENTS // max(n_features, 1))


def _scale_rows(block: np.ndarray, factors: np.ndarray, out: np.ndarray) -> np.ndarray:
    """``block * factors[:, None]`` into ``out`` (einsum: faster than the broadcast multiply)."""
    return np.einsum("ij,i->ij", block, factors, out=out)


def _inverse_row_norms(block: np.ndarray) -> np.ndarray:
    """``1 / ||row||`` in the block's dtype; 1 for an all-zero row (``Normalizer`` keeps it 0)."""
    norms = np.sqrt(np.einsum("ij,ij->i", block, block))
    norms[norms == 0] = 1.0
    return np.reciprocal(norms, out=norms)


def _scale(var: np.ndarray) -> np.ndarray:
    """Standard deviations, 1 where a column is constant (``StandardScaler``'s rule)."""
    scale = np.sqrt(var)
    scale[scale < 10 * np.finfo(np.float64).eps] = 1.0
    return scale


class _Moments:
    """Running count, mean and sum of squared deviations of columns, block by block.

    A block's sums are taken in its own dtype (it is small, so the rounding is
    too) around a shift close to the mean: the mean so far, or the first row for
    the first block, so that a constant column sums to exactly 0. Blocks are
    merged in float64 with Chan, Golub and LeVeque's update.
    """

    def __init__(self, n_features: int):
        self.count = 0
        self.mean = np.zeros(n_features)
        self._m2 = np.zeros(n_features)

    def add(self, block: np.ndarray, buf: np.ndarray) -> None:
        """Merge ``block``'s rows; ``buf`` (same shape and dtype) is overwritten."""
        k = block.shape[0]
        if k == 0:
            return
        shift = (block[0] if self.count == 0 else self.mean).astype(block.dtype)
        dev = np.subtract(block, shift, out=buf)
        sums = dev.sum(axis=0).astype(np.float64)
        squares = np.einsum("ij,ij->j", dev, dev).astype(np.float64)
        self._merge(k, shift + sums / k, np.maximum(squares - sums**2 / k, 0.0))

    def merge(self, other: _Moments) -> None:
        """Merge the rows another instance has seen."""
        if other.count:
            self._merge(other.count, other.mean, other._m2)

    def _merge(self, k, mean, m2) -> None:
        total = self.count + k
        delta = mean - self.mean
        self.mean += delta * (k / total)
        self._m2 += m2 + delta**2 * (self.count * k / total)
        self.count = total

    @property
    def var(self) -> np.ndarray:
        return self._m2 / max(self.count, 1)
