"""focalkit.torch plumbing: torch.compile, saved tensors, the fast-path switch, imports."""

import os
import subprocess
import sys

import pytest

torch = pytest.importorskip("torch")

import torch.nn.functional as F  # noqa: E402

import focalkit.torch as fkt  # noqa: E402
from focalkit.torch import (  # noqa: E402
    BinaryFocalLossWithLogits,
    FocalLoss,
    binary_focal_loss_with_logits,
    fast_path_enabled,
    focal_loss,
    use_fast_path,
)
from focalkit.torch import kernels as fk_kernels  # noqa: E402


def test_public_api():
    from focalkit._core.losses import specs
    from focalkit.torch import alternatives, dense, distributed

    focal = {
        "BinaryFocalLossWithLogits", "FocalLoss", "binary_focal_loss_with_logits",
        "fast_path_enabled", "focal_loss", "use_fast_path", "check_pending_targets",
        "sync_target_checks",
    }
    lookup = {"LossModule", "loss_from_spec", "loss_function", "loss_module"}
    generated = {n for cls in specs() for n in (cls.torch_function, cls.torch_module) if n}
    region = set(dense.__all__) | set(distributed.__all__)  # segmentation losses, DDP helper
    assert set(fkt.__all__) == focal | set(alternatives.__all__) | lookup | generated | region
    assert {"varifocal_loss_with_logits", "VarifocalLossWithLogits"} <= generated
    assert len(fkt.__all__) == len(set(fkt.__all__))
    for name in fkt.__all__:
        assert getattr(fkt, name) is not None
    for name in alternatives.__all__:  # the old module path: the same objects
        assert getattr(alternatives, name) is getattr(fkt, name)


# ------------------------------------------------------------------------------- compile


def _binary_step(z, y, w, pw):
    return binary_focal_loss_with_logits(z, y, alpha=0.25, gamma=2.0, weight=w, pos_weight=pw)


def _softmax_step(z, y, w):
    return focal_loss(z, y, gamma=2.0, weight=w, ignore_index=0, label_smoothing=0.1)


def _check_compiled(backend):
    torch._dynamo.reset()
    z = torch.randn(8, 3)
    y = torch.randint(0, 2, (8, 3)).float()
    w, pw = torch.rand(8, 1), torch.tensor([1.0, 2.0, 3.0])
    labels = torch.randint(0, 3, (8,))
    per_label = BinaryFocalLossWithLogits(alpha=[0.2, 0.5, 0.8], gamma=torch.tensor([0.5, 1, 2]),
                                          reduction="sum")
    per_class = FocalLoss(gamma=torch.tensor([0.0, 1.0, 2.0]), reduction="none")
    cases = [
        (_binary_step, (y, w, pw)),
        (_softmax_step, (labels, torch.rand(3))),
        (per_label, (y,)),
        (per_class, (labels,)),
    ]
    for fn, rest in cases:
        compiled = torch.compile(fn, fullgraph=True, backend=backend)  # raises on graph break
        z_c = z.clone().requires_grad_(True)
        z_e = z.clone().requires_grad_(True)
        out_c = compiled(z_c, *rest)
        out_e = fn(z_e, *rest)
        out_c.sum().backward()
        out_e.sum().backward()
        torch.testing.assert_close(out_c, out_e)
        torch.testing.assert_close(z_c.grad, z_e.grad)


# torch's Dynamo builds the autograd ctx by instantiating torch.autograd.Function inside
# `warnings.catch_warnings(record=True)`, which does not override our "error" filter, so its
# own DeprecationWarning escapes (torch/_dynamo/side_effects.py, track_object_new).
DYNAMO_CTX_WARNING = "ignore:.*should not be instantiated:DeprecationWarning"


@pytest.mark.filterwarnings(DYNAMO_CTX_WARNING)
def test_compile_fullgraph_no_graph_break_aot_eager():
    """Dynamo traces the autograd.Functions (forward and backward) without a graph break."""
    _check_compiled("aot_eager")


@pytest.mark.slow
@pytest.mark.filterwarnings(DYNAMO_CTX_WARNING)
# Inductor's first compile imports torch.jit code that warns about itself (torch 2.13).
@pytest.mark.filterwarnings("ignore:`torch.jit.script_method` is deprecated:DeprecationWarning")
def test_compile_fullgraph_inductor():
    """The default backend (Inductor, CPU): takes ~25 s to compile on a loaded 2-core box."""
    _check_compiled("inductor")


# ------------------------------------------------------------------------- saved tensors


