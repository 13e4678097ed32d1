"""CPU (numba) fast path against the float64 ``_core`` reference."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("numba")

from focalkit.torch import kernels  # noqa: E402
from focalkit.torch.kernels import _cpu  # noqa: E402

GAMMAS = (0.0, 0.25, 0.5, 1.0, 2.0, 5.0)
TOL = {torch.float32: 2e-6, torch.float64: 1e-13}


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64], ids=["f32", "f64"])
@pytest.mark.parametrize("gamma", GAMMAS)
@pytest.mark.parametrize("target", ["hard", "soft", "uint8", "bool"])
def test_binary_matches_core_every_gamma(kc, dtype, gamma, target):
    z, y, _, _ = kc.binary_case(3000, dtype=dtype, target=target, seed=int(gamma * 4))
    for alpha in (None, 0.25):
        kw = {"gamma": gamma, "alpha": alpha}
        loss = kernels.binary_forward(z, y, None, None, reduction="none", **kw)
        ref = kc.ref_binary(z, y, None, None, reduction="none", **kw)
        assert loss.dtype == dtype
        assert kc.rel_err(loss, ref) < TOL[dtype]
        go = torch.ones((), dtype=dtype)
        grad = kernels.binary_backward(go, z, y, None, None, reduction="sum", **kw)
        ref_g = kc.ref_binary(z, y, None, None, reduction="sum", grad_output=go, **kw)
        assert grad.dtype == dtype
        assert grad.shape == z.shape
        assert kc.rel_err(grad, ref_g) < 10 * TOL[dtype]


@pytest.mark.parametrize("gamma", GAMMAS)
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64], ids=["f32", "f64"])
def test_binary_hard_and_soft_blocks_mixed(kc, gamma, dtype):
    # blocks of exactly-0/1 float targets take the hard path (one side per element), a
    # block with one soft target the soft path; integer targets always the hard path
    n = 3 * _cpu._BLOCK + 777
    z, y, w, pw = kc.binary_case(n, dtype=dtype, target="hard", weight="full",
                                 pos_weight="scalar", seed=5)
    for s in (0, _cpu._BLOCK, 2 * _cpu._BLOCK, 3 * _cpu._BLOCK):  # extremes in each block
        z[s : s + len(kc.EXTREMES)] = torch.tensor(kc.EXTREMES, dtype=dtype)
    y[_cpu._BLOCK + 17] = 0.375  # block 1 soft
    y[3 * _cpu._BLOCK + 5] = 0.5  # last, partial block soft
    for yy in (y, (y > 0.9).to(torch.int64), (y > 0.9).to(torch.int32)):
        for alpha in (None, 0.25):
            kw = {"gamma": gamma, "alpha": alpha}
            for red in ("none", "sum"):
                out = kernels.binary_forward(z, yy, w, pw, reduction=red, **kw)
                ref = kc.ref_binary(z, yy, w, pw, reduction=red, **kw)
                assert kc.rel_err(out, ref) < TOL[dtype]
            # elementwise too: each normal-sized value relatively accurate
            tiny = 1e-30 if dtype == torch.float32 else 1e-290
            loss = kernels.binary_forward(z, yy, w, pw, reduction="none", **kw)
            ref = kc.ref_binary(z, yy, w, pw, reduction="none", **kw)
            big = ref.abs() > tiny
            rel = (loss.double() - ref).abs()[big] / ref.abs()[big]
            assert float(rel.max()) < 200 * TOL[dtype]
            go = torch.tensor(0.7, dtype=dtype)
            grad = kernels.binary_backward(go, z, yy, w, pw, reduction="mean", **kw)
            ref_g = kc.ref_binary(z, yy, w, pw, reduction="mean", grad_output=go, **kw)
            assert kc.rel_err(grad, ref_g) < 10 * TOL[dtype]
            big = ref_g.abs() > tiny
            rel = (grad.double() - ref_g).abs()[big] / ref_g.abs()[big]
            assert float(rel.max()) < 200 * TOL[dtype]


def test_binary_large_output_on_huge_pages_is_a_normal_tensor(kc):
    n = (_cpu._HUGE_MIN_BYTES // 4) + 3
    z, y, _, _ = kc.binary_case(n, target="uint8", seed=2)
    kw = {"gamma": 2.0, "alpha": 0.25, "reduction": "mean"}
    grad = kernels.binary_backward(torch.tensor(1.0), z, y, None, None, **kw)
    assert grad.is_contiguous()
    assert grad.shape == z.shape
    assert kc.rel_err(grad, kc.ref_binary(z, y, None, None, grad_output=torch.tensor(1.0),
                                          **kw)) < 2e-5
    grad += 1.0  # writable, and the mapping outlives this function
    del z, y
    assert bool(torch.isfinite(grad).all())


def test_huge_page_buffers_reused_only_when_free(kc):
    n = (_cpu._HUGE_MIN_BYTES // 4) + 3
    z, y, _, _ = kc.binary_case(n, target="uint8", seed=4)
    kw = {"gamma": 2.0, "alpha": 0.25, "reduction": "none"}
    one = torch.tensor(1.0)
    _cpu.release_buffers()
    g1 = kernels.binary_backward(one, z, y, None, None, **kw)
    view = g1[5:]  # a view keeps the buffer in use
    keep = view.clone()
    del g1
    g2 = kernels.binary_backward(one, -z, y, None, None, **kw)
    assert g2.data_ptr() != view.data_ptr() - 5 * 4
    assert torch.equal(view, keep)  # not overwritten
    ptr = view.data_ptr() - 5 * 4
    del view
    g3 = kernels.binary_backward(one, z, y, None, None, **kw)
    if _cpu._HUGE:
        assert g3.data_ptr() == ptr  # the freed buffer, reused
    assert torch.equal(g3[5:], keep)
    assert not torch.equal(g2, g3)
    _cpu.release_buffers()
    assert bool(torch.isfinite(g2).all())  # released buffers stay valid for their tensors


@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
@pytest.mark.parametrize(
    ("weight", "pos_weight"),
    [("none", "none"), ("full", "label"), ("label", "scalar"), ("row", "full"),
     ("scalar", "none"), ("none", "row")],
)
def test_binary_weights_and_reductions(kc, reduction, weight, pos_weight):
    z, y, w, pw = kc.binary_case(shape=(97, 31), target="soft", weight=weight,
                                 pos_weight=pos_weight, seed=3)
    kw = {"gamma": 2.0, "alpha": 0.3, "reduction": reduction}
    out = kernels.binary_forward(z, y, w, pw, **kw)
    assert kc.rel_err(out, kc.ref_binary(z, y, w, pw, **kw)) < 2e-6
    # grad_output: a scalar, or for "none" a full tensor and an expanded scalar
    gos = [torch.tensor(0.7)]
    if reduction == "none":
        gos = [torch.rand(z.shape) + 0.1, torch.tensor(0.7).expand(z.shape)]
    for go in gos:
        grad = kernels.binary_backward(go, z, y, w, pw, **kw)
        ref = kc.ref_binary(z, y, w, pw, grad_output=go, **kw)
        assert kc.rel_err(grad, ref) < 2e-5


@pytest.mark.parametrize("dtype", [torch.bfloat16, torch.float16], ids=["bf16", "f16"])
def test_half_inputs_computed_in_float32(kc, dtype):
    z, y, _, _ = kc.binary_case(2000, dtype=dtype, target="uint8")
    kw = {"gamma": 2.0, "alpha": 0.25, "reduction": "sum"}
    loss = kernels.binary_forward(z, y, None, None, **kw)
    assert loss.dtype == torch.float32
    assert kc.rel_err(loss, kc.ref_binary(z, y, None, None, **kw)) < 2e-6
    go = torch.tensor(1.0)
    grad = kernels.binary_backward(go, z, y, None, None, **kw)
    assert grad.dtype == dtype
    assert kc.rel_err(grad, kc.ref_binary(z, y, None, None, grad_output=go, **kw)) < 8e-3
    x, t, cw = kc.softmax_case(100, 20, dtype=dtype)
    kws = {"gamma": 2.0, "ignore_index": -100, "label_smoothing": 0.0, "reduction": "mean"}
    out = kernels.softmax_forward(x, t, cw, **kws)
    assert out.dtype == torch.float32
    assert kc.rel_err(out, kc.ref_softmax(x, t, cw, **kws)) < 2e-6
    grad = kernels.softmax_backward(go, x, t, cw, **kws)
    assert grad.dtype == dtype
    assert kc.rel_err(grad, kc.ref_softmax(x, t, cw, grad_output=go, **kws)) < 8e-3


def test_binary_gamma0_is_bce(kc):
    z, y, w, pw = kc.binary_case(shape=(64, 40), target="soft", weight="full",
                                 pos_weight="label", dtype=torch.float64)
    zz = z.clone().requires_grad_()
    bce = torch.nn.functional.binary_cross_entropy_with_logits(zz, y, weight=w, pos_weight=pw)
    bce.backward()
    out = kernels.binary_forward(z, y, w, pw, gamma=0.0, alpha=None, reduction="mean")
    grad = kernels.binary_backward(torch.tensor(1.0, dtype=torch.float64), z, y, w, pw,
                                   gamma=0.0, alpha=None, reduction="mean")
    torch.testing.assert_close(out, bce.detach(), rtol=1e-13, atol=0)
    torch.testing.assert_close(grad, zz.grad, rtol=1e-12, atol=1e-15)


def test_binary_finite_at_extremes_small_gamma():
    # 0 < gamma < 1 at |z| >> 16.6: torchvision's formula gives NaN gradients here
    z = torch.tensor([30.0, -30.0, 1e4, -1e4, 100.0] * 300)
    y = torch.tensor([1.0, 0.0, 1.0, 0.0, 0.0] * 300)
    for gamma in (0.25, 0.5):
        g = kernels.binary_backward(torch.tensor(1.0), z, y, None, None, gamma=gamma,
                                    alpha=None, reduction="sum")
        assert bool(torch.isfinite(g).all())
        assert g[4].item() > 0  # confidently wrong: a real gradient (no clipping)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64], ids=["f32", "f64"])
@pytest.mark.parametrize("gamma", GAMMAS)
@pytest.mark.parametrize("label_smoothing", [0.0, 0.1])
def test_softmax_matches_core(kc, dtype, gamma, label_smoothing):
    x, t, cw = kc.softmax_case(300, 37, dtype=dtype, seed=int(gamma * 4))
    for weight in (None, cw.to(dtype)):
        for reduction in ("none", "mean", "sum"):
            kw = {"gamma": gamma, "ignore_index": -100, "label_smoothing": label_smoothing,
                  "reduction": reduction}
            out = kernels.softmax_forward(x, t, weight, **kw)
            assert kc.rel_err(out, kc.ref_softmax(x, t, weight, **kw)) < TOL[dtype]
            go = torch.rand(x.shape[0], dtype=dtype) if reduction == "none" else \
                torch.tensor(1.3, dtype=dtype)
            grad = kernels.softmax_backward(go, x, t, weight, **kw)
            ref = kc.ref_softmax(x, t, weight, grad_output=go, **kw)
            assert grad.dtype == dtype
            assert kc.rel_err(grad, ref) < 10 * TOL[dtype]


def test_softmax_ignored_rows_zero_and_gamma0_is_cross_entropy(kc):
    x, t, cw = kc.softmax_case(200, 50, dtype=torch.float64, ignore_index=3)
    t[t == -100] = 3  # ignore a real class index this time
    xx = x.clone().requires_grad_()
    ce = torch.nn.functional.cross_entropy(xx, t, weight=cw, ignore_index=3,
                                           label_smoothing=0.05)
    ce.backward()
    kw = {"gamma": 0.0, "ignore_index": 3, "label_smoothing": 0.05, "reduction": "mean"}
    out = kernels.softmax_forward(x, t, cw, **kw)
    grad = kernels.softmax_backward(torch.tensor(1.0, dtype=torch.float64), x, t, cw, **kw)
    torch.testing.assert_close(out, ce.detach(), rtol=1e-12, atol=0)
    torch.testing.assert_close(grad, xx.grad, rtol=1e-10, atol=1e-14)
    assert bool((grad[t == 3] == 0).all())


@pytest.mark.parametrize(
    "call",
    [
        pytest.param(lambda z, y: kernels.binary_forward(
            z[:32], y[:32], None, None, gamma=2.0, alpha=None, reduction="mean"),
            id="small"),
        pytest.param(lambda z, y: kernels.binary_forward(
            z.to("meta"), y.to("meta"), None, None, gamma=2.0, alpha=None,
            reduction="mean"), id="meta-device"),
        pytest.param(lambda z, y: kernels.binary_forward(
            z, y, None, None, gamma=torch.tensor([2.0]), alpha=None, reduction="mean"),
            id="gamma-tensor"),
        pytest.param(lambda z, y: kernels.binary_forward(
            z, y, None, None, gamma=2.0, alpha=torch.tensor(0.2), reduction="mean"),
            id="alpha-tensor"),
        pytest.param(lambda z, y: kernels.softmax_forward(
            z.reshape(8, 2, -1), y[:8].long(), None, gamma=2.0, ignore_index=-100,
            label_smoothing=0.0, reduction="mean"), id="softmax-nd"),
        pytest.param(lambda z, y: kernels.softmax_forward(
            z.reshape(64, -1), torch.softmax(z.reshape(64, -1), 1), None, gamma=2.0,
            ignore_index=-100, label_smoothing=0.0, reduction="mean"), id="softmax-probs"),
        pytest.param(lambda z, y: kernels.softmax_forward(
            z.reshape(64, -1), torch.full((64,), 999), None, gamma=2.0,
            ignore_index=-100, label_smoothing=0.0, reduction="mean"), id="label-range"),
        pytest.param(lambda z, y: kernels.binary_forward(
            z, torch.where(torch.arange(z.numel()) == 4000, 1.5, y.float()), None, None,
            gamma=2.0, alpha=None, reduction="sum"), id="target-above-one"),
        pytest.param(lambda z, y: kernels.binary_forward(
            z, torch.where(torch.arange(z.numel()) == 9, float("nan"), y.float()), None,
            None, gamma=2.0, alpha=None, reduction="none"), id="target-nan"),
        pytest.param(lambda z, y: kernels.binary_forward(
            z, torch.where(torch.arange(z.numel()) == 7, 2, y.to(torch.uint8)), None, None,
            gamma=0.5, alpha=None, reduction="mean"), id="target-uint8-2"),
        pytest.param(lambda z, y: kernels.binary_forward(
            z, torch.where(torch.arange(z.numel()) == 7, -1, y.long()), None, None,
            gamma=2.0, alpha=None, reduction="mean"), id="target-int64-neg"),
    ],
)
def test_no_fast_path_returns_none(kc, call):
    z, y, _, _ = kc.binary_case(4096)
    assert call(z, y) is None


@pytest.mark.parametrize("threads", [1, 2, 3])
def test_threads_follow_torch(monkeypatch, threads):
    seen = []

    def record(a: int, b: int) -> None:
        seen.append((a, b))

    monkeypatch.setattr(torch, "get_num_threads", lambda: threads)
    _cpu._parallel(record, 1000, 1 << 20)
    assert sorted(seen) == [(1000 * i // threads, 1000 * (i + 1) // threads)
                            for i in range(threads)]


def test_parallel_result_independent_of_threads(kc):
    z, y, _, _ = kc.binary_case(200_000, target="soft")
    old = torch.get_num_threads()
    try:
        outs = []
        for n in (1, 2):
            torch.set_num_threads(n)
            outs.append(kernels.binary_forward(z, y, None, None, gamma=2.0, alpha=0.25,
                                               reduction="sum"))
    finally:
        torch.set_num_threads(old)
    assert outs[0].item() == outs[1].item()  # fixed blocks: same sums, same order


def test_primitives_match_numpy():
    from numba import njit

    from focalkit._numba.npmath import exp_neg, expm1_neg, log1p_inv, log1p_unit

    @njit
    def run(x, e, out):  # pragma: no cover - compiled
        for i in range(x.size):
            out[0, i] = exp_neg(x[i])
            out[1, i] = log1p_unit(e[i])
            out[2, i] = expm1_neg(x[i] * 1e-2)
            out[3, i], out[4, i] = log1p_inv(e[i])

    for dt, tol in ((np.float32, 5e-7), (np.float64, 1e-15)):
        x = -np.concatenate([np.linspace(0, 110, 20001), np.geomspace(1e-30, 1, 2001)])
        x = x.astype(dt)
        e = np.concatenate([np.linspace(0, 1, 20001), np.geomspace(1e-38, 1, 2001)]).astype(dt)
        out = np.empty((5, x.size), dtype=dt)
        run(x, e, out)
        xd, ed = x.astype(np.float64), e.astype(np.float64)
        tiny = np.finfo(dt).tiny
        for got, want in ((out[0], np.exp(xd)), (out[1], np.log1p(ed)),
                          (out[2], np.expm1(xd * 1e-2)), (out[3], np.log1p(ed)),
                          (out[4], 1.0 / (1.0 + ed))):
            err = np.abs(got - want) / np.maximum(np.abs(want), tiny)
            assert err[np.abs(want) > tiny].max() < tol


def test_exp_neg_short_matches_numpy():
    # float64: 1e-13 relative down to the smallest normal number, gradual underflow below
    # it, exactly 0 from about -745.13 on (as numpy); float32: the same as exp_neg
    from numba import njit

    from focalkit._numba.npmath import exp_neg, exp_neg_short

    @njit
    def run(x, out, ref):  # pragma: no cover - compiled
        for i in range(x.size):
            out[i] = exp_neg_short(x[i])
            ref[i] = exp_neg(x[i])

    x = -np.concatenate([
        np.linspace(0, 800, 400_001), np.geomspace(1e-300, 1, 3001),
        [0.0, 708.3, 708.4, 745.0, 745.13, 745.14, 746.0, 1e4, 1e300, np.inf],
    ])
    out, ref = np.empty_like(x), np.empty_like(x)
    run(x, out, ref)
    want = np.exp(x)
    tiny = np.finfo(np.float64).tiny
    normal = want >= tiny
    assert np.max(np.abs(out[normal] - want[normal]) / want[normal]) < 1.5e-13
    assert np.all(np.abs(out[~normal] - want[~normal]) <= 1e-13 * tiny + 5e-324)
    assert out[x == 0].tolist() == [1.0, 1.0]  # x = 0 and -0.0
    assert np.all(out[x <= -745.14] == 0.0)
    assert np.all(np.diff(out[:400_001]) <= 0)  # monotone on the grid
    assert np.max(np.abs(ref[normal] - want[normal]) / want[normal]) < 1e-15  # exp_neg: full

    x32 = -np.linspace(0, 110, 20001).astype(np.float32)
    out32, ref32 = np.empty_like(x32), np.empty_like(x32)
    run(x32, out32, ref32)
    np.testing.assert_array_equal(out32, ref32)


@pytest.mark.parametrize("dt", [np.float32, np.float64])
def test_row_max_matches_numpy(dt):
    from numba import njit

    from focalkit._numba.npmath import row_max

    @njit
    def run(x, out):  # pragma: no cover - compiled
        for r in range(x.shape[0]):
            out[r] = row_max(x[r], x.shape[1])

    rng = np.random.default_rng(0)
    top = 30 if dt == np.float32 else 300
    x = (rng.standard_normal((64, 37)) * 10.0 ** rng.integers(-30, top, (64, 1))).astype(dt)
    x[0] = -np.abs(x[0])  # all negative
    x[1, 5], x[2, 7], x[3, :] = np.inf, -np.inf, -np.inf
    x[4] = 0.0
    x[4, 3] = -0.0
    x[5, :] = np.finfo(dt).min
    x[6, 10] = np.nan
    out = np.empty(x.shape[0], dtype=dt)
    run(x, out)
    np.testing.assert_array_equal(out, x.max(axis=1))  # NaN where numpy gives NaN


def test_log_pos_and_exp_neg_fma_match_numpy():
    from numba import njit

    from focalkit._numba.npmath import exp_neg, exp_neg_fma, log_pos

    @njit
    def run(x, e, out_log, out_exp, ref_exp):  # pragma: no cover - compiled
        for i in range(x.size):
            out_log[i] = log_pos(x[i])
        for i in range(e.size):
            out_exp[i] = exp_neg_fma(e[i])
            ref_exp[i] = exp_neg(e[i])

    tiny64 = np.finfo(np.float64).tiny
    x = np.concatenate([np.linspace(1.0, 1000.0, 100_001), np.geomspace(tiny64, 1e308, 20_001),
                        [np.sqrt(0.5), np.sqrt(2.0), 1.0 - 2.0**-53, 1.0 + 2.0**-52, 2.0, 0.5]])
    out_log = np.empty_like(x)
    special = np.array([np.inf, np.nan])
    out_special = np.empty(2)
    for dt, tol in ((np.float32, 2e-7), (np.float64, 1e-15)):
        e = -np.concatenate([np.linspace(0, 110 if dt == np.float32 else 740, 100_001),
                             np.geomspace(1e-30, 1, 2001), [0.0, np.inf]]).astype(dt)
        out_exp, ref_exp = np.empty_like(e), np.empty_like(e)
        run(x, e, out_log, out_exp, ref_exp)
        want = np.exp(e.astype(np.float64))
        normal = want >= np.finfo(dt).tiny
        assert np.max(np.abs(out_exp[normal] - want[normal]) / want[normal]) < tol
        assert out_exp[-2:].tolist() == [1.0, 0.0]  # exp(0) = 1 and exp(-inf) = 0
        # exp_neg with contracted multiply-adds: the same function up to rounding (in the
        # last bit, also of subnormal results)
        np.testing.assert_allclose(out_exp, ref_exp, rtol=4 * np.finfo(dt).eps,
                                   atol=2 * np.finfo(dt).smallest_subnormal)
    want_log = np.log(x)
    err = np.abs(out_log - want_log) / np.maximum(np.abs(want_log), 1e-300)
    assert err.max() < 5e-16
    assert out_log[x == 1.0].tolist() == [0.0]
    run(special, np.zeros(0), out_special, np.zeros(0), np.zeros(0))
    assert out_special[0] == np.inf
    assert np.isnan(out_special[1])


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64], ids=["f32", "f64"])
@pytest.mark.parametrize("c", [3, 80, 700, 3000])
@pytest.mark.parametrize("gamma", [0.5, 2.0])
def test_softmax_row_blocks_match_core_and_saved_stats(kc, dtype, c, gamma):
    # row counts that are not multiples of the block's rows, rows longer than a block
    # (c = 3000), ignored rows inside and at the edges of blocks; the backward gives the
    # same bits with and without the forward's saved row statistics
    n = max(2, 40_000 // c) + 3
    x, t, cw = kc.softmax_case(n, c, dtype=dtype, seed=c, n_ignored=min(7, n - 5))
    t[-1] = -100
    for weight in (None, cw.to(dtype)):
        for reduction in ("none", "mean", "sum"):
            kw = {"gamma": gamma, "ignore_index": -100, "label_smoothing": 0.0,
                  "reduction": reduction}
            state: dict = {}
            out = kernels.softmax_forward(x, t, weight, state=state, **kw)
            assert kc.rel_err(out, kc.ref_softmax(x, t, weight, **kw)) < TOL[dtype]
            go = torch.rand(n, dtype=dtype) if reduction == "none" else \
                torch.tensor(0.7, dtype=dtype)
            grad = kernels.softmax_backward(go, x, t, weight, state=state, **kw)
            ref = kc.ref_softmax(x, t, weight, grad_output=go, **kw)
            assert kc.rel_err(grad, ref) < 10 * TOL[dtype]
            assert bool((grad[t == -100] == 0).all())
            fresh = kernels.softmax_backward(go, x, t, weight, **kw)
            torch.testing.assert_close(fresh, grad, rtol=0, atol=0)


def test_softmax_result_independent_of_threads_and_bad_label_mid_block(kc):
    x, t, cw = kc.softmax_case(5000, 80)
    kw = {"gamma": 2.0, "ignore_index": -100, "label_smoothing": 0.0, "reduction": "none"}
    old = torch.get_num_threads()
    try:
        outs = []
        for n in (1, 2):
            torch.set_num_threads(n)
            outs.append((kernels.softmax_forward(x, t, cw, **kw),
                         kernels.softmax_backward(torch.ones(5000), x, t, cw, **kw)))
    finally:
        torch.set_num_threads(old)
    for a, b in zip(outs[0], outs[1], strict=True):
        torch.testing.assert_close(a, b, rtol=0, atol=0)
    bad = t.clone()
    bad[2613] = 80  # one label out of range in the middle of a block of rows
    assert kernels.softmax_forward(x, bad, cw, **kw) is None
    assert kernels.softmax_backward(torch.ones(5000), x, bad, cw, **kw) is None


@pytest.mark.parametrize("target", ["hard", "soft", "int64", "uint8-255"])
@pytest.mark.parametrize("reduction", ["none", "sum", "mean"])
def test_binary_ignore_index_in_the_kernels(target, reduction):
    # the fused kernels skip ignored targets in their target pass: loss and gradient 0
    # (also for NaN logits there), the mean over the others; against the masked core
    g = torch.Generator().manual_seed(7)
    n = 3 * 8192 + 5  # several blocks, and a partial one
    z = torch.randn(n, generator=g, dtype=torch.float64) * 4
    ign = 255 if target == "uint8-255" else -1
    valid = torch.rand(n, generator=g) > 0.2
    y = (torch.rand(n, generator=g) < 0.3).to(torch.float64)
    if target == "soft":
        y = torch.where(y > 0, torch.rand(n, generator=g, dtype=torch.float64), y)
    y = torch.where(valid, y, torch.full_like(y, float(ign)))
    y = {"int64": y.to(torch.int64), "uint8-255": y.to(torch.uint8)}.get(target, y)
    z = torch.where(valid, z, torch.full_like(z, float("nan")))
    kw = {"gamma": 2.0, "alpha": 0.25, "reduction": reduction, "ignore_index": ign}
    loss = kernels.binary_forward(z, y, None, None, **kw)
    go = torch.ones(n if reduction == "none" else (), dtype=torch.float64)
    grad = kernels.binary_backward(go, z, y, None, None, **kw)
    assert loss is not None  # the fused path ran
    assert grad is not None
    zm = torch.where(valid, z, torch.zeros_like(z)).requires_grad_(True)
    ym = torch.where(valid, y.to(torch.float64), torch.zeros(n, dtype=torch.float64))
    from focalkit._core.binary import binary_focal_loss

    per = binary_focal_loss(zm, ym, gamma=2.0, alpha=0.25) * valid
    ref = {"none": per, "sum": per.sum(), "mean": per.sum() / valid.sum()}[reduction]
    (ref * go).sum().backward()
    torch.testing.assert_close(loss, ref.detach(), rtol=1e-12, atol=1e-15)
    torch.testing.assert_close(grad, zm.grad, rtol=1e-11, atol=1e-15)
