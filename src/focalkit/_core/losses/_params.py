"""Parameters shared by several loss specs, each declared (and validated) once."""

from __future__ import annotations

from typing import Any

import numpy as np

from focalkit._core._validation import _is_real, check_alpha, check_gamma, param_error
from focalkit._core.losses._spec import REQUIRED, Param, float_in

__all__ = [
    "ALPHA",
    "BETA",
    "CLASS_WEIGHT",
    "GAMMA",
    "LABEL_SMOOTHING",
    "POS_WEIGHT",
    "PRIOR",
    "TAU",
    "gamma_param",
]


def _gamma(value: Any, owner: str) -> Any:
    return check_gamma(value, owner)


def _alpha(value: Any, owner: str) -> Any:
    return check_alpha(value, owner)


def _positive_or_balanced(name: str, allow_none: bool) -> Any:
    vector = float_in(name, 0.0, open_low=True, vector=True)

    def check(value: Any, owner: str) -> Any:
        if value is None and allow_none:
            return None
        if value == "balanced" if isinstance(value, str) else False:
            return value
        try:
            return vector(value, owner)
        except ValueError:
            pass
        extra = "None, " if allow_none else ""
        raise param_error(name, owner, f"{extra}a float > 0, a vector of them or 'balanced'",
                          value)

    return check


def _class_weight(value: Any, owner: str) -> Any:
    if value is None or (isinstance(value, str) and value in ("balanced", "effective_number")):
        return value
    if isinstance(value, dict):
        return dict(value)
    if hasattr(value, "detach"):
        value = value.detach().cpu().numpy()
    try:
        arr = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        arr = None
    if arr is not None and arr.ndim == 1 and arr.size and np.all(np.isfinite(arr)) \
            and np.all(arr >= 0):
        return arr
    raise param_error("class_weight", owner, "None, a vector of weights >= 0, a dict keyed by "
                      "class, 'balanced' or 'effective_number'", value)


def _prior(value: Any, owner: str) -> Any:
    if _is_real(value) and 0.0 < float(value) < 1.0:
        return float(value)
    if not isinstance(value, str) and value is not None:
        if hasattr(value, "detach"):
            value = value.detach().cpu().numpy()
        try:
            arr = np.asarray(value, dtype=float)
        except (TypeError, ValueError):
            arr = None
        if arr is not None and arr.ndim == 1 and arr.size and np.all((arr > 0) & (arr < 1)):
            return arr
    raise param_error("prior", owner, "a float in (0, 1) (the positive rate) or a vector of "
                      "class / label priors in (0, 1)", value)


def gamma_param(default: float = 2.0, doc: str = "focusing parameter (>= 0, or one per "
                "class / label)") -> Param:
    """The focusing parameter, with a given default."""
    return Param("gamma", default, _gamma, doc)


GAMMA = gamma_param()
ALPHA = Param("alpha", None, _alpha,
              "weight of positives, negatives 1 - alpha (None, float, per label, 'balanced')")
POS_WEIGHT = Param("pos_weight", None, _positive_or_balanced("pos_weight", True),
                   "extra factor on the positive term (as PyTorch's pos_weight)")
CLASS_WEIGHT = Param("class_weight", None, _class_weight,
                     "per-class weights, 'balanced' or 'effective_number'")
BETA = Param("beta", 0.999, float_in("beta", 0.0, 1.0), "effective-number beta in [0, 1)")
LABEL_SMOOTHING = Param("label_smoothing", 0.0,
                        float_in("label_smoothing", 0.0, 1.0, open_high=False),
                        "label smoothing in [0, 1]")
PRIOR = Param("prior", REQUIRED, _prior, "class prior(s); computed from the labels if omitted")
TAU = Param("tau", 1.0, float_in("tau"), "strength of the logit adjustment (>= 0)")
