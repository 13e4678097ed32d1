"""Vectorisable float32/float64 primitives for the numba CPU kernels.

numba has no SIMD ``exp``/``log`` without Intel's SVML, and a loop that calls libm is
never vectorised. These helpers are plain arithmetic (polynomials plus an exponent built
from integer bits), so LLVM vectorises the loops that inline them. Each has a float32 and a
float64 version chosen by the argument's type (``numba.extending.overload``).

Accuracy (checked against NumPy in ``tests/kernels/test_cpu.py``): a few ulp over the
ranges used, except ``exp_neg_short`` (float64: 1e-13 relative, for callers such as the
booster objectives whose results do not need full float64 accuracy).
"""

from __future__ import annotations

import numpy as np
from llvmlite import ir
from numba import types
from numba.extending import intrinsic, overload

__all__ = [
    "exp_neg", "exp_neg_fma", "exp_neg_short", "expm1_neg", "ipow", "log1p_inv", "log1p_unit",
    "log_pos", "qpow", "qpow_direct", "row_max",
]

_LN2 = 0.6931471805599453


@intrinsic
def _i32_as_f32(typingctx, i):  # type: ignore[no-untyped-def]
    sig = types.float32(types.int32)

    def codegen(context, builder, signature, args):  # type: ignore[no-untyped-def]
        return builder.bitcast(args[0], ir.FloatType())

    return sig, codegen


@intrinsic
def _i64_as_f64(typingctx, i):  # type: ignore[no-untyped-def]
    sig = types.float64(types.int64)

    def codegen(context, builder, signature, args):  # type: ignore[no-untyped-def]
        return builder.bitcast(args[0], ir.DoubleType())

    return sig, codegen


def row_max(xr, c):  # type: ignore[no-untyped-def]
    """max(xr[:c]) of a contiguous float row, as an integer max (which vectorises).

    The float bits are mapped to integers of the same order (negative floats: magnitude
    bits flipped); a NaN with the sign bit clear maps above +inf, so such a NaN wins.
    """
    raise NotImplementedError  # pragma: no cover


def exp_neg(x):  # type: ignore[no-untyped-def]
    """exp(x) for x <= 0 (larger x is not supported); underflows smoothly to 0."""
    raise NotImplementedError  # pragma: no cover - only the numba overload runs


def exp_neg_fma(x):  # type: ignore[no-untyped-def]
    """exp(x) for x <= 0 as :func:`exp_neg`, compiled with fused multiply-adds.

    The same polynomial with its multiply-adds contracted: about 1.8x faster in a float32
    vector loop on an AVX-512 machine, and as accurate (it differs from :func:`exp_neg` by
    rounding only).
    """
    raise NotImplementedError  # pragma: no cover - only the numba overload runs


def exp_neg_short(x):  # type: ignore[no-untyped-def]
    """exp(x) for x <= 0 as :func:`exp_neg`, with a shorter polynomial.

    float64: degree 9 instead of 13, about 1e-13 relative (7e-14 measured); float32: the
    same function as :func:`exp_neg`.
    """
    raise NotImplementedError  # pragma: no cover - only the numba overload runs


def log1p_unit(e):  # type: ignore[no-untyped-def]
    """log1p(e) for e in [0, 1]."""
    raise NotImplementedError  # pragma: no cover


def log1p_inv(e):  # type: ignore[no-untyped-def]
    """(log1p(e), 1 / (1 + e)) for e in [0, 1], sharing one division."""
    raise NotImplementedError  # pragma: no cover


def log_pos(x):  # type: ignore[no-untyped-def]
    """log(x) for a float64 x >= the smallest normal number (+inf and NaN pass through).

    Vectorisable (no libm call); 0, negative and subnormal x are not supported.
    """
    raise NotImplementedError  # pragma: no cover


def expm1_neg(x):  # type: ignore[no-untyped-def]
    """expm1(x) for x <= 0."""
    raise NotImplementedError  # pragma: no cover


