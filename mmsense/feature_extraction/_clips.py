"""Raw clips (plus transcripts) to the input contract, and predictions on new clips."""

from __future__ import annotations

import json
import os
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.base import clone
from sklearn.utils import Bunch

from .._contract import stack_modalities
from ._audio import AudioFeatures
from ._clip_base import as_path_list
from ._face import FaceFeatures

SETTINGS_FORMAT = 1
_CAPS = ("pool", "truncate")
# parameters that change speed or storage, never the numbers
_RUNTIME_PARAMS = ("n_jobs", "cache_dir", "verbose", "device", "batch_size")


def clip_id(path) -> str:
    """A clip's id: its file name without the extension (``x/a_1.mp4`` -> ``a_1``)."""
    return Path(os.fspath(path)).stem


def read_transcripts(transcripts) -> dict:
    """Read clip id -> text from a CSV path (columns ``id`` and ``text``), a DataFrame or a dict.

    Parameters
    ----------
    transcripts : str, path-like, DataFrame or dict
        A CSV file or a DataFrame with the columns ``id`` and ``text``, or a
        mapping of clip id to text.

    Returns
    -------
    dict
        Clip id -> transcript text.
    """
    if isinstance(transcripts, dict):
        table = {str(k): v for k, v in transcripts.items()}
    else:
        source = transcripts
        if not isinstance(transcripts, pd.DataFrame):
            if not Path(os.fspath(transcripts)).is_file():
                raise FileNotFoundError(f"transcripts file {os.fspath(transcripts)!r} not found.")
            transcripts = pd.read_csv(transcripts, dtype=str, keep_default_na=False)
        missing = {"id", "text"} - set(transcripts.columns)
        if missing:
            raise ValueError(
                f"transcripts {source if not isinstance(source, pd.DataFrame) else 'DataFrame'}"
                f" needs the columns 'id' and 'text'; {sorted(missing)} missing, found "
                f"{list(transcripts.columns)}."
            )
        duplicated = transcripts["id"][transcripts["id"].duplicated()].unique().tolist()
        if duplicated:
            raise ValueError(f"transcripts give several texts for the clip ids {duplicated[:10]}.")
        table = dict(zip(transcripts["id"].astype(str), transcripts["text"]))
    for key, text in table.items():
        if not isinstance(text, str):
            raise ValueError(f"transcript of clip {key!r} is {type(text).__name__} ({text!r}), "
                             f"not a string.")
    return table


def _extractor_class(name):
    """The class of an extractor by name; TextEmbedder (torch) is imported only when used."""
    if name == "TextEmbedder":
        from ._text import TextEmbedder

        return TextEmbedder
    return {"AudioFeatures": AudioFeatures, "FaceFeatures": FaceFeatures}[name]


def _as_extractor(value, default, name):
    """``True`` -> the default extractor, ``False``/None -> not used, an instance -> itself."""
    if value is True:
        return _extractor_class(default)()
    if value is False or value is None:
        return None
    if isinstance(value, _extractor_class(default)):
        return value
    raise ValueError(f"{name} must be True, False or a {default} instance; got {value!r}.")


def _cap_sequence(seq, max_steps, cap):
    """At most ``max_steps`` steps: the first ones (truncate) or means over equal time bins."""
    if len(seq) <= max_steps:
        return seq
    if cap == "truncate":
        return seq[:max_steps]
    edges = np.linspace(0, len(seq), max_steps + 1).round().astype(int)
    with warnings.catch_warnings():
        # a bin of padding steps only (no face in those frames) stays padding
        warnings.simplefilter("ignore", RuntimeWarning)
        return np.stack([np.nanmean(seq[a:b], axis=0) for a, b in zip(edges[:-1], edges[1:])])


def _pad(seq, n_steps):
    out = np.full((n_steps, seq.shape[1]), np.nan, dtype=np.float32)
    out[: len(seq)] = seq
    return out


def _params_of(extractor):
    return {k: v for k, v in extractor.get_params().items() if k not in _RUNTIME_PARAMS}


