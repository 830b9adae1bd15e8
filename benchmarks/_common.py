"""What the benchmark scripts share, written once.

* the machine: load average (the CPU is shared, so every timing states it),
  peak resident memory, one timed call; the floor of CMCSL's propagation (its
  distance product alone, which bench_cmcsl and bench_cmcsl_fit compare with);
  whether the kernel reports free memory to a hypervisor (which makes fresh memory
  slow to touch again), and a way to hand the next call memory that is still backed;
* CMU-MOSI: split sizes, the TextEmbedder cache folder, the embedded transcripts;
* the DEC benchmark data (:class:`Task`): splits scaled on train, features pooled
  over real steps, labels hidden per class, the sklearn semi-supervised baselines;
* command-line options (``--device``, ``--seeds``/``--first-seed``, ``--json``,
  ``--threads``, ``--data-dir``) and output (markdown rows, JSON).

It also holds the benchmarks' only imports of private mmsense modules (below).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from sklearn.linear_model import LogisticRegression
from sklearn.semi_supervised import LabelSpreading, SelfTrainingClassifier

from mmsense.datasets import load_msa_transcripts, make_multimodal_sentiment
from mmsense.nn import torch_threads
from mmsense.preprocessing import ModalityScaler

# Private mmsense names. The benchmarks import them from here and nowhere else,
# so that a move inside mmsense is fixed in this one block. What each serves:
#   parse_modalities, modality_vectors: pooled features (sklearn baselines)
#   network_inputs, modality_input: the networks' input dict and one modality's part of it
#     (MMRest's encoder floor, reference loop)
#   split_modalities, sequence_means: the oracle's per-modality means and step counts
#   validate_multimodal, split_modalities: timed by bench_contract
#   make_preprocessor: CMCSL's per-modality scaling (bench_cmcsl's sklearn baselines)
#   propagate, median_scale, modality_scores, resolve: CMCSL's propagation timed alone
#   SCORE_JITTER_SD: the generator's score noise, read by the Bayes oracle
#   DECAutoencoder, architecture: DEC's network sized without a fit (parameter counts)
#   shared_data_candidates: where bench_media looks for the CMU-MOSI sample clips
#   TORCH_HUGE_PAGES: PyTorch's huge-page switch the command line sets (bench_mmrest's
#     allocator part)
from mmsense._cli import COMMANDS as CLI_COMMANDS
from mmsense._cli import TORCH_HUGE_PAGES
from mmsense._contract import (modality_input, modality_vectors, network_inputs,
                               parse_modalities, sequence_means, split_modalities,
                               validate_multimodal)
from mmsense.cmcsl._features import make_preprocessor
from mmsense.cmcsl._propagation import propagate
from mmsense.cmcsl._resolution import median_scale, modality_scores, resolve
from mmsense.datasets._paths import shared_data_candidates
from mmsense.datasets._synthetic import SCORE_JITTER_SD
from mmsense.dec._modules import DECAutoencoder
from mmsense.dec._pretrainer import architecture

__all__ = [
    # private mmsense names, re-exported for the scripts
    "modality_input", "modality_vectors", "network_inputs", "parse_modalities", "sequence_means",
    "split_modalities", "validate_multimodal", "make_preprocessor", "propagate", "median_scale",
    "modality_scores", "resolve", "SCORE_JITTER_SD", "CLI_COMMANDS", "DECAutoencoder",
    "architecture", "shared_data_candidates", "TORCH_HUGE_PAGES",
    # the machine
    "load_average", "reset_peak_rss", "peak_rss_mib", "timed", "median_seconds",
    "gemm_rate", "distance_product_seconds", "free_page_reporting", "reported_mib",
    "touch_and_release",
    # CMU-MOSI
    "MOSI_SIZES", "CACHE_ROOT", "TEXT_CACHE_DIR", "mosi_text_features", "by_split",
    "mosi_size_split",
    # DEC benchmark data
    "pooled", "Task", "scaled", "synthetic_task", "mosi_task", "hide_labels",
    "dec_sklearn_baselines", "dec_autoencoder_size",
    # command line and output
    "make_parser", "add_device_option", "add_threads_option", "add_data_dir_option",
    "add_json_option", "add_seed_options", "seed_range", "md_row", "md_header", "write_json",
    "append_json_lines",
]

# CMU-MOSI's standard split: train / valid / test segments
MOSI_SIZES = (1284, 229, 686)
CACHE_ROOT = Path(__file__).resolve().parent / "_cache"
# TextEmbedder cache of the MOSI transcripts (entries keyed by model and settings)
TEXT_CACHE_DIR = CACHE_ROOT / "text"


# ---------------------------------------------------------------- the machine
def load_average() -> str:
    """The 1, 5 and 15 minute load averages, to print next to timings."""
    return "load average %.1f %.1f %.1f" % os.getloadavg()


def reset_peak_rss():
    """Reset the kernel's peak-RSS counter (VmHWM) of this process (Linux)."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
    except OSError:
        pass


