"""Golden outputs of every public name of focalkit, frozen before the loss-registry refactor.

``python tests/golden/make_golden.py`` (re)writes ``golden.npz`` next to this file;
``--check`` compares instead of writing, ``--times`` prints CPU time per area.
``test_golden.py`` recomputes every entry through the same code and compares. To
regenerate from a clean commit rather than a working tree being edited::

    git worktree add /tmp/golden-base <commit>
    PYTHONPATH=/tmp/golden-base/src .venv/bin/python tests/golden/make_golden.py

Layout
------
A *group* is one computation (one public name at one parameter setting, input size and
dtype) that returns several arrays; each array is stored under the key
``"<group>/<suffix>"`` (e.g. ``"torch/binary_focal_loss_with_logits/gamma=0.5/n=100/
float64/mean/value"``) and is one pytest case. Groups are registered in :data:`GROUPS`
when this module is imported; importing it is cheap and imports no optional extra (torch,
xgboost, lightgbm, catboost are imported inside the groups that need them).

Every array is stored as float64 (booleans and integers converted; ``None`` as an empty
array of shape ``(0,)``), packed into one vector with a JSON index (see
:func:`save_golden`); :func:`load_golden` returns ``{key: array}``, :func:`load_meta` the
commit and library versions the values come from. Each group has a tolerance *kind* (see
:data:`TOLERANCES`); a suffix may override it (iterative initial scores, float32 outputs).

All inputs are fixed: NumPy ``default_rng`` seeded with the CRC32 of a tag (never Python's
``hash``, which is salted per process); booster thread counts 1; inside the torch groups,
one intra-op thread and a forked global RNG seeded with ``torch.manual_seed(0)``. Two
runs in fresh processes give bitwise identical values.
"""

from __future__ import annotations

import contextlib
import functools
import json
import sys
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

HERE = Path(__file__).resolve().parent
GOLDEN_PATH = HERE / "golden.npz"

#: kind -> (rtol, atol). "f32" is special: |a - b| <= 2e-6 * max|golden| + 1e-12 (relative
#: to the scale of the array, since float32 rounding is relative to the largest terms).
TOLERANCES: dict[str, tuple[float, float]] = {
    "f64": (1e-10, 1e-12),  # float64 closed-form mathematics
    "f32": (2e-6, 1e-12),  # float32 paths, relative to the value scale
    "solve": (1e-8, 1e-10),  # iterative 1-D / C-D solves (brentq, L-BFGS initial scores)
    "fit": (1e-6, 1e-8),  # calibrators fitted by L-BFGS (ftol 1e-14 stops at ~1e-7)
    "booster": (0.0, 1e-5),  # probabilities of trained boosters
    "mlp": (0.0, 1e-4),  # probabilities of the trained MLP
}

Output = Any  # np.ndarray, or (np.ndarray, kind)


@dataclass(frozen=True)
class Group:
    """One registered computation: ``fn()`` returns ``{suffix: array or (array, kind)}``."""

    name: str
    fn: Callable[[], dict[str, Output]]
    requires: tuple[str, ...] = ()
    kind: str = "f64"


GROUPS: dict[str, Group] = {}


def add(name: str, fn: Callable[[], dict[str, Output]], *, requires: tuple[str, ...] = (),
        kind: str = "f64") -> None:
    """Register a group (names must be unique)."""
    if name in GROUPS:
        raise ValueError(f"duplicate golden group {name!r}")
    if kind not in TOLERANCES:
        raise ValueError(f"unknown tolerance kind {kind!r}")
    GROUPS[name] = Group(name, fn, requires, kind)


def group_of(key: str) -> tuple[Group, str]:
    """(group, suffix) of a stored key: the longest registered prefix."""
    parts = key.split("/")
    for i in range(len(parts) - 1, 0, -1):
        prefix = "/".join(parts[:i])
        if prefix in GROUPS:
            return GROUPS[prefix], "/".join(parts[i:])
    raise KeyError(f"no golden group for key {key!r}")


# --------------------------------------------------------------------------- array helpers
def as_array(x: Any) -> np.ndarray:
    """A float64 NumPy array of ``x`` (tensor, list, scalar, bool; None -> shape (0,))."""
    if x is None:
        return np.zeros((0,), dtype=np.float64)
    if hasattr(x, "detach") and hasattr(x, "cpu"):  # torch tensor
        x = x.detach().cpu()
        x = (x.double() if x.is_floating_point() else x).numpy()
    arr = np.asarray(x)
    if arr.dtype == object:
        raise TypeError(f"cannot store an object array: {x!r}")
    return np.array(arr, dtype=np.float64)


def auto(x: Any, default: str | None = None) -> Output:
    """``x`` with the "f32" kind when it is a float32 array/tensor (else ``default``)."""
    dt = getattr(x, "dtype", None)
    is32 = dt is not None and str(dt) in ("float32", "torch.float32")
    if is32:
        return (x, "f32")
    return x if default is None else (x, default)


def normalise(out: dict[str, Output], default_kind: str) -> dict[str, tuple[np.ndarray, str]]:
    """``{suffix: (float64 array, kind)}``."""
    res = {}
    for k, v in out.items():
        if isinstance(v, tuple) and len(v) == 2 and isinstance(v[1], str):
            arr, kind = v
        else:
            arr, kind = v, default_kind
        if kind not in TOLERANCES:
            raise ValueError(f"unknown tolerance kind {kind!r} for {k!r}")
        res[k] = (as_array(arr), kind)
    return res


def compute(group: Group) -> dict[str, tuple[np.ndarray, str]]:
    """Run a group and normalise its outputs."""
    return normalise(group.fn(), group.kind)


def mismatch(actual: np.ndarray, expected: np.ndarray, kind: str) -> str | None:
    """None when ``actual`` matches ``expected`` within the tolerance ``kind``; else why."""
    if actual.shape != expected.shape:
        return f"shape {actual.shape} != golden {expected.shape}"
    if expected.size == 0:
        return None
    nan_a, nan_e = np.isnan(actual), np.isnan(expected)
    if not np.array_equal(nan_a, nan_e):
        return f"NaN pattern differs (actual {int(nan_a.sum())} NaN, golden {int(nan_e.sum())})"
    inf_e = np.isinf(expected)
    if not np.array_equal(np.isinf(actual), inf_e) or not np.array_equal(
            actual[inf_e], expected[inf_e]):
        return "inf pattern differs"
    ok = ~(nan_e | inf_e)
    a, e = actual[ok], expected[ok]
    if a.size == 0:
        return None
    rtol, atol = TOLERANCES[kind]
    if kind == "f32":
        allowed = rtol * float(np.max(np.abs(e))) + atol
    else:
        allowed = atol + rtol * np.abs(e)
    err = np.abs(a - e)
    bad = err > allowed
    if np.any(bad):
        i = int(np.argmax(err - allowed))
        return (f"{int(bad.sum())}/{a.size} elements off ({kind}: rtol={rtol}, atol={atol}); "
                f"worst: actual {a[i]!r} vs golden {e[i]!r} (|diff| {err[i]:.3e})")
    return None


def rng_for(tag: str) -> np.random.Generator:
    """A generator seeded by the CRC32 of ``tag`` (stable across processes)."""
    return np.random.default_rng(zlib.crc32(tag.encode()))


def _fmt(v: Any) -> str:
    if v is None:
        return "None"
    if isinstance(v, str):
        return v
    if isinstance(v, dict):
        return "{" + ",".join(f"{_fmt(k)}:{_fmt(x)}" for k, x in v.items()) + "}"
    if isinstance(v, (list, tuple, np.ndarray)):
        return "[" + ",".join(_fmt(x) for x in np.asarray(v).tolist()) + "]"
    if isinstance(v, float) and v.is_integer():
        return str(int(v)) if abs(v) < 1e6 else repr(v)
    return repr(v) if isinstance(v, float) else str(v)


def label(**kw: Any) -> str:
    """A readable setting label: ``gamma=2,alpha=0.25``."""
    return ",".join(f"{k}={_fmt(v)}" for k, v in kw.items()) or "default"


# --------------------------------------------------------------------------- fixed inputs
#: margins with the interesting points: +-30 (large |z|), the fp32 / fp16 underflow
#: edges of 0 < gamma < 1 (16.6, 8.3), the sign change of the exact Hessian at gamma=2
#: (-2.79), and 0
Z_GRID = np.array([-30.0, -20.0, -16.6, -10.0, -8.3, -5.0, -2.79, -1.0, -0.25, 0.0, 0.25, 1.0,
                   2.79, 5.0, 8.3, 10.0, 16.6, 20.0, 30.0])


@functools.cache
def core_binary_inputs() -> dict[str, np.ndarray]:
    """1-D margins (each grid point with y=0 and y=1), soft targets, and a 2-D set."""
    r = rng_for("core-binary")
    n = Z_GRID.size
    z = np.concatenate([Z_GRID, Z_GRID])
    y_hard = np.concatenate([np.zeros(n), np.ones(n)])
    y_soft = r.uniform(0.0, 1.0, size=2 * n)
    y_soft[[0, 5, 11]] = [0.0, 1.0, 0.5]
    z2 = np.concatenate([r.choice(Z_GRID, size=(6, 3)), r.normal(0.0, 3.0, size=(6, 3))])
    y2 = (r.random((12, 3)) < 0.4).astype(np.float64)
    y2_soft = r.uniform(0.0, 1.0, size=(12, 3))
    return {"z": z, "hard": y_hard, "soft": y_soft, "z2": z2, "hard2": y2, "soft2": y2_soft}


@functools.cache
def core_softmax_inputs() -> dict[str, np.ndarray]:
    """(8, 4) logits with extreme rows, integer labels, class-probability targets."""
    r = rng_for("core-softmax")
    logits = np.concatenate([
        np.array([[30.0, -30.0, 0.0, 1.0], [0.0, 0.0, 0.0, 0.0], [-30.0, -30.0, -30.0, 30.0],
                  [16.6, 0.0, -16.6, 2.0]]),
        r.normal(0.0, 3.0, size=(4, 4)),
    ])
    labels = np.array([1, 2, 3, 0, 0, 1, 2, 3])
    dense = r.dirichlet(np.ones(4), size=8)
    dense[0] = [0.0, 1.0, 0.0, 0.0]
    logits3 = r.normal(0.0, 4.0, size=(2, 4, 3))  # (N, C, d), classes on axis 1
    labels3 = r.integers(0, 4, size=(2, 3))
    return {"logits": logits, "labels": labels, "dense": dense, "logits3": logits3,
            "labels3": labels3}


def _binary_targets(kind: str, z: np.ndarray, tag: str) -> np.ndarray:
    r = rng_for("targets-" + tag)
    if kind == "soft":
        y = r.uniform(0.0, 1.0, size=z.shape)
        flat = y.reshape(-1)
        flat[: min(3, flat.size)] = [0.0, 1.0, 0.5][: min(3, flat.size)]
        return y
    return (r.random(z.shape) < 0.45).astype(np.float64)


@functools.cache
def torch_binary_logits(shape: tuple[int, ...]) -> np.ndarray:
    """Margins of a shape: the 12 extremes first, the rest normal(0, 4)."""
    n = int(np.prod(shape))
    ext = np.array([-30.0, 30.0, -16.6, 16.6, -4.0, -1.0, -0.3, 0.0, 0.3, 1.0, 2.79, 8.0])
    r = rng_for(f"torch-binary-{shape}")
    z = np.concatenate([ext, r.normal(0.0, 4.0, size=max(n - ext.size, 0))])[:n]
    return r.permutation(z).reshape(shape)


@functools.cache
def torch_softmax_logits(shape: tuple[int, ...]) -> np.ndarray:
    """(N, C, ...) logits with some extreme entries (+-30)."""
    r = rng_for(f"torch-softmax-{shape}")
    x = r.normal(0.0, 3.0, size=shape)
    flat = x.reshape(-1)
    k = min(flat.size, 6)
    flat[:k] = [30.0, -30.0, 16.6, -16.6, 0.0, 8.0][:k]
    return x


# --------------------------------------------------------------------------- context helpers
@contextlib.contextmanager
def torch_threads(n: int = 1) -> Iterator[Any]:
    """torch with ``n`` intra-op threads and a seeded, forked global RNG (both restored)."""
    import torch

    old = torch.get_num_threads()
    torch.set_num_threads(n)
    try:
        with torch.random.fork_rng(devices=[]):  # leave the global RNG as it was
            torch.manual_seed(0)
            yield torch
    finally:
        torch.set_num_threads(old)