class _RecordSaved:
    def __init__(self):
        self.saved = []

    def __enter__(self):
        self._ctx = torch.autograd.graph.saved_tensors_hooks(self._pack, lambda t: t)
        self._ctx.__enter__()
        return self

    def __exit__(self, *exc):
        self._ctx.__exit__(*exc)

    def _pack(self, t):
        self.saved.append(t)
        return t


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_binary_saves_only_its_inputs(reduction):
    """Outside the small-call sizes the fused path keeps nothing but its inputs; within
    them (first order) also the gradient it computed in the forward: ``KEEP_GRAD_MAX_NUMEL``
    logits with mean / sum for the calls with weights, the lane's sizes
    (``focalkit.torch._small``) for plain calls, every reduction."""
    from focalkit.torch import _small
    from focalkit.torch.kernels._cpu import KEEP_GRAD_MAX_NUMEL

    rows = KEEP_GRAD_MAX_NUMEL // 4 + 1
    z = torch.randn(rows, 4, requires_grad=True)
    y = torch.rand(rows, 4)
    w, pw = torch.rand(rows, 1), torch.rand(4)
    with _RecordSaved() as rec:
        out = binary_focal_loss_with_logits(z, y, weight=w, pos_weight=pw, reduction=reduction)
    inputs = {t.data_ptr(): t.shape for t in (z, y, w, pw)}
    assert len(rec.saved) == 4
    assert all(inputs.get(t.data_ptr()) == t.shape for t in rec.saved)
    big = torch.randn(_small.MAX_NUMEL // 4 + 1, 4, requires_grad=True)
    threads = torch.get_num_threads()
    torch.set_num_threads(3)  # the general kernels' size: neither lane nor kept gradient
    try:
        with _RecordSaved() as rec_plain:
            binary_focal_loss_with_logits(big, torch.rand(big.shape))
    finally:
        torch.set_num_threads(threads)
    assert len(rec_plain.saved) == 2  # input and target, nothing else
    out.sum().backward()
    threads = torch.get_num_threads()
    torch.set_num_threads(2)  # the lane's limit depends on it
    try:
        recorded = []
        for m, weight in ((16, torch.rand(16, 1)), (16, None), (rows, None)):
            small = z[:m].detach().requires_grad_(True)
            with _RecordSaved() as rec_small:
                binary_focal_loss_with_logits(small, y[:m].round(), weight=weight,
                                              reduction=reduction)
            recorded.append((small, weight, rec_small))
    finally:
        torch.set_num_threads(threads)
    for small, weight, rec_small in recorded:
        # the gradient of the forward: always in the lane, for mean / sum otherwise
        kept = 1 if weight is None or reduction != "none" else 0
        assert len(rec_small.saved) == 2 + (weight is not None) + kept
        assert all(t.shape in (small.shape, (16, 1)) for t in rec_small.saved)


def test_softmax_saves_only_its_inputs():
    z = torch.randn(64, 5, requires_grad=True)
    y = torch.randint(0, 5, (64,))
    with _RecordSaved() as rec:
        focal_loss(z, y, gamma=2.0, weight=torch.rand(5), label_smoothing=0.1)
    assert len(rec.saved) == 3
    assert sum(t.numel() * t.element_size() for t in rec.saved) == (
        z.numel() * 4 + y.numel() * 8 + 5 * 4
    )


def test_plain_autograd_of_the_formula_saves_much_more():
    """Sanity check of the measuring tool on the torchvision formula (benchmark's baseline)."""
    z = torch.randn(1024, requires_grad=True)
    y = torch.randint(0, 2, (1024,)).float()
    with _RecordSaved() as rec:
        p = torch.sigmoid(z)
        ce = F.binary_cross_entropy_with_logits(z, y, reduction="none")
        p_t = p * y + (1 - p) * (1 - y)
        loss = (ce * (1 - p_t) ** 2 * (0.25 * y + 0.75 * (1 - y))).mean()
    del loss
    saved = sum(t.numel() * t.element_size() for t in rec.saved)
    assert saved >= 5 * z.numel() * 4


# ------------------------------------------------------------------------ fast-path switch


def test_use_fast_path_is_a_switch_and_a_context_manager():
    assert fast_path_enabled() is True
    with use_fast_path(False):
        assert fast_path_enabled() is False
        with use_fast_path(True):
            assert fast_path_enabled() is True
        assert fast_path_enabled() is False
    assert fast_path_enabled() is True
    use_fast_path(False)
    try:
        assert fast_path_enabled() is False
    finally:
        use_fast_path(True)
    with pytest.raises(ValueError, match="'enabled' parameter of use_fast_path"):
        use_fast_path("no")


def test_dispatch_calls_the_kernels_first_unless_switched_off(monkeypatch):
    calls = []

    def fake_forward(input, target, weight, pos_weight, *, gamma, alpha, reduction, state):
        calls.append(("fwd", gamma, alpha, reduction))
        return torch.tensor(123.0)

    def fake_backward(grad_output, input, target, weight, pos_weight, *, gamma, alpha,
                      reduction):
        calls.append(("bwd", gamma, alpha, reduction))
        return torch.full_like(input, 7.0)

    monkeypatch.setattr(fk_kernels, "binary_forward", fake_forward)
    monkeypatch.setattr(fk_kernels, "binary_backward", fake_backward)
    z = torch.zeros(3, requires_grad=True)
    y = torch.ones(3)
    out = binary_focal_loss_with_logits(z, y, alpha=0.25, gamma=2.0, reduction="sum")
    out.backward()
    assert out.item() == 123.0
    assert (z.grad == 7.0).all()
    assert calls == [("fwd", 2.0, 0.25, "sum"), ("bwd", 2.0, 0.25, "sum")]
    calls.clear()
    z.grad = None
    with use_fast_path(False):
        out = binary_focal_loss_with_logits(z, y, gamma=2.0, reduction="sum")
        out.backward()
    assert calls == []
    assert out.item() == pytest.approx(3 * 0.25 * 0.6931471805599453)
    # per-label gamma always takes the reference path
    binary_focal_loss_with_logits(z, y, gamma=torch.tensor([1.0, 2.0, 3.0]))
    assert calls == []


def test_softmax_dispatch_calls_the_kernels(monkeypatch):
    calls = []

    def fake_forward(input, target, weight, **kw):
        calls.append(sorted(kw))
        return torch.tensor(5.0)

    monkeypatch.setattr(fk_kernels, "softmax_forward", fake_forward)
    out = focal_loss(torch.zeros(2, 3), torch.tensor([0, 1]))
    assert out.item() == 5.0
    assert calls == [["gamma", "ignore_index", "label_smoothing", "reduction", "state"]]
    with use_fast_path(False):
        assert focal_loss(torch.zeros(2, 3), torch.tensor([0, 1])).item() != 5.0


BINARY_CASES = [
    {"gamma": 2.0},
    {"gamma": 0.5, "alpha": 0.25},
    {"gamma": 0.0, "weight": "w", "pos_weight": "pw"},
    {"gamma": 5.0, "reduction": "none"},
    {"gamma": 2.0, "reduction": "sum", "alpha": 0.9},
]
SOFTMAX_CASES = [
    {"gamma": 2.0},
    {"gamma": 0.5, "weight": "w", "ignore_index": 1},
    {"gamma": 0.0, "label_smoothing": 0.1, "reduction": "sum"},
    {"gamma": 1.0, "reduction": "none"},
]


def _fast_and_reference(fn, z, y, kw):
    results = []
    for enabled in (True, False):
        zz = z.clone().requires_grad_(True)
        with use_fast_path(enabled):
            out = fn(zz, y, **kw)
            out.sum().backward()
        results.append((out.detach(), zz.grad))
    return results


@pytest.mark.parametrize("dtype", [torch.float32, torch.bfloat16], ids=str)
@pytest.mark.parametrize("case", range(len(BINARY_CASES)))
def test_binary_fast_path_matches_reference(case, dtype):
    kw = dict(BINARY_CASES[case])
    z = (torch.randn(701, 3) * 6).to(dtype)
    y = torch.randint(0, 2, (701, 3)).to(dtype)
    if kw.get("weight") == "w":
        kw["weight"], kw["pos_weight"] = torch.rand(701, 1), torch.tensor([1.0, 2.0, 3.0])
    (fast, g_fast), (ref, g_ref) = _fast_and_reference(binary_focal_loss_with_logits, z, y, kw)
    tol = {"rtol": 1e-5, "atol": 1e-6} if dtype == torch.float32 else {}
    torch.testing.assert_close(fast, ref, **tol)
    torch.testing.assert_close(g_fast, g_ref, **tol)


@pytest.mark.parametrize("layout", ["2d", "nd"])
@pytest.mark.parametrize("case", range(len(SOFTMAX_CASES)))
def test_softmax_fast_path_matches_reference(case, layout):
    kw = dict(SOFTMAX_CASES[case])
    shape = (301, 7) if layout == "2d" else (4, 7, 9, 5)
    z = torch.randn(shape) * 5
    y = torch.randint(0, 7, (shape[0],) + shape[2:])
    if kw.get("weight") == "w":
        kw["weight"] = torch.rand(7)
    (fast, g_fast), (ref, g_ref) = _fast_and_reference(focal_loss, z, y, kw)
    # gradients are O(1): a few float32 ulps apart (both ~1e-6 from the float64 values)
    torch.testing.assert_close(fast, ref, rtol=1e-5, atol=1e-6)
    torch.testing.assert_close(g_fast, g_ref, rtol=1e-5, atol=3e-6)


def _run(code, env=None):
    full_env = {**os.environ, **(env or {})}
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=full_env, timeout=120
    )


