"""Phase 2 (semi-supervised DEC) as a plain torch loop, plus batched inference.

Phase 1 and fine-tuning run through skorch. Phase 2 does not: its target ``P``
is computed on the whole training set every ``update_interval`` epochs and
indexed by row inside each mini-batch, and it stops on the fraction of changed
assignments rather than on a validation loss. A loop over the skorch-initialised
module says that directly; bending skorch's epoch loop to it would hide it in
callbacks.
"""

from __future__ import annotations

import time

import numpy as np
import torch

from ..nn import EpochLog
from ._losses import (
    assignment_change,
    disentanglement_penalty,
    kl_divergence,
    labelled_cross_entropy,
    log_soft_assignment,
    reconstruction_loss,
    target_distribution,
)


def module_device(module: torch.nn.Module) -> torch.device:
    """Where the module's weights are (after unpickling on a CPU-only machine: the CPU)."""
    return next(module.parameters()).device


def batch_of(inputs: dict, rows, device) -> dict:
    """Rows ``rows`` of every array in the network input dict, as tensors on ``device``."""
    return {key: torch.as_tensor(values[rows]).to(device) for key, values in inputs.items()}


def n_rows(inputs: dict) -> int:
    return len(next(iter(inputs.values())))


@torch.no_grad()
def encode(encoder: torch.nn.Module, inputs: dict, batch_size: int) -> torch.Tensor:
    """``encoder(**batch)`` over all rows in eval mode, concatenated on the CPU."""
    was_training = encoder.training
    encoder.eval()
    device = module_device(encoder)
    n = n_rows(inputs)
    outputs = [
        encoder(**batch_of(inputs, slice(lo, lo + batch_size), device)).cpu()
        for lo in range(0, n, batch_size)
    ]
    encoder.train(was_training)
    return torch.cat(outputs) if outputs else torch.zeros(0)


def run_clustering(module, inputs: dict, labels: np.ndarray, *, weights: dict, dof: float,
                   lr: float, batch_size: int, max_epochs: int, update_interval: int,
                   tol: float, generator: torch.Generator, holdout=None, patience=None,
                   verbose: int = 0):
    """Semi-supervised DEC on ``module`` (a DECAutoencoder with initialised centres).

    Every ``update_interval`` epochs: soft-assign the whole training set,
    stop if fewer than ``tol`` of the hard assignments changed since the last
    update, else recompute the detached target ``P``. Each mini-batch minimises
    ``clustering * KL(P||Q) + label * CE(labelled rows) + reconstruction * recon
    + disentanglement * disent`` (``weights`` keys).

    ``holdout = (rows, codes)``: labelled rows whose labels are hidden from the
    cross-entropy (``labels[rows]`` must be -1). After every epoch their
    accuracy (cluster = class; ties: lower ``-log q``) is measured; the best
    epoch's weights, the untrained start (epoch 0) included, are restored at
    the end, and training stops after ``patience`` epochs without a better one.

    Returns
    -------
    history : list of dict, one per epoch trained
    n_epochs : int
    termination : {"tol", "max_epochs", "patience"}
    best_epoch : int
        The epoch whose weights the module holds (``n_epochs`` without holdout).
    """
    device = module_device(module)
    optimizer = torch.optim.Adam(module.parameters(), lr=lr)
    labels_t = torch.as_tensor(labels, dtype=torch.int64)
    n = n_rows(inputs)
    best = None if holdout is None else BestEpoch(module, holdout, inputs, dof, batch_size)
    log = None
    if verbose:
        log = EpochLog("DECPretrainer phase 2 (clustering)", max_epochs,
                       None if best is None else "holdout accuracy", lower_is_better=False)
        log.begin()
    history, previous, target = [], None, None
    termination, n_epochs = "max_epochs", max_epochs
    for epoch in range(max_epochs):
        changed = None
        if epoch % update_interval == 0:
            z_all = encode(module.encoder, inputs, batch_size).to(device)
            q_all = log_soft_assignment(z_all, module.centres.detach(), dof).exp()
            current = q_all.argmax(1).cpu()
            if previous is not None:
                changed = assignment_change(previous, current)
                if changed < tol:
                    termination, n_epochs = "tol", epoch
                    break
            previous, target = current, target_distribution(q_all)
        start = time.perf_counter()
        terms = _train_epoch(module, optimizer, inputs, labels_t, target, weights, dof,
                             batch_size, generator, n, device)
        row = {"epoch": epoch + 1, **terms, "changed": changed}
        if best is not None:
            row.update(best.update(epoch + 1))
        history.append({**row, "dur": time.perf_counter() - start})
        if log is not None:
            details = {} if verbose < 2 else {
                "changed": changed, **{k: terms[k] for k in ("kl", "label_ce", "reconstruction")}}
            log.epoch(epoch + 1, terms["loss"], row.get("holdout_accuracy"), details)
        if best is not None and patience is not None and epoch + 1 - best.epoch >= patience:
            termination, n_epochs = "patience", epoch + 1
            break
    if log is not None:
        kept = n_epochs if best is None else best.epoch
        log.end(f"stopped on {termination} after {n_epochs} epochs; kept epoch {kept}")
    if best is None:
        return history, n_epochs, termination, n_epochs
    best.restore()
    return history, n_epochs, termination, best.epoch