def _extract(clips, transcripts, extractors, max_steps, cap, on_error, n_steps, runtime):
    """The shared core: ``n_steps`` fixes each sequence's length (predicting), else it is chosen.

    Returns the Bunch of :func:`extract_clip_features` without ``settings``, and the
    sequence length chosen per modality.
    """
    if on_error not in ("raise", "skip"):
        raise ValueError(f"on_error must be 'raise' or 'skip'; got {on_error!r}.")
    if cap not in _CAPS:
        raise ValueError(f"cap must be one of {_CAPS}; got {cap!r}.")
    paths = as_path_list(clips, "extract_clip_features")
    ids = [clip_id(p) for p in paths]
    seen = pd.Series(ids)
    if seen.duplicated().any():
        raise ValueError(f"clip ids (file names without extension) must be unique; repeated: "
                         f"{sorted(set(seen[seen.duplicated()]))[:10]}.")
    if not extractors:
        raise ValueError("no modality requested: set at least one of text, audio, vision.")
    problems = {}  # position -> list of messages
    features = {}
    for name, extractor in extractors.items():
        # a copy: the caller's extractor keeps its own n_jobs / cache_dir
        extractor = clone(extractor).set_params(**{
            k: v for k, v in runtime.items() if v is not None and k in extractor.get_params()})
        if name == "text":
            if transcripts is None:
                raise ValueError("text features need transcripts (a CSV with columns id,text); "
                                 "pass transcripts=... or text=False.")
            table = read_transcripts(transcripts)
            lacking = [cid for cid in ids if cid not in table]
            if lacking and on_error == "raise":
                raise ValueError(
                    f"the transcripts have no text for {len(lacking)} clip(s): {lacking[:20]}. "
                    f"Add them, pass on_error='skip' to leave those clips out, or text=False."
                )
            for i, cid in enumerate(ids):
                if cid not in table:
                    problems.setdefault(i, []).append(f"clip {cid!r}: no transcript.")
            rows = [i for i in range(len(ids)) if ids[i] in table]
            vectors = extractor.transform([table[ids[i]] for i in rows]) if rows else []
            features[name] = dict(zip(rows, vectors))
            continue
        sequences, errors = extractor.transform_or_errors(paths)
        for i, seq in enumerate(sequences):
            # only face features have padding steps; a clip of padding only has no face at all
            if isinstance(extractor, FaceFeatures) and seq is not None and np.isnan(seq).all():
                errors[i] = (f"clip {paths[i]!r}: no face found in any of its {len(seq)} "
                             f"frames.")
        for i, message in errors.items():
            if message not in problems.get(i, []):  # a missing file fails every modality
                problems.setdefault(i, []).append(message)
        features[name] = {i: s for i, s in enumerate(sequences) if i not in errors}
    listed = "; ".join(m for i in sorted(problems) for m in problems[i])
    if problems and on_error == "raise":
        raise ValueError(f"{len(problems)} of {len(paths)} clip(s) failed: {listed}")
    keep = [i for i in range(len(paths)) if i not in problems]
    if not keep:
        raise ValueError(f"every clip failed: {listed}")
    skipped = {paths[i]: " ".join(problems[i]) for i in sorted(problems)}
    if skipped:
        warnings.warn(f"skipped {len(skipped)} of {len(paths)} clip(s): "
                      f"{'; '.join(skipped.values())}", UserWarning, stacklevel=3)
    return _stack(features, keep, paths, ids, skipped, max_steps, cap, n_steps)


def _stack(features, keep, paths, ids, skipped, max_steps, cap, n_steps):
    arrays, original_steps, chosen = {}, {}, {}
    for name, by_row in features.items():
        rows = [by_row[i] for i in keep]
        if name == "text":
            arrays[name] = np.stack(rows).astype(np.float32)
            continue
        original_steps[name] = np.array([len(s) for s in rows])
        limit = n_steps[name] if n_steps is not None else max_steps.get(name)
        capped = [s if limit is None else _cap_sequence(s, limit, cap) for s in rows]
        chosen[name] = max(len(s) for s in capped) if n_steps is None else n_steps[name]
        arrays[name] = np.stack([_pad(s, chosen[name]) for s in capped])
        n_long = int((original_steps[name] > chosen[name]).sum())
        if n_long and cap == "truncate":
            warnings.warn(f"{name}: {n_long} clip(s) longer than {chosen[name]} steps were "
                          f"truncated to their first {chosen[name]} steps.", UserWarning,
                          stacklevel=4)
    X, modalities = stack_modalities(**arrays)
    return Bunch(X=X, modalities=modalities, ids=[ids[i] for i in keep],
                 clips=[paths[i] for i in keep], skipped=skipped,
                 original_steps=original_steps), chosen