# =========================================================================== core (NumPy)
def _register_core() -> None:
    inp = core_binary_inputs()
    settings: list[dict[str, Any]] = [
        {"gamma": 0.0}, {"gamma": 0.25}, {"gamma": 0.5}, {"gamma": 2.0},
        {"gamma": 2.0, "alpha": 0.25}, {"gamma": 1.0, "pos_weight": 3.0},
        {"gamma": 5.0, "alpha": 0.75, "pos_weight": 2.0},
    ]
    for st in settings:
        for tk in ("hard", "soft"):
            add(f"core/binary_focal/{label(**st)}/{tk}",
                functools.partial(_core_binary, inp["z"], inp[tk], st))
    per_label = {"gamma": [0.0, 0.5, 2.0], "alpha": [0.25, 0.5, 0.9], "pos_weight": [1.0, 2.0, 3.0]}
    for tk in ("hard2", "soft2"):
        add(f"core/binary_focal/per_label/{tk}",
            functools.partial(_core_binary, inp["z2"], inp[tk], per_label))

    sm = core_softmax_inputs()
    sm_settings: list[tuple[str, dict[str, Any], str]] = [
        ("gamma=0", {"gamma": 0.0}, "labels"),
        ("gamma=0.5", {"gamma": 0.5}, "labels"),
        ("gamma=2", {"gamma": 2.0}, "labels"),
        ("gamma=5", {"gamma": 5.0}, "labels"),
        ("gamma=2,class_weight", {"gamma": 2.0, "class_weight": [0.5, 1.0, 2.0, 4.0]}, "labels"),
        ("gamma=1,label_smoothing=0.1", {"gamma": 1.0, "label_smoothing": 0.1}, "labels"),
        ("gamma=2,dense", {"gamma": 2.0}, "dense"),
        ("gamma=0,dense,class_weight", {"gamma": 0.0, "class_weight": [1.0, 2.0, 1.0, 0.5]},
         "dense"),
        ("gamma=[0,0.5,2,3]", {"gamma": [0.0, 0.5, 2.0, 3.0]}, "labels"),
    ]
    for lab, st, tk in sm_settings:
        add(f"core/softmax_focal/{lab}",
            functools.partial(_core_softmax, sm["logits"], sm[tk], st))
    # classes on axis 0 (transposed) and on axis 1 of a 3-D array
    add("core/softmax_focal/gamma=2,axis=0",
        functools.partial(_core_softmax, sm["logits"].T.copy(), sm["labels"], {"gamma": 2.0},
                          axis=0))
    add("core/softmax_focal/gamma=2,axis=1,3d",
        functools.partial(_core_softmax, sm["logits3"], sm["labels3"], {"gamma": 2.0}, axis=1))

    add("core/init_score", _core_init_scores, kind="solve")
    add("core/focal_to_posterior", _core_posterior)
    add("core/prior_bias", _core_prior_bias)
    add("core/resolve", _core_resolve)


def _core_binary(z: np.ndarray, y: np.ndarray, st: dict[str, Any]) -> dict[str, Output]:
    import focalkit as fk
    from focalkit import _core

    out: dict[str, Output] = {
        "loss": fk.binary_focal_loss(z, y, **st),
        "grad": fk.binary_focal_grad(z, y, **st),
    }
    for h in ("exact", "irls", "clipped"):
        out[f"hessian/{h}"] = fk.binary_focal_hessian(z, y, hessian=h, **st)
        g, hh = fk.binary_focal_grad_hess(z, y, hessian=h, **st)
        out[f"grad_hess/{h}/grad"], out[f"grad_hess/{h}/hess"] = g, hh
    out["hessian/clipped,floor=1e-3"] = fk.binary_focal_hessian(
        z, y, hessian="clipped", hessian_floor=1e-3, **st)
    default_g, default_h = fk.binary_focal_grad_hess(z, y, **st)  # default hessian="irls"
    out["grad_hess/default/grad"], out["grad_hess/default/hess"] = default_g, default_h
    lv, gv = _core.binary_focal_loss_grad(z, y, **st)
    out["_core.binary_focal_loss_grad/loss"], out["_core.binary_focal_loss_grad/grad"] = lv, gv
    return out


def _core_softmax(logits: np.ndarray, target: np.ndarray, st: dict[str, Any],
                  axis: int = -1) -> dict[str, Output]:
    import focalkit as fk
    from focalkit import _core

    kw = dict(st, axis=axis)
    out: dict[str, Output] = {
        "loss": fk.softmax_focal_loss(logits, target, **kw),
        "grad": fk.softmax_focal_grad(logits, target, **kw),
    }
    for h in ("irls", "exact", "clipped"):
        g, hh = fk.softmax_focal_grad_hess(logits, target, hessian=h, **kw)
        out[f"grad_hess/{h}/grad"], out[f"grad_hess/{h}/hess"] = g, hh
    g, hh = fk.softmax_focal_grad_hess(logits, target, hessian="clipped", hessian_floor=1e-2,
                                       **kw)
    out["grad_hess/clipped,floor=1e-2/hess"] = hh
    lv, gv = _core.softmax_focal_loss_grad(logits, target, **kw)
    out["_core.softmax_focal_loss_grad/loss"] = lv
    out["_core.softmax_focal_loss_grad/grad"] = gv
    return out


def _imbalanced_labels() -> dict[str, np.ndarray]:
    r = rng_for("init-labels")
    y = (r.random(200) < 0.1).astype(np.float64)
    y[:2] = [1.0, 0.0]
    y2 = (r.random((200, 3)) < np.array([0.1, 0.3, 0.5])).astype(np.float64)
    yc = r.choice(3, size=200, p=[0.7, 0.2, 0.1])
    yc[:3] = [0, 1, 2]
    sw = r.uniform(0.5, 2.0, size=200)
    return {"y": y, "y2": y2, "yc": yc, "sw": sw}


def _core_init_scores() -> dict[str, Output]:
    import focalkit as fk

    d = _imbalanced_labels()
    y, y2, yc, sw = d["y"], d["y2"], d["yc"], d["sw"]
    out: dict[str, Output] = {}
    for g in (0.0, 0.5, 2.0, 5.0):
        out[f"binary/gamma={_fmt(g)}"] = fk.binary_focal_init_score(y, gamma=g)
        out[f"binary/gamma={_fmt(g)},alpha=0.25"] = fk.binary_focal_init_score(
            y, gamma=g, alpha=0.25)
    out["binary/gamma=2,pos_weight=3"] = fk.binary_focal_init_score(y, gamma=2.0, pos_weight=3.0)
    out["binary/gamma=2,sample_weight"] = fk.binary_focal_init_score(y, gamma=2.0,
                                                                     sample_weight=sw)
    out["binary/docstring_10pct"] = fk.binary_focal_init_score([1] + [0] * 9, gamma=2.0)
    out["binary/soft"] = fk.binary_focal_init_score(
        rng_for("init-soft").uniform(0, 1, size=50), gamma=2.0, alpha=0.25)
    out["multilabel/gamma=2"] = fk.binary_focal_init_score(y2, gamma=2.0)
    out["multilabel/per_label"] = fk.binary_focal_init_score(
        y2, gamma=[0.0, 1.0, 2.0], alpha=[0.25, 0.5, 0.75], pos_weight=[1.0, 2.0, 1.0])
    for g in (0.0, 0.5, 2.0):
        out[f"softmax/gamma={_fmt(g)}"] = fk.softmax_focal_init_score(yc, gamma=g)
    out["softmax/gamma=2,class_weight"] = fk.softmax_focal_init_score(
        yc, gamma=2.0, class_weight=[0.5, 1.0, 3.0])
    out["softmax/gamma=2,sample_weight"] = fk.softmax_focal_init_score(yc, gamma=2.0,
                                                                       sample_weight=sw)
    out["softmax/gamma=[0,1,2]"] = fk.softmax_focal_init_score(yc, gamma=[0.0, 1.0, 2.0])
    out["softmax/n_classes=4"] = fk.softmax_focal_init_score(
        np.concatenate([yc, [3]]), 4, gamma=1.0)
    return out


def _core_posterior() -> dict[str, Output]:
    import focalkit as fk

    q = np.array([0.0, 1e-300, 1e-12, 1e-6, 0.01, 0.1, 0.25, 0.5, 0.75, 0.9, 0.99, 1 - 1e-6,
                  1 - 1e-12, 1.0])
    out: dict[str, Output] = {}
    for g in (0.0, 0.5, 1.0, 2.0, 5.0):
        # gamma=0 at exactly q=0 or 1 computes 0 * inf (a RuntimeWarning, an error under
        # pytest's filterwarnings=error) before it maps the endpoints to themselves: the
        # endpoints are left out there
        qq = q[1:-1] if g == 0 else q
        for a in (None, 0.25, 0.9):
            out[f"gamma={_fmt(g)},alpha={_fmt(a)}"] = fk.focal_to_posterior(qq, gamma=g, alpha=a)
    out["gamma=2,alpha=0.25,pos_weight=3"] = fk.focal_to_posterior(q, gamma=2.0, alpha=0.25,
                                                                   pos_weight=3.0)
    out["gamma=2,pos_weight=0.5"] = fk.focal_to_posterior(q, gamma=2.0, pos_weight=0.5)
    out["scalar"] = fk.focal_to_posterior(0.5, gamma=2.0, alpha=0.9)
    out["2d"] = fk.focal_to_posterior(q[2:12].reshape(2, 5), gamma=1.0)
    return out


def _core_prior_bias() -> dict[str, Output]:
    import focalkit as fk

    return {
        "0.01": fk.prior_bias(0.01),
        "0.3": fk.prior_bias(0.3),
        "0.99": fk.prior_bias(0.99),
        "[0.7,0.2,0.1]": fk.prior_bias([0.7, 0.2, 0.1]),
        "[3,1] (normalised)": fk.prior_bias([3.0, 1.0]),
    }


def _core_resolve() -> dict[str, Output]:
    import focalkit as fk

    d = _imbalanced_labels()
    y, y2, yc, sw = d["y"], d["y2"], d["yc"], d["sw"]
    return {
        "resolve_alpha/None": fk.resolve_alpha(None, y),
        "resolve_alpha/0.25": fk.resolve_alpha(0.25),
        "resolve_alpha/balanced": fk.resolve_alpha("balanced", y),
        "resolve_alpha/balanced,sample_weight": fk.resolve_alpha("balanced", y,
                                                                 sample_weight=sw),
        "resolve_alpha/balanced,2d": fk.resolve_alpha("balanced", y2),
        "resolve_alpha/vector": fk.resolve_alpha([0.1, 0.5, 0.9]),
        "resolve_class_weight/None": fk.resolve_class_weight(None, yc),
        "resolve_class_weight/balanced": fk.resolve_class_weight("balanced", yc),
        "resolve_class_weight/balanced,sample_weight": fk.resolve_class_weight(
            "balanced", yc, sample_weight=sw),
        "resolve_class_weight/effective_number": fk.resolve_class_weight("effective_number", yc),
        "resolve_class_weight/effective_number,beta=0.9": fk.resolve_class_weight(
            "effective_number", yc, beta=0.9),
        "resolve_class_weight/dict": fk.resolve_class_weight({0: 1.0, 2: 5.0}, n_classes=4),
        "resolve_class_weight/vector": fk.resolve_class_weight([1.0, 2.0, 3.0], n_classes=3),
        "resolve_class_weight/balanced,n_classes=3": fk.resolve_class_weight(
            "balanced", yc, n_classes=3),
        "resolve_pos_weight/None": fk.resolve_pos_weight(None),
        "resolve_pos_weight/9": fk.resolve_pos_weight(9.0),
        "resolve_pos_weight/balanced": fk.resolve_pos_weight("balanced", y),
        "resolve_pos_weight/balanced,sample_weight": fk.resolve_pos_weight(
            "balanced", y, sample_weight=sw),
        "resolve_pos_weight/balanced,2d": fk.resolve_pos_weight("balanced", y2),
        "resolve_pos_weight/vector": fk.resolve_pos_weight([1.0, 2.5]),
    }


