"""FocalMLPClassifier: losses by name, reproducibility, weights, sklearn tools, errors."""

import functools
import pickle
import subprocess
import sys

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from scipy.special import expit  # noqa: E402
from sklearn.datasets import make_classification  # noqa: E402
from sklearn.metrics import roc_auc_score  # noqa: E402
from sklearn.model_selection import GridSearchCV, TunedThresholdClassifierCV  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402

from focalkit import InvalidParameterError  # noqa: E402
from focalkit.losses import canonical_name, loss_names  # noqa: E402
from focalkit.sklearn import LOSS_NAMES, FocalMLPClassifier  # noqa: E402

X2, Y2 = make_classification(400, 6, n_informative=4, weights=[0.9], class_sep=2.0,
                             random_state=0)
X3, Y3 = make_classification(400, 6, n_informative=4, n_classes=3, weights=[0.6, 0.3, 0.1],
                             random_state=0)
FAST = {"max_epochs": 15, "hidden_layer_sizes": (16,), "random_state": 0}
MULTICLASS = tuple(n for n in LOSS_NAMES if canonical_name(n) in loss_names("softmax"))
BINARY_ONLY = tuple(n for n in LOSS_NAMES if n not in MULTICLASS)


@pytest.mark.parametrize("loss", LOSS_NAMES)
def test_every_loss_fits_binary(loss):
    clf = FocalMLPClassifier(loss, **FAST).fit(X2, Y2)
    proba = clf.predict_proba(X2)
    assert proba.shape == (400, 2)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    assert np.all(np.isfinite(proba))
    df = clf.decision_function(X2)
    assert df.shape == (400,)
    np.testing.assert_allclose(proba[:, 1], expit(df), rtol=1e-10)
    np.testing.assert_array_equal(clf.predict(X2), (df > 0).astype(int))
    assert roc_auc_score(Y2, df) > 0.8
    assert clf.loss_ == canonical_name(loss)


@pytest.mark.parametrize("loss", MULTICLASS)
def test_every_multiclass_loss_fits(loss):
    clf = FocalMLPClassifier(loss, **FAST).fit(X3, Y3)
    proba = clf.predict_proba(X3)
    assert proba.shape == (400, 3)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    assert clf.decision_function(X3).shape == (400, 3)
    assert (clf.predict(X3) == Y3).mean() > 0.6


@pytest.mark.parametrize("loss", BINARY_ONLY)
def test_binary_only_losses_reject_multiclass(loss):
    with pytest.raises(InvalidParameterError, match="binary targets only"):
        FocalMLPClassifier(loss, **FAST).fit(X3, Y3)


def test_string_labels_and_classes():
    y = np.where(Y3 == 0, "a", np.where(Y3 == 1, "b", "c"))
    clf = FocalMLPClassifier(**FAST).fit(X3, y)
    assert clf.classes_.tolist() == ["a", "b", "c"]
    assert set(clf.predict(X3)) <= {"a", "b", "c"}


def test_reproducible_and_leaves_global_rng_alone():
    state = torch.random.get_rng_state()
    threads = torch.get_num_threads()
    a = FocalMLPClassifier(random_state=3, max_epochs=10).fit(X2, Y2).predict_proba(X2)
    b = FocalMLPClassifier(random_state=3, max_epochs=10).fit(X2, Y2).predict_proba(X2)
    c = FocalMLPClassifier(random_state=4, max_epochs=10).fit(X2, Y2).predict_proba(X2)
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(a, c)
    assert torch.equal(state, torch.random.get_rng_state())
    assert torch.get_num_threads() == threads


def test_focal_gamma_zero_trains_like_bce():
    kw = {**FAST, "early_stopping": False}
    bce = FocalMLPClassifier("bce", **kw).fit(X2, Y2).predict_proba(X2)
    focal0 = FocalMLPClassifier("focal", gamma=0.0, **kw).fit(X2, Y2).predict_proba(X2)
    np.testing.assert_allclose(focal0, bce, atol=1e-4)


def test_callable_loss_equals_named_loss():
    kw = {**FAST, "early_stopping": False}
    fn = functools.partial(torch.nn.functional.binary_cross_entropy_with_logits,
                           reduction="none")
    named = FocalMLPClassifier("bce", **kw).fit(X2, Y2).predict_proba(X2)
    custom = FocalMLPClassifier(fn, **kw).fit(X2, Y2)
    assert custom.loss_ == "callable"
    np.testing.assert_allclose(custom.predict_proba(X2), named, atol=1e-5)


