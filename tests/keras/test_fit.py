"""Training with focalkit.keras on the active back end: a short fit on the demo's 90:10 data,
save / load of a model compiled with a focalkit loss and metrics, metrics against sklearn,
the epoch schedule callback."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import average_precision_score, f1_score

import focalkit.keras as fk
import keras
from focalkit.experiments.datasets import POST_90_10, make_imbalanced


def _numpy(x):
    if hasattr(x, "detach"):
        return x.detach().cpu().numpy()
    return np.asarray(keras.ops.convert_to_numpy(x))


def _model(seed=0, outputs=1):
    keras.utils.set_random_seed(seed)
    return keras.Sequential([
        keras.Input((2,)),
        keras.layers.Dense(16, activation="relu"),
        keras.layers.Dense(16, activation="relu"),
        keras.layers.Dense(outputs),
    ])


@pytest.fixture(scope="module")
def data():
    X, y = make_imbalanced(POST_90_10)
    X = ((X - X.mean(0)) / X.std(0)).astype("float32")
    return X[:2000], y[:2000].astype("float32")


# Keras 3.15's KerasVariable.__array__ (called by model.save) lacks NumPy 2's copy keyword.
@pytest.mark.filterwarnings(
    "ignore:__array__ implementation doesn't accept a copy keyword:DeprecationWarning")
def test_fit_on_the_demos_90_10_data(data, tmp_path):
    X, y = data
    assert 0.05 < y.mean() < 0.15
    loss = fk.BinaryFocalLoss(alpha="balanced", gamma=2.0).adapt(y)
    assert loss.get_config()["alpha"] == pytest.approx(1 - y.mean())
    model = _model()
    model.compile(optimizer=keras.optimizers.Adam(0.01), loss=loss,
                  metrics=[fk.AveragePrecision(), fk.MinorityF1Score()])
    hist = model.fit(X, y[:, None], epochs=4, batch_size=128, verbose=0)
    losses = hist.history["loss"]
    assert np.all(np.isfinite(losses))
    assert losses[-1] < losses[0]
    assert hist.history["average_precision"][-1] > 3 * y.mean()  # far above chance
    logits = _numpy(model.predict(X, verbose=0))[:, 0]
    ap = average_precision_score(y, logits)
    m = fk.AveragePrecision()
    m.update_state(y, logits)
    assert float(_numpy(m.result())) == pytest.approx(ap, abs=5e-3)

    path = tmp_path / "model.keras"
    model.save(path)
    loaded = keras.models.load_model(path)
    assert type(loaded.loss) is fk.BinaryFocalLoss
    assert loaded.loss.get_config() == loss.get_config()
    np.testing.assert_allclose(_numpy(loaded.predict(X[:64], verbose=0)), logits[:64, None],
                               rtol=1e-5, atol=1e-6)
    again = loaded.evaluate(X, y[:, None], verbose=0, return_dict=True)
    before = model.evaluate(X, y[:, None], verbose=0, return_dict=True)
    assert again["loss"] == pytest.approx(before["loss"], rel=1e-5)


def test_fit_softmax_with_ignore_class_and_probabilities(data):
    X, y = data
    labels = y.astype("int32")
    labels[:50] = -1  # ignored
    model = _model(outputs=2)
    model.add(keras.layers.Activation("softmax"))
    loss = fk.SparseFocalLoss(gamma=2.0, class_weight="balanced", ignore_class=-1,
                              from_logits=False).adapt(labels)
    model.compile(optimizer=keras.optimizers.Adam(0.01), loss=loss)
    hist = model.fit(X, labels, epochs=3, batch_size=128, verbose=0)
    assert np.all(np.isfinite(hist.history["loss"]))
    assert hist.history["loss"][-1] < hist.history["loss"][0]


def test_loss_schedule_switches_ldam_reweighting(data):
    X, y = data
    labels = y.astype("int32")
    loss = fk.SparseLDAMLoss(scale=1.0, drw_start=2).adapt(labels)
    model = _model(outputs=2)
    model.compile(optimizer=keras.optimizers.Adam(0.01), loss=loss)
    with pytest.raises(Exception, match="LossSchedule"):
        model.fit(X[:64], labels[:64], epochs=1, verbose=0)
    model = _model(outputs=2)
    model.compile(optimizer=keras.optimizers.Adam(0.01), loss=loss)
    seen = []

    class Record(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            seen.append(loss._current_spec().values["class_weight"])

    model.fit(X, labels, epochs=3, batch_size=256, verbose=0,
              callbacks=[fk.LossSchedule(), Record()])
    assert seen[0] is None
    assert seen[1] is None
    assert seen[2] is not None
    assert seen[2][1] > seen[2][0]  # the minority class weighs more after drw_start


def test_metrics_match_sklearn():
    rng = np.random.default_rng(0)
    y = (rng.random(500) < 0.1).astype("float32")
    z = (rng.normal(size=500) + 2 * y).astype("float32")
    sw = rng.uniform(0.5, 2.0, 500).astype("float32")
    ap = fk.AveragePrecision(num_bins=20000)
    f1 = fk.MinorityF1Score(threshold=0.3)
    for lo in range(0, 500, 100):  # streamed in batches
        ap.update_state(y[lo:lo + 100], z[lo:lo + 100], sample_weight=sw[lo:lo + 100])
        f1.update_state(y[lo:lo + 100, None], z[lo:lo + 100, None])
    p = 1 / (1 + np.exp(-z))
    assert float(_numpy(ap.result())) == pytest.approx(
        average_precision_score(y, z, sample_weight=sw), abs=2e-3)
    assert float(_numpy(f1.result())) == pytest.approx(f1_score(y, p >= 0.3), abs=1e-6)
    ap.reset_state()
    assert float(_numpy(ap.result())) == 0.0
    clone = fk.AveragePrecision.from_config(fk.AveragePrecision(num_bins=7).get_config())
    assert clone.num_bins == 7