def peak_rss_mib() -> float:
    """Peak resident memory of this process (VmHWM) in MiB; NaN where unknown."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


def timed(func):
    """``(seconds, result)`` of one call of ``func()`` (wall clock)."""
    start = time.perf_counter()
    result = func()
    return time.perf_counter() - start, result


def median_seconds(func, repeats):
    """Median wall-clock and CPU seconds of ``repeats`` calls of ``func()``.

    CPU time is the steadier figure while other users load the machine.
    """
    wall, cpu = [], []
    for _ in range(repeats):
        start, start_cpu = time.perf_counter(), time.process_time()
        func()
        wall.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    return statistics.median(wall), statistics.median(cpu)


def gemm_rate(repeats, size=1024):
    """float32 FLOP per CPU second of a ``size``-square matrix product on one thread: the
    machine's matrix-product peak, against which skinnier products are read."""
    a, b = torch.randn(size, size), torch.randn(size, size)
    with torch_threads(1):
        a @ b
        return 2 * size**3 / median_seconds(lambda: a @ b, repeats)[1]


def distance_product_seconds(Z, seeds, chunk_size, device="cpu") -> float:
    """Seconds of CMCSL's distance product alone: ``Z @ seeds.T`` a chunk of rows at a time.

    The float32 matrix product that propagation cannot avoid (one per modality),
    on ``device`` with host rows in, as ``propagate`` does; the floor its time is
    compared with.
    """
    c = torch.as_tensor(np.asarray(seeds, dtype=Z.dtype), device=device)
    start = time.perf_counter()
    for lo in range(0, Z.shape[0], chunk_size):
        product = torch.as_tensor(Z[lo:lo + chunk_size]).to(device) @ c.T
    if str(device).startswith("cuda"):
        torch.cuda.synchronize()
    del product
    return time.perf_counter() - start


# Linux's free page reporting (virtio-balloon): free memory blocks of 2**order pages that
# stay free for a couple of seconds are reported to the hypervisor, which takes them back;
# the next touch of each page then waits for the host to back it again.
PAGE_REPORTING = Path("/sys/module/page_reporting/parameters")
BALLOON_DEVICES = Path("/sys/bus/virtio/drivers/virtio_balloon")


def free_page_reporting() -> str:
    """One line: does this machine's kernel report free memory to a hypervisor?"""
    try:
        order = int((PAGE_REPORTING / "page_reporting_order").read_text())
        balloons = [p.name for p in BALLOON_DEVICES.iterdir() if p.name.startswith("virtio")]
    except (OSError, ValueError):
        return "free page reporting to a hypervisor: not found"
    if not balloons:
        return "free page reporting to a hypervisor: built in, but no virtio balloon device"
    return (f"free page reporting to a hypervisor: on (virtio balloon, free blocks of "
            f"{4 << order} KiB and more): memory left free for a few seconds is slow to touch "
            f"again")


def reported_mib() -> float:
    """MiB of free memory this kernel has reported to its hypervisor since boot; NaN where the
    kernel does not count them (the counter is not in every kernel)."""
    try:
        return int((PAGE_REPORTING / "reported_kib").read_text()) / 1024
    except (OSError, ValueError):
        return float("nan")


def touch_and_release(nbytes: int) -> None:
    """Write ``nbytes`` of fresh memory and give it back at once.

    The next call's fresh memory then comes from pages the hypervisor still backs, as it
    would on a machine without free page reporting: two calls timed one after the other
    pay alike for their fresh memory, whatever either left free.
    """
    if nbytes > 0:
        np.empty(nbytes, dtype=np.uint8).fill(1)


# ------------------------------------------------------------------ CMU-MOSI
def mosi_text_features(cache_dir=TEXT_CACHE_DIR, data_dir=None):
    """TextEmbedder features (all-MiniLM-L6-v2, normalised) of every MOSI transcript.

    Returns ``(X, bunch)``, ``bunch`` from ``load_msa_transcripts("mosi")``.
    """
    from mmsense.feature_extraction import TextEmbedder

    bunch = load_msa_transcripts("mosi", data_dir=data_dir)
    embedder = TextEmbedder(device="auto", normalize=True, cache_dir=cache_dir)
    return embedder.fit_transform(bunch.data), bunch


def by_split(X, y, split, names=("train", "valid", "test")):
    """``[(X, y)]`` of the rows whose ``split`` is each of ``names``, in that order."""
    return [(X[split == name], y[split == name]) for name in names]


def mosi_size_split(X, y):
    """The first rows as MOSI's train, then valid, then test split (``MOSI_SIZES``)."""
    cut = np.cumsum(MOSI_SIZES)[:2]
    return list(zip(np.split(X, cut), np.split(y, cut)))


# --------------------------------------------------------- DEC benchmark data
def pooled(X, spec) -> np.ndarray:
    """Each modality's features averaged over its real steps, side by side."""
    return np.hstack(list(modality_vectors(X, parse_modalities(spec, X.shape[1])).values()))


