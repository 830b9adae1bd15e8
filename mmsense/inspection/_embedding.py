"""EmbeddingDisplay: a 2-D map of a fitted model's latent space with its cluster centers."""

from __future__ import annotations

import numpy as np
from sklearn.utils.multiclass import type_of_target

from ._plotting import as_2d_float, axes_or_new, final_step

_METHODS = ("pca", "tsne")
_MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*")


class EmbeddingDisplay:
    """2-D map of a latent space: points coloured by sentiment, cluster centers marked.

    Build it with :meth:`from_estimator` from a fitted
    :class:`~mmsense.MMRestRegressor` (its shared space, :meth:`embed`) or
    :class:`~mmsense.DECPretrainer` (its latent codes, ``transform``), or
    directly from 2-D coordinates. All attributes ending in ``_`` are set by
    :meth:`plot`.

    Parameters
    ----------
    embedding : array-like of shape (n_points, 2)
        Coordinates of the points.
    y : array-like of shape (n_points,), default=None
        Value that colours each point: a continuous sentiment score (colour
        map and colour bar) or a class label (one colour per class, ``-1``
        drawn grey as unlabeled). None draws every point in one colour.
    centers : array-like of shape (n_centers, 2), default=None
        Coordinates of the cluster centers, drawn as black crosses.
    center_labels : list of str, default=None
        Text written next to each center (e.g. its sentiment bin).
    groups : array-like of shape (n_points,), default=None
        Group of each point (e.g. its modality), drawn with its own marker
        and listed in the legend.
    method : str, default="pca"
        Name of the 2-D projection, used in the axis labels.

    Attributes
    ----------
    ax_ : matplotlib Axes
        Axes with the map.
    figure_ : matplotlib Figure
        Figure containing the map.
    scatter_ : list of matplotlib PathCollection
        One scatter per group (a single one without ``groups``).
    centers_ : matplotlib PathCollection or None
        The center markers.
    center_texts_ : list of matplotlib Text
        The center labels.
    colorbar_ : matplotlib Colorbar or None
        The colour bar of a continuous ``y``.

    See Also
    --------
    TrainingHistoryDisplay : Learning curves of the same estimators.
    sklearn.decomposition.PCA : The default projection.
    sklearn.manifold.TSNE : The ``method="tsne"`` projection.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from mmsense.datasets import make_multimodal_sentiment
    >>> from mmsense import MMRestRegressor
    >>> from mmsense.inspection import EmbeddingDisplay
    >>> X, y, spec = make_multimodal_sentiment(60, random_state=0)
    >>> reg = MMRestRegressor(modalities=spec, hidden_dim=8, decision_dim=8, max_epochs=2,
    ...                       random_state=0).fit(X, y)
    >>> disp = EmbeddingDisplay.from_estimator(reg, X, y)
    >>> sum(len(s.get_offsets()) for s in disp.scatter_)  # 60 rows x 3 modalities
    180
    >>> len(disp.center_texts_)
    7
    """

    def __init__(self, embedding, *, y=None, centers=None, center_labels=None, groups=None,
                 method="pca"):
        self.embedding = embedding
        self.y = y
        self.centers = centers
        self.center_labels = center_labels
        self.groups = groups
        self.method = method

    def plot(self, ax=None, *, cmap="coolwarm", colorbar=True, scatter_kwargs=None):
        """Draw the map.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
            Axes to draw on; None creates a new figure.
        cmap : str or matplotlib Colormap, default="coolwarm"
            Colour map of a continuous ``y``.
        colorbar : bool, default=True
            Add a colour bar for a continuous ``y``.
        scatter_kwargs : dict, default=None
            Extra keyword arguments of ``ax.scatter`` for the points.

        Returns
        -------
        display : EmbeddingDisplay
            Object that stores the drawn artists.
        """
        fig, ax = axes_or_new(ax, "EmbeddingDisplay.plot")
        points = as_2d_float("embedding", self.embedding)
        n = len(points)
        groups = np.full(n, "", dtype=object) if self.groups is None else np.asarray(self.groups)
        y = None if self.y is None else np.asarray(self.y).ravel()
        for name, values in (("groups", groups), ("y", y)):
            if values is not None and len(values) != n:
                raise ValueError(f"{name} has {len(values)} entries but embedding has {n} points.")
        kwargs = {"s": 12, "alpha": 0.7, "linewidths": 0, **(scatter_kwargs or {})}
        continuous = y is not None and type_of_target(y) == "continuous"
        colors, legend_classes = self._point_colors(y, continuous, cmap)

        self.scatter_ = []
        group_names = list(dict.fromkeys(groups.tolist()))
        for i, group in enumerate(group_names):
            rows = groups == group
            style = {"marker": _MARKERS[i % len(_MARKERS)], "label": group or None}
            if continuous:
                style.update(c=y[rows], cmap=cmap, vmin=y.min(), vmax=y.max())
            elif colors is not None:
                style.update(c=colors[rows])
            self.scatter_.append(ax.scatter(points[rows, 0], points[rows, 1], **style, **kwargs))

        self.colorbar_ = None
        if continuous and colorbar:
            self.colorbar_ = fig.colorbar(self.scatter_[0], ax=ax, label="sentiment score")
        self._draw_centers(ax)
        self._draw_legend(ax, group_names, legend_classes)
        label = {"pca": "PC", "tsne": "t-SNE "}.get(self.method, f"{self.method} ")
        ax.set(xlabel=f"{label}1", ylabel=f"{label}2")
        self.ax_, self.figure_ = ax, fig
        return self

    @staticmethod
    def _point_colors(y, continuous, cmap):
        """Per-point colours for class labels (grey for -1) and the legend's classes."""
        if y is None or continuous:
            return None, []
        from matplotlib import colormaps

        classes = [c for c in np.unique(y) if c != -1]
        palette = colormaps["tab10" if len(classes) <= 10 else "viridis"]
        lookup = {c: palette(i if len(classes) <= 10 else i / max(len(classes) - 1, 1))
                  for i, c in enumerate(classes)}
        lookup[-1] = (0.6, 0.6, 0.6, 0.4)
        colors = np.array([lookup[v] for v in y.tolist()])
        return colors, [(str(c), lookup[c]) for c in classes] + (
            [("unlabeled", lookup[-1])] if (y == -1).any() else [])

    def _draw_centers(self, ax):
        self.centers_, self.center_texts_ = None, []
        if self.centers is None:
            return
        centers = as_2d_float("centers", self.centers)
        self.centers_ = ax.scatter(centers[:, 0], centers[:, 1], marker="X", s=140, c="black",
                                   edgecolors="white", linewidths=1.0, zorder=3,
                                   label="cluster center")
        labels = self.center_labels
        if labels is None:
            return
        if len(labels) != len(centers):
            raise ValueError(
                f"center_labels has {len(labels)} entries but there are {len(centers)} centers."
            )
        for (cx, cy), text in zip(centers, labels):
            self.center_texts_.append(ax.annotate(
                str(text), (cx, cy), xytext=(6, 6), textcoords="offset points", fontsize=8,
                zorder=4, bbox={"boxstyle": "round,pad=0.2", "fc": "white", "alpha": 0.7}))

    def _draw_legend(self, ax, group_names, legend_classes):
        from matplotlib.lines import Line2D

        entries = []  # (marker, colour, label)
        if any(group_names):
            entries += [(_MARKERS[i % len(_MARKERS)], "0.3", g) for i, g in enumerate(group_names)]
        entries += [("o", color, name) for name, color in legend_classes]
        if self.centers_ is not None:
            entries.append(("X", "black", "cluster center"))
        if entries:
            ax.legend(handles=[Line2D([], [], linestyle="", marker=marker, color=color, label=label)
                               for marker, color, label in entries], fontsize=8, loc="best")

    @classmethod
    def from_estimator(cls, estimator, X, y=None, *, method="pca", modality=None,
                       random_state=None, ax=None, **plot_kwargs):
        """Map a fitted MMRestRegressor's shared space or DECPretrainer's latent codes.

        For :class:`~mmsense.MMRestRegressor`, every row gives one point per
        modality in the shared space (where the clusters live; the clusters
        are fitted on all of them), marked by modality; a modality missing
        from a row has no point there, so none is drawn. The centers are
        labeled with their sentiment bin (``cluster_bins_``). For
        :class:`~mmsense.DECPretrainer`, every row gives its latent code
        ``transform(X)``; centers are labeled with their class
        (``classes_[j]``) or their index when fitted without labels. A fitted
        Pipeline ending in either is accepted (``X`` goes through the steps
        before it).

        Parameters
        ----------
        estimator : MMRestRegressor, DECPretrainer or Pipeline ending in one
            The fitted model.
        X : array-like of shape (n_samples, n_features)
            Rows to map.
        y : array-like of shape (n_samples,), default=None
            Scores or classes that colour the points (``-1``: unlabeled).
        method : {"pca", "tsne"}, default="pca"
            2-D projection. PCA is fitted on the points and applied to the
            centers; t-SNE embeds points and centers together.
        modality : str, default=None
            MMRest only: map one modality's points; None maps every modality.
        random_state : int, RandomState instance or None, default=None
            Seeds the projection.
        ax : matplotlib Axes, default=None
            Axes to draw on; None creates a new figure.
        **plot_kwargs : dict
            Passed to :meth:`plot`.

        Returns
        -------
        display : EmbeddingDisplay
            The drawn display.
        """
        if method not in _METHODS:
            raise ValueError(f"method must be one of {_METHODS}; got {method!r}.")
        points, groups, centers, center_labels = _latent_points(estimator, X, modality)
        n_rows = len(points) // (1 if groups is None else len(dict.fromkeys(groups)))
        if y is not None:
            y = np.asarray(y).ravel()
            if len(y) != n_rows:
                raise ValueError(f"y has {len(y)} entries but X has {n_rows} rows.")
            y = np.repeat(y, len(points) // n_rows)
        drawn = ~np.isnan(points).any(axis=1)  # MMRest: no point for a missing modality
        if not drawn.all():
            points = points[drawn]
            groups = None if groups is None else groups[drawn]
            y = None if y is None else y[drawn]
        xy, centers_xy = project_2d(points, centers, method, random_state)
        display = cls(xy, y=y, centers=centers_xy, center_labels=center_labels,
                      groups=groups, method=method)
        return display.plot(ax=ax, **plot_kwargs)


def _latent_points(estimator, X, modality):
    """Points ``(n_points, d)``, their groups, the centers and the centers' labels."""
    est, Xt = final_step(estimator, X)
    if hasattr(est, "embed") and hasattr(est, "cluster_bins_"):
        bunch = est.embed(Xt)
        shared, names = bunch.embedding, list(bunch.modalities)
        if modality is not None:
            if modality not in names:
                raise ValueError(f"modality {modality!r} is not one of the model's {names}.")
            keep = [names.index(modality)]
            shared, names = shared[:, keep], [modality]
        points = shared.reshape(-1, shared.shape[-1])
        groups = np.tile(np.asarray(names, dtype=object), shared.shape[0])
        return points, groups, est.cluster_centers_, _bin_labels(est)
    if hasattr(est, "transform") and hasattr(est, "cluster_centers_"):
        if modality is not None:
            raise ValueError(
                f"modality={modality!r} applies to MMRestRegressor's per-modality shared "
                f"space; {type(est).__name__} has one latent code per row."
            )
        classes = getattr(est, "classes_", None)
        k = len(est.cluster_centers_)
        labels = ([f"class {c}" for c in classes] if classes is not None
                  else [f"cluster {j}" for j in range(k)])
        return np.asarray(est.transform(Xt), dtype=float), None, est.cluster_centers_, labels
    raise TypeError(
        "EmbeddingDisplay.from_estimator needs a fitted MMRestRegressor (embed, cluster_bins_) "
        "or a DECPretrainer-like clusterer (transform, cluster_centers_), or a Pipeline "
        f"ending in one; got {type(est).__name__}."
    )


def _bin_labels(est):
    """``bin b [low, high)`` for each MMRest center, from its ``label_range`` cut into 7."""
    low, high = (float(v) for v in est.label_range)
    width = (high - low) / 7
    return [f"bin {b} [{low + b * width:.1f}, {low + (b + 1) * width:.1f})"
            for b in np.asarray(est.cluster_bins_).tolist()]


def project_2d(points, centers, method="pca", random_state=None):
    """2-D coordinates of ``points`` and ``centers`` (PCA fitted on the points, or t-SNE).

    Parameters
    ----------
    points : ndarray of shape (n_points, d)
    centers : ndarray of shape (n_centers, d) or None
    method : {"pca", "tsne"}, default="pca"
    random_state : int, RandomState instance or None, default=None

    Returns
    -------
    points_2d : ndarray of shape (n_points, 2)
    centers_2d : ndarray of shape (n_centers, 2) or None
    """
    points = np.asarray(points, dtype=float)
    if points.ndim != 2 or points.shape[1] < 2:
        raise ValueError(f"Need points of at least 2 dimensions to project; got {points.shape}.")
    if method == "pca":
        from sklearn.decomposition import PCA

        pca = PCA(n_components=2, random_state=random_state).fit(points)
        return pca.transform(points), None if centers is None else pca.transform(centers)
    from sklearn.manifold import TSNE

    stacked = points if centers is None else np.vstack([points, centers])
    perplexity = min(30.0, (len(stacked) - 1) / 3)
    xy = TSNE(n_components=2, perplexity=perplexity, init="pca",
              random_state=random_state).fit_transform(stacked)
    return xy[: len(points)], None if centers is None else xy[len(points):]
