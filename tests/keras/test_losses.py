"""focalkit.keras losses on the active Keras back end: every generated class against
``_core`` (float64), gamma = 0 against Keras' own cross-entropies, parity with Keras' focal
losses where the meanings coincide, stability where Keras' losses fail, configs."""

from __future__ import annotations

import contextlib

import numpy as np
import pytest

import focalkit.keras as fk
import keras
from focalkit._core.losses import specs
from focalkit.exceptions import InvalidParameterError

BACKEND = keras.backend.backend()
CLASSES = {name: getattr(fk, name) for name in fk.__all__
           if isinstance(getattr(fk, name), type) and issubclass(getattr(fk, name), fk.FocalkitLoss)
           and getattr(fk, name) is not fk.FocalkitLoss}
NAMES = sorted(CLASSES)


# ---------------------------------------------------------------------- back-end helpers
@contextlib.contextmanager
def float64():
    """float64 computations (JAX needs x64 switched on)."""
    if BACKEND == "jax":
        import jax

        with jax.enable_x64(True):
            yield
    else:
        yield


def tensor(x, dtype="float32"):
    return keras.ops.convert_to_tensor(np.asarray(x), dtype=dtype)


def value_and_grad(fn, x, dtype="float32"):
    """``fn(tensor) -> scalar`` and its gradient at ``x``, on the active back end."""
    if BACKEND == "jax":
        import jax

        value, grad = jax.value_and_grad(fn)(tensor(x, dtype))
        return float(value), np.asarray(grad, dtype=np.float64)
    if BACKEND == "tensorflow":
        import tensorflow as tf

        t = tf.constant(np.asarray(x), dtype=dtype)
        with tf.GradientTape() as tape:
            tape.watch(t)
            value = fn(t)
        return float(value), np.asarray(tape.gradient(value, t), dtype=np.float64)
    import torch

    t = torch.tensor(np.asarray(x), dtype=getattr(torch, dtype), requires_grad=True)
    value = fn(t)
    value.backward()
    return float(value.detach()), t.grad.detach().cpu().numpy().astype(np.float64)


def as_numpy(x):
    if hasattr(x, "detach"):  # torch (Keras' convert_to_numpy warns on NumPy 2)
        return x.detach().cpu().numpy().astype(np.float64)
    return np.asarray(keras.ops.convert_to_numpy(x), dtype=np.float64)


def _data(cls, n=16, seed=0):
    rng = np.random.default_rng(seed)
    if cls.target == "binary":
        z = rng.normal(size=(n, 3)) * 3
        y = (rng.random((n, 3)) < 0.3).astype(float)
        y[:2] = [[1, 0, 1], [0, 1, 0]]
        return z, y, y
    z = rng.normal(size=(n, 4)) * 3
    y = rng.integers(0, 4, n)
    y[:4] = (0, 1, 2, 3)
    return z, (y if cls.target == "sparse" else np.eye(4)[y]), y


def _loss(name, **kw):
    cls = CLASSES[name]
    z, y_true, labels = _data(cls)
    if cls.target == "binary" and cls.spec.name == "class_balanced":  # weights of 1 label
        z, y_true, labels = z[:, :1], y_true[:, :1], labels[:, :1]
    loss = cls(**kw)
    if loss.loss_spec.needs_labels:
        loss.adapt(y_true, n_classes=None if cls.target == "binary" else 4)
    return cls, loss, z, y_true, labels


# ---------------------------------------------------------------------- registry
def test_classes_follow_the_registry():
    expected = sum(1 + (c.kind == "softmax" and c.dense_targets) for c in specs())
    assert len(CLASSES) == expected
    assert {"BinaryFocalLoss", "SparseFocalLoss", "FocalLoss"} <= set(CLASSES)
    assert fk.loss_class("focal", "softmax", dense=True) is fk.FocalLoss
    assert fk.loss_class("poly1_focal", "sigmoid") is fk.BinaryPoly1Loss