class BestEpoch:
    """Keeps the weights of the epoch with the best held-out labelled accuracy."""

    def __init__(self, module, holdout, inputs, dof, batch_size):
        rows, codes = holdout
        self.module, self.dof, self.batch_size = module, dof, batch_size
        self.inputs = {key: values[rows] for key, values in inputs.items()}
        self.codes = torch.as_tensor(codes, dtype=torch.int64)
        self.epoch, self.score, self.state = 0, self.evaluate(), self.snapshot()

    @torch.no_grad()
    def evaluate(self):
        """``(accuracy, -nll)`` of the held-out rows, compared lexicographically."""
        z = encode(self.module.encoder, self.inputs, self.batch_size)
        log_q = log_soft_assignment(z, self.module.centres.detach().cpu(), self.dof)
        accuracy = float((log_q.argmax(1) == self.codes).double().mean())
        nll = float(torch.nn.functional.nll_loss(log_q, self.codes))
        return accuracy, -nll

    def snapshot(self):
        return {k: v.detach().clone() for k, v in self.module.state_dict().items()}

    def update(self, epoch) -> dict:
        score = self.evaluate()
        if score > self.score:
            self.epoch, self.score, self.state = epoch, score, self.snapshot()
        return {"holdout_accuracy": score[0], "holdout_nll": -score[1]}

    def restore(self):
        self.module.load_state_dict(self.state)


def _train_epoch(module, optimizer, inputs, labels, target, weights, dof, batch_size,
                 generator, n, device) -> dict:
    """One pass over shuffled mini-batches; returns the row-weighted mean of each term."""
    module.train()
    totals = dict.fromkeys(("loss", "kl", "label_ce", "reconstruction", "disentanglement"), 0.0)
    order = torch.randperm(n, generator=generator).numpy()
    for lo in range(0, n, batch_size):
        rows = order[lo : lo + batch_size]
        z, reconstructed, targets = module(**batch_of(inputs, rows, device))
        log_q = log_soft_assignment(z, module.centres, dof)
        terms = {
            "kl": kl_divergence(target[rows].to(device), log_q),
            "label_ce": labelled_cross_entropy(log_q, labels[rows].to(device)),
            "reconstruction": reconstruction_loss(reconstructed, targets),
            "disentanglement": disentanglement_penalty(z),
        }
        loss = (weights["clustering"] * terms["kl"] + weights["label"] * terms["label_ce"]
                + weights["reconstruction"] * terms["reconstruction"]
                + weights["disentanglement"] * terms["disentanglement"])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        totals["loss"] += loss.item() * len(rows)
        for name, value in terms.items():
            totals[name] += value.item() * len(rows)
    return {name: value / n for name, value in totals.items()}


def labelled_holdout(codes: np.ndarray, fraction, seed) -> np.ndarray:
    """Rows (sorted) of a stratified hold-out of ``fraction`` of each labelled class.

    A class keeps at least one training row; empty when ``fraction`` is None.
    """
    if fraction is None:
        return np.zeros(0, dtype=np.int64)
    rng = np.random.RandomState(seed)
    held = []
    for cls in np.unique(codes[codes >= 0]):
        rows = np.flatnonzero(codes == cls)
        n_held = min(int(np.floor(fraction * len(rows))), len(rows) - 1)
        held.append(rng.choice(rows, n_held, replace=False))
    return np.sort(np.concatenate(held)).astype(np.int64) if held else np.zeros(0, np.int64)


def holdout_fits(validation_fraction, n_samples: int) -> bool:
    """Whether a random hold-out of ``validation_fraction`` leaves rows on both sides."""
    if validation_fraction is None:
        return False
    n_valid = int(np.ceil(validation_fraction * n_samples))
    n_train = int(np.floor((1 - validation_fraction) * n_samples))
    return n_valid >= 1 and n_train >= 1


def skorch_epochs(history) -> list:
    """The per-epoch scalars of a skorch history (batch details dropped)."""
    keys = ("epoch", "train_loss", "valid_loss", "valid_acc", "dur")
    return [{k: row[k] for k in keys if k in row} for row in history]