def ipow(q, n):  # type: ignore[no-untyped-def]
    """q**n for an integer 0 <= n < 16 by multiplication (0**0 = 1)."""
    raise NotImplementedError  # pragma: no cover


def qpow(q, nlog_q, g, ig):  # type: ignore[no-untyped-def]
    """q**g given -log q.

    By multiplication when ``ig`` is an integer (ig = g < 16), else exp(-g * (-log q)).
    The choice is made at compile time from ``ig``'s type, so a kernel compiles only the
    branch its gamma needs (an int or a float ``ig``).
    """
    raise NotImplementedError  # pragma: no cover


def qpow_direct(q, g, ig):  # type: ignore[no-untyped-def]
    """q**g for q in [0, 1] when -log q is not at hand (``ig`` as in :func:`qpow`)."""
    raise NotImplementedError  # pragma: no cover


def _atanh_series64(s2):  # type: ignore[no-untyped-def]
    """sum_k s2^k / (2k + 1), k = 0..12: atanh(s) / s to float64 precision.

    Shared by the float64 logarithms (s^2 is at most 1/9 in log1p_unit and log1p_inv,
    0.03 in log_pos).
    """
    raise NotImplementedError  # pragma: no cover - only the numba overload runs


@overload(_atanh_series64, jit_options={"forceinline": True})
def _atanh_series64_ol(s2):  # type: ignore[no-untyped-def]
    def impl(s2):  # type: ignore[no-untyped-def]
        p = 1.0 / 25.0
        p = p * s2 + 1.0 / 23.0
        p = p * s2 + 1.0 / 21.0
        p = p * s2 + 1.0 / 19.0
        p = p * s2 + 1.0 / 17.0
        p = p * s2 + 1.0 / 15.0
        p = p * s2 + 1.0 / 13.0
        p = p * s2 + 1.0 / 11.0
        p = p * s2 + 1.0 / 9.0
        p = p * s2 + 1.0 / 7.0
        p = p * s2 + 1.0 / 5.0
        p = p * s2 + 1.0 / 3.0
        return p * s2 + 1.0

    return impl


@overload(row_max, jit_options={"forceinline": True})
def _row_max_ol(xr, c):  # type: ignore[no-untyped-def]
    if xr.dtype.bitwidth == 32:
        ity = np.int32
        mag = np.int32(0x7FFFFFFF)
        sh = np.int32(31)
        back = _i32_as_f32
    else:
        ity = np.int64
        mag = np.int64(0x7FFFFFFFFFFFFFFF)
        sh = np.int64(63)
        back = _i64_as_f64

    def impl(xr, c):  # type: ignore[no-untyped-def]
        xi = xr[:c].view(ity)
        b = xi[0]
        m = b ^ ((b >> sh) & mag)
        for k in range(c):
            b = xi[k]
            m = max(m, b ^ ((b >> sh) & mag))
        return back(m ^ ((m >> sh) & mag))

    return impl


@overload(qpow, jit_options={"forceinline": True})
def _qpow_ol(q, nlog_q, g, ig):  # type: ignore[no-untyped-def]
    if isinstance(ig, types.Integer):

        def impl_int(q, nlog_q, g, ig):  # type: ignore[no-untyped-def]
            return ipow(q, ig)

        return impl_int

    def impl_exp(q, nlog_q, g, ig):  # type: ignore[no-untyped-def]
        return exp_neg(-g * nlog_q)

    return impl_exp


@overload(qpow_direct, jit_options={"forceinline": True})
def _qpow_direct_ol(q, g, ig):  # type: ignore[no-untyped-def]
    if isinstance(ig, types.Integer):

        def impl_int(q, g, ig):  # type: ignore[no-untyped-def]
            return ipow(q, ig)

        return impl_int

    def impl_exp(q, g, ig):  # type: ignore[no-untyped-def]
        return exp_neg(g * np.log(q))  # q = 0: exp_neg(-inf) underflows to 0

    return impl_exp