@dataclass
class Task:
    """One dataset of the DEC benchmark: train and test rows, scaled on train."""

    name: str
    spec: dict
    X_train: np.ndarray
    y_train: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray
    oracle_acc: float | None = None  # Bayes-optimal test accuracy (synthetic data only)

    def pooled(self, X):
        """``X``'s modalities averaged over their real steps (the sklearn baselines' input)."""
        return pooled(X, self.spec)


def scaled(name, spec, X_train, y_train, X_test, y_test) -> Task:
    scaler = ModalityScaler(modalities=spec).fit(X_train)
    return Task(name, spec, scaler.transform(X_train), y_train, scaler.transform(X_test), y_test)


def synthetic_task(noise: float, seed: int):
    """Draw ``seed`` of binary synthetic data sized like MOSI's train and test splits.

    Returns ``(task, X_test_raw, latent)``: the task scaled on its train rows,
    and for the Bayes oracle the unscaled test rows and the generator's latent
    Bunch.
    """
    n_train, _, n_test = MOSI_SIZES
    X, y, spec, latent = make_multimodal_sentiment(
        n_train + n_test, task="binary", noise=noise, random_state=seed, return_latent=True)
    task = scaled(f"synthetic(noise={noise})", spec, X[:n_train], y[:n_train], X[n_train:],
                  y[n_train:])
    return task, X[n_train:], latent


def mosi_task(cache_dir=TEXT_CACHE_DIR, data_dir=None) -> Task:
    """CMU-MOSI text features, binary polarity ``score >= 0``, standard train/test split."""
    features, mosi = mosi_text_features(cache_dir, data_dir)
    polarity = (mosi.target >= 0).astype(np.int64)
    (X_train, y_train), (X_test, y_test) = by_split(features, polarity, mosi.split,
                                                    ("train", "test"))
    return scaled("CMU-MOSI text", {"text": features.shape[1]}, X_train, y_train, X_test, y_test)


def hide_labels(y, rng, *, fraction=None, per_class=None):
    """Keep some rows of each class labeled, drawn with ``rng``; the rest become -1.

    ``fraction`` keeps that share of each class (at least one row);
    ``per_class`` keeps that many rows (the whole class when it is smaller).
    """
    kept = np.full_like(y, -1)
    for cls in np.unique(y):
        rows = np.flatnonzero(y == cls)
        if per_class is None:
            n_keep = max(1, int(round(fraction * len(rows))))
        else:
            n_keep = min(per_class, len(rows))
        chosen = rng.choice(rows, n_keep, replace=False)
        kept[chosen] = y[chosen]
    return kept


def dec_sklearn_baselines() -> dict:
    """The DEC benchmark's sklearn baselines (d) and (e), fitted on pooled features."""
    return {
        "(d) spread": LabelSpreading(kernel="knn", n_neighbors=10, max_iter=100),
        "(e) selftrain": SelfTrainingClassifier(LogisticRegression(max_iter=2000)),
    }


def dec_autoencoder_size(pretrainer, spec, n_clusters=2) -> int:
    """Parameter count of ``pretrainer``'s autoencoder for ``spec``, without fitting it."""
    module = DECAutoencoder(parse_modalities(spec), n_clusters, **architecture(pretrainer))
    return sum(p.numel() for p in module.parameters())


# ---------------------------------------------------------- command line
def make_parser(doc: str) -> argparse.ArgumentParser:
    """A parser whose description is the first line of the script's docstring."""
    return argparse.ArgumentParser(description=doc.splitlines()[0])


def add_device_option(parser, default, help="torch device"):
    parser.add_argument("--device", default=default, help=help)


def add_threads_option(parser, default, help="torch CPU threads"):
    parser.add_argument("--threads", type=int, default=default, help=help)


def add_data_dir_option(parser):
    parser.add_argument("--data-dir", default=None,
                        help="folder holding mosi/ (and mosei/); default: the shared data")


def add_json_option(parser, help):
    parser.add_argument("--json", default=None, help=help)


def add_seed_options(parser, default, help):
    """``--seeds`` (how many) and ``--first-seed``; :func:`seed_range` reads them."""
    parser.add_argument("--seeds", type=int, default=default, help=help)
    parser.add_argument("--first-seed", type=int, default=0,
                        help="seeds run from first-seed to first-seed + seeds - 1")


def seed_range(args) -> range:
    return range(args.first_seed, args.first_seed + args.seeds)


# ------------------------------------------------------------------ output
def md_row(cells) -> str:
    """One markdown table row."""
    return "| " + " | ".join(str(c) for c in cells) + " |"


def md_header(columns) -> str:
    """A markdown table's header row and its separator line."""
    return md_row(columns) + "\n|" + "---|" * len(columns)


def write_json(path, data):
    """Write ``data`` to ``path`` as indented JSON (replacing the file)."""
    Path(path).write_text(json.dumps(data, indent=1))


def append_json_lines(path, records):
    """Append each record to ``path`` as one JSON object per line."""
    with open(path, "a") as out:
        for record in records:
            out.write(json.dumps(record) + "\n")