# =========================================================================== alternatives
def _register_alternatives() -> None:
    b = core_binary_inputs()
    s = core_softmax_inputs()
    A = "alternatives"

    def binary(name: str, st: dict[str, Any], fn: Callable[..., dict[str, Output]],
               targets: tuple[str, ...] = ("hard", "soft")) -> None:
        for tk in targets:
            z = b["z2"] if tk.endswith("2") else b["z"]
            arrays = {k: np.asarray(v) if isinstance(v, list) else v for k, v in st.items()}
            add(f"{A}/{name}/{label(**st)}/{tk}", functools.partial(fn, z, b[tk], arrays))

    for st in ({}, {"pos_weight": 9.0}, {"pos_weight": 2.5, "neg_weight": 0.5}):
        binary("weighted_bce", st, _alt_wbce)
    binary("weighted_bce", {"pos_weight": [1.0, 3.0, 9.0], "neg_weight": [1.0, 0.5, 2.0]},
           _alt_wbce, ("hard2", "soft2"))
    for st in ({"prior": 0.1}, {"prior": 0.3, "tau": 0.5}, {"prior": 0.1, "tau": 0.0}):
        binary("logit_adjusted_bce", st, _alt_labce)
    binary("logit_adjusted_bce", {"prior": [0.1, 0.3, 0.6], "tau": 1.0}, _alt_labce,
           ("hard2", "soft2"))
    for st in ({}, {"gamma_pos": 1.0, "gamma_neg": 2.0, "clip": 0.0},
               {"gamma_pos": 0.0, "gamma_neg": 0.0, "clip": 0.0},
               {"gamma_pos": 0.5, "gamma_neg": 0.5, "clip": 0.2},
               {"gamma_pos": 0.0, "gamma_neg": 0.5, "clip": 0.05},
               {"gamma_pos": 2.0, "gamma_neg": 4.0, "clip": 1e-8}):
        binary("asymmetric", st, _alt_asl)
    for st in ({}, {"epsilon": 2.0, "gamma": 2.0, "alpha": 0.25},
               {"epsilon": -0.5, "gamma": 0.5}, {"epsilon": 0.0, "gamma": 2.0}):
        binary("poly1_binary_focal", st, _alt_poly1_binary)
    for st in ({}, {"gamma_star": 2.0, "beta_star": 1.0}, {"gamma_star": 4.0, "beta_star": 0.0},
               {"gamma_star": 0.5, "beta_star": -1.0}):
        binary("focal_star", st, _alt_focal_star)
    for st in ({}, {"alpha": 0.25}, {"threshold": 0.5, "gamma_low": 4.0, "gamma_high": 1.0},
               {"gamma_low": 0.0, "gamma_high": 0.0}):
        binary("flsd_binary_focal", st, _alt_flsd_binary)

    # softmax alternatives: (8, 4) logits, labels and class probabilities
    prior = [0.6, 0.25, 0.1, 0.05]
    for lab, st, tk in (
        ("prior=[0.6,0.25,0.1,0.05]", {"prior": prior}, "labels"),
        ("prior,tau=0.5,class_weight", {"prior": prior, "tau": 0.5,
                                        "class_weight": [0.5, 1.0, 2.0, 4.0]}, "labels"),
        ("prior,tau=0", {"prior": prior, "tau": 0.0}, "labels"),
        ("prior,dense", {"prior": prior}, "dense"),
    ):
        add(f"{A}/logit_adjusted_ce/{lab}",
            functools.partial(_alt_lace, s["logits"], s[tk], st))
    add(f"{A}/logit_adjusted_ce/prior,axis=0",
        functools.partial(_alt_lace, s["logits"].T.copy(), s["labels"], {"prior": prior},
                          axis=0))
    for lab, st, tk in (
        ("default", {}, "labels"),
        ("epsilon=0.5,gamma=2,class_weight", {"epsilon": 0.5, "gamma": 2.0,
                                              "class_weight": [0.5, 1.0, 2.0, 4.0]}, "labels"),
        ("epsilon=-0.5,gamma=1,dense", {"epsilon": -0.5, "gamma": 1.0}, "dense"),
        ("epsilon=0,gamma=2", {"epsilon": 0.0, "gamma": 2.0}, "labels"),
    ):
        add(f"{A}/poly1_softmax_focal/{lab}",
            functools.partial(_alt_poly1_softmax, s["logits"], s[tk], st))
    counts = [500, 100, 20, 5]
    for lab, st in (
        ("max_margin=0.5,scale=30", {"max_margin": 0.5, "scale": 30.0}),
        ("max_margin=0.5,scale=1,class_weight", {"max_margin": 0.5, "scale": 1.0,
                                                 "class_weight": [0.2, 0.5, 1.0, 2.0]}),
        ("max_margin=0,scale=1", {"max_margin": 0.0, "scale": 1.0}),
    ):
        add(f"{A}/ldam/{lab}",
            functools.partial(_alt_ldam, s["logits"], s["labels"], counts, st))
    for lab, st, tk in (
        ("default", {}, "labels"),
        ("class_weight", {"class_weight": [0.5, 1.0, 2.0, 4.0]}, "labels"),
        ("threshold=0.5,gamma_low=4,gamma_high=1", {"threshold": 0.5, "gamma_low": 4.0,
                                                    "gamma_high": 1.0}, "labels"),
        ("dense", {}, "dense"),
    ):
        add(f"{A}/flsd_softmax_focal/{lab}",
            functools.partial(_alt_flsd_softmax, s["logits"], s[tk], st))
    add(f"{A}/misc", _alt_misc)


def _alt_wbce(z, y, st):
    from focalkit._core import alternatives as alt

    g, h = alt.weighted_bce_grad_hess(z, y, **st)
    return {"loss": alt.weighted_bce_loss(z, y, **st), "grad": alt.weighted_bce_grad(z, y, **st),
            "grad_hess/grad": g, "grad_hess/hess": h}


def _alt_labce(z, y, st):
    from focalkit._core import alternatives as alt

    g, h = alt.logit_adjusted_bce_grad_hess(z, y, **st)
    return {"loss": alt.logit_adjusted_bce_loss(z, y, **st),
            "grad": alt.logit_adjusted_bce_grad(z, y, **st),
            "grad_hess/grad": g, "grad_hess/hess": h}


def _alt_asl(z, y, st):
    from focalkit._core import alternatives as alt

    out: dict[str, Output] = {"loss": alt.asymmetric_loss(z, y, **st),
                              "grad": alt.asymmetric_grad(z, y, **st)}
    for h in ("irls", "exact", "clipped"):
        g, hh = alt.asymmetric_grad_hess(z, y, hessian=h, **st)
        out[f"grad_hess/{h}/grad"], out[f"grad_hess/{h}/hess"] = g, hh
    _, hh = alt.asymmetric_grad_hess(z, y, hessian="clipped", hessian_floor=1e-3, **st)
    out["grad_hess/clipped,floor=1e-3/hess"] = hh
    return out


def _alt_poly1_binary(z, y, st):
    from focalkit._core import alternatives as alt

    return {"loss": alt.poly1_binary_focal_loss(z, y, **st),
            "grad": alt.poly1_binary_focal_grad(z, y, **st)}


def _alt_focal_star(z, y, st):
    from focalkit._core import alternatives as alt

    g, h = alt.focal_star_grad_hess(z, y, **st)
    return {"loss": alt.focal_star_loss(z, y, **st), "grad": alt.focal_star_grad(z, y, **st),
            "grad_hess/grad": g, "grad_hess/hess": h}


def _alt_flsd_binary(z, y, st):
    from focalkit._core import alternatives as alt

    return {"loss": alt.flsd_binary_focal_loss(z, y, **st),
            "grad": alt.flsd_binary_focal_grad(z, y, **st)}


def _alt_lace(logits, target, st, axis=-1):
    from focalkit._core import alternatives as alt

    g, h = alt.logit_adjusted_ce_grad_hess(logits, target, axis=axis, **st)
    return {"loss": alt.logit_adjusted_ce_loss(logits, target, axis=axis, **st),
            "grad": alt.logit_adjusted_ce_grad(logits, target, axis=axis, **st),
            "grad_hess/grad": g, "grad_hess/hess": h}


def _alt_poly1_softmax(logits, target, st):
    from focalkit._core import alternatives as alt

    return {"loss": alt.poly1_softmax_focal_loss(logits, target, **st),
            "grad": alt.poly1_softmax_focal_grad(logits, target, **st)}


def _alt_ldam(logits, labels, counts, st):
    from focalkit._core import alternatives as alt

    st = dict(st)
    margins = alt.ldam_margins(counts, max_margin=st.pop("max_margin"))
    return {"margins": margins,
            "loss": alt.ldam_loss(logits, labels, margins=margins, **st),
            "grad": alt.ldam_grad(logits, labels, margins=margins, **st)}


def _alt_flsd_softmax(logits, target, st):
    from focalkit._core import alternatives as alt

    return {"loss": alt.flsd_softmax_focal_loss(logits, target, **st),
            "grad": alt.flsd_softmax_focal_grad(logits, target, **st)}


def _alt_misc() -> dict[str, Output]:
    from focalkit._core import alternatives as alt

    y = np.array([0.0, 1.0, 0.5, 0.25])
    p_t = np.array([0.0, 0.05, 0.1999, 0.2, 0.2001, 0.5, 0.9, 1.0])
    d = _imbalanced_labels()
    drw = alt.DeferredReweighting([900, 100, 10], start_epoch=5)
    drw2 = alt.DeferredReweighting([50, 30, 20, 5], start_epoch=0, beta=0.99)
    return {
        "smooth_binary_targets/0.1": alt.smooth_binary_targets(y, 0.1),
        "smooth_binary_targets/default": alt.smooth_binary_targets(y),
        "smooth_binary_targets/0": alt.smooth_binary_targets(y, 0.0),
        "smooth_binary_targets/0.3": alt.smooth_binary_targets(y, 0.3),
        "logit_adjustment/0.1": alt.logit_adjustment(0.1),
        "logit_adjustment/0.3,tau=0.5": alt.logit_adjustment(0.3, tau=0.5),
        "logit_adjustment/vector": alt.logit_adjustment([0.6, 0.3, 0.1]),
        "logit_adjustment/vector,tau=2": alt.logit_adjustment([0.6, 0.3, 0.1], tau=2.0),
        "ldam_margins/[500,100,20,5]": alt.ldam_margins([500, 100, 20, 5]),
        "ldam_margins/[10000,1],max_margin=1": alt.ldam_margins([10000, 1], max_margin=1.0),
        "DeferredReweighting/[900,100,10]/epoch=0": drw.class_weight(0),
        "DeferredReweighting/[900,100,10]/epoch=4": drw.class_weight(4),
        "DeferredReweighting/[900,100,10]/epoch=5": drw.class_weight(5),
        "DeferredReweighting/[900,100,10]/epoch=50": drw.class_weight(50),
        "DeferredReweighting/[900,100,10]/weights_": drw.weights_,
        "DeferredReweighting/[50,30,20,5],beta=0.99/epoch=0": drw2.class_weight(0),
        "flsd_gamma/default": alt.flsd_gamma(p_t),
        "flsd_gamma/threshold=0.5,4,1": alt.flsd_gamma(p_t, threshold=0.5, gamma_low=4.0,
                                                       gamma_high=1.0),
        "prior_bias/0.01": alt.prior_bias(0.01),
        "prior_bias/vector": alt.prior_bias([0.5, 0.3, 0.2]),
        "resolve_pos_weight/balanced": alt.resolve_pos_weight("balanced", d["y"]),
        "resolve_pos_weight/balanced,2d,sample_weight": alt.resolve_pos_weight(
            "balanced", d["y2"], sample_weight=d["sw"]),
        "resolve_pos_weight/None": alt.resolve_pos_weight(None),
        "resolve_pos_weight/4": alt.resolve_pos_weight(4),
    }


# =========================================================================== torch
BINARY_SHAPES = ((3, 4), (25, 4))  # 12 elements (reference path), 100 (fused CPU kernel)
SOFTMAX_SHAPES = ((3, 4), (25, 4))
DTYPES = ("float64", "float32")
IGNORE = -100


@dataclass(frozen=True)
class TorchSetting:
    """One parameter setting of a torch loss and how to call the function and module.

    ``params(torch, shape, dtype)`` builds the tensors the call needs; ``fn`` / ``mod`` are
    ``(x, target, reduction, params) -> loss``; ``mod`` None when the module has no such
    setting. ``target``: "hard", "soft", "bool" (binary), "labels", "labels_ignore",
    "dense" (softmax). ``shapes`` overrides the default input shapes.
    """

    label: str
    target: str
    fn: Callable[..., Any]
    mod: Callable[..., Any] | None
    params: Callable[..., dict[str, Any]] | None = None
    shapes: tuple[tuple[int, ...], ...] | None = None


def _no_params(torch: Any, shape: tuple[int, ...], dtype: Any) -> dict[str, Any]:
    return {}


