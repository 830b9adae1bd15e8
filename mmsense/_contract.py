"""The multimodal input contract: one 2-D float matrix ``X`` plus a ``modalities`` spec.

Every estimator in mmsense takes a single 2-D array so that scikit-learn's
``Pipeline``, cross-validation and scalers work unchanged. The ``modalities``
mapping says how the columns split:

* ``{"text": 768}``: a static vector of 768 columns;
* ``{"audio": (375, 5)}``: a sequence of up to 375 steps of 5 features,
  flattened time-major (step 0's 5 features, then step 1's, ...).

A sequence step whose features are all NaN is padding, and a sequence with no
real step is a missing modality for that row. Likewise a static block that is
NaN in all its columns means the modality is missing for that row. Any other
NaN (part of a step or of a static block), and +-inf anywhere, is an error that
names the modality and the first bad row. ``modalities=None`` means one static
modality spanning every column.

This module is the single place that knows the layout: it validates the spec,
validates X against it, and splits X into per-modality arrays for the networks.
"""

from __future__ import annotations

import numbers
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

__all__ = [
    "Modality",
    "ModalityBlock",
    "parse_modalities",
    "check_modality_values",
    "split_modalities",
    "stack_modalities",
    "validate_multimodal",
    "row_chunks",
    "allows_nan",
    "lengths_key",
    "network_inputs",
    "modality_input",
    "n_input_rows",
    "sequence_means",
    "modality_vectors",
    "present_key",
    "modality_present",
    "modality_presence",
    "MISSING_WARNING_FRACTION",
]

# Name of the single static modality used when ``modalities=None``.
DEFAULT_MODALITY = "x"

# Elements looked at a time, so that validating a several-GB matrix never builds
# a mask (or a float64 copy) of the whole matrix.
_CHUNK_ELEMENTS = 2**22

# Above this fraction of training rows missing a modality, fitting warns: the
# modality's part of the model then learns from few rows.
MISSING_WARNING_FRACTION = 0.5


@dataclass(frozen=True)
class Modality:
    """Where one modality lives in the columns of ``X``.

    Attributes
    ----------
    name : str
        The key in the ``modalities`` mapping.
    n_steps : int or None
        Maximum number of time steps for a sequence; ``None`` for a static vector.
    n_features : int
        Features per step (sequence) or width of the vector (static).
    start : int
        First column of this modality in ``X``.
    """

    name: str
    n_steps: int | None
    n_features: int
    start: int

    @property
    def is_sequence(self) -> bool:
        return self.n_steps is not None

    @property
    def width(self) -> int:
        return self.n_features if self.n_steps is None else self.n_steps * self.n_features

    @property
    def stop(self) -> int:
        return self.start + self.width

    @property
    def columns(self) -> slice:
        return slice(self.start, self.stop)

    def describe(self) -> str:
        if self.is_sequence:
            shape = f"({self.n_steps}, {self.n_features})"
            return f"{self.name!r}: sequence {shape} = {self.width} columns"
        return f"{self.name!r}: static {self.n_features} columns"


@dataclass
class ModalityBlock:
    """One modality of ``X``, ready for a network.

    Attributes
    ----------
    values : ndarray
        ``(n, d)`` for a static modality; ``(n, T, d)`` for a sequence, with the
        real steps moved to the front (order kept) and padding filled with 0.
        A missing modality's rows are all 0.
    present : ndarray of bool
        Whether the row has this modality (a static block not all NaN, a
        sequence with at least one real step).
    lengths : ndarray of int64 or None
        Number of real steps per row (sequences only).
    """

    modality: Modality
    values: np.ndarray
    present: np.ndarray
    lengths: np.ndarray | None = None


def _positive_int(value) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool) and value > 0