def extract_clip_features(clips, transcripts=None, *, text=None, audio=True, vision=True,
                          max_steps=500, cap="pool", on_error="raise", n_jobs=None,
                          cache_dir=None):
    """Audio, face and transcript features of raw clips, in the input contract.

    Each clip is one row of ``X``; its id is its file name without extension.
    Audio and face features are sequences (``(T, d)`` blocks, padding steps
    all-NaN), the transcript embedding is a static vector. The sequence length
    ``T`` of a modality is the longest clip's, capped at ``max_steps``.

    Parameters
    ----------
    clips : list of str or path-like
        Media files (audio features need an audio track, face features a video
        track).
    transcripts : str, path-like, DataFrame or dict, default=None
        Clip id -> text: a CSV file or DataFrame with columns ``id`` and
        ``text``, or a dict. Until missing modalities are supported, every clip
        needs one when text features are extracted.
    text : bool, TextEmbedder or None, default=None
        Transcript embeddings (``text`` extra). None means "when transcripts
        are given"; True uses ``TextEmbedder()``.
    audio : bool or AudioFeatures, default=True
        Acoustic descriptors at a 10 ms hop (``audio`` extra); True uses
        ``AudioFeatures()``.
    vision : bool or FaceFeatures, default=True
        Face features per video frame (``video`` extra); True uses
        ``FaceFeatures()``.
    max_steps : int, dict of str to int, or None, default=500
        Most steps kept per sequence modality (one int for all, or per
        modality name); None keeps every step. 500 steps are 5 s of audio at
        10 ms or 100 s of video at 5 fps.
    cap : {"pool", "truncate"}, default="pool"
        What happens to a longer clip: ``"pool"`` averages its steps over
        ``max_steps`` equal time bins (the whole clip is kept at a coarser
        hop; padding steps are left out of each mean, a bin of padding only
        stays padding; the ``voiced`` flag becomes a fraction), ``"truncate"``
        keeps the first ``max_steps`` steps and warns. Either way
        ``original_steps`` in the result says how long each clip was.
    on_error : {"raise", "skip"}, default="raise"
        What a clip that cannot be used does (missing or undecodable file, no
        audio track, no face in any frame, no transcript): ``"raise"`` stops
        with an error naming every such clip; ``"skip"`` leaves those clips
        out, lists them in ``skipped`` and warns.
    n_jobs : int, default=None
        Clips processed in parallel by the media extractors.
    cache_dir : str or path-like, default=None
        On-disk cache of every extractor (keyed by settings and file content).

    Returns
    -------
    Bunch
        ``X`` (ndarray of float32), ``modalities`` (the spec), ``ids`` (list of
        clip ids, one per row), ``clips`` (their paths), ``skipped`` (dict path
        -> reason), ``original_steps`` (dict modality -> steps per row before
        capping) and ``settings`` (JSON-serialisable dict: everything needed to
        extract the same features from new clips; see :func:`predict_clips`).

    Raises
    ------
    ValueError
        If a clip cannot be used and ``on_error="raise"``, naming every such
        clip and why.

    See Also
    --------
    predict_clips : Extract with the same settings and predict.
    mmsense.datasets.save_dataset : Store the result (``metadata={"extraction": settings}``).
    AudioFeatures, FaceFeatures, TextEmbedder : The extractors.

    Examples
    --------
    >>> from mmsense.feature_extraction import extract_clip_features
    >>> feats = extract_clip_features(["a.mp4"], vision=False)  # doctest: +SKIP
    >>> feats.modalities  # doctest: +SKIP
    {'audio': (500, 18)}
    """
    if text is None:
        text = transcripts is not None
    extractors = {}
    for name, value, default in (("text", text, "TextEmbedder"), ("audio", audio, "AudioFeatures"),
                                 ("vision", vision, "FaceFeatures")):
        extractor = _as_extractor(value, default, name)
        if extractor is not None:
            extractors[name] = extractor
    if max_steps is None or isinstance(max_steps, (int, np.integer)):
        max_steps = {name: max_steps for name in ("audio", "vision")}
    unknown = set(max_steps) - {"audio", "vision"}
    if unknown:
        raise ValueError(f"max_steps names {sorted(unknown)}; sequence modalities are "
                         f"'audio' and 'vision'.")
    for name, value in max_steps.items():
        if value is not None and (not isinstance(value, (int, np.integer)) or value < 1):
            raise ValueError(f"max_steps[{name!r}] must be a positive int or None; got {value!r}.")
    feats, chosen = _extract(clips, transcripts, extractors, max_steps, cap, on_error, None,
                             {"n_jobs": n_jobs, "cache_dir": cache_dir})
    feats.settings = {
        "format": SETTINGS_FORMAT,
        "extractors": {name: {"class": type(e).__name__, "params": _params_of(e)}
                       for name, e in extractors.items()},
        "cap": cap, "n_steps": chosen, "modalities": {
            k: list(v) if isinstance(v, tuple) else v for k, v in feats.modalities.items()},
    }
    json.dumps(feats.settings)  # fail here, not when saving, if a parameter is not serialisable
    return feats


