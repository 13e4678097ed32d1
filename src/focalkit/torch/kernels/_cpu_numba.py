"""numba kernels of the CPU fast path (compiled lazily per dtype, cached on disk).

Each kernel processes a range of fixed-size blocks so that a Python thread pool can split
the work (``nogil=True``); the reductions are two-stage: one partial sum per block (summed
pairwise inside the block), then a small sum over the blocks in the caller.

The mathematics is that of :mod:`focalkit._core.binary` and :mod:`focalkit._core.softmax`
(the bounded-ratio form, finite for every gamma >= 0), with the primitives of
:mod:`focalkit._numba.npmath` so that the loops vectorise.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from numba import carray, njit, types
from numba.extending import intrinsic

from focalkit._numba.npmath import (
    exp_neg,
    exp_neg_fma,
    expm1_neg,
    log1p_inv,
    log_pos,
    qpow,
    qpow_direct,
    row_max,
)

_OPTS: dict[str, Any] = {"nogil": True, "cache": True, "fastmath": False, "error_model": "numpy"}
_INLINE: dict[str, Any] = dict(_OPTS, forceinline=True)


@njit(**dict(_INLINE, fastmath={"contract"}))
def _hard_pair(z, yk, a1, a0, g, ig, guard):  # type: ignore[no-untyped-def]
    """(loss, dL/dz) of one element with a hard target ``yk`` in {0, 1}.

    Only the true class's side is computed, both results from one exp, one log1p and one
    power: with the margin ``s = (2 yk - 1) z``, ``p = sigmoid(s)`` and ``q = 1 - p``,
    L = a_t q^g (-log p) and dL/ds = -a_t q^g (q + g p (-log p)) (no ratio: finite for
    every gamma >= 0). At ``s = -inf`` the limits: ``p (-log p) -> 0`` (``-log p`` capped
    at 3e38, where ``p`` is 0 anyway), and with ``guard`` (the caller's constant, True
    where some ``a_t`` is 0) a zero ``a_t`` gives a zero loss, not 0 * inf; see
    :func:`_soft_elem`. Compiled with fused multiply-adds (1.3x faster on one thread).
    """
    one = type(z)(1.0)
    zero = type(z)(0.0)
    t = yk + yk - one
    s = z * t
    e = exp_neg(-abs(s))
    lp1, inv = log1p_inv(e)
    pos = s >= zero
    ei = e * inv
    p = inv if pos else ei
    q = ei if pos else inv
    nlog_p = lp1 + max(-s, zero)
    qg = qpow(q, lp1 + max(s, zero), g, ig)
    at = a0 + yk * (a1 - a0)
    v = at * qg * nlog_p
    if guard:
        v = zero if (at == zero) & (nlog_p == math.inf) else v
    pn = p * min(nlog_p, type(z)(3.0e38))  # p (-log p) -> 0 as p -> 0 (s = -inf)
    return v, -t * at * qg * (q + g * pn)


@njit(**_INLINE)
def _hard_elem(z, yk, a1, a0, g, ig, want_grad, guard):  # type: ignore[no-untyped-def]
    """Loss (or, ``want_grad``, dL/dz) of one element: one of :func:`_hard_pair`'s."""
    v, gr = _hard_pair(z, yk, a1, a0, g, ig, guard)
    return gr if want_grad else v