def parse_modalities(modalities, n_columns: int | None = None) -> tuple[Modality, ...]:
    """Validate a ``modalities`` spec and return where each modality lives.

    Parameters
    ----------
    modalities : mapping of str to int or (int, int), or None
        An int is a static vector of that width; a pair ``(T, d)`` a sequence of
        up to ``T`` steps of ``d`` features. ``None`` means one static modality
        named ``"x"`` spanning all ``n_columns`` columns.
    n_columns : int, optional
        Number of columns of ``X``. When given, the widths must add up to it.

    Returns
    -------
    tuple of Modality
        In the mapping's order.
    """
    if modalities is None:
        if n_columns is None:
            raise ValueError("modalities=None needs the number of columns of X to build the spec.")
        return (Modality(DEFAULT_MODALITY, None, int(n_columns), 0),)
    if not isinstance(modalities, Mapping):
        raise ValueError(
            "modalities must be a mapping of name -> width (int) or (n_steps, n_features), "
            f"or None; got {type(modalities).__name__}."
        )
    if len(modalities) == 0:
        raise ValueError("modalities must name at least one modality; got an empty mapping.")

    specs = []
    start = 0
    for name, shape in modalities.items():
        if not isinstance(name, str) or not name:
            raise ValueError(f"modality names must be non-empty strings; got {name!r}.")
        if _positive_int(shape):
            spec = Modality(name, None, int(shape), start)
        elif (
            isinstance(shape, Sequence)
            and not isinstance(shape, str)
            and len(shape) == 2
            and all(_positive_int(v) for v in shape)
        ):
            spec = Modality(name, int(shape[0]), int(shape[1]), start)
        else:
            raise ValueError(
                f"modality {name!r}: expected a positive int (static width) or a pair of "
                f"positive ints (n_steps, n_features); got {shape!r}."
            )
        specs.append(spec)
        start = spec.stop

    if n_columns is not None and start != n_columns:
        listing = "; ".join(s.describe() for s in specs)
        raise ValueError(
            f"modalities expect {start} columns in total ({listing}), "
            f"but X has {n_columns} columns."
        )
    return tuple(specs)


def check_modality_values(X: np.ndarray, specs: Sequence[Modality]) -> None:
    """Raise ``ValueError`` for inf anywhere, a partly-NaN static block or a partly-NaN step.

    Works in row chunks so memory stays bounded for very large ``X``.
    """
    for spec in specs:
        for rows in row_chunks(X.shape[0], spec.width):
            _check_block(X[rows, spec.columns], spec, row_offset=rows.start)