def test_env_var_switches_the_fast_path_off():
    proc = _run("import focalkit.torch as t; print(t.fast_path_enabled())",
                env={"FOCALKIT_FAST_PATH": "0"})
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "False"


def test_import_without_torch_names_the_extra():
    code = (
        "import sys; sys.modules['torch'] = None\n"
        "from focalkit.exceptions import MissingExtraError\n"
        "try:\n"
        "    import focalkit.torch\n"
        "except MissingExtraError as exc:\n"
        "    print(exc)\n"
    )
    proc = _run(code)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "focalkit.torch needs torch: pip install 'focalkit[torch]'"


def test_modules_are_plain_nn_modules():
    assert isinstance(BinaryFocalLossWithLogits(), torch.nn.Module)
    assert isinstance(FocalLoss(), torch.nn.Module)
    assert "gamma=2.0" in repr(FocalLoss())
    assert "alpha=0.25" in repr(BinaryFocalLossWithLogits(alpha=0.25))
    assert list(BinaryFocalLossWithLogits().parameters()) == []


# ------------------------------------------------------------- blocks of the reference path


def _reference_values(fn, z, y, kw, wrt_target=False):
    zz = z.clone().requires_grad_(True)
    yy = y.clone().requires_grad_(True) if wrt_target else y
    with use_fast_path(False):
        out = fn(zz, yy, **kw)
        upstream = torch.linspace(0.5, 1.5, out.numel(), dtype=out.dtype).reshape(out.shape)
        (out * upstream).sum().backward()
    return out.detach(), zz.grad, (yy.grad if wrt_target else None)


