"""The booster classifiers' input contract (issue 11): feature names, booster parameters that
fight focalkit, the boosters' own class weighting, class_weight keyed by label, sparse and
categorical input, random_state, eval_set messages."""

import numpy as np
import pytest
from scipy import sparse
from sklearn.metrics import roc_auc_score

from focalkit.exceptions import InvalidParameterError

pytest.importorskip("xgboost")
pytest.importorskip("lightgbm")
pytest.importorskip("catboost")
pd = pytest.importorskip("pandas")

from focalkit.boosting import (  # noqa: E402
    CatBoostClassifier,
    LightGBMClassifier,
    XGBoostClassifier,
)

FAST = {"n_estimators": 10, "n_jobs": 1, "random_state": 0}
ESTIMATORS = [XGBoostClassifier, LightGBMClassifier, CatBoostClassifier]
IDS = ["xgboost", "lightgbm", "catboost"]


@pytest.fixture
def frame(binary_data):
    X, y = binary_data
    return pd.DataFrame(X, columns=[f"x{j}" for j in range(X.shape[1])]), y


# -- item 1: feature names ------------------------------------------------------------------
@pytest.mark.parametrize("cls", ESTIMATORS, ids=IDS)
def test_reordered_or_missing_columns_raise(cls, frame):
    df, y = frame
    clf = cls(**FAST).fit(df, y)
    assert clf.feature_names_in_.tolist() == list(df.columns)
    with pytest.raises(ValueError, match="feature names should match"):
        clf.predict_proba(df[df.columns[::-1]])
    with pytest.raises(ValueError, match="feature names should match"):
        clf.predict_proba(df.rename(columns={"x0": "other"}))
    with pytest.raises(ValueError, match="feature names should match|features"):
        clf.predict_proba(df.drop(columns="x1"))
    np.testing.assert_array_equal(clf.predict_proba(df), clf.predict_proba(df.copy()))


@pytest.mark.parametrize("cls", ESTIMATORS, ids=IDS)
def test_names_at_fit_but_not_at_predict_warn_as_sklearn(cls, frame):
    df, y = frame
    clf = cls(**FAST).fit(df, y)
    with pytest.warns(UserWarning, match="does not have valid feature names"):
        p = clf.predict_proba(df.to_numpy())
    np.testing.assert_array_equal(p, clf.predict_proba(df))
    clf = cls(**FAST).fit(df.to_numpy(), y)
    assert not hasattr(clf, "feature_names_in_")
    with pytest.warns(UserWarning, match="X has feature names, but"):
        clf.predict_proba(df)


# -- item 2: parameters focalkit controls ---------------------------------------------------
RESERVED = [
    (XGBoostClassifier, "base_score", 0.5),
    (XGBoostClassifier, "objective", "binary:logistic"),
    (XGBoostClassifier, "num_boost_round", 10),
    (LightGBMClassifier, "objective", "binary"),
    (LightGBMClassifier, "init_score", 0.0),
    (LightGBMClassifier, "boost_from_average", True),
    (LightGBMClassifier, "num_iterations", 10),
    (CatBoostClassifier, "loss_function", "Logloss"),
    (CatBoostClassifier, "boost_from_average", True),
    (CatBoostClassifier, "iterations", 10),
]


@pytest.mark.parametrize(("cls", "key", "value"), RESERVED,
                         ids=[f"{c.__name__}-{k}" for c, k, _ in RESERVED])
def test_parameters_that_fight_focalkit_raise_naming_them(cls, key, value, binary_data):
    X, y = binary_data
    with pytest.raises(InvalidParameterError, match=f"must not set '{key}'.*(use|set)"):
        cls(**FAST, params={key: value}).fit(X, y)


# -- item 3: the boosters' own imbalance options --------------------------------------------
IMBALANCE = [
    (XGBoostClassifier, {"scale_pos_weight": 4.0}, lambda y: np.where(y == 1, 4.0, 1.0)),
    (LightGBMClassifier, {"scale_pos_weight": 4.0}, lambda y: np.where(y == 1, 4.0, 1.0)),
    (LightGBMClassifier, {"is_unbalance": True},
     lambda y: np.where(y == 1, np.sum(y == 0) / np.sum(y == 1), 1.0)),
    (CatBoostClassifier, {"scale_pos_weight": 4.0}, lambda y: np.where(y == 1, 4.0, 1.0)),
    (CatBoostClassifier, {"auto_class_weights": "Balanced"},
     lambda y: np.where(y == 1, np.sum(y == 0) / np.sum(y == 1), 1.0)),
    (CatBoostClassifier, {"auto_class_weights": "SqrtBalanced"},
     lambda y: np.where(y == 1, np.sqrt(np.sum(y == 0) / np.sum(y == 1)), 1.0)),
    (CatBoostClassifier, {"class_weights": [1.0, 3.0]}, lambda y: np.where(y == 1, 3.0, 1.0)),
]


