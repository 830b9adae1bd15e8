"""The README's main job: ``python -m mmsense demo`` fits every estimator and prints a table."""

import io

import numpy as np

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
