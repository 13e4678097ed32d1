"""Triton kernels against the float64 ``_core`` reference.

Runs in one of two modes, chosen when the module is imported:

* CUDA available (and no interpreter): the real kernels through the public dispatch,
  marked ``gpu``;
* ``TRITON_INTERPRET=1`` set before triton was imported: the kernels interpreted on CPU
  tensors (``test_triton.py`` runs this module in such a subprocess).

Otherwise every test here is skipped.
"""

from __future__ import annotations

import os

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("triton")

from focalkit.torch import kernels  # noqa: E402
from focalkit.torch.kernels import _triton  # noqa: E402

INTERPRET = os.environ.get("TRITON_INTERPRET", "") == "1"
if INTERPRET:
    MODE, DEVICE = "interpret", "cpu"
elif torch.cuda.is_available():
    MODE, DEVICE = "cuda", "cuda"
else:
    MODE, DEVICE = None, "cpu"

pytestmark = [
    pytest.mark.skipif(MODE is None, reason="needs CUDA, or TRITON_INTERPRET=1 (subprocess)"),
    *([pytest.mark.gpu] if MODE == "cuda" else []),
]
GAMMAS = (0.0, 0.25, 0.5, 1.0, 2.0, 5.0)
DTYPES = [torch.float32, torch.bfloat16, torch.float16]
# loss in fp32 from the (rounded) half inputs; the gradient is stored in the input dtype
TOL_LOSS = {torch.float32: 2e-6, torch.bfloat16: 2e-6, torch.float16: 2e-6}
TOL_GRAD = {torch.float32: 2e-6, torch.bfloat16: 6e-3, torch.float16: 8e-4}


def _km():
    return _triton.interpreted_kernels() if MODE == "interpret" else None


def binary(*args, grad_output=None, **kw):
    """The GPU path: the public dispatch on CUDA, the interpreted kernels on CPU."""
    if MODE == "cuda":
        if grad_output is None:
            return kernels.binary_forward(*args, **kw)
        return kernels.binary_backward(grad_output, *args, **kw)
    return _triton.binary(*args, grad_output=grad_output, km=_km(), **kw)


def softmax(*args, grad_output=None, **kw):
    if MODE == "cuda":
        if grad_output is None:
            return kernels.softmax_forward(*args, **kw)
        return kernels.softmax_backward(grad_output, *args, **kw)
    return _triton.softmax(*args, grad_output=grad_output, km=_km(), **kw)


@pytest.mark.parametrize("dtype", DTYPES, ids=["f32", "bf16", "f16"])
@pytest.mark.parametrize("gamma", GAMMAS)
@pytest.mark.parametrize("target", ["uint8", "soft"])
def test_binary_every_gamma(kc, dtype, gamma, target):
    if MODE == "cuda" and (dtype != torch.float32 or target != "uint8") and gamma not in (
        0.5, 2.0
    ):
        pytest.skip("GPU compile time: every gamma in float32 (uint8), two elsewhere")
    n = 5000 if MODE == "interpret" else 300_001
    z, y, _, _ = kc.binary_case(n, dtype=dtype, target=target, seed=int(4 * gamma),
                                device=DEVICE)
    if dtype == torch.float16:
        z = z.clamp(-6e4, 6e4)
    for alpha in (None, 0.25):
        for reduction in ("none", "mean", "sum"):
            kw = {"gamma": gamma, "alpha": alpha, "reduction": reduction}
            loss = binary(z, y, None, None, **kw)
            assert loss.dtype == torch.float32
            ref = kc.ref_binary(z, y, None, None, **kw)
            assert kc.rel_err(loss, ref) < TOL_LOSS[dtype]
        go = torch.tensor(0.5, device=DEVICE)
        # "sum": with "mean" over 3e5 elements a float16 gradient is subnormal (~1e-6)
        kw["reduction"] = "sum" if dtype == torch.float16 else "mean"
        grad = binary(z, y, None, None, grad_output=go, **kw)
        assert grad.dtype == dtype
        assert grad.shape == z.shape
        ref = kc.ref_binary(z, y, None, None, grad_output=go, **kw)
        assert kc.rel_err(grad, ref) < TOL_GRAD[dtype]


