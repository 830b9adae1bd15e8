"""mmsense.inspection: what the displays draw, checked against numbers computed here."""

import subprocess
import sys

import numpy as np
import pytest
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.model_selection import StratifiedKFold, cross_val_score
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import FunctionTransformer
from sklearn.semi_supervised import SelfTrainingClassifier

from mmsense import DECClassifier, DECPretrainer, MMRestRegressor, ModalityScaler
from mmsense.datasets import make_multimodal_sentiment
from mmsense.inspection import (
    EmbeddingDisplay,
    LabelBudgetDisplay,
    ModalityImportanceDisplay,
    TrainingHistoryDisplay,
    label_budget_curve,
    modality_importance,
)

plt = pytest.importorskip("matplotlib.pyplot")
SPEC = {"text": 6, "audio": (5, 3)}


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


@pytest.fixture(scope="module")
def mmrest_fit():
    X, y, spec = make_multimodal_sentiment(60, SPEC, random_state=0)
    reg = MMRestRegressor(modalities=spec, n_clusters=4, hidden_dim=6, decision_dim=4,
                          lstm_hidden_dim=4, max_epochs=3, patience=None,
                          random_state=0).fit(X, y)
    return reg, X, y


@pytest.fixture(scope="module")
def dec_fit():
    X, y, spec = make_multimodal_sentiment(60, SPEC, n_clusters=3, task="multiclass",
                                           labeled_fraction=0.5, random_state=0)
    pre = DECPretrainer(modalities=spec, embed_dim=4, num_heads=2, hidden_dims=(8,),
                        latent_dim=3, pretrain_max_epochs=3, max_epochs=3, random_state=0)
    clf = DECClassifier(pre, max_epochs=3, random_state=0).fit(X, y)
    return clf, X, y


def _pca_by_svd(points, others):
    """PCA written out: center on the points, project on the top two right singular vectors."""
    mean = points.mean(axis=0)
    _, _, vt = np.linalg.svd(points - mean, full_matrices=False)
    return (points - mean) @ vt[:2].T, (others - mean) @ vt[:2].T


def _same_up_to_sign(a, b):
    return all(np.allclose(a[:, j], b[:, j], atol=1e-6) or np.allclose(a[:, j], -b[:, j], atol=1e-6)
               for j in range(a.shape[1]))


def test_importing_inspection_does_not_import_matplotlib():
    code = "import sys, mmsense.inspection; print('matplotlib' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_plot_without_matplotlib_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", None)
    with pytest.raises(ImportError, match=r'mmsense\[plot\]'):
        EmbeddingDisplay(np.zeros((3, 2))).plot()


def test_embedding_display_mmrest_points_centers_and_bins(mmrest_fit):
    reg, X, y = mmrest_fit
    disp = EmbeddingDisplay.from_estimator(reg, X, y)
    shared = reg.embed(X).embedding  # (60, 2 modalities, 6)
    assert [len(s.get_offsets()) for s in disp.scatter_] == [60, 60]
    drawn = np.vstack([s.get_offsets() for s in disp.scatter_])
    # points are drawn grouped by modality: text rows first, then audio rows
    expected, centers = _pca_by_svd(shared.reshape(-1, 6), reg.cluster_centers_)
    order = np.concatenate([np.arange(0, 120, 2), np.arange(1, 120, 2)])
    assert _same_up_to_sign(drawn, expected[order])
    assert len(disp.centers_.get_offsets()) == 4
    assert _same_up_to_sign(np.asarray(disp.centers_.get_offsets()), centers)
    texts = [t.get_text() for t in disp.center_texts_]
    assert [int(t.split()[1]) for t in texts] == reg.cluster_bins_.tolist()
    assert disp.colorbar_ is not None  # scores are continuous
    # colours are the scores, repeated for each modality of a row
    np.testing.assert_allclose(disp.scatter_[0].get_array(), y)
    assert disp.figure_ is disp.ax_.figure


def test_embedding_display_draws_no_point_for_a_missing_modality(mmrest_fit):
    reg, X, y = mmrest_fit
    X = X.copy()
    X[:5, :6] = np.nan  # rows 0-4 miss text
    disp = EmbeddingDisplay.from_estimator(reg, X, y)
    by_modality = {s.get_label(): s for s in disp.scatter_}
    assert {name: len(s.get_offsets()) for name, s in by_modality.items()} == {
        "text": 55, "audio": 60}
    np.testing.assert_allclose(by_modality["text"].get_array(), y[5:])
    np.testing.assert_allclose(by_modality["audio"].get_array(), y)


