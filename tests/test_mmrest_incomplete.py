"""MMRest with missing modalities and with unlabeled rows (semi_supervised), on hand-made rows."""

import numpy as np
import pytest
import torch
from skorch.dataset import Dataset

from mmsense._contract import network_inputs, parse_modalities, present_key
from mmsense.datasets import make_multimodal_sentiment
from mmsense.mmrest import MMRestRegressor
from mmsense.mmrest._clusters import fit_centers
from mmsense.mmrest._losses import (inter_cluster_loss, intra_cluster_loss, projection_bias,
                                    sentiment_bins)
from mmsense.nn import predict_batches, torch_seed_from
from mmsense.nn._base import LabeledValidSplit

TINY = dict(hidden_dim=8, decision_dim=8, receptive_field=8, max_epochs=2, batch_size=32)
SPEC = {"text": 10, "audio": (6, 3), "vision": (5, 4)}
TEXT, AUDIO = slice(0, 10), slice(10, 28)


def _tiny(**params):
    return MMRestRegressor(modalities=SPEC, **{**TINY, "random_state": 0, **params})


@pytest.fixture(scope="module")
def data():
    X, y, _ = make_multimodal_sentiment(80, SPEC, random_state=0)
    return X, y


def _with_missing(X):
    """Rows 0-9 miss text (all NaN), rows 5-14 miss audio (no real step)."""
    X = X.copy()
    X[:10, TEXT] = np.nan
    X[5:15, AUDIO] = np.nan
    return X


@pytest.fixture(scope="module")
def fitted_missing(data):
    X, y = data
    return _tiny().fit(_with_missing(X), y)


def _t(a):
    return torch.as_tensor(a, dtype=torch.float64)


# -- missing modalities ------------------------------------------------------------------


def test_fit_with_missing_rows_counts_them_and_predicts(fitted_missing, data):
    X, _ = data
    assert fitted_missing.n_missing_ == {"text": 10, "audio": 10, "vision": 0}
    assert np.isfinite(fitted_missing.predict(_with_missing(X))).all()


def test_a_missing_blocks_values_never_reach_the_prediction(fitted_missing, data):
    X, _ = data
    module = fitted_missing.net_.module_
    inputs = network_inputs(_with_missing(X[:12]), parse_modalities(SPEC, X.shape[1]))
    garbage = dict(inputs)
    garbage["text"] = inputs["text"].copy()
    garbage["text"][:10] = 50 * np.random.RandomState(0).randn(10, 10)  # rows without text
    # every output but the shared points themselves (a missing point is the encoder's output)
    for method, shared_at in (("forward", 3), ("explain", 4)):
        zero_fill = predict_batches(module, inputs, method=method)
        other_fill = predict_batches(module, garbage, method=method)
        for i, (a, b) in enumerate(zip(zero_fill, other_fill)):
            if i != shared_at:
                torch.testing.assert_close(a, b, msg=f"{method} output {i} read a missing block")
    # control: the same garbage marked present does change the prediction
    garbage[present_key("text")] = np.ones(12, dtype=bool)
    changed = predict_batches(module, garbage)[0]
    assert not torch.allclose(changed[:10], predict_batches(module, inputs)[0][:10])


