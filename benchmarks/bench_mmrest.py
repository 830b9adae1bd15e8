"""MMRestRegressor benchmark: speed on MOSI-size synthetic data, accuracy on real MOSI text.

1. Synthetic tri-modal data sized like CMU-MOSI unaligned (1284 train / 229 valid /
   686 test; text a 768-d vector, audio (375, 5) and vision (500, 20) sequences):
   seconds per epoch (median over the epochs; an epoch = training pass,
   re-clustering, validation), peak resident memory during ``fit``, parameter
   count and the MSA report on the test split, for varying sequence lengths
   (with and without length bucketing) and for full-length sequences.
2. Real CMU-MOSI transcripts (``load_msa_transcripts`` + ``TextEmbedder``,
   all-MiniLM-L6-v2, standard split): MSA report of MMRestRegressor, its
   ablations and both bias variants (mean over ``--seeds`` seeds, model
   selection on the validation split), and of Ridge and SVR fitted on the same
   features (their one hyperparameter chosen on the validation split).

The CPU is shared, so timings are noisy: the load average is printed with them.

Usage::

    python -m benchmarks.bench_mmrest                  # both parts
    python -m benchmarks.bench_mmrest --part synthetic --epochs 5
    python -m benchmarks.bench_mmrest --part mosi --seeds 3
    python -m benchmarks.bench_mmrest --part ablation --seeds 5   # paired, synthetic
    python -m benchmarks.bench_mmrest --part speed --fit-threads 2 --threads 2
    python -m benchmarks.bench_mmrest --part threads --repeats 5   # n_threads 1 against 2
    python -m benchmarks.bench_mmrest --part allocator --fit-threads 2 --repeats 5
        # torch's default CPU allocations against THP_MEM_ALLOC_ENABLE=1, a process per fit

3. ``--part ablation``: the ablation table on MOSI-size synthetic tri-modal data, whose
   generator has real sentiment clusters, paired by seed (see ``paired_ablation``).
"""

from __future__ import annotations

import json
import os
import resource
import statistics
import subprocess
import sys
import time
from contextlib import nullcontext
from pathlib import Path

import numpy as np
import torch
from skorch.callbacks import Callback
from sklearn.linear_model import Ridge
from sklearn.svm import SVR
from sklearn.utils import Bunch

from benchmarks._common import (MOSI_SIZES, TORCH_HUGE_PAGES, add_data_dir_option,
                                add_device_option, add_seed_options, add_threads_option,
                                by_split, gemm_rate, load_average, make_parser, median_seconds,
                                modality_input, mosi_size_split, mosi_text_features,
                                network_inputs, parse_modalities, peak_rss_mib, reset_peak_rss,
                                seed_range, timed)
from benchmarks._reference_mmrest import ReferenceTrainer
from mmsense import MMRestRegressor, msa_report
from mmsense.datasets import make_multimodal_sentiment
from mmsense.nn import LengthBuckets, batch_of, flush_denormals, side_by_side, torch_threads

MOSI_SPEC = {"text": 768, "audio": (375, 5), "vision": (500, 20)}
ROOT = Path(__file__).resolve().parents[1]
SHOWN = ("mae", "corr", "acc7", "acc5", "acc2_non0", "f1_non0")

MMREST_VARIANTS = [
    ("MMRest (projection bias)", {}),
    ("MMRest (signed bias)", {"bias_mode": "signed"}),
    ("ablation: no bias", {"projection_bias": False}),
    ("ablation: no bias, no metric loss", {"projection_bias": False, "metric_loss": False}),
    ("ablation: single metric", {"single_metric": True}),
]


def report_line(name, report, extra=""):
    cells = "  ".join(f"{report[k]:6.3f}" for k in SHOWN)
    print(f"{name:<38} {cells}  {extra}", flush=True)


def header(first):
    print(f"{first:<38} " + "  ".join(f"{k:>6}" for k in SHOWN), flush=True)


