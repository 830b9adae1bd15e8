"""Reading DATA arguments: every format mmsense loads, recognised by suffix and content.

One place decides how a list of paths becomes ``(X, y, modalities, ids, split)``:

* ``file.npz``: :func:`mmsense.datasets.load_dataset`;
* ``file.pkl`` / ``file.pickle``: an MMSA pickle (``regression_labels`` in its splits) or a
  MulT pickle (``labels``), told apart by their keys;
* ``labels.csd`` plus ``MODALITY=features.csd`` (one per modality) and optionally a folds
  ``.json``: :func:`mmsense.datasets.load_cmu_sdk`;
* ``transcripts.csv`` (MMSA's ``label.csv`` layout), optionally with a label ``.csd`` and a
  folds ``.json`` for the official labels and split: transcripts embedded with
  :class:`mmsense.TextEmbedder` (the ``text`` extra) into one static ``text`` modality.
"""

from __future__ import annotations

from pathlib import Path

from . import CommandError

FORMATS_HELP = (
    "DATA: a dataset .npz (mmsense.datasets.save_dataset), an MMSA or MulT .pkl, "
    "a CMU-SDK label .csd with MODALITY=features.csd files (and a folds .json), "
    "or a transcripts .csv (embedded with TextEmbedder; a label .csd and folds .json "
    "may follow)"
)


def add_data_arguments(parser, required=True):
    """The DATA positional and the options every data-reading command shares."""
    parser.add_argument("data", nargs="+" if required else "*", metavar="DATA", help=FORMATS_HELP)
    parser.add_argument("--text", choices=("sequence", "first", "mean"), default="sequence",
                        help="MMSA/MulT pickles: keep text as a sequence or pool it")
    parser.add_argument("--max-steps", type=int, default=None,
                        help=".csd features: keep at most this many steps per segment")
    parser.add_argument("--text-cache", default=None, metavar="DIR",
                        help="transcripts .csv: on-disk cache of sentence embeddings "
                             "(none: no cache)")


def read_data(args):
    """The dataset a command's DATA arguments and data options name, in the input contract.

    A Bunch with data, target, modalities, ids, split and filename.
    """
    named, plain = _sort_paths(args.data)
    by_suffix = {}
    for path in plain:
        by_suffix.setdefault(path.suffix.lower(), []).append(path)
    unknown = sorted(set(by_suffix) - {".npz", ".pkl", ".pickle", ".csd", ".csv", ".json"})
    if unknown:
        raise CommandError(
            f"cannot tell the format of {by_suffix[unknown[0]][0]} (suffix {unknown[0]!r}); "
            f"{FORMATS_HELP}."
        )
    if named:
        return _load_sdk(by_suffix, named, args.max_steps)
    if ".csv" in by_suffix:
        return _load_transcripts(by_suffix, args.text_cache)
    if len(plain) != 1:
        raise CommandError(
            f"got {len(plain)} DATA files ({', '.join(map(str, plain))}); only .csd/.csv "
            "data takes several files (a .csd feature file is given as MODALITY=path.csd)."
        )
    path = plain[0]
    if path.suffix.lower() == ".npz":
        from ..datasets import load_dataset

        return load_dataset(path)
    if path.suffix.lower() in (".pkl", ".pickle"):
        return _load_pickle(path, args.text)
    raise CommandError(
        f"{path}: a {path.suffix} file alone is not a dataset; a label .csd needs "
        "MODALITY=features.csd files or a transcripts .csv, a .json folds file needs the "
        ".csd labels."
    )


def _existing(path):
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"{path}: no such file.")
    if path.is_dir():
        raise CommandError(f"{path}: is a folder; give the data file(s) inside it.")
    return path


def _sort_paths(paths):
    """({modality: path} from MODALITY=path arguments, [other paths]), each checked to exist."""
    named, plain = {}, []
    for item in paths:
        name, sep, rest = str(item).partition("=")
        if sep and name.isidentifier():
            if name in named:
                raise CommandError(f"modality {name!r} is given twice in DATA.")
            named[name] = _existing(rest)
        else:
            plain.append(_existing(item))
    return named, plain


def _one(by_suffix, suffix, what, required):
    found = by_suffix.get(suffix, [])
    if len(found) > 1:
        raise CommandError(f"DATA holds {len(found)} {suffix} files; expected one ({what}).")
    if required and not found:
        raise CommandError(f"DATA needs a {suffix} file ({what}).")
    return found[0] if found else None


def _load_sdk(by_suffix, named, max_steps):
    from ..datasets import load_cmu_sdk

    extra = sorted(set(by_suffix) - {".csd", ".json"})
    if extra:
        raise CommandError(
            f"MODALITY=features.csd arguments go with a label .csd (and a folds .json), "
            f"not with {by_suffix[extra[0]][0]}."
        )
    labels = _one(by_suffix, ".csd", "the labels; feature files are MODALITY=path.csd",
                  required=True)
    folds = _one(by_suffix, ".json", "the standard folds", required=False)
    return load_cmu_sdk(labels, named, folds=folds, max_steps=max_steps)


def _load_transcripts(by_suffix, text_cache):
    from sklearn.utils import Bunch

    from ..datasets import load_msa_label_csv

    csv = _one(by_suffix, ".csv", "the transcripts", required=True)
    csd = _one(by_suffix, ".csd", "the labels", required=False)
    folds = _one(by_suffix, ".json", "the standard folds", required=False)
    if by_suffix.keys() - {".csv", ".csd", ".json"}:
        raise CommandError("a transcripts .csv goes only with a label .csd and a folds .json.")
    if csd is None and folds is not None:
        raise CommandError(f"{folds}: a folds .json needs the label .csd as well.")
    if csd is None:
        texts = load_msa_label_csv(csv)
    else:
        # the official labels and split, joined on segment id (as load_msa_transcripts does)
        from ..datasets._transcripts import _transcripts_with_csd_labels

        if folds is None:
            raise CommandError(f"{csd}: .csd labels with transcripts need the folds .json too.")
        texts = _transcripts_with_csd_labels(csv, csd, folds, as_frame=False)
    X = _embed(texts.data, text_cache)
    return Bunch(data=X, target=texts.target, modalities={"text": X.shape[1]}, ids=texts.ids,
                 split=texts.split, filename=str(csv))


def _embed(texts, cache_dir):
    try:
        from ..feature_extraction import TextEmbedder

        embedder = TextEmbedder(cache_dir=cache_dir)
    except ImportError as exc:
        raise ImportError(
            f"embedding transcripts needs the text extra: pip install \"mmsense[text]\" ({exc})"
        ) from exc
    return embedder.fit_transform(list(texts))


def _load_pickle(path, text):
    from ..datasets import load_mmsa_pickle, load_mult_pickle
    from ..datasets._pickle_files import read_pickle, split_parts

    parts = split_parts(read_pickle(path), source=str(path))
    keys = set().union(*(part.keys() for _, part in parts))
    if "regression_labels" in keys:
        return load_mmsa_pickle(path, text=text)
    if "labels" in keys:
        return load_mult_pickle(path, text=text)
    raise CommandError(
        f"{path}: neither an MMSA pickle ('regression_labels' key) nor a MulT pickle "
        f"('labels' key); its splits hold {sorted(map(str, keys))}."
    )
