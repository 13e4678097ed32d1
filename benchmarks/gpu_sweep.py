"""Tile-size sweep of the Triton kernels at 2^27 logits (forward + backward, kernels only).

Prints, per configuration, the median time and its multiple of the two-pass limit measured
by a copy in the same run. Used once to choose the defaults in ``kernels/_triton.py``.
"""

from __future__ import annotations

import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from focalkit.torch import kernels  # noqa: E402
from focalkit.torch.kernels import _triton  # noqa: E402


def bench(fn, reps: int = 20) -> float:
    fn()
    torch.cuda.synchronize()
    times = []
    for _ in range(reps):
        a, b = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        a.record()
        fn()
        b.record()
        b.synchronize()
        times.append(a.elapsed_time(b))
    return sorted(times)[len(times) // 2]


def main() -> None:
    only = sys.argv[1] if len(sys.argv) > 1 else ""
    n = 1 << 27
    one = torch.ones((), device="cuda")
    print(f"# {torch.cuda.get_device_name()}  2^27 logits, gamma=2, alpha=0.25, mean")
    for dtype in (torch.float32, torch.bfloat16):
        x = torch.randn(n, device="cuda").to(dtype)
        y = (torch.rand(n, device="cuda") < 0.1).to(torch.uint8)
        out = torch.empty_like(x)
        copy = bench(lambda: out.copy_(x))  # noqa: B023
        bw = 2 * x.numel() * x.element_size() / copy
        limit = (2 * (x.numel() * (x.element_size() + 1)) + x.numel() * x.element_size()) / bw
        kw = {"gamma": 2.0, "alpha": 0.25, "reduction": "mean"}
        print(f"binary {dtype}: copy {copy:.3f} ms, two-pass limit {limit:.3f} ms")
        for block, warps in ((1024, 4), (2048, 4), (4096, 4), (4096, 8), (8192, 8)):
            if True:
                _triton.BINARY_BLOCK = {4: block, 2: block}
                _triton.BINARY_WARPS = {4: warps, 2: warps}

                def fb() -> None:
                    kernels.binary_forward(x, y, None, None, **kw)  # noqa: B023
                    kernels.binary_backward(one, x, y, None, None, **kw)  # noqa: B023

                ms = bench(fb)
                print(f"  block {block:5d} warps {warps:2d}: {ms:.3f} ms  {ms / limit:.2f}x")
    for c in (80, 1000) if only != "binary" else ():
        for dtype in (torch.float32, torch.bfloat16):
            rows = n // c
            x = torch.randn(rows, c, device="cuda").to(dtype)
            t = torch.randint(0, c, (rows,), device="cuda")
            out = torch.empty_like(x)
            copy = bench(lambda: out.copy_(x))  # noqa: B023
            xb = x.numel() * x.element_size()
            limit = (3 * xb + 2 * rows * 8) / (2 * xb / copy)
            print(f"softmax C={c} {dtype}: copy {copy:.3f} ms, two-pass limit {limit:.3f} ms")
            kw = {"gamma": 2.0, "ignore_index": -100, "label_smoothing": 0.0,
                  "reduction": "mean"}
            for tile in (2048, 4096, 8192):
                for warps in (4, 8):
                    _triton.SOFTMAX_TILE, _triton.SOFTMAX_WARPS = tile, warps

                    def fb() -> None:
                        kernels.softmax_forward(x, t, None, **kw)  # noqa: B023
                        kernels.softmax_backward(one, x, t, None, **kw)  # noqa: B023

                    ms = bench(fb)
                    print(f"  tile {tile:5d} warps {warps:2d}: {ms:.3f} ms  {ms / limit:.2f}x")


if __name__ == "__main__":
    main()