def test_prediction_of_a_partial_row_by_hand(data):
    """Fitted on complete rows, predicting rows without text: the fusion and bias by hand."""
    X, y = data
    reg = _tiny().fit(X, y)
    X_missing = X[:6].copy()
    X_missing[:, TEXT] = np.nan
    got = reg.predict(X_missing)
    module = reg.net_.module_
    inputs = network_inputs(X_missing, parse_modalities(SPEC, X.shape[1]))
    with torch.no_grad():
        module.eval()
        batch = {k: torch.as_tensor(v) for k, v in inputs.items()}
        shared = module.embed(**batch)
        fusion = module.decision
        blocks = [torch.zeros(6, fusion.fusion_conv.in_channels // 3, 1)]  # text: nothing
        blocks += [torch.relu(fusion.modality_convs[m](shared[:, m, :, None])) for m in (1, 2)]
        decision = fusion.mlp(fusion.fusion_conv(torch.cat(blocks, dim=1)).squeeze(-1))
        bias = projection_bias(shared[:, 1:], module.centers, module.cluster_metrics(),
                               module.metric)[0]  # the mean over audio and vision only
    expected = decision.squeeze(-1) + reg.gamma * bias
    np.testing.assert_allclose(got, expected.numpy(), rtol=1e-5, atol=1e-6)
    # missing is not the same as a real all-zero text vector
    X_zero = X[:6].copy()
    X_zero[:, TEXT] = 0.0
    assert not np.allclose(reg.predict(X_zero), got)


def test_embed_marks_missing_points(fitted_missing, data):
    X, _ = data
    out = fitted_missing.embed(_with_missing(X[:20]))
    expected_present = np.ones((20, 3), dtype=bool)
    expected_present[:10, 0] = False
    expected_present[5:15, 1] = False
    np.testing.assert_array_equal(out.present, expected_present)
    assert np.isnan(out.embedding[~expected_present]).all()
    assert np.isfinite(out.embedding[expected_present]).all()
    np.testing.assert_array_equal(out.cluster[~expected_present], -1)
    np.testing.assert_array_equal(out.second_cluster[~expected_present], -1)
    assert (out.cluster[expected_present] >= 0).all()


def test_projection_bias_averages_the_present_blocks_only():
    rng = np.random.RandomState(0)
    shared, centers = rng.randn(4, 3, 2), rng.randn(3, 2)
    metrics, metric0 = np.stack([np.eye(2)] * 3), np.diag([1.0, 2.0])
    present = np.array([[1, 1, 1], [1, 0, 1], [0, 0, 1], [0, 0, 0]], dtype=bool)
    got, nearest, second = projection_bias(_t(shared), _t(centers), _t(metrics), _t(metric0),
                                           present=torch.as_tensor(present))
    got = got.numpy()
    assert (nearest[~present] == -1).all() and (second[~present] == -1).all()
    assert (nearest[present] >= 0).all() and (second[present] >= 0).all()
    for n in range(3):
        alone = projection_bias(_t(shared[n:n + 1, present[n]]), _t(centers), _t(metrics),
                                _t(metric0))[0]
        assert got[n] == pytest.approx(float(alone[0]))
    assert got[3] == 0.0  # nothing present: no bias
    assert got[1] != pytest.approx(float(projection_bias(
        _t(shared[1:2]), _t(centers), _t(metrics), _t(metric0))[0][0]))


def _bare_net(spec, **params):
    """An initialised MMRestNet on the CPU, for calling its steps on hand-made points."""
    reg = _tiny(hidden_dim=2, **params)
    reg.device_ = "cpu"
    return reg._build_net(parse_modalities(spec), 0, None).initialize()


def test_recluster_leaves_missing_points_out():
    """A missing point sits far away (as garbage would); it moves no center and casts no vote."""
    net = _bare_net({"a": 2, "b": 2}, n_clusters=2, receptive_field=3)
    rng = np.random.RandomState(0)
    shared = np.concatenate([rng.randn(5, 2, 2) * 0.1, 5 + rng.randn(5, 2, 2) * 0.1])
    present = np.ones((10, 2), dtype=bool)
    present[[0, 5], 1] = False
    shared[[0, 5], 1] = 1000.0
    y = np.r_[np.full(5, -2.5), np.full(5, 2.5)]
    net.recluster_(shared, y, present)
    expected = fit_centers(shared[present], 2, random_state=0)
    np.testing.assert_allclose(net.module_.centers.numpy(), expected, rtol=1e-6)
    assert np.abs(net.module_.centers.numpy()).max() < 6
    low, high = sentiment_bins(np.array([-2.5, 2.5]), (-3, 3))
    near_origin = int(np.argmin(np.abs(expected).sum(1)))
    assert net.module_.bins[near_origin] == low and net.module_.bins[1 - near_origin] == high


def _net_and_batch():
    net = _bare_net({"a": 2, "b": 2}, n_clusters=2, receptive_field=4, max_pairs=None)
    rng = np.random.RandomState(1)
    net.module_.centers.copy_(torch.tensor([[0.0, 0.0], [3.0, 3.0]]))
    shared = torch.as_tensor(np.concatenate([rng.randn(6, 2, 2) * 0.5,
                                             3 + rng.randn(6, 2, 2) * 0.5]), dtype=torch.float32)
    y = torch.as_tensor(rng.uniform(-3, 3, 12), dtype=torch.float32)
    return net, shared, y


def test_cluster_losses_leave_missing_points_and_unlabeled_bins_out():
    net, shared, y = _net_and_batch()
    present = torch.ones(12, 2, dtype=torch.bool)
    present[[1, 7], 0] = False
    y[[2, 8, 9]] = float("nan")
    got = net.mmc_loss(shared, present, y).detach()
    # by hand: inter over every present point; intra over present points of labeled rows
    module, cfg = net.module_, net.mmc
    labeled = ~torch.isnan(y)
    voters = present & labeled[:, None]
    bins = sentiment_bins(y[labeled], cfg.label_range)[:, None].expand(-1, 2)
    intra = intra_cluster_loss(shared[voters], bins[present[labeled]], module.centers,
                               module.cluster_metrics(), cfg.receptive_field, cfg.margin)
    inter = inter_cluster_loss(shared[present], module.centers, module.cluster_metrics(),
                               cfg.alpha)
    expected = intra + cfg.inter_weight * inter + cfg.metric_reg * (module.metric**2).sum()
    torch.testing.assert_close(got, expected.detach())
    # a missing point's value does not matter; the same point present does
    moved = shared.clone()
    moved[1, 0] = 100.0
    torch.testing.assert_close(net.mmc_loss(moved, present, y).detach(), got)
    assert not torch.isclose(net.mmc_loss(moved, torch.ones_like(present), y).detach(), got)


# -- unlabeled rows (semi_supervised) -----------------------------------------------------


def test_nan_in_y_needs_semi_supervised(data):
    X, y = data
    y = y.copy()
    y[[3, 7]] = np.nan
    with pytest.raises(ValueError, match=r"y contains NaN in 2 of 80 rows \(first at row 3\)"
                                         r".*semi_supervised=True"):
        _tiny().fit(X, y)
    with pytest.raises(ValueError, match="NaN .unlabeled. in every one of the 80 rows"):
        _tiny(semi_supervised=True).fit(X, np.full(80, np.nan))
    one = np.full(80, np.nan)
    one[0] = 0.5
    with pytest.raises(ValueError, match=r"validation_fraction=0.1 .* labeled rows .* at "
                                         r"least 2 labeled rows; got 1"):
        _tiny(semi_supervised=True).fit(X, one)
    _tiny(semi_supervised=True, validation_fraction=None).fit(X, one)
    _tiny(semi_supervised=True).fit(X[:60], one[:60], validation_data=(X[60:], y[60:] * 0))
    y_val = y[60:].copy()
    y_val[:2] = np.nan
    with pytest.raises(ValueError, match="validation_data y_val has NaN in 2 row"):
        _tiny(semi_supervised=True).fit(X[:60], y[:60], validation_data=(X[60:], y_val))
    with pytest.raises(ValueError, match="'semi_supervised' parameter of MMRestRegressor"):
        _tiny(semi_supervised="yes").fit(X, y)


def test_semi_supervised_with_every_row_labeled_is_the_supervised_fit(data):
    X, y = data
    np.testing.assert_array_equal(_tiny(semi_supervised=True).fit(X, y).predict(X),
                                  _tiny().fit(X, y).predict(X))


def test_labeled_valid_split_holds_out_labeled_rows_only():
    y = np.arange(40, dtype=float)
    y[::3] = np.nan
    dataset = Dataset(np.zeros((40, 1), dtype=np.float32), y)
    train, valid = LabeledValidSplit(0.25, random_state=0)(dataset, y)
    labeled = np.flatnonzero(~np.isnan(y))
    assert len(valid.indices) == int(np.ceil(0.25 * len(labeled)))
    assert not np.isnan(y[valid.indices]).any()
    assert sorted(np.r_[train.indices, valid.indices]) == list(range(40))
    assert set(np.flatnonzero(np.isnan(y))) <= set(train.indices)


def test_validation_mae_is_over_labeled_rows_only(data):
    X, y = data
    y = y.copy()
    y[1::2] = np.nan
    reg = _tiny(semi_supervised=True, max_epochs=1, patience=None).fit(X, y)
    assert reg.n_unlabeled_ == 40
    _, valid = LabeledValidSplit(0.1, random_state=torch_seed_from(0))(Dataset(X, y), y)
    rows = np.asarray(valid.indices)
    assert len(rows) == 4 and not np.isnan(y[rows]).any()
    mae = np.abs(reg.predict(X[rows]) - y[rows]).mean()
    assert reg.history_[0]["valid_loss"] == pytest.approx(mae, rel=1e-5)


def test_l1_uses_labeled_rows_and_a_batch_without_labels_still_steps():
    from mmsense.mmrest._net import labeled_l1

    y_hat = torch.tensor([1.0, 2.0, 3.0, 4.0], requires_grad=True)
    y = torch.tensor([0.0, float("nan"), 1.0, float("nan")])
    loss = labeled_l1(y_hat, y)
    assert float(loss.detach()) == pytest.approx((1.0 + 2.0) / 2)
    loss.backward()
    np.testing.assert_allclose(y_hat.grad.numpy(), [0.5, 0.0, 0.5, 0.0])
    none = labeled_l1(y_hat, torch.full((4,), float("nan")))
    assert float(none.detach()) == 0.0 and none.requires_grad


def test_unlabeled_rows_move_the_centers_but_do_not_vote():
    net = _bare_net({"a": 2}, n_clusters=2, receptive_field=6)
    rng = np.random.RandomState(0)
    labeled_points = np.concatenate([rng.randn(4, 1, 2) * 0.1, 5 + rng.randn(4, 1, 2) * 0.1])
    y = np.r_[np.full(4, -2.5), np.full(4, 2.5)]
    net.recluster_(labeled_points, y)
    alone = net.module_.centers.numpy().copy()
    # eight unlabeled rows next to the first blob, shifted: they pull its center
    unlabeled = np.array([1.0, 1.0]) + rng.randn(8, 1, 2) * 0.1
    net.n_reclusters_ = 0
    net.recluster_(np.concatenate([labeled_points, unlabeled]), np.r_[y, np.full(8, np.nan)])
    both = net.module_.centers.numpy()
    expected = fit_centers(np.concatenate([labeled_points, unlabeled])[:, 0], 2, random_state=0)
    np.testing.assert_allclose(both, expected, rtol=1e-6)
    assert np.abs(np.sort(both, axis=0) - np.sort(alone, axis=0)).max() > 0.3
    # the receptive field of 6 holds the unlabeled rows, but only labeled rows vote
    # (read as y=0 they would vote bin 3)
    low, high = sentiment_bins(np.array([-2.5, 2.5]), (-3, 3))
    assert sorted(net.module_.bins.tolist()) == [low, high]


def test_semi_supervised_fit_with_missing_modalities_predicts(data):
    X, y = data
    y = y.copy()
    y[::2] = np.nan
    reg = _tiny(semi_supervised=True).fit(_with_missing(X), y)
    assert reg.n_unlabeled_ == 40 and np.isfinite(reg.predict(_with_missing(X))).all()
