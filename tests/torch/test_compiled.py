"""torch.compile runs the fused kernels through the custom ops of ``focalkit.torch._compiled``."""

import pytest

torch = pytest.importorskip("torch")

from torch._dynamo.testing import EagerAndRecordGraphs  # noqa: E402

from focalkit.torch import (  # noqa: E402
    _compiled,  # noqa: E402
    binary_focal_loss_with_logits,
    focal_loss,
    use_fast_path,
)

# Dynamo instantiates autograd Functions inside catch_warnings(record=True), which does not
# override the "error" filter, so torch's own DeprecationWarning escapes (see
# test_integration.py).
pytestmark = pytest.mark.filterwarnings("ignore:.*should not be instantiated:DeprecationWarning")


def _compiled_graph_code(fn, *args):
    torch._dynamo.reset()
    backend = EagerAndRecordGraphs()
    out = torch.compile(fn, backend=backend, fullgraph=True)(*args)
    return out, "\n".join(g.code for g in backend.graphs)


def _binary(z, y, w):
    return binary_focal_loss_with_logits(z, y, alpha=0.25, gamma=2.0, weight=w)


def _softmax(z, t, w):
    return focal_loss(z, t, gamma=0.5, weight=w, ignore_index=1, reduction="sum")


def _softmax_smoothed(z, t, w):
    return focal_loss(z, t, gamma=2.0, weight=w, label_smoothing=0.1, reduction="none")


@pytest.mark.parametrize(
    ("fn", "op"),
    [(_binary, "binary_focal_forward"), (_softmax, "softmax_focal_forward"),
     (_softmax_smoothed, "softmax_focal_forward")],
)
def test_compiled_graph_calls_the_fused_ops_and_matches_eager(fn, op):
    g = torch.Generator().manual_seed(0)
    if fn is _binary:
        z = torch.randn(300, 5, generator=g) * 4
        rest = ((torch.rand(300, 5, generator=g) < 0.3).to(torch.uint8),
                torch.rand(300, 1, generator=g))
    else:
        z = torch.randn(300, 7, generator=g) * 4
        rest = (torch.randint(0, 7, (300,), generator=g), torch.rand(7, generator=g) + 0.1)
    z_c = z.clone().requires_grad_(True)
    z_e = z.clone().requires_grad_(True)
    out_c, code = _compiled_graph_code(fn, z_c, *rest)
    assert f"focalkit.{op}" in code
    out_e = fn(z_e, *rest)
    torch.testing.assert_close(out_c, out_e, rtol=1e-6, atol=1e-7)
    out_c.sum().backward()
    out_e.sum().backward()
    torch.testing.assert_close(z_c.grad, z_e.grad, rtol=1e-6, atol=1e-7)


def test_reference_is_traced_when_the_fast_path_is_off_or_gamma_is_a_vector():
    z = torch.randn(64, 3, requires_grad=True)
    y = torch.randint(0, 2, (64, 3)).float()
    with use_fast_path(False):
        _, code = _compiled_graph_code(_binary, z, y, None)
    assert "focalkit." not in code
    gamma = torch.tensor([0.5, 1.0, 2.0])
    _, code = _compiled_graph_code(
        lambda a, b: binary_focal_loss_with_logits(a, b, gamma=gamma), z, y
    )
    assert "focalkit." not in code


@pytest.mark.slow
# Inductor's first compile imports torch.jit code that warns about itself (torch 2.13).
@pytest.mark.filterwarnings("ignore:`torch.jit.script_method` is deprecated:DeprecationWarning")
def test_inductor_compiles_around_the_ops():
    z = torch.randn(2048, 10, requires_grad=True)
    t = torch.randint(0, 10, (2048,))
    torch._dynamo.reset()
    loss = torch.compile(lambda a: focal_loss(a * 2.0, t).sum(), fullgraph=True)(z)
    loss.backward()
    z_e = z.detach().clone().requires_grad_(True)
    ref = focal_loss(z_e * 2.0, t).sum()
    ref.backward()
    torch.testing.assert_close(loss, ref)
    torch.testing.assert_close(z.grad, z_e.grad)


@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
def test_opcheck_binary_and_softmax_ops(reduction):
    """torch.library.opcheck: schema, fake tensors, autograd registration, AOT dispatch."""
    z = torch.randn(70, 3, requires_grad=True)
    y = (torch.rand(70, 3) < 0.4).float()
    torch.library.opcheck(_compiled._binary_forward,
                          (z, y, None, torch.tensor([1.0, 2.0, 3.0]), 2.0, 0.25, reduction))
    x = torch.randn(70, 5, requires_grad=True)
    t = torch.randint(0, 5, (70,))
    torch.library.opcheck(_compiled._softmax_forward,
                          (x, t, torch.rand(5), 2.0, -100, 0.0, reduction, False))


def test_op_outputs_are_fresh_aligned_tensors():
    """Views (e.g. the second float of the GPU path's pair of sums) are copied: Inductor
    asserts 16-byte alignment of custom op outputs (seen failing on an H100 before)."""
    pair = torch.arange(2.0)
    assert _compiled._fresh(pair[1]).storage_offset() == 0
    assert _compiled._fresh(pair[0])._base is None
    x = torch.randn(6)
    assert _compiled._fresh(x) is x
    for reduction in ("none", "mean", "sum"):
        outs = _compiled._softmax_forward(torch.randn(9, 4), torch.randint(0, 4, (9,)), None,
                                          2.0, -100, 0.0, reduction, False)
        assert all(o._base is None and o.storage_offset() == 0 for o in outs)
        out = _compiled._binary_forward(torch.randn(9, 4), torch.rand(9, 4), None, None, 2.0,
                                        None, reduction)
        assert out._base is None
