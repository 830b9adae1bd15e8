"""``mmsense demo --report DIR``: the demo's table, figures and a summary a person can open."""

from __future__ import annotations

import html
import importlib.util
from pathlib import Path


def _figures(folder, mmrest, X_test, y_test):
    """MMRest's prediction error, training curves and embedding map as PNG files."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from sklearn.metrics import PredictionErrorDisplay

    from .inspection import EmbeddingDisplay, TrainingHistoryDisplay

    drawn = {}
    error = PredictionErrorDisplay.from_predictions(y_test, mmrest.predict(X_test),
                                                    kind="actual_vs_predicted")
    drawn["mmrest_prediction_error.png"] = ("MMRestRegressor: predicted against true score "
                                            "(test split)", error.figure_)
    history = TrainingHistoryDisplay.from_estimator(mmrest)
    drawn["mmrest_training_history.png"] = ("MMRestRegressor: training curves, kept epoch "
                                            "marked", history.figure_)
    embedding = EmbeddingDisplay.from_estimator(mmrest, X_test, y_test, random_state=0)
    drawn["mmrest_embedding.png"] = ("MMRestRegressor: shared space (PCA), cluster centers "
                                     "with their sentiment bins", embedding.figure_)
    for name, (_, figure) in drawn.items():
        figure.savefig(folder / name, dpi=100, bbox_inches="tight")
        plt.close(figure)
    return {name: caption for name, (caption, _) in drawn.items()}


def write_report(folder, table, settings, mmrest, X_test, y_test):
    """Write ``scores.csv``, ``summary.md``, ``summary.html`` and (with matplotlib) figures.

    Returns
    -------
    list of pathlib.Path
        The files written.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    table.to_csv(folder / "scores.csv", float_format="%.4f")
    figures, note = {}, ""
    if importlib.util.find_spec("matplotlib") is None:
        note = 'No figures: install the plot extra (pip install "mmsense[plot]") to draw them.'
    else:
        figures = _figures(folder, mmrest, X_test, y_test)
    if importlib.util.find_spec("tabulate") is not None:  # pandas' to_markdown needs it
        scores = table.to_markdown(floatfmt=".3f")
    else:
        plain = table.to_string(float_format=lambda v: f"{v:.3f}", na_rep="-")
        scores = f"```\n{plain}\n```"
    lines = ["# mmsense demo", "", settings, "", "## Test-split scores", "", scores, ""]
    for name, caption in figures.items():
        lines += [f"## {caption}", "", f"![{caption}]({name})", ""]
    if note:
        lines += [note, ""]
    (folder / "summary.md").write_text("\n".join(lines), encoding="utf-8")
    body = [f"<h1>mmsense demo</h1><p>{html.escape(settings)}</p><h2>Test-split scores</h2>",
            table.to_html(float_format=lambda v: f"{v:.3f}", na_rep="-")]
    body += [f'<h2>{html.escape(c)}</h2><img src="{n}" alt="{html.escape(c)}">'
             for n, c in figures.items()]
    body += [f"<p>{html.escape(note)}</p>"] if note else []
    (folder / "summary.html").write_text(
        "<!doctype html><html><head><meta charset='utf-8'><title>mmsense demo</title></head>"
        f"<body>{''.join(body)}</body></html>", encoding="utf-8")
    return [folder / "scores.csv", folder / "summary.md", folder / "summary.html",
            *(folder / name for name in figures)]