def _settings_from(settings):
    if isinstance(settings, (str, os.PathLike)):
        from ..datasets import load_dataset

        data = load_dataset(settings)
        metadata = getattr(data, "metadata", None) or {}
        if "extraction" not in metadata:
            raise ValueError(f"{os.fspath(settings)!r} holds no extraction settings (it was not "
                             f"written by `mmsense extract`).")
        settings = metadata["extraction"]
    if not isinstance(settings, dict) or settings.get("format") != SETTINGS_FORMAT:
        raise ValueError("settings must be the 'settings' of extract_clip_features (or a dataset "
                         "file written by `mmsense extract`); got "
                         f"{type(settings).__name__}.")
    return settings


def extract_clip_features_like(settings, clips, transcripts=None, *, on_error="raise",
                               n_jobs=None, cache_dir=None):
    """Extract features from new clips exactly as a previous extraction did.

    Same extractors and parameters, and each sequence padded or capped to the
    length it had there, so the columns line up with a model fitted on that
    extraction's ``X``.

    Parameters
    ----------
    settings : dict or path-like
        ``extract_clip_features(...).settings``, or a dataset file written by
        ``mmsense extract`` (which stores them).
    clips : list of str or path-like
        Media files.
    transcripts : str, path-like, DataFrame or dict, default=None
        Clip id -> text; required when the settings include text.
    on_error : {"raise", "skip"}, default="raise"
        See :func:`extract_clip_features`.
    n_jobs : int, default=None
        Clips processed in parallel.
    cache_dir : str or path-like, default=None
        On-disk cache of the extractors.

    Returns
    -------
    Bunch
        As :func:`extract_clip_features` (``settings`` is the one given).

    See Also
    --------
    extract_clip_features : The extraction that made ``settings``.
    predict_clips : This, then the model's predictions.
    """
    settings = _settings_from(settings)
    extractors = {name: _extractor_class(spec["class"])(**spec["params"])
                  for name, spec in settings["extractors"].items()}
    feats, _ = _extract(clips, transcripts, extractors, {}, settings["cap"], on_error,
                        settings["n_steps"], {"n_jobs": n_jobs, "cache_dir": cache_dir})
    feats.settings = settings
    return feats


def predict_clips(model, clips, transcripts=None, *, settings, on_error="raise", n_jobs=None,
                  cache_dir=None):
    """Predict on raw clips with a model fitted on features of :func:`extract_clip_features`.

    Parameters
    ----------
    model : fitted estimator or Pipeline
        Anything with ``predict`` fitted on an ``X`` extracted with ``settings``.
    clips : list of str or path-like
        Media files to predict on.
    transcripts : str, path-like, DataFrame or dict, default=None
        Clip id -> text; required when the model uses text.
    settings : dict or path-like
        The training extraction's ``settings`` (or the ``.npz`` written by
        ``mmsense extract`` for training).
    on_error : {"raise", "skip"}, default="raise"
        See :func:`extract_clip_features`.
    n_jobs : int, default=None
        Clips processed in parallel.
    cache_dir : str or path-like, default=None
        On-disk cache of the extractors.

    Returns
    -------
    Bunch
        ``predictions`` (ndarray, one per kept clip), ``ids``, ``clips``,
        ``skipped`` (dict path -> reason) and ``X``.

    See Also
    --------
    extract_clip_features_like : The extraction step alone.

    Examples
    --------
    >>> from mmsense.feature_extraction import predict_clips
    >>> out = predict_clips(model, ["new.mp4"], settings="train.npz")  # doctest: +SKIP
    >>> dict(zip(out.ids, out.predictions))  # doctest: +SKIP
    {'new': 0.4}
    """
    feats = extract_clip_features_like(settings, clips, transcripts, on_error=on_error,
                                       n_jobs=n_jobs, cache_dir=cache_dir)
    expected = getattr(model, "n_features_in_", None)
    if expected is not None and expected != feats.X.shape[1]:
        raise ValueError(
            f"the model expects {expected} columns but these settings give "
            f"{feats.X.shape[1]} ({feats.modalities}): were the model and the settings made "
            f"from the same extraction?"
        )
    return Bunch(predictions=np.asarray(model.predict(feats.X)), ids=feats.ids,
                 clips=feats.clips, skipped=feats.skipped, X=feats.X)
