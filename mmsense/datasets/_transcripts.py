"""CMU-MOSI / CMU-MOSEI transcripts and labels in MMSA's ``label.csv`` form."""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.utils import Bunch

from .._labels import SENTIMENT_RANGE
from ._checks import (
    check_label_range,
    check_unique_ids,
    make_dropped,
    normalise_split,
    warn_dropped,
)
from ._paths import find_data_file

# Files of each dataset, relative to the data folder (layout of ../shared/data and of the cache).
_TRANSCRIPTS = {"mosi": "mosi/mosi_label_text.csv", "mosei": "mosei/mosei_label_text.csv"}
_CSD_LABELS = {"mosi": "mosi/CMU_MOSI_Opinion_Labels.csd", "mosei": "mosei/CMU_MOSEI_Labels.csd"}
_FOLDS = {"mosi": "mosi/cmu_mosi_std_folds.json", "mosei": "mosei/cmu_mosei_std_folds.json"}
_FULL_NAMES = {"mosi": "CMU-MOSI", "mosei": "CMU-MOSEI"}


def _read_label_csv(path) -> pd.DataFrame:
    try:
        # every column as text first: ids such as "100499" or "0_0" must not become numbers,
        # and a transcript reading "NA" must stay a transcript
        return pd.read_csv(path, dtype=str, keep_default_na=False)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise ValueError(f"{path}: not a readable label.csv file ({exc}).") from exc


def _segment_ids(frame, source) -> pd.Series:
    if "id" in frame:
        return frame["id"]
    if "video_id" in frame and "clip_id" in frame:
        return frame["video_id"] + "_" + frame["clip_id"]
    raise ValueError(
        f"{source}: expected an 'id' column or 'video_id' and 'clip_id' columns; "
        f"found columns {list(frame.columns)}."
    )


def _numeric_labels(frame, source) -> np.ndarray:
    labels = pd.to_numeric(frame["label"], errors="coerce")
    bad = labels.isna().to_numpy()
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise ValueError(
            f"{source}: column 'label' must hold numbers; {int(bad.sum())} row(s) do not "
            f"(first: data row {row}, value {frame['label'].iloc[row]!r})."
        )
    return labels.to_numpy(dtype=np.float64)


def load_msa_label_csv(path, *, as_frame=False, label_range=SENTIMENT_RANGE):
    """Load transcripts, labels and splits from an MMSA-style ``label.csv``.

    Two layouts are read: ``id,text,label,mode`` and MMSA's
    ``video_id,clip_id,text,label,mode`` (segment id ``<video_id>_<clip_id>``).
    Any other columns (e.g. SIMS's ``label_T``) are kept in ``frame``.

    Parameters
    ----------
    path : str or path-like
        The ``label.csv`` file.
    as_frame : bool, default=False
        If True, ``data`` and ``target`` are pandas Series and ``frame`` holds
        every column.
    label_range : (float, float) or None, default=(-3.0, 3.0)
        The range the dataset promises; a label outside it raises. None checks
        only that labels are numbers.

    Returns
    -------
    Bunch
        With ``data`` (ndarray of object (str) of shape (n_samples,), the
        transcripts), ``target`` (ndarray of float64 of shape (n_samples,)),
        ``ids`` (ndarray of object (str)), ``split`` (ndarray of str, values
        "train", "valid", "test"; "dev" is renamed), ``frame`` (DataFrame, only
        when ``as_frame=True``), ``dropped`` (DataFrame, always empty here:
        nothing is dropped) and ``filename`` (str).
    """
    source = str(path)
    frame = _read_label_csv(path)
    for key in ("text", "label", "mode"):
        if key not in frame:
            raise ValueError(
                f"{source}: missing column {key!r}; found columns {list(frame.columns)}."
            )
    ids = _segment_ids(frame, source)
    check_unique_ids(ids, source=source, key="id")
    target = _numeric_labels(frame, source)
    check_label_range(target, label_range, source=source, key="label", ids=ids.to_numpy())
    split = normalise_split(frame["mode"], source=source, key="mode")
    texts = frame["text"].to_numpy(dtype=object)
    bunch = Bunch(
        data=texts,
        target=target,
        ids=ids.to_numpy(dtype=object),
        split=split,
        dropped=make_dropped(),
        filename=source,
    )
    if as_frame:
        extra = frame.drop(columns=["text", "label", "mode"] + (["id"] if "id" in frame else []))
        full = pd.DataFrame({"id": bunch.ids, "text": texts, "label": target, "split": split})
        full = pd.concat([full, extra.reset_index(drop=True)], axis=1)
        bunch.update(frame=full, data=full["text"], target=full["label"])
    return bunch