def test_callable_must_return_per_sample_losses():
    fn = functools.partial(torch.nn.functional.binary_cross_entropy_with_logits)
    with pytest.raises(InvalidParameterError, match="one loss per sample"):
        FocalMLPClassifier(fn, **FAST).fit(X2, Y2)


def test_class_weight_equals_sample_weight():
    kw = {**FAST, "early_stopping": False}
    a = FocalMLPClassifier("bce", class_weight={0: 1.0, 1: 5.0}, **kw).fit(X2, Y2)
    b = FocalMLPClassifier("bce", **kw).fit(X2, Y2, sample_weight=np.where(Y2 == 1, 5.0, 1.0))
    np.testing.assert_allclose(a.predict_proba(X2), b.predict_proba(X2), rtol=1e-6)


@pytest.mark.parametrize(
    "params",
    [{"class_weight": "balanced"}, {"alpha": "balanced"}, {"loss": "weighted_bce"},
     {"loss": "logit_adjusted"}],
    ids=["class_weight", "alpha", "weighted_bce", "logit_adjusted"],
)
def test_reweighting_moves_probabilities_up(params):
    kw = {**FAST, "early_stopping": False, "max_epochs": 30}
    loss = params.pop("loss", "focal" if "alpha" in params else "bce")
    base = FocalMLPClassifier(loss if loss == "focal" else "bce", **kw).fit(X2, Y2)
    moved = FocalMLPClassifier(loss, **params, **kw).fit(X2, Y2)
    assert moved.predict_proba(X2)[:, 1].mean() > base.predict_proba(X2)[:, 1].mean() + 0.05


def test_early_stopping_attributes():
    es = FocalMLPClassifier(max_epochs=200, n_iter_no_change=3, random_state=0).fit(X2, Y2)
    assert es.n_epochs_ < 200
    assert len(es.validation_scores_) == es.n_epochs_ == len(es.loss_curve_)
    assert es.best_epoch_ == int(np.argmin(es.validation_scores_))
    full = FocalMLPClassifier(max_epochs=7, early_stopping=False, random_state=0).fit(X2, Y2)
    assert full.n_epochs_ == 7
    assert full.best_epoch_ == 6
    assert full.validation_scores_ == []


def test_tiny_data_skips_the_validation_split():
    X, y = X2[:12], np.r_[np.zeros(11, int), 1]
    clf = FocalMLPClassifier(max_epochs=3, random_state=0).fit(X, y)
    assert clf.validation_scores_ == []


def test_full_batch_activations_and_no_hidden_layer():
    for kw in ({"batch_size": None}, {"activation": "tanh"}, {"activation": "gelu"},
               {"hidden_layer_sizes": ()}, {"standardize": False}, {"init_bias": "zero"}):
        clf = FocalMLPClassifier(**{**FAST, **kw}).fit(X2, Y2)
        assert roc_auc_score(Y2, clf.decision_function(X2)) > 0.8, kw


def test_predict_matches_torch_module():
    clf = FocalMLPClassifier("bce", activation="gelu", **FAST).fit(X3, Y3)
    with torch.no_grad():
        ref = clf.module_(torch.as_tensor(clf.scaler_.transform(X3), dtype=torch.float32))
    np.testing.assert_allclose(clf.decision_function(X3), ref.numpy(), rtol=1e-4, atol=1e-5)


def test_pickle_roundtrip():
    clf = FocalMLPClassifier(**FAST).fit(X2, Y2)
    clone = pickle.loads(pickle.dumps(clf))
    np.testing.assert_array_equal(clone.predict_proba(X2), clf.predict_proba(X2))


def test_pandas_feature_names():
    pd = pytest.importorskip("pandas")
    df = pd.DataFrame(X2, columns=[f"f{i}" for i in range(6)])
    clf = FocalMLPClassifier(**FAST).fit(df, Y2)
    assert clf.feature_names_in_.tolist() == list(df.columns)


# ------------------------------------------------------------------ sklearn tools
def test_in_pipeline_and_grid_search():
    pipe = make_pipeline(StandardScaler(), FocalMLPClassifier(**FAST))
    grid = GridSearchCV(pipe, {"focalmlpclassifier__gamma": [0.0, 2.0]}, cv=2,
                        scoring="average_precision").fit(X2, Y2)
    assert grid.best_params_["focalmlpclassifier__gamma"] in (0.0, 2.0)
    assert grid.predict_proba(X2).shape == (400, 2)


