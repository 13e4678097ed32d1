r"""Numba kernels of softmax focal loss: CatBoost's one-object full Hessian, and one pass.

CatBoost calls ``calc_ders_multi`` once per object and round, from C++ through Python, so
what costs is the per-call overhead: the NumPy path
(:meth:`focalkit.losses.SoftmaxLoss.grad_hess_matrix` on a (1, C) array) makes some fifty
small NumPy calls, about 150 us an object. This kernel computes the same gradient and
``"irls"`` / ``"exact"`` Hessian matrix (:mod:`focalkit._core.losses._hessian_matrix`, whose
formula it follows; the tests compare the two to 1e-12) in one compiled call of a few
microseconds, for the specs built on softmax focal loss: focal, cross-entropy, class-weighted
and class-balanced CE, label smoothing, logit-adjusted CE (cross-entropy at shifted logits).
Other specs, the ``"clipped"`` policy (an eigen-decomposition) and labels that are not an
integer in 0..C-1 (which must raise the form's error) take the NumPy path.

:func:`diag_grad_hess` is the same gradient with the ``"irls"`` diagonal Hessian for (n, C)
margins in one pass (XGBoost, LightGBM), in place of some twenty NumPy passes.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from focalkit._core.losses.focal import SoftmaxCELoss, SoftmaxFocalLoss
from focalkit._core.losses.label_smoothing import SoftmaxLabelSmoothingLoss
from focalkit._core.losses.logit_adjusted import LogitAdjustedCELoss
from focalkit._core.losses.weighted import SoftmaxClassBalancedLoss, WeightedCELoss

__all__ = ["diag_grad_hess", "matrix_kernel_args", "one_object_grad_hess_matrix"]

_numba: Any
try:  # numba is optional (the `cpu` extra)
    import numba as _numba
except ImportError:  # pragma: no cover - exercised where numba is absent
    _numba = None

if _numba is not None:

    @_numba.njit(cache=True)
    def _kernel(z, label, gamma, cw, smoothing, shift, exact, factor):  # pragma: no cover
        n = z.shape[0]
        g_out = np.zeros(n)
        h_out = np.zeros((n, n))
        if not (label >= 0 and label < n and label == np.floor(label)):
            return False, g_out, h_out
        y = int(label)
        zs = z + shift
        top = np.argmax(zs)
        m = zs[top]
        rest = 0.0  # the terms other than the top one (which is 1): log1p, p_top ~ 1
        for k in range(n):
            if k != top:
                rest += np.exp(zs[k] - m)
        lse = m + np.log1p(rest)
        logp = zs - lse
        p = np.exp(logp)
        q = -np.expm1(logp)
        r = np.ones(n)
        c = np.empty(n)
        w = np.empty(n)
        s = 0.0
        for k in range(n):
            if q[k] > 0:
                r[k] = -logp[k] / q[k]
            t = (1.0 - smoothing) * (1.0 if k == y else 0.0) + smoothing / n
            c[k] = t * cw[k]
            w[k] = q[k] ** gamma[k] * (1.0 + gamma[k] * p[k] * r[k])
            s += c[k] * w[k]
        for j in range(n):
            g_out[j] = factor * (p[j] * s - c[j] * w[j])
            for i in range(n):
                h_out[j, i] = s * ((p[j] if i == j else 0.0) - p[j] * p[i])
        if exact:
            for k in range(n):
                gk = gamma[k]
                d = c[k] * p[k] * gk * q[k] ** (gk + 1.0) * (
                    -2.0 + q[k] * r[k] - (gk - 1.0) * p[k] * r[k])
                if d == 0.0:
                    continue
                inv_q = 1.0 / q[k] if q[k] > 0 else 0.0
                for j in range(n):
                    vj = 1.0 if j == k else -p[j] * inv_q
                    for i in range(n):
                        vi = 1.0 if i == k else -p[i] * inv_q
                        h_out[j, i] -= d * vj * vi
        for j in range(n):
            for i in range(n):
                h_out[j, i] *= factor
        return True, g_out, h_out


    @_numba.njit(cache=True, fastmath={"contract"})
    def _diag_kernel(z, labels, w, has_w, gamma, cw, shift, scale,  # pragma: no cover
                     g_out, h_out):
        n, c = z.shape
        n_bad = 0
        logp = np.empty(c)
        for i in range(n):
            yi = labels[i]
            if not (yi >= 0 and yi < c and yi == np.floor(yi)):
                n_bad += 1
                continue
            y = int(yi)
            m = -np.inf
            top = 0
            for k in range(c):
                logp[k] = np.float64(z[i, k]) + shift[k]  # shifted logits, then exp(. - m)
                if logp[k] > m:
                    m, top = logp[k], k
            rest = 0.0  # the terms other than the top one (which is 1)
            for k in range(c):
                logp[k] = np.exp(logp[k] - m)
                if k != top:
                    rest += logp[k]
            inv = 1.0 / (1.0 + rest)
            lpy = (np.float64(z[i, y]) + shift[y] - m) - np.log1p(rest)  # log p_y
            py = logp[y] * inv
            qy = rest * inv if y == top else 1.0 - py  # 1 - p, accurate on both sides
            ry = -lpy / qy if qy > 0 else 1.0
            s = cw[y] * qy ** gamma[y] * (1.0 + gamma[y] * py * ry)
            wi = np.float64(w[i]) if has_w else 1.0
            hs = s * scale * wi
            for k in range(c):
                pk = logp[k] * inv
                qk = rest * inv if k == top else 1.0 - pk
                g_out[i, k] = (pk * s - (s if k == y else 0.0)) * wi
                h_out[i, k] = hs * pk * qk
        return n_bad


def diag_grad_hess(args: tuple[Any, ...], z: np.ndarray, labels: np.ndarray,
                   w: np.ndarray | None, scale: float) -> tuple[np.ndarray, np.ndarray] | None:
    """Gradient and ``"irls"`` diagonal Hessian of (n, C) margins in one pass, or None.

    XGBoost's and LightGBM's softmax calls (the NumPy path makes some twenty passes over
    the (n, C) array). ``args`` from :func:`matrix_kernel_args` with ``"irls"``, no label
    smoothing; computed in float64, returned in the margins' float dtype. None (nothing
    computed) when a label is not an integer class: the caller's checks then raise.
    """
    gamma, cw, smoothing, shift, exact = args
    if smoothing or exact:
        return None
    zc = np.ascontiguousarray(z)
    dtype = zc.dtype if zc.dtype.kind == "f" else np.dtype(np.float64)
    g_out = np.empty(zc.shape, dtype=dtype)
    h_out = np.empty(zc.shape, dtype=dtype)
    lab = np.ascontiguousarray(labels, dtype=np.float64)
    ww = lab if w is None else np.ascontiguousarray(w, dtype=np.float64)
    if _diag_kernel(zc, lab, ww, w is not None, gamma, cw, shift, float(scale), g_out, h_out):
        return None
    return g_out, h_out


def _vector(value: Any, n: int, default: float) -> np.ndarray:
    if value is None:
        return np.full(n, default)
    return np.ascontiguousarray(np.broadcast_to(np.asarray(value, dtype=np.float64), (n,)))


def _focal(spec: Any, n: int) -> tuple[Any, ...]:
    kw = spec._kw
    return (_vector(kw["gamma"], n, 0.0), _vector(kw["class_weight"], n, 1.0),
            float(kw["label_smoothing"]), np.zeros(n))


def _label_smoothing(spec: Any, n: int) -> tuple[Any, ...]:
    return np.zeros(n), np.ones(n), float(spec.values["smoothing"]), np.zeros(n)


def _logit_adjusted(spec: Any, n: int) -> tuple[Any, ...]:
    from focalkit._core.alternatives import logit_adjustment

    v = spec.values
    adj = np.asarray(logit_adjustment(np.asarray(v["prior"], dtype=float).reshape(-1),
                                      tau=v["tau"]), dtype=np.float64)
    if adj.shape != (n,):
        return ()
    return np.zeros(n), _vector(v["class_weight"], n, 1.0), 0.0, np.ascontiguousarray(adj)


#: Spec classes (exactly these: a subclass may change the mathematics) -> kernel arguments.
_ARGS = {SoftmaxFocalLoss: _focal, SoftmaxCELoss: _focal, WeightedCELoss: _focal,
         SoftmaxClassBalancedLoss: _focal, SoftmaxLabelSmoothingLoss: _label_smoothing,
         LogitAdjustedCELoss: _logit_adjusted}


def matrix_kernel_args(spec: Any, hessian: str, n_classes: int) -> tuple[Any, ...] | None:
    """The kernel's parameter arguments for a resolved spec, or None (use the NumPy path)."""
    make = _ARGS.get(type(spec))
    if _numba is None or make is None or hessian not in ("irls", "exact") or spec.needs_labels:
        return None
    for key in ("gamma", "class_weight"):
        v = spec.values.get(key)
        if v is not None and np.ndim(v) == 1 and np.shape(v) != (n_classes,):
            return None  # the NumPy path raises the error naming it
    args = make(spec, n_classes)
    return (*args, hessian == "exact") if args else None


def one_object_grad_hess_matrix(
    args: tuple[Any, ...], z: np.ndarray, label: float, weight: float, factor: float
) -> tuple[list[float], list[list[float]]] | None:
    """``(factor * weight * grad, factor * weight * hess)`` of one object as lists, or None.

    None when ``label`` is not an integer class of ``z`` (the caller's checks then raise).
    """
    gamma, cw, smoothing, shift, exact = args
    ok, g, h = _kernel(z, float(label), gamma, cw, smoothing, shift, exact,
                       float(factor) * float(weight))
    if not ok:
        return None
    return g.tolist(), h.tolist()
