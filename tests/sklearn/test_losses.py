"""FocalMLPClassifier over the loss registry: every registered loss trains, through torch.

Names, forms, parameters and their errors come from :mod:`focalkit.losses`; a loss added
to the registry is picked up here with no edit.
"""

from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from sklearn.datasets import make_classification  # noqa: E402

import focalkit.sklearn  # noqa: E402
from focalkit import InvalidParameterError  # noqa: E402
from focalkit.losses import canonical_name, get_loss, loss_names, specs  # noqa: E402
from focalkit.sklearn import LOSS_NAMES, FocalMLPClassifier  # noqa: E402
from focalkit.sklearn._losses import (  # noqa: E402
    LEGACY_INIT,
    MLP_DEFAULTS,
    bind_loss,
    loss_kind,
    loss_spec,
)
from focalkit.sklearn._torch_loss import (  # noqa: E402
    _public_function,
    _spec_function,
    torch_loss,
)

X2, Y2 = make_classification(160, 4, n_informative=3, n_redundant=0, weights=[0.85],
                             class_sep=1.5, random_state=1)
X3, Y3 = make_classification(180, 4, n_informative=3, n_redundant=0, n_classes=3,
                             weights=[0.6, 0.3, 0.1], random_state=1)
TINY = {"max_epochs": 4, "hidden_layer_sizes": (6,), "batch_size": 64, "random_state": 0}

NAMES = loss_names()
SOFTMAX = loss_names("softmax")
SIGMOID_ONLY = tuple(n for n in NAMES if n not in SOFTMAX)
OLD_NAMES = ("bce", "ce", "focal", "weighted_bce", "logit_adjusted", "asymmetric", "poly1",
             "poly1_focal", "label_smoothing", "focal_star", "flsd", "ldam")


def _form(name, n_classes):
    if n_classes == 2 and name in loss_names("sigmoid"):
        return "sigmoid"
    return "softmax"


def _check_fitted(clf, X, name, n_classes):
    proba = clf.predict_proba(X)
    assert proba.shape == (X.shape[0], n_classes)
    assert np.all(np.isfinite(proba))
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    assert clf.loss_ == canonical_name(name)
    spec = clf.loss_spec_
    assert (spec.name, spec.kind) == (canonical_name(name), _form(canonical_name(name),
                                                                  n_classes))
    assert not spec.needs_labels
    assert set(clf.loss_params_) == {p.name for p in type(spec).params}
    assert clf.coefs_[-1].shape[1] == (1 if spec.kind == "sigmoid" else n_classes)


# ------------------------------------------------------------------ every registered loss
@pytest.mark.parametrize("name", NAMES)
def test_every_registered_loss_trains_binary(name):
    clf = FocalMLPClassifier(name, **TINY).fit(X2, Y2)
    _check_fitted(clf, X2, name, 2)


@pytest.mark.parametrize("name", SOFTMAX)
def test_every_softmax_loss_trains_multiclass(name):
    clf = FocalMLPClassifier(name, **TINY).fit(X3, Y3)
    _check_fitted(clf, X3, name, 3)


@pytest.mark.parametrize("name", SIGMOID_ONLY)
def test_sigmoid_only_losses_reject_multiclass(name):
    with pytest.raises(InvalidParameterError, match="'loss' parameter.*binary targets only"):
        FocalMLPClassifier(name, **TINY).fit(X3, Y3)


@pytest.mark.parametrize("name", sorted(set(LOSS_NAMES) - set(NAMES)))
def test_aliases_train_as_their_loss(name):
    clf = FocalMLPClassifier(name, **TINY).fit(X2, Y2)
    _check_fitted(clf, X2, name, 2)


def test_loss_names_are_the_registry_and_keep_the_old_names():
    assert set(LOSS_NAMES) == set(loss_names(aliases=True))
    assert set(OLD_NAMES) <= set(LOSS_NAMES)
    assert focalkit.sklearn.LOSS_NAMES is LOSS_NAMES