@overload(exp_neg, jit_options={"forceinline": True})
def _exp_neg_ol(x):  # type: ignore[no-untyped-def]
    if isinstance(x, types.Float) and x.bitwidth == 32:
        f = np.float32

        def impl32(x):  # type: ignore[no-untyped-def]
            x = max(x, f(-104.0))
            k = np.floor(x * f(1.4426950408889634) + f(0.5))
            r = x - k * f(0.693359375) - k * f(-2.12194440e-4)
            p = f(1.0 / 5040.0)
            p = p * r + f(1.0 / 720.0)
            p = p * r + f(1.0 / 120.0)
            p = p * r + f(1.0 / 24.0)
            p = p * r + f(1.0 / 6.0)
            p = p * r + f(0.5)
            p = p * r + f(1.0)
            p = p * r + f(1.0)
            ki = np.int32(k)
            ka = ki >> np.int32(1)
            kb = ki - ka
            sa = _i32_as_f32((ka + np.int32(127)) << np.int32(23))
            sb = _i32_as_f32((kb + np.int32(127)) << np.int32(23))
            return p * sa * sb

        return impl32

    def impl64(x):  # type: ignore[no-untyped-def]
        x = max(x, -746.0)
        k = np.floor(x * 1.4426950408889634 + 0.5)
        r = x - k * 6.93147180369123816490e-01 - k * 1.90821492927058770002e-10
        p = 1.0 / 6227020800.0
        p = p * r + 1.0 / 479001600.0
        p = p * r + 1.0 / 39916800.0
        p = p * r + 1.0 / 3628800.0
        p = p * r + 1.0 / 362880.0
        p = p * r + 1.0 / 40320.0
        p = p * r + 1.0 / 5040.0
        p = p * r + 1.0 / 720.0
        p = p * r + 1.0 / 120.0
        p = p * r + 1.0 / 24.0
        p = p * r + 1.0 / 6.0
        p = p * r + 0.5
        p = p * r + 1.0
        p = p * r + 1.0
        ki = np.int64(k)
        ka = ki >> np.int64(1)
        kb = ki - ka
        sa = _i64_as_f64((ka + np.int64(1023)) << np.int64(52))
        sb = _i64_as_f64((kb + np.int64(1023)) << np.int64(52))
        return p * sa * sb

    return impl64


# exp(r) ~ 1 + r + r^2 P(r) on |r| <= ln2 / 2, P of degree 7 (coefficients of r^9 ... r^2):
# Chebyshev fit (mpmath chebyfit, 50 digits) of (exp(r) - 1 - r) / r^2; relative error of
# exp below 7.5e-14.
_EXP_SHORT = (
    2.761756513390866e-06, 2.486787056267093e-05, 0.00019841224599133488,
    0.0013888839109997015, 0.008333333344203168, 0.041666666786267806,
    0.16666666666662586, 0.4999999999995511,
)


@overload(exp_neg_short, jit_options={"forceinline": True})
def _exp_neg_short_ol(x):  # type: ignore[no-untyped-def]
    if isinstance(x, types.Float) and x.bitwidth == 32:

        def impl32(x):  # type: ignore[no-untyped-def]
            return exp_neg(x)

        return impl32

    c9, c8, c7, c6, c5, c4, c3, c2 = _EXP_SHORT  # c_j multiplies r**j

    def impl64(x):  # type: ignore[no-untyped-def]
        x = max(x, -746.0)
        k = np.floor(x * 1.4426950408889634 + 0.5)
        r = x - k * 6.93147180369123816490e-01 - k * 1.90821492927058770002e-10
        # Estrin's scheme (shorter dependency chains than Horner's rule; measured faster
        # in the booster kernels)
        r2 = r * r
        r4 = r2 * r2
        b0 = (1.0 + r) + r2 * (c2 + c3 * r)
        b1 = (c4 + c5 * r) + r2 * (c6 + c7 * r)
        b2 = c8 + c9 * r
        p = b0 + r4 * (b1 + r4 * b2)
        ki = np.int64(k)
        ka = ki >> np.int64(1)
        kb = ki - ka
        sa = _i64_as_f64((ka + np.int64(1023)) << np.int64(52))
        sb = _i64_as_f64((kb + np.int64(1023)) << np.int64(52))
        return p * sa * sb

    return impl64