def _torch_target(torch: Any, kind: str, shape: tuple[int, ...], dtype: Any,
                  tag: str, ignore_index: int = IGNORE) -> Any:
    if kind in ("hard", "soft", "bool"):
        y = _binary_targets("soft" if kind == "soft" else "hard", np.zeros(shape), tag)
        if kind == "bool":
            return torch.tensor(y > 0.5)
        return torch.tensor(y, dtype=dtype)
    r = rng_for("softmax-target-" + tag)
    c = shape[1] if len(shape) > 1 else shape[0]
    if kind == "dense":
        t = r.dirichlet(np.ones(c), size=int(np.prod(shape)) // c)  # (M, C)
        if len(shape) == 1:
            return torch.tensor(t[0], dtype=dtype)
        lead = (shape[0],) + tuple(shape[2:])
        t = t.reshape(lead + (c,))
        t = np.moveaxis(t, -1, 1)
        return torch.tensor(np.ascontiguousarray(t), dtype=dtype)
    lead = (shape[0],) + tuple(shape[2:]) if len(shape) > 1 else ()
    lab = r.integers(0, c, size=lead)
    if kind == "labels_ignore":
        flat = lab.reshape(-1)
        flat[:: 4] = ignore_index
    return torch.tensor(lab, dtype=torch.int64)


def _go(torch: Any, shape: tuple[int, ...], dtype: Any) -> Any:
    r = rng_for(f"grad-output-{shape}")
    return torch.tensor(r.uniform(0.5, 1.5, size=shape), dtype=dtype)


def _torch_group(family: str, st: TorchSetting, shape: tuple[int, ...], dtype_name: str,
                 use_module: bool, fast_path: bool | None = None,
                 ignore_index: int = IGNORE) -> dict[str, Output]:
    from focalkit.torch import use_fast_path

    with torch_threads(1) as torch:
        dtype = getattr(torch, dtype_name)
        x_np = (torch_binary_logits(shape) if family == "binary"
                else torch_softmax_logits(shape))
        t = _torch_target(torch, st.target, shape, dtype, f"{family}-{shape}",
                          ignore_index=ignore_index)
        p = (st.params or _no_params)(torch, shape, dtype)
        call = st.mod if use_module else st.fn
        assert call is not None
        ctx = use_fast_path(fast_path) if fast_path is not None else contextlib.nullcontext()
        out: dict[str, Output] = {}
        with ctx:
            for red in ("none", "mean", "sum"):
                x = torch.tensor(x_np, dtype=dtype, requires_grad=True)
                loss = call(x, t, red, p)
                if red == "none":
                    loss.backward(_go(torch, tuple(loss.shape), dtype))
                else:
                    loss.backward()
                out[f"{red}/value"] = auto(loss)
                out[f"{red}/grad"] = auto(x.grad)
            x = torch.tensor(x_np, dtype=dtype, requires_grad=True)
            call(x, t, "none", p).sum().backward()  # stride-0 grad_output of .sum()
            out["none/grad_of_sum"] = auto(x.grad)
        return out


def _register_torch_case(fn_name: str, mod_name: str | None, family: str,
                         settings: list[TorchSetting], fast_path_variants: bool = False) -> None:
    default_shapes = BINARY_SHAPES if family == "binary" else SOFTMAX_SHAPES
    for st in settings:
        for shape in st.shapes or default_shapes:
            n = int(np.prod(shape))
            size = f"n={n}" if len(shape) == 2 else "shape=" + "x".join(map(str, shape))
            for dt in DTYPES:
                for use_module, name in ((False, fn_name), (True, mod_name)):
                    if name is None or (use_module and st.mod is None):
                        continue
                    add(f"torch/{name}/{st.label}/{size}/{dt}",
                        functools.partial(_torch_group, family, st, shape, dt, use_module),
                        requires=("torch",))
                if fast_path_variants and n >= 64:
                    add(f"torch/{fn_name}/{st.label},fast_path=off/{size}/{dt}",
                        functools.partial(_torch_group, family, st, shape, dt, False, False),
                        requires=("torch",))


def _bfl(x, t, red, p, **kw):
    from focalkit.torch import binary_focal_loss_with_logits

    return binary_focal_loss_with_logits(x, t, reduction=red, **kw, **p)


def _bfl_mod(x, t, red, p, **kw):
    from focalkit.torch import BinaryFocalLossWithLogits

    return BinaryFocalLossWithLogits(reduction=red, **kw, **p)(x, t)


def _weights_binary(torch, shape, dtype):
    r = rng_for(f"weights-binary-{shape}")
    return {"weight": torch.tensor(r.uniform(0.2, 2.0, size=shape), dtype=dtype),
            "pos_weight": torch.tensor([1.0, 2.0, 0.5, 4.0], dtype=dtype)}


def _row_weight_binary(torch, shape, dtype):
    r = rng_for(f"row-weights-binary-{shape}")
    return {"weight": torch.tensor(r.uniform(0.2, 2.0, size=(shape[0], 1)), dtype=dtype)}


def _per_label_binary(torch, shape, dtype):
    return {"gamma": torch.tensor([0.0, 0.5, 2.0, 3.0], dtype=dtype),
            "alpha": torch.tensor([0.25, 0.5, 0.75, 0.9], dtype=dtype)}


def _register_torch_focal() -> None:
    P = functools.partial
    bset = [
        TorchSetting("gamma=2", "hard", P(_bfl), P(_bfl_mod)),
        TorchSetting("gamma=0.5", "hard", P(_bfl, gamma=0.5), P(_bfl_mod, gamma=0.5)),
        TorchSetting("gamma=0", "hard", P(_bfl, gamma=0.0), P(_bfl_mod, gamma=0.0)),
        TorchSetting("gamma=2,alpha=0.25", "hard", P(_bfl, alpha=0.25),
                     P(_bfl_mod, alpha=0.25)),
        TorchSetting("gamma=2,alpha=0.25,weight,pos_weight", "hard", P(_bfl, alpha=0.25),
                     P(_bfl_mod, alpha=0.25), _weights_binary),
        TorchSetting("gamma=1,row_weight", "hard", P(_bfl, gamma=1.0), P(_bfl_mod, gamma=1.0),
                     _row_weight_binary),
        TorchSetting("gamma=1.5,soft", "soft", P(_bfl, gamma=1.5), P(_bfl_mod, gamma=1.5)),
        TorchSetting("gamma=0.25,alpha=0.75,soft,weight,pos_weight", "soft",
                     P(_bfl, gamma=0.25, alpha=0.75), P(_bfl_mod, gamma=0.25, alpha=0.75),
                     _weights_binary),
        TorchSetting("gamma=2,bool_target", "bool", P(_bfl), P(_bfl_mod)),
        TorchSetting("gamma,alpha=per_label", "hard", P(_bfl), P(_bfl_mod), _per_label_binary),
    ]
    _register_torch_case("binary_focal_loss_with_logits", "BinaryFocalLossWithLogits",
                         "binary", bset, fast_path_variants=True)

    sset = [
        TorchSetting("gamma=2", "labels", P(_sfl), P(_sfl_mod)),
        TorchSetting("gamma=0.5", "labels", P(_sfl, gamma=0.5), P(_sfl_mod, gamma=0.5)),
        TorchSetting("gamma=0", "labels", P(_sfl, gamma=0.0), P(_sfl_mod, gamma=0.0)),
        TorchSetting("gamma=2,weight", "labels", P(_sfl), P(_sfl_mod), _class_weight),
        TorchSetting("gamma=2,weight,ignore_index", "labels_ignore", P(_sfl), P(_sfl_mod),
                     _class_weight),
        TorchSetting("gamma=1,label_smoothing=0.1", "labels",
                     P(_sfl, gamma=1.0, label_smoothing=0.1),
                     P(_sfl_mod, gamma=1.0, label_smoothing=0.1)),
        TorchSetting("gamma=2,weight,label_smoothing=0.2,ignore_index", "labels_ignore",
                     P(_sfl, label_smoothing=0.2), P(_sfl_mod, label_smoothing=0.2),
                     _class_weight),
        TorchSetting("gamma=2,dense", "dense", P(_sfl), P(_sfl_mod)),
        TorchSetting("gamma=0.5,dense,weight,label_smoothing=0.1", "dense",
                     P(_sfl, gamma=0.5, label_smoothing=0.1),
                     P(_sfl_mod, gamma=0.5, label_smoothing=0.1), _class_weight),
        TorchSetting("gamma=per_class", "labels", P(_sfl), P(_sfl_mod), _per_class_gamma),
        TorchSetting("gamma=2,nd,ignore_index", "labels_ignore", P(_sfl), P(_sfl_mod),
                     shapes=((2, 4, 3, 5),)),
        TorchSetting("gamma=2,nd,dense,weight", "dense", P(_sfl), P(_sfl_mod), _class_weight,
                     shapes=((2, 4, 3, 5),)),
        TorchSetting("gamma=2,unbatched", "labels", P(_sfl), P(_sfl_mod), shapes=((4,),)),
    ]
    _register_torch_case("focal_loss", "FocalLoss", "softmax", sset, fast_path_variants=True)
    # a custom ignore_index (a negative label other than -100)
    st = TorchSetting("gamma=2,ignore_index=-1", "labels_ignore", P(_sfl, ignore_index=-1),
                      P(_sfl_mod, ignore_index=-1))
    for shape in SOFTMAX_SHAPES:
        for dt in DTYPES:
            for use_module, name in ((False, "focal_loss"), (True, "FocalLoss")):
                add(f"torch/{name}/{st.label}/n={int(np.prod(shape))}/{dt}",
                    functools.partial(_torch_group, "softmax", st, shape, dt, use_module,
                                      None, -1),
                    requires=("torch",))


def _sfl(x, t, red, p, **kw):
    from focalkit.torch import focal_loss

    return focal_loss(x, t, reduction=red, **kw, **p)


def _sfl_mod(x, t, red, p, **kw):
    from focalkit.torch import FocalLoss

    return FocalLoss(reduction=red, **kw, **p)(x, t)


def _class_weight(torch, shape, dtype):
    return {"weight": torch.tensor([0.5, 1.0, 2.0, 4.0], dtype=dtype)}


def _per_class_gamma(torch, shape, dtype):
    return {"gamma": torch.tensor([0.0, 0.5, 2.0, 3.0], dtype=dtype)}


# --------------------------------------------------------------------------- torch alternatives
def _call(name: str, x, t, red, p, **kw):
    import focalkit.torch as ft

    return getattr(ft, name)(x, t, reduction=red, **kw, **p)


def _call_mod(name: str, ctor: dict[str, Any], fwd_weight: bool, x, t, red, p):
    """Module ``name(**ctor, **p_ctor, reduction=red)``; ``weight`` from ``p`` goes to
    ``forward`` for the binary modules (``fwd_weight``) and to the constructor otherwise."""
    import focalkit.torch as ft

    p = dict(p)
    w = p.pop("weight", None) if fwd_weight else None
    mod = getattr(ft, name)(**ctor, **p, reduction=red)
    return mod(x, t, weight=w) if fwd_weight else mod(x, t)


def _elem_weight(torch, shape, dtype):
    r = rng_for(f"elem-weight-{shape}")
    return {"weight": torch.tensor(r.uniform(0.2, 2.0, size=shape), dtype=dtype)}


def _register_torch_alternatives() -> None:
    P = functools.partial

    def bin_case(fn: str, mod: str, rows: list[tuple[str, str, dict[str, Any], dict[str, Any],
                                                     Any]]) -> None:
        """rows: (label, target, function kwargs, module ctor kwargs or None, params)."""
        settings = []
        for lab, tk, fkw, mkw, params in rows:
            m = None if mkw is None else P(_call_mod, mod, mkw, True)
            settings.append(TorchSetting(lab, tk, P(_call, fn, **fkw), m, params))
        _register_torch_case(fn, mod, "binary", settings)

    def sm_case(fn: str, mod: str | None, rows: list[tuple[str, str, dict[str, Any],
                                                           dict[str, Any] | None, Any]],
                shapes: tuple[tuple[int, ...], ...] | None = None) -> None:
        settings = []
        for lab, tk, fkw, mkw, params in rows:
            m = None if (mkw is None or mod is None) else P(_call_mod, mod, mkw, False)
            settings.append(TorchSetting(lab, tk, P(_call, fn, **fkw), m, params, shapes))
        _register_torch_case(fn, mod, "softmax", settings)

    bin_case("weighted_bce_with_logits", "WeightedBCEWithLogitsLoss", [
        ("pos_weight=9", "hard", {"pos_weight": 9.0}, {"pos_weight": 9.0}, None),
        ("pos_weight=2.5,neg_weight=0.5,weight,soft", "soft",
         {"pos_weight": 2.5, "neg_weight": 0.5}, {"pos_weight": 2.5, "neg_weight": 0.5},
         _elem_weight),
    ])
    bin_case("logit_adjusted_bce_with_logits", "LogitAdjustedBCEWithLogitsLoss", [
        ("prior=0.1", "hard", {"prior": 0.1}, {"prior": 0.1}, None),
        ("prior=0.3,tau=0.5,weight,soft", "soft", {"prior": 0.3, "tau": 0.5},
         {"prior": 0.3, "tau": 0.5}, _elem_weight),
        ("prior=per_label", "hard", {"prior": [0.1, 0.2, 0.5, 0.7]},
         {"prior": [0.1, 0.2, 0.5, 0.7]}, None),
    ])
    bin_case("asymmetric_loss_with_logits", "AsymmetricLossWithLogits", [
        ("default", "hard", {}, {}, None),
        ("gamma_pos=1,gamma_neg=2,clip=0,weight,soft", "soft",
         {"gamma_pos": 1.0, "gamma_neg": 2.0, "clip": 0.0},
         {"gamma_pos": 1.0, "gamma_neg": 2.0, "clip": 0.0}, _elem_weight),
        ("gamma_pos=0.5,gamma_neg=0.5,clip=0.2", "hard",
         {"gamma_pos": 0.5, "gamma_neg": 0.5, "clip": 0.2},
         {"gamma_pos": 0.5, "gamma_neg": 0.5, "clip": 0.2}, None),
    ])
    bin_case("poly1_binary_focal_loss_with_logits", "Poly1BinaryFocalLossWithLogits", [
        ("default", "hard", {}, {}, None),
        ("epsilon=2,gamma=2,alpha=0.25,weight,soft", "soft",
         {"epsilon": 2.0, "gamma": 2.0, "alpha": 0.25},
         {"epsilon": 2.0, "gamma": 2.0, "alpha": 0.25}, _elem_weight),
        ("epsilon=-0.5,gamma=0.5", "hard", {"epsilon": -0.5, "gamma": 0.5},
         {"epsilon": -0.5, "gamma": 0.5}, None),
    ])
    bin_case("label_smoothing_bce_with_logits", "LabelSmoothingBCEWithLogitsLoss", [
        ("smoothing=0.1", "hard", {"smoothing": 0.1}, {"smoothing": 0.1}, None),
        ("default", "hard", {}, {}, None),
        ("smoothing=0.2,weight,soft", "soft", {"smoothing": 0.2}, {"smoothing": 0.2},
         _elem_weight),
        ("smoothing=0.2,pos_weight=3", "hard", {"smoothing": 0.2, "pos_weight": 3.0}, None,
         None),
    ])
    bin_case("focal_star_loss_with_logits", "FocalStarLossWithLogits", [
        ("gamma_star=2,beta_star=1", "hard", {"gamma_star": 2.0, "beta_star": 1.0},
         {"gamma_star": 2.0, "beta_star": 1.0}, None),
        ("gamma_star=4,beta_star=0,weight,soft", "soft", {"gamma_star": 4.0},
         {"gamma_star": 4.0}, _elem_weight),
        ("default", "hard", {}, {}, None),
    ])
    bin_case("flsd_binary_focal_loss_with_logits", "FLSDBinaryFocalLossWithLogits", [
        ("default", "hard", {}, {}, None),
        ("alpha=0.25,weight,soft", "soft", {"alpha": 0.25}, {"alpha": 0.25}, _elem_weight),
        ("threshold=0.5,gamma_low=4,gamma_high=1", "hard",
         {"threshold": 0.5, "gamma_low": 4.0, "gamma_high": 1.0},
         {"threshold": 0.5, "gamma_low": 4.0, "gamma_high": 1.0}, None),
    ])

    prior = [0.6, 0.25, 0.1, 0.05]
    sm_case("logit_adjusted_cross_entropy", "LogitAdjustedCrossEntropyLoss", [
        ("prior", "labels", {"prior": prior}, {"prior": prior}, None),
        ("prior,tau=0.5,weight,ignore_index", "labels_ignore", {"prior": prior, "tau": 0.5},
         {"prior": prior, "tau": 0.5}, _class_weight),
        ("prior,dense", "dense", {"prior": prior}, {"prior": prior}, None),
    ])
    sm_case("logit_adjusted_cross_entropy", "LogitAdjustedCrossEntropyLoss", [
        ("prior,nd,ignore_index", "labels_ignore", {"prior": prior}, {"prior": prior}, None),
    ], shapes=((2, 4, 3, 5),))
    sm_case("poly1_softmax_focal_loss", "Poly1CrossEntropyLoss", [
        ("default(gamma=2)", "labels", {}, {"gamma": 2.0}, None),
        ("epsilon=0.5,gamma=0.5,weight,ignore_index", "labels_ignore",
         {"epsilon": 0.5, "gamma": 0.5}, {"epsilon": 0.5, "gamma": 0.5}, _class_weight),
        ("epsilon=-0.5,gamma=1,dense", "dense", {"epsilon": -0.5, "gamma": 1.0},
         {"epsilon": -0.5, "gamma": 1.0}, None),
    ])
    sm_case("poly1_softmax_focal_loss", "Poly1CrossEntropyLoss", [
        ("gamma=2,nd", "labels", {"gamma": 2.0}, {"gamma": 2.0}, None),
    ], shapes=((2, 4, 3, 5),))
    sm_case("poly1_cross_entropy", "Poly1CrossEntropyLoss", [
        ("default", "labels", {}, {}, None),
        ("epsilon=2,weight,ignore_index", "labels_ignore", {"epsilon": 2.0}, {"epsilon": 2.0},
         _class_weight),
    ])
    counts = [500, 100, 20, 5]
    sm_case("ldam_loss", None, [
        ("max_margin=0.5,scale=30", "labels", {}, None, _ldam_margins_p(0.5, 30.0)),
        ("max_margin=0.5,scale=2,weight,ignore_index", "labels_ignore", {}, None,
         _ldam_margins_p(0.5, 2.0, True)),
    ])
    # the module takes class counts (margins from them) and a weight in the constructor,
    # which forward(weight=...) overrides
    _register_torch_case("LDAMLoss", None, "softmax", [
        TorchSetting(lab, tk, P(_ldam_mod, counts, ctor, ctor_w, fwd_w), None)
        for lab, tk, ctor, ctor_w, fwd_w in (
            ("max_margin=0.5,scale=30", "labels", {"max_margin": 0.5, "scale": 30.0}, False,
             False),
            ("max_margin=0.5,scale=2,weight,ignore_index", "labels_ignore",
             {"max_margin": 0.5, "scale": 2.0}, True, False),
            ("max_margin=1,scale=2,forward_weight", "labels", {"max_margin": 1.0, "scale": 2.0},
             True, True),
        )
    ])
    sm_case("flsd_softmax_focal_loss", "FLSDSoftmaxFocalLoss", [
        ("default", "labels", {}, {}, None),
        ("weight,ignore_index", "labels_ignore", {}, {}, _class_weight),
        ("threshold=0.5,gamma_low=4,gamma_high=1,dense", "dense",
         {"threshold": 0.5, "gamma_low": 4.0, "gamma_high": 1.0},
         {"threshold": 0.5, "gamma_low": 4.0, "gamma_high": 1.0}, None),
    ])
    add("torch/misc", _torch_misc, requires=("torch",))


def _ldam_margins_p(max_margin: float, scale: float, weight: bool = False):
    def params(torch, shape, dtype):
        from focalkit.torch import ldam_margins

        p: dict[str, Any] = {"margins": ldam_margins([500, 100, 20, 5], max_margin=max_margin),
                             "scale": scale}
        if weight:
            p["weight"] = torch.tensor([0.5, 1.0, 2.0, 4.0], dtype=dtype)
        return p

    return params


def _ldam_mod(counts, ctor, ctor_weight, forward_weight, x, t, red, p):
    import torch

    from focalkit.torch import LDAMLoss

    w = torch.tensor([0.5, 1.0, 2.0, 4.0], dtype=x.dtype)
    mod = LDAMLoss(counts, **ctor, weight=w if ctor_weight else None, reduction=red)
    return mod(x, t, weight=w * 2.0 if forward_weight else None)


def _torch_misc() -> dict[str, Output]:
    import focalkit.torch as ft

    with torch_threads(1) as torch:
        out: dict[str, Output] = {}
        for prior in (0.01, 0.2):
            lin = torch.nn.Linear(3, 1)
            w_before = lin.weight.detach().clone()
            ret = ft.prior_bias_init_(lin, prior=prior)
            out[f"prior_bias_init_/prior={_fmt(prior)}/bias"] = lin.bias
            out[f"prior_bias_init_/prior={_fmt(prior)}/same_object"] = float(ret is lin)
            out[f"prior_bias_init_/prior={_fmt(prior)}/weight_unchanged"] = float(
                torch.equal(lin.weight, w_before))
        lin = torch.nn.Linear(3, 1)
        ft.prior_bias_init_(lin)
        out["prior_bias_init_/default/bias"] = lin.bias
        for priors in ([0.5, 0.3, 0.15, 0.05], np.array([0.25, 0.25, 0.25, 0.25])):
            lin = torch.nn.Linear(3, 4, dtype=torch.float64)
            ret = ft.softmax_prior_bias_init_(lin, priors)
            key = "softmax_prior_bias_init_/" + _fmt(priors)
            out[key + "/bias"] = lin.bias
            out[key + "/same_object"] = float(ret is lin)
        out["fast_path_enabled"] = float(ft.fast_path_enabled())
        with ft.use_fast_path(False):
            out["use_fast_path(False)/fast_path_enabled"] = float(ft.fast_path_enabled())
        out["use_fast_path/restored"] = float(ft.fast_path_enabled())
        x = torch.tensor(torch_binary_logits((25, 4)))
        y = torch.tensor(_binary_targets("hard", np.zeros((25, 4)), "binary-(25, 4)"))
        with ft.sync_target_checks(True):
            out["sync_target_checks(True)/binary_focal_loss_with_logits"] = (
                ft.binary_focal_loss_with_logits(x, y))
        ft.check_pending_targets()
        out["check_pending_targets/returns_None"] = float(ft.check_pending_targets() is None)
        out["ldam_margins/[500,100,20,5]"] = ft.ldam_margins([500, 100, 20, 5])
        out["ldam_margins/[10,1],max_margin=1"] = ft.ldam_margins([10, 1], max_margin=1.0)
        drw = ft.DeferredReweighting([900, 100, 10], start_epoch=3, beta=0.999)
        out["DeferredReweighting/epoch=2"] = drw.class_weight(2)
        out["DeferredReweighting/epoch=3"] = drw.class_weight(3)
        return out


# =========================================================================== boosting
@functools.cache
def booster_inputs() -> dict[str, np.ndarray]:
    """Fixed margins/labels/weights for calling the objectives and metrics directly."""
    r = rng_for("booster-inputs")
    z = np.concatenate([Z_GRID, r.normal(0.0, 2.0, size=21)])  # (40,)
    y = (r.random(40) < 0.35).astype(np.float64)
    y[:19] = np.tile([0.0, 1.0], 10)[:19]
    y_soft = r.uniform(0.0, 1.0, size=40)
    w = r.uniform(0.5, 2.0, size=40)
    zm = np.concatenate([r.choice(Z_GRID, size=(5, 3)), r.normal(0.0, 2.0, size=(15, 3))])
    ym = (r.random((20, 3)) < 0.4).astype(np.float64)
    zc = np.concatenate([[[30.0, -30.0, 0.0], [0.0, 0.0, 0.0], [-16.6, 16.6, 1.0]],
                         r.normal(0.0, 2.0, size=(27, 3))])  # (30, 3)
    yc = r.integers(0, 3, size=30).astype(np.float64)
    yc[:3] = [0, 1, 2]
    wc = r.uniform(0.5, 2.0, size=30)
    return {"z": z, "y": y, "y_soft": y_soft, "w": w, "zm": zm, "ym": ym, "wm": w[:20],
            "zc": zc, "yc": yc, "wc": wc}


def _dmatrix(y: np.ndarray, w: np.ndarray | None = None) -> Any:
    import xgboost as xgb

    n = y.shape[0]
    return xgb.DMatrix(np.zeros((n, 1)), label=y, weight=w, nthread=1)


def _lgb_dataset(y: np.ndarray, w: np.ndarray | None = None) -> Any:
    import lightgbm as lgb

    n = y.shape[0]
    X = np.arange(n, dtype=np.float64).reshape(n, 1)
    return lgb.Dataset(X, label=y, weight=w, params={"verbosity": -1, "num_threads": 1},
                       free_raw_data=False).construct()


def _gh(prefix: str, gh: tuple[Any, Any], out: dict[str, Output]) -> None:
    g, h = gh
    out[prefix + "/grad"] = auto(g)
    out[prefix + "/hess"] = auto(h)


# -- XGBoost ---------------------------------------------------------------------------------
def _xgb_sigmoid_objective(make: Callable[[], Any], multilabel: bool,
                           soft: bool = False) -> dict[str, Output]:
    d = booster_inputs()
    z, y, w = (d["zm"], d["ym"], d["wm"]) if multilabel else (d["z"], d["y"], d["w"])
    obj = make()
    out: dict[str, Output] = {}
    if not soft:
        _gh("native/float32", obj(z.astype(np.float32), _dmatrix(y)), out)
        _gh("native/float32,weight", obj(z.astype(np.float32), _dmatrix(y, w)), out)
        _gh("native/float64", obj(z, _dmatrix(y)), out)
    else:
        y = d["y_soft"]
    _gh("sklearn/float64", obj(y, z), out)
    _gh("sklearn/float64,sample_weight", obj(y, z, sample_weight=w), out)
    _gh("sklearn/float32", obj(y, z.astype(np.float32)), out)
    if not soft:
        out["init_score"] = (obj.init_score(y), "solve")
        out["init_score,sample_weight"] = (obj.init_score(y, sample_weight=w), "solve")
        out["base_margin"] = (obj.base_margin(y), "solve")
    return out


def _xgb_softmax_objective(make: Callable[[], Any], n4: bool = True) -> dict[str, Output]:
    d = booster_inputs()
    z, y, w = d["zc"], d["yc"], d["wc"]
    obj = make()
    out: dict[str, Output] = {}
    _gh("native/float32", obj(z.astype(np.float32), _dmatrix(y)), out)
    _gh("native/float32,weight", obj(z.astype(np.float32), _dmatrix(y, w)), out)
    _gh("native/float64", obj(z, _dmatrix(y)), out)
    _gh("sklearn/float64", obj(y.astype(np.int64), z), out)
    _gh("sklearn/float64,sample_weight", obj(y.astype(np.int64), z, sample_weight=w), out)
    out["init_score"] = (obj.init_score(y), "solve")
    if n4:  # (a per-class parameter of length 3 refuses 4 classes)
        out["init_score,n_classes=4"] = (obj.init_score(np.concatenate([y, [3]]), 4), "solve")
    out["init_score,sample_weight"] = (obj.init_score(y, sample_weight=w), "solve")
    out["base_margin"] = (obj.base_margin(y), "solve")
    return out


def _scalar_params(st: dict[str, Any]) -> bool:
    """Whether no parameter is a per-class vector (then 4 classes are allowed)."""
    return all(np.ndim(v) == 0 for v in st.values())


def _xgb_metric(make: Callable[[], Any], task: str) -> dict[str, Output]:
    d = booster_inputs()
    if task == "multiclass":
        z, y, w = d["zc"], d["yc"], d["wc"]
    elif task == "multilabel":
        z, y, w = d["zm"], d["ym"], d["wm"]
    else:
        z, y, w = d["z"], d["y"], d["w"]
    m = make()
    _, v = m(z.astype(np.float32), _dmatrix(y))
    _, vw = m(z.astype(np.float32), _dmatrix(y, w))
    return {"native": v, "native,weight": vw,
            "sklearn": m(y, z), "sklearn,sample_weight": m(y, z, sample_weight=w)}


def _register_xgboost() -> None:
    P = functools.partial
    R = ("xgboost",)

    def fo(**kw):
        from focalkit.boosting import XGBoostFocalObjective

        return XGBoostFocalObjective(n_threads=1, **kw)

    # The float64-arithmetic kernels of focalkit.boosting._fast are compiled in every process
    # (about 2 s each; numba's disk cache does not keep them): the settings below reach each
    # kind of kernel once (integer / non-integer gamma, each Hessian, float32 / float64
    # results) without compiling more variants than that.
    for st in ({}, {"gamma": 0.0}, {"gamma": 0.5}, {"gamma": 0.25, "alpha": 0.25},
               {"gamma": 2.0, "alpha": "balanced"},
               {"gamma": 2.0, "alpha": 0.25, "hessian": "clipped", "hessian_floor": 1e-3},
               {"gamma": 0.5, "hessian": "exact"}, {"gamma": 0.5, "alpha": 0.75,
                                                    "hessian": "exact"}):
        add(f"boosting/XGBoostFocalObjective/{label(**st)}/binary",
            P(_xgb_sigmoid_objective, P(fo, **st), False), requires=R)
    add("boosting/XGBoostFocalObjective/gamma=2,alpha=0.25/soft",
        P(_xgb_sigmoid_objective, P(fo, gamma=2.0, alpha=0.25), False, True), requires=R)
    for st in ({"gamma": 2.0}, {"gamma": [0.0, 0.5, 2.0], "alpha": [0.25, 0.5, 0.75]},
               {"gamma": 0.5, "alpha": "balanced", "hessian": "exact"}):
        add(f"boosting/XGBoostFocalObjective/{label(**st)}/multilabel",
            P(_xgb_sigmoid_objective, P(fo, **st), True), requires=R)

    def so(**kw):
        from focalkit.boosting import XGBoostSoftmaxFocalObjective

        return XGBoostSoftmaxFocalObjective(**kw)

    for st in ({}, {"gamma": 0.0}, {"gamma": [0.0, 1.0, 3.0]},
               {"gamma": 2.0, "class_weight": [0.5, 1.0, 2.0]},
               {"gamma": 2.0, "class_weight": "balanced"},
               {"gamma": 1.0, "class_weight": "effective_number"},
               {"gamma": 2.0, "hessian": "exact"}, {"gamma": 2.0, "hessian": "clipped"},
               {"gamma": 2.0, "hessian_scale": 1.0}):
        add(f"boosting/XGBoostSoftmaxFocalObjective/{label(**st)}",
            P(_xgb_softmax_objective, P(so, **st), _scalar_params(st)), requires=R)

    def fm(**kw):
        from focalkit.boosting import XGBoostFocalMetric

        return XGBoostFocalMetric(**kw)

    def sfm(**kw):
        from focalkit.boosting import XGBoostSoftmaxFocalMetric

        return XGBoostSoftmaxFocalMetric(**kw)

    for st in ({}, {"gamma": 0.5, "alpha": 0.25}, {"gamma": 0.0}):
        add(f"boosting/XGBoostFocalMetric/{label(**st)}/binary", P(_xgb_metric, P(fm, **st),
                                                                   "binary"), requires=R)
    add("boosting/XGBoostFocalMetric/gamma=[0,1,2]/multilabel",
        P(_xgb_metric, P(fm, gamma=[0.0, 1.0, 2.0]), "multilabel"), requires=R)
    for st in ({}, {"gamma": 0.0, "class_weight": [0.5, 1.0, 2.0]}):
        add(f"boosting/XGBoostSoftmaxFocalMetric/{label(**st)}",
            P(_xgb_metric, P(sfm, **st), "multiclass"), requires=R)

    def ao(loss, **kw):
        from focalkit.boosting import XGBoostObjective

        return XGBoostObjective(loss=loss, **kw)

    def am(loss, **kw):
        from focalkit.boosting import XGBoostMetric

        return XGBoostMetric(loss, **kw)

    for loss, st in ALT_BINARY:
        add(f"boosting/XGBoostObjective/loss={loss},{label(**st)}/binary",
            P(_xgb_sigmoid_objective, P(ao, loss, **st), False), requires=R)
        add(f"boosting/XGBoostMetric/loss={loss},{label(**st)}/binary",
            P(_xgb_metric, P(am, loss, **st), "binary"), requires=R)
    add("boosting/XGBoostObjective/loss=asymmetric,default/soft",
        P(_xgb_sigmoid_objective, P(ao, "asymmetric"), False, True), requires=R)
    for loss, st in ALT_MULTILABEL:
        add(f"boosting/XGBoostObjective/loss={loss},{label(**st)}/multilabel",
            P(_xgb_sigmoid_objective, P(ao, loss, **st), True), requires=R)
        add(f"boosting/XGBoostMetric/loss={loss},{label(**st)}/multilabel",
            P(_xgb_metric, P(am, loss, **st), "multilabel"), requires=R)

    def aso(**kw):
        from focalkit.boosting import XGBoostSoftmaxObjective

        return XGBoostSoftmaxObjective(**kw)

    def asm(**kw):
        from focalkit.boosting import XGBoostSoftmaxMetric

        return XGBoostSoftmaxMetric(**kw)

    for st in ALT_SOFTMAX:
        add(f"boosting/XGBoostSoftmaxObjective/{label(**st)}",
            P(_xgb_softmax_objective, P(aso, **st), False), requires=R)
        add(f"boosting/XGBoostSoftmaxMetric/{label(**st)}",
            P(_xgb_metric, P(asm, **st), "multiclass"), requires=R)


#: booster ``loss=`` alternatives: (loss, params)
ALT_BINARY: list[tuple[str, dict[str, Any]]] = [
    ("weighted_bce", {}),
    ("weighted_bce", {"pos_weight": 9.0, "neg_weight": 0.5}),
    ("logit_adjusted_bce", {"prior": 0.1}),
    ("logit_adjusted_bce", {"prior": 0.3, "tau": 0.5}),
    ("asymmetric", {}),
    ("asymmetric", {"gamma_pos": 1.0, "gamma_neg": 2.0, "clip": 0.0, "hessian": "exact"}),
    ("asymmetric", {"gamma_neg": 0.5, "clip": 0.1, "hessian": "clipped",
                    "hessian_floor": 1e-4}),
    ("focal_star", {}),
    ("focal_star", {"gamma_star": 2.0, "beta_star": 1.0}),
]
ALT_MULTILABEL: list[tuple[str, dict[str, Any]]] = [
    ("weighted_bce", {"pos_weight": [1.0, 3.0, 9.0]}),
    ("logit_adjusted_bce", {"prior": [0.1, 0.3, 0.5]}),
]
ALT_SOFTMAX: list[dict[str, Any]] = [
    {"prior": [0.5, 0.3, 0.2]},
    {"prior": [0.5, 0.3, 0.2], "tau": 0.5, "class_weight": [0.5, 1.0, 2.0]},
    {"prior": [0.6, 0.3, 0.1], "tau": 0.0},
]


# -- LightGBM --------------------------------------------------------------------------------
def _lgb_sigmoid_objective(make: Callable[[], Any], soft: bool = False) -> dict[str, Output]:
    d = booster_inputs()
    z, y, w = d["z"], (d["y_soft"] if soft else d["y"]), d["w"]
    obj = make()
    out: dict[str, Output] = {}
    _gh("native", obj(z, _lgb_dataset(y)), out)
    _gh("native,weight", obj(z, _lgb_dataset(y, w)), out)
    _gh("sklearn", obj(y, z), out)
    _gh("sklearn,weight,group", obj(y, z, w, None), out)
    if not soft:
        out["init_score"] = (obj.init_score(y), "solve")
        out["init_score,sample_weight"] = (obj.init_score(y, sample_weight=w), "solve")
        out["init_score_array"] = (obj.init_score_array(y), "solve")
    return out


def _lgb_softmax_objective(make: Callable[[], Any], n4: bool = True) -> dict[str, Output]:
    d = booster_inputs()
    z, y, w = d["zc"], d["yc"], d["wc"]
    obj = make()
    out: dict[str, Output] = {}
    _gh("native", obj(z, _lgb_dataset(y)), out)
    _gh("native,weight", obj(z, _lgb_dataset(y, w)), out)
    _gh("sklearn", obj(y.astype(np.int64), z), out)
    _gh("sklearn,weight,group", obj(y.astype(np.int64), z, w, None), out)
    out["init_score"] = (obj.init_score(y), "solve")
    if n4:
        out["init_score,n_classes=4"] = (obj.init_score(np.concatenate([y, [3]]), 4), "solve")
    out["init_score,sample_weight"] = (obj.init_score(y, sample_weight=w), "solve")
    out["init_score_array"] = (obj.init_score_array(y), "solve")
    return out


def _lgb_metric(make: Callable[[], Any], multiclass: bool) -> dict[str, Output]:
    d = booster_inputs()
    z, y, w = (d["zc"], d["yc"], d["wc"]) if multiclass else (d["z"], d["y"], d["w"])
    m = make()
    _, v, hib = m(z, _lgb_dataset(y))
    _, vw, _ = m(z, _lgb_dataset(y, w))
    _, vs, _ = m(y, z)
    _, vsw, _ = m(y, z, w, None)
    return {"native": v, "native,weight": vw, "sklearn": vs, "sklearn,weight": vsw,
            "is_higher_better": float(hib)}


def _register_lightgbm() -> None:
    P = functools.partial
    R = ("lightgbm",)

    def fo(**kw):
        from focalkit.boosting import LightGBMFocalObjective

        return LightGBMFocalObjective(n_threads=1, **kw)

    for st in ({}, {"gamma": 0.0}, {"gamma": 0.5, "alpha": 0.25},
               {"gamma": 2.0, "alpha": "balanced"}, {"gamma": 0.5, "hessian": "exact"},
               {"gamma": 2.0, "hessian": "clipped", "hessian_floor": 1e-3}):
        add(f"boosting/LightGBMFocalObjective/{label(**st)}",
            P(_lgb_sigmoid_objective, P(fo, **st)), requires=R)
    add("boosting/LightGBMFocalObjective/gamma=1.5,alpha=0.25/soft",
        P(_lgb_sigmoid_objective, P(fo, gamma=1.5, alpha=0.25), True), requires=R)

    def so(**kw):
        from focalkit.boosting import LightGBMSoftmaxFocalObjective

        return LightGBMSoftmaxFocalObjective(**kw)

    for st in ({}, {"gamma": 0.0}, {"gamma": [0.0, 1.0, 3.0], "class_weight": [0.5, 1.0, 2.0]},
               {"gamma": 2.0, "class_weight": "balanced"}, {"gamma": 2.0, "hessian": "exact"},
               {"gamma": 2.0, "hessian_scale": 1.0}):
        add(f"boosting/LightGBMSoftmaxFocalObjective/{label(**st)}",
            P(_lgb_softmax_objective, P(so, **st), _scalar_params(st)), requires=R)

    def fm(**kw):
        from focalkit.boosting import LightGBMFocalMetric

        return LightGBMFocalMetric(**kw)

    def sfm(**kw):
        from focalkit.boosting import LightGBMSoftmaxFocalMetric

        return LightGBMSoftmaxFocalMetric(**kw)

    for st in ({}, {"gamma": 0.5, "alpha": 0.25}):
        add(f"boosting/LightGBMFocalMetric/{label(**st)}", P(_lgb_metric, P(fm, **st), False),
            requires=R)
    for st in ({}, {"gamma": 0.0, "class_weight": [0.5, 1.0, 2.0]}):
        add(f"boosting/LightGBMSoftmaxFocalMetric/{label(**st)}",
            P(_lgb_metric, P(sfm, **st), True), requires=R)

    def ao(loss, **kw):
        from focalkit.boosting import LightGBMObjective

        return LightGBMObjective(loss=loss, **kw)

    def am(loss, **kw):
        from focalkit.boosting import LightGBMMetric

        return LightGBMMetric(loss, **kw)

    for loss, st in ALT_BINARY:
        add(f"boosting/LightGBMObjective/loss={loss},{label(**st)}",
            P(_lgb_sigmoid_objective, P(ao, loss, **st)), requires=R)
        add(f"boosting/LightGBMMetric/loss={loss},{label(**st)}",
            P(_lgb_metric, P(am, loss, **st), False), requires=R)

    def aso(**kw):
        from focalkit.boosting import LightGBMSoftmaxObjective

        return LightGBMSoftmaxObjective(**kw)

    def asm(**kw):
        from focalkit.boosting import LightGBMSoftmaxMetric

        return LightGBMSoftmaxMetric(**kw)

    for st in ALT_SOFTMAX:
        add(f"boosting/LightGBMSoftmaxObjective/{label(**st)}",
            P(_lgb_softmax_objective, P(aso, **st), False), requires=R)
        add(f"boosting/LightGBMSoftmaxMetric/{label(**st)}",
            P(_lgb_metric, P(asm, **st), True), requires=R)


# -- CatBoost --------------------------------------------------------------------------------
def _cb_sigmoid_objective(make: Callable[[], Any], soft: bool = False) -> dict[str, Output]:
    d = booster_inputs()
    z, y, w = d["z"], (d["y_soft"] if soft else d["y"]), d["w"]
    obj = make()
    out: dict[str, Output] = {
        "calc_ders_range": obj.calc_ders_range(z.tolist(), y.tolist(), None),
        "calc_ders_range,weights": obj.calc_ders_range(z.tolist(), y.tolist(), w.tolist()),
        "calc_ders_range,ndarray": obj.calc_ders_range(z, y, None),
    }
    if not soft:
        out["init_score"] = (obj.init_score(y), "solve")
        out["init_score,sample_weight"] = (obj.init_score(y, sample_weight=w), "solve")
    return out


def _cb_softmax_objective(make: Callable[[], Any]) -> dict[str, Output]:
    d = booster_inputs()
    z, y, w = d["zc"], d["yc"], d["wc"]
    obj = make()
    der1, der2, der1w, der2w = [], [], [], []
    for i in range(z.shape[0]):
        a, b = obj.calc_ders_multi(z[i].tolist(), float(y[i]), 1.0)
        der1.append(a)
        der2.append(b)
        a, b = obj.calc_ders_multi(z[i].tolist(), float(y[i]), float(w[i]))
        der1w.append(a)
        der2w.append(b)
    return {"calc_ders_multi/der1": der1, "calc_ders_multi/der2": der2,
            "calc_ders_multi,weight/der1": der1w, "calc_ders_multi,weight/der2": der2w,
            "init_score": (obj.init_score(y), "solve"),
            "init_score,sample_weight": (obj.init_score(y, sample_weight=w), "solve")}


def _cb_metric(make: Callable[[], Any], multiclass: bool) -> dict[str, Output]:
    d = booster_inputs()
    m = make()
    if multiclass:
        approxes = tuple(d["zc"][:, j].tolist() for j in range(3))
        y, w = d["yc"], d["wc"]
    else:
        approxes = (d["z"].tolist(),)
        y, w = d["y"], d["w"]
    err, tw = m.evaluate(approxes, y.tolist(), None)
    errw, tww = m.evaluate(approxes, y.tolist(), w.tolist())
    return {"evaluate/error": err, "evaluate/weight": tw,
            "evaluate,weight/error": errw, "evaluate,weight/weight": tww,
            "get_final_error": m.get_final_error(err, tw),
            "get_final_error,weight": m.get_final_error(errw, tww),
            "is_max_optimal": float(m.is_max_optimal())}


def _register_catboost() -> None:
    P = functools.partial
    R = ("catboost",)

    def fo(**kw):
        from focalkit.boosting import CatBoostFocalObjective

        return CatBoostFocalObjective(n_threads=1, **kw)

    for st in ({}, {"gamma": 0.0}, {"gamma": 0.5, "alpha": 0.25},
               {"gamma": 0.5, "hessian": "exact"},
               {"gamma": 2.0, "hessian": "clipped", "hessian_floor": 1e-3}):
        add(f"boosting/CatBoostFocalObjective/{label(**st)}",
            P(_cb_sigmoid_objective, P(fo, **st)), requires=R)
    add("boosting/CatBoostFocalObjective/gamma=1.5,alpha=0.25/soft",
        P(_cb_sigmoid_objective, P(fo, gamma=1.5, alpha=0.25), True), requires=R)

    def so(**kw):
        from focalkit.boosting import CatBoostSoftmaxFocalObjective

        return CatBoostSoftmaxFocalObjective(**kw)

    for st in ({}, {"gamma": 0.0}, {"gamma": [0.0, 1.0, 3.0], "class_weight": [0.5, 1.0, 2.0]},
               {"gamma": 2.0, "hessian": "exact"},
               {"gamma": 2.0, "class_weight": {0: 2.0, 2: 0.5}}):
        add(f"boosting/CatBoostSoftmaxFocalObjective/{label(**st)}",
            P(_cb_softmax_objective, P(so, **st)), requires=R)

    def fm(**kw):
        from focalkit.boosting import CatBoostFocalMetric

        return CatBoostFocalMetric(**kw)

    def sfm(**kw):
        from focalkit.boosting import CatBoostSoftmaxFocalMetric

        return CatBoostSoftmaxFocalMetric(**kw)

    for st in ({}, {"gamma": 0.5, "alpha": 0.25}):
        add(f"boosting/CatBoostFocalMetric/{label(**st)}", P(_cb_metric, P(fm, **st), False),
            requires=R)
    for st in ({}, {"gamma": 0.0, "class_weight": [0.5, 1.0, 2.0]}):
        add(f"boosting/CatBoostSoftmaxFocalMetric/{label(**st)}",
            P(_cb_metric, P(sfm, **st), True), requires=R)

    def ao(loss, **kw):
        from focalkit.boosting import CatBoostObjective

        return CatBoostObjective(loss, **kw)

    def am(loss, **kw):
        from focalkit.boosting import CatBoostMetric

        return CatBoostMetric(loss, **kw)

    for loss, st in ALT_BINARY:
        add(f"boosting/CatBoostObjective/loss={loss},{label(**st)}",
            P(_cb_sigmoid_objective, P(ao, loss, **st)), requires=R)
        add(f"boosting/CatBoostMetric/loss={loss},{label(**st)}",
            P(_cb_metric, P(am, loss, **st), False), requires=R)

    def aso(**kw):
        from focalkit.boosting import CatBoostSoftmaxObjective

        return CatBoostSoftmaxObjective(**kw)

    def asm(**kw):
        from focalkit.boosting import CatBoostSoftmaxMetric

        return CatBoostSoftmaxMetric(**kw)

    for st in ALT_SOFTMAX:
        add(f"boosting/CatBoostSoftmaxObjective/{label(**st)}",
            P(_cb_softmax_objective, P(aso, **st)), requires=R)
        add(f"boosting/CatBoostSoftmaxMetric/{label(**st)}",
            P(_cb_metric, P(asm, **st), True), requires=R)


# -- classifiers -----------------------------------------------------------------------------
@functools.cache
def tabular_data() -> dict[str, np.ndarray]:
    """A small synthetic dataset: binary (~20 % positives), 3-class and 3-label targets."""
    r = rng_for("tabular")
    n, n_test = 240, 40
    X = r.normal(size=(n + n_test, 5))
    logit = 1.5 * X[:, 0] - X[:, 1] - 1.5
    yb = (r.random(n + n_test) < 1 / (1 + np.exp(-logit))).astype(np.int64)
    scores = np.column_stack([X[:, 0], X[:, 1] - 0.5, -X[:, 0] - 1.0])
    yc = np.argmax(scores + r.gumbel(size=scores.shape), axis=1)
    ym = np.column_stack([
        r.random(n + n_test) < 1 / (1 + np.exp(-(2 * X[:, 0] - 2))),
        r.random(n + n_test) < 1 / (1 + np.exp(-(X[:, 1] - 1))),
        r.random(n + n_test) < 1 / (1 + np.exp(-(X[:, 2] + X[:, 3] - 1))),
    ]).astype(np.int64)
    return {"X": X[:n], "X_test": X[n:], "binary": yb[:n], "multiclass": yc[:n],
            "multilabel": ym[:n]}


CLASSIFIER_SETTINGS: list[tuple[str, dict[str, Any]]] = [
    ("binary", {"gamma": 2.0, "alpha": 0.25}),
    ("binary", {"gamma": 0.5, "alpha": "balanced", "calibration": "focal_posterior"}),
    ("binary", {"gamma": 2.0, "hessian": "clipped"}),
    ("multiclass", {"gamma": 2.0}),
    ("multiclass", {"gamma": 1.0, "class_weight": "balanced"}),
    ("multilabel", {"gamma": [0.0, 1.0, 2.0], "alpha": 0.25}),
]


def _classifier(cls_name: str, extra: dict[str, Any], task: str,
                st: dict[str, Any]) -> dict[str, Output]:
    import focalkit.boosting as fb

    d = tabular_data()
    clf = getattr(fb, cls_name)(n_estimators=8, n_jobs=1, random_state=0, **extra, **st)
    clf.fit(d["X"], d[task])
    return {"predict_proba": (clf.predict_proba(d["X_test"]), "booster"),
            "init_score_": (clf.init_score_, "solve"),
            "predict": (clf.predict(d["X_test"]), "booster")}


def _register_classifiers() -> None:
    for cls_name, extra, req in (
        ("XGBoostFocalClassifier", {"max_depth": 3}, "xgboost"),
        ("LightGBMFocalClassifier", {"num_leaves": 7, "min_child_samples": 10}, "lightgbm"),
        ("CatBoostFocalClassifier", {"depth": 3}, "catboost"),
    ):
        for task, st in CLASSIFIER_SETTINGS:
            add(f"boosting/{cls_name}/{label(**st)}/{task}",
                functools.partial(_classifier, cls_name, extra, task, st), requires=(req,),
                kind="booster")


# =========================================================================== sklearn MLP
@functools.cache
def mlp_data() -> dict[str, np.ndarray]:
    r = rng_for("mlp")
    n, n_test = 160, 30
    X = r.normal(size=(n + n_test, 4))
    logit = 2.0 * X[:, 0] - X[:, 1] - 1.2
    yb = (r.random(n + n_test) < 1 / (1 + np.exp(-logit))).astype(np.int64)
    scores = np.column_stack([1.5 * X[:, 0], X[:, 1] - 0.5, -X[:, 0] + X[:, 2] - 1.0])
    yc = np.argmax(scores + r.gumbel(size=scores.shape), axis=1)
    return {"X": X[:n], "X_test": X[n:], "binary": yb[:n], "multiclass": yc[:n]}


def _mlp(task: str, loss: str, kw: dict[str, Any]) -> dict[str, Output]:
    from focalkit.sklearn import FocalMLPClassifier

    d = mlp_data()
    with torch_threads(1) as torch:
        torch.manual_seed(0)
        clf = FocalMLPClassifier(loss, hidden_layer_sizes=(8,), max_epochs=12, batch_size=32,
                                 random_state=0, n_threads=1, **kw)
        clf.fit(d["X"], d[task])
        p = clf.predict_proba(d["X_test"])
        out: dict[str, Output] = {"predict_proba": p, "n_epochs_": float(clf.n_epochs_)}
        if task == "binary" and clf.loss_ in ("focal", "bce", "weighted_bce", "logit_adjusted"):
            from focalkit.calibration import posterior_calibrator

            out["posterior_calibrator.transform"] = posterior_calibrator(clf).transform(p[:, 1])
        return out


#: extra MLP settings beyond each loss at its defaults: (task, loss, kwargs)
MLP_EXTRA: list[tuple[str, str, dict[str, Any]]] = [
    ("binary", "focal", {"alpha": "balanced"}),
    ("binary", "focal", {"gamma": 0.5, "class_weight": "balanced"}),
    ("binary", "bce", {"alpha": 0.25}),
    ("binary", "weighted_bce", {"loss_params": {"pos_weight": 3.0}}),
    ("binary", "ldam", {"loss_params": {"drw_start": 4, "scale": 5.0}}),
    ("binary", "asymmetric", {"loss_params": {"gamma_neg": 2.0, "clip": 0.1}}),
    ("multiclass", "ldam", {"loss_params": {"drw_start": 4, "scale": 5.0, "max_margin": 1.0}}),
    ("multiclass", "focal", {"gamma": [0.0, 1.0, 2.0]}),
    ("multiclass", "weighted_bce", {"class_weight": "effective_number"}),
    ("multiclass", "logit_adjusted", {"loss_params": {"tau": 0.5}}),
]


#: ``focalkit.sklearn.LOSS_NAMES`` when the golden file was written (checked by ``generate``;
#: frozen here so that a loss added later does not need a golden entry)
MLP_LOSS_NAMES = ("bce", "ce", "focal", "weighted_bce", "logit_adjusted", "asymmetric", "poly1",
                  "poly1_focal", "label_smoothing", "focal_star", "flsd", "ldam")
MLP_BINARY_ONLY = ("asymmetric", "focal_star")


def _register_mlp() -> None:
    for task in ("binary", "multiclass"):
        for loss in MLP_LOSS_NAMES:
            if task == "multiclass" and loss in MLP_BINARY_ONLY:
                continue
            add(f"sklearn/FocalMLPClassifier/loss={loss}/{task}",
                functools.partial(_mlp, task, loss, {}), requires=("torch",), kind="mlp")
    for task, loss, kw in MLP_EXTRA:
        add(f"sklearn/FocalMLPClassifier/loss={loss},{label(**kw)}/{task}",
            functools.partial(_mlp, task, loss, kw), requires=("torch",), kind="mlp")


# =========================================================================== calibration
@functools.cache
def calibration_data() -> dict[str, np.ndarray]:
    r = rng_for("calibration")
    z = r.normal(0.0, 2.0, size=300)
    y = (r.random(300) < 1 / (1 + np.exp(-(0.5 * z - 1.0)))).astype(np.int64)
    zc = r.normal(0.0, 2.0, size=(300, 3))
    pc = np.exp(0.6 * zc + [0.0, -0.5, -1.0])
    yc = np.array([r.choice(3, p=row / row.sum()) for row in pc])
    sw = r.uniform(0.5, 2.0, size=300)
    z_test = np.concatenate([[-30.0, -5.0, 0.0, 5.0, 30.0], r.normal(0.0, 2.0, size=15)])
    zc_test = r.normal(0.0, 3.0, size=(20, 3))
    return {"z": z, "y": y, "zc": zc, "yc": yc, "sw": sw, "z_test": z_test,
            "zc_test": zc_test}


def _cal_scaling() -> dict[str, Output]:
    from scipy.special import expit, softmax

    from focalkit import calibration as cal

    d = calibration_data()
    out: dict[str, Output] = {}
    for name in ("TemperatureScaling", "PlattScaling"):
        cls = getattr(cal, name)
        c = cls().fit(d["z"], d["y"])
        out[f"{name}/binary/temperature_"] = c.temperature_
        out[f"{name}/binary/bias_"] = c.bias_
        out[f"{name}/binary/transform"] = c.transform(d["z_test"])
        out[f"{name}/binary/predict_proba"] = c.predict_proba(d["z_test"])
        c = cls().fit(d["z"], d["y"], sample_weight=d["sw"])
        out[f"{name}/binary,sample_weight/temperature_"] = c.temperature_
        out[f"{name}/binary,sample_weight/bias_"] = c.bias_
        c = cls(input="proba").fit(expit(d["z"]), d["y"])
        out[f"{name}/binary,proba/transform"] = c.transform(expit(d["z_test"]))
        c = cls().fit(d["zc"], d["yc"])
        out[f"{name}/multiclass/temperature_"] = c.temperature_
        out[f"{name}/multiclass/bias_"] = c.bias_
        out[f"{name}/multiclass/transform"] = c.transform(d["zc_test"])
        c = cls(input="proba").fit(softmax(d["zc"], axis=1), d["yc"])
        out[f"{name}/multiclass,proba/transform"] = c.transform(softmax(d["zc_test"], axis=1))
        out[f"{name}/fit_transform"] = cls().fit_transform(d["z"], d["y"])
    return out


def _cal_exact() -> dict[str, Output]:
    from scipy.special import expit, softmax

    from focalkit import calibration as cal

    d = calibration_data()
    p = expit(d["z_test"])
    out: dict[str, Output] = {}
    iso = cal.IsotonicCalibrator().fit(expit(d["z"]), d["y"])
    out["IsotonicCalibrator/transform"] = iso.transform(p)
    out["IsotonicCalibrator/predict_proba"] = iso.predict_proba(np.column_stack([1 - p, p]))
    iso = cal.IsotonicCalibrator(input="logit").fit(d["z"], d["y"], sample_weight=d["sw"])
    out["IsotonicCalibrator/logit,sample_weight/transform"] = iso.transform(d["z_test"])
    for st in ({"gamma": 2.0, "alpha": 0.25}, {"gamma": 0.5}, {"gamma": 2.0, "pos_weight": 3.0},
               {"gamma": 1.0, "alpha": 0.9, "input": "logit"}):
        c = cal.FocalPosteriorCalibrator(**st).fit()
        x = d["z_test"] if st.get("input") == "logit" else p
        out[f"FocalPosteriorCalibrator/{label(**st)}/transform"] = c.transform(x)
    for st in ({"pos_weight": 9.0}, {"neg_weight": 2.0, "alpha": 0.25},
               {"sampling_ratio": 0.1}, {"train_prevalence": 0.5, "true_prevalence": 0.1},
               {"pos_weight": 3.0, "input": "logit"}):
        c = cal.OddsCorrection(**st).fit()
        x = d["z_test"] if st.get("input") == "logit" else p
        out[f"OddsCorrection/{label(**st)}/factor_"] = c.factor_
        out[f"OddsCorrection/{label(**st)}/transform"] = c.transform(x)
    c = cal.OddsCorrection(class_weight=[1.0, 2.0, 4.0]).fit()
    out["OddsCorrection/class_weight/transform"] = c.transform(softmax(d["zc_test"], axis=1))
    c = cal.OddsCorrection(class_weight=[1.0, 2.0, 4.0], input="logit").fit()
    out["OddsCorrection/class_weight,logit/transform"] = c.transform(d["zc_test"])
    for st in ({"pos_weight": 9.0}, {"alpha": 0.25, "neg_weight": 2.0},
               {"train_prevalence": 0.3, "true_prevalence": 0.05, "sampling_ratio": 2.0}):
        out[f"odds_correction_factor/{label(**st)}"] = cal.odds_correction_factor(**st)
    out["correct_odds/1/9"] = cal.correct_odds(np.concatenate([[0.0, 1.0], p]), 1 / 9)
    out["correct_odds/scalar"] = cal.correct_odds(0.5, 4.0)
    return out


def _cal_thresholds() -> dict[str, Output]:
    from scipy.special import expit, softmax

    from focalkit import calibration as cal

    d = calibration_data()
    s = expit(d["z"])
    out: dict[str, Output] = {}
    for metric in ("f1", "balanced_accuracy", "gmean", "mcc", "accuracy"):
        t = cal.ThresholdTuner(metric=metric).fit(s, d["y"])
        out[f"ThresholdTuner/{metric}/threshold_"] = t.threshold_
        out[f"ThresholdTuner/{metric}/predict"] = t.predict(expit(d["z_test"]))
        out[f"tune_threshold/{metric}"] = cal.tune_threshold(d["y"], d["z"], metric=metric)
    out["ThresholdTuner/(n,2)/threshold_"] = cal.ThresholdTuner().fit(
        np.column_stack([1 - s, s]), d["y"]).threshold_
    rep = cal.calibration_report(d["y"], s, expit(0.5 * d["z"] - 0.3))
    for part in ("before", "after", "change"):
        for k in ("ece", "brier", "log_loss"):
            out[f"calibration_report/binary/{part}/{k}"] = rep[part][k]
    rep = cal.calibration_report(d["yc"], softmax(d["zc"], axis=1),
                                 softmax(0.6 * d["zc"], axis=1), n_bins=5)
    for part in ("before", "after", "change"):
        for k in ("ece", "brier", "log_loss"):
            out[f"calibration_report/multiclass,n_bins=5/{part}/{k}"] = rep[part][k]
    return out


def _cal_get_calibrator() -> dict[str, Output]:
    from scipy.special import expit

    from focalkit import calibration as cal

    d = calibration_data()
    out: dict[str, Output] = {}
    p, p_test = expit(d["z"]), expit(d["z_test"])
    for method, kw, scores in (
        ("temperature", {}, "logit"), ("platt", {}, "logit"), ("isotonic", {}, "proba"),
        ("focal", {"gamma": 2.0, "alpha": 0.25}, "proba"), ("odds", {"pos_weight": 4.0}, "proba"),
    ):
        c = cal.get_calibrator(method, **kw)
        fit_s, test_s = (d["z"], d["z_test"]) if scores == "logit" else (p, p_test)
        out[f"get_calibrator/{method}/transform"] = (c.fit(fit_s, d["y"]).transform(test_s),
                                                     "fit" if scores == "logit" else "f64")
    out["CALIBRATION_METHODS/len"] = float(len(cal.CALIBRATION_METHODS))
    return out


def _cal_tuned_threshold_classifier() -> dict[str, Output]:
    from sklearn.linear_model import LogisticRegression

    from focalkit import calibration as cal

    d = tabular_data()
    out: dict[str, Output] = {}
    for metric in ("f1", "gmean"):
        clf = cal.tuned_threshold_classifier(LogisticRegression(), metric=metric, cv=3,
                                             random_state=0)
        clf.fit(d["X"], d["binary"])
        out[f"{metric}/best_threshold_"] = (clf.best_threshold_, "fit")
        out[f"{metric}/predict"] = clf.predict(d["X_test"])
    return out


def _register_calibration() -> None:
    add("calibration/scaling", _cal_scaling, kind="fit")
    add("calibration/exact_maps", _cal_exact)
    add("calibration/thresholds", _cal_thresholds)
    add("calibration/get_calibrator", _cal_get_calibrator)
    add("calibration/tuned_threshold_classifier", _cal_tuned_threshold_classifier)


# =========================================================================== registry
def _register_all() -> None:
    _register_core()
    _register_alternatives()
    _register_torch_focal()
    _register_torch_alternatives()
    _register_xgboost()
    _register_lightgbm()
    _register_catboost()
    _register_classifiers()
    _register_mlp()
    _register_calibration()


_register_all()


TIMES: dict[str, float] = {}


def generate(groups: dict[str, Group] | None = None
             ) -> tuple[dict[str, np.ndarray], dict[str, str]]:
    """Compute every group (all extras must be installed) -> (arrays, kinds) by key."""
    from focalkit.sklearn import LOSS_NAMES

    if tuple(LOSS_NAMES) != MLP_LOSS_NAMES:
        raise ValueError(f"update MLP_LOSS_NAMES: focalkit.sklearn.LOSS_NAMES is {LOSS_NAMES}")
    import time

    arrays: dict[str, np.ndarray] = {}
    kinds: dict[str, str] = {}
    for name, g in (groups or GROUPS).items():
        t0 = time.process_time()  # CPU seconds: the machine is shared
        res = compute(g)
        TIMES[name] = time.process_time() - t0
        for suffix, (arr, kind) in res.items():
            key = f"{name}/{suffix}"
            if group_of(key) != (g, suffix):
                raise ValueError(f"key {key!r} resolves to another group")
            arrays[key], kinds[key] = arr, kind
    return arrays, kinds


def save_golden(arrays: dict[str, np.ndarray], meta: dict[str, Any],
                path: Path = GOLDEN_PATH) -> None:
    """Write the arrays packed: one float64 vector ``values`` and a JSON ``index``.

    (One zip member per key would cost ~300 bytes of headers each, more than the data.)
    ``index`` maps each key to ``[offset, shape]`` in ``values``; ``meta`` records where the
    values come from. Both JSON documents are stored as UTF-8 bytes (uint8 arrays).
    """
    index: dict[str, Any] = {}
    chunks = []
    offset = 0
    for key in sorted(arrays):
        a = np.asarray(arrays[key], dtype=np.float64)
        index[key] = [offset, list(a.shape)]
        chunks.append(a.reshape(-1))
        offset += a.size
    values = np.concatenate(chunks) if chunks else np.zeros(0)

    def utf8(doc: Any) -> np.ndarray:
        return np.frombuffer(json.dumps(doc, indent=0, sort_keys=True).encode(), dtype=np.uint8)

    np.savez_compressed(path, values=values, index=utf8(index), meta=utf8(meta))


def load_golden(path: Path = GOLDEN_PATH) -> dict[str, np.ndarray]:
    """The stored golden arrays, by key."""
    with np.load(path, allow_pickle=False) as f:
        values = f["values"]
        index = json.loads(f["index"].tobytes().decode())
    out = {}
    for key, (offset, shape) in index.items():
        size = int(np.prod(shape)) if shape else 1
        out[key] = values[offset:offset + size].reshape(shape)
    return out


def load_meta(path: Path = GOLDEN_PATH) -> dict[str, Any]:
    """Where the golden values come from (commit, library versions)."""
    with np.load(path, allow_pickle=False) as f:
        return json.loads(f["meta"].tobytes().decode())


def _meta() -> dict[str, Any]:
    import importlib.metadata
    import platform
    import subprocess

    import focalkit

    src = Path(focalkit.__file__).resolve().parent
    try:
        sha = subprocess.run(["git", "-C", str(src), "rev-parse", "HEAD"], check=True,
                             capture_output=True, text=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(src), "status", "--porcelain", "--", "."],
                               check=True, capture_output=True, text=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        sha, dirty = "unknown", ""
    versions = {}
    for dist in ("numpy", "scipy", "scikit-learn", "torch", "xgboost", "xgboost-cpu", "lightgbm",
                 "catboost", "numba"):
        try:
            versions[dist] = importlib.metadata.version(dist)
        except importlib.metadata.PackageNotFoundError:
            pass
    return {"commit": sha, "source_dirty": bool(dirty), "focalkit_file": str(src),
            "python": platform.python_version(), "machine": platform.machine(),
            "versions": versions}


def main(argv: list[str] | None = None) -> int:
    """Write ``golden.npz``; with ``--check``, compare with it instead."""
    import focalkit

    argv = sys.argv[1:] if argv is None else argv
    print(f"focalkit from {focalkit.__file__}")
    arrays, kinds = generate()
    if "--times" in argv:
        areas: dict[str, float] = {}
        for name, t in TIMES.items():
            area = "/".join(name.split("/")[:2])
            areas[area] = areas.get(area, 0.0) + t
        for area, t in sorted(areas.items(), key=lambda kv: -kv[1])[:25]:
            print(f"{t:8.3f} s CPU  {area}")
        print(f"total {sum(TIMES.values()):.1f} s CPU")
    if "--check" in argv:
        gold = load_golden()
        bad = [f"{k}: not in the golden file" for k in arrays if k not in gold]
        bad += [f"{k}: not computed" for k in gold if k not in arrays]
        for k, v in arrays.items():
            why = mismatch(v, gold[k], kinds[k]) if k in gold else None
            if why:
                bad.append(f"{k}: {why}")
        print(f"{len(arrays)} keys, {len(bad)} problems")
        for b in bad[:50]:
            print("  ", b)
        return 1 if bad else 0
    save_golden(arrays, _meta())
    print(f"wrote {len(arrays)} arrays to {GOLDEN_PATH} ({GOLDEN_PATH.stat().st_size} bytes)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
