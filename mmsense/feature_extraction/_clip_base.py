"""What every per-clip extractor shares: path checks, the on-disk cache, ``n_jobs``, errors.

A subclass says how one clip becomes a ``(T, d)`` array (``_extract``), what
the numbers depend on (``_settings``) and the feature names; this base turns
that into a scikit-learn transformer over a list of file paths.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
from joblib import Parallel, delayed
from sklearn.base import BaseEstimator, TransformerMixin

from ..utils._files import file_sha256
from ._embedding_cache import EmbeddingCache

# errors that belong to one clip (reported with its path), not to the extractor
CLIP_ERRORS = (FileNotFoundError, ValueError)


def file_key(path) -> bytes:
    """SHA-256 of a file's bytes: the cache key, so a renamed or copied clip is found again."""
    return file_sha256(path).digest()


def as_path_list(X, who) -> list:
    """A list of path strings from a list, 1-D array, Series or a single-column input."""
    if isinstance(X, (str, bytes, os.PathLike)):
        raise ValueError(
            f"{who} expects a list of clip paths (one per sample), got a single path {X!r}; "
            "wrap it in a list."
        )
    values = np.asarray(getattr(X, "values", X), dtype=object)
    if values.ndim == 2 and values.shape[1] == 1:
        values = values[:, 0]
    if values.ndim != 1:
        raise ValueError(f"{who} expects a 1-D list of clip paths; got shape {values.shape}.")
    if len(values) == 0:
        raise ValueError(f"{who} needs at least one clip path; got 0.")
    for i, value in enumerate(values):
        if not isinstance(value, (str, os.PathLike)):
            raise ValueError(
                f"{who} expects clip paths; element {i} is {type(value).__name__} ({value!r})."
            )
    return [os.fspath(v) for v in values]


def _extract_or_error(extractor, path):
    """``(array, None)`` or ``(None, message)``: one bad clip must not hide the others."""
    try:
        return extractor._extract(path), None
    except CLIP_ERRORS as exc:
        return None, str(exc)


class ListInputMixin:
    """Tags of a stateless transformer of a 1-D list (clip paths, texts), as CountVectorizer's."""

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.string = True
        tags.input_tags.one_d_array = True
        tags.input_tags.two_d_array = False
        tags.requires_fit = False
        tags.transformer_tags.preserves_dtype = []
        return tags


class ClipTransformerMixin(ListInputMixin, TransformerMixin, BaseEstimator):
    """Base of the per-clip extractors (subclasses set ``_extract``, ``_settings``, names)."""

    def fit(self, X, y=None):
        """Validate the parameters and ``X``; nothing is learnt.

        Parameters
        ----------
        X : list of str or path-like of length n_clips
            Media files.
        y : None
            Ignored.

        Returns
        -------
        self : object
            The estimator (stateless: nothing is learnt).
        """
        self._check_params()
        as_path_list(X, type(self).__name__)
        return self

    def transform(self, X):
        """Extract the feature sequence of each clip.

        Parameters
        ----------
        X : list of str or path-like of length n_clips
            Media files.

        Returns
        -------
        list of ndarray of float32 of shape (n_steps_i, n_features)
            One sequence per clip (lengths differ); combine them with
            :func:`mmsense.stack_modalities`.
        """
        sequences, errors = self.transform_or_errors(X)
        if errors:
            listed = "; ".join(errors.values())
            raise ValueError(
                f"{type(self).__name__} could not read {len(errors)} of {len(sequences)} "
                f"clip(s): {listed}"
            )
        return sequences

    def transform_or_errors(self, X):
        """Like :meth:`transform`, but failed clips give ``None`` plus a message.

        Parameters
        ----------
        X : list of str or path-like of length n_clips
            Media files.

        Returns
        -------
        sequences : list of (ndarray or None)
            ``None`` for each clip that failed.
        errors : dict of int to str
            Position of each failed clip -> message naming it.
        """
        self._check_params()
        paths = as_path_list(X, type(self).__name__)
        errors = {i: f"clip {p!r}: no such file." for i, p in enumerate(paths)
                  if not Path(p).is_file()}
        keys = {i: file_key(p) for i, p in enumerate(paths) if i not in errors}
        cache = None if self.cache_dir is None else EmbeddingCache(self.cache_dir, self._settings())
        found = cache.get(list(set(keys.values()))) if cache is not None else {}
        width = len(self._feature_names())
        todo = {}  # one extraction per distinct file content
        for i, key in keys.items():
            if key not in found:
                todo.setdefault(key, i)
        results = Parallel(n_jobs=self.n_jobs)(
            delayed(_extract_or_error)(self, paths[i]) for i in todo.values()
        )
        failed = {}  # content key -> message
        for (key, i), (array, message) in zip(todo.items(), results):
            if message is not None:
                failed[key] = message
                continue
            found[key] = array.reshape(-1)
            if cache is not None:
                # one shard per clip: the cache stores equal-width rows, clips differ in length
                cache.put([key], array.reshape(1, -1))
        errors.update({i: failed[key] for i, key in keys.items() if key in failed})
        sequences = [None if i in errors
                     else np.asarray(found[keys[i]], np.float32).reshape(-1, width)
                     for i in range(len(paths))]
        return sequences, dict(sorted(errors.items()))

    def get_feature_names_out(self, input_features=None):
        """Get the names of the per-step features, in column order.

        Parameters
        ----------
        input_features : None
            Ignored (the names do not depend on the input).

        Returns
        -------
        ndarray of str objects of shape (n_features,)
            One name per feature of a step.
        """
        self._check_params()
        return np.array(self._feature_names(), dtype=object)