def bench_synthetic(args):
    print(f"\n== 1. synthetic, MOSI-size ({'/'.join(map(str, MOSI_SIZES))}), "
          f"{args.epochs} epochs, device {args.device}, torch threads {torch.get_num_threads()}, "
          f"{load_average()}")
    cases = [
        ("varying lengths, bucketed batches", True, True),
        ("varying lengths, random batches", True, False),
        ("full-length sequences", False, True),
    ]
    header("case")
    timing_rows = []
    for name, unaligned, bucket in cases:
        X, y, spec = make_multimodal_sentiment(sum(MOSI_SIZES), MOSI_SPEC, unaligned=unaligned,
                                               random_state=0)
        (X_tr, y_tr), valid, (X_te, y_te) = mosi_size_split(X, y)
        reg = MMRestRegressor(modalities=spec, max_epochs=args.epochs, patience=None,
                              bucket_by_length=bucket, device=args.device, random_state=0)
        reset_peak_rss()
        start, cpu_start = time.perf_counter(), time.process_time()
        reg.fit(X_tr, y_tr, validation_data=valid)
        total, cpu = time.perf_counter() - start, time.process_time() - cpu_start
        per_epoch = statistics.median(row["dur"] for row in reg.history_)
        n_params = sum(p.numel() for p in reg.net_.module_.parameters())
        report_line(name, msa_report(y_te, reg.predict(X_te)))
        timing_rows.append((name, per_epoch, cpu / len(reg.history_), total, peak_rss_mib(),
                            n_params))
    print(f"\n{'case':<38} {'s/epoch':>8} {'CPU s/epoch':>12} {'fit s':>7} "
          f"{'peak RSS MiB':>13} {'params':>8}")
    for name, per_epoch, cpu, total, rss, n_params in timing_rows:
        print(f"{name:<38} {per_epoch:8.2f} {cpu:12.2f} {total:7.1f} {rss:13.0f} {n_params:8d}")
    print(f"({load_average()}; s/epoch: wall-clock median over the epochs; CPU s/epoch: process "
          "CPU time of the whole fit / epochs, what an idle core would take; peak RSS of the "
          "whole process during fit, data included)")


class EpochCPU(Callback):
    """Process CPU seconds of every epoch: steadier than wall time while others load the CPU;
    and the process's minor page faults (first touches of fresh memory) per epoch."""

    def on_epoch_begin(self, net, **kwargs):
        self.start_ = time.process_time()
        self.start_faults_ = resource.getrusage(resource.RUSAGE_SELF).ru_minflt

    def on_epoch_end(self, net, **kwargs):
        self.seconds_ = getattr(self, "seconds_", []) + [time.process_time() - self.start_]
        faults = resource.getrusage(resource.RUSAGE_SELF).ru_minflt - self.start_faults_
        self.faults_ = getattr(self, "faults_", []) + [faults]


