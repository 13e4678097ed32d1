"""Self-contained native models (issue 11): ``export_booster`` / ``save_model`` write a model
that the plain booster library, with focalkit blocked from import, turns into the
estimator's probabilities."""

import json
import subprocess
import sys

import numpy as np
import pytest

from focalkit.exceptions import InvalidParameterError

pytest.importorskip("xgboost")
pytest.importorskip("lightgbm")
pytest.importorskip("catboost")

from focalkit.boosting import (  # noqa: E402
    CatBoostClassifier,
    LightGBMClassifier,
    XGBoostClassifier,
)

FAST = {"n_estimators": 12, "n_jobs": 1, "random_state": 0}

# Each loader sees only the model file and X; focalkit cannot be imported in the subprocess.
LOADERS = {
    "xgboost": "import xgboost as xgb; b = xgb.Booster(model_file=path); "
               "p = b.predict(xgb.DMatrix(X))",
    "lightgbm": "import lightgbm as lgb; b = lgb.Booster(model_file=path); p = b.predict(X)",
    "catboost": "import catboost as cb; m = cb.CatBoost(); m.load_model(path); "
                "p = m.predict(X, prediction_type='Probability')",
}
CASES = [(XGBoostClassifier, "xgboost", ".json"), (LightGBMClassifier, "lightgbm", ".txt"),
         (CatBoostClassifier, "catboost", ".cbm")]


def _xgb_version():
    import re

    import xgboost

    return tuple(int(v) for v in re.findall(r"\d+", xgboost.__version__)[:2])


def _plain_predict(lib, path, X, tmp_path):
    np.save(tmp_path / "X.npy", X)
    code = (
        "import sys, json; sys.modules['focalkit'] = None\n"
        "import numpy as np\n"
        f"path = {str(path)!r}; X = np.load({str(tmp_path / 'X.npy')!r})\n"
        f"{LOADERS[lib]}\n"
        "p = np.asarray(p, dtype=float)\n"
        "print(json.dumps(p.tolist()))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, timeout=120)
    return np.asarray(json.loads(out.stdout.strip().splitlines()[-1]))


@pytest.mark.parametrize(("cls", "lib", "ext"), CASES, ids=[c[1] for c in CASES])
@pytest.mark.parametrize("task", ["binary", "multiclass"])
def test_saved_model_gives_the_same_probabilities_without_focalkit(
        cls, lib, ext, task, binary_data, multiclass_data, tmp_path):
    X, y = binary_data if task == "binary" else multiclass_data
    clf = cls("focal", gamma=2.0, **FAST).fit(X, y)
    path = tmp_path / f"model{ext}"
    if lib == "xgboost" and task == "multiclass" and _xgb_version() < (3, 1):
        with pytest.raises(InvalidParameterError, match="needs xgboost>=3.1"):
            clf.save_model(path)
        return
    clf.save_model(path)
    got = _plain_predict(lib, path, X, tmp_path)
    want = clf.predict_proba(X)
    if task == "binary" and got.ndim == 1:  # XGBoost / LightGBM: P(positive)
        want = want[:, 1]
    # XGBoost keeps base_score in float32
    np.testing.assert_allclose(got, want, atol=1e-6 if lib == "xgboost" else 1e-12)


@pytest.mark.parametrize(("cls", "lib", "ext"), CASES, ids=[c[1] for c in CASES])
def test_exported_model_respects_best_iteration(cls, lib, ext, binary_data, tmp_path):
    X, y = binary_data
    clf = cls(n_estimators=200, learning_rate=0.5, early_stopping_rounds=3, n_jobs=1,
              random_state=0).fit(X[:400], y[:400], eval_set=[(X[400:], y[400:])])
    path = tmp_path / f"model{ext}"
    clf.save_model(path)
    got = _plain_predict(lib, path, X, tmp_path)
    want = clf.predict_proba(X)
    np.testing.assert_allclose(got if got.ndim == 1 else got[:, 1], want[:, 1],
                               atol=1e-6 if lib == "xgboost" else 1e-12)


@pytest.mark.parametrize("cls", [c[0] for c in CASES], ids=[c[1] for c in CASES])
def test_export_refuses_what_the_native_model_cannot_hold(cls, binary_data, multilabel_data):
    X, y = binary_data
    clf = cls(calibration="posterior", **FAST).fit(X, y)
    with pytest.raises(InvalidParameterError, match="'calibration'"):
        clf.export_booster()
    X, Y = multilabel_data
    Y = Y.copy()
    Y[:, 1] = 0  # a constant label: its model is the constant -inf margin
    with pytest.warns(UserWarning, match="column"):
        clf = cls(**FAST).fit(X, Y)
    with pytest.raises(InvalidParameterError, match=r"label column\(s\) \[1\]"):
        clf.export_booster()


@pytest.mark.parametrize(("cls", "lib", "ext"), CASES, ids=[c[1] for c in CASES])
def test_multilabel_saved_models_give_the_probabilities_without_focalkit(
        cls, lib, ext, multilabel_data, tmp_path):
    X, Y = multilabel_data
    clf = cls("focal", gamma=[2.0, 1.0, 2.0], alpha="balanced", **FAST).fit(X, Y)
    path = tmp_path / f"model{ext}"
    if lib == "xgboost" and _xgb_version() < (3, 1):
        with pytest.raises(InvalidParameterError, match="needs xgboost>=3.1"):
            clf.save_model(path)
        return
    paths = clf.save_model(path)
    want = clf.predict_proba(X)
    if lib == "xgboost":  # one booster, a logistic output per label
        assert paths == [str(path)]
        got = _plain_predict(lib, path, X, tmp_path)
    else:  # one binary booster per label, one file each
        assert [p.rsplit("/", 1)[1] for p in paths] == [f"model.label{j}{ext}"
                                                        for j in range(3)]
        cols = [_plain_predict(lib, p, X, tmp_path) for p in paths]
        got = np.column_stack([c if c.ndim == 1 else c[:, 1] for c in cols])
    assert got.shape == want.shape == (X.shape[0], 3)
    np.testing.assert_allclose(got, want, atol=1e-6 if lib == "xgboost" else 1e-12)