BLOCK_BINARY = {
    "sample-weight": ((23, 4), {"weight": "rows", "pos_weight": "labels", "alpha": 0.3}),
    "label-vectors": ((23, 4), {"gamma": "labels", "alpha": "labels"}),
    "1d-per-element": ((50,), {"gamma": "elements", "weight": "elements"}),
    "nd": ((9, 2, 3), {"weight": "rows", "gamma": 0.5}),
}


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("case", list(BLOCK_BINARY))
def test_binary_reference_in_blocks_equals_one_block(case, reduction, monkeypatch):
    from focalkit.torch import _chunks

    shape, spec = BLOCK_BINARY[case]
    d64 = torch.float64
    z = torch.randn(shape, dtype=d64) * 3
    y = torch.rand(shape, dtype=d64)
    make = {
        "rows": lambda: torch.rand((shape[0],) + (1,) * (len(shape) - 1), dtype=d64),
        "labels": lambda: torch.rand(shape[-1], dtype=d64),
        "elements": lambda: torch.rand(shape, dtype=d64),
    }
    kw = {k: (make[v]() if isinstance(v, str) else v) for k, v in spec.items()}
    kw["reduction"] = reduction
    whole = _reference_values(binary_focal_loss_with_logits, z, y, kw, wrt_target=True)
    monkeypatch.setattr(_chunks, "CPU_BLOCK_ELEMENTS", 7)
    assert _chunks.row_blocks(z) is not None
    blocked = _reference_values(binary_focal_loss_with_logits, z, y, kw, wrt_target=True)
    for a, b in zip(blocked, whole, strict=True):
        torch.testing.assert_close(a, b, rtol=1e-13, atol=1e-15)


BLOCK_SOFTMAX = {
    "ignore-weight-smoothing": ((23, 5), {"weight": True, "ignore_index": 1,
                                          "label_smoothing": 0.1}),
    "class-gamma": ((23, 5), {"gamma": torch.tensor([0.0, 0.5, 1.0, 2.0, 4.0],
                                                    dtype=torch.float64)}),
    "nd": ((7, 5, 3, 2), {"weight": True, "ignore_index": 0}),
    "probabilities": ((11, 5, 3), {"dense": True, "weight": True, "label_smoothing": 0.2}),
}


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("case", list(BLOCK_SOFTMAX))
def test_softmax_reference_in_blocks_equals_one_block(case, reduction, monkeypatch):
    from focalkit.torch import _chunks

    shape, spec = BLOCK_SOFTMAX[case]
    kw = dict(spec)
    z = torch.randn(shape, dtype=torch.float64) * 3
    if kw.pop("dense", False):
        y = torch.softmax(torch.randn(shape, dtype=torch.float64), dim=1)
    else:
        y = torch.randint(0, shape[1], (shape[0],) + shape[2:])
    if kw.get("weight"):
        kw["weight"] = torch.rand(shape[1], dtype=torch.float64)
    kw["reduction"] = reduction
    whole = _reference_values(focal_loss, z, y, kw)
    monkeypatch.setattr(_chunks, "CPU_BLOCK_ELEMENTS", 12)
    assert len(_chunks.row_blocks(z)) > 2
    blocked = _reference_values(focal_loss, z, y, kw)
    for a, b in zip(blocked[:2], whole[:2], strict=True):
        torch.testing.assert_close(a, b, rtol=1e-13, atol=1e-15)