@njit(**_INLINE)
def _soft_elem(z, y, a1, a0, g, ig, want_grad):  # type: ignore[no-untyped-def]
    """Loss or dL/dz of one element with a soft target: y L(z, 1) + (1 - y) L(z, 0).

    Both sides share one exp, one log1p and one division (P = sigmoid(z), Q = 1 - P,
    A = -log P, B = -log Q): L = y a1 Q^g A + (1 - y) a0 P^g B,
    dL/dz = (1 - y) a0 P^g (P + g Q B) - y a1 Q^g (Q + g P A).
    At ``z = +-inf`` these are the limits (the rule of docs/torch.md): ``Q B -> 0`` and
    ``P A -> 0``, and a side whose coefficient is 0 adds 0 (not 0 * inf); only the NaN of
    a NaN logit propagates.
    """
    one = type(z)(1.0)
    zero = type(z)(0.0)
    e = exp_neg(-abs(z))
    lp1, inv = log1p_inv(e)
    pos = z >= zero
    ei = e * inv
    pp = inv if pos else ei
    qq = ei if pos else inv
    na = lp1 + max(-z, zero)
    nb = lp1 + max(z, zero)
    qg = qpow(qq, nb, g, ig)
    pg = qpow(pp, na, g, ig)
    c1 = y * a1
    c0 = (one - y) * a0
    if not want_grad:
        l1 = zero if (c1 == zero) & (na == math.inf) else c1 * qg * na
        l0 = zero if (c0 == zero) & (nb == math.inf) else c0 * pg * nb
        return l1 + l0
    qb = qq * nb if qq != zero else zero  # -> 0 as z -> +inf
    pa = pp * na if pp != zero else zero  # -> 0 as z -> -inf
    return c0 * pg * (pp + g * qb) - c1 * qg * (qq + g * pa)


@njit(**dict(_INLINE, fastmath={"reassoc", "nsz"}))
def _block_sum(buf, m):  # type: ignore[no-untyped-def]
    """Sum of buf[:m] in float64; reassociated (vectorised: many float64 partial sums).

    The order is fixed by the compiled code, so results do not depend on the threads.
    """
    acc = 0.0
    for k in range(m):
        acc += buf[k]
    return acc


@njit(**_OPTS)
def binary_hard_blocks(  # type: ignore[no-untyped-def]
    x, y, w, w_full, a1, a1_full, a0, go, go_full, g, ig, block, b0, b1, out, partial, mode,
    status, soft_flags, ign, zero_coef,
):
    """Blocks [b0, b1) whose targets are all exactly 0 or 1; the others are only flagged.

    Returns the number of blocks flagged soft (0 after a bad target).

    Mode 0: partial[b] = sum of block b's loss; 1: out = loss; 2: out = grad; 3 (small
    inputs, a forward that keeps its gradient): partial[b] as in mode 0 and out = the
    gradient times ``go`` (the backward scales it by the upstream gradient); 4 (the same
    for ``reduction="none"``): out = the gradient times ``go`` and partial (as long as
    the input) = the loss. Each block's
    targets are first checked in cache: a value outside [0, 1] (or NaN) in a forward mode
    sets ``status[0] = 1`` and stops (the public loss then raises its error); a block with
    any other value than 0 and 1 gets ``soft_flags[b] = 1`` and is left to
    :func:`binary_soft_blocks` (a separate kernel, so hard targets never compile it).
    ``ign``: NaN, or the ``ignore_index`` value: such targets are neither bad nor soft
    and their elements get loss and gradient 0 (NaN runs the loops without the test; a
    float, not None, so that numba's dispatch stays cheap). ``zero_coef``: some ``a_t``
    (``a0`` or an entry of ``a1``) is 0, so the loss loop guards 0 * inf.
    """
    n = x.size
    one = x.dtype.type(1.0)
    zero = x.dtype.type(0.0)
    buf = np.empty(block if mode == 0 or mode >= 3 else 1, dtype=x.dtype)
    want_grad = mode == 2
    n_soft = 0
    for b in range(b0, b1):
        s = b * block
        m = min(block, n - s)
        # slices, so that every index below is a provably non-negative loop counter
        # (numba's negative-index wraparound would otherwise turn the loads into gathers)
        xs = x[s : s + m]
        ys = y[s : s + m]
        soft = False
        bad = False
        if ign != ign:  # NaN: nothing ignored (one test per block)
            for k in range(m):
                v = ys[k]
                soft |= (v != 0) & (v != 1)
                bad |= not ((v >= 0) & (v <= 1))
        else:
            for k in range(m):
                v = ys[k]
                keep = v != ign
                soft |= (v != 0) & (v != 1) & keep
                bad |= (not ((v >= 0) & (v <= 1))) & keep
        if bad and mode != 2:
            status[0] = 1
            return 0
        soft_flags[b] = 1 if soft else 0
        if soft:
            n_soft += 1
            continue
        ws = w[s : s + m] if w_full else w[:m]
        a1s = a1[s : s + m] if a1_full else a1[:m]
        gos = go[s : s + m] if go_full else go[:m]
        if mode >= 3:  # loss and gradient of each element in one evaluation (small inputs)
            gr = out[s : s + m]
            for k in range(m):
                yk = one if ys[k] == 1 else zero
                vl, vg = _hard_pair(xs[k], yk, a1s[k], a0, g, ig, True)
                skip = ys[k] == ign  # never true for a NaN ign
                buf[k] = zero if skip else vl * ws[k]
                gr[k] = zero if skip else vg * ws[k] * gos[k]
            if mode == 3:
                partial[b] = _block_sum(buf, m)
            else:
                ls = partial[s : s + m]
                for k in range(m):
                    ls[k] = buf[k]
            continue
        dst = buf[:m] if mode == 0 else out[s : s + m]
        if ign == ign:  # an ignore value (NaN: none)
            for k in range(m):
                yk = one if ys[k] == 1 else zero
                v = _hard_elem(xs[k], yk, a1s[k], a0, g, ig, want_grad, True)
                dst[k] = zero if ys[k] == ign else v * ws[k] * gos[k]
        elif zero_coef:  # some a_t is 0: the guarded limit at infinite logits
            for k in range(m):
                yk = one if ys[k] != 0 else zero
                v = _hard_elem(xs[k], yk, a1s[k], a0, g, ig, want_grad, True)
                dst[k] = v * ws[k] * gos[k]
        else:
            for k in range(m):
                yk = one if ys[k] != 0 else zero
                v = _hard_elem(xs[k], yk, a1s[k], a0, g, ig, want_grad, False)
                dst[k] = v * ws[k] * gos[k]
        if mode == 0:
            partial[b] = _block_sum(buf, m)
    return n_soft