def test_no_loss_is_named_in_the_adapter_code():
    """The new loss (varifocal) works in the MLP with no code of its own in sklearn/."""
    src = Path(focalkit.sklearn.__file__).parent
    text = "".join(p.read_text() for p in src.glob("*.py"))
    assert "varifocal" not in text
    for key in (*MLP_DEFAULTS, *LEGACY_INIT):  # the only names: data kept for old models
        assert key in OLD_NAMES


# ------------------------------------------------------------------ parameters
@pytest.mark.parametrize(
    ("cls", "param"),
    [(cls, p.name) for cls in specs() for p in cls.params],
    ids=lambda v: v if isinstance(v, str) else f"{v.name}-{v.kind}",
)
def test_bad_loss_param_values_name_the_parameter(cls, param):
    n_classes = 2 if cls.kind == "sigmoid" or cls.name not in loss_names("sigmoid") else 3
    with pytest.raises(InvalidParameterError, match=f"'{param}'"):
        loss_spec(cls.name, n_classes, loss_params={param: "not-a-value"})


@pytest.mark.parametrize("name", NAMES)
def test_unknown_loss_params_raise_naming_loss_params(name):
    with pytest.raises(InvalidParameterError, match="'loss_params' parameter"):
        FocalMLPClassifier(name, loss_params={"no_such_param": 1.0}, **TINY).fit(X2, Y2)


@pytest.mark.parametrize("name", NAMES)
def test_estimator_gamma_and_alpha_go_where_the_spec_has_them(name):
    kind = _form(name, 2)
    have = get_loss(name, kind).defaults()
    if "gamma" in have:
        assert loss_spec(name, 2, gamma=0.5).values["gamma"] == 0.5
    else:
        with pytest.raises(InvalidParameterError, match="'gamma' parameter"):
            loss_spec(name, 2, gamma=0.5)
    if "alpha" in have:
        assert loss_spec(name, 2, alpha=0.3).values["alpha"] == 0.3
    elif kind == "softmax" and "class_weight" in have:
        np.testing.assert_allclose(loss_spec(name, 2, alpha=0.3).values["class_weight"],
                                   [0.7, 0.3])
    else:
        with pytest.raises(InvalidParameterError, match="'alpha' parameter"):
            loss_spec(name, 2, alpha=0.3)


def test_parameter_errors():
    with pytest.raises(InvalidParameterError, match="'loss' parameter"):
        loss_spec("hinge", 2)
    with pytest.raises(InvalidParameterError, match="'gamma' parameter.*float for binary"):
        loss_spec("focal", 2, gamma=[1.0, 2.0])
    with pytest.raises(InvalidParameterError, match="'gamma' parameter"):
        loss_spec("focal", 3, gamma=[1.0, 2.0])  # one per class
    with pytest.raises(InvalidParameterError, match="'alpha' parameter.*multi-class"):
        loss_spec("focal", 3, alpha=0.25)
    with pytest.raises(InvalidParameterError, match="both as a parameter and in loss_params"):
        loss_spec("focal", 2, gamma=1.0, loss_params={"gamma": 2.0})
    with pytest.raises(InvalidParameterError, match="'tau' parameter"):
        FocalMLPClassifier("logit_adjusted", loss_params={"tau": -1.0}, **TINY).fit(X2, Y2)


def test_kinds_and_mlp_defaults():
    assert loss_kind("ce", 2) == ("bce", "sigmoid")
    assert loss_kind("ldam", 2) == ("ldam", "softmax")
    assert loss_kind("logit_adjusted_ce", 3) == ("logit_adjusted", "softmax")
    assert loss_spec("poly1", 2).values["gamma"] == 0.0  # Poly-1 CE
    assert loss_spec("poly1_focal", 2).values["gamma"] == 2.0  # Poly-1 focal
    assert loss_spec("poly1_focal", 2, gamma=1.0).values["gamma"] == 1.0
    assert loss_spec("weighted_bce", 2).values["pos_weight"] == "balanced"
    assert loss_spec("weighted_bce", 3).values["class_weight"] == "balanced"
    assert loss_spec("focal", 2).values["gamma"] == 2.0


