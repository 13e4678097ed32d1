"""The public losses take the fast path and agree with the reference path."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("numba")
ft = pytest.importorskip("focalkit.torch")

from focalkit.torch import kernels  # noqa: E402


@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
def test_binary_public_fast_equals_reference(kc, reduction):
    z, y, w, pw = kc.binary_case(shape=(128, 40), target="soft", weight="row",
                                 pos_weight="label", seed=2, dtype=torch.float64)
    outs = []
    for fast in (True, False):
        zz = z.clone().requires_grad_()
        with ft.use_fast_path(fast):
            loss = ft.binary_focal_loss_with_logits(zz, y, alpha=0.25, gamma=0.5, weight=w,
                                                    pos_weight=pw, reduction=reduction)
            loss.sum().backward()
        outs.append((loss.detach(), zz.grad))
    torch.testing.assert_close(outs[0][0], outs[1][0], rtol=1e-12, atol=1e-300)
    torch.testing.assert_close(outs[0][1], outs[1][1], rtol=1e-11, atol=1e-300)


@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
def test_softmax_public_fast_equals_reference(kc, reduction):
    x, t, cw = kc.softmax_case(200, 30, dtype=torch.float64)
    outs = []
    for fast in (True, False):
        xx = x.clone().requires_grad_()
        with ft.use_fast_path(fast):
            loss = ft.focal_loss(xx, t, gamma=2.0, weight=cw, label_smoothing=0.1,
                                 reduction=reduction)
            loss.sum().backward()
        outs.append((loss.detach(), xx.grad))
    torch.testing.assert_close(outs[0][0], outs[1][0], rtol=1e-12, atol=1e-300)
    torch.testing.assert_close(outs[0][1], outs[1][1], rtol=1e-11, atol=1e-300)


def test_fast_path_is_taken(kc, monkeypatch):
    calls = []
    real = kernels.binary_forward

    def spy(*a, **k):
        out = real(*a, **k)
        calls.append(out is not None)
        return out

    monkeypatch.setattr(kernels, "binary_forward", spy)
    z, y, _, _ = kc.binary_case(4096)
    ft.binary_focal_loss_with_logits(z, y)
    ft.binary_focal_loss_with_logits(z[:10], y[:10])  # below the threshold: reference
    assert calls == [True, False]