def speed_data(args):
    """Synthetic train and validation rows (MOSI's sizes and widths by default), with the
    sequence lengths of each split."""
    spec = MOSI_SPEC if args.spec == "mosi" else None
    n_valid = max(8, args.rows * MOSI_SIZES[1] // MOSI_SIZES[0])
    X, y, spec, latent = make_multimodal_sentiment(args.rows + n_valid, spec, random_state=0,
                                                   return_latent=True)
    cut = args.rows
    return Bunch(train=(X[:cut], y[:cut]), valid=(X[cut:], y[cut:]), spec=spec,
                 train_lengths={k: v[:cut] for k, v in latent.lengths.items()},
                 valid_lengths={k: v[cut:] for k, v in latent.lengths.items()})


def timed_mmrest_fit(data, args, **params):
    """Fit with ``args.epochs`` epochs (``n_threads=args.fit_threads`` unless ``params`` say);
    ``(reg, median s/epoch, median CPU s/epoch, median page faults per epoch)``."""
    clock = EpochCPU()
    params = {"n_threads": args.fit_threads, **params}
    reg = MMRestRegressor(modalities=data.spec, max_epochs=args.epochs, patience=None,
                          device="cpu", random_state=0, callbacks=[("cpu_clock", clock)],
                          **params)
    reg.fit(*data.train, validation_data=data.valid)
    return (reg, statistics.median(row["dur"] for row in reg.history_),
            statistics.median(clock.seconds_), statistics.median(clock.faults_))


def encoder_floor(reg, data, repeats, flushed=True, only=None):
    """Median (wall, CPU) seconds of the encoders' forward and backward alone over one epoch's
    training batches: the same length-bucketed batches, threads, denormal flushing and
    side-by-side sequence encoders as a fit (``flushed=False``: denormals kept, as before
    issue 16). The LSTM recurrence is nearly all of it, so it is the floor an epoch cannot
    go below. ``only``: one encoder alone (by modality name), on one thread."""
    X = data.train[0]
    specs = parse_modalities(data.spec, X.shape[1])
    inputs = network_inputs(X, specs)
    batches = epoch_batches(reg, data, specs)
    encoders = reg.net_.module_.encoders.train()
    spec = next((s for s in specs if s.name == only), None)

    def one_pass():
        for rows in batches:
            batch = batch_of(inputs, rows, "cpu")
            if spec is not None:
                encoded = [encoders.encoders[only](*modality_input(batch, spec))]
            else:
                encoded = list(encoders(batch).values())
            torch.stack(encoded).sum().backward()
        encoders.zero_grad()

    threads = 1 if only else reg.n_threads
    with torch_threads(threads), (flush_denormals() if flushed else nullcontext()), \
            side_by_side(encoders, training=True):
        return median_seconds(one_pass, repeats)


def epoch_batches(reg, data, specs):
    """One epoch's training batches (row indices), length-bucketed as a fit forms them."""
    cost = sum(data.train_lengths[s.name] / s.n_steps for s in specs if s.is_sequence)
    torch.manual_seed(0)
    return list(LengthBuckets(cost, reg.batch_size))


def recurrence_products(reg, data, repeats, name):
    """``(median wall s, FLOPs, products)`` of the matrix products that the ``name`` LSTM's
    training pass over one epoch's batches must run one after another, on one thread.

    Per batch of ``b`` rows trimmed to its longest sequence of ``T`` steps, with hidden
    size ``H``: ``T`` forward products ``h @ W_hh^T`` (b x H by H x 4H) and ``T`` backward
    products ``dgates @ W_hh`` (b x 4H by 4H x H), each needing the one before; the input
    projection and the three weight and input gradients are one product each over all
    steps. Issued from Python into preallocated outputs with nothing between them: an LSTM
    kernel adds the gate arithmetic between the products (and this loop's Python calls are
    part of the figure, as they would be of any implementation in Python).
    """
    X = data.train[0]
    specs = parse_modalities(data.spec, X.shape[1])
    lstm = reg.net_.module_.encoders.encoders[name].lstm
    hidden, n_in = lstm.hidden_size, lstm.input_size
    lengths = data.train_lengths[name]
    shapes = [(len(rows), max(int(lengths[rows].max()), 1))
              for rows in epoch_batches(reg, data, specs)]
    w_hh, w_ih = torch.randn(hidden, 4 * hidden), torch.randn(n_in, 4 * hidden)
    most = max(rows * steps for rows, steps in shapes)  # buffers sliced per batch
    x, all_gates, all_h = (torch.randn(most, n_in), torch.randn(most, 4 * hidden),
                           torch.randn(most, hidden))
    h, gates = torch.randn(reg.batch_size, hidden), torch.empty(reg.batch_size, 4 * hidden)
    w_hh_t = w_hh.T

    def one_pass():
        for rows, steps in shapes:
            n, h_b, gates_b = rows * steps, h[:rows], gates[:rows]
            x[:n] @ w_ih
            for _ in range(steps):
                torch.mm(h_b, w_hh, out=gates_b)
            for _ in range(steps):
                torch.mm(gates_b, w_hh_t, out=h_b)
            all_gates[:n].T @ x[:n], all_gates[:n].T @ all_h[:n], all_gates[:n] @ w_ih.T

    flops = sum(2 * rows * steps * 4 * hidden * (2 * hidden + 3 * n_in + hidden)
                for rows, steps in shapes)
    products = sum(2 * steps + 4 for _, steps in shapes)
    with torch_threads(1), torch.no_grad():
        return median_seconds(one_pass, repeats)[0], flops, products


def longest_encoder(reg, data, repeats):
    """``(name, wall s)`` of the slowest sequence encoder alone on one thread: what an epoch
    whose encoders each get a thread of their own cannot go below."""
    names = [k for k, v in data.spec.items() if not isinstance(v, int)]
    times = {name: encoder_floor(reg, data, repeats, only=name)[0] for name in names}
    return max(times.items(), key=lambda item: item[1])


def reference_inputs(X, y, spec, lengths):
    """The reference loop's data: each modality's array, the sequence lengths, float32 y."""
    inputs = network_inputs(X, parse_modalities(spec, X.shape[1]))
    data = {name: inputs[name] for name in ("text", "audio", "vision")}
    data.update({f"{name}_lengths": lengths[name] for name in ("audio", "vision")})
    data["y"] = y.astype(np.float32)
    return data


def reference_epochs(data, args, flushed=False):
    """Median (wall, CPU) seconds per epoch of the reference-style loop at LSTM width 64,
    as the authors run it or (``flushed``) with float denormals flushed as our fits do."""
    train = reference_inputs(*data.train, data.spec, data.train_lengths)
    valid = reference_inputs(*data.valid, data.spec, data.valid_lengths)
    spec = data.spec
    trainer = ReferenceTrainer(spec["text"], spec["audio"][1], spec["vision"][1], width=64)
    with torch_threads(args.fit_threads), (flush_denormals() if flushed else nullcontext()):
        return median_seconds(lambda: trainer.epoch(train, valid), args.reference_epochs)


def speed_row(name, wall, cpu, floor=None):
    cells = f"{name:<52} {wall:8.2f} {cpu:12.2f}"
    if floor is not None:
        cells += f" {floor[0]:8.2f} {floor[1]:12.2f} {cpu / floor[1]:12.2f} {wall / floor[0]:10.2f}"
    print(cells, flush=True)


def bench_speed(args):
    data = speed_data(args)
    shapes = {k: v for k, v in data.spec.items() if k != "text"}
    print(f"\n== speed: synthetic, {len(data.train[1])} train / {len(data.valid[1])} validation "
          f"rows, text {data.spec['text']}, sequences {shapes} with varying lengths; "
          f"{args.epochs} epochs per fit, n_threads={args.fit_threads} (with 2 or more the "
          f"audio and vision encoders run side by side), {load_average()}")
    print(f"{'case':<52} {'s/epoch':>8} {'CPU s/epoch':>12} {'floor s':>8} {'CPU floor s':>12}"
          f" {'epoch/floor':>12} {'wall ratio':>10}", flush=True)
    rate = gemm_rate(args.repeats)
    ours = {}
    for name, params in [("MMRest, defaults (LSTM width 32)", {}),
                         ("MMRest, LSTM width 64", {"lstm_hidden_dim": 64})]:
        reg, wall, cpu, _ = timed_mmrest_fit(data, args, **params)
        floor = encoder_floor(reg, data, args.repeats)
        speed_row(name, wall, cpu, floor)
        slowest, alone = longest_encoder(reg, data, args.repeats)
        print(f"   the slowest encoder ({slowest}) alone on one thread: {alone:.2f} s; "
              f"epoch / that: {wall / alone:.2f}", flush=True)
        chain, flops, products = recurrence_products(reg, data, args.repeats, slowest)
        print(f"   its LSTM recurrence's matrix products alone ({products} products, one "
              f"after another, one thread): {chain:.2f} s, {flops / chain / 1e9:.1f} GFLOP/s "
              f"against {rate / 1e9:.0f} on a 1024-square product; that encoder / them: "
              f"{alone / chain:.2f}", flush=True)
        ours[name] = (wall, cpu)
        kept = encoder_floor(reg, data, args.repeats, flushed=False)[1]
        print(f"   the floor with denormals kept: {kept:.2f} CPU s ({kept / floor[1]:.1f}x)",
              flush=True)
    for flushed in (False, True):
        name = "reference-style, LSTM width 64" + (", denormals flushed" if flushed else "")
        ref_wall, ref_cpu = reference_epochs(data, args, flushed)
        speed_row(name + " (*)", ref_wall, ref_cpu)
        for ours_name, (wall, cpu) in ours.items():
            print(f"   reference / {ours_name}: {ref_wall / wall:.1f}x wall, "
                  f"{ref_cpu / cpu:.1f}x CPU")
    print(f"(s/epoch: medians over the epochs (MMRest) or over {args.reference_epochs} epochs "
          f"(reference); floor: the encoders' forward+backward alone on one epoch's training "
          f"batches, median of {args.repeats}; epoch/floor in CPU seconds, wall ratio in wall "
          f"seconds; (*) our re-implementation of the authors' per-batch work, "
          f"benchmarks/_reference_mmrest.py; {load_average()})")


def mosi_features(args):
    X, bunch = mosi_text_features(data_dir=args.data_dir)
    return by_split(X, bunch.target, bunch.split)


def best_on_valid(make, grid, train, valid):
    """Fit one model per grid value on train; keep the lowest validation MAE."""
    fits = [(np.abs(make(v).fit(*train).predict(valid[0]) - valid[1]).mean(), v) for v in grid]
    mae, value = min(fits)
    return make(value).fit(*train), value


def bench_mosi(args):
    train, valid, test = mosi_features(args)
    print(f"\n== 2. CMU-MOSI transcripts, all-MiniLM-L6-v2 (384-d, normalized), standard split "
          f"{len(train[1])}/{len(valid[1])}/{len(test[1])}, test-split figures, {load_average()}")
    header("model")
    ridge, alpha = best_on_valid(lambda a: Ridge(alpha=a), [0.1, 1.0, 10.0, 100.0], train, valid)
    report_line("Ridge", msa_report(test[1], ridge.predict(test[0])), f"alpha={alpha:g}")
    svr, c = best_on_valid(lambda c: SVR(C=c), [0.3, 1.0, 3.0], train, valid)
    report_line("SVR (RBF)", msa_report(test[1], svr.predict(test[0])), f"C={c:g}")
    for name, params in MMREST_VARIANTS:
        reports, epochs, seconds = [], [], []
        for seed in seed_range(args):
            fit_s, reg = timed(lambda: MMRestRegressor(random_state=seed, **params).fit(
                *train, validation_data=valid))
            seconds.append(fit_s)
            reports.append(msa_report(test[1], reg.predict(test[0])))
            epochs.append(reg.best_epoch_)
        mean = {k: float(np.mean([r[k] for r in reports])) for k in SHOWN}
        spread = (f"sd mae {np.std([r['mae'] for r in reports]):.3f} "
                  f"acc7 {np.std([r['acc7'] for r in reports]):.3f}; best epochs {epochs}; "
                  f"fit {statistics.median(seconds):.0f} s")
        report_line(name, mean, spread)
    seeds = seed_range(args)
    print(f"(MMRest rows: mean over seeds {seeds.start}..{seeds.stop - 1}; {load_average()})")


def paired_ablation(args):
    """The ablation table on synthetic data whose generator has real sentiment clusters.

    Each seed draws its own MOSI-size data set (the generator's default modalities: a
    32-d text vector and 20-step audio and vision sequences; MOSI's 375- and 500-step
    sequences would make the 25+ fits take hours on 2 CPU cores) and fits every variant
    with that seed, so the variants are compared pair by pair: mean and standard error
    over seeds of (variant - full model).
    """
    seeds = seed_range(args)
    print(f"\n== 3. ablations, synthetic MOSI-size data (a new draw per seed), seeds "
          f"{seeds.start}..{seeds.stop - 1}, at most {args.ablation_epochs} epochs, "
          f"{load_average()}")
    results = {name: [] for name, _ in MMREST_VARIANTS}
    for seed in seeds:
        X, y, spec = make_multimodal_sentiment(sum(MOSI_SIZES), random_state=seed)
        train, valid, (X_te, y_te) = mosi_size_split(X, y)
        for name, params in MMREST_VARIANTS:
            reg = MMRestRegressor(modalities=spec, max_epochs=args.ablation_epochs,
                                  random_state=seed, **params)
            predicted = reg.fit(*train, validation_data=valid).predict(X_te)
            results[name].append(msa_report(y_te, predicted))
    full = results[MMREST_VARIANTS[0][0]]
    print(f"{'variant':<38} {'MAE':>6} {'Acc-7':>6}  {'dMAE (vs full)':>16}  {'dAcc-7':>16}")
    for name, reports in results.items():
        cells = []
        for key in ("mae", "acc7"):
            diff = np.array([r[key] - f[key] for r, f in zip(reports, full)])
            se = diff.std(ddof=1) / np.sqrt(len(diff)) if len(diff) > 1 else float("nan")
            cells.append(f"{diff.mean():+7.3f} +- {se:5.3f}")
        print(f"{name:<38} {np.mean([r['mae'] for r in reports]):6.3f} "
              f"{np.mean([r['acc7'] for r in reports]):6.3f}  {cells[0]:>16}  {cells[1]:>16}")
    print(f"(mean over seeds; differences paired by seed, +- one standard error; "
          f"{load_average()})")


def bench_threads(args):
    """Epochs with n_threads=1 against n_threads=2 (the audio and vision encoders side by
    side), fits alternating in one process so that a change of the machine's speed hits
    both; the ratio is per pair of fits."""
    data = speed_data(args)
    print(f"\n== threads: the speed part's data and defaults, {args.epochs} epochs per fit, "
          f"{args.repeats} pairs of fits, {load_average()}")
    pairs = []
    for _ in range(args.repeats):
        walls = {}
        for n in (1, 2):
            walls[n] = timed_mmrest_fit(data, args, n_threads=n)[1]
        pairs.append(walls)
        print(f"   s/epoch: n_threads=1 {walls[1]:.2f}, n_threads=2 {walls[2]:.2f}, "
              f"ratio {walls[1] / walls[2]:.2f}", flush=True)
    print(f"median s/epoch: n_threads=1 {statistics.median(p[1] for p in pairs):.2f}, "
          f"n_threads=2 {statistics.median(p[2] for p in pairs):.2f}; median ratio "
          f"{statistics.median(p[1] / p[2] for p in pairs):.2f} ({load_average()})")


def bench_allocator(args):
    """Epochs with torch's default CPU allocations against ``THP_MEM_ALLOC_ENABLE=1``, each
    fit in a fresh process (torch reads the switch once), the two alternating.

    Without the switch, glibc gives allocations above 32 MiB (an LSTM's training
    workspace at MOSI's lengths is one) fresh pages on every call and takes them back
    on free, so every training step pays a page fault per 4 KiB page of it; with it,
    torch asks for 2 MiB pages.
    """
    print(f"\n== allocator: the speed part's data and defaults, n_threads={args.fit_threads}, "
          f"{args.epochs} epochs per fit, {args.repeats} pairs of fits, each in its own "
          f"process, {load_average()}")
    settings = {"default": None, f"{TORCH_HUGE_PAGES}=1": "1"}
    runs = {name: [] for name in settings}
    for _ in range(args.repeats):
        for name, value in settings.items():
            env = {k: v for k, v in os.environ.items() if k != TORCH_HUGE_PAGES}
            if value is not None:
                env[TORCH_HUGE_PAGES] = value
            command = [sys.executable, "-m", "benchmarks.bench_mmrest", "--part", "one-fit",
                       "--epochs", str(args.epochs), "--fit-threads", str(args.fit_threads),
                       "--threads", str(args.threads), "--spec", args.spec,
                       "--rows", str(args.rows)]
            done = subprocess.run(command, env=env, cwd=ROOT, check=True, text=True,
                                  capture_output=True)
            runs[name].append(json.loads(done.stdout.strip().splitlines()[-1]))
            print(f"   {name:<24} s/epoch {runs[name][-1]['s_per_epoch']:.2f}, page faults "
                  f"per epoch {runs[name][-1]['faults_per_epoch']:,.0f}", flush=True)
    default, switched = (runs[name] for name in settings)
    ratios = [a["s_per_epoch"] / b["s_per_epoch"] for a, b in zip(default, switched)]
    for name, figures in runs.items():
        wall = statistics.median(f["s_per_epoch"] for f in figures)
        faults = statistics.median(f["faults_per_epoch"] for f in figures)
        print(f"median, {name:<24} s/epoch {wall:.2f}, page faults per epoch {faults:,.0f}")
    print(f"default / {TORCH_HUGE_PAGES}=1: median {statistics.median(ratios):.2f} over the pairs "
          f"({load_average()})")


def one_fit(args):
    """One fit of the speed part's data; its per-epoch medians as one JSON line (the unit
    ``--part allocator`` runs in a process of its own)."""
    _, wall, cpu, faults = timed_mmrest_fit(speed_data(args), args)
    print(json.dumps({"s_per_epoch": wall, "cpu_s_per_epoch": cpu, "faults_per_epoch": faults}))


def parse_args(argv=None):
    parser = make_parser(__doc__)
    parser.add_argument("--part", choices=("all", "synthetic", "mosi", "ablation", "speed",
                                           "threads", "allocator", "one-fit"),
                        default="all", help="one-fit: one fit's figures as JSON (what "
                                            "--part allocator runs in each process)")
    parser.add_argument("--spec", choices=("mosi", "small"), default="mosi",
                        help="speed part: MOSI's widths and 375/500 steps, or the generator's "
                             "small default modalities (a quick check)")
    parser.add_argument("--rows", type=int, default=MOSI_SIZES[0],
                        help="speed part: training rows (validation rows in MOSI's proportion)")
    parser.add_argument("--fit-threads", type=int, default=1,
                        help="speed part: n_threads of the fits and the reference loop")
    parser.add_argument("--repeats", type=int, default=3,
                        help="speed part: runs of the encoder floor")
    parser.add_argument("--reference-epochs", type=int, default=2,
                        help="speed part: epochs of the reference-style loop")
    parser.add_argument("--ablation-epochs", type=int, default=40,
                        help="epoch cap of the ablation fits (early stopping on validation MAE)")
    parser.add_argument("--epochs", type=int, default=5, help="epochs per synthetic fit")
    add_seed_options(parser, 3, "MMRest seeds on MOSI")
    add_threads_option(parser, 1, "torch CPU threads (1: the LSTM's per-step synchronisation "
                                  "makes more threads slower on a busy shared CPU)")
    add_device_option(parser, "auto", "torch device of the synthetic fits")
    add_data_dir_option(parser)
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    torch.set_num_threads(args.threads)
    if args.part in ("all", "synthetic"):
        bench_synthetic(args)
    if args.part in ("all", "mosi"):
        bench_mosi(args)
    if args.part == "ablation":
        paired_ablation(args)
    if args.part == "speed":
        bench_speed(args)
    if args.part == "threads":
        bench_threads(args)
    if args.part == "allocator":
        bench_allocator(args)
    if args.part == "one-fit":
        one_fit(args)


if __name__ == "__main__":
    main()
