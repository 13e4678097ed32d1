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


@triton.jit
def _nan():
    # a float32 quiet NaN (a NaN global constant would break Triton's constant check)
    return tl.full([1], 0x7FC00000, tl.int32).to(tl.float32, bitcast=True)


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
    # log1p(e) for e in [0, 1]: 2 atanh(s), s = e / (2 + e) in [0, 1/3] (s^2 <= 1/9), no
    # range reduction; the series to s^13 (float32) or s^33 (float64) is below half an ulp
    s = e * _rcp(2.0 + e, FAST)
    s2 = s * s
    if IS64:
        p = s2 * (1.0 / 33.0) + 1.0 / 31.0
        for k in tl.static_range(14, 4, -1):
            p = p * s2 + 1.0 / (2 * k + 1)
    else:
        p = s2 * (1.0 / 13.0) + 1.0 / 11.0
    p = p * s2 + 1.0 / 9.0
    p = p * s2 + 1.0 / 7.0
    p = p * s2 + 1.0 / 5.0
    p = p * s2 + 1.0 / 3.0
    p = p * s2 + 1.0
    return 2.0 * s * p


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
def _exp(x, FAST: tl.constexpr):
    # exp(x); FAST: one ex2.approx.ftz.f32 (results below 2^-126 flush to 0, where the
    # plain form spends three more instructions per call on subnormal scaling)
    if FAST:
        r = tl.inline_asm_elementwise(
            "ex2.approx.ftz.f32 $0, $1;", "=f,f", [x * 1.4426950408889634],
            dtype=tl.float32, is_pure=True, pack=1,
        )
    else:
        r = tl.exp(x)
    return r


@triton.jit
def _qpow(q, nlog_q, g, IG: tl.constexpr, FAST: tl.constexpr):
    # q ** g: multiplications for an integer gamma, else exp(-g * (-log q))
    if IG == 0:
        r = q * 0.0 + 1.0
    elif IG > 0:
        r = q
        for _ in tl.static_range(IG - 1):
            r = r * q
    else:
        r = _exp(-g * nlog_q, FAST)
    return r


@triton.jit
def _load(ptr, mask, other, MASKED: tl.constexpr):
    if MASKED:
        v = tl.load(ptr, mask=mask, other=other)
    else:
        v = tl.load(ptr)
    return v


@triton.jit
def _operand(ptr, base, offs, mask, period, MODE: tl.constexpr, MASKED: tl.constexpr):
    # 0: absent (1); 1: full (flat index base + offs); 2: periodic (index % period);
    # 3: scalar pointer
    if MODE == 1:
        v = _load(ptr + base + offs, mask, 0.0, MASKED).to(tl.float32)
    elif MODE == 2:
        v = _load(ptr + (base + offs) % period, mask, 0.0, MASKED).to(tl.float32)
    elif MODE == 3:
        v = tl.load(ptr).to(tl.float32)
    else:
        v = 1.0
    return v


@triton.jit
def binary_kernel(
    X, Y, W, PW, GO, OUT, PART, BAD,
    n, a_pos, a_neg, g, scale, p_w, p_pw,
    W_MODE: tl.constexpr, PW_MODE: tl.constexpr, GO_MODE: tl.constexpr,
    IG: tl.constexpr, HARD: tl.constexpr, MODE: tl.constexpr, IS64: tl.constexpr,
    FAST: tl.constexpr, CHECK: tl.constexpr, BLOCK: tl.constexpr,
):
    """MODE 0: PART[pid] = sum of the block's loss; 1: OUT = loss; 2: OUT = gradient.

    Positives are weighted ``a_pos * PW``, negatives ``a_neg``; every term by ``W``; the
    gradient by ``GO * scale``. ``HARD``: targets are integers (or bool) and must be 0/1.
    A target outside [0, 1] (or NaN) makes its loss and gradient NaN; with ``CHECK``, a
    block holding one adds 1 to the int32 counter at ``BAD`` (an atomic that runs only
    then; the caller raises the error; no separate pass over the targets). MODE 0 stores
    the block sum times ``scale``.
    Full blocks run without masks (vector loads); only the last one is masked.
    """
    pid = tl.program_id(0)
    base = pid.to(tl.int64) * BLOCK  # 64-bit once per program; 32-bit offsets below
    if base + BLOCK <= n:
        _binary_block(X, Y, W, PW, GO, OUT, PART, BAD, pid, base, n, a_pos, a_neg, g,
                      scale, p_w, p_pw, W_MODE, PW_MODE, GO_MODE, IG, HARD, MODE, IS64,
                      FAST, CHECK, BLOCK, False)
    else:
        _binary_block(X, Y, W, PW, GO, OUT, PART, BAD, pid, base, n, a_pos, a_neg, g,
                      scale, p_w, p_pw, W_MODE, PW_MODE, GO_MODE, IG, HARD, MODE, IS64,
                      FAST, CHECK, BLOCK, True)


