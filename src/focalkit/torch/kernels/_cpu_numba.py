"""numba kernels of the CPU fast path (compiled lazily per dtype, cached on disk).

Each kernel processes a range of fixed-size blocks so that a Python thread pool can split
the work (``nogil=True``); the reductions are two-stage: one partial sum per block (summed
pairwise inside the block), then a small sum over the blocks in the caller.

The mathematics is that of :mod:`focalkit._core.binary` and :mod:`focalkit._core.softmax`
(the bounded-ratio form, finite for every gamma >= 0), with the primitives of
:mod:`._npmath` so that the loops vectorise.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from numba import njit

from focalkit.torch.kernels._npmath import exp_neg, expm1_neg, ipow, log1p_unit

_OPTS: dict[str, Any] = {"nogil": True, "cache": True, "fastmath": False, "error_model": "numpy"}
_INLINE: dict[str, Any] = dict(_OPTS, forceinline=True)


@njit(**_INLINE)
def _qpow(q, nlog_q, g, ig):  # type: ignore[no-untyped-def]
    """q**g: by multiplication for small integer g (ig >= 0), else exp(-g * (-log q))."""
    if ig >= 0:
        return ipow(q, ig)
    return exp_neg(-g * nlog_q)


@njit(**_INLINE)
def _binary_elem(z, y, a1, a0, g, ig, want_grad):  # type: ignore[no-untyped-def]
    """Loss (want_grad False) or dL/dz of one element; y may be soft."""
    one = type(z)(1.0)
    az = abs(z)
    e = exp_neg(-az)
    lp1 = log1p_unit(e)
    u = one + e
    inv = one / u
    pos = z >= 0
    ei = e * inv
    p = inv if pos else ei  # sigmoid(z)
    pm = ei if pos else inv  # 1 - sigmoid(z)
    nlog_p = lp1 if pos else lp1 + az
    nlog_pm = lp1 + az if pos else lp1
    q1 = _qpow(pm, nlog_pm, g, ig)
    q0 = _qpow(p, nlog_p, g, ig)
    c1 = y * a1
    c0 = (one - y) * a0
    if not want_grad:
        return c1 * q1 * nlog_p + c0 * q0 * nlog_pm
    c = lp1 / e if e > 0 else one  # log1p(e) / e -> 1
    r1 = u * (c if pos else nlog_p)
    r0 = u * (nlog_pm if pos else c)
    w1 = q1 * (one + g * p * r1)
    w0 = q0 * (one + g * pm * r0)
    return c0 * w0 * p - c1 * w1 * pm


@njit(**_OPTS)
def _tree_sum(buf, m):  # type: ignore[no-untyped-def]
    """Pairwise sum of buf[:m] (overwrites buf); vectorisable passes."""
    if m == 0:
        return 0.0
    while m > 1:
        h = m // 2
        o = m - h
        for k in range(h):
            buf[k] += buf[k + o]
        m = o
    return float(buf[0])


@njit(**_OPTS)
def binary_blocks(  # type: ignore[no-untyped-def]
    x, y, w, w_full, a1, a1_full, a0, go, go_full, g, ig, block, b0, b1, out, partial, mode
):
    """Mode 0: partial[b] = sum of block b's loss; 1: out = loss; 2: out = grad."""
    n = x.size
    buf = np.empty(block, dtype=x.dtype)
    want_grad = mode == 2
    for b in range(b0, b1):
        s = b * block
        m = min(block, n - s)
        # slices, so that every index below is a provably non-negative loop counter
        # (numba's negative-index wraparound would otherwise turn the loads into gathers)
        xs = x[s : s + m]
        ys = y[s : s + m]
        ws = w[s : s + m] if w_full else w[:m]
        a1s = a1[s : s + m] if a1_full else a1[:m]
        gos = go[s : s + m] if go_full else go[:m]
        for k in range(m):
            v = _binary_elem(xs[k], ys[k], a1s[k], a0, g, ig, want_grad)
            buf[k] = v * ws[k] * gos[k]
        if mode == 0:
            partial[b] = _tree_sum(buf, m)
        else:
            outs = out[s : s + m]
            for k in range(m):
                outs[k] = buf[k]