@pytest.mark.parametrize(("cls", "params", "weights"), IMBALANCE,
                         ids=[f"{c.__name__}-{next(iter(p))}" for c, p, _ in IMBALANCE])
def test_booster_imbalance_options_are_row_weights(cls, params, weights, binary_data):
    X, y = binary_data
    got = cls(**FAST, params=params).fit(X, y).predict_proba(X)
    want = cls(**FAST).fit(X, y, sample_weight=weights(y)).predict_proba(X)
    plain = cls(**FAST).fit(X, y).predict_proba(X)
    np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-9)
    assert np.abs(got - plain).max() > 1e-3  # not ignored


def test_catboost_class_weights_dict_is_keyed_by_label(binary_data):
    X, y = binary_data
    labels = np.array(["neg", "pos"])[y]
    got = CatBoostClassifier(**FAST, params={"class_weights": {"pos": 3.0}}).fit(X, labels)
    want = CatBoostClassifier(**FAST).fit(X, labels, sample_weight=np.where(y == 1, 3.0, 1.0))
    np.testing.assert_allclose(got.predict_proba(X), want.predict_proba(X), rtol=1e-6)


@pytest.mark.parametrize(("cls", "key"), [(XGBoostClassifier, "scale_pos_weight"),
                                          (LightGBMClassifier, "is_unbalance")],
                         ids=["xgboost", "lightgbm"])
def test_binary_imbalance_options_refused_for_multiclass(cls, key, multiclass_data):
    X, y = multiclass_data
    with pytest.raises(InvalidParameterError, match=f"'{key}' for multiclass y.*class_weight"):
        cls(**FAST, params={key: 2.0 if key == "scale_pos_weight" else True}).fit(X, y)


# -- item 6: class_weight dict keyed by label -----------------------------------------------
@pytest.mark.parametrize("cls", ESTIMATORS, ids=IDS)
@pytest.mark.parametrize("labels", [["ant", "bee", "cat"], [10, 11, 12]], ids=["str", "int"])
def test_class_weight_dict_keyed_by_label(cls, labels, multiclass_data):
    X, y = multiclass_data
    yl = np.asarray(labels)[y]
    by_label = cls(**FAST, class_weight={labels[0]: 2.0, labels[2]: 0.5}).fit(X, yl)
    by_vector = cls(**FAST, class_weight=[2.0, 1.0, 0.5]).fit(X, yl)
    np.testing.assert_allclose(by_label.class_weight_, [2.0, 1.0, 0.5])
    np.testing.assert_array_equal(by_label.predict_proba(X), by_vector.predict_proba(X))


@pytest.mark.parametrize("cls", ESTIMATORS, ids=IDS)
def test_class_weight_dict_with_unknown_keys_raises(cls, multiclass_data):
    X, y = multiclass_data
    with pytest.raises(InvalidParameterError, match="keyed by the class labels"):
        cls(**FAST, class_weight={0: 1.0, 1: 2.0, 2: 3.0}).fit(X, y + 10)


# -- item 4: sparse input -------------------------------------------------------------------
def _sparse_data(seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(400, 6)) * (rng.random((400, 6)) < 0.3)
    y = (X[:, 0] - X[:, 1] + 0.5 * rng.normal(size=400) > 0.3).astype(int)
    return X, y


@pytest.mark.parametrize("fmt", ["csr", "csc", "coo"])
@pytest.mark.parametrize("cls", ESTIMATORS, ids=IDS)
def test_sparse_input_matches_dense(cls, fmt):
    X, y = _sparse_data()
    Xs = sparse.csr_matrix(X).asformat(fmt)
    got = cls(**FAST).fit(Xs, y)
    # XGBoost reads the entries a sparse matrix does not store as missing (as XGBClassifier)
    dense = np.where(X == 0, np.nan, X) if cls is XGBoostClassifier else X
    want = cls(**FAST).fit(dense, y)
    np.testing.assert_allclose(got.predict_proba(Xs), want.predict_proba(dense), atol=1e-12)