def load_msa_transcripts(name="mosi", data_dir=None, *, as_frame=False, labels="csv"):
    """Load the CMU-MOSI or CMU-MOSEI transcripts with their sentiment labels and split.

    Parameters
    ----------
    name : {"mosi", "mosei"}, default="mosi"
    data_dir : str or path-like, default=None
        Folder holding ``mosi/mosi_label_text.csv`` and ``mosei/mosei_label_text.csv``
        (the layout of the shared data folder and of :func:`fetch_msa_transcripts`'s
        cache). None looks in ``$MMSENSE_SHARED_DATA`` when set, else in
        ``../shared/data`` next to the current git checkout.
    as_frame : bool, default=False
        See :func:`load_msa_label_csv`.
    labels : {"csv", "csd"}, default="csv"
        ``"csv"``: labels and split from the transcript file (MOSI 1281/229/685,
        MOSEI 16274/1861/4653). ``"csd"``: labels from the official CMU-SDK label
        file and split from the CMU standard folds (``<name>/*.csd`` and
        ``<name>/cmu_<name>_std_folds.json`` in ``data_dir``); segments without
        a transcript (4 in MOSI) are dropped, reported in a warning and listed in
        ``dropped``.

    Returns
    -------
    Bunch
        With data (transcripts), target (float scores in [-3, 3]), ids, split
        ("train"/"valid"/"test"), dropped, filename, and frame when ``as_frame``.

    See Also
    --------
    load_msa_label_csv : The same for any MMSA-style label.csv.
    load_csd_labels : The CMU-SDK labels with the standard folds.
    fetch_msa_transcripts : Download the transcript files into the cache.

    References
    ----------
    A. Zadeh, R. Zellers, E. Pincus and L.-P. Morency, "Multimodal sentiment
    intensity analysis in videos: facial gestures and verbal messages", IEEE
    Intelligent Systems 31(6), 2016 (CMU-MOSI).

    A. Zadeh, P. P. Liang, S. Poria, E. Cambria and L.-P. Morency, "Multimodal
    language analysis in the wild: CMU-MOSEI dataset and interpretable dynamic
    fusion graph", ACL 2018 (CMU-MOSEI).

    Examples
    --------
    >>> from mmsense.datasets import load_msa_transcripts
    >>> mosi = load_msa_transcripts("mosi")  # doctest: +SKIP
    >>> [int((mosi.split == s).sum()) for s in ("train", "valid", "test")]  # doctest: +SKIP
    [1281, 229, 685]
    """
    if name not in _TRANSCRIPTS:
        raise ValueError(f"name must be one of {sorted(_TRANSCRIPTS)}; got {name!r}.")
    if labels not in ("csv", "csd"):
        raise ValueError(f"labels must be 'csv' or 'csd'; got {labels!r}.")
    hint = f", or download it with mmsense.datasets.fetch_msa_transcripts({name!r})"
    path = find_data_file(
        _TRANSCRIPTS[name], data_dir, what=f"{_FULL_NAMES[name]} transcripts", fetch_hint=hint
    )
    if labels == "csv":
        return load_msa_label_csv(path, as_frame=as_frame)
    csd = find_data_file(_CSD_LABELS[name], data_dir, what=f"{_FULL_NAMES[name]} .csd labels")
    folds = find_data_file(_FOLDS[name], data_dir, what=f"{_FULL_NAMES[name]} standard folds")
    return _transcripts_with_csd_labels(path, csd, folds, as_frame=as_frame)


def _transcripts_with_csd_labels(csv_path, csd_path, folds_path, *, as_frame):
    """Transcripts from the csv joined on segment id with the .csd labels and standard folds."""
    from ._csd import load_csd_labels

    texts = load_msa_label_csv(csv_path, label_range=None)
    labels = load_csd_labels(csd_path, folds=folds_path)
    text_of = dict(zip(texts.ids, texts.data))
    has_text = np.array([i in text_of for i in labels.ids], dtype=bool)
    if not has_text.any():
        raise ValueError(
            f"no segment id of {csv_path} (e.g. {texts.ids[0]!r}) matches an id of "
            f"{csd_path} (e.g. {labels.ids[0]!r}); labels='csd' needs the same ids."
        )
    unlabeled = np.array(sorted(set(texts.ids) - set(labels.ids)), dtype=object)
    no_text = ~has_text
    row_of = {i: k for k, i in enumerate(texts.ids)}
    rows = [row_of[i] for i in unlabeled]
    # dropped rows keep everything known about them
    dropped = pd.concat([
        make_dropped(labels.ids[no_text], [f"no transcript in {csv_path}"] * int(no_text.sum()),
                     text=[None] * int(no_text.sum()), label=labels.target[no_text],
                     split=labels.split[no_text]),
        make_dropped(unlabeled, [f"no label in {csd_path}"] * len(unlabeled),
                     text=texts.data[rows], label=texts.target[rows], split=texts.split[rows]),
    ], ignore_index=True)
    warn_dropped(dropped, source=f"{csv_path} + {csd_path}")
    ids = labels.ids[has_text]
    bunch = Bunch(
        data=np.array([text_of[i] for i in ids], dtype=object),
        target=labels.target[has_text],
        ids=ids,
        split=labels.split[has_text],
        dropped=dropped,
        filename=str(csv_path),
    )
    if as_frame:
        bunch.frame = pd.DataFrame(
            {"id": ids, "text": bunch.data, "label": bunch.target, "split": bunch.split}
        )
        bunch.update(data=bunch.frame["text"], target=bunch.frame["label"])
    return bunch