def row_chunks(n_rows: int, width: int, elements: int = _CHUNK_ELEMENTS):
    """Yield row slices holding about ``elements`` values of a ``width``-column block."""
    step = max(1, elements // max(width, 1))
    for lo in range(0, n_rows, step):
        yield slice(lo, min(lo + step, n_rows))


def _first_row(bad_rows: np.ndarray) -> int:
    return int(np.flatnonzero(bad_rows)[0])


def _all_finite(block: np.ndarray) -> bool:
    """Whether every value is finite, in one pass: the column sums as a matrix-vector product.

    NaN and inf propagate into the sums; finite values whose sum overflows only
    send the block on to the exact checks, which then find nothing wrong. About
    2.5x faster than ``np.isfinite(block).all()`` on large float32 blocks.
    """
    if block.dtype.kind != "f" or block.size == 0:
        return bool(np.isfinite(block).all())
    with np.errstate(over="ignore", invalid="ignore"):  # overflow is expected, see above
        sums = np.ones(block.shape[0], dtype=block.dtype) @ block
    return bool(np.isfinite(sums).all())


def _check_block(block: np.ndarray, spec: Modality, row_offset: int) -> None:
    if _all_finite(block):  # the common case; else find what is wrong
        return
    inf_rows = np.isinf(block).any(axis=1)
    if inf_rows.any():
        row = row_offset + _first_row(inf_rows)
        raise ValueError(
            f"modality {spec.name!r} contains inf (first at row {row}); "
            "finite values are required."
        )
    nan = np.isnan(block)
    if not spec.is_sequence:
        partial = nan.any(axis=1) & ~nan.all(axis=1)
        if partial.any():
            local = _first_row(partial)
            raise ValueError(
                f"modality {spec.name!r} is static and partly NaN (first at row "
                f"{row_offset + local}: {int(nan[local].sum())} of {spec.n_features} values); "
                f"a missing modality must be NaN in all {spec.n_features} columns of the row."
            )
        return
    nan = nan.reshape(block.shape[0], spec.n_steps, spec.n_features)
    partial = nan.any(axis=2) & ~nan.all(axis=2)
    bad_rows = partial.any(axis=1)
    if bad_rows.any():
        local = _first_row(bad_rows)
        step = int(np.flatnonzero(partial[local])[0])
        raise ValueError(
            f"modality {spec.name!r} has a partly-NaN step (first at row {row_offset + local}, "
            f"step {step}); a padding step must be NaN in all {spec.n_features} features."
        )


def split_modalities(X: np.ndarray, specs: Sequence[Modality]) -> dict[str, ModalityBlock]:
    """Split a validated ``X`` into one :class:`ModalityBlock` per modality.

    Sequence padding (all-NaN steps) is moved behind the real steps and set to 0,
    so that networks can run over ``values[:, :length]``. Real steps keep their
    order. A missing static block (all NaN) is set to 0 and marked absent in
    ``present``. The dtype of ``X`` is kept (float32 stays float32).
    """
    blocks = {}
    presence = modality_presence(X, specs)
    for spec in specs:
        block = X[:, spec.columns]
        present = presence[spec.name]
        if not spec.is_sequence:
            values = np.ascontiguousarray(block)
            if not present.all():
                values = np.where(present[:, None], values, 0).astype(X.dtype, copy=False)
            blocks[spec.name] = ModalityBlock(spec, values, present)
            continue
        seq = block.reshape(X.shape[0], spec.n_steps, spec.n_features)
        real = ~np.isnan(seq[:, :, 0])
        lengths = real.sum(axis=1).astype(np.int64)
        front_packed = real == (np.arange(spec.n_steps)[None, :] < lengths[:, None])
        if front_packed.all():
            values = np.array(seq, copy=True)
        else:
            # stable sort puts real steps (key 0) before padding (key 1) in order
            order = np.argsort(~real, axis=1, kind="stable")
            values = np.take_along_axis(seq, order[:, :, None], axis=1)
        values[np.isnan(values)] = 0.0
        blocks[spec.name] = ModalityBlock(spec, values, present, lengths)
    return blocks


def modality_presence(X: np.ndarray, specs: Sequence[Modality]) -> dict[str, np.ndarray]:
    """Per modality, a boolean mask of the rows of a validated ``X`` that have it.

    Validation guarantees a static block is NaN in all its columns or none, and
    a step in all its features or none, so one column per step is enough.
    """
    presence = {}
    for spec in specs:
        if spec.is_sequence:
            first_feature = X[:, spec.start:spec.stop:spec.n_features]
            presence[spec.name] = ~np.isnan(first_feature).all(axis=1)
        else:
            presence[spec.name] = ~np.isnan(X[:, spec.start])
    return presence


def _missing_report(estimator, X, specs, *, reset: bool, all_missing: str) -> None:
    """Count missing modalities; refuse what cannot be learned or predicted from.

    At fit (``reset``) stores ``n_missing_`` on the estimator, refuses a modality
    missing in every row and warns above :data:`MISSING_WARNING_FRACTION`. Rows
    missing every modality are an error unless ``all_missing="allow"``.
    """
    import warnings

    n_rows = X.shape[0]
    presence = modality_presence(X, specs)
    counts = {name: int(n_rows - mask.sum()) for name, mask in presence.items()}
    if reset and n_rows:
        for name, count in counts.items():
            if count == n_rows:
                raise ValueError(
                    f"modality {name!r} is missing (all NaN) in every one of the {n_rows} "
                    "training rows, so there is nothing to learn from it; drop it from X and "
                    "modalities, or check the feature extraction."
                )
            if count > MISSING_WARNING_FRACTION * n_rows:
                warnings.warn(
                    f"modality {name!r} is missing in {count} of the {n_rows} training rows "
                    f"(more than {MISSING_WARNING_FRACTION:.0%}); its part of the model learns "
                    "from the remaining rows only.",
                    UserWarning,
                    stacklevel=4,
                )
        estimator.n_missing_ = counts
    if all_missing == "error" and len(specs) and n_rows:
        nothing = ~np.logical_or.reduce(list(presence.values()))
        if nothing.any():
            rows = np.flatnonzero(nothing)
            raise ValueError(
                f"{rows.size} row(s) miss every modality (all NaN), so there is nothing to "
                f"{'learn' if reset else 'predict'} from them: rows {rows[:10].tolist()}"
                f"{' ...' if rows.size > 10 else ''}. Drop them from X."
            )


_OWN_MODALITIES = object()


def _reject_per_modality_list(X):
    """X given as a list of per-modality arrays: say what the contract expects."""
    if isinstance(X, (list, tuple)) and len(X) > 0 and all(
        hasattr(v, "shape") and len(getattr(v, "shape", ())) >= 2 for v in X
    ):
        shapes = ", ".join(str(tuple(v.shape)) for v in X)
        raise ValueError(
            f"X must be one 2-D array (n_samples, n_columns) with all modalities side by side; "
            f"got a list of {len(X)} arrays of shapes {shapes}. Build X and the modalities "
            "spec with mmsense.stack_modalities(text=..., audio=...)."
        )


def validate_multimodal(estimator, X, y="no_validation", *, reset: bool = True,
                        modalities=_OWN_MODALITIES, all_missing="error", **check_params):
    """``validate_data`` for multimodal estimators.

    Accepts float32 or float64 (float32 is kept, never copied to float64), lets
    NaN through for sequence padding, then checks ``X`` against
    ``modalities``: by default ``estimator.modalities``; a meta-estimator whose
    spec lives in a sub-estimator passes that spec.

    Missing modalities: at fit time (``reset=True``) the number of rows missing
    each modality is stored as ``estimator.n_missing_`` (a dict), a modality
    missing in every row is an error and one missing in more than
    :data:`MISSING_WARNING_FRACTION` of the rows gives a warning. A row missing
    every modality is an error, at fit and at predict, unless
    ``all_missing="allow"`` (for an estimator that reports such rows itself).

    ``y`` follows ``validate_data``: ``None`` raises for an estimator whose
    tags require ``y``, and is returned as ``None`` otherwise; leave it out at
    predict time.

    Returns
    -------
    X : ndarray
    y : ndarray or None
        Only when ``y`` is given (as ``validate_data`` returns it).
    specs : tuple of Modality
    """
    from sklearn.utils.validation import validate_data

    _reject_per_modality_list(X)
    # finiteness is checked per modality below, in chunks: sklearn's own check
    # would build a boolean mask of the whole matrix
    params = dict(dtype=[np.float32, np.float64], ensure_all_finite=False)
    params.update(check_params)
    validated = validate_data(estimator, X, y, reset=reset, **params)
    if y is None or (isinstance(y, str) and y == "no_validation"):
        X, y = validated, None
    else:
        X, y = validated
    if modalities is _OWN_MODALITIES:
        modalities = estimator.modalities
    specs = parse_modalities(modalities, X.shape[1])
    check_modality_values(X, specs)
    _missing_report(estimator, X, specs, reset=reset, all_missing=all_missing)
    return X, y, specs


def allows_nan(modalities) -> bool:
    """The ``allow_nan`` input tag: whether some pattern of NaN in ``X`` is accepted.

    True when the spec has a sequence modality (padding, a missing sequence) or
    two or more modalities (a missing static block). One static modality (and
    ``modalities=None``) accepts no NaN: a row without it has nothing left. A
    spec that does not parse is reported by ``fit``, not by the tags.
    """
    try:
        specs = parse_modalities(modalities) if modalities is not None else ()
    except ValueError:
        specs = ()
    return len(specs) > 1 or any(s.is_sequence for s in specs)


# -- from blocks to the networks' inputs ----------------------------------------------------


def lengths_key(name: str) -> str:
    """Key of a sequence modality's lengths in the network-input dict."""
    return f"{name}__lengths"


def present_key(name: str) -> str:
    """Key of a modality's presence mask in the network-input dict."""
    return f"{name}__present"


def network_inputs(X: np.ndarray, specs: Sequence[Modality]) -> dict:
    """The network-input dict of a validated ``X``: split once, ready for skorch.

    Keys: each modality's name (float32 values, padding moved behind the real
    steps and zeroed, a missing modality all 0), :func:`present_key` of it (bool,
    the rows that have it) and, for sequences, :func:`lengths_key` of it (int64
    lengths). skorch slices such a dict by rows and passes its entries to the
    module's ``forward`` as keyword arguments; :func:`modality_input` reads them.
    """
    inputs = {}
    for name, block in split_modalities(X, specs).items():
        # networks compute in float32; float32 input passes through without a copy,
        # except read-only input (a memmap), which torch cannot wrap safely
        values = block.values.astype(np.float32, copy=False)
        inputs[name] = values if values.flags.writeable else values.copy()
        inputs[present_key(name)] = block.present
        if block.lengths is not None:
            inputs[lengths_key(name)] = block.lengths
    return inputs


def modality_input(inputs: dict, spec: Modality):
    """``(values, lengths)`` of one modality in a network-input dict (lengths None if static)."""
    return inputs[spec.name], inputs.get(lengths_key(spec.name))


def modality_present(inputs: dict, spec: Modality):
    """Boolean mask (array or tensor) of the rows of a network-input dict that have ``spec``."""
    mask = inputs.get(present_key(spec.name))
    if mask is not None:
        return mask
    lengths = inputs.get(lengths_key(spec.name))
    if lengths is not None:
        return lengths > 0
    values = inputs[spec.name]
    if isinstance(values, np.ndarray):
        return np.ones(len(values), dtype=bool)
    import torch

    return torch.ones(len(values), dtype=torch.bool, device=values.device)


def n_input_rows(inputs: dict) -> int:
    """Number of rows in a network-input dict."""
    return len(next(iter(inputs.values())))


def sequence_means(values, lengths):
    """Mean over each row's real steps of a front-packed ``(n, T, d)`` array or tensor.

    Steps at or past a row's length are left out; a row with no real step gives
    zeros. Works on numpy arrays and torch tensors alike.
    """
    n_steps = values.shape[1]
    if isinstance(values, np.ndarray):
        real = (np.arange(n_steps)[None, :] < lengths[:, None]).astype(values.dtype)
        counts = np.maximum(lengths, 1).astype(values.dtype)
    else:
        import torch

        real = (torch.arange(n_steps, device=lengths.device)[None, :] < lengths[:, None])
        real, counts = real.to(values.dtype), lengths.clamp(min=1).to(values.dtype)
    return (values * real[:, :, None]).sum(1) / counts[:, None]


def modality_vectors(X: np.ndarray, specs: Sequence[Modality]) -> dict[str, np.ndarray]:
    """One vector per row and modality: the static block, or a sequence's mean real step.

    A static block is a view of ``X``'s columns, not a copy (do not write into
    it), unless some row misses the modality: then, as in :func:`split_modalities`,
    a copy with those rows 0. A sequence is pooled a row chunk at a time, so the
    memory it takes is its ``(n_samples, n_features)`` result and one chunk.
    """
    vectors = {}
    for spec in specs:
        if spec.is_sequence:
            vectors[spec.name] = _pooled_steps(X, spec)
        elif modality_presence(X, (spec,))[spec.name].all():
            vectors[spec.name] = X[:, spec.columns]
        else:
            vectors[spec.name] = split_modalities(X, (spec,))[spec.name].values
    return vectors


def _pooled_steps(X: np.ndarray, spec: Modality) -> np.ndarray:
    """A sequence modality's mean real step per row (0 where none), chunk by chunk."""
    out = np.empty((X.shape[0], spec.n_features), dtype=X.dtype)
    for rows in row_chunks(X.shape[0], spec.width, _CHUNK_ELEMENTS):
        block = split_modalities(X[rows], (spec,))[spec.name]
        out[rows] = sequence_means(block.values, block.lengths)
    return out


def _as_sequence_array(name, value, lengths):
    """Return a NaN-padded (n, T, d) array from a 3-D array or a list of (t, d) arrays."""
    if isinstance(value, np.ndarray) and value.ndim == 3:
        seq = np.array(value, dtype=np.result_type(value.dtype, np.float32), copy=True)
        if lengths is not None:
            lengths = np.asarray(lengths)
            if lengths.shape != (seq.shape[0],):
                raise ValueError(
                    f"lengths[{name!r}] must have one entry per row ({seq.shape[0]}); "
                    f"got shape {lengths.shape}."
                )
            if (lengths < 0).any() or (lengths > seq.shape[1]).any():
                raise ValueError(
                    f"lengths[{name!r}] must lie in [0, {seq.shape[1]}]; got values from "
                    f"{lengths.min()} to {lengths.max()}."
                )
            seq[np.arange(seq.shape[1])[None, :] >= lengths[:, None]] = np.nan
        return seq
    if lengths is not None:
        raise ValueError(
            f"lengths[{name!r}] is only used with a 3-D padded array; "
            "a list of (t, d) arrays carries its own lengths."
        )
    items = [np.asarray(v) for v in value]
    if not items or any(v.ndim != 2 for v in items):
        raise ValueError(
            f"modality {name!r}: a sequence given as a list needs (t, d) arrays, one per row."
        )
    widths = {v.shape[1] for v in items}
    if len(widths) != 1:
        raise ValueError(f"modality {name!r}: steps have different widths {sorted(widths)}.")
    dtype = np.result_type(*[v.dtype for v in items], np.float32)
    n_steps = max(max(v.shape[0] for v in items), 1)
    seq = np.full((len(items), n_steps, widths.pop()), np.nan, dtype=dtype)
    for i, v in enumerate(items):
        seq[i, : v.shape[0]] = v
    return seq


def stack_modalities(lengths=None, **modalities):
    """Build ``(X, modalities)`` from per-modality arrays.

    Parameters
    ----------
    lengths : dict of str to array-like, optional
        Real steps per row for 3-D post-padded arrays; steps past the length
        become NaN padding. Without it every step of a 3-D array is real
        (steps already all-NaN stay padding).
    **modalities : array-like
        Per modality, in column order: a 2-D ``(n, d)`` array (static), a 3-D
        ``(n, T, d)`` padded array, or a list of ``(t_i, d)`` arrays.

    Returns
    -------
    X : ndarray of shape (n_samples, sum of widths)
        The input contract; float32 unless an input was float64.
    modalities : dict
        The spec to pass as the estimators' ``modalities`` parameter.

    Examples
    --------
    >>> import numpy as np
    >>> from mmsense import stack_modalities
    >>> X, modalities = stack_modalities(text=np.ones((2, 3)),
    ...                                  audio=[np.ones((1, 2)), np.ones((2, 2))])
    >>> X.shape, modalities
    ((2, 7), {'text': 3, 'audio': (2, 2)})
    >>> bool(np.isnan(X[0, 5:]).all())
    True
    """
    if not modalities:
        raise ValueError("stack_modalities needs at least one modality, e.g. text=array.")
    lengths = dict(lengths or {})
    unknown = set(lengths) - set(modalities)
    if unknown:
        raise ValueError(f"lengths names modalities that were not given: {sorted(unknown)}.")
    blocks, spec, n_rows = [], {}, None
    for name, value in modalities.items():
        if isinstance(value, (list, tuple)):
            seq = _as_sequence_array(name, value, lengths.get(name))
        else:
            value = np.asarray(value)
            if value.ndim == 2:
                if name in lengths:
                    raise ValueError(f"lengths[{name!r}] given for a 2-D (static) array.")
                spec[name] = int(value.shape[1])
                block = value.astype(np.result_type(value.dtype, np.float32), copy=False)
            elif value.ndim == 3:
                seq = _as_sequence_array(name, value, lengths.get(name))
            else:
                raise ValueError(
                    f"modality {name!r}: expected a 2-D (static) or 3-D (sequence) array or "
                    f"a list of (t, d) arrays; got an array with {value.ndim} dimension(s)."
                )
        if name not in spec:
            block = seq.reshape(seq.shape[0], -1)
            spec[name] = (int(seq.shape[1]), int(seq.shape[2]))
        if n_rows is not None and block.shape[0] != n_rows:
            first = next(iter(spec))
            raise ValueError(
                f"modality {name!r} has {block.shape[0]} rows but {first!r} has {n_rows}."
            )
        n_rows = block.shape[0]
        blocks.append(block)
    dtype = np.result_type(*[b.dtype for b in blocks])
    X = np.concatenate([b.astype(dtype, copy=False) for b in blocks], axis=1)
    return X, spec
