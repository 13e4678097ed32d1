"""Host-side cost of one forward+backward on CUDA: where the Python time goes.

At 2^16 logits the device work is short, so the host's time per call is what shows.
Prints the time per call of the public losses, the kernels called directly and the
built-in losses, then a profile of the public losses (top functions by own time).
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
from focalkit.torch import kernels  # noqa: E402


def per_call_us(fn, n: int = 300) -> float:
    for _ in range(20):
        fn()
    torch.cuda.synchronize()
    t0 = time.perf_counter()
    for _ in range(n):
        fn()
    torch.cuda.synchronize()
    return (time.perf_counter() - t0) / n * 1e6


def main() -> None:
    n = 1 << 16
    x = torch.randn(n, device="cuda", requires_grad=True)
    y = (torch.rand(n, device="cuda") < 0.1).to(torch.uint8)
    xs = torch.randn(n // 80, 80, device="cuda", requires_grad=True)
    t = torch.randint(0, 80, (n // 80,), device="cuda")
    one = torch.ones((), device="cuda")
    kwb = {"gamma": 2.0, "alpha": 0.25, "reduction": "mean"}
    kws = {"gamma": 2.0, "ignore_index": -100, "label_smoothing": 0.0, "reduction": "mean"}

    def pub_b() -> None:
        ft.binary_focal_loss_with_logits(x, y, alpha=0.25).backward()
        x.grad = None

    def pub_s() -> None:
        ft.focal_loss(xs, t).backward()
        xs.grad = None

    def ker_b() -> None:
        kernels.binary_forward(x.detach(), y, None, None, state={}, **kwb)
        kernels.binary_backward(one, x.detach(), y, None, None, **kwb)

    def ker_s() -> None:
        st: dict = {}
        kernels.softmax_forward(xs.detach(), t, None, state=st, **kws)
        kernels.softmax_backward(one, xs.detach(), t, None, state=st, **kws)

    yf = y.float()

    def bce() -> None:
        F.binary_cross_entropy_with_logits(x, yf).backward()
        x.grad = None

    def ce() -> None:
        F.cross_entropy(xs, t).backward()
        xs.grad = None

    for name, fn in [("public binary", pub_b), ("kernels binary", ker_b), ("bce", bce),
                     ("public softmax", pub_s), ("kernels softmax", ker_s), ("ce", ce)]:
        print(f"{name:<16} {per_call_us(fn):8.1f} us per fwd+bwd (2^16, host-bound)")
    for fn in (pub_b, pub_s):
        prof = cProfile.Profile()
        prof.enable()
        for _ in range(200):
            fn()
        torch.cuda.synchronize()
        prof.disable()
        pstats.Stats(prof).sort_stats("tottime").print_stats(14)


if __name__ == "__main__":
    main()
