"""Synthetic imbalanced datasets and the stratified splits shared by the demo and the bench.

The 90:10 two-dimensional dataset of the post lives here, so that ``focalkit demo`` and
``focalkit bench`` draw the very same data: :class:`SyntheticSpec` holds the generator's
settings (frozen, JSON-able), :func:`make_imbalanced` draws the data and
:func:`train_val_test_split` makes the stratified train / validation / test split.

NumPy and scikit-learn only.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, NamedTuple

import numpy as np

from focalkit._core._validation import param_error

__all__ = [
    "POST_90_10",
    "Split",
    "SyntheticSpec",
    "make_imbalanced",
    "train_val_test_split",
]


@dataclass(frozen=True)
class SyntheticSpec:
    """Settings of :func:`sklearn.datasets.make_classification` for a binary imbalanced set.

    The fields carry ``make_classification``'s own names and meanings, so ``asdict(spec)``
    is a complete, reproducible record of the generator (it is what ``config.json`` saves).

    Parameters
    ----------
    n_samples : int, default=6000
        Total number of rows before splitting.
    minority_fraction : float, default=0.1
        Fraction of the positive (minority) class, in (0, 0.5]; ``weights=[1 - this]``.
    n_features, n_informative, n_redundant : int, default=2, 2, 0
        Two informative features and nothing else, so decision regions can be drawn.
    n_clusters_per_class : int, default=2
        Two Gaussian clusters per class give a non-linear boundary (an MLP has work to do).
    class_sep : float, default=0.8
        Distance between the clusters; smaller means more class overlap.
    flip_y : float, default=0.0
        Fraction of labels flipped at random (label noise; it also shifts the prevalence).
    random_state : int, default=0
        Seed of the generator.

    Examples
    --------
    >>> spec = SyntheticSpec(n_samples=1000)
    >>> X, y = make_imbalanced(spec)
    >>> X.shape, round(float(y.mean()), 2)
    ((1000, 2), 0.1)
    """

    n_samples: int = 6000
    minority_fraction: float = 0.1
    n_features: int = 2
    n_informative: int = 2
    n_redundant: int = 0
    n_clusters_per_class: int = 2
    class_sep: float = 0.8
    flip_y: float = 0.0
    random_state: int = 0

    def __post_init__(self) -> None:
        owner = "SyntheticSpec"
        if not isinstance(self.n_samples, int) or self.n_samples < 20:
            raise param_error("n_samples", owner, "an int >= 20", self.n_samples)
        if not 0.0 < float(self.minority_fraction) <= 0.5:
            raise param_error(
                "minority_fraction", owner, "a float in (0, 0.5]", self.minority_fraction
            )
        if not 0.0 <= float(self.flip_y) < 1.0:
            raise param_error("flip_y", owner, "a float in [0, 1)", self.flip_y)
        if float(self.class_sep) <= 0.0:
            raise param_error("class_sep", owner, "a float in (0, inf)", self.class_sep)

    def as_dict(self) -> dict[str, Any]:
        """The settings as a JSON-able dict."""
        return asdict(self)

    def sklearn_kwargs(self) -> dict[str, Any]:
        """The exact keyword arguments passed to ``make_classification``."""
        return {
            "n_samples": self.n_samples,
            "n_features": self.n_features,
            "n_informative": self.n_informative,
            "n_redundant": self.n_redundant,
            "n_repeated": 0,
            "n_classes": 2,
            "n_clusters_per_class": self.n_clusters_per_class,
            "weights": [1.0 - float(self.minority_fraction)],
            "flip_y": float(self.flip_y),
            "class_sep": float(self.class_sep),
            "random_state": self.random_state,
        }


#: The 90:10 two-dimensional dataset of the post (the demo's default).
POST_90_10 = SyntheticSpec()


def make_imbalanced(spec: SyntheticSpec = POST_90_10) -> tuple[np.ndarray, np.ndarray]:
    """Draw the dataset described by ``spec``.

    Parameters
    ----------
    spec : SyntheticSpec, default=POST_90_10
        Generator settings; the default is the post's 90:10 two-dimensional problem.

    Returns
    -------
    X : ndarray of shape (n_samples, n_features), float64
    y : ndarray of shape (n_samples,), int64 in {0, 1}; 1 is the minority class.

    Examples
    --------
    >>> X, y = make_imbalanced()
    >>> X.shape, int(y.sum())
    ((6000, 2), 599)
    """
    from sklearn.datasets import make_classification

    X, y = make_classification(**spec.sklearn_kwargs())
    return X.astype(np.float64), y.astype(np.int64)


class Split(NamedTuple):
    """A stratified train / validation / test split."""

    X_train: np.ndarray
    y_train: np.ndarray
    X_val: np.ndarray
    y_val: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray


def train_val_test_split(
    X: Any,
    y: Any,
    *,
    val_size: float = 0.2,
    test_size: float = 0.2,
    random_state: int | None = 0,
) -> Split:
    """Stratified three-way split (every part keeps the class proportions).

    Parameters
    ----------
    X : array_like of shape (n, d)
    y : array_like of shape (n,)
    val_size, test_size : float, default=0.2
        Fractions of all rows for validation and test; the rest trains.
    random_state : int or None, default=0
        Seed of the shuffle.

    Returns
    -------
    Split
        ``(X_train, y_train, X_val, y_val, X_test, y_test)``.

    Examples
    --------
    >>> X, y = make_imbalanced(SyntheticSpec(n_samples=1000))
    >>> s = train_val_test_split(X, y, random_state=1)
    >>> len(s.y_train), len(s.y_val), len(s.y_test), int(s.y_test.sum())
    (600, 200, 200, 20)
    """
    from sklearn.model_selection import train_test_split

    owner = "train_val_test_split"
    for name, value in (("val_size", val_size), ("test_size", test_size)):
        if not 0.0 < float(value) < 1.0:
            raise param_error(name, owner, "a float in (0, 1)", value)
    if float(val_size) + float(test_size) >= 1.0:
        raise param_error(
            "val_size", owner, f"smaller than 1 - test_size = {1 - test_size:g}", val_size
        )
    X = np.asarray(X)
    y = np.asarray(y)
    X_rest, X_test, y_rest, y_test = train_test_split(
        X, y, test_size=test_size, stratify=y, random_state=random_state
    )
    X_train, X_val, y_train, y_val = train_test_split(
        X_rest,
        y_rest,
        test_size=val_size / (1.0 - test_size),
        stratify=y_rest,
        random_state=random_state,
    )
    return Split(X_train, y_train, X_val, y_val, X_test, y_test)
