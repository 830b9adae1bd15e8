"""Bayes-optimal polarity for ``make_multimodal_sentiment`` data, from the generator's own views.

Given a row's cluster ``k`` and latent score ``s``, each modality's features
are Gaussian around ``informativeness * (prototype_k + s * direction)`` with
per-feature noise ``noise``; a sequence's mean over its ``L`` real steps is a
sufficient statistic with noise ``noise / sqrt(L)``. The posterior over
``(k, s)`` (prior: clusters uniform, ``s ~ N(center_k, 0.25^2)`` clipped to
[-3, 3], integrated on a grid) gives ``P(score >= 0 | x)``; predicting its
more probable side is the best any method can do on this data. Use it as the
ceiling a benchmark's accuracies are read against:

    python -m benchmarks.synthetic_oracle --noise 8 --draws 10
    python -m benchmarks.synthetic_oracle --draws 5 --full-label-references

``--full-label-references`` adds sklearn classifiers fitted on *every*
training label (pooled, standardised features as in ``bench_dec``): how
close a supervised learner gets to the ceiling with 1284 rows.
"""

from __future__ import annotations

import numpy as np
from scipy.stats import norm

from benchmarks._common import (MOSI_SIZES, SCORE_JITTER_SD, make_parser, md_header, md_row,
                                parse_modalities, sequence_means, split_modalities,
                                synthetic_task)
from mmsense.datasets import make_multimodal_sentiment


def _log_prior(centers, grid):
    """log P(k, s) on the score grid; the grid ends hold the clipped tails."""
    step = grid[1] - grid[0]
    log_prior = norm.logpdf(grid[None, :], centers[:, None], SCORE_JITTER_SD) + np.log(step)
    log_prior[:, 0] = norm.logcdf(grid[0] + step / 2, centers, SCORE_JITTER_SD)
    log_prior[:, -1] = norm.logsf(grid[-1] - step / 2, centers, SCORE_JITTER_SD)
    return log_prior - np.log(len(centers))


def positive_posterior(X, modalities, latent, grid_size=1201) -> np.ndarray:
    """``P(score >= 0 | x)`` for every row of ``X`` (raw generator output, not scaled)."""
    grid = np.linspace(-3.0, 3.0, grid_size)
    log_post = np.repeat(_log_prior(latent.cluster_scores, grid)[None], len(X), axis=0)
    blocks = split_modalities(X, parse_modalities(modalities, X.shape[1]))
    for name, block in blocks.items():
        view = latent.views[name]
        values = block.values.astype(np.float64)
        if block.lengths is None:
            mean, n_steps = values, np.ones(len(X))
        else:
            mean, n_steps = sequence_means(values, block.lengths), block.lengths
        # |mean - a (P_k + s w)|^2 expanded in s, with |w| = 1
        residual = mean[:, None, :] - view.informativeness * view.prototypes[None]
        a = view.informativeness
        sq = ((residual ** 2).sum(-1)[:, :, None]
              - 2 * a * grid[None, None, :] * (residual @ view.direction)[:, :, None]
              + (a * grid[None, None, :]) ** 2)
        log_post -= n_steps[:, None, None] / (2 * latent.noise ** 2) * sq
    log_post -= log_post.max(axis=(1, 2), keepdims=True)
    post = np.exp(log_post)
    post /= post.sum(axis=(1, 2), keepdims=True)
    return post[:, :, grid >= 0].sum(axis=(1, 2))


def oracle_accuracy(X, y, modalities, latent) -> tuple[float, float]:
    """(accuracy of the Bayes prediction on these rows, its expected accuracy).

    The two agree up to sampling noise when the posterior is right: a check
    of this module.
    """
    p = positive_posterior(X, modalities, latent)
    return float(((p >= 0.5) == (y == 1)).mean()), float(np.maximum(p, 1 - p).mean())


def _references() -> dict:
    from sklearn.linear_model import LogisticRegression
    from sklearn.neural_network import MLPClassifier
    from sklearn.svm import SVC

    return {"LogisticRegression": LogisticRegression(max_iter=1000),
            "MLPClassifier(64)": MLPClassifier((64,), alpha=1e-2, early_stopping=True,
                                               max_iter=500, random_state=0),
            "SVC(rbf)": SVC()}


def _reference_accuracies(noise, draw) -> list:
    """Test accuracy of each reference fitted on every training label of bench_dec's draw."""
    task, _, _ = synthetic_task(noise, draw)
    X_train, X_test = task.pooled(task.X_train), task.pooled(task.X_test)
    return [est.fit(X_train, task.y_train).score(X_test, task.y_test)
            for est in _references().values()]


def parse_args(argv=None):
    parser = make_parser(__doc__)
    parser.add_argument("--noise", type=float, nargs="+", default=[4.0, 8.0])
    parser.add_argument("--draws", type=int, default=10)
    parser.add_argument("--n-train", type=int, default=MOSI_SIZES[0])
    parser.add_argument("--n-test", type=int, default=MOSI_SIZES[2])
    parser.add_argument("--full-label-references", action="store_true")
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    names = list(_references()) if args.full_label_references else []
    print(md_header(["noise", "draw", "oracle test accuracy", "expected",
                     *(f"{n}, all labels" for n in names)]))
    for noise in args.noise:
        rows = []
        for draw in range(args.draws):
            X, y, spec, latent = make_multimodal_sentiment(
                args.n_train + args.n_test, task="binary", noise=noise, random_state=draw,
                return_latent=True)
            test = slice(args.n_train, None)
            row = [*oracle_accuracy(X[test], y[test], spec, latent)]
            if names:
                row += _reference_accuracies(noise, draw)
            rows.append(row)
            print(md_row([f"{noise:g}", draw, *(f"{v:.3f}" for v in row)]), flush=True)
        print(md_row([f"{noise:g}", "mean", *(f"{v:.3f}" for v in np.mean(rows, axis=0))]))


if __name__ == "__main__":
    main()
