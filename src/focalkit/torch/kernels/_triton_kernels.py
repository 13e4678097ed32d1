"""Triton kernels of the GPU fast path (launched from :mod:`._triton`).

Two passes through autograd: the forward reads logits and targets and writes one partial
sum per program (a second small reduction adds them: no atomics on one address); the
backward reads them again and writes the gradient. All arithmetic is float32 for
float32/float16/bfloat16 inputs (float64 for float64). Integer gammas (``IG >= 0``) are
unrolled multiplications; other gammas use ``exp(-gamma * (-log q))`` with ``-log q``
already at hand, never ``pow``. The mathematics is that of :mod:`focalkit._core` (bounded
ratio ``r = -log p_t / q``), tested against it.
"""

from __future__ import annotations

import triton
import triton.language as tl

_LN2 = 0.6931471805599453


@triton.jit
def _rcp(x, FAST: tl.constexpr):
    # 1 / x; FAST: the hardware reciprocal (rcp.approx.ftz.f32, ~1 ulp; flushes subnormal x
    # to 0, so callers guard tiny denominators). Not available in the interpreter.
    if FAST:
        r = tl.inline_asm_elementwise(
            "rcp.approx.ftz.f32 $0, $1;", "=f,f", [x], dtype=tl.float32, is_pure=True, pack=1
        )
    else:
        r = 1.0 / x
    return r


@triton.jit
def _log1p_unit(e, IS64: tl.constexpr, FAST: tl.constexpr):
    # log1p(e), e in [0, 1]: 1 + e = 2^j (1 + u), u in [-0.25, 0.5]; 2 atanh(u / (2 + u))
    big = e > 0.5
    u = tl.where(big, (e - 1.0) * 0.5, e)
    s = u * _rcp(2.0 + u, FAST)
    s2 = s * s
    if IS64:
        p = 1.0 / 25.0
        p = p * s2 + 1.0 / 23.0
        p = p * s2 + 1.0 / 21.0
        p = p * s2 + 1.0 / 19.0
        p = p * s2 + 1.0 / 17.0
        p = p * s2 + 1.0 / 15.0
        p = p * s2 + 1.0 / 13.0
        p = p * s2 + 1.0 / 11.0
    else:
        p = s2 * 0.0 + 1.0 / 11.0
    p = p * s2 + 1.0 / 9.0
    p = p * s2 + 1.0 / 7.0
    p = p * s2 + 1.0 / 5.0
    p = p * s2 + 1.0 / 3.0
    p = p * s2 + 1.0
    return 2.0 * s * p + tl.where(big, 0.6931471805599453, 0.0)


@triton.jit
def _expm1_neg(x, IS64: tl.constexpr):
    # expm1(x) for x <= 0: Taylor series near 0, exp(x) - 1 elsewhere
    if IS64:
        p = 1.0 / 87178291200.0
        p = p * x + 1.0 / 6227020800.0
        p = p * x + 1.0 / 479001600.0
        p = p * x + 1.0 / 39916800.0
        p = p * x + 1.0 / 3628800.0
        p = p * x + 1.0 / 362880.0
        p = p * x + 1.0 / 40320.0
    else:
        p = x * 0.0 + 1.0 / 40320.0
    p = p * x + 1.0 / 5040.0
    p = p * x + 1.0 / 720.0
    p = p * x + 1.0 / 120.0
    p = p * x + 1.0 / 24.0
    p = p * x + 1.0 / 6.0
    p = p * x + 0.5
    p = p * x + 1.0
    return tl.where(x > -0.35, p * x, tl.exp(x) - 1.0)


@triton.jit
def _qpow(q, nlog_q, g, IG: tl.constexpr):
    # q ** g: multiplications for an integer gamma, else exp(-g * (-log q))
    if IG >= 0:
        r = q * 0.0 + 1.0
        for _ in tl.static_range(IG):
            r = r * q
    else:
        r = tl.exp(-g * nlog_q)
    return r


@triton.jit
def _operand(ptr, base, offs, mask, period, MODE: tl.constexpr):
    # 0: absent (1); 1: full (flat index base + offs); 2: periodic (index % period);
    # 3: scalar pointer
    if MODE == 1:
        v = tl.load(ptr + base + offs, mask=mask, other=0.0).to(tl.float32)
    elif MODE == 2:
        v = tl.load(ptr + (base + offs) % period, mask=mask, other=0.0).to(tl.float32)
    elif MODE == 3:
        v = tl.load(ptr).to(tl.float32)
    else:
        v = 1.0
    return v


