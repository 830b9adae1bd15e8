"""One ``.npz`` file holding a dataset in the input contract: X, y, ids, split and the spec.

The file is plain numpy (no pickled objects), so it can be opened without trusting it.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from sklearn.utils import Bunch

from .._contract import parse_modalities
from ._checks import normalise_split

# Bumped when the keys or their meaning change; load_dataset refuses newer files.
FORMAT_VERSION = 1


def _spec_to_json(modalities, n_columns):
    specs = parse_modalities(modalities, n_columns)
    return json.dumps({
        s.name: (s.n_features if s.n_steps is None else [s.n_steps, s.n_features]) for s in specs
    })


def _spec_from_json(text):
    raw = json.loads(text)
    return {name: (tuple(width) if isinstance(width, list) else int(width))
            for name, width in raw.items()}


def _optional_column(name, values, n_rows):
    if values is None:
        return None
    values = np.asarray(values)
    if values.ndim != 1 or len(values) != n_rows:
        raise ValueError(
            f"{name} must be 1-D with one entry per row of X ({n_rows}); got shape {values.shape}."
        )
    return values


def save_dataset(path, X, y=None, *, modalities=None, ids=None, split=None, metadata=None):
    """Write a dataset in the input contract to one ``.npz`` file.

    Parameters
    ----------
    path : str or path-like
        Destination file; ``.npz`` is appended by numpy when missing.
    X : array-like of shape (n_samples, n_columns)
        The contract's matrix (see :func:`mmsense.stack_modalities`).
    y : array-like of shape (n_samples,), default=None
        Targets: sentiment scores, or class labels with -1 for unlabeled rows.
    modalities : dict or None, default=None
        The column layout; ``None`` is one static modality over all columns.
    ids : array-like of shape (n_samples,), default=None
        Row identifiers (e.g. clip ids), stored as strings.
    split : array-like of shape (n_samples,), default=None
        ``"train"``, ``"valid"`` (or ``"dev"``) or ``"test"`` per row.
    metadata : dict, default=None
        JSON-serialisable facts about the data, stored as JSON (e.g. the
        ``{"extraction": settings}`` that ``mmsense extract`` writes so that new
        clips can be featurised the same way).

    Returns
    -------
    pathlib.Path
        The file written.

    See Also
    --------
    load_dataset : Read the file back.

    Examples
    --------
    >>> import numpy as np, tempfile, os
    >>> from mmsense.datasets import save_dataset, load_dataset
    >>> path = os.path.join(tempfile.mkdtemp(), "toy.npz")
    >>> _ = save_dataset(path, np.ones((2, 3)), [0.5, -1.0], modalities={"text": 3},
    ...                  ids=["a", "b"])
    >>> data = load_dataset(path)
    >>> data.modalities, data.ids.tolist()
    ({'text': 3}, ['a', 'b'])
    """
    X = np.asarray(X)
    if X.ndim != 2:
        raise ValueError(f"X must be a 2-D array; got shape {X.shape}.")
    n_rows = X.shape[0]
    arrays = {
        "X": X,
        "modalities": np.array(_spec_to_json(modalities, X.shape[1])),
        "format_version": np.array(FORMAT_VERSION),
    }
    if metadata is not None:
        if not isinstance(metadata, dict):
            raise ValueError(f"metadata must be a dict; got {type(metadata).__name__}.")
        arrays["metadata"] = np.array(json.dumps(metadata))
    if (y := _optional_column("y", y, n_rows)) is not None:
        arrays["y"] = y.astype(str) if y.dtype == object else y
    if (ids := _optional_column("ids", ids, n_rows)) is not None:
        arrays["ids"] = ids.astype(str)
    if (split := _optional_column("split", split, n_rows)) is not None:
        arrays["split"] = normalise_split(split, source="save_dataset", key="split")
    path = Path(path)
    np.savez(path, **arrays)
    return path if path.suffix == ".npz" else path.with_name(path.name + ".npz")


def load_dataset(path):
    """Read a dataset written by :func:`save_dataset`.

    Parameters
    ----------
    path : str or path-like
        An ``.npz`` file written by :func:`save_dataset`.

    Returns
    -------
    Bunch
        ``data`` (X), ``target`` (y or None), ``modalities`` (the modalities), ``ids``
        (or None), ``split`` (or None), ``metadata`` (dict or None) and
        ``filename``, as the other loaders.

    See Also
    --------
    save_dataset : Write such a file.
    """
    source = str(path)
    with np.load(path, allow_pickle=False) as npz:
        keys = set(npz.files)
        missing = {"X", "modalities", "format_version"} - keys
        if missing:
            raise ValueError(
                f"{source}: not an mmsense dataset file (keys {sorted(missing)} are missing; "
                f"found {sorted(keys)}). Write one with mmsense.datasets.save_dataset."
            )
        version = int(npz["format_version"])
        if version > FORMAT_VERSION:
            raise ValueError(
                f"{source}: dataset format version {version} is newer than this mmsense reads "
                f"({FORMAT_VERSION}); upgrade mmsense."
            )
        X = npz["X"]
        modalities = _spec_from_json(str(npz["modalities"]))
        parse_modalities(modalities, X.shape[1])
        extra = {key: (npz[key] if key in keys else None) for key in ("y", "ids", "split")}
        metadata = json.loads(str(npz["metadata"])) if "metadata" in keys else None
    return Bunch(data=X, target=extra["y"], modalities=modalities, ids=extra["ids"],
                 split=extra["split"], metadata=metadata, filename=source)
