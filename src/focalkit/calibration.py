r"""Post-processing: decision thresholds, recalibration, and the posterior maps.

Class imbalance is mostly a decision problem: a model trained with plain log-loss already
ranks well, and the right *threshold* (tuned on validation data for the metric you care
about) does most of what re-weighting does. Re-weighting, re-sampling and focal loss change
the model's probabilities, which then are no longer posteriors. This module provides

* thresholds: :class:`ThresholdTuner` (on validation scores, re-using
  :func:`focalkit.metrics.tune_threshold`) and :func:`tuned_threshold_classifier`
  (scikit-learn's ``TunedThresholdClassifierCV`` with focalkit's metric names);
* recalibration fitted on validation data: :class:`TemperatureScaling`,
  :class:`PlattScaling` (temperature + bias), :class:`IsotonicCalibrator`;
* exact maps that need no fitting: :class:`FocalPosteriorCalibrator` (the focal->posterior
  map of :func:`focalkit.focal_to_posterior`) and :class:`OddsCorrection` /
  :func:`correct_odds` (class weights, ``alpha``, ``pos_weight``, re-sampling, prior shift);
* :func:`calibration_report`: ECE, Brier score and log-loss before and after.

Every calibrator has ``fit(scores, y, sample_weight=None)``, ``transform(scores)`` (the
calibrated probability of class 1 for binary problems, ``(n, C)`` probabilities otherwise)
and ``predict_proba(scores)`` (always ``(n, n_classes)``). ``scores`` are logits
(``input="logit"``, the default for the parametric calibrators) or probabilities
(``input="proba"``).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from scipy.optimize import minimize
from scipy.special import expit, log_softmax, logit, softmax
from sklearn.base import BaseEstimator

from focalkit._core import binary_focal_loss_grad, focal_to_posterior, softmax_focal_loss_grad
from focalkit._core._validation import check_gamma, check_in, param_error
from focalkit._core.weights import _weights
from focalkit.exceptions import InvalidParameterError
from focalkit.metrics import THRESHOLD_METRICS, ece_loss, tune_threshold

__all__ = [
    "CALIBRATION_METHODS",
    "FocalPosteriorCalibrator",
    "IsotonicCalibrator",
    "OddsCorrection",
    "PlattScaling",
    "TemperatureScaling",
    "ThresholdTuner",
    "calibration_report",
    "correct_odds",
    "get_calibrator",
    "odds_correction_factor",
    "posterior_calibrator",
    "tune_threshold",
    "tuned_threshold_classifier",
]

#: Names accepted by :func:`get_calibrator`.
CALIBRATION_METHODS = ("temperature", "platt", "isotonic", "focal", "odds")

_EPS = 1e-12


# --------------------------------------------------------------------------- inputs
def _as_scores(scores: Any, owner: str) -> np.ndarray:
    s = np.asarray(scores, dtype=np.float64)
    if s.ndim == 2 and s.shape[1] == 1:
        s = s[:, 0]
    if s.ndim not in (1, 2) or s.shape[0] == 0:
        raise InvalidParameterError(
            f"{owner}: scores must be a non-empty (n,) or (n, C) array; got shape {s.shape}."
        )
    if not np.all(np.isfinite(s)):
        raise InvalidParameterError(f"{owner}: scores must be finite (no NaN or inf).")
    return s


def _to_logits(s: np.ndarray, input: str, owner: str) -> np.ndarray:
    """Margins from logits or probabilities; binary (n, 2) probabilities become (n,)."""
    if input == "logit":
        return s
    if np.any(s < 0) or np.any(s > 1):
        raise InvalidParameterError(f"{owner}: input='proba' needs probabilities in [0, 1].")
    p = np.clip(s, _EPS, 1.0 - _EPS)
    if s.ndim == 2:
        if s.shape[1] == 2:
            return logit(p[:, 1])
        return np.log(p)
    return logit(p)


def _binary_proba(s: np.ndarray, owner: str) -> np.ndarray:
    if s.ndim == 2:
        if s.shape[1] != 2:
            raise InvalidParameterError(
                f"{owner} is binary: pass the probability of class 1, shape (n,) or (n, 2)."
            )
        s = s[:, 1]
    if np.any(s < 0) or np.any(s > 1):
        raise InvalidParameterError(f"{owner}: probabilities must be in [0, 1].")
    return s


def _labels(y: Any, n: int, n_classes: int | None, owner: str) -> np.ndarray:
    arr = np.asarray(y)
    if arr.ndim != 1 or arr.shape[0] != n:
        raise InvalidParameterError(
            f"{owner}: y must be 1-D with one label per score ({n}); got shape {arr.shape}."
        )
    if not np.all(np.mod(arr, 1) == 0) or arr.min() < 0:
        raise InvalidParameterError(f"{owner}: y must hold integer labels 0..C-1.")
    arr = arr.astype(np.int64)
    c = 2 if n_classes is None else n_classes
    if arr.max() >= c:
        raise InvalidParameterError(f"{owner}: labels must be in 0..{c - 1}; got {arr.max()}.")
    return arr


def _sample_weight(sample_weight: Any, n: int) -> np.ndarray:
    sw = _weights(sample_weight, n)  # n finite weights >= 0 (ones for None)
    if not sw.sum() > 0:
        raise InvalidParameterError(
            f"sample_weight must be {n} finite non-negative numbers with a positive sum."
        )
    return sw


def _two_columns(p1: np.ndarray) -> np.ndarray:
    return np.column_stack([1.0 - p1, p1])


class _Calibrator(BaseEstimator):
    """Shared ``transform`` / ``predict_proba`` plumbing."""

    def _map(self, s: np.ndarray) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError

    def transform(self, scores: Any) -> np.ndarray:
        """Calibrated probabilities: of class 1 ``(n,)`` (binary) or ``(n, C)``.

        Parameters
        ----------
        scores : array_like
            Logits or probabilities, as given to ``fit``.

        Returns
        -------
        ndarray
        """
        if not hasattr(self, "n_classes_"):
            raise InvalidParameterError(
                f"This {type(self).__name__} is not fitted yet; call fit(scores, y) first."
            )
        return self._map(_as_scores(scores, type(self).__name__))

    def predict_proba(self, scores: Any) -> np.ndarray:
        """Calibrated class probabilities, shape ``(n, n_classes)``.

        Parameters
        ----------
        scores : array_like

        Returns
        -------
        ndarray
        """
        p = self.transform(scores)
        return _two_columns(p) if p.ndim == 1 else p

    def fit_transform(self, scores: Any, y: Any, sample_weight: Any = None) -> np.ndarray:
        """Fit, then transform the same scores.

        Parameters
        ----------
        scores, y, sample_weight
            As in ``fit``.

        Returns
        -------
        ndarray
        """
        return self.fit(scores, y, sample_weight=sample_weight).transform(scores)

    def fit(self, scores: Any, y: Any, sample_weight: Any = None) -> Any:  # pragma: no cover
        raise NotImplementedError


# --------------------------------------------------------------------------- parametric
def _binary_nll(u: np.ndarray, y: np.ndarray, sw: np.ndarray) -> tuple[float, np.ndarray]:
    """Weighted log-loss of margins ``u`` and its derivative in ``u`` (focal at gamma=0)."""
    loss, grad = binary_focal_loss_grad(u, y.astype(np.float64), gamma=0.0)
    return float(sw @ loss), sw * grad


def _softmax_nll(u: np.ndarray, y: np.ndarray, sw: np.ndarray) -> tuple[float, np.ndarray]:
    loss, grad = softmax_focal_loss_grad(u, y, gamma=0.0)
    return float(sw @ loss), sw[:, None] * grad


class _ScalingCalibrator(_Calibrator):
    _bias = False

    def __init__(self, *, input: str = "logit") -> None:
        self.input = input

    def fit(self, scores: Any, y: Any, sample_weight: Any = None) -> Any:
        """Fit the parameters by minimising the (weighted) log-loss on ``(scores, y)``.

        Parameters
        ----------
        scores : array_like of shape (n,) or (n, C)
            Logits (``input="logit"``) or probabilities (``input="proba"``) of held-out
            data; ``(n,)`` is the logit / probability of class 1.
        y : array_like of shape (n,)
            Labels ``0..C-1`` (``{0, 1}`` for binary).
        sample_weight : array_like of shape (n,), optional

        Returns
        -------
        self
        """
        owner = type(self).__name__
        check_in(self.input, ("logit", "proba"), "input", owner)
        z = _to_logits(_as_scores(scores, owner), self.input, owner)
        binary = z.ndim == 1
        n_classes = 2 if binary else z.shape[1]
        yy = _labels(y, z.shape[0], n_classes, owner)
        sw = _sample_weight(sample_weight, z.shape[0])
        sw = sw / sw.sum()
        nb = (1 if binary else n_classes - 1) if self._bias else 0

        def objective(theta: np.ndarray) -> tuple[float, np.ndarray]:
            inv_t = math.exp(-theta[0])  # 1/T, T = exp(theta[0]) > 0
            u = z * inv_t
            if nb:
                bias = theta[1:] if binary else np.concatenate([[0.0], theta[1:]])
                u = u + (bias[0] if binary else bias)
            if binary:
                val, du = _binary_nll(u, yy, sw)
                g: list[float] = [-float(du @ (z * inv_t))]
                if nb:
                    g.append(float(du.sum()))
            else:
                val, du = _softmax_nll(u, yy, sw)
                g = [-float(np.sum(du * z * inv_t))]
                if nb:
                    g.extend(du.sum(axis=0)[1:])
            return val, np.asarray(g, dtype=np.float64)

        res = minimize(objective, np.zeros(1 + nb), jac=True, method="L-BFGS-B",
                       bounds=[(-20.0, 20.0)] + [(None, None)] * nb,
                       options={"maxiter": 500, "gtol": 1e-10, "ftol": 1e-14})
        self.temperature_ = float(math.exp(res.x[0]))
        self.bias_: Any
        if binary:
            self.bias_ = float(res.x[1]) if nb else 0.0
        else:
            self.bias_ = np.concatenate([[0.0], res.x[1:]]) if nb else np.zeros(n_classes)
        self.n_classes_ = n_classes
        self.converged_ = bool(res.success)
        return self

    def _map(self, s: np.ndarray) -> np.ndarray:
        owner = type(self).__name__
        z = _to_logits(s, self.input, owner)
        if (z.ndim == 1) != (self.n_classes_ == 2):
            raise InvalidParameterError(
                f"{owner} was fitted on {self.n_classes_} classes; got scores of shape "
                f"{s.shape}."
            )
        u = z / self.temperature_ + self.bias_
        return expit(u) if z.ndim == 1 else softmax(u, axis=1)


class TemperatureScaling(_ScalingCalibrator):
    r"""Temperature scaling: :math:`\hat p = \sigma(z / T)` or :math:`\mathrm{softmax}(z / T)`.

    One parameter, fitted by log-loss on held-out data (Guo et al. 2017). It keeps the
    ranking and the 0.5 threshold (argmax); it fixes over- or under-confidence, not a
    shifted prior (use :class:`PlattScaling` for that).

    Parameters
    ----------
    input : {"logit", "proba"}, default="logit"
        What ``fit`` and ``transform`` receive.

    Attributes
    ----------
    temperature_ : float
    bias_ : float or ndarray
        Always 0 here.
    n_classes_ : int
    converged_ : bool

    References
    ----------
    Guo, Pleiss, Sun, Weinberger. On Calibration of Modern Neural Networks. ICML 2017.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> z = rng.normal(size=2000)
    >>> y = (rng.random(2000) < 1 / (1 + np.exp(-z))).astype(int)
    >>> round(TemperatureScaling().fit(3 * z, y).temperature_, 1)  # over-confident x3
    3.0
    """


class PlattScaling(_ScalingCalibrator):
    r"""Platt scaling with temperature and bias: :math:`\hat p = \sigma(z / T + b)`.

    Two parameters fitted by log-loss on held-out logits (multi-class: ``softmax(z / T +
    b)`` with one bias per class, the first fixed at 0). The bias absorbs a prior shift
    such as the one class weights, ``alpha`` or re-sampling cause.

    Parameters
    ----------
    input : {"logit", "proba"}, default="logit"

    Attributes
    ----------
    temperature_ : float
    bias_ : float or ndarray
    n_classes_ : int
    converged_ : bool

    Notes
    -----
    Platt (1999) fits :math:`\sigma(a s + b)` to the scores with slightly smoothed
    targets; we fit plain log-loss (``a = 1/T``, restricted to ``a > 0`` so the ranking
    is kept).

    References
    ----------
    Platt. Probabilistic Outputs for Support Vector Machines and Comparisons to Regularized
    Likelihood Methods. 1999.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> z = rng.normal(size=4000)
    >>> y = (rng.random(4000) < 1 / (1 + np.exp(-z))).astype(int)
    >>> cal = PlattScaling().fit(2 * (z + np.log(9)), y)  # odds x 9, over-confident x2
    >>> round(cal.temperature_, 1), round(cal.bias_ / float(np.log(9)), 1)
    (2.0, -1.0)
    """

    _bias = True


class IsotonicCalibrator(_Calibrator):
    """Isotonic regression of the labels on the scores (binary; non-parametric).

    Wraps ``sklearn.isotonic.IsotonicRegression(out_of_bounds="clip")``. Flexible, keeps
    the ranking up to ties, but needs enough validation data (hundreds of positives) and
    returns a step function.

    Parameters
    ----------
    input : {"proba", "logit"}, default="proba"
        Any monotone score works; this only checks the range.

    Attributes
    ----------
    isotonic_ : IsotonicRegression
    n_classes_ : int

    References
    ----------
    Zadrozny, Elkan. Transforming Classifier Scores into Accurate Multiclass Probability
    Estimates. KDD 2002.

    Examples
    --------
    >>> cal = IsotonicCalibrator().fit([0.1, 0.2, 0.3, 0.4], [0, 0, 1, 1])
    >>> cal.transform([0.15, 0.35]).tolist()
    [0.0, 1.0]
    """

    def __init__(self, *, input: str = "proba") -> None:
        self.input = input

    def fit(self, scores: Any, y: Any, sample_weight: Any = None) -> IsotonicCalibrator:
        """Fit the isotonic map on held-out ``(scores, y)``.

        Parameters
        ----------
        scores : array_like of shape (n,) or (n, 2)
        y : array_like of shape (n,)
            Labels in {0, 1}.
        sample_weight : array_like of shape (n,), optional

        Returns
        -------
        self
        """
        from sklearn.isotonic import IsotonicRegression

        owner = "IsotonicCalibrator"
        check_in(self.input, ("logit", "proba"), "input", owner)
        s = self._score(_as_scores(scores, owner))
        yy = _labels(y, s.shape[0], 2, owner)
        sw = _sample_weight(sample_weight, s.shape[0])
        self.isotonic_ = IsotonicRegression(y_min=0.0, y_max=1.0, out_of_bounds="clip")
        self.isotonic_.fit(s, yy.astype(np.float64), sample_weight=sw)
        self.n_classes_ = 2
        return self

    def _score(self, s: np.ndarray) -> np.ndarray:
        if self.input == "proba":
            return _binary_proba(s, "IsotonicCalibrator")
        if s.ndim != 1:
            raise InvalidParameterError("IsotonicCalibrator is binary: pass (n,) logits.")
        return s

    def _map(self, s: np.ndarray) -> np.ndarray:
        return np.asarray(self.isotonic_.predict(self._score(s)), dtype=np.float64)


# --------------------------------------------------------------------------- exact maps
class FocalPosteriorCalibrator(_Calibrator):
    r"""The exact focal->posterior map as a calibrator (nothing is fitted).

    A sigmoid focal model's output :math:`q` corresponds, at the population optimum, to
    the posterior :math:`\eta(q)` of :func:`focalkit.focal_to_posterior`; output 0.5 means
    posterior ``1 - alpha`` for every ``gamma``. Use the ``gamma``, ``alpha`` and
    ``pos_weight`` the model was trained with.

    Parameters
    ----------
    gamma : float, default=2.0
    alpha : float or None, default=None
        The *resolved* alpha (e.g. ``1 - prevalence`` for ``"balanced"``).
    pos_weight : float or None, default=None
    input : {"proba", "logit"}, default="proba"

    Attributes
    ----------
    n_classes_ : int

    Notes
    -----
    Exact only where the model fits the population optimum; in practice follow it with
    :class:`TemperatureScaling` or compare with :class:`PlattScaling` on validation data
    (:func:`calibration_report`).

    Examples
    --------
    >>> cal = FocalPosteriorCalibrator(gamma=2.0, alpha=0.9).fit([0.5], [1])
    >>> round(float(cal.transform([0.5])[0]), 3)
    0.1
    """

    def __init__(self, *, gamma: float = 2.0, alpha: Any = None, pos_weight: Any = None,
                 input: str = "proba") -> None:
        self.gamma = gamma
        self.alpha = alpha
        self.pos_weight = pos_weight
        self.input = input

    def fit(self, scores: Any = None, y: Any = None,
            sample_weight: Any = None) -> FocalPosteriorCalibrator:
        """Validate the parameters (the map has nothing to fit).

        Parameters
        ----------
        scores, y, sample_weight
            Ignored; accepted so the calibrators are interchangeable.

        Returns
        -------
        self
        """
        owner = "FocalPosteriorCalibrator"
        g = check_gamma(self.gamma, owner)
        if not isinstance(g, float):
            raise param_error("gamma", owner, "a float in [0, inf)", self.gamma)
        if self.alpha is not None and not (isinstance(self.alpha, (int, float))
                                           and 0 < self.alpha < 1):
            raise param_error("alpha", owner, "None or a float in (0, 1)", self.alpha)
        if self.pos_weight is not None and not (isinstance(self.pos_weight, (int, float))
                                                and self.pos_weight > 0):
            raise param_error("pos_weight", owner, "None or a float > 0", self.pos_weight)
        check_in(self.input, ("logit", "proba"), "input", owner)
        self.n_classes_ = 2
        return self

    def _map(self, s: np.ndarray) -> np.ndarray:
        q = expit(s) if self.input == "logit" else _binary_proba(s, "FocalPosteriorCalibrator")
        if self.input == "logit" and s.ndim != 1:
            raise InvalidParameterError("FocalPosteriorCalibrator is binary: pass (n,) logits.")
        return focal_to_posterior(q, gamma=float(self.gamma), alpha=self.alpha,
                                  pos_weight=self.pos_weight)


def odds_correction_factor(
    *,
    pos_weight: float = 1.0,
    neg_weight: float = 1.0,
    alpha: float | None = None,
    sampling_ratio: float = 1.0,
    train_prevalence: float | None = None,
    true_prevalence: float | None = None,
) -> float:
    r"""The factor :math:`k` with posterior odds = :math:`k` x model odds.

    A model trained by (weighted) log-loss estimates odds inflated by the weight of the
    positives relative to the negatives, and by how much more often re-sampling kept the
    positives. The factors multiply:

    .. math::

        k = \frac{w_0}{w_1}\cdot\frac{1-\alpha}{\alpha}\cdot r\cdot
            \frac{\pi/(1-\pi)}{\pi_s/(1-\pi_s)}

    Parameters
    ----------
    pos_weight, neg_weight : float, default=1.0
        Class weights of the training loss (:math:`w_1`, :math:`w_0`), e.g. PyTorch's
        ``pos_weight`` or scikit-learn's ``class_weight``.
    alpha : float or None, default=None
        Alpha of an alpha-weighted log-loss (positives alpha, negatives 1 - alpha).
    sampling_ratio : float, default=1.0
        :math:`r`: the rate at which negatives were kept (or replicated) divided by the
        rate for positives. Oversampling the positives 9x gives 1/9; keeping 10 % of the
        negatives gives 0.1.
    train_prevalence, true_prevalence : float, optional
        Alternatively, the positive rate the model was trained on (:math:`\pi_s`) and the
        one to predict for (:math:`\pi`); give both or neither.

    Returns
    -------
    float

    Notes
    -----
    Exact for log-loss (and its weighted and re-sampled variants) at the population
    optimum; for focal loss use :class:`FocalPosteriorCalibrator` instead.

    Examples
    --------
    >>> odds_correction_factor(pos_weight=9.0)
    0.1111111111111111
    >>> round(odds_correction_factor(train_prevalence=0.5, true_prevalence=0.1), 4)
    0.1111
    """
    owner = "odds_correction_factor"
    k = 1.0
    for name, v in (("pos_weight", pos_weight), ("neg_weight", neg_weight),
                    ("sampling_ratio", sampling_ratio)):
        if not isinstance(v, (int, float)) or isinstance(v, bool) or not 0 < v < math.inf:
            raise param_error(name, owner, "a float in (0, inf)", v)
    k *= neg_weight / pos_weight * sampling_ratio
    if alpha is not None:
        if not isinstance(alpha, (int, float)) or not 0 < alpha < 1:
            raise param_error("alpha", owner, "None or a float in (0, 1)", alpha)
        k *= (1.0 - alpha) / alpha
    if (train_prevalence is None) != (true_prevalence is None):
        raise InvalidParameterError(
            f"{owner}: give both train_prevalence and true_prevalence, or neither."
        )
    if train_prevalence is not None and true_prevalence is not None:
        for name, v in (("train_prevalence", train_prevalence),
                        ("true_prevalence", true_prevalence)):
            if not isinstance(v, (int, float)) or not 0 < v < 1:
                raise param_error(name, owner, "a float in (0, 1)", v)
        k *= (true_prevalence / (1 - true_prevalence)) / (
            train_prevalence / (1 - train_prevalence))
    return float(k)


def correct_odds(prob: Any, factor: float) -> np.ndarray:
    r"""Multiply the odds of ``prob`` by ``factor``: :math:`\sigma(\mathrm{logit}(p) + \log k)`.

    Parameters
    ----------
    prob : array_like
        Probabilities of class 1 in [0, 1] (0 and 1 stay where they are).
    factor : float
        From :func:`odds_correction_factor`.

    Returns
    -------
    ndarray

    Examples
    --------
    >>> round(float(correct_odds(0.5, 1 / 9)), 3)
    0.1
    """
    if not isinstance(factor, (int, float)) or not 0 < factor < math.inf:
        raise param_error("factor", "correct_odds", "a float in (0, inf)", factor)
    p = np.asarray(prob, dtype=np.float64)
    if np.any(~(p >= 0)) or np.any(p > 1):
        raise InvalidParameterError("correct_odds: prob must be probabilities in [0, 1].")
    with np.errstate(divide="ignore"):
        z = np.log(p) - np.log1p(-p)
    return expit(z + math.log(factor))


class OddsCorrection(_Calibrator):
    """Undo class weights, ``alpha`` or re-sampling: posterior odds = k x model odds.

    Binary: see :func:`odds_correction_factor` for ``k``. Multi-class: give
    ``class_weight`` (weights or re-sampling rates per class); the posterior is
    proportional to ``p_k / w_k``.

    Parameters
    ----------
    pos_weight, neg_weight, alpha, sampling_ratio, train_prevalence, true_prevalence
        As in :func:`odds_correction_factor` (binary).
    class_weight : sequence of float, optional
        Multi-class weights / sampling rates; exclusive with the binary parameters.
    input : {"proba", "logit"}, default="proba"

    Attributes
    ----------
    factor_ : float
        The binary odds factor (None for multi-class).
    n_classes_ : int

    Examples
    --------
    >>> cal = OddsCorrection(pos_weight=9.0).fit()
    >>> round(float(cal.transform([0.5])[0]), 3)
    0.1
    """

    def __init__(self, *, pos_weight: float = 1.0, neg_weight: float = 1.0,
                 alpha: float | None = None, sampling_ratio: float = 1.0,
                 train_prevalence: float | None = None, true_prevalence: float | None = None,
                 class_weight: Any = None, input: str = "proba") -> None:
        self.pos_weight = pos_weight
        self.neg_weight = neg_weight
        self.alpha = alpha
        self.sampling_ratio = sampling_ratio
        self.train_prevalence = train_prevalence
        self.true_prevalence = true_prevalence
        self.class_weight = class_weight
        self.input = input

    def fit(self, scores: Any = None, y: Any = None, sample_weight: Any = None) -> OddsCorrection:
        """Validate the parameters and compute the factor (nothing is learned from data).

        Parameters
        ----------
        scores, y, sample_weight
            Ignored.

        Returns
        -------
        self
        """
        owner = "OddsCorrection"
        check_in(self.input, ("logit", "proba"), "input", owner)
        if self.class_weight is not None:
            w = np.asarray(self.class_weight, dtype=np.float64)
            if w.ndim != 1 or w.size < 2 or np.any(~np.isfinite(w)) or np.any(w <= 0):
                raise param_error("class_weight", owner, "a vector of weights > 0",
                                  self.class_weight)
            self.factor_ = None
            self.n_classes_ = int(w.size)
            self._w = w
        else:
            self.factor_ = odds_correction_factor(
                pos_weight=self.pos_weight, neg_weight=self.neg_weight, alpha=self.alpha,
                sampling_ratio=self.sampling_ratio, train_prevalence=self.train_prevalence,
                true_prevalence=self.true_prevalence)
            self.n_classes_ = 2
        return self

    def _map(self, s: np.ndarray) -> np.ndarray:
        if self.factor_ is None:
            if s.ndim != 2 or s.shape[1] != self.n_classes_:
                raise InvalidParameterError(
                    f"OddsCorrection: expected (n, {self.n_classes_}) scores; got {s.shape}."
                )
            if self.input == "logit":
                logp = log_softmax(s, axis=1)
            else:
                logp = np.log(np.clip(s, 1e-300, 1.0))
            return softmax(logp - np.log(self._w), axis=1)
        if self.input == "logit":
            if s.ndim != 1:
                raise InvalidParameterError("OddsCorrection (binary): pass (n,) logits.")
            return expit(s + math.log(self.factor_))
        return correct_odds(_binary_proba(s, "OddsCorrection"), self.factor_)


def posterior_calibrator(estimator: Any) -> _Calibrator:
    """The exact, fit-free posterior map of a fitted binary classifier's loss.

    Reads the estimator's resolved loss spec (``loss_spec_``, e.g. of
    :class:`~focalkit.sklearn.FocalMLPClassifier`), its
    :meth:`~focalkit.losses.LossSpec.posterior_map`, and the resolved class weights
    (``class_weight_``), and returns the calibrator that maps ``predict_proba(X)[:, 1]``
    back to posteriors:

    * ``("focal", {gamma, alpha, pos_weight})`` (focal loss):
      :class:`FocalPosteriorCalibrator`;
    * ``("odds", {pos_weight, alpha})`` (BCE with ``alpha`` / ``pos_weight``, weighted BCE,
      logit-adjusted BCE): :class:`OddsCorrection` by that factor;
    * ``("identity", {})``: :class:`OddsCorrection` for the class weights only.

    Class weights are included; per-sample weights that differ by class are not known to
    the estimator and are not undone. Losses without a map (``posterior_map()`` is None)
    raise: use :class:`PlattScaling` on validation data.

    Parameters
    ----------
    estimator : FocalMLPClassifier
        Fitted, binary.

    Returns
    -------
    calibrator
        Already fitted; ``transform(proba_of_class_1)``.

    Examples
    --------
    >>> from sklearn.datasets import make_classification
    >>> from focalkit.sklearn import FocalMLPClassifier
    >>> X, y = make_classification(300, weights=[0.9], random_state=0)
    >>> clf = FocalMLPClassifier("weighted_bce", max_epochs=5, random_state=0).fit(X, y)
    >>> type(posterior_calibrator(clf)).__name__
    'OddsCorrection'
    """
    owner = "posterior_calibrator"
    if not hasattr(estimator, "loss_spec_") or not hasattr(estimator, "classes_"):
        raise InvalidParameterError(
            f"{owner} needs a fitted classifier with a loss spec (loss_spec_), such as a "
            "fitted FocalMLPClassifier."
        )
    if len(estimator.classes_) != 2:
        raise InvalidParameterError(f"{owner} supports binary classifiers only.")
    spec = estimator.loss_spec_
    mapping = spec.posterior_map() if spec is not None and spec.kind == "sigmoid" else None
    if mapping is None:
        name = getattr(estimator, "loss_", None) if spec is None else spec.name
        raise InvalidParameterError(
            f"{owner}: the loss {name!r} has no exact posterior map; fit PlattScaling on "
            "validation data instead."
        )
    cw = getattr(estimator, "class_weight_", None)
    class_ratio = 1.0 if cw is None else float(cw[1]) / float(cw[0])
    kind, params = mapping
    if kind == "focal":
        pw = params.get("pos_weight")
        pos_weight = None if pw is None and cw is None else (
            (1.0 if pw is None else float(pw)) * class_ratio)
        return FocalPosteriorCalibrator(gamma=float(params["gamma"]), alpha=params["alpha"],
                                        pos_weight=pos_weight, input="proba").fit()
    if kind == "odds":
        return OddsCorrection(pos_weight=float(params["pos_weight"]) * class_ratio,
                              alpha=params.get("alpha")).fit()
    if kind == "identity":
        return OddsCorrection(pos_weight=class_ratio).fit()
    raise AssertionError(f"unknown posterior map {kind!r} of {spec!r}")  # pragma: no cover


# --------------------------------------------------------------------------- thresholds
class ThresholdTuner(BaseEstimator):
    """Pick the decision threshold that maximises a metric on validation scores.

    A thin object around :func:`focalkit.metrics.tune_threshold`.

    Parameters
    ----------
    metric : str or callable, default="f1"
        One of ``focalkit.metrics.THRESHOLD_METRICS`` ("f1", "balanced_accuracy", "gmean",
        "mcc", "accuracy") or ``metric(y_true, y_pred) -> float``.

    Attributes
    ----------
    threshold_ : float
        Predict class 1 where ``score >= threshold_``.

    Examples
    --------
    >>> tuner = ThresholdTuner().fit([0.1, 0.2, 0.3, 0.35, 0.4, 0.6, 0.7, 0.9],
    ...                              [0, 0, 0, 0, 1, 0, 1, 1])
    >>> round(tuner.threshold_, 3), tuner.predict([0.2, 0.5]).tolist()
    (0.375, [0, 1])
    """

    def __init__(self, metric: Any = "f1") -> None:
        self.metric = metric

    def fit(self, scores: Any, y: Any) -> ThresholdTuner:
        """Tune on validation ``scores`` (probabilities or logits of class 1) and labels.

        Parameters
        ----------
        scores : array_like of shape (n,) or (n, 2)
        y : array_like of shape (n,)
            Labels in {0, 1}.

        Returns
        -------
        self
        """
        s = _as_scores(scores, "ThresholdTuner")
        if s.ndim == 2:
            s = _binary_proba(s, "ThresholdTuner")
        self.threshold_ = float(tune_threshold(y, s, metric=self.metric))
        return self

    def predict(self, scores: Any) -> np.ndarray:
        """0/1 predictions: ``score >= threshold_``.

        Parameters
        ----------
        scores : array_like of shape (n,) or (n, 2)

        Returns
        -------
        ndarray of int
        """
        if not hasattr(self, "threshold_"):
            raise InvalidParameterError("This ThresholdTuner is not fitted yet.")
        s = _as_scores(scores, "ThresholdTuner")
        if s.ndim == 2:
            s = _binary_proba(s, "ThresholdTuner")
        return (s >= self.threshold_).astype(np.int64)


def _scorer(metric: Any) -> Any:
    if callable(metric) or (isinstance(metric, str) and metric not in THRESHOLD_METRICS):
        return metric  # a scikit-learn scorer name or callable scorer
    from sklearn.metrics import make_scorer, matthews_corrcoef

    from focalkit.metrics import geometric_mean_score

    return {"f1": "f1", "balanced_accuracy": "balanced_accuracy", "accuracy": "accuracy",
            "mcc": make_scorer(matthews_corrcoef),
            "gmean": make_scorer(geometric_mean_score)}[metric]


def tuned_threshold_classifier(estimator: Any, *, metric: Any = "f1", cv: Any = 5,
                               refit: bool = True, random_state: Any = None,
                               **kwargs: Any) -> Any:
    """Wrap ``estimator`` in scikit-learn's ``TunedThresholdClassifierCV``.

    The threshold is tuned by cross-validation inside ``fit`` (so it never sees the test
    data) for one of focalkit's metric names or any scikit-learn scorer.

    Parameters
    ----------
    estimator : classifier
        Any binary classifier with ``predict_proba`` or ``decision_function``.
    metric : str or scorer, default="f1"
        "f1", "balanced_accuracy", "gmean", "mcc", "accuracy", another scikit-learn scorer
        name, or a scorer object.
    cv : int, splitter or "prefit", default=5
    refit : bool, default=True
    random_state : int or None, default=None
    **kwargs
        Passed on (e.g. ``thresholds``, ``n_jobs``).

    Returns
    -------
    sklearn.model_selection.TunedThresholdClassifierCV
        Unfitted.

    Examples
    --------
    >>> from sklearn.linear_model import LogisticRegression
    >>> clf = tuned_threshold_classifier(LogisticRegression(), metric="gmean")
    >>> type(clf).__name__
    'TunedThresholdClassifierCV'
    """
    from sklearn.model_selection import TunedThresholdClassifierCV

    return TunedThresholdClassifierCV(estimator, scoring=_scorer(metric), cv=cv, refit=refit,
                                      random_state=random_state, **kwargs)


# --------------------------------------------------------------------------- reporting
def _metrics(y: np.ndarray, p: np.ndarray, n_bins: int) -> dict[str, float]:
    if p.ndim == 1:
        pc = np.clip(p, _EPS, 1 - _EPS)
        return {
            "ece": ece_loss(y, p, n_bins=n_bins),
            "brier": float(np.mean((p - y) ** 2)),
            "log_loss": float(-np.mean(y * np.log(pc) + (1 - y) * np.log1p(-pc))),
        }
    onehot = np.eye(p.shape[1])[y]
    conf = p.max(axis=1)
    correct = (p.argmax(axis=1) == y).astype(np.int64)
    return {
        "ece": ece_loss(correct, conf, n_bins=n_bins),  # top-label ECE
        "brier": float(np.mean(np.sum((p - onehot) ** 2, axis=1))),
        "log_loss": float(-np.mean(np.log(np.clip(p[np.arange(y.size), y], _EPS, 1.0)))),
    }


def calibration_report(y_true: Any, proba_before: Any, proba_after: Any, *,
                       n_bins: int = 10) -> dict[str, dict[str, float]]:
    """ECE, Brier score and log-loss before and after recalibration, on the same data.

    Report these on held-out (test) data, with the calibrator fitted on validation data.

    Parameters
    ----------
    y_true : array_like of shape (n,)
        Labels (``{0, 1}`` for binary).
    proba_before, proba_after : array_like
        Probabilities of class 1 ``(n,)`` or class probabilities ``(n, C)``. For ``C > 2``
        the ECE is the top-label (confidence) ECE of Guo et al. (2017).
    n_bins : int, default=10
        Equal-width bins of :func:`focalkit.metrics.ece_loss`.

    Returns
    -------
    dict
        ``{"before": {"ece", "brier", "log_loss"}, "after": {...}, "change": {...}}``
        (change = after - before; negative is better for all three).

    Examples
    --------
    >>> rep = calibration_report([0, 0, 1, 1], [0.4, 0.6, 0.4, 0.6], [0.1, 0.2, 0.8, 0.9])
    >>> round(rep["before"]["brier"], 3), round(rep["after"]["brier"], 3)
    (0.26, 0.025)
    """
    out: dict[str, dict[str, float]] = {}
    yy = None
    for key, proba in (("before", proba_before), ("after", proba_after)):
        p = np.asarray(proba, dtype=np.float64)
        if p.ndim == 2 and p.shape[1] == 2:
            p = p[:, 1]
        if p.ndim not in (1, 2) or np.any(~np.isfinite(p)) or np.any(p < 0) or np.any(p > 1):
            raise InvalidParameterError(
                f"calibration_report: proba_{key} must be probabilities of shape (n,) or "
                f"(n, C) in [0, 1]."
            )
        yy = _labels(y_true, p.shape[0], 2 if p.ndim == 1 else p.shape[1],
                     "calibration_report")
        out[key] = _metrics(yy, p, n_bins)
    out["change"] = {k: out["after"][k] - out["before"][k] for k in out["before"]}
    return out


def get_calibrator(method: str, **params: Any) -> _Calibrator:
    """Build a calibrator by name.

    Parameters
    ----------
    method : {"temperature", "platt", "isotonic", "focal", "odds"}
    **params
        Passed to the class (:class:`TemperatureScaling`, :class:`PlattScaling`,
        :class:`IsotonicCalibrator`, :class:`FocalPosteriorCalibrator`,
        :class:`OddsCorrection`).

    Returns
    -------
    calibrator
        Unfitted.

    Examples
    --------
    >>> get_calibrator("platt")
    PlattScaling()
    """
    classes: dict[str, Any] = {
        "temperature": TemperatureScaling, "platt": PlattScaling,
        "isotonic": IsotonicCalibrator, "focal": FocalPosteriorCalibrator,
        "odds": OddsCorrection,
    }
    check_in(method, CALIBRATION_METHODS, "method", "get_calibrator")
    return classes[method](**params)
