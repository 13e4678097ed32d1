"""The shared synthetic datasets: the post's 90:10 generator and the stratified split."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from sklearn.datasets import make_classification

from focalkit.exceptions import InvalidParameterError
from focalkit.experiments.datasets import (
    POST_90_10,
    SyntheticSpec,
    make_imbalanced,
    train_val_test_split,
)


def test_post_dataset_is_2d_90_10_and_reproducible():
    X, y = make_imbalanced()
    assert X.shape == (POST_90_10.n_samples, 2)
    assert set(np.unique(y)) == {0, 1}
    assert y.mean() == pytest.approx(0.1, abs=0.005)
    X2, y2 = make_imbalanced(POST_90_10)
    np.testing.assert_array_equal(X, X2)
    np.testing.assert_array_equal(y, y2)


def test_spec_is_exactly_make_classification():
    spec = SyntheticSpec(n_samples=500, minority_fraction=0.2, class_sep=1.3, random_state=4)
    X, y = make_imbalanced(spec)
    X_ref, y_ref = make_classification(**spec.sklearn_kwargs())
    np.testing.assert_array_equal(X, X_ref)
    np.testing.assert_array_equal(y, y_ref)
    assert spec.sklearn_kwargs()["weights"] == [0.8]
    assert spec.as_dict()["class_sep"] == 1.3


def test_other_seed_other_data():
    X, _ = make_imbalanced(replace(POST_90_10, n_samples=200))
    X2, _ = make_imbalanced(replace(POST_90_10, n_samples=200, random_state=1))
    assert not np.array_equal(X, X2)


@pytest.mark.parametrize(
    ("changes", "name"),
    [({"n_samples": 5}, "n_samples"), ({"minority_fraction": 0.0}, "minority_fraction"),
     ({"minority_fraction": 0.7}, "minority_fraction"), ({"flip_y": 1.0}, "flip_y"),
     ({"class_sep": 0.0}, "class_sep")],
    ids=lambda v: str(v),
)
def test_spec_rejects_bad_values(changes, name):
    with pytest.raises(InvalidParameterError, match=f"'{name}' parameter of SyntheticSpec"):
        SyntheticSpec(**changes)


def test_split_is_stratified_disjoint_and_complete():
    X, y = make_imbalanced(replace(POST_90_10, n_samples=1000))
    ids = np.arange(len(y), dtype=float)[:, None]
    s = train_val_test_split(np.hstack([X, ids]), y, val_size=0.25, test_size=0.15,
                             random_state=3)
    assert (len(s.y_train), len(s.y_val), len(s.y_test)) == (600, 250, 150)
    parts = [s.X_train[:, -1], s.X_val[:, -1], s.X_test[:, -1]]
    assert sorted(np.concatenate(parts).tolist()) == ids[:, 0].tolist()
    for part in (s.y_train, s.y_val, s.y_test):
        assert part.mean() == pytest.approx(y.mean(), abs=0.01)
    again = train_val_test_split(np.hstack([X, ids]), y, val_size=0.25, test_size=0.15,
                                 random_state=3)
    np.testing.assert_array_equal(s.X_test, again.X_test)


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [({"val_size": 0.0}, "val_size"), ({"test_size": 1.0}, "test_size"),
     ({"val_size": 0.6, "test_size": 0.5}, "val_size")],
    ids=str,
)
def test_split_rejects_bad_sizes(kwargs, name):
    X, y = make_imbalanced(replace(POST_90_10, n_samples=100))
    with pytest.raises(InvalidParameterError, match=f"'{name}' parameter"):
        train_val_test_split(X, y, **kwargs)