def test_in_tuned_threshold_classifier():
    tuned = TunedThresholdClassifierCV(FocalMLPClassifier("bce", **FAST), scoring="f1", cv=2,
                                       random_state=0).fit(X2, Y2)
    assert 0.0 < tuned.best_threshold_ < 1.0
    assert set(np.unique(tuned.predict(X2))) <= {0, 1}


# ------------------------------------------------------------------ errors
@pytest.mark.parametrize(
    ("params", "match"),
    [
        ({"loss": "hinge"}, "'loss' parameter"),
        ({"loss": "logit_adjusted", "loss_params": {"tau": 1.0, "beta": 2}}, "'loss_params'"),
        ({"loss_params": "tau=1"}, "'loss_params'"),
        ({"gamma": -1.0}, "'gamma' parameter"),
        ({"alpha": 1.5}, "'alpha' parameter"),
        ({"class_weight": "inverse"}, "'class_weight' parameter"),
        ({"class_weight": {0: 1.0, 7: 2.0}}, "'class_weight' parameter"),
        ({"hidden_layer_sizes": (16, 0)}, "'hidden_layer_sizes' parameter"),
        ({"hidden_layer_sizes": (16.5,)}, "'hidden_layer_sizes' parameter"),
        ({"activation": "sigmoid"}, "'activation' parameter"),
        ({"max_epochs": 0}, "'max_epochs' parameter"),
        ({"batch_size": 0}, "'batch_size' parameter"),
        ({"learning_rate": 0.0}, "'learning_rate' parameter"),
        ({"validation_fraction": 0.9}, "'validation_fraction' parameter"),
        ({"n_iter_no_change": 0}, "'n_iter_no_change' parameter"),
        ({"init_bias": "random"}, "'init_bias' parameter"),
        ({"n_threads": 0}, "'n_threads' parameter"),
    ],
)
def test_bad_parameters_raise_in_fit(params, match):
    clf = FocalMLPClassifier(**params)  # construction never validates (clone works)
    with pytest.raises(InvalidParameterError, match=match):
        clf.fit(X2, Y2)


def test_bad_data_raise():
    with pytest.raises(InvalidParameterError, match="at least 2 classes"):
        FocalMLPClassifier().fit(X2, np.zeros(400))
    with pytest.raises(ValueError, match="NaN"):
        FocalMLPClassifier().fit(np.full((10, 2), np.nan), np.r_[np.zeros(5), np.ones(5)])
    with pytest.raises(InvalidParameterError, match="'alpha' parameter"):
        FocalMLPClassifier(alpha=0.25).fit(X3, Y3)
    with pytest.raises(InvalidParameterError, match="non-negative"):
        FocalMLPClassifier().fit(X2, Y2, sample_weight=-np.ones(400))


def test_import_is_light_and_missing_torch_is_named():
    code = (
        "import sys; import focalkit.sklearn as s; assert 'torch' not in sys.modules;"
        "sys.modules['torch'] = None;"
        "from focalkit.exceptions import MissingExtraError\n"
        "try:\n"
        "    s.FocalMLPClassifier().fit([[0.0], [1.0], [2.0], [3.0]], [0, 1, 0, 1])\n"
        "except MissingExtraError as e:\n"
        "    assert \"pip install 'focalkit[torch]'\" in str(e), e\n"
        "else:\n"
        "    raise SystemExit('no error')\n"
    )
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=120)
    assert res.returncode == 0, res.stderr


def test_alpha_balanced_bce_and_unused_alpha():
    kw = {**FAST, "early_stopping": False}
    plain = FocalMLPClassifier("bce", **kw).fit(X2, Y2)
    a = FocalMLPClassifier("bce", alpha=0.8, **kw).fit(X2, Y2)
    assert a.loss_params_["alpha"] == 0.8
    # alpha=0.8 is pos_weight 4 (up to scale): the initial bias has 4x the odds of the prior
    from focalkit.sklearn._losses import bind_loss

    bound = bind_loss("bce", y=Y2, n_classes=2, sample_weight=None, gamma=None, alpha=0.8,
                      loss_params=None)
    pi = Y2.mean()
    assert expit(bound.init_bias[0]) == pytest.approx(4 * pi / (1 + 3 * pi))
    assert a.predict_proba(X2)[:, 1].mean() > plain.predict_proba(X2)[:, 1].mean() + 0.05
    with pytest.raises(InvalidParameterError, match="'alpha' parameter"):
        FocalMLPClassifier("weighted_bce", alpha=0.8, **kw).fit(X2, Y2)
    with pytest.raises(InvalidParameterError, match="'gamma' parameter"):
        FocalMLPClassifier("bce", gamma=2.0, **kw).fit(X2, Y2)