@overload(log1p_unit, jit_options={"forceinline": True})
def _log1p_unit_ol(e):  # type: ignore[no-untyped-def]
    # 1 + e = 2^j (1 + u) with u in [-0.25, 0.5]; log1p(u) = 2 atanh(s), s = u / (2 + u),
    # |s| <= 0.2: an odd series in s.
    if isinstance(e, types.Float) and e.bitwidth == 32:
        f = np.float32

        def impl32(e):  # type: ignore[no-untyped-def]
            big = e > f(0.5)
            u = (e - f(1.0)) * f(0.5) if big else e
            s = u / (f(2.0) + u)
            s2 = s * s
            p = f(1.0 / 11.0)
            p = p * s2 + f(1.0 / 9.0)
            p = p * s2 + f(1.0 / 7.0)
            p = p * s2 + f(1.0 / 5.0)
            p = p * s2 + f(1.0 / 3.0)
            p = p * s2 + f(1.0)
            return f(2.0) * s * p + (f(_LN2) if big else f(0.0))

        return impl32

    def impl64(e):  # type: ignore[no-untyped-def]
        big = e > 0.5
        u = (e - 1.0) * 0.5 if big else e
        s = u / (2.0 + u)
        s2 = s * s
        p = _atanh_series64(s2)
        return 2.0 * s * p + (_LN2 if big else 0.0)

    return impl64


@overload(log1p_inv, jit_options={"forceinline": True})
def _log1p_inv_ol(e):  # type: ignore[no-untyped-def]
    # As log1p_unit, with s = num / (c + e') and 1 / (1 + e) from the one reciprocal of
    # D = (1 + e)(c + e): e <= 0.5: s = e / (2 + e); e > 0.5: s = (e - 1) / (3 + e).
    if isinstance(e, types.Float) and e.bitwidth == 32:
        f = np.float32

        def impl32(e):  # type: ignore[no-untyped-def]
            big = e > f(0.5)
            c = f(3.0) if big else f(2.0)
            num = e - f(1.0) if big else e
            u1 = f(1.0) + e
            ce = c + e
            r = f(1.0) / (u1 * ce)
            s = num * u1 * r
            s2 = s * s
            p = f(1.0 / 11.0)
            p = p * s2 + f(1.0 / 9.0)
            p = p * s2 + f(1.0 / 7.0)
            p = p * s2 + f(1.0 / 5.0)
            p = p * s2 + f(1.0 / 3.0)
            p = p * s2 + f(1.0)
            return f(2.0) * s * p + (f(_LN2) if big else f(0.0)), ce * r

        return impl32

    def impl64(e):  # type: ignore[no-untyped-def]
        big = e > 0.5
        c = 3.0 if big else 2.0
        num = e - 1.0 if big else e
        u1 = 1.0 + e
        ce = c + e
        r = 1.0 / (u1 * ce)
        s = num * u1 * r
        s2 = s * s
        p = _atanh_series64(s2)
        return 2.0 * s * p + (_LN2 if big else 0.0), ce * r

    return impl64