def test_embedding_display_one_modality_pipeline_and_tsne(mmrest_fit):
    reg, X, y = mmrest_fit
    pipe = Pipeline([("identity", FunctionTransformer()), ("model", reg)])
    disp = EmbeddingDisplay.from_estimator(pipe, X, y, modality="audio", method="tsne",
                                           random_state=0)
    assert len(disp.scatter_) == 1 and len(disp.scatter_[0].get_offsets()) == 60
    assert len(disp.centers_.get_offsets()) == 4
    with pytest.raises(ValueError, match="modality 'video' is not one of"):
        EmbeddingDisplay.from_estimator(reg, X, modality="video")
    with pytest.raises(TypeError, match="MMRestRegressor"):
        EmbeddingDisplay.from_estimator(Ridge().fit(np.ones((3, 2)), [0, 1, 2]), X)


def test_embedding_display_dec_classes_and_unlabeled(dec_fit):
    clf, X, y = dec_fit
    pre = clf.pretrainer_
    _, ax = plt.subplots()
    disp = EmbeddingDisplay.from_estimator(pre, X, y, ax=ax)
    assert disp.ax_ is ax
    assert len(disp.scatter_) == 1 and len(disp.scatter_[0].get_offsets()) == 60
    expected, centers = _pca_by_svd(pre.transform(X).astype(float), pre.cluster_centers_)
    assert _same_up_to_sign(np.asarray(disp.scatter_[0].get_offsets()), expected)
    assert _same_up_to_sign(np.asarray(disp.centers_.get_offsets()), centers)
    assert [t.get_text() for t in disp.center_texts_] == ["class 0", "class 1", "class 2"]
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend == ["0", "1", "2", "unlabeled", "cluster center"]
    # unlabeled rows are grey, each class has one colour
    colors = disp.scatter_[0].get_facecolors()
    assert len({tuple(c) for c in colors[y == -1]}) == 1
    assert len({tuple(c) for c in colors[y >= 0]}) == 3
    assert disp.colorbar_ is None


def test_history_display_mmrest_losses_apart(mmrest_fit):
    reg, _, _ = mmrest_fit
    disp = TrainingHistoryDisplay.from_estimator(reg)
    assert len(disp.ax_) == 2 and list(disp.lines_) == ["L_MMC", "L1 (MAE)"]
    for panel, key in (("L_MMC", "mmc"), ("L1 (MAE)", "l1")):
        for part in ("train", "valid"):
            line = disp.lines_[panel][part]
            np.testing.assert_allclose(line.get_ydata(), [r[f"{part}_{key}"] for r in reg.history_])
            np.testing.assert_array_equal(line.get_xdata(), [1, 2, 3])
        assert disp.best_lines_[panel].get_xdata()[0] == reg.best_epoch_


def test_history_display_dec_phases_apart(dec_fit):
    clf, _, _ = dec_fit
    disp = TrainingHistoryDisplay.from_estimator(clf)
    pre = clf.pretrainer_
    assert list(disp.lines_) == [
        "pretraining phase 1: autoencoder", "pretraining phase 2: clustering",
        "pretraining phase 2: labeled hold-out", "fine-tuning loss",
        "fine-tuning held-out accuracy"]
    assert len(disp.ax_) == 5
    phase2 = disp.lines_["pretraining phase 2: clustering"]
    np.testing.assert_allclose(phase2["kl"].get_ydata(),
                               [r["kl"] for r in pre.history_["clustering"]])
    assert (disp.best_lines_["pretraining phase 2: clustering"].get_xdata()[0]
            == pre.best_epoch_)
    np.testing.assert_allclose(disp.lines_["fine-tuning loss"]["train_loss"].get_ydata(),
                               [r["train_loss"] for r in clf.history_])
    acc = [r["valid_acc"] for r in clf.history_]
    kept = 0 if clf.start_accuracy_ >= max(acc) else 1 + int(np.argmax(acc))
    assert disp.best_lines_["fine-tuning loss"].get_xdata()[0] == kept == clf.best_epoch_
    # phase 1 keeps its lowest validation loss
    auto_valid = [r["valid_loss"] for r in pre.history_["autoencoder"]]
    assert (disp.best_lines_["pretraining phase 1: autoencoder"].get_xdata()[0]
            == 1 + int(np.argmin(auto_valid)))
    # the pretrainer alone: its two phases (plus hold-out) only
    alone = TrainingHistoryDisplay.from_estimator(pre)
    assert len(alone.lines_) == 3


