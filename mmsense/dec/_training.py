"""Phase 2 (semi-supervised DEC) as a plain torch loop.

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

from .._contract import n_input_rows
from ..nn import (
    BestWeights,
    EpochLog,
    batch_of,
    check_finite_loss,
    module_device,
    predict_batches,
)
from ._losses import (
    assignment_change,
    disentanglement_penalty,
    kl_divergence,
    labeled_cross_entropy,
    log_soft_assignment,
    reconstruction_loss,
    target_distribution,
)


def run_clustering(module, inputs: dict, labels: np.ndarray, *, weights: dict, dof: float,
                   lr: float, batch_size: int, max_epochs: int, update_interval: int,
                   tol: float, generator: torch.Generator, holdout=None, patience=None,
                   verbose: int = 0):
    """Semi-supervised DEC on ``module`` (a DECAutoencoder with initialised centers).

    Every ``update_interval`` epochs: soft-assign the whole training set,
    stop if fewer than ``tol`` of the hard assignments changed since the last
    update, else recompute the detached target ``P``. Each mini-batch minimises
    ``clustering * KL(P||Q) + label * CE(labeled rows) + reconstruction * recon
    + disentanglement * disent`` (``weights`` keys).

    ``holdout = (rows, codes)``: labeled rows whose labels are hidden from the
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
    n = n_input_rows(inputs)
    score = None if holdout is None else HoldoutScore(module, holdout, inputs, dof)
    best = None if score is None else BestWeights(module, score())
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
            z_all = predict_batches(module.encoder, inputs).to(device)
            q_all = log_soft_assignment(z_all, module.centers.detach(), dof).exp()
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
        check_finite_loss(terms["loss"], "DECPretrainer", epoch + 1, "phase-2 loss")
        row = {"epoch": epoch + 1, **terms, "changed": changed}
        if best is not None:
            accuracy, neg_nll = score()
            best.offer(epoch + 1, (accuracy, neg_nll))
            row.update(holdout_accuracy=accuracy, holdout_nll=-neg_nll)
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


class HoldoutScore:
    """``(accuracy, -nll)`` of held-out labeled rows under the current weights and centers."""

    def __init__(self, module, holdout, inputs, dof):
        rows, codes = holdout
        self.module, self.dof = module, dof
        self.inputs = {key: values[rows] for key, values in inputs.items()}
        self.codes = torch.as_tensor(codes, dtype=torch.int64)

    @torch.no_grad()
    def __call__(self):
        z = predict_batches(self.module.encoder, self.inputs)
        log_q = log_soft_assignment(z, self.module.centers.detach().cpu(), self.dof)
        accuracy = float((log_q.argmax(1) == self.codes).double().mean())
        nll = float(torch.nn.functional.nll_loss(log_q, self.codes))
        return accuracy, -nll


def _train_epoch(module, optimizer, inputs, labels, target, weights, dof, batch_size,
                 generator, n, device) -> dict:
    """One pass over shuffled mini-batches; returns the row-weighted mean of each term."""
    module.train()
    totals = dict.fromkeys(("loss", "kl", "label_ce", "reconstruction", "disentanglement"), 0.0)
    order = torch.randperm(n, generator=generator).numpy()
    for lo in range(0, n, batch_size):
        rows = order[lo:lo + batch_size]
        z, reconstructed, targets, present = module(**batch_of(inputs, rows, device))
        log_q = log_soft_assignment(z, module.centers, dof)
        terms = {
            "kl": kl_divergence(target[rows].to(device), log_q),
            "label_ce": labeled_cross_entropy(log_q, labels[rows].to(device)),
            "reconstruction": reconstruction_loss(reconstructed, targets, present),
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


def labeled_holdout(codes: np.ndarray, fraction, seed) -> np.ndarray:
    """Rows (sorted) of a stratified hold-out of ``fraction`` of each labeled class.

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