@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
@pytest.mark.parametrize(
    ("weight", "pos_weight"),
    [("full", "label"), ("label", "scalar"), ("row", "full"), ("none", "row")],
)
def test_binary_weights(kc, reduction, weight, pos_weight):
    z, y, w, pw = kc.binary_case(shape=(67, 45), target="soft", weight=weight,
                                 pos_weight=pos_weight, seed=5, device=DEVICE)
    kw = {"gamma": 2.0, "alpha": 0.3, "reduction": reduction}
    assert kc.rel_err(binary(z, y, w, pw, **kw), kc.ref_binary(z, y, w, pw, **kw)) < 2e-6
    go = torch.rand(z.shape, device=DEVICE) if reduction == "none" else \
        torch.tensor(1.5, device=DEVICE)
    grad = binary(z, y, w, pw, grad_output=go, **kw)
    assert kc.rel_err(grad, kc.ref_binary(z, y, w, pw, grad_output=go, **kw)) < 2e-6


@pytest.mark.parametrize("dtype", [torch.float32, torch.bfloat16], ids=["f32", "bf16"])
@pytest.mark.parametrize("gamma", GAMMAS)
@pytest.mark.parametrize("c", [3, 80, 1000])
@pytest.mark.parametrize("label_smoothing", [0.0, 0.1])
def test_softmax(kc, dtype, gamma, c, label_smoothing):
    n = 64 if MODE == "interpret" else (4099 if c < 1000 else 1031)
    if MODE == "cuda" and gamma not in (0.0, 0.5, 2.0):
        pytest.skip("GPU compile time: three gammas (all of them run interpreted)")
    if MODE == "interpret" and (c == 1000 or dtype != torch.float32) and gamma not in (0.5, 2.0):
        pytest.skip("interpreter time: C=1000 and bf16 checked at two gammas")
    if MODE == "interpret" and c == 1000 and dtype != torch.float32:
        pytest.skip("interpreter time: C=1000 checked in float32")
    x, t, cw = kc.softmax_case(n, c, dtype=dtype, seed=int(4 * gamma), device=DEVICE)
    for weight in (None, cw):
        for reduction in ("none", "mean", "sum"):
            kw = {"gamma": gamma, "ignore_index": -100, "label_smoothing": label_smoothing,
                  "reduction": reduction}
            out = softmax(x, t, weight, **kw)
            assert kc.rel_err(out, kc.ref_softmax(x, t, weight, **kw)) < 3e-6
            go = torch.rand(n, device=DEVICE) if reduction == "none" else \
                torch.tensor(0.8, device=DEVICE)
            grad = softmax(x, t, weight, grad_output=go, **kw)
            assert grad.dtype == dtype
            assert grad.shape == x.shape
            ref = kc.ref_softmax(x, t, weight, grad_output=go, **kw)
            assert kc.rel_err(grad, ref) < TOL_GRAD[dtype]
            assert bool((grad[(t == -100)] == 0).all())


def test_softmax_ignore_index_real_class(kc):
    x, t, cw = kc.softmax_case(50, 7, seed=1, device=DEVICE)
    t[t == -100] = 2
    kw = {"gamma": 1.0, "ignore_index": 2, "label_smoothing": 0.0, "reduction": "mean"}
    out = softmax(x, t, cw, **kw)
    assert kc.rel_err(out, kc.ref_softmax(x, t, cw, **kw)) < 2e-6


def test_returns_none_when_unsupported(kc):
    x, t, _ = kc.softmax_case(64, 10, device=DEVICE)
    kw = {"gamma": 2.0, "ignore_index": -100, "label_smoothing": 0.0, "reduction": "mean"}
    assert softmax(x.reshape(8, 8, 10), t[:8], None, **kw) is None  # N-D
    assert softmax(x, torch.softmax(x, 1), None, **kw) is None  # probabilities
    z, y, _, _ = kc.binary_case(100, dtype=torch.float64, device=DEVICE)
    assert binary(z, y, None, None, gamma=2.0, alpha=None, reduction="sum") is None