@triton.jit
def binary_kernel(
    X, Y, W, PW, GO, OUT, PART,
    n, a_pos, a_neg, g, scale, p_w, p_pw,
    W_MODE: tl.constexpr, PW_MODE: tl.constexpr, GO_MODE: tl.constexpr,
    IG: tl.constexpr, HARD: tl.constexpr, MODE: tl.constexpr, IS64: tl.constexpr,
    FAST: tl.constexpr, BLOCK: tl.constexpr,
):
    """MODE 0: PART[pid] = sum of the block's loss; 1: OUT = loss; 2: OUT = gradient.

    Positives are weighted ``a_pos * PW``, negatives ``a_neg``; every term by ``W``; the
    gradient by ``GO * scale``. ``HARD``: targets are exactly 0/1 (integer or bool).
    """
    pid = tl.program_id(0)
    base = pid.to(tl.int64) * BLOCK  # 64-bit once per program; 32-bit offsets below
    offs = tl.arange(0, BLOCK)
    mask = offs < tl.minimum(n - base, BLOCK).to(tl.int32)
    z = tl.load(X + base + offs, mask=mask, other=0.0)
    y = tl.load(Y + base + offs, mask=mask, other=0)
    if IS64:
        z = z.to(tl.float64)
    else:
        z = z.to(tl.float32)
    if not HARD:  # hard (integer/bool) targets are only compared, never converted
        if IS64:
            y = y.to(tl.float64)
        else:
            y = y.to(tl.float32)
    az = tl.abs(z)
    e = tl.exp(-az)
    lp1 = _log1p_unit(e, IS64, FAST)
    u = 1.0 + e
    inv = _rcp(u, FAST)
    ei = e * inv
    a1 = a_pos * _operand(PW, base, offs, mask, p_pw, PW_MODE)
    if HARD:
        is_pos = y != 0
        zt = tl.where(is_pos, z, -z)  # margin of the true class
        pos = zt >= 0
        q = tl.where(pos, ei, inv)  # 1 - p_t
        pt = tl.where(pos, inv, ei)
        nlog_pt = tl.where(pos, lp1, lp1 + az)
        nlog_q = tl.where(pos, lp1 + az, lp1)
        qp = _qpow(q, nlog_q, g, IG)
        at = tl.where(is_pos, a1, a_neg)
        if MODE == 2:
            c = tl.where(e > 1e-30, lp1 * _rcp(tl.where(e > 1e-30, e, 1.0), FAST), 1.0)
            rt = u * tl.where(pos, c, nlog_pt)
            wt = qp * (1.0 + g * pt * rt)
            val = tl.where(is_pos, -at, at) * wt * q
        else:
            val = at * qp * nlog_pt
    else:
        pos = z >= 0
        p = tl.where(pos, inv, ei)
        pm = tl.where(pos, ei, inv)
        nlog_p = tl.where(pos, lp1, lp1 + az)
        nlog_pm = tl.where(pos, lp1 + az, lp1)
        q1 = _qpow(pm, nlog_pm, g, IG)
        q0 = _qpow(p, nlog_p, g, IG)
        c1 = y * a1
        c0 = (1.0 - y) * a_neg
        if MODE == 2:
            c = tl.where(e > 1e-30, lp1 * _rcp(tl.where(e > 1e-30, e, 1.0), FAST), 1.0)
            r1 = u * tl.where(pos, c, nlog_p)
            r0 = u * tl.where(pos, nlog_pm, c)
            w1 = q1 * (1.0 + g * p * r1)
            w0 = q0 * (1.0 + g * pm * r0)
            val = c0 * w0 * p - c1 * w1 * pm
        else:
            val = c1 * q1 * nlog_p + c0 * q0 * nlog_pm
    val = val * _operand(W, base, offs, mask, p_w, W_MODE)
    if MODE == 0:
        val = tl.where(mask, val, 0.0)
        tl.store(PART + pid, tl.sum(val, axis=0))
    elif MODE == 1:
        tl.store(OUT + base + offs, val.to(OUT.dtype.element_ty), mask=mask)
    else:
        val = val * (_operand(GO, base, offs, mask, 1, GO_MODE) * scale)
        tl.store(OUT + base + offs, val.to(OUT.dtype.element_ty), mask=mask)