def test_history_display_needs_one_axes_per_panel(mmrest_fit):
    reg, _, _ = mmrest_fit
    _, ax = plt.subplots()
    with pytest.raises(ValueError, match="1 Axes but the history has 2 panels"):
        TrainingHistoryDisplay.from_estimator(reg, ax=ax)
    with pytest.raises(Exception, match="no training history"):
        TrainingHistoryDisplay.from_estimator(Ridge())


class _RecordingClassifier(ClassifierMixin, BaseEstimator):
    """Logistic regression on the labeled rows, remembering the y it was fitted with."""

    fitted_with = []

    def fit(self, X, y):
        type(self).fitted_with.append(np.asarray(y).copy())
        rows = y != -1
        self.model_ = LogisticRegression().fit(X[rows], y[rows])
        self.classes_ = self.model_.classes_
        return self

    def predict(self, X):
        return self.model_.predict(X)


@pytest.fixture(scope="module")
def binary_data():
    X, y, _ = make_multimodal_sentiment(150, {"x": 5}, task="binary", random_state=1)
    return X.astype(float), y


def test_label_budget_full_fraction_equals_cross_val_score(binary_data):
    X, y = binary_data
    cv = StratifiedKFold(3, shuffle=True, random_state=0)
    res = label_budget_curve(LogisticRegression(), X, y, fractions=[0.2, 1.0], cv=cv,
                             unlabeled="drop", random_state=0)
    np.testing.assert_allclose(res.scores[1], cross_val_score(LogisticRegression(), X, y, cv=cv))
    train_sizes = [len(tr) for tr, _ in cv.split(X, y)]
    assert res.n_labeled[1].tolist() == train_sizes
    assert res.scores.shape == (2, 3)
    np.testing.assert_allclose(res.scores_mean, res.scores.mean(axis=1))


