"""``mmsense extract``: audio, face and transcript features of raw clips into a dataset file."""

import warnings

from . import CommandError, add_parser


def register(subparsers):
    extract = add_parser(
        subparsers, "extract",
        help="extract audio, face and transcript features from clips into an .npz dataset",
        description="Extract features from media clips (offline) into the input contract. "
                    "A clip's id is its file name without extension. The settings are stored "
                    "in the file so that `predict --clips` featurises new clips the same way.",
    )
    extract.add_argument("clips", nargs="+", metavar="CLIP", help="media files (mp4, wav, ...)")
    extract.add_argument("--output", "-o", required=True, help="the .npz file to write")
    extract.add_argument("--transcripts", metavar="CSV",
                         help="CSV with columns id,text: one transcript per clip (text features)")
    extract.add_argument("--labels", metavar="CSV",
                         help="CSV with columns id,label: stored as y for `fit`")
    extract.add_argument("--no-audio", action="store_true", help="leave out audio features")
    extract.add_argument("--no-vision", action="store_true", help="leave out face features")
    extract.add_argument("--no-text", action="store_true",
                         help="leave out transcript features even if --transcripts is given")
    extract.add_argument("--max-steps", type=int, default=500,
                         help="most steps per sequence modality (longer clips are capped)")
    extract.add_argument("--cap", choices=("pool", "truncate"), default="pool",
                         help="how longer clips are capped: mean over equal time bins, or cut")
    extract.add_argument("--fps", type=float, default=5.0, help="video frames analysed per second")
    extract.add_argument("--audio-backend", choices=("librosa", "opensmile"), default="librosa",
                         help="opensmile: eGeMAPS descriptors, non-commercial licence, "
                              "installed separately")
    extract.add_argument("--on-error", choices=("raise", "skip"), default="raise",
                         help="a clip that cannot be used stops the run, or is skipped and listed")
    extract.add_argument("--n-jobs", type=int, default=1, help="clips processed in parallel")
    extract.add_argument("--cache-dir", help="on-disk feature cache folder")
    extract.set_defaults(run=_run)


def _labels_for(path, ids):
    import pandas as pd

    table = pd.read_csv(path, dtype={"id": str})
    if not {"id", "label"} <= set(table.columns):
        raise CommandError(f"--labels {path}: needs columns id,label; found {list(table.columns)}.")
    labels = dict(zip(table["id"], table["label"]))
    lacking = [cid for cid in ids if cid not in labels]
    if lacking:
        raise CommandError(f"--labels {path}: no label for {len(lacking)} clip(s): {lacking[:20]}.")
    return [labels[cid] for cid in ids]


def _run(args):
    from ..datasets import save_dataset
    from ..feature_extraction import AudioFeatures, FaceFeatures, extract_clip_features

    if args.max_steps < 1:
        raise CommandError(f"--max-steps must be >= 1; got {args.max_steps}.")
    if args.no_audio and args.no_vision and (args.no_text or not args.transcripts):
        raise CommandError("nothing to extract: every modality is turned off.")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", UserWarning)
        feats = extract_clip_features(
            args.clips, args.transcripts,
            text=bool(args.transcripts) and not args.no_text,
            audio=False if args.no_audio else AudioFeatures(backend=args.audio_backend),
            vision=False if args.no_vision else FaceFeatures(fps=args.fps),
            max_steps=args.max_steps, cap=args.cap, on_error=args.on_error,
            n_jobs=args.n_jobs, cache_dir=args.cache_dir,
        )
    y = _labels_for(args.labels, feats.ids) if args.labels else None
    path = save_dataset(args.output, feats.X, y, modalities=feats.modalities, ids=feats.ids,
                        metadata={"extraction": feats.settings})
    for clip, reason in feats.skipped.items():
        print(f"skipped {clip}: {reason}")
    for name, steps in feats.original_steps.items():
        n_long = int((steps > feats.modalities[name][0]).sum())
        if n_long:
            how = "pooled into" if args.cap == "pool" else "truncated to"
            print(f"{name}: {n_long} clip(s) longer than {feats.modalities[name][0]} steps "
                  f"{how} {feats.modalities[name][0]} steps")
    for warning in caught:
        if "skipped" not in str(warning.message) and "truncated" not in str(warning.message):
            print(f"warning: {warning.message}")
    print(f"wrote {path}: {len(feats.ids)} clip(s), {feats.X.shape[1]} columns, "
          f"modalities {feats.modalities}")
