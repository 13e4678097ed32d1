r"""Fused numba kernels for the binary focal gradient and Hessian (boosters only).

These are *kernels*: the mathematics is that of :mod:`focalkit._core.binary` (the tests
compare every output with ``_core``, for ``gamma`` in {0, 0.25, 0.5, 1, 2, 5}, ``alpha``
None/0.25 and margins up to +-1e4: 1e-11 relative in float64, 1e-6 in float32). They exist
because boosters call the objective once per round on millions of margins, and the NumPy
path of ``_core`` makes about twenty passes over memory.

Two kernels, one pass over memory each:

* the *hard-target* kernel (labels exactly 0 or 1, any Hessian, float32 or float64 margins):
  only the side of the true class, ``p_t = sigmoid(s z)`` with ``s = 2 y - 1``. float32
  margins with ``hessian="irls"`` (XGBoost's case) and ``gamma`` in {0, 0.25, 0.5, 1, 2}
  use float32 arithmetic (16 lanes per AVX-512 vector; ``q**gamma`` by products and square
  roots); everything else float64 arithmetic (a float32 ``exp(-gamma * softplus(.))`` would
  amplify float32 rounding), with polynomials accurate to a few 1e-10 for float32 results
  and ~1e-13 for float64 ones. A label that is not exactly 0 or 1 is counted, and the
  call falls back to the general kernel (which is taken at once when one of the first 256
  labels is soft);
* the *general* kernel (soft targets): computed in float64 whatever the input dtype; both
  sides of the soft-target loss ``y L(z, 1) + (1 - y) L(z, 0)`` share ``e = exp(-|z|)``.

``exp`` is a branch-free primitive of :mod:`focalkit._numba.npmath`, shared with the torch
CPU kernels: ``exp_neg`` (a few ulp) in float32 arithmetic, ``exp_neg_short`` (degree 9
instead of 13, 1e-13 relative) for float64 results, which need no more (the gradient of a
soft target near its optimum, the worst case, then agrees with ``_core`` to a fifth of the
tested tolerance); float64 arithmetic with float32 results uses the private
``_exp_neg_f32res`` (degree 7, 2e-10, one power of 2, 0 below ``exp(-708)``).
``q**gamma`` is a product for integer ``gamma`` and ``exp(-gamma * (-log q))`` otherwise.
``log1p(e) = 2 s P(s^2)`` with ``s = e / (2 + e)`` keeps its ``atanh`` polynomial ``P``
here, because the kernels also need the bounded ratio ``log1p(e) / e = 2 P(s^2) / (2 + e)``
(finite as ``e`` underflows to 0); ``P`` is a Chebyshev fit (degree 9 in ``s^2``: full
float64 accuracy where the Taylor series needs degree 16). All are plain arithmetic, so
LLVM vectorises the loops (numba has no vector math library without Intel's SVML). The
loops are limited by arithmetic, not memory (one float64 ``exp`` costs about 0.7-0.9 ms per
1e6 margins on the AVX-512 build machine), so each polynomial is as short as its use
allows. Loops are ``prange`` loops (numba then marks the arrays as not aliased, which the
vectoriser needs) run on one thread by default.

When numba is missing, :func:`binary_focal_grad_hess_fast` falls back to ``_core``'s NumPy
path (same results, slower).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from focalkit._core import binary_focal_grad_hess
from focalkit._core.losses.focal import SigmoidBCELoss, SigmoidFocalLoss

__all__ = [
    "FAST_HOOKS",
    "HAVE_NUMBA",
    "binary_focal_grad_hess_fast",
    "focal_fast_path",
    "hard_target_grad_hess",
    "serial_grad_hess_into",
    "serial_kernel_args",
]

_HESSIAN_CODES = {"irls": 0, "clipped": 1, "exact": 2}
_HEAD = 256  # labels looked at before trying the hard-target kernel

_numba: Any
try:  # numba is optional (the `cpu` extra)
    import numba as _numba
except ImportError:  # pragma: no cover - exercised where numba is absent
    _numba = None

HAVE_NUMBA = _numba is not None

if _numba is not None:
    from numba.extending import overload

    from focalkit._numba.npmath import exp_neg, exp_neg_short, ipow

    _FM = {"contract"}  # FMA contraction only: no reassociation, no nan/inf assumptions

    # P(t) = atanh(sqrt t) / sqrt t on t = s^2 in [0, 1/9], so log1p(e) = 2 s P(s^2) for
    # s = e / (2 + e) <= 1/3: Chebyshev fits (mpmath ``chebyfit``, 50 digits), highest degree
    # first. Degree 9: 5e-17 (float64 accuracy, where the Taylor series needs degree 16);
    # degree 5: 1.1e-10 (ample for the float32 results of the hard-target kernel).
    _ATANH9 = (
        0.08890381913056651, 0.04940394524382393, 0.06795652742789947, 0.07681838124445817,
        0.09091429900236955, 0.11111095430673142, 0.1428571455582858, 0.199999999976438,
        0.33333333333341286, 1.0,
    )
    _ATANH5 = (
        0.12196954042011512, 0.10699280253339272, 0.14310103704218619, 0.19999355623431167,
        0.33333339513216986, 0.9999999999045031,
    )

    @_numba.njit(inline="always", fastmath=_FM)
    def _atanh_poly(s2: float) -> float:  # pragma: no cover - compiled
        """P(s^2), degree 9: log1p(e) = 2 s P(s^2), s = e / (2 + e) <= 1/3."""
        p = _ATANH9[0]
        p = p * s2 + _ATANH9[1]
        p = p * s2 + _ATANH9[2]
        p = p * s2 + _ATANH9[3]
        p = p * s2 + _ATANH9[4]
        p = p * s2 + _ATANH9[5]
        p = p * s2 + _ATANH9[6]
        p = p * s2 + _ATANH9[7]
        p = p * s2 + _ATANH9[8]
        return p * s2 + _ATANH9[9]

    def _qpow_short(q, nlog_q, g, ig):  # type: ignore[no-untyped-def]
        """npmath.qpow with npmath.exp_neg_short (1e-13) for non-integer gamma."""
        raise NotImplementedError  # pragma: no cover - only the numba overload runs

    @overload(_qpow_short, jit_options={"forceinline": True})
    def _qpow_short_ol(q, nlog_q, g, ig):  # type: ignore[no-untyped-def]
        if isinstance(ig, _numba.types.Integer):

            def impl_int(q, nlog_q, g, ig):  # type: ignore[no-untyped-def]
                return ipow(q, ig)

            return impl_int

        def impl_exp(q, nlog_q, g, ig):  # type: ignore[no-untyped-def]
            return exp_neg_short(-g * nlog_q)

        return impl_exp

    def _kernel_py(z, y, w, has_w, gamma, ig, a1, a0, kind, floor, g_out, h_out):  # noqa: D103
        # pragma: no cover - one fused pass per element (see the module docstring)
        n = z.shape[0]
        for i in _numba.prange(n):
            zi = np.float64(z[i])
            yi = np.float64(y[i])
            a = abs(zi)
            e = exp_neg_short(-a)
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
            qp1 = _qpow_short(q1, nlq1, gamma, ig)
            qp0 = _qpow_short(q0, nlq0, gamma, ig)
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

    @_numba.njit(cache=True, fastmath=_FM, nogil=True)
    def _loss_sum_kernel(z, y, w, has_w, gamma, ig, a1, a0):  # pragma: no cover - compiled
        """(sum of w * focal loss, sum of w) over 0/1 labels, or (nan, -1) at another label.

        The arithmetic of :func:`_kernel_py` (one exp, the atanh series for log1p): the
        booster metrics' mean loss without the ~20 NumPy passes of ``_core``.
        """
        total = 0.0
        wsum = 0.0
        for i in range(z.shape[0]):
            yi = np.float64(y[i])
            if yi != 0.0 and yi != 1.0:
                return np.nan, -1.0
            zi = np.float64(z[i])
            a = abs(zi)
            e = exp_neg_short(-a)
            d = 1.0 / ((1.0 + e) * (2.0 + e))
            big_p = (2.0 + e) * d
            s = e * (1.0 + e) * d
            lp1 = 2.0 * s * _atanh_poly(s * s)  # log1p(e)
            small_p = e * big_p
            pos = zi >= 0
            if yi == 1.0:  # -log p_t = log1p(e) + max(-z, 0); q = 1 - p_t
                nlp = lp1 if pos else lp1 + a
                q = small_p if pos else big_p
                c = a1
            else:
                nlp = lp1 + a if pos else lp1
                q = big_p if pos else small_p
                c = a0
            nlq = 2.0 * lp1 + a - nlp  # -log q: the two sides' -log add up to 2 lp1 + |z|
            v = 0.0 if c == 0.0 else c * _qpow_short(q, nlq, gamma, ig) * nlp
            wi = np.float64(w[i]) if has_w else 1.0
            total += wi * v
            wsum += wi
        return total, wsum

    # -- hard-target kernels (float32 margins, labels 0/1, IRLS Hessian) -------------------
    _F0, _F1, _F2 = (np.float32(v) for v in (0.0, 1.0, 2.0))
    _FL = tuple(np.float32(1.0 / (2 * i + 1)) for i in range(8))

    @_numba.njit(inline="always", fastmath=_FM)
    def _atanh_poly_f32(s2: Any) -> Any:  # pragma: no cover - compiled
        p = _FL[7]
        p = p * s2 + _FL[6]
        p = p * s2 + _FL[5]
        p = p * s2 + _FL[4]
        p = p * s2 + _FL[3]
        p = p * s2 + _FL[2]
        p = p * s2 + _FL[1]
        return p * s2 + _F1

    @_numba.njit(inline="always", fastmath=_FM)
    def _atanh_poly_short(s2: float) -> float:  # pragma: no cover - compiled
        """P(s^2) of :func:`_atanh_poly`, degree 5 (1.1e-10)."""
        p = _ATANH5[0]
        p = p * s2 + _ATANH5[1]
        p = p * s2 + _ATANH5[2]
        p = p * s2 + _ATANH5[3]
        p = p * s2 + _ATANH5[4]
        return p * s2 + _ATANH5[5]

    # exp(r) ~ 1 + r + r^2 P(r) on |r| <= ln2 / 2, P of degree 5 (coefficients of r^7 ... r^2):
    # Chebyshev fit (mpmath chebyfit) of (exp(r) - 1 - r) / r^2; relative error 2.2e-10
    _EXP7 = (
        0.0001989098115697468, 0.001393364129062974, 0.008333310934190145,
        0.041666465003710317, 0.16666666681614514, 0.500000001345796,
    )

    @_numba.njit(inline="always", fastmath=_FM)
    def _exp_neg_f32res(x: float) -> float:  # pragma: no cover - compiled
        """exp(x) for float64 x <= 0 to 3e-10 relative, and 0 below -708.

        For float64 arithmetic whose results are rounded to float32: a degree-7 polynomial
        and a single power of 2 (exp(-708) = 3e-308 is far below float32's smallest number).
        """
        xc = max(x, -708.0)
        k = np.floor(xc * 1.4426950408889634 + 0.5)
        r = xc - k * 0.6931471805599453
        r2 = r * r
        r4 = r2 * r2
        p = ((1.0 + r) + r2 * (_EXP7[5] + _EXP7[4] * r)) + r4 * (
            (_EXP7[3] + _EXP7[2] * r) + r2 * (_EXP7[1] + _EXP7[0] * r)
        )
        v = p * np.int64((np.int64(k) + 1023) << 52).view(np.float64)
        return v if x >= -708.0 else 0.0

    def _make_hard_f32(gmode: int, parallel: bool = True) -> Any:
        """Float32-arithmetic kernel for gamma = {0: 0, 1: 1, 2: 2, 3: 0.5, 4: 0.25}[gmode]."""

        def kernel(z, y, w, has_w, gamma, a1, a0, floor, g_out, h_out):  # pragma: no cover
            n = z.shape[0]
            n_soft = 0
            for i in _numba.prange(n):
                zi = z[i]
                yi = y[i]
                n_soft += (yi != _F0) & (yi != _F1)
                lab = yi == _F1
                a = abs(zi)
                e = exp_neg(-a)
                ope = _F1 + e
                tpe = _F2 + e
                p_big = _F1 / ope  # the larger of sigmoid(z), 1 - sigmoid(z)
                h2 = _F1 / tpe
                s = e * h2
                poly = _atanh_poly_f32(s * s)  # log1p(e) = 2 s poly
                right = (zi >= _F0) == lab  # is p_t the larger side?
                p_small = e * p_big
                pt = p_big if right else p_small
                q = p_small if right else p_big
                # r = -log(p_t) / q, bounded (-> 1 as q -> 0)
                r = ope * (_F2 * h2 * poly if right else a + _F2 * s * poly)
                if gmode == 0:
                    qg = _F1
                elif gmode == 1:
                    qg = q
                elif gmode == 2:
                    qg = q * q
                elif gmode == 3:
                    qg = np.sqrt(q)
                else:
                    qg = np.sqrt(np.sqrt(q))
                wc = (a1 if lab else a0) * qg * (_F1 + gamma * pt * r)
                g = wc * q
                h = g * pt
                if lab:
                    g = -g
                if has_w:
                    g *= w[i]
                    h *= w[i]
                g_out[i] = g
                h_out[i] = h
            return n_soft

        return _numba.njit(parallel=parallel, cache=True, fastmath=_FM)(kernel)

    def _make_hard_f64(gint: int, kind: int, full: bool, parallel: bool = True) -> Any:
        """Float64-arithmetic kernel for any margins' dtype and Hessian.

        ``gint``: integer gamma (products), or -1 for any gamma (``exp``); ``kind``: 0 IRLS,
        1 clipped, 2 exact Hessian; ``full``: the full-accuracy ``atanh`` polynomial (float64
        results) or the short one (float32 results).
        """
        atanh = _atanh_poly if full else _atanh_poly_short
        exp_ = exp_neg_short if full else _exp_neg_f32res

        def kernel(z, y, w, has_w, gamma, a1, a0, floor, g_out, h_out):  # pragma: no cover
            n = z.shape[0]
            n_soft = 0
            k1 = 1.0 + 2.0 * gamma
            for i in _numba.prange(n):
                zi = np.float64(z[i])
                yi = y[i]
                n_soft += (yi != 0) & (yi != 1)
                lab = yi == 1
                a = abs(zi)
                e = exp_(-a)
                ope = 1.0 + e
                tpe = 2.0 + e
                d = 1.0 / (ope * tpe)
                p_big = tpe * d
                h2 = ope * d
                s = e * h2
                poly = atanh(s * s)
                right = (zi >= 0) == lab
                p_small = e * p_big
                pt = p_big if right else p_small
                q = p_small if right else p_big
                lp1 = 2.0 * s * poly
                r = ope * (2.0 * h2 * poly if right else a + lp1)
                if gint >= 0:
                    qg = 1.0
                    for _ in range(gint):  # unrolled: gint is a compile-time constant
                        qg *= q
                else:
                    qg = exp_(-gamma * (a + lp1 if right else lp1))
                cq = (a1 if lab else a0) * qg * q
                g = cq * (1.0 + gamma * pt * r)
                if kind == 0:
                    h = g * pt
                else:
                    h = cq * pt * (k1 - gamma * (1.0 - (1.0 + gamma) * pt) * r)
                    if kind == 1:
                        h = max(h, floor)
                if lab:
                    g = -g
                if has_w:
                    wi = np.float64(w[i])
                    g *= wi
                    h *= wi
                g_out[i] = g
                h_out[i] = h
            return n_soft

        return _numba.njit(parallel=parallel, cache=True, fastmath=_FM)(kernel)

    _HARD_CACHE: dict[tuple[Any, ...], Any] = {}


def _hard_kernel(gamma: float, dtype: Any = np.float32, kind: int = 0,
                 parallel: bool = True) -> tuple[Any, bool]:
    """(kernel, float32 arithmetic?) for a scalar ``gamma``, compiled on first use.

    ``parallel=False``: the serial build (no thread-pool launch per call), for many small
    calls (CatBoost's ranges of <= 1000 rows).
    """
    f32_modes = {0.0: 0, 1.0: 1, 2.0: 2, 0.5: 3, 0.25: 4}
    key: tuple[Any, ...]
    if dtype == np.float32 and kind == 0 and gamma in f32_modes:
        key = ("f32", f32_modes[gamma], parallel)
    else:
        gint = int(gamma) if gamma == int(gamma) and gamma <= 8 else -1
        key = ("f64", gint, kind, dtype == np.float64, parallel)
    if key not in _HARD_CACHE:
        make = _make_hard_f32 if key[0] == "f32" else _make_hard_f64
        _HARD_CACHE[key] = make(*key[1:])
    return _HARD_CACHE[key], key[0] == "f32"


def _gamma_ig(gamma: float) -> int | float:
    """``ig`` of :func:`focalkit._numba.npmath.qpow`: int (products) for gamma in 0..15."""
    g = float(gamma)
    return int(g) if g == int(g) and 0 <= g < 16 else g


def _run(kernel: Any, args: tuple[Any, ...], n_threads: int | None) -> Any:
    """Call a prange kernel on ``n_threads`` numba threads (default 1), then restore."""
    threads = 1 if n_threads is None else int(n_threads)
    before = _numba.get_num_threads()
    _numba.set_num_threads(max(1, min(threads, _numba.config.NUMBA_NUM_THREADS)))
    try:
        return kernel(*args)
    finally:
        _numba.set_num_threads(before)


def hard_target_grad_hess(
    z: Any,
    y: Any,
    *,
    gamma: float = 2.0,
    alpha: float | None = None,
    hessian: str = "irls",
    hessian_floor: float = 1e-6,
    weight: Any = None,
    n_threads: int | None = None,
) -> tuple[np.ndarray, np.ndarray] | None:
    """Gradient and Hessian of float32 margins with 0/1 labels, or None.

    The fast path of :func:`binary_focal_grad_hess_fast` (which also takes it for float64
    margins): one pass over the margins, the labels and the weights, computing only the
    side of the true class. It returns None, having computed nothing useful, when numba is
    missing, the margins are not float32, or some label is not exactly 0 or 1 (soft
    targets, or values that the caller must reject).

    Parameters
    ----------
    z : ndarray of shape (n,)
        Margins; only float32 takes this path.
    y : array_like of shape (n,)
        Labels.
    gamma : float, default=2.0
        Scalar focusing parameter.
    alpha : float or None, default=None
        Scalar positive-class weight, already resolved.
    hessian : {"irls", "clipped", "exact"}, default="irls"
        As in :func:`focalkit.binary_focal_hessian`.
    hessian_floor : float, default=1e-6
        Floor of ``"clipped"`` (applied before the sample weight).
    weight : array_like of shape (n,), optional
        Sample weights multiplying both outputs.
    n_threads : int, optional
        numba threads (default 1).

    Returns
    -------
    (grad, hess) or None
        float32 arrays of shape (n,).

    Notes
    -----
    ``hessian="irls"`` with ``gamma`` in {0, 0.25, 0.5, 1, 2} is computed in float32
    arithmetic, everything else in float64 (with polynomials as accurate as a float32
    result needs).

    Examples
    --------
    >>> import numpy as np
    >>> g, h = hard_target_grad_hess(np.zeros(1, np.float32), np.ones(1), gamma=2.0)
    >>> round(float(g[0]), 4), round(float(h[0]), 4)
    (-0.2983, 0.1491)
    """
    if not isinstance(z, np.ndarray) or z.dtype != np.float32:
        return None
    return _hard_target(
        z, y, gamma=gamma, alpha=alpha, hessian=hessian, hessian_floor=hessian_floor,
        weight=weight, n_threads=n_threads,
    )


def _hard_target(
    z: Any, y: Any, *, gamma: float, alpha: float | None, hessian: str,
    hessian_floor: float, weight: Any, n_threads: int | None,
) -> tuple[np.ndarray, np.ndarray] | None:
    """:func:`hard_target_grad_hess` for float32 or float64 margins."""
    if (
        _numba is None or not isinstance(z, np.ndarray) or z.ndim != 1
        or z.dtype not in (np.float32, np.float64)
    ):
        return None
    y = np.asarray(y)
    if y.dtype.kind not in "biuf" or y.shape != z.shape:
        return None
    z = np.ascontiguousarray(z)
    # float labels are read in their own dtype (0/1 tested exactly), others as z's dtype
    y = np.ascontiguousarray(y, dtype=y.dtype if y.dtype in (np.float32, np.float64)
                             else z.dtype)
    kernel, f32 = _hard_kernel(float(gamma), z.dtype, _HESSIAN_CODES[hessian])
    ftype = np.float32 if f32 else np.float64
    w = None if weight is None else np.ascontiguousarray(weight, dtype=z.dtype)
    a1 = 1.0 if alpha is None else float(alpha)
    a0 = 1.0 if alpha is None else 1.0 - float(alpha)
    g_out = np.empty_like(z)
    h_out = np.empty_like(z)
    args = (
        z, y, z if w is None else w, w is not None, ftype(gamma), ftype(a1), ftype(a0),
        ftype(hessian_floor), g_out, h_out,
    )
    n_soft = _run(kernel, args, n_threads)
    return None if n_soft else (g_out, h_out)


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

    Notes
    -----
    0/1 labels take the one-sided hard-target kernel (:func:`hard_target_grad_hess`), soft
    targets the general float64 kernel (also when the labels' first 256 values are not all
    0/1, or when a label that is not 0 or 1 turns up later).

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
    head = np.asarray(y).reshape(-1)[:_HEAD]
    if np.all((head == 0) | (head == 1)):  # else soft targets: skip a pass that would fail
        out = _hard_target(
            z, y, gamma=gamma, alpha=alpha, hessian=hessian, hessian_floor=hessian_floor,
            weight=weight, n_threads=n_threads,
        )
        if out is not None:
            return out
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
        z, y, z if w is None else w, w is not None, float(gamma), _gamma_ig(gamma),
        a1, a0, _HESSIAN_CODES[hessian], float(hessian_floor), g_out, h_out,
    )
    _run(_kernel_parallel, args, n_threads)
    return g_out, h_out


def serial_kernel_args(spec: Any, hessian: str, hessian_floor: float) -> tuple[Any, ...] | None:
    """Arguments of :func:`serial_grad_hess_into` for a resolved spec, or None.

    Sigmoid focal loss and BCE with scalar ``gamma`` / ``alpha`` and no ``pos_weight``.
    """
    if _numba is None or type(spec) not in FAST_HOOKS:
        return None
    values = spec.values
    gamma, alpha = values.get("gamma", 0.0), values["alpha"]
    if values.get("pos_weight") is not None or isinstance(alpha, str) or np.ndim(gamma) \
            or np.ndim(alpha):
        return None
    return (float(gamma), None if alpha is None else float(alpha), _HESSIAN_CODES[hessian],
            float(hessian_floor))


def serial_grad_hess_into(args: tuple[Any, ...], z: np.ndarray, y: np.ndarray,
                          w: np.ndarray | None, g_out: np.ndarray, h_out: np.ndarray) -> bool:
    """The hard-target kernel's serial build on float64 margins, into ``g_out`` / ``h_out``.

    For many small calls from the booster's own threads (CatBoost's ``calc_ders_range``):
    no thread-pool launch, outputs written in place (they may be strided views). Returns
    False, with the outputs meaningless, when some label is not exactly 0 or 1 (the caller
    then takes the checked path, which raises or handles soft targets).
    """
    gamma, alpha, kind, floor = args
    kernel, _ = _hard_kernel(gamma, np.float64, kind, parallel=False)
    a1 = 1.0 if alpha is None else alpha
    a0 = 1.0 if alpha is None else 1.0 - alpha
    n_soft = kernel(z, y, z if w is None else w, w is not None, gamma, a1, a0, floor,
                    g_out, h_out)
    return n_soft == 0


def _per_label(value: Any, k: int) -> list[Any]:
    """``value`` (None, a float or one per label) as ``k`` floats or Nones."""
    if value is None:
        return [None] * k
    return [float(v) for v in np.broadcast_to(np.asarray(value, dtype=float), (k,))]


def focal_fast_path(
    spec: Any, z: np.ndarray, y: Any, w: np.ndarray | None, *, hessian: str,
    hessian_floor: float, n_threads: int | None, checked: bool,
) -> tuple[np.ndarray, np.ndarray] | None:
    """The kernels as the booster fast hook of the sigmoid focal spec (and BCE, gamma = 0).

    ``checked=False`` (labels not validated yet): float32 margins with ``hessian="irls"``
    and scalar, resolved parameters take the one-pass hard-target kernel, which also counts
    the labels that are not exactly 0 or 1; then (or in any other case) it returns None and
    the caller validates the labels and calls again with ``checked=True``: the hard-target
    or general kernel, column by column where ``gamma`` / ``alpha`` are per label.

    Returns None where the kernels do not apply (``pos_weight``, unresolved ``alpha``).
    ``w`` are the row weights (or None); the outputs are shaped like ``z``.
    """
    values = spec.values
    gamma, alpha = values.get("gamma", 0.0), values["alpha"]
    if values.get("pos_weight") is not None or isinstance(alpha, str):
        return None
    if not checked:
        if hessian != "irls" or z.dtype != np.float32 or np.ndim(gamma) or np.ndim(alpha):
            return None
        yv = np.asarray(y)
        if yv.size != z.size or (yv.shape != z.shape and yv.ndim != 1):
            return None
        if w is not None and z.ndim == 2:
            w = np.repeat(w, z.shape[1])
        out = hard_target_grad_hess(
            z.reshape(-1), yv.reshape(-1), gamma=float(gamma), alpha=alpha, weight=w,
            n_threads=n_threads,
        )
        return None if out is None else (out[0].reshape(z.shape), out[1].reshape(z.shape))
    yv = np.asarray(y)
    if z.ndim == 1 or (np.ndim(gamma) == 0 and np.ndim(alpha) == 0):
        ww = None if w is None else (w if z.ndim == 1 else np.repeat(w, z.shape[1]))
        g, h = binary_focal_grad_hess_fast(
            z.reshape(-1), yv.reshape(-1), gamma=float(gamma), alpha=alpha, weight=ww,
            n_threads=n_threads, hessian=hessian, hessian_floor=hessian_floor,
        )
        return g.reshape(z.shape), h.reshape(z.shape)
    g = np.empty(z.shape, dtype=z.dtype if z.dtype.kind == "f" else np.float64)
    h = np.empty_like(g)
    gammas, alphas = _per_label(gamma, z.shape[1]), _per_label(alpha, z.shape[1])
    for j in range(z.shape[1]):
        g[:, j], h[:, j] = binary_focal_grad_hess_fast(
            np.ascontiguousarray(z[:, j]), np.ascontiguousarray(yv[:, j]),
            gamma=float(gammas[j]), alpha=alphas[j], weight=w, n_threads=n_threads,
            hessian=hessian, hessian_floor=hessian_floor,
        )
    return g, h


#: Fast hooks of the booster adapters, by spec class: ``hook(spec, z, y, w, *, hessian,
#: hessian_floor, n_threads, checked)`` returns the same gradient and Hessian as
#: ``spec.grad_hess`` times the row weights (to kernel accuracy), or None to decline.
FAST_HOOKS: dict[type, Any] = {SigmoidFocalLoss: focal_fast_path, SigmoidBCELoss: focal_fast_path}


def serial_loss_mean(args: tuple[Any, ...], z: np.ndarray, y: np.ndarray,
                     w: np.ndarray | None) -> float | None:
    """Weighted mean focal loss of 1-D margins with 0/1 labels, in one serial pass.

    None where the kernel does not apply (another label value: the caller's checked path).
    """
    gamma, alpha = args[0], args[1]
    a1 = 1.0 if alpha is None else alpha
    a0 = 1.0 if alpha is None else 1.0 - alpha
    total, wsum = _loss_sum_kernel(z, y, z if w is None else w, w is not None, gamma,
                                   _gamma_ig(gamma), a1, a0)
    if wsum < 0:
        return None
    return total / wsum if wsum > 0 else math.nan  # as weighted_mean: nothing to average