@pytest.mark.parametrize("name", NAMES)
def test_value_and_gradient_equal_core_float64(name):
    cls, loss, z, y_true, labels = _loss(name)
    spec = loss.loss_spec
    with float64():  # reduction "sum": Keras' mean divides in float32 on torch (3.15)
        loss64 = cls.from_config({**loss.get_config(), "dtype": "float64", "reduction": "sum"})
        value, grad = value_and_grad(lambda t: loss64(tensor(y_true, "float64"), t), z, "float64")
        per_sample = as_numpy(cls.from_config({**loss.get_config(), "dtype": "float64",
                                               "reduction": None})(tensor(y_true, "float64"),
                                                                   tensor(z, "float64")))
    if cls.target == "binary":
        ref_elem, ref_grad_elem = spec.loss_grad(z, y_true)
        ref = ref_elem.mean(axis=-1)
        ref_grad = ref_grad_elem / z.shape[1]
    else:
        ref, ref_grad = spec.loss_grad(z, labels)
    np.testing.assert_allclose(per_sample, ref, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(value, ref.sum(), rtol=1e-12)
    np.testing.assert_allclose(grad, ref_grad, rtol=1e-11, atol=1e-14)


@pytest.mark.parametrize("reduction", ["sum_over_batch_size", "sum", "mean", None])
def test_reductions_and_sample_weight_follow_keras(reduction):
    z, y, _ = _data(fk.BinaryFocalLoss)
    sw = np.linspace(0.5, 2.0, z.shape[0])
    ours = fk.BinaryFocalLoss(gamma=0.0, reduction=reduction)
    ref = keras.losses.BinaryCrossentropy(from_logits=True, reduction=reduction)
    np.testing.assert_allclose(as_numpy(ours(tensor(y), tensor(z), sample_weight=tensor(sw))),
                               as_numpy(ref(tensor(y), tensor(z), sample_weight=tensor(sw))),
                               rtol=1e-6)


# ---------------------------------------------------------------------- gamma = 0 vs Keras
@pytest.mark.parametrize("smoothing", [0.0, 0.2])
def test_binary_gamma_zero_equals_keras_bce(smoothing):
    z, y, _ = _data(fk.BinaryFocalLoss)
    ref = keras.losses.BinaryCrossentropy(from_logits=True, label_smoothing=smoothing)
    for ours in (fk.BinaryFocalLoss(gamma=0.0, label_smoothing=smoothing),
                 fk.BinaryCELoss(label_smoothing=smoothing)):
        v, g = value_and_grad(lambda t, ours=ours: ours(tensor(y), t), z)
        rv, rg = value_and_grad(lambda t: ref(tensor(y), t), z)
        np.testing.assert_allclose(v, rv, rtol=1e-6)
        np.testing.assert_allclose(g, rg, rtol=1e-5, atol=1e-8)


@pytest.mark.parametrize("ignore_class", [None, 2])
def test_sparse_gamma_zero_equals_keras_sparse_cce(ignore_class):
    z, y, _ = _data(fk.SparseFocalLoss)
    sw = np.linspace(0.5, 2.0, z.shape[0])
    ref = keras.losses.SparseCategoricalCrossentropy(from_logits=True, ignore_class=ignore_class)
    ours = fk.SparseFocalLoss(gamma=0.0, ignore_class=ignore_class)
    v, g = value_and_grad(lambda t: ours(tensor(y), t, sample_weight=tensor(sw)), z)
    rv, rg = value_and_grad(lambda t: ref(tensor(y), t, sample_weight=tensor(sw)), z)
    np.testing.assert_allclose(v, rv, rtol=1e-6)
    np.testing.assert_allclose(g, rg, rtol=1e-5, atol=1e-8)
    if ignore_class is not None:
        assert np.all(g[y == ignore_class] == 0)


@pytest.mark.parametrize("smoothing", [0.0, 0.1])
def test_dense_gamma_zero_equals_keras_cce(smoothing):
    z, y, _ = _data(fk.FocalLoss)
    ref = keras.losses.CategoricalCrossentropy(from_logits=True, label_smoothing=smoothing)
    ours = fk.FocalLoss(gamma=0.0, label_smoothing=smoothing)
    v, g = value_and_grad(lambda t: ours(tensor(y), t), z)
    rv, rg = value_and_grad(lambda t: ref(tensor(y), t), z)
    np.testing.assert_allclose(v, rv, rtol=1e-6)
    np.testing.assert_allclose(g, rg, rtol=1e-5, atol=1e-8)


# ---------------------------------------------------------------------- Keras' focal losses
@pytest.mark.parametrize("gamma", [0.5, 2.0])
def test_equals_keras_binary_focal_with_class_balancing(gamma):
    """Keras ignores alpha unless apply_class_balancing=True (tensorflow#61519); with it on,
    and at margins where its 1e-7 clip is inactive, the two agree."""
    z, y, _ = _data(fk.BinaryFocalLoss)
    z = np.clip(z, -8, 8)
    ref = keras.losses.BinaryFocalCrossentropy(apply_class_balancing=True, alpha=0.25,
                                               gamma=gamma, from_logits=True)
    ours = fk.BinaryFocalLoss(alpha=0.25, gamma=gamma)
    v, g = value_and_grad(lambda t: ours(tensor(y), t), z)
    rv, rg = value_and_grad(lambda t: ref(tensor(y), t), z)
    np.testing.assert_allclose(v, rv, rtol=1e-5)
    np.testing.assert_allclose(g, rg, rtol=1e-4, atol=1e-7)
    ignored = keras.losses.BinaryFocalCrossentropy(alpha=0.25, gamma=gamma, from_logits=True)
    np.testing.assert_allclose(  # the documented defect: alpha has no effect without the flag
        as_numpy(ignored(tensor(y), tensor(z))),
        as_numpy(fk.BinaryFocalLoss(gamma=gamma)(tensor(y), tensor(z))), rtol=1e-5)


def test_equals_keras_categorical_focal():
    """Keras' alpha is one scalar on every class: class_weight=[alpha] * C here."""
    z, y, labels = _data(fk.FocalLoss)
    z = np.clip(z, -8, 8)
    ref = keras.losses.CategoricalFocalCrossentropy(alpha=0.25, gamma=2.0, from_logits=True)
    for ours, target in ((fk.FocalLoss(class_weight=[0.25] * 4, gamma=2.0), y),
                         (fk.SparseFocalLoss(class_weight=[0.25] * 4, gamma=2.0), labels)):
        v, g = value_and_grad(lambda t, ours=ours, target=target: ours(tensor(target), t), z)
        rv, rg = value_and_grad(lambda t: ref(tensor(y), t), z)
        np.testing.assert_allclose(v, rv, rtol=1e-5)
        np.testing.assert_allclose(g, rg, rtol=1e-4, atol=1e-7)


@pytest.mark.parametrize("gamma", [0.25, 0.5, 1.0, 2.0])
def test_finite_gradient_at_saturation_where_keras_fails(gamma):
    z = np.array([[1e4, -1e4, -1e4, 1e4, 20.0, -20.0]])
    y = np.array([[1.0, 0.0, 1.0, 0.0, 1.0, 0.0]])
    ours = fk.BinaryFocalLoss(gamma=gamma)
    v, g = value_and_grad(lambda t: ours(tensor(y), t), z)
    assert np.isfinite(v)
    assert np.all(np.isfinite(g))
    np.testing.assert_allclose(g[0, :4], np.array([0.0, 0.0, -1.0, 1.0]) / 6, atol=1e-9)
    ref = keras.losses.BinaryFocalCrossentropy(gamma=gamma, from_logits=True)
    rv, rg = value_and_grad(lambda t: ref(tensor(y), t), z)
    # the contrast: (1 - p_t) ** gamma of a probability -> NaN for gamma < 1 once p_t rounds
    # to 1 (every back end); on JAX and PyTorch Keras also clips p to [1e-7, 1 - 1e-7] -> no
    # gradient on confident mistakes (on TensorFlow it recovers the sigmoid's logits)
    if BACKEND != "tensorflow":
        assert rg[0, 2] == 0.0
        assert rg[0, 3] == 0.0
    if gamma < 1:
        assert np.isnan(rg[0, 0])
        assert np.isnan(rg[0, 1])


def test_softmax_finite_gradient_at_saturation():
    z = np.array([[1e4, 0.0, -1e4], [-1e4, 1e4, 0.0]])
    for gamma in (0.25, 0.5, 1.0, 2.0):
        ours = fk.SparseFocalLoss(gamma=gamma)
        v, g = value_and_grad(lambda t, ours=ours: ours(tensor([0, 0]), t), z)
        assert np.isfinite(v)
        assert np.all(np.isfinite(g))
        np.testing.assert_allclose(g[1], np.array([-1.0, 1.0, 0.0]) / 2, atol=1e-7)


# ---------------------------------------------------------------------- from_logits=False
def test_probabilities_without_clipping():
    z = np.array([[-20.0], [-5.0], [3.0], [12.0]])
    y = np.array([[1.0], [1.0], [0.0], [1.0]])
    ours = fk.BinaryFocalLoss(gamma=2.0)
    probs = fk.BinaryFocalLoss(gamma=2.0, from_logits=False)

    def through_sigmoid(loss):
        return lambda t: loss(tensor(y), keras.ops.sigmoid(t))

    v, g = value_and_grad(lambda t: ours(tensor(y), t), z)
    pv, pg = value_and_grad(through_sigmoid(probs), z)
    np.testing.assert_allclose(pv, v, rtol=1e-5)
    np.testing.assert_allclose(pg, g, rtol=1e-4, atol=1e-8)
    kv, kg = value_and_grad(through_sigmoid(keras.losses.BinaryCrossentropy()), z)
    if BACKEND != "tensorflow":  # TF keeps the sigmoid's logits (so do we, there)
        assert kg[0, 0] == 0.0  # Keras' clip at 1e-7: no gradient for p = 2e-9 (contrast)
    bv, bg = value_and_grad(through_sigmoid(fk.BinaryCELoss(from_logits=False)), z)
    assert bg[0, 0] < -0.24  # ours: -(1 - p) / 4


def test_softmax_probabilities():
    z, y, _ = _data(fk.SparseFocalLoss)
    ours = fk.SparseFocalLoss(gamma=2.0)
    probs = fk.SparseFocalLoss(gamma=2.0, from_logits=False)
    v, g = value_and_grad(lambda t: ours(tensor(y), t), z)
    pv, pg = value_and_grad(lambda t: probs(tensor(y), keras.ops.softmax(t)), z)
    np.testing.assert_allclose(pv, v, rtol=1e-5)
    np.testing.assert_allclose(pg, g, rtol=1e-4, atol=1e-7)


# ---------------------------------------------------------------------- options
def test_ignore_class_binary():
    z, y, _ = _data(fk.BinaryFocalLoss)
    y_ign = y.copy()
    y_ign[3:6, 1] = -1
    y_ign[7] = -1  # a sample with no valid label drops out of the batch mean
    loss = fk.BinaryFocalLoss(gamma=2.0, ignore_class=-1)
    per = fk.BinaryFocalLoss(gamma=2.0, reduction=None)._spec.loss(z, np.where(y_ign < 0, 0, y_ign))
    valid = y_ign >= 0
    rows = (per * valid).sum(1) / np.maximum(valid.sum(1), 1)
    expected = rows[valid.any(1)].mean()
    np.testing.assert_allclose(as_numpy(loss(tensor(y_ign), tensor(z))), expected, rtol=1e-5)
    same = fk.BinaryFocalLoss(gamma=2.0, ignore_class=-1)(tensor(y), tensor(z))
    np.testing.assert_allclose(as_numpy(same), as_numpy(fk.BinaryFocalLoss()(tensor(y),
                                                                            tensor(z))),
                               rtol=1e-6)


def test_adapt_balanced_alpha_and_class_weight():
    y = np.array([1] * 10 + [0] * 90)
    loss = fk.BinaryFocalLoss(alpha="balanced")
    with pytest.raises(InvalidParameterError, match=r"adapt\(y_train\)"):
        loss(tensor(y[:4, None]), tensor(np.zeros((4, 1))))
    loss.adapt(y[:, None])
    assert loss.get_config()["alpha"] == pytest.approx(0.9)
    sparse = fk.SparseFocalLoss(class_weight="balanced").adapt(np.array([0] * 9 + [1]))
    np.testing.assert_allclose(sparse.get_config()["class_weight"], [10 / 18, 10 / 2])
    dense = fk.FocalLoss(class_weight="balanced").adapt(np.eye(2)[[0] * 9 + [1]])
    np.testing.assert_allclose(dense.get_config()["class_weight"], [10 / 18, 10 / 2])
    per_class_gamma = fk.SparseFocalLoss(gamma=[0.0, 2.0])
    z, yy = np.array([[1.0, -1.0], [0.0, 2.0]]), np.array([0, 1])
    expected = per_class_gamma.loss_spec.loss(z, yy).mean()
    np.testing.assert_allclose(as_numpy(per_class_gamma(tensor(yy), tensor(z))), expected,
                               rtol=1e-6)


@pytest.mark.parametrize("name", NAMES)
def test_config_round_trip(name):
    cls, loss, z, y_true, _ = _loss(name)
    config = loss.get_config()
    clone = cls.from_config(config)
    assert clone.get_config() == config
    restored = keras.losses.deserialize(keras.losses.serialize(loss))
    assert type(restored) is cls
    assert restored.get_config() == config
    np.testing.assert_allclose(as_numpy(restored(tensor(y_true), tensor(z))),
                               as_numpy(loss(tensor(y_true), tensor(z))), rtol=1e-6)


def test_bad_arguments():
    with pytest.raises(InvalidParameterError, match="'gamma' parameter of BinaryFocalLoss"):
        fk.BinaryFocalLoss(gamma=-1.0)
    with pytest.raises(InvalidParameterError, match="no parameter 'beta_star'"):
        fk.SparseFocalLoss(beta_star=1.0)
    with pytest.raises(InvalidParameterError, match="no 'label_smoothing'"):
        fk.SparseLDAMLoss(label_smoothing=0.1)
    with pytest.raises(InvalidParameterError, match="ignore_class"):
        fk.FocalLoss(ignore_class=0)
    with pytest.raises(InvalidParameterError, match="from_logits"):
        fk.BinaryFocalLoss(from_logits="yes")
    with pytest.raises(InvalidParameterError, match="integer labels"):
        fk.SparseFocalLoss()(tensor(np.eye(3)), tensor(np.zeros((3, 3))))
    with pytest.raises(InvalidParameterError, match="SparseFocalLoss"):
        fk.FocalLoss()(tensor([0, 1, 2]), tensor(np.zeros((3, 3))))
    with pytest.raises(InvalidParameterError, match="LossSchedule"):
        fk.SparseLDAMLoss(class_counts=[9, 1], drw_start=3)(tensor([0, 1]),
                                                             tensor(np.zeros((2, 2))))


def test_docs_list_every_class():
    from pathlib import Path

    text = (Path(__file__).resolve().parents[2] / "docs" / "keras.md").read_text()
    missing = [n for n in NAMES if f"`{n}`" not in text]
    assert not missing, f"docs/keras.md lacks {missing}"