# Row max and row sum may be reassociated (vectorised): a NaN logit still gives NaN
# through exp(x - max), and a reassociated sum of positive terms loses no accuracy class.
_REDUCE: dict[str, Any] = dict(_INLINE, fastmath={"nnan", "ninf", "nsz", "reassoc"})


@njit(**_REDUCE)
def _row_max(xr, c):  # type: ignore[no-untyped-def]
    m = xr[0]
    for k in range(1, c):
        m = max(m, xr[k])
    return m


@njit(**_REDUCE)
def _sum(buf, c):  # type: ignore[no-untyped-def]
    acc = buf[0] - buf[0]
    for k in range(c):
        acc += buf[k]
    return acc


@njit(**_INLINE)
def _row_lse(xr, c, buf):  # type: ignore[no-untyped-def]
    """log-sum-exp of the row xr[:c] (buf: scratch of length >= c)."""
    m = _row_max(xr, c)
    for k in range(c):
        buf[k] = exp_neg(xr[k] - m)
    return m + type(m)(math.log(_sum(buf, c)))


@njit(**_INLINE)
def _qpow_direct(q, g, ig):  # type: ignore[no-untyped-def]
    """q**g for q in [0, 1] when -log q is not at hand."""
    if ig >= 0:
        return ipow(q, ig)
    return exp_neg(g * math.log(q))  # q = 0: exp_neg(-inf) underflows to 0


@njit(**_OPTS)
def softmax_rows(  # type: ignore[no-untyped-def]
    x, t, cw, fe, fy, smooth, ignore_index, go, go_full, g, ig, r0, r1, out, partial, mode
):
    """Softmax focal over rows [r0, r1) of the (n, c) logits ``x``.

    mode 0: partial[r] = loss of row r (0 for ignored rows); 2: out = grad of the rows,
    scaled by go[r] (go_full) or go[0]. ``cw`` is the class-weight vector (ones if none);
    with label smoothing ``eps`` (``smooth``), ``fe = eps / C`` and ``fy = 1 - eps``.
    """
    c = x.shape[1]
    one = x.dtype.type(1.0)
    zero = x.dtype.type(0.0)
    buf = np.empty(c, dtype=x.dtype)
    for r in range(r0, r1):
        xr = x[r]  # row views: loop counters index them (no wraparound, vectorisable)
        outr = out[r] if mode == 2 else out[0]
        y = t[r]
        scale = go[r] if go_full else go[0]
        if y == ignore_index:
            if mode == 0:
                partial[r] = 0.0
            else:
                for k in range(c):
                    outr[k] = zero
            continue
        lse = _row_lse(xr, c, buf)
        if not smooth:
            # only the target class enters: L = a_y q^g (-log p_y); g_j = a_y w_y (p_j - [j=y])
            lpy = xr[y] - lse
            qy = -expm1_neg(lpy)
            nl = -lpy
            qp = _qpow_direct(qy, g, ig)
            ay = cw[y]
            if mode == 0:
                partial[r] = float(ay * qp * nl)
                continue
            ry = nl / qy if qy > 0 else one
            coef = ay * qp * (one + g * (one - qy) * ry) * scale
            for k in range(c):
                outr[k] = coef * exp_neg(xr[k] - lse)
            outr[y] = outr[y] - coef
            continue
        # label smoothing: c_k = a_k (eps / C + (1 - eps) [k = y]); every class enters
        for k in range(c):
            lp = xr[k] - lse
            q = -expm1_neg(lp)
            qp = _qpow_direct(q, g, ig)
            ck = cw[k] * (fe + (fy if k == y else zero))
            if mode == 0:
                buf[k] = ck * qp * (-lp)
            else:
                rk = -lp / q if q > 0 else one
                buf[k] = ck * qp * (one + g * (one - q) * rk)
        if mode == 0:
            partial[r] = _sum(buf, c)
            continue
        ssum = _sum(buf, c)
        for k in range(c):
            outr[k] = (exp_neg(xr[k] - lse) * ssum - buf[k]) * scale