@overload(expm1_neg, jit_options={"forceinline": True})
def _expm1_neg_ol(x):  # type: ignore[no-untyped-def]
    # Taylor series near 0 (|x| < 0.35), exp(x) - 1 elsewhere (no cancellation there).
    if isinstance(x, types.Float) and x.bitwidth == 32:
        f = np.float32

        def impl32(x):  # type: ignore[no-untyped-def]
            p = f(1.0 / 40320.0)
            p = p * x + f(1.0 / 5040.0)
            p = p * x + f(1.0 / 720.0)
            p = p * x + f(1.0 / 120.0)
            p = p * x + f(1.0 / 24.0)
            p = p * x + f(1.0 / 6.0)
            p = p * x + f(0.5)
            p = p * x + f(1.0)
            small = p * x
            big = exp_neg(x) - f(1.0)
            return small if x > f(-0.35) else big

        return impl32

    def impl64(x):  # type: ignore[no-untyped-def]
        p = 1.0 / 87178291200.0
        p = p * x + 1.0 / 6227020800.0
        p = p * x + 1.0 / 479001600.0
        p = p * x + 1.0 / 39916800.0
        p = p * x + 1.0 / 3628800.0
        p = p * x + 1.0 / 362880.0
        p = p * x + 1.0 / 40320.0
        p = p * x + 1.0 / 5040.0
        p = p * x + 1.0 / 720.0
        p = p * x + 1.0 / 120.0
        p = p * x + 1.0 / 24.0
        p = p * x + 1.0 / 6.0
        p = p * x + 0.5
        p = p * x + 1.0
        small = p * x
        big = exp_neg(x) - 1.0
        return small if x > -0.35 else big

    return impl64


@overload(ipow, jit_options={"forceinline": True})
def _ipow_ol(q, n):  # type: ignore[no-untyped-def]
    def impl(q, n):  # type: ignore[no-untyped-def]
        one = type(q)(1.0)
        q2 = q * q
        q4 = q2 * q2
        q8 = q4 * q4
        r = q if n & 1 else one
        r = r * q2 if n & 2 else r
        r = r * q4 if n & 4 else r
        r = r * q8 if n & 8 else r
        return r

    return impl


@intrinsic
def _f64_as_i64(typingctx, x):  # type: ignore[no-untyped-def]
    sig = types.int64(types.float64)

    def codegen(context, builder, signature, args):  # type: ignore[no-untyped-def]
        return builder.bitcast(args[0], ir.IntType(64))

    return sig, codegen


@overload(log_pos, jit_options={"forceinline": True})
def _log_pos_ol(x):  # type: ignore[no-untyped-def]
    # x = 2^j m with m in [sqrt(1/2), sqrt(2)): log x = j ln2 + 2 atanh(s), s = (m-1)/(m+1),
    # |s| <= 0.1716: the odd series of log1p_unit; ln2 split in two (j ln2_hi is exact).
    hi = 6.93147180369123816490e-01
    lo = 1.90821492927058770002e-10

    def impl(x):  # type: ignore[no-untyped-def]
        xf = np.float64(x)
        b = _f64_as_i64(xf)
        # j = floor(log2(x / sqrt(1/2))) from the bits (0x3FE6A09E667F3BCD: sqrt(1/2));
        # m = x / 2^j in [sqrt(1/2), sqrt(2))
        bb = b - np.int64(0x3FE6A09E667F3BCD)
        j = bb >> np.int64(52)
        m = _i64_as_f64(b - (j << np.int64(52)))
        s = (m - 1.0) / (m + 1.0)
        s2 = s * s
        p = _atanh_series64(s2)
        jf = np.float64(j)
        r = jf * hi + (jf * lo + 2.0 * s * p)
        return r if xf < np.inf else xf

    return impl


@overload(exp_neg_fma, jit_options={"forceinline": True, "fastmath": {"contract"}})
def _exp_neg_fma_ol(x):  # type: ignore[no-untyped-def]
    # exp_neg's implementation, compiled here with the "contract" flag (a flag applies to
    # the instructions of the function it is compiled with, inlined or not)
    return _exp_neg_ol(x)
