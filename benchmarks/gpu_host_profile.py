"""Host-side cost of one forward+backward on CUDA: where the Python time goes.

At 2^16 logits the device work is short, so the host's time per call is what shows.
Prints the time per call of the public losses and of variants that remove one layer at a
time: without the deferred target checks, the kernels called directly, a do-nothing
``autograd.Function`` (the cost of autograd itself), one bare Triton launch, and the
built-in losses; then a profile of the public binary loss (main thread only).
"""

from __future__ import annotations

import cProfile
import pstats
import sys
import time
from pathlib import Path

import torch
import torch.nn.functional as F

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

import focalkit.torch as ft  # noqa: E402
from focalkit.torch import _deferred, kernels  # noqa: E402
from focalkit.torch.kernels import _triton, _triton_kernels  # noqa: E402


def per_call_us(fn, n: int = 400) -> float:
    for _ in range(30):
        fn()
    torch.cuda.synchronize()
    best = float("inf")
    for _ in range(3):
        t0 = time.perf_counter()
        for _ in range(n):
            fn()
        torch.cuda.synchronize()
        best = min(best, (time.perf_counter() - t0) / n * 1e6)
    return best


class _Nothing(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):  # type: ignore[no-untyped-def]
        ctx.save_for_backward(x)
        return x.new_zeros(())

    @staticmethod
    def backward(ctx, g):  # type: ignore[no-untyped-def]
        (x,) = ctx.saved_tensors
        return torch.empty_like(x)


def main() -> None:
    n = 1 << 16
    x = torch.randn(n, device="cuda", requires_grad=True)
    y = (torch.rand(n, device="cuda") < 0.1).to(torch.uint8)
    xs = torch.randn(n // 80, 80, device="cuda", requires_grad=True)
    t = torch.randint(0, 80, (n // 80,), device="cuda")
    one = torch.ones((), device="cuda")
    kwb = {"gamma": 2.0, "alpha": 0.25, "reduction": "mean"}
    kws = {"gamma": 2.0, "ignore_index": -100, "label_smoothing": 0.0, "reduction": "mean"}
    yf = y.float()
    xd = x.detach()
    part = torch.empty(n // 1024, device="cuda")

    def pub_b() -> None:
        ft.binary_focal_loss_with_logits(x, y, alpha=0.25).backward()
        x.grad = None

    def pub_s() -> None:
        ft.focal_loss(xs, t).backward()
        xs.grad = None

    def ker_b() -> None:
        kernels.binary_forward(xd, y, None, None, state={}, **kwb)
        kernels.binary_backward(one, xd, y, None, None, **kwb)

    def ker_s() -> None:
        st: dict = {}
        kernels.softmax_forward(xs.detach(), t, None, state=st, **kws)
        kernels.softmax_backward(one, xs.detach(), t, None, state=st, **kws)

    def nothing() -> None:
        _Nothing.apply(x).backward()
        x.grad = None

    def launch() -> None:
        _triton_kernels.binary_kernel[(n // 1024,)](
            xd, y, xd, xd, xd, part, part, xd, n, 0.25, 0.75, 2.0, 1.0, 1, 1,
            W_MODE=0, PW_MODE=0, GO_MODE=0, IG=2, HARD=True, MODE=0, IS64=False, FAST=True,
            CHECK=False, BLOCK=1024, num_warps=4)

    def bce() -> None:
        F.binary_cross_entropy_with_logits(x, yf).backward()
        x.grad = None

    def ce() -> None:
        F.cross_entropy(xs, t).backward()
        xs.grad = None

    rows = [("public binary", pub_b), ("public softmax", pub_s)]
    for name, fn in rows:
        print(f"{name:<34} {per_call_us(fn):8.1f} us per call", flush=True)
    saved = _deferred.reported, _deferred.poll
    _deferred.reported = lambda *a, **k: None  # type: ignore[assignment]
    _deferred.poll = lambda *a, **k: None  # type: ignore[assignment]
    for name, fn in rows:
        print(f"{name + ', no deferred checks':<34} {per_call_us(fn):8.1f} us per call",
              flush=True)
    _deferred.reported, _deferred.poll = saved
    for name, fn in [("kernels binary (2 launches)", ker_b),
                     ("kernels softmax (4 launches)", ker_s),
                     ("one bare Triton launch", launch), ("do-nothing autograd.Function", nothing),
                     ("F.binary_cross_entropy_with_logits", bce), ("F.cross_entropy", ce)]:
        print(f"{name:<34} {per_call_us(fn):8.1f} us per call", flush=True)
    # the public losses captured in a CUDA graph (host cost of a replay), at 2^16 and 2^27
    for lg in (16, 27):
        m = 1 << lg
        xg = torch.randn(m, device="cuda", requires_grad=True)
        yg = (torch.rand(m, device="cuda") < 0.1).to(torch.uint8)

        def step(xg=xg, yg=yg) -> None:  # noqa: ANN001
            ft.binary_focal_loss_with_logits(xg, yg, alpha=0.25).backward()

        s = torch.cuda.Stream()
        s.wait_stream(torch.cuda.current_stream())
        with torch.cuda.stream(s):
            for _ in range(3):
                step()
                xg.grad = None
        torch.cuda.current_stream().wait_stream(s)
        graph = torch.cuda.CUDAGraph()
        with torch.cuda.graph(graph):
            step()
        eager_us = per_call_us(lambda xg=xg: (step(), setattr(xg, "grad", None)), n=50)
        replay_us = per_call_us(graph.replay, n=50)
        print(f"public binary 2^{lg}: eager {eager_us:8.1f} us, CUDA graph replay "
              f"{replay_us:8.1f} us per call", flush=True)
        del graph, xg, yg
        torch.cuda.empty_cache()
    print(f"# triton {_triton.__name__} blocks {_triton.BINARY_BLOCK}")
    prof = cProfile.Profile()
    prof.enable()
    for _ in range(300):
        pub_b()
    torch.cuda.synchronize()
    prof.disable()
    pstats.Stats(prof).sort_stats("tottime").print_stats(16)


if __name__ == "__main__":
    main()