@triton.jit
def _binary_block(
    X, Y, W, PW, GO, OUT, PART, BAD, pid, base,
    n, a_pos, a_neg, g, scale, p_w, p_pw,
    W_MODE: tl.constexpr, PW_MODE: tl.constexpr, GO_MODE: tl.constexpr,
    IG: tl.constexpr, HARD: tl.constexpr, MODE: tl.constexpr, IS64: tl.constexpr,
    FAST: tl.constexpr, CHECK: tl.constexpr, BLOCK: tl.constexpr, MASKED: tl.constexpr,
):
    offs = tl.arange(0, BLOCK)
    mask = offs < (n - base).to(tl.int32)  # used only when MASKED (n - base < BLOCK)
    z = _load(X + base + offs, mask, 0.0, MASKED)
    y = _load(Y + base + offs, mask, 0, MASKED)
    if IS64:
        z = z.to(tl.float64)
    else:
        z = z.to(tl.float32)
    if HARD:  # integer/bool targets are compared, never converted to float
        bad = y.to(tl.uint32) > 1  # negatives wrap to large values
    else:
        if IS64:
            y = y.to(tl.float64)
        else:
            y = y.to(tl.float32)
        bad = (y < 0.0) | (y > 1.0) | (y != y)  # NaN too
    az = tl.abs(z)
    if IS64:
        e = tl.exp(-az)
    else:
        e = _exp(-az, FAST)
    lp1 = _log1p_unit(e, IS64, FAST)
    inv = _rcp(1.0 + e, FAST)
    ei = e * inv
    a1 = a_pos * _operand(PW, base, offs, mask, p_pw, PW_MODE, MASKED)
    if HARD:
        is_pos = y != 0
        zt = tl.where(is_pos, z, -z)  # margin s of the true class
        pos = zt >= 0
        q = tl.where(pos, ei, inv)  # 1 - p_t
        nlog_pt = tl.where(pos, lp1, lp1 + az)
        nlog_q = tl.where(pos, lp1 + az, lp1)
        qp = _qpow(q, nlog_q, g, IG, FAST)
        at = tl.where(is_pos, a1, a_neg)
        if MODE == 2:
            # dL/ds = -a_t q^g (q + g p_t (-log p_t)): every factor finite, no ratio
            pt = tl.where(pos, inv, ei)
            val = tl.where(is_pos, -at, at) * qp * (q + g * pt * nlog_pt)
        else:
            val = at * qp * nlog_pt
    else:
        pos = z >= 0
        u = 1.0 + e
        p = tl.where(pos, inv, ei)
        pm = tl.where(pos, ei, inv)
        nlog_p = tl.where(pos, lp1, lp1 + az)
        nlog_pm = tl.where(pos, lp1 + az, lp1)
        q1 = _qpow(pm, nlog_pm, g, IG, FAST)
        q0 = _qpow(p, nlog_p, g, IG, FAST)
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
    val = val * _operand(W, base, offs, mask, p_w, W_MODE, MASKED)
    val = tl.where(bad, _nan(), val)
    if MASKED:
        bad = bad & mask
    if MODE == 0:
        if MASKED:
            val = tl.where(mask, val, 0.0)
        tl.store(PART + pid, tl.sum(val, axis=0) * scale)
    elif MODE == 1:
        if MASKED:
            tl.store(OUT + base + offs, val.to(OUT.dtype.element_ty), mask=mask)
        else:
            tl.store(OUT + base + offs, val.to(OUT.dtype.element_ty))
    else:
        val = val * (_operand(GO, base, offs, mask, 1, GO_MODE, MASKED) * scale)
        if MASKED:
            tl.store(OUT + base + offs, val.to(OUT.dtype.element_ty), mask=mask)
        else:
            tl.store(OUT + base + offs, val.to(OUT.dtype.element_ty))
    if CHECK:  # the block's largest target byte, or whether any soft target is bad
        if HARD:
            yb = y.to(tl.uint32)
            if MASKED:
                yb = tl.where(mask, yb, 0)
            flag = tl.max(yb, axis=0) > 1
        else:
            flag = tl.max(bad.to(tl.int32), axis=0) > 0
        tl.atomic_add(BAD, 1, mask=flag)