@pytest.mark.parametrize("cls", ESTIMATORS, ids=IDS)
def test_pipeline_with_sparse_one_hot(cls):
    from sklearn.compose import ColumnTransformer
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder

    rng = np.random.default_rng(3)
    df = pd.DataFrame({"x": rng.normal(size=300),
                       "city": rng.choice([f"c{k}" for k in range(40)], 300)})
    y = ((df.x > 0.5) | df.city.isin(["c1", "c2", "c3"])).astype(int).to_numpy()
    ct = ColumnTransformer([("oh", OneHotEncoder(handle_unknown="ignore"), ["city"])],
                           remainder="passthrough", sparse_threshold=0.3)
    assert sparse.issparse(ct.fit_transform(df))
    pipe = make_pipeline(ct, cls(**FAST)).fit(df, y)
    proba = pipe.predict_proba(df)
    assert proba.shape == (300, 2)
    assert np.all(np.isfinite(proba))


# -- item 5: native categorical features ----------------------------------------------------
def _categorical_frame(seed=0, n=400):
    rng = np.random.default_rng(seed)
    df = pd.DataFrame({"x": rng.normal(size=n),
                       "colour": pd.Categorical(rng.choice(["red", "green", "blue"], n))})
    y = ((df.colour == "red") ^ (rng.random(n) < 0.1)).astype(int).to_numpy()
    return df, y


@pytest.mark.parametrize("cls", ESTIMATORS, ids=IDS)
def test_pandas_categorical_is_native(cls):
    df, y = _categorical_frame()
    clf = cls(**FAST).fit(df, y)
    assert clf.categorical_features_.tolist() == [1]
    p = clf.predict_proba(df)[:, 1]
    assert roc_auc_score(y, p) > 0.85  # the category is used
    # the same values under another category order give the same probabilities
    other = df.assign(colour=df.colour.cat.reorder_categories(["red", "blue", "green"]))
    np.testing.assert_array_equal(clf.predict_proba(other)[:, 1], p)
    # a category unseen in training is read as missing, not as another category's code
    unseen = df.assign(colour=pd.Categorical(["purple"] * len(df)))
    assert np.all(np.isfinite(clf.predict_proba(unseen)))
    with pytest.raises(InvalidParameterError, match="categorical"), \
            pytest.warns(UserWarning, match="feature names"):
        clf.predict_proba(sparse.csr_matrix(np.zeros((2, 2))))


def test_catboost_cat_features_by_name_on_string_column():
    df, y = _categorical_frame()
    df = df.assign(colour=df.colour.astype(str))
    clf = CatBoostClassifier(**FAST, params={"cat_features": ["colour"]}).fit(df, y)
    assert clf.categorical_features_.tolist() == [1]
    p = clf.predict_proba(df)[:, 1]
    assert roc_auc_score(y, p) > 0.85


def test_xgboost_enable_categorical_false_refuses_categoricals():
    df, y = _categorical_frame()
    with pytest.raises(InvalidParameterError, match="enable_categorical=False"):
        XGBoostClassifier(**FAST, params={"enable_categorical": False}).fit(df, y)


# -- item 9 (part): random_state, eval_set messages -----------------------------------------
@pytest.mark.parametrize("cls", ESTIMATORS, ids=IDS)
def test_random_state_accepts_a_randomstate(cls, binary_data):
    X, y = binary_data
    a = cls(n_estimators=5, random_state=np.random.RandomState(0)).fit(X, y).predict_proba(X)
    b = cls(n_estimators=5, random_state=np.random.RandomState(0)).fit(X, y).predict_proba(X)
    np.testing.assert_array_equal(a, b)
    with pytest.raises(InvalidParameterError, match="'random_state'"):
        cls(n_estimators=5, random_state="seed").fit(X, y)


@pytest.mark.parametrize("cls", ESTIMATORS, ids=IDS)
def test_eval_set_errors_name_eval_set(cls, binary_data):
    X, y = binary_data
    with pytest.raises(InvalidParameterError, match=r"eval_set\[0\] X has 3 features"):
        cls(**FAST).fit(X, y, eval_set=[(X[:, :3], y)])
    with pytest.raises(InvalidParameterError, match=r"eval_set\[0\] X and y.*600 and 10"):
        cls(**FAST).fit(X, y, eval_set=[(X, y[:10])])