@njit(**_OPTS)
def binary_soft_blocks(  # type: ignore[no-untyped-def]
    x, y, w, w_full, a1, a1_full, a0, go, go_full, g, ig, block, b0, b1, out, partial, mode,
    soft_flags, ign,
):
    """The blocks in [b0, b1) flagged by :func:`binary_hard_blocks`: both sides per element."""
    n = x.size
    buf = np.empty(block if mode == 0 else 1, dtype=x.dtype)
    want_grad = mode == 2
    for b in range(b0, b1):
        if soft_flags[b] == 0:
            continue
        s = b * block
        m = min(block, n - s)
        xs = x[s : s + m]
        ys = y[s : s + m]
        ws = w[s : s + m] if w_full else w[:m]
        a1s = a1[s : s + m] if a1_full else a1[:m]
        gos = go[s : s + m] if go_full else go[:m]
        dst = buf[:m] if mode == 0 else out[s : s + m]
        if ign != ign:  # NaN: nothing ignored (one test per block)
            for k in range(m):
                v = _soft_elem(xs[k], x.dtype.type(ys[k]), a1s[k], a0, g, ig, want_grad)
                dst[k] = v * ws[k] * gos[k]
        else:
            zero = x.dtype.type(0.0)
            for k in range(m):
                yv = ys[k]
                keep = yv != ign
                v = _soft_elem(xs[k], x.dtype.type(yv if keep else 0), a1s[k], a0, g, ig,
                               want_grad)
                dst[k] = v * ws[k] * gos[k] if keep else zero
        if mode == 0:
            partial[b] = _block_sum(buf, m)


# The row sum may be reassociated (vectorised): a reassociated sum of positive terms loses
# no accuracy class. The row max is an integer max over the float bits (``row_max``).
_REDUCE: dict[str, Any] = dict(_INLINE, fastmath={"nnan", "ninf", "nsz", "reassoc"})