def _counter():
    return torch.zeros((), dtype=torch.int32, device=DEVICE)


@pytest.mark.parametrize("kind", ["uint8", "int64", "soft"])
def test_binary_bad_targets_are_nan_and_counted(kc, kind):
    z, y, _, _ = kc.binary_case(9000, device=DEVICE)
    if kind == "soft":
        y = y.float()
        y[[3, 8500]] = torch.tensor([1.5, float("nan")], device=DEVICE)
    else:
        y = y.to(torch.uint8 if kind == "uint8" else torch.int64)
        y[[3, 8500]] = torch.tensor([2, 255 if kind == "uint8" else -1],
                                    device=DEVICE).to(y.dtype)
    kw = {"gamma": 2.0, "alpha": 0.25}
    state = {"bad_counter": _counter()}
    out = binary(z, y, None, None, reduction="none", state=state, **kw)
    nan = torch.isnan(out)
    assert nan[[3, 8500]].all()
    assert int(nan.sum()) == 2
    assert int(state["bad_counter"]) == 2  # blocks holding a bad target (two blocks apart)
    assert torch.isnan(binary(z, y, None, None, reduction="sum", state=state, **kw))
    assert int(state["bad_counter"]) == 4  # counts add up over calls
    grad = binary(z, y, None, None, grad_output=torch.tensor(1.0, device=DEVICE),
                  reduction="sum", **kw)
    assert torch.isnan(grad[[3, 8500]]).all()
    assert int(torch.isnan(grad).sum()) == 2
    y[[3, 8500]] = y[0].clone()
    state = {"bad_counter": _counter()}
    assert torch.isfinite(binary(z, y, None, None, reduction="mean", state=state, **kw))
    assert int(state["bad_counter"]) == 0


@pytest.mark.parametrize("label_smoothing", [0.0, 0.1])
def test_softmax_bad_labels_are_nan_and_counted(kc, label_smoothing):
    x, t, cw = kc.softmax_case(64, 10, device=DEVICE)
    t[3], t[8] = 10, -7  # out of range; ignore_index rows (-100) stay 0
    kw = {"gamma": 2.0, "ignore_index": -100, "label_smoothing": label_smoothing}
    for reduction in ("none", "mean"):
        state = {"bad_counter": _counter()}
        out = softmax(x, t, cw, reduction=reduction, state=state, **kw)
        assert int(state["bad_counter"]) == 2
        if reduction == "none":
            assert torch.isnan(out[[3, 8]]).all()
            assert int(torch.isnan(out).sum()) == 2
            assert bool((out[t == -100] == 0).all())
        else:
            assert torch.isnan(out)
    go = torch.tensor(1.0, device=DEVICE)
    grad = softmax(x, t, cw, grad_output=go, reduction="sum", **kw)
    rows_nan = torch.isnan(grad).any(1)
    assert rows_nan[[3, 8]].all()
    assert int(rows_nan.sum()) == 2


@pytest.mark.parametrize("c", [7, 80, 1500])
def test_softmax_backward_from_forward_state(kc, c):
    """The backward that reuses the forward's row statistics equals the recomputing one."""
    x, t, cw = kc.softmax_case(40, c, seed=3, device=DEVICE)
    for reduction in ("mean", "sum", "none"):
        kw = {"gamma": 0.5, "ignore_index": -100, "label_smoothing": 0.0,
              "reduction": reduction}
        state: dict = {}
        softmax(x, t, cw, state=state, **kw)
        go = torch.rand(40, device=DEVICE) if reduction == "none" else \
            torch.tensor(0.3, device=DEVICE)
        a = softmax(x, t, cw, grad_output=go, state=state, **kw)
        b = softmax(x, t, cw, grad_output=go, **kw)
        torch.testing.assert_close(a, b, rtol=0, atol=0)
        ref = kc.ref_softmax(x, t, cw, grad_output=go, **kw)
        assert kc.rel_err(a, ref) < TOL_GRAD[x.dtype]