def test_label_budget_hides_labels_stratified_and_nested(binary_data):
    X, y = binary_data
    _RecordingClassifier.fitted_with = []
    cv = StratifiedKFold(3, shuffle=True, random_state=0)
    fractions = [0.1, 0.3, 0.6]
    res = label_budget_curve(_RecordingClassifier(), X, y, fractions=fractions, cv=cv,
                             n_repeats=2, random_state=0)
    fits = _RecordingClassifier.fitted_with
    assert len(fits) == 3 * 2 * 3 and res.scores.shape == (3, 6)
    splits = list(cv.split(X, y))
    for k, y_fit in enumerate(fits):
        split, frac = splits[k // 6], fractions[k % 3]
        train = split[0]
        assert len(y_fit) == len(train)  # every training row is kept, labels hidden
        for c in (0, 1):
            n_class = int((y[train] == c).sum())
            assert (y_fit == c).sum() == max(1, round(frac * n_class))
        kept = y_fit != -1
        np.testing.assert_array_equal(y_fit[kept], y[train][kept])
        if k % 3:  # a larger fraction keeps the smaller one's labels (same repeat)
            assert np.all(kept[fits[k - 1] != -1])
    assert res.n_labeled[:, 0].tolist() == [int((f != -1).sum()) for f in fits[:3]]


def test_label_budget_rejects_hide_for_regressors(binary_data):
    X, y = binary_data
    with pytest.raises(ValueError, match="unlabeled='drop' for regressors"):
        label_budget_curve(Ridge(), X, y.astype(float))
    with pytest.raises(ValueError, match="fractions must be floats in"):
        label_budget_curve(LogisticRegression(), X, y, fractions=[0.0, 0.5])


@pytest.mark.filterwarnings("ignore:y contains no unlabeled samples")  # fraction 1.0, on purpose
def test_label_budget_display_several_estimators(binary_data):
    X, y = binary_data
    estimators = {"self-training": SelfTrainingClassifier(LogisticRegression()),
                  "supervised": (LogisticRegression(), "drop")}
    disp = LabelBudgetDisplay.from_estimator(estimators, X, y, fractions=[0.1, 0.5, 1.0],
                                             cv=3, scoring="accuracy", random_state=0)
    assert list(disp.lines_) == ["self-training", "supervised"]
    assert len(disp.fill_between_) == 2
    for name, line in disp.lines_.items():
        np.testing.assert_allclose(line.get_ydata(), disp.results_[name].scores_mean)
        np.testing.assert_allclose(line.get_xdata(), [0.1, 0.5, 1.0])
    assert disp.ax_.get_ylabel() == "accuracy"
    # same subsets for both: at fraction 1.0 self-training has nothing to self-label
    np.testing.assert_allclose(disp.results_["self-training"].scores[2],
                               disp.results_["supervised"].scores[2])


def _mean_pool(X, spec=SPEC):
    """Static block as is, each sequence averaged over its real steps; rejects partly-NaN steps."""
    text = X[:, :6]
    audio = X[:, 6:].reshape(len(X), 5, 3)
    nan = np.isnan(audio)
    if np.any(nan.any(axis=2) & ~nan.all(axis=2)):
        raise ValueError("partly-NaN step in 'audio'")
    return np.hstack([text, np.nanmean(audio, axis=1)])


@pytest.fixture(scope="module")
def text_only_signal():
    X, y, spec = make_multimodal_sentiment(200, SPEC, modality_informativeness={"audio": 0.0},
                                           random_state=0)
    model = Pipeline([("scale", ModalityScaler(modalities=spec)),
                      ("pool", FunctionTransformer(_mean_pool)),
                      ("ridge", Ridge())]).fit(X[:100], y[:100])
    return model, X[100:], y[100:]


def test_modality_importance_signal_modality_and_hand_loop(text_only_signal):
    model, X, y = text_only_signal
    res = modality_importance(model, X, y, modalities=SPEC, n_repeats=4, random_state=0)
    assert res.modalities == ["text", "audio"]
    assert res.importances.shape == (2, 4)
    assert res.importances_mean[0] > 0.5  # the R^2 lost without text
    assert abs(res.importances_mean[1]) < 0.05 * res.importances_mean[0]
    # the same numbers by hand: one permutation per modality and repeat, in that order
    rng = np.random.RandomState(0)
    base = model.score(X, y)
    hand = np.empty((2, 4))
    for m, cols in enumerate((slice(0, 6), slice(6, 21))):
        for r in range(4):
            perm = rng.permutation(len(X))
            Xp = X.copy()
            Xp[:, cols] = X[perm][:, cols]
            hand[m, r] = base - model.score(Xp, y)
    np.testing.assert_allclose(res.importances, hand)
    np.testing.assert_allclose(res.importances_mean, hand.mean(axis=1))
    np.testing.assert_allclose(res.importances_std, hand.std(axis=1))
    assert res.baseline_score == pytest.approx(base)


def test_modality_importance_where_permutation_importance_fails(text_only_signal):
    from sklearn.inspection import permutation_importance

    model, X, y = text_only_signal
    with pytest.raises(ValueError, match="partly-NaN step"):
        permutation_importance(model, X, y, n_repeats=1, random_state=0)
    # modalities read from the pipeline's ModalityScaler when not given
    res = modality_importance(model, X, y, n_repeats=2, random_state=0)
    ref = modality_importance(model, X, y, modalities=SPEC, n_repeats=2, random_state=0)
    np.testing.assert_allclose(res.importances, ref.importances)
    with pytest.raises(ValueError, match="pass modalities="):
        modality_importance(make_pipeline(Ridge()).fit(X[:, :6], y), X[:, :6], y)


def test_modality_importance_display_bars(text_only_signal):
    model, X, y = text_only_signal
    disp = ModalityImportanceDisplay.from_estimator(model, X, y, scoring="r2", n_repeats=3,
                                                    random_state=0)
    assert len(disp.bars_) == 2
    np.testing.assert_allclose([b.get_width() for b in disp.bars_],
                               disp.result_.importances_mean)
    assert [t.get_text() for t in disp.ax_.get_yticklabels()] == ["text", "audio"]
    assert "r2" in disp.ax_.get_xlabel()