@njit(**_REDUCE)
def _sum(buf, c):  # type: ignore[no-untyped-def]
    acc = buf[0] - buf[0]
    for k in range(c):
        acc += buf[k]
    return acc


@njit(**_OPTS)
def softmax_rows(  # type: ignore[no-untyped-def]
    x, t, cw, fe, fy, smooth, ignore_index, go, go_full, g, ig, r0, r1, out, partial, mode,
    status,
):
    """Softmax focal over rows [r0, r1) of the (n, c) logits ``x``.

    mode 0: partial[r] = loss of row r (0 for ignored rows); 2: out = grad of the rows,
    scaled by go[r] (go_full) or go[0]. ``cw`` is the class-weight vector (ones if none);
    with label smoothing ``eps`` (``smooth``), ``fe = eps / C`` and ``fy = 1 - eps``.
    A label outside [0, C) (and not ``ignore_index``) sets ``status[0] = 1`` and stops.
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
        if y < 0 or y >= c:
            status[0] = 1
            return
        # buf = exp(x - max), ssum = its sum: lse = max + log(ssum), p_k = buf[k] / ssum
        mx = row_max(xr, c)
        for k in range(c):
            buf[k] = exp_neg(xr[k] - mx)
        ssum = _sum(buf, c)
        lse = mx + type(mx)(math.log(ssum))
        if not smooth:
            # only the target class enters: L = a_y q^g (-log p_y); g_j = a_y w_y (p_j - [j=y])
            lpy = xr[y] - lse
            qy = -expm1_neg(lpy)
            nl = -lpy
            qp = qpow_direct(qy, g, ig)
            ay = cw[y]
            if mode == 0:
                partial[r] = float(ay * qp * nl)
                continue
            ry = nl / qy if qy > 0 else one
            pr = (one - qy) * ry if qy != one else zero  # p_y (-log p_y) / q_y -> 0
            coef = ay * qp * (one + g * pr) * scale
            cs = coef / ssum
            for k in range(c):  # the exponentials of the lse pass, reused
                outr[k] = cs * buf[k]
            outr[y] = outr[y] - coef
            continue
        # label smoothing: c_k = a_k (eps / C + (1 - eps) [k = y]); every class enters
        for k in range(c):
            lp = xr[k] - lse
            q = -expm1_neg(lp)
            qp = qpow_direct(q, g, ig)
            ck = cw[k] * (fe + (fy if k == y else zero))
            if mode == 0:
                buf[k] = ck * qp * (-lp)
            else:
                rk = -lp / q if q > 0 else one
                pr = (one - q) * rk if q != one else zero  # -> 0 at a -inf logit
                buf[k] = ck * qp * (one + g * pr)
        if mode == 0:
            partial[r] = _sum(buf, c)
            continue
        ssum = _sum(buf, c)
        for k in range(c):
            outr[k] = (exp_neg(xr[k] - lse) * ssum - buf[k]) * scale


#: Elements per block of rows of :func:`softmax_hard_rows` (the exp buffer stays in L1).
SOFTMAX_BLOCK = 2048


@njit(**_INLINE)
def _gather_targets(tv, xv, by_class, cw, ignore_index, c, yy, xy, ay):  # type: ignore[no-untyped-def]
    """Labels of a block: ``yy`` (-1 where ignored), target logits ``xy``, class weights ``ay``.

    ``xv`` is the block's logits, (rows, C), or (C, positions) when ``by_class``. False
    at a label outside [0, C) that is not ``ignore_index``.
    """
    zero = xy.dtype.type(0.0)
    for i in range(tv.shape[0]):
        y = tv[i]
        if y == ignore_index:
            yy[i] = -1
            xy[i] = zero
            ay[i] = zero
            continue
        if y < 0 or y >= c:
            return False
        yy[i] = y
        xy[i] = xv[y, i] if by_class else xv[i, y]
        ay[i] = cw[y]
    return True


@njit(**_INLINE)
def _target_terms(m, mx, ss, xy, ay, g, ig, lg, res, coefs, want_loss, want_coef):  # type: ignore[no-untyped-def]
    """The target class's terms of ``m`` rows (vector loops), shared by the hard kernels.

    From the row maxima ``mx`` and sums of exp(x - max) ``ss``: ``res`` = L =
    a_y q^g (-log p_y) and ``coefs`` = a_y q^g (1 + g p_y (-log p_y) / q), the factor of
    the gradient ``g_j = coef (p_j - [j = y])`` (finite for every gamma; see
    :func:`softmax_rows`).
    """
    one = mx.dtype.type(1.0)
    zero = mx.dtype.type(0.0)
    for i in range(m):  # a loop of its own: it vectorises (2x faster kernels)
        lg[i] = log_pos(np.float64(ss[i]))
    for i in range(m):
        lse = mx[i] + type(mx[i])(lg[i])
        lpy = xy[i] - lse
        qy = -expm1_neg(lpy)
        nl = -lpy
        qp = qpow_direct(qy, g, ig)
        if want_loss:
            res[i] = ay[i] * qp * nl
        if want_coef:
            ry = nl / qy if qy > 0 else one
            pr = (one - qy) * ry if qy != one else zero  # -> 0 at a -inf target logit
            coefs[i] = ay[i] * qp * (one + g * pr)


@njit(**_OPTS)
def softmax_hard_rows(  # type: ignore[no-untyped-def]
    x, t, cw, ignore_index, go, go_full, g, ig, r0, r1, out, partial, wrow, smx, sss,
    have_stats, mode, status,
):
    """Softmax focal without label smoothing over rows [r0, r1), a block of rows at a time.

    The rows of a block (about ``SOFTMAX_BLOCK`` logits) go through each pass together, so
    that short rows (C = 80) do not end in scalar remainders: the exponentials as one flat
    loop over the block (``x - max`` first, each row's maximum broadcast over its row), and
    the per-row terms (log of the row sum, the target class's terms) as vector loops over
    the block's rows. The arithmetic per element is that of :func:`softmax_rows`.

    mode 0: partial[r] = loss of row r, wrow[r] = its class weight (0 for ignored rows),
    smx[r], sss[r] = the row's maximum and sum of exp(x - max) (for the backward);
    mode 2: out = grad of the rows, scaled by go[r] (go_full) or go[0], reading the row
    statistics from smx and sss when ``have_stats``; mode 3 (small inputs, a forward that
    keeps its gradient): what mode 0 writes, and ``out`` = the unscaled gradient. A label
    outside [0, C) (and not ``ignore_index``) sets ``status[0] = 1`` and stops.
    """
    c = x.shape[1]
    zero = x.dtype.type(0.0)
    rb_max = max(1, SOFTMAX_BLOCK // c)
    buf = np.empty(rb_max * c, dtype=x.dtype)
    mx = np.empty(rb_max, dtype=x.dtype)
    ss = np.empty(rb_max, dtype=x.dtype)
    xy = np.empty(rb_max, dtype=x.dtype)
    ay = np.empty(rb_max, dtype=x.dtype)
    res = np.empty(rb_max, dtype=x.dtype)
    coefs = np.empty(rb_max, dtype=x.dtype)
    lg = np.empty(rb_max, dtype=np.float64)
    yy = np.empty(rb_max, dtype=np.int64)
    for rb in range(r0, r1, rb_max):
        m = min(rb_max, r1 - rb)
        xb = x[rb : rb + m]
        # the labels (scalar: a gather and the range check per row)
        if not _gather_targets(t[rb : rb + m], xb, False, cw, ignore_index, c, yy, xy, ay):
            status[0] = 1
            return
        # row maxima and the exponentials exp(x - max), flat over the block
        if mode == 2 and have_stats:
            for i in range(m):
                mx[i] = smx[rb + i]
                ss[i] = sss[rb + i]
        else:
            for i in range(m):
                mx[i] = row_max(xb[i], c)
        for i in range(m):
            xi = xb[i]
            bi = buf[i * c : i * c + c]
            mi = mx[i]
            for k in range(c):
                bi[k] = xi[k] - mi
        bm = buf[: m * c]
        for k in range(m * c):
            bm[k] = exp_neg_fma(bm[k])
        if not (mode == 2 and have_stats):
            for i in range(m):
                ss[i] = _sum(buf[i * c : i * c + c], c)
        _target_terms(m, mx, ss, xy, ay, g, ig, lg, res, coefs, mode != 2, mode != 0)
        if mode != 2:
            for i in range(m):
                ok = yy[i] >= 0
                partial[rb + i] = float(res[i]) if ok else 0.0
                wrow[rb + i] = ay[i]
                smx[rb + i] = mx[i]
                sss[rb + i] = ss[i]
            if mode == 0:
                continue
        for i in range(m):
            r = rb + i
            outr = out[r]
            y = yy[i]
            if y < 0:
                for k in range(c):
                    outr[k] = zero
                continue
            coef = coefs[i] * (go[r] if go_full else go[0])
            cs = coef / ss[i]
            bi = buf[i * c : i * c + c]
            for k in range(c):  # the exponentials of the lse pass, reused
                outr[k] = cs * bi[k]
            outr[y] = outr[y] - coef


SOFTMAX_PLANE_BLOCK = 512  # positions per unit of work of softmax_hard_planes


@njit(**_OPTS)
def softmax_hard_planes(  # type: ignore[no-untyped-def]
    x, t, cw, ignore_index, go, go_full, g, ig, u0, u1, out, partial, wrow, smx, sss,
    have_stats, mode, status,
):
    """:func:`softmax_hard_rows` for ``(N, C, S)`` logits, the class axis strided.

    Segmentation's ``(N, C, H, W)`` as stored: no transposed copy of the logits or the
    gradient.

    A unit of work is ``SOFTMAX_PLANE_BLOCK`` positions of one image (units [u0, u1), image
    ``u // units_per_image``); every pass is a vector loop over the unit's positions, one
    class plane at a time (as torch's ``log_softmax`` over dim 1). ``t``, ``partial``,
    ``wrow``, ``smx``, ``sss`` and ``go`` (when ``go_full``) are ``(N, S)``; ``out`` is
    ``(N, C, S)``. The per-position arithmetic is that of :func:`softmax_hard_rows`.
    """
    c = x.shape[1]
    s_len = x.shape[2]
    sb = SOFTMAX_PLANE_BLOCK
    per_image = (s_len + sb - 1) // sb
    zero = x.dtype.type(0.0)
    mx = np.empty(sb, dtype=x.dtype)
    ss = np.empty(sb, dtype=x.dtype)
    xy = np.empty(sb, dtype=x.dtype)
    ay = np.empty(sb, dtype=x.dtype)
    res = np.empty(sb, dtype=x.dtype)
    cs = np.empty(sb, dtype=x.dtype)
    coefs = np.empty(sb, dtype=x.dtype)
    yy = np.empty(sb, dtype=np.int64)
    lg = np.empty(sb, dtype=np.float64)
    for u in range(u0, u1):
        n = u // per_image
        s0 = (u - n * per_image) * sb
        m = min(sb, s_len - s0)
        xn = x[n]
        if not _gather_targets(t[n, s0 : s0 + m], xn[:, s0 : s0 + m], True, cw, ignore_index,
                               c, yy, xy, ay):
            status[0] = 1
            return
        if mode == 2 and have_stats:
            for i in range(m):
                mx[i] = smx[n, s0 + i]
                ss[i] = sss[n, s0 + i]
        else:
            r = xn[0, s0 : s0 + m]
            for i in range(m):
                mx[i] = r[i]
            for k in range(1, c):
                r = xn[k, s0 : s0 + m]
                for i in range(m):
                    v = r[i]
                    mx[i] = v if v > mx[i] else mx[i]
            for i in range(m):
                ss[i] = zero
            for k in range(c):
                r = xn[k, s0 : s0 + m]
                for i in range(m):
                    ss[i] += exp_neg_fma(r[i] - mx[i])
        _target_terms(m, mx, ss, xy, ay, g, ig, lg, res, coefs, mode == 0, mode != 0)
        if mode == 0:
            for i in range(m):
                partial[n, s0 + i] = float(res[i]) if yy[i] >= 0 else 0.0
                wrow[n, s0 + i] = ay[i]
                smx[n, s0 + i] = mx[i]
                sss[n, s0 + i] = ss[i]
            continue
        for i in range(m):
            if yy[i] < 0:
                coefs[i] = zero
                cs[i] = zero
            else:
                coefs[i] = coefs[i] * (go[n, s0 + i] if go_full else go[0, 0])
                cs[i] = coefs[i] / ss[i]
        for k in range(c):
            r = xn[k, s0 : s0 + m]
            o = out[n, k, s0 : s0 + m]
            for i in range(m):  # the exponentials again: one read of the logits
                o[i] = cs[i] * exp_neg_fma(r[i] - mx[i])
        for i in range(m):
            y = yy[i]
            if y >= 0:
                out[n, y, s0 + i] = out[n, y, s0 + i] - coefs[i]


# --------------------------------------------------------------------------- small calls
@intrinsic
def _address_as(typingctx, address, like):  # type: ignore[no-untyped-def]
    """A pointer to values of ``like``'s dtype at ``address`` (an int64)."""
    sig = types.CPointer(like.dtype)(types.int64, like)

    def codegen(context, builder, signature, args):  # type: ignore[no-untyped-def]
        return builder.inttoptr(args[0], context.get_value_type(signature.return_type))

    return sig, codegen


#: Elements per block of :func:`binary_small_kernel` (that of the other binary kernels).
_SMALL_BLOCK = 8192
#: The label dtype of :func:`softmax_small_kernel` (an empty array: its type only).
_I64_WITNESS = np.empty(0, dtype=np.int64)


@njit(**_OPTS)
def binary_small_kernel(xp, yp, gp, lp, n, b0, b1, mode, a1v, a0, gov, g, ig, zero_coef, xw, yw):  # type: ignore[no-untyped-def]
    """The one-call kernel of a first-order binary call (the lane, one thread).

    Takes the addresses of the contiguous logits ``xp``, targets ``yp``, gradient ``gp``
    and (``mode`` 4, ``reduction="none"``) elementwise loss ``lp`` of ``n`` elements, their
    dtypes given by the empty arrays ``xw`` (logits, gradient, loss) and ``yw`` (targets);
    ``a1v``/``a0`` are the alpha weights, ``gov`` the gradient's scale (1/n for ``"mean"``).
    Runs the blocks [b0, b1) (of ``_SMALL_BLOCK`` elements; a thread's share).
    Returns ``(bad, total)``: mode 3's loss sum (the block sums added in block order), and
    ``bad`` = 1 for a target value outside [0, 1] (or NaN), the outputs then unset. Built
    on :func:`binary_hard_blocks` and :func:`binary_soft_blocks` (the mathematics of every
    other path). Addresses instead of arrays: NumPy views of four tensors would cost about
    4 us of a 30 us call.
    """
    x = carray(_address_as(xp, xw), n)
    y = carray(_address_as(yp, yw), n)
    gr = carray(_address_as(gp, xw), n)
    block = min(_SMALL_BLOCK, n)
    n_blocks = (n + block - 1) // block
    ones = np.ones(block, dtype=xw.dtype)
    a1 = np.full(block, a1v, dtype=xw.dtype)
    go = np.full(block, gov, dtype=xw.dtype)
    ign = xw.dtype.type(np.nan)
    status = np.zeros(1, dtype=np.int64)
    soft = np.empty(n_blocks, dtype=np.uint8)
    partial = np.empty(n_blocks, dtype=np.float64)  # mode 3's block sums
    total = 0.0
    if mode == 4:  # the loss straight into its tensor
        ls = carray(_address_as(lp, xw), n)
        n_soft = binary_hard_blocks(x, y, ones, False, a1, False, a0, go, False, g, ig, block,
                                    b0, b1, gr, ls, 4, status, soft, ign, zero_coef)
        if n_soft:  # the soft blocks' loss (not scaled), in place
            binary_soft_blocks(x, y, ones, False, a1, False, a0, ones, False, g, ig, block, b0,
                               b1, ls, partial, 1, soft, ign)
    else:
        n_soft = binary_hard_blocks(x, y, ones, False, a1, False, a0, go, False, g, ig, block,
                                    b0, b1, gr, partial, 3, status, soft, ign, zero_coef)
        if n_soft:
            binary_soft_blocks(x, y, ones, False, a1, False, a0, ones, False, g, ig, block, b0,
                               b1, gr, partial, 0, soft, ign)
        for b in range(b0, b1):
            total += partial[b]
    if status[0]:
        return 1, 0.0
    if n_soft:  # the soft blocks' gradient
        binary_soft_blocks(x, y, ones, False, a1, False, a0, go, False, g, ig, block, b0,
                           b1, gr, partial, 2, soft, ign)
    return 0, total


@njit(**_OPTS)
def softmax_small_kernel(xp, tp, gp, lp, n, c, r0, r1, mode, mean, den_all, ignore_index, g,  # type: ignore[no-untyped-def]
                         ig, xw):
    """The one-call kernel of a first-order softmax call (int64 labels, no class weight).

    Takes the addresses of the contiguous ``(n, c)`` logits ``xp``, int64 labels ``tp``,
    gradient ``gp`` and (``mode`` 4, ``reduction="none"``) per-row loss ``lp``, of the
    dtype of the empty array ``xw``, and runs rows [r0, r1) (a thread's share).
    ``den_all`` is the ``"mean"`` denominator (the labels that are not ``ignore_index``)
    when the caller counted it, else -1: then the rows' labels are counted here first.
    Then :func:`softmax_hard_rows` in mode 3: the gradient, divided by the denominator
    when ``mean`` (0 when nothing counts), and the row losses, summed in row order into
    ``total`` (mode 3) or written to ``lp``. Returns ``(bad, total, den)``; ``bad`` is 1
    for a label outside [0, c) that is not ``ignore_index``. The mathematics of the other
    paths.
    """
    x = carray(_address_as(xp, xw), (n, c))
    t = carray(_address_as(tp, _I64_WITNESS), n)
    gr = carray(_address_as(gp, xw), (n, c))
    den = den_all
    if den < 0:
        den = 0
        for i in range(r0, r1):
            den += t[i] != ignore_index
    go = np.ones(1, dtype=xw.dtype)
    if mean:
        go[0] = 1.0 / den if den else 0.0
    cw = np.ones(c, dtype=xw.dtype)
    partial = np.empty(n, dtype=np.float64)  # indexed by row: only [r0, r1) is used
    wrow = np.empty(n, dtype=xw.dtype)
    smx = np.empty(n, dtype=xw.dtype)
    sss = np.empty(n, dtype=xw.dtype)
    status = np.zeros(1, dtype=np.int64)
    softmax_hard_rows(x, t, cw, ignore_index, go, False, g, ig, r0, r1, gr, partial, wrow,
                      smx, sss, False, 3, status)
    if status[0]:
        return 1, 0.0, 0.0
    total = 0.0
    if mode == 4:
        ls = carray(_address_as(lp, xw), n)
        for i in range(r0, r1):
            ls[i] = partial[i]
    else:
        for i in range(r0, r1):
            total += partial[i]
    return 0, total, float(den)