@triton.jit
def softmax_kernel(
    X, T, CW, GO, OUT, PART, PARTW,
    n_rows, n_cls, ignore_index, g, fe, fy, scale,
    HAS_CW: tl.constexpr, SMOOTH: tl.constexpr, GO_MODE: tl.constexpr,
    IG: tl.constexpr, MODE: tl.constexpr, IS64: tl.constexpr, FAST: tl.constexpr,
    NEG: tl.constexpr, ROWS: tl.constexpr, BC: tl.constexpr,
):
    """Softmax focal over ROWS rows of (n_rows, n_cls) logits held whole (BC >= n_cls).

    MODE 0: PART[pid] = sum of the rows' losses, PARTW[pid] = sum of their target weights
    (the denominator of ``mean``); 1: OUT[row] = loss; 2: OUT = gradient, times
    ``GO`` (per row, GO_MODE 1, or scalar pointer, 3) and ``scale``. ``NEG`` pads the
    rows: a finite, very negative logit of the input dtype (exp of it minus the max is 0).
    """
    pid = tl.program_id(0)
    row0 = pid.to(tl.int64) * ROWS  # 64-bit once per program; 32-bit offsets below
    X += row0 * n_cls
    rows = tl.arange(0, ROWS)
    cols = tl.arange(0, BC)
    rmask = rows < tl.minimum(n_rows - row0, ROWS).to(tl.int32)
    cmask = cols < n_cls
    m2 = rmask[:, None] & cmask[None, :]
    offs = rows[:, None] * n_cls + cols[None, :]
    x = tl.load(X + offs, mask=m2, other=NEG)
    if IS64:
        x = x.to(tl.float64)
    else:
        x = x.to(tl.float32)
    t = tl.load(T + row0 + rows, mask=rmask, other=ignore_index).to(tl.int32)
    valid = rmask & (t != ignore_index)
    tc = tl.where(valid, t, 0)
    mx = tl.max(x, axis=1)
    ex = tl.exp(x - mx[:, None])  # 0 on the padding; rows past the end stay finite
    ssum = tl.sum(ex, axis=1)
    lse = mx + tl.log(ssum)
    if HAS_CW:
        ay = tl.load(CW + tc, mask=valid, other=0.0).to(x.dtype)
    else:
        ay = tl.where(valid, 1.0, 0.0).to(x.dtype)
    if MODE == 2:
        if GO_MODE == 1:
            rowf = tl.load(GO + row0 + rows, mask=rmask, other=0.0).to(x.dtype) * scale
        elif GO_MODE == 3:
            rowf = tl.load(GO).to(x.dtype) * scale + tl.zeros([ROWS], dtype=x.dtype)
        else:
            rowf = scale + tl.zeros([ROWS], dtype=x.dtype)
    if SMOOTH:
        is_t = cols[None, :] == tc[:, None]
        if HAS_CW:
            cwv = tl.load(CW + cols, mask=cmask, other=0.0).to(x.dtype)
        else:
            cwv = tl.where(cmask, 1.0, 0.0).to(x.dtype)
        lp = x - lse[:, None]
        lp = tl.where(m2, lp, 0.0)
        q = -_expm1_neg(lp, IS64)
        nlq = -tl.log(tl.where(q > 0, q, 1.0))
        qp = _qpow(q, nlq, g, IG)
        ck = cwv[None, :] * (fe + tl.where(is_t, fy, 0.0))
        ck = tl.where(m2 & valid[:, None], ck, 0.0)
        if MODE == 2:
            rk = tl.where(q > 1e-30, -lp * _rcp(tl.where(q > 1e-30, q, 1.0), FAST), 1.0)
            buf = ck * qp * (1.0 + g * (1.0 - q) * rk)
            sw = tl.sum(buf, axis=1)
            grad = (tl.exp(lp) * sw[:, None] - buf) * rowf[:, None]
        else:
            row_loss = tl.sum(ck * qp * (-lp), axis=1)
    else:
        # the target logit: one load per row (the row is in cache)
        xy = tl.load(X + rows * n_cls + tc, mask=valid, other=0.0).to(x.dtype)
        lpy = tl.where(valid, xy - lse, 0.0)
        qy = -_expm1_neg(lpy, IS64)
        nlq = -tl.log(tl.where(qy > 0, qy, 1.0))
        qp = _qpow(qy, nlq, g, IG)
        if MODE == 2:
            ry = tl.where(qy > 1e-30, -lpy * _rcp(tl.where(qy > 1e-30, qy, 1.0), FAST), 1.0)
            coef = ay * qp * (1.0 + g * (1.0 - qy) * ry) * rowf  # 0 on ignored rows
            cp = coef * _rcp(ssum, FAST)
            is_t = cols[None, :] == tc[:, None]
            grad = cp[:, None] * ex - tl.where(is_t, coef[:, None], 0.0)
        else:
            row_loss = ay * qp * (-lpy)
    if MODE == 2:
        tl.store(OUT + row0 * n_cls + offs, grad.to(OUT.dtype.element_ty), mask=m2)
    elif MODE == 1:
        tl.store(OUT + row0 + rows, tl.where(valid, row_loss, 0.0).to(OUT.dtype.element_ty),
                 mask=rmask)
    else:
        tl.store(PART + pid, tl.sum(tl.where(valid, row_loss, 0.0), axis=0))
        tl.store(PARTW + pid, tl.sum(ay, axis=0))
