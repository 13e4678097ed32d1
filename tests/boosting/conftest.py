import numpy as np
import pytest


@pytest.fixture
def binary_data():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(600, 5))
    logit = 1.5 * X[:, 0] - X[:, 1] - 2.0
    y = (rng.random(600) < 1 / (1 + np.exp(-logit))).astype(int)
    return X, y


@pytest.fixture
def multiclass_data():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(600, 5))
    scores = np.column_stack([X[:, 0], X[:, 1] - 0.5, -X[:, 0] - 1.0])
    y = np.argmax(scores + rng.gumbel(size=scores.shape), axis=1)
    return X, y


@pytest.fixture
def multilabel_data():
    rng = np.random.default_rng(2)
    X = rng.normal(size=(600, 5))
    Y = np.column_stack([
        rng.random(600) < 1 / (1 + np.exp(-(2 * X[:, 0] - 2))),
        rng.random(600) < 1 / (1 + np.exp(-(X[:, 1] - 1))),
        rng.random(600) < 1 / (1 + np.exp(-(X[:, 2] + X[:, 3] - 3))),
    ]).astype(int)
    return X, Y
