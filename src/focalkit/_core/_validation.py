"""Parameter checks shared by every layer, with one message template per kind."""

from __future__ import annotations

import math
from collections.abc import Sequence
from numbers import Real
from typing import Any

import numpy as np

from focalkit.exceptions import InvalidParameterError

__all__ = [
    "HESSIAN_KINDS",
    "check_alpha",
    "check_float",
    "check_gamma",
    "check_hessian",
    "check_in",
    "check_int",
    "check_nonneg_float",
    "check_same_shape",
    "param_error",
]

HESSIAN_KINDS = ("irls", "clipped", "exact")


def param_error(name: str, owner: str, expected: str, got: Any) -> InvalidParameterError:
    """Build the house error: ``The 'x' parameter of Owner must be ... Got ...``."""
    return InvalidParameterError(
        f"The '{name}' parameter of {owner} must be {expected}. Got {got!r}."
    )


def _is_real(x: Any) -> bool:
    return isinstance(x, Real) and not isinstance(x, bool)


def check_nonneg_float(value: Any, name: str, owner: str) -> float:
    """A finite float >= 0."""
    if not _is_real(value) or not math.isfinite(float(value)) or float(value) < 0:
        raise param_error(name, owner, "a float in [0, inf)", value)
    return float(value)


def check_float(value: Any, name: str, owner: str, *, low: float = 0.0,
                open_low: bool = False, high: float = math.inf,
                open_high: bool = True) -> float:
    """A finite real number in an interval (closed unless ``open_low`` / ``open_high``)."""
    ok = _is_real(value) and math.isfinite(float(value))
    if ok:
        v = float(value)
        ok = (v > low if open_low else v >= low) and (v < high if open_high else v <= high)
    if not ok:
        lo, hi = ("(" if open_low else "["), (")" if open_high else "]")
        raise param_error(name, owner, f"a float in {lo}{low}, {high}{hi}", value)
    return float(value)


def check_int(value: Any, name: str, owner: str, *, low: int = 0) -> int:
    """An integer (not a bool) >= ``low``."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
        raise param_error(name, owner, f"an int in [{low}, inf)", value)
    return int(value)


def check_gamma(gamma: Any, owner: str, *, n: int | None = None) -> Any:
    """``gamma``: a float >= 0, or (when ``n`` is given) a length-``n`` vector of them.

    Returns a Python float, or a float64 NumPy vector for per-class/per-label gammas.
    """
    if _is_real(gamma):
        return check_nonneg_float(gamma, "gamma", owner)
    if hasattr(gamma, "detach"):  # a torch tensor
        gamma = gamma.detach().cpu().numpy()
    if isinstance(gamma, (Sequence, np.ndarray)) and not isinstance(gamma, str):
        arr = np.asarray(gamma, dtype=float)
        ok = arr.ndim == 1 and np.all(np.isfinite(arr)) and np.all(arr >= 0)
        if ok and (n is None or arr.shape[0] == n):
            return arr
        expected = "a float in [0, inf) or a 1-D vector of them"
        if n is not None:
            expected += f" with one entry per class ({n})"
        raise param_error("gamma", owner, expected, gamma)
    raise param_error("gamma", owner, "a float in [0, inf) or a 1-D vector of them", gamma)


def check_alpha(alpha: Any, owner: str, *, allow_balanced: bool = True) -> Any:
    """``alpha``: None, a float in [0, 1], a vector of them (per label) or ``"balanced"``."""
    if alpha is None:
        return None
    if isinstance(alpha, str):
        if allow_balanced and alpha == "balanced":
            return alpha
    elif _is_real(alpha):
        if 0.0 <= float(alpha) <= 1.0:
            return float(alpha)
    else:
        if hasattr(alpha, "detach"):
            alpha = alpha.detach().cpu().numpy()
        arr = np.asarray(alpha, dtype=float) if not isinstance(alpha, dict) else None
        if arr is not None and arr.ndim == 1 and np.all((arr >= 0) & (arr <= 1)):
            return arr
    expected = "None, a float in [0, 1], a vector of such floats"
    expected += ", or 'balanced'" if allow_balanced else ""
    raise param_error("alpha", owner, expected, alpha)


def check_hessian(hessian: Any, owner: str) -> str:
    """``hessian``: one of 'irls', 'clipped', 'exact'."""
    return check_in(hessian, HESSIAN_KINDS, "hessian", owner)


def check_in(value: Any, options: Sequence[Any], name: str, owner: str) -> Any:
    """``value`` must be one of ``options``."""
    if isinstance(value, str) and value in options:
        return value
    listed = ", ".join(repr(o) for o in options)
    raise param_error(name, owner, f"one of {listed}", value)


def check_same_shape(a: Any, b: Any, a_name: str = "input", b_name: str = "target") -> None:
    """Raise the house shape error when ``a`` and ``b`` differ in shape."""
    sa, sb = tuple(a.shape), tuple(b.shape)
    if sa != sb:
        raise InvalidParameterError(
            f"{a_name} and {b_name} must have the same shape; got {sa} and {sb}."
        )
