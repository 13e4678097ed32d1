r"""Fused NumPy/numba kernel for the binary focal gradient and Hessian (boosters only).

This is a *kernel*: the mathematics is that of :mod:`focalkit._core.binary` (the tests
compare every output with ``_core`` to float64 tolerance for ``gamma`` in
{0, 0.25, 0.5, 1, 2, 5}, ``alpha`` None/0.25 and margins up to +-1e4). It exists because
boosters call the objective once per round on millions of margins, and the NumPy path of
``_core`` makes about twenty passes over memory.

One pass per element, computed in float64 whatever the input dtype:

* ``e = exp(-|z|)`` and ``log1p(e)`` are evaluated with branch-free polynomials (a
  Cody-Waite reduced Taylor series for ``exp``, the ``atanh`` series for ``log1p``), so that
  LLVM vectorises the loop (numba has no vector math library without Intel's SVML); their
  error is a few ulp;
* ``q**gamma`` is ``exp(-gamma * softplus(+-z))`` (``q*q`` etc. for gamma in {0, 1, 2});
* both sides of the soft-target loss ``y L(z, 1) + (1 - y) L(z, 0)`` share ``e``.

When numba is missing, :func:`binary_focal_grad_hess_fast` falls back to ``_core``'s NumPy
path (same results, slower).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from focalkit._core import binary_focal_grad_hess

__all__ = ["HAVE_NUMBA", "binary_focal_grad_hess_fast"]

_HESSIAN_CODES = {"irls": 0, "clipped": 1, "exact": 2}

_numba: Any
try:  # numba is optional (the `cpu` extra)
    import numba as _numba
except ImportError:  # pragma: no cover - exercised where numba is absent
    _numba = None

HAVE_NUMBA = _numba is not None

if _numba is not None:
    _LOG2E = 1.4426950408889634
    _LN2_HI = 6.93147180369123816490e-01
    _LN2_LO = 1.90821492927058770002e-10
    _E = tuple(1.0 / math.factorial(i) for i in range(14))  # Taylor coefficients of exp
    _L = tuple(1.0 / (2 * i + 1) for i in range(17))  # atanh series coefficients
    _FM = {"contract"}  # FMA contraction only: no reassociation, no nan/inf assumptions

    @_numba.njit(inline="always", fastmath=_FM)
    def _expneg(x: float) -> float:  # pragma: no cover - compiled
        """exp(-x) for x >= 0, vectorisable (no libm call)."""
        x = min(x, 745.5)
        k = np.int64(x * _LOG2E + 0.5)
        kf = np.float64(k)
        t = (kf * _LN2_HI - x) + kf * _LN2_LO  # -(x - k ln2), |t| <= 0.35
        p = _E[13]
        p = p * t + _E[12]
        p = p * t + _E[11]
        p = p * t + _E[10]
        p = p * t + _E[9]
        p = p * t + _E[8]
        p = p * t + _E[7]
        p = p * t + _E[6]
        p = p * t + _E[5]
        p = p * t + _E[4]
        p = p * t + _E[3]
        p = p * t + _E[2]
        p = p * t + 1.0
        p = p * t + 1.0
        # 2**-k in two halves so that subnormal results round correctly
        k1 = k >> 1
        s1 = np.int64((1023 - k1) << 52).view(np.float64)
        s2 = np.int64((1023 - (k - k1)) << 52).view(np.float64)
        return (p * s1) * s2

    @_numba.njit(inline="always", fastmath=_FM)
    def _atanh_poly(s2: float) -> float:  # pragma: no cover - compiled
        """sum_i s2**i / (2 i + 1), i < 17: log1p(e) = 2 s P(s^2), s = e / (2 + e) <= 1/3."""
        p = _L[16]
        p = p * s2 + _L[15]
        p = p * s2 + _L[14]
        p = p * s2 + _L[13]
        p = p * s2 + _L[12]
        p = p * s2 + _L[11]
        p = p * s2 + _L[10]
        p = p * s2 + _L[9]
        p = p * s2 + _L[8]
        p = p * s2 + _L[7]
        p = p * s2 + _L[6]
        p = p * s2 + _L[5]
        p = p * s2 + _L[4]
        p = p * s2 + _L[3]
        p = p * s2 + _L[2]
        p = p * s2 + _L[1]
        return p * s2 + 1.0

    @_numba.njit(inline="always", fastmath=_FM)
    def _qpow(q: float, nlog_q: float, gamma: float, gmode: int) -> float:  # pragma: no cover
        if gmode == 0:
            return 1.0
        if gmode == 1:
            return q
        if gmode == 2:
            return q * q
        return _expneg(gamma * nlog_q)

    def _kernel_py(z, y, w, has_w, gamma, gmode, a1, a0, kind, floor, g_out, h_out):  # noqa: D103
        # pragma: no cover - one fused pass per element (see the module docstring)
        n = z.shape[0]
        for i in _numba.prange(n):
            zi = np.float64(z[i])
            yi = np.float64(y[i])
            a = abs(zi)
            e = _expneg(a)
            d = 1.0 / ((1.0 + e) * (2.0 + e))
            big_p = (2.0 + e) * d  # 1 / (1 + e): the larger of p, 1 - p
            h2 = (1.0 + e) * d  # 1 / (2 + e)
            s = e * h2
            poly = _atanh_poly(s * s)
            lp1 = 2.0 * s * poly  # log1p(e)
            ratio = 2.0 * h2 * poly  # log1p(e) / e (-> 1 as e -> 0)
            small_p = e * big_p
            big_nlog = lp1 + a  # -log(small probability)
            r_small_q = (1.0 + e) * ratio  # r = -log p_t / q when p_t is the larger side
            r_big_q = (1.0 + e) * big_nlog
            pos = zi >= 0
            # positive side (target 1): p_t = sigmoid(z), q = 1 - p_t
            pt1 = big_p if pos else small_p
            q1 = small_p if pos else big_p
            r1 = r_small_q if pos else r_big_q
            nlq1 = big_nlog if pos else lp1  # -log q1
            # negative side (target 0): p_t = 1 - sigmoid(z)
            pt0 = q1
            q0 = pt1
            r0 = r_big_q if pos else r_small_q
            nlq0 = lp1 if pos else big_nlog
            c1 = yi * a1
            c0 = (1.0 - yi) * a0
            qp1 = _qpow(q1, nlq1, gamma, gmode)
            qp0 = _qpow(q0, nlq0, gamma, gmode)
            w1 = qp1 * (1.0 + gamma * pt1 * r1)
            w0 = qp0 * (1.0 + gamma * pt0 * r0)
            g = c0 * w0 * q0 - c1 * w1 * q1
            if kind == 0:
                h = c1 * w1 * pt1 * q1 + c0 * w0 * pt0 * q0
            else:
                k1 = 1.0 + 2.0 * gamma
                h = c1 * pt1 * q1 * qp1 * (k1 - gamma * (1.0 - (1.0 + gamma) * pt1) * r1)
                h += c0 * pt0 * q0 * qp0 * (k1 - gamma * (1.0 - (1.0 + gamma) * pt0) * r0)
                if kind == 1:
                    h = max(h, floor)
            if has_w:
                wi = np.float64(w[i])
                g *= wi
                h *= wi
            g_out[i] = g
            h_out[i] = h

    # One thread by default: extra worker threads keep spinning after the call and fight the
    # booster's own OpenMP threads (measured: 30x slower objective calls inside xgb.train).
    # The parallel build (prange: no aliasing, so LLVM vectorises) runs with 1 thread unless
    # n_threads > 1 is asked for.
    _kernel_parallel = _numba.njit(parallel=True, cache=True, fastmath=_FM)(_kernel_py)


def _gamma_mode(gamma: float) -> int:
    return {0.0: 0, 1.0: 1, 2.0: 2}.get(float(gamma), 3)


def binary_focal_grad_hess_fast(
    z: Any,
    y: Any,
    *,
    gamma: float = 2.0,
    alpha: float | None = None,
    hessian: str = "irls",
    hessian_floor: float = 1e-6,
    weight: Any = None,
    n_threads: int | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Weighted binary focal gradient and Hessian of 1-D margins in one fused pass.

    Parameters
    ----------
    z : ndarray of shape (n,)
        Margins, float32 or float64; the outputs have this dtype.
    y : array_like of shape (n,)
        Targets in [0, 1].
    gamma : float, default=2.0
        Scalar focusing parameter (per-label vectors go through ``_core``).
    alpha : float or None, default=None
        Scalar positive-class weight, already resolved.
    hessian : {"irls", "clipped", "exact"}, default="irls"
        As in :func:`focalkit.binary_focal_hessian`.
    hessian_floor : float, default=1e-6
        Floor of ``"clipped"`` (applied before the sample weight).
    weight : array_like of shape (n,), optional
        Sample weights multiplying both outputs.
    n_threads : int, optional
        numba threads for this call. Default (None): 1, which does not compete with the
        booster's own OpenMP threads; more only helps when the booster is idle meanwhile.

    Returns
    -------
    grad, hess : ndarray of shape (n,)

    Examples
    --------
    >>> import numpy as np
    >>> g, h = binary_focal_grad_hess_fast(np.array([0.0]), np.array([1.0]), gamma=2.0)
    >>> round(float(g[0]), 4), round(float(h[0]), 4)
    (-0.2983, 0.1491)
    """
    z = np.ascontiguousarray(z)
    if z.dtype not in (np.float32, np.float64):
        z = z.astype(np.float64)
    y = np.ascontiguousarray(y, dtype=z.dtype)
    w = None if weight is None else np.ascontiguousarray(weight, dtype=z.dtype)
    if _numba is None:
        g, h = binary_focal_grad_hess(
            z, y, gamma=gamma, alpha=alpha, hessian=hessian, hessian_floor=hessian_floor
        )
        if w is not None:
            g, h = g * w, h * w
        return g, h
    a1 = 1.0 if alpha is None else float(alpha)
    a0 = 1.0 if alpha is None else 1.0 - float(alpha)
    g_out = np.empty_like(z)
    h_out = np.empty_like(z)
    args = (
        z, y, z if w is None else w, w is not None, float(gamma), _gamma_mode(gamma),
        a1, a0, _HESSIAN_CODES[hessian], float(hessian_floor), g_out, h_out,
    )
    threads = 1 if n_threads is None else int(n_threads)
    before = _numba.get_num_threads()
    _numba.set_num_threads(max(1, min(threads, _numba.config.NUMBA_NUM_THREADS)))
    try:
        _kernel_parallel(*args)
    finally:
        _numba.set_num_threads(before)
    return g_out, h_out
