"""The README's main job: ``python -m mmsense demo`` fits every estimator and prints a table."""

import io

import numpy as np
import pandas as pd
import pytest

from mmsense._cli import main
from mmsense._demo import run_demo


def test_demo_reports_every_estimator():
    out = io.StringIO()
    table = run_demo(n_samples=120, max_epochs=1, labeled_fraction=0.5, random_state=0, file=out)
    assert {"MMRestRegressor", "DECClassifier", "CMCSLSelfLabeler"} <= set(table.index)
    assert table.loc["MMRestRegressor", ["mae", "acc7", "acc2_has0"]].notna().all()
    accuracies = table["acc2_has0"].to_numpy()
    assert np.all((accuracies >= 0) & (accuracies <= 1))
    assert "MMRestRegressor" in out.getvalue() and "acc7" in out.getvalue()


def test_command_line_entry_point(capsys):
    main(["demo", "--n-samples", "100", "--max-epochs", "1"])
    assert "CMCSLSelfLabeler" in capsys.readouterr().out


def test_demo_report_writes_a_summary_and_figures(tmp_path, capsys):
    pytest.importorskip("matplotlib")
    from PIL import Image

    out = tmp_path / "report"
    assert main(["demo", "--n-samples", "100", "--max-epochs", "1", "--verbose", "0",
                 "--report", str(out)]) == 0
    names = {p.name for p in out.iterdir()}
    assert {"scores.csv", "summary.md", "summary.html", "mmrest_prediction_error.png",
            "mmrest_training_history.png", "mmrest_embedding.png"} <= names
    summary = (out / "summary.md").read_text()
    assert "MMRestRegressor" in summary and "](mmrest_embedding.png)" in summary
    scores = pd.read_csv(out / "scores.csv", index_col=0)
    assert {"MMRestRegressor", "DECClassifier", "CMCSLSelfLabeler"} <= set(scores.index)
    assert Image.open(out / "mmrest_embedding.png").size[0] > 100