@triton.jit
def softmax_kernel(
    X, T, CW, GO, OUT, PART, PARTW, BAD,
    n_rows, n_cls, ignore_index, g, fe, fy, scale,
    HAS_CW: tl.constexpr, SMOOTH: tl.constexpr, GO_MODE: tl.constexpr,
    IG: tl.constexpr, MODE: tl.constexpr, IS64: tl.constexpr, FAST: tl.constexpr,
    CHECK: tl.constexpr, NEG: tl.constexpr, ROWS: tl.constexpr, BC: tl.constexpr,
):
    """Softmax focal over ROWS rows of (n_rows, n_cls) logits held whole (BC >= n_cls).

    MODE 0: PART[pid] = sum of the rows' losses, PARTW[pid] = sum of their target weights
    (the denominator of ``mean``); 1: OUT[row] = loss; 2: OUT = gradient, times
    ``GO`` (per row, GO_MODE 1, or scalar pointer, 3) and ``scale``. ``NEG`` pads the
    rows: a finite, very negative logit of the input dtype (exp of it minus the max is 0).
    A label outside [0, C) that is not ``ignore_index`` makes its row NaN; with ``CHECK``,
    their number is added to the int32 counter at ``BAD`` (an atomic only when nonzero).
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
    t = tl.load(T + row0 + rows, mask=rmask, other=ignore_index)
    kept = rmask & (t != ignore_index)
    bad = kept & ((t < 0) | (t >= n_cls))
    valid = kept & (t >= 0) & (t < n_cls)
    tc = tl.where(valid, t, 0).to(tl.int32)
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
        qp = _qpow(q, nlq, g, IG, FAST)
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
        qp = _qpow(qy, nlq, g, IG, FAST)
        if MODE == 2:
            ry = tl.where(qy > 1e-30, -lpy * _rcp(tl.where(qy > 1e-30, qy, 1.0), FAST), 1.0)
            coef = ay * qp * (1.0 + g * (1.0 - qy) * ry) * rowf  # 0 on ignored rows
            cp = coef * _rcp(ssum, FAST)
            is_t = cols[None, :] == tc[:, None]
            grad = cp[:, None] * ex - tl.where(is_t, coef[:, None], 0.0)
        else:
            row_loss = ay * qp * (-lpy)
    if MODE == 2:
        grad = tl.where(bad[:, None], _nan(), grad)
        tl.store(OUT + row0 * n_cls + offs, grad.to(OUT.dtype.element_ty), mask=m2)
    else:
        row_loss = tl.where(bad, _nan(), tl.where(valid, row_loss, 0.0))
        if MODE == 1:
            tl.store(OUT + row0 + rows, row_loss.to(OUT.dtype.element_ty), mask=rmask)
        else:
            tl.store(PART + pid, tl.sum(row_loss, axis=0))
            tl.store(PARTW + pid, tl.sum(ay, axis=0))
        if CHECK:
            nbad = tl.sum(bad.to(tl.int32), axis=0)
            tl.atomic_add(BAD, nbad, mask=nbad > 0)


# --------------------------------------------------------------------------------------
# Softmax focal without label smoothing, in three kernels. The forward reads the logits
# once (row max, sum of exponentials, target logit: ``softmax_stats_kernel``) and a small
# per-row kernel turns the row statistics into the loss and the backward's row factor
# (``softmax_rows_kernel``), saved as two float32 numbers per row: log-sum-exp and
# ``coef``. The backward is then elementwise over the flat logits, without reductions:
# ``grad = coef * (softmax - onehot)`` (``softmax_grad_kernel``).


@triton.jit
def softmax_stats_kernel(
    X, T, STATS, n_rows, ignore_index,
    C: tl.constexpr, NEG: tl.constexpr, ROWS: tl.constexpr, BC: tl.constexpr,
    FAST: tl.constexpr,
):
    """STATS[0, r] = log-sum-exp of row r; STATS[1, r] = its target logit minus that.

    Rows of ``ROWS`` x ``BC`` tiles: one tile holds whole rows when ``BC >= C``, otherwise
    an online max/sum runs over column tiles (any ``C``). ``C`` is a compile-time constant,
    so row starts have known alignment and the loads are vectorised.
    """
    pid = tl.program_id(0)
    row0 = pid.to(tl.int64) * ROWS
    X += row0 * C
    rows = tl.arange(0, ROWS)
    cols = tl.arange(0, BC)
    rmask = rows < tl.minimum(n_rows - row0, ROWS).to(tl.int32)
    if BC >= C:
        m2 = rmask[:, None] & (cols[None, :] < C)
        x = tl.load(X + rows[:, None] * C + cols[None, :], mask=m2, other=NEG)
        x = x.to(tl.float32)
        mx = tl.max(x, axis=1)
        ssum = tl.sum(_exp(x - mx[:, None], FAST), axis=1)
    else:
        mx = tl.full([ROWS], NEG, tl.float32)
        ssum = tl.zeros([ROWS], tl.float32)
        for c0 in range(0, C, BC):
            cc = c0 + cols
            m2 = rmask[:, None] & (cc[None, :] < C)
            x = tl.load(X + rows[:, None] * C + cc[None, :], mask=m2, other=NEG)
            x = x.to(tl.float32)
            mnew = tl.maximum(mx, tl.max(x, axis=1))
            ssum = ssum * _exp(mx - mnew, FAST) + tl.sum(_exp(x - mnew[:, None], FAST), axis=1)
            mx = mnew
    lse = mx + tl.log(ssum)
    t = tl.load(T + row0 + rows, mask=rmask, other=ignore_index)
    ok = rmask & (t >= 0) & (t < C)
    xy = tl.load(X + rows * C + tl.where(ok, t, 0), mask=ok, other=0.0).to(tl.float32)
    tl.store(STATS + row0 + rows, lse, mask=rmask)
    d = xy - lse
    tl.store(STATS + n_rows + row0 + rows, tl.where(d > 0.0, 0.0, d), mask=rmask)  # NaN kept


@triton.jit
def softmax_rows_kernel(
    STATS, T, CW, OUT, PART, BAD, n_rows, n_cls, ignore_index, g,
    HAS_CW: tl.constexpr, IG: tl.constexpr, MODE: tl.constexpr, FAST: tl.constexpr,
    CHECK: tl.constexpr, BLOCK: tl.constexpr,
):
    """Per row: the loss, and ``coef`` (overwriting STATS[1]) for the backward.

    ``coef = a_y q^g (1 + g p_y r)`` with ``q = 1 - p_y``, ``r = -log p_y / q``: the
    gradient of the row is ``coef * (softmax - onehot)`` times the output gradient. Ignored
    rows get 0; rows whose label is outside [0, C) get NaN. MODE 0: PART[0, pid] = sum of
    the losses, PART[1, pid] = sum of the target weights (``mean``'s denominator),
    PART[2, pid] = number of bad labels; MODE 1: OUT = per-row loss, and PART[2, pid].
    """
    pid = tl.program_id(0)
    r = pid * BLOCK + tl.arange(0, BLOCK)
    rmask = r < n_rows
    t = tl.load(T + r, mask=rmask, other=ignore_index)
    kept = rmask & (t != ignore_index)
    bad = kept & ((t < 0) | (t >= n_cls))
    valid = kept & (t >= 0) & (t < n_cls)
    lpy = tl.load(STATS + n_rows + r, mask=valid, other=0.0)
    qy = -_expm1_neg(lpy, False)
    nlq = -tl.log(tl.where(qy > 0, qy, 1.0))
    qp = _qpow(qy, nlq, g, IG, FAST)
    if HAS_CW:
        ay = tl.load(CW + tl.where(valid, t, 0), mask=valid, other=0.0).to(tl.float32)
    else:
        ay = tl.where(valid, 1.0, 0.0)
    ry = tl.where(qy > 1e-30, -lpy * _rcp(tl.where(qy > 1e-30, qy, 1.0), FAST), 1.0)
    coef = tl.where(bad, _nan(), ay * qp * (1.0 + g * (1.0 - qy) * ry))
    loss = tl.where(bad, _nan(), ay * qp * (-lpy))
    tl.store(STATS + n_rows + r, coef, mask=rmask)
    nprog = tl.num_programs(0)
    if MODE == 1:
        tl.store(OUT + r, loss, mask=rmask)
    else:
        tl.store(PART + pid, tl.sum(tl.where(rmask, loss, 0.0), axis=0))
        tl.store(PART + nprog + pid, tl.sum(ay, axis=0))
    if CHECK:
        nbad = tl.sum(bad.to(tl.int32), axis=0)
        tl.atomic_add(BAD, nbad, mask=nbad > 0)


@triton.jit
def softmax_grad_kernel(
    X, T, STATS, GO, DEN, OUT, n, n_rows, scale,
    C: tl.constexpr, GO_MODE: tl.constexpr, HAS_DEN: tl.constexpr, FAST: tl.constexpr,
    BLOCK: tl.constexpr,
):
    """OUT = coef[row] * (softmax - onehot) * grad_output (flat over the ``n`` logits).

    GO_MODE 1: per-row output gradient; 3: a scalar pointer. ``HAS_DEN``: divided by the
    scalar at DEN (``mean``'s denominator, computed by the forward on the device). Full
    blocks run without masks; only the last one is masked.
    """
    pid = tl.program_id(0)
    base = pid.to(tl.int64) * BLOCK
    if base + BLOCK <= n:
        _softmax_grad_block(X, T, STATS, GO, DEN, OUT, n, n_rows, scale, base, C, GO_MODE,
                            HAS_DEN, FAST, BLOCK, False)
    else:
        _softmax_grad_block(X, T, STATS, GO, DEN, OUT, n, n_rows, scale, base, C, GO_MODE,
                            HAS_DEN, FAST, BLOCK, True)


@triton.jit
def _softmax_grad_block(
    X, T, STATS, GO, DEN, OUT, n, n_rows, scale, base,
    C: tl.constexpr, GO_MODE: tl.constexpr, HAS_DEN: tl.constexpr, FAST: tl.constexpr,
    BLOCK: tl.constexpr, MASKED: tl.constexpr,
):
    offs = tl.arange(0, BLOCK)
    mask = offs < (n - base).to(tl.int32)
    x = _load(X + base + offs, mask, 0.0, MASKED).to(tl.float32)
    row0 = base // C  # 64-bit once per program; 32-bit row and column offsets below
    loc = (base - row0 * C).to(tl.int32) + offs
    rl = loc // C
    col = loc - rl * C
    lse = _load(STATS + row0 + rl, mask, 0.0, MASKED)
    coef = _load(STATS + n_rows + row0 + rl, mask, 0.0, MASKED)
    t = _load(T + row0 + rl, mask, -1, MASKED)
    if GO_MODE == 1:
        coef = coef * _load(GO + row0 + rl, mask, 0.0, MASKED).to(tl.float32)
        sc = scale
    else:
        sc = tl.load(GO).to(tl.float32) * scale
    if HAS_DEN:
        sc = sc / tl.load(DEN).to(tl.float32)
    p = _exp(x - lse, FAST)
    grad = (coef * sc) * (p - tl.where(col == t, 1.0, 0.0))
    if MASKED:
        tl.store(OUT + base + offs, grad.to(OUT.dtype.element_ty), mask=mask)
    else:
        tl.store(OUT + base + offs, grad.to(OUT.dtype.element_ty))