def test_alpha_balanced_on_a_two_logit_loss_becomes_class_weights():
    bound = bind_loss("ldam", y=Y2, n_classes=2, sample_weight=None, gamma=None,
                      alpha="balanced", loss_params=None)
    prevalence = Y2.mean()
    np.testing.assert_allclose(bound.spec.values["class_weight"], [prevalence, 1 - prevalence])


# ------------------------------------------------------------------ resolution and init
@pytest.mark.parametrize("n_classes", [2, 3])
@pytest.mark.parametrize("name", NAMES)
def test_bias_starts_at_the_spec_init_score(name, n_classes):
    if n_classes == 3 and name not in SOFTMAX:
        pytest.skip("no softmax form")
    y = Y2 if n_classes == 2 else Y3
    bound = bind_loss(name, y=y, n_classes=n_classes, sample_weight=None, gamma=None,
                      alpha=None, loss_params=None)
    labels = y if bound.softmax else y.astype(float)
    counts = np.bincount(y, minlength=n_classes)
    log_prior = np.log(counts / counts.sum())
    if LEGACY_INIT.get(name) == "prior":
        expected = (log_prior - log_prior.mean() if bound.softmax
                    else [log_prior[1] - log_prior[0]])
    elif LEGACY_INIT.get(name) == "zero":
        expected = np.zeros(n_classes if bound.softmax else 1)
    else:
        expected = np.atleast_1d(bound.spec.init_score(labels, n_classes=n_classes))
    np.testing.assert_allclose(bound.init_bias, expected, rtol=1e-10, atol=1e-12)
    assert bound.resolved == bound.spec.values


def test_ldam_drw_reweights_from_its_start_epoch():
    bound = bind_loss("ldam", y=Y3, n_classes=3, sample_weight=None, gamma=None, alpha=None,
                      loss_params={"drw_start": 2})
    z = torch.randn(180, 3, generator=torch.Generator().manual_seed(0))
    t = torch.as_tensor(Y3)
    early = [bound.fn(z, t, e) for e in (0, 1)]
    late = bound.fn(z, t, 2)
    torch.testing.assert_close(early[0], early[1])
    ok = early[0].numpy() > 1e-6
    ratio = late.numpy()[ok] / early[0].numpy()[ok]
    rare = Y3[ok] == 2
    assert ratio[rare].min() > ratio[~rare].max()  # the rarest class gains weight


# ------------------------------------------------------------------ the torch path
@pytest.mark.parametrize(("n_classes", "entry"), [(2, "binary_forward"),
                                                 (3, "softmax_forward")],
                         ids=["sigmoid", "softmax"])
def test_focal_trains_through_the_fused_kernels(monkeypatch, n_classes, entry):
    """The issue: the MLP never reached the fused kernels of focalkit.torch."""
    import focalkit.torch as fk_torch
    from focalkit.torch import kernels

    if n_classes == 3 and not hasattr(fk_torch, "loss_from_spec"):
        pytest.skip("softmax focal reaches the kernels through focalkit.torch.loss_from_spec")
    results = []
    real = getattr(kernels, entry)

    def spy(*args, **kwargs):
        out = real(*args, **kwargs)
        results.append(out is not None)
        return out

    monkeypatch.setattr(kernels, entry, spy)
    X, y = (X2, Y2) if n_classes == 2 else (X3, Y3)
    FocalMLPClassifier("focal", gamma=1.5, **TINY).fit(X, y)
    assert results, "the focal loss did not reach focalkit.torch's kernel dispatch"
    if not any(results):
        pytest.skip("no fused CPU kernel here (numba missing?): the reference path ran")


