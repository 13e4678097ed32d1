"""``normalizer=``: the summed focal loss over a count (RetinaNet), with DDP's helper.

The registry-wide properties (every generated loss: sum / normalizer exactly, errors) are
in test_registry.py; here the focal losses' gradients and ``distributed.normalizer``.
"""

import pytest

torch = pytest.importorskip("torch")

import focalkit.torch as ft  # noqa: E402
from focalkit.torch.distributed import normalizer  # noqa: E402

D64 = torch.float64


@pytest.mark.parametrize("fast", [True, False], ids=["fused", "reference"])
def test_gradcheck_with_a_normalizer(fast):
    g = torch.Generator().manual_seed(0)
    z = torch.randn(20, 4, generator=g, dtype=D64, requires_grad=True)
    y = (torch.rand(20, 4, generator=g) < 0.3).to(D64)
    t = torch.randint(0, 4, (20,), generator=g)
    n = torch.tensor(3.0)
    with ft.use_fast_path(fast):
        assert torch.autograd.gradcheck(
            lambda a: ft.binary_focal_loss_with_logits(a, y, alpha=0.25, normalizer=n), (z,))
        assert torch.autograd.gradcheck(
            lambda a: ft.FocalLoss(gamma=2.0)(a, t, normalizer=5), (z,))


def test_distributed_normalizer_is_the_divisor():
    g = torch.Generator().manual_seed(1)
    z = torch.randn(4096, generator=g)
    y = (torch.rand(4096, generator=g) < 0.01).float()
    num_pos = (y > 0).sum()
    loss = ft.binary_focal_loss_with_logits(z, y, alpha=0.25, normalizer=normalizer(num_pos))
    total = ft.binary_focal_loss_with_logits(z, y, alpha=0.25, reduction="sum")
    assert torch.equal(loss, total / num_pos.clamp_min(1).float())
    assert loss.dtype == torch.float32
    none = torch.zeros(4096)  # no positives: normalizer clamps the count to 1
    assert torch.equal(ft.binary_focal_loss_with_logits(z, none, normalizer=normalizer(0)),
                       ft.binary_focal_loss_with_logits(z, none, reduction="sum"))