@pytest.mark.parametrize(
    ("name", "n_classes"),
    [(n, 2) for n in NAMES] + [(n, 3) for n in SOFTMAX],
    ids=lambda v: str(v),
)
def test_torch_loss_equals_the_spec(name, n_classes):
    """Whatever torch path serves a spec, its value and gradient are the spec's."""
    y = Y2 if n_classes == 2 else Y3
    spec = _resolved(name, n_classes, y)
    gen = torch.Generator().manual_seed(0)
    shape = (len(y),) if spec.kind == "sigmoid" else (len(y), n_classes)
    z = (3 * torch.randn(shape, generator=gen, dtype=torch.float64)).requires_grad_()
    t = torch.as_tensor(y, dtype=torch.float64 if spec.kind == "sigmoid" else torch.int64)
    loss = torch_loss(spec)(z, t)
    (grad,) = torch.autograd.grad(loss.sum(), z)
    kw = {"axis": -1} if spec.kind == "softmax" else {}
    ref_loss, ref_grad = spec.loss_grad(z.detach().numpy(), t.numpy(), **kw)
    # class weights may pass through float32 on the way to torch
    np.testing.assert_allclose(loss.detach().numpy(), ref_loss, rtol=1e-6, atol=1e-12)
    np.testing.assert_allclose(grad.numpy(), ref_grad, rtol=1e-6, atol=1e-12)


def _resolved(name, n_classes, y):
    spec = loss_spec(name, n_classes)
    labels = y if spec.kind == "softmax" else y.astype(float)
    return spec.resolve(labels, n_classes=n_classes)


@pytest.mark.parametrize(
    ("name", "n_classes"),
    [(n, 2) for n in NAMES] + [(n, 3) for n in SOFTMAX],
    ids=lambda v: str(v),
)
def test_public_torch_function_equals_the_spec(name, n_classes):
    """Where a public torch function serves a spec, value and gradient equal the spec's."""
    y = (Y2 if n_classes == 2 else Y3)[:64]
    spec = _resolved(name, n_classes, Y2 if n_classes == 2 else Y3)
    public = _public_function(spec)
    if public is None:
        pytest.skip(f"{spec.torch_function or 'no public function'}: spec path")
    gen = torch.Generator().manual_seed(0)
    shape = (64,) if spec.kind == "sigmoid" else (64, n_classes)
    z = (3 * torch.randn(shape, generator=gen, dtype=torch.float64)).requires_grad_()
    t = torch.as_tensor(y, dtype=torch.float64 if spec.kind == "sigmoid" else torch.int64)
    values = []
    for fn in (public, _spec_function(spec)):
        loss = fn(z, t)
        (grad,) = torch.autograd.grad(loss.sum(), z)
        values.append((loss.detach(), grad))
    torch.testing.assert_close(values[0][0], values[1][0], rtol=1e-9, atol=1e-12)
    torch.testing.assert_close(values[0][1], values[1][1], rtol=1e-9, atol=1e-12)


def test_spec_path_gradient_is_the_spec_gradient():
    spec = _resolved("varifocal", 2, Y2)
    z = torch.linspace(-6, 6, 50, dtype=torch.float64, requires_grad=True)
    t = torch.as_tensor(np.r_[np.zeros(25), np.linspace(0.1, 1.0, 25)])
    loss = torch_loss(spec)(z, t)
    (grad,) = torch.autograd.grad(loss.sum(), z)
    ref_loss, ref_grad = spec.loss_grad(z.detach().numpy(), t.numpy())
    np.testing.assert_allclose(loss.detach().numpy(), ref_loss, rtol=1e-12)
    np.testing.assert_allclose(grad.numpy(), ref_grad, rtol=1e-12)


def test_docs_table_lists_every_registered_loss():
    doc = Path(__file__).resolve().parents[2] / "docs" / "sklearn.md"
    table = doc.read_text().split("## Losses by name", 1)[1].split("\n\n| name |", 1)[1]
    rows = table.split("\n\n", 1)[0]
    for name in LOSS_NAMES:
        assert f'`"{name}"`' in rows, name
