"""Tile sweep of the Triton kernels at 2^27 logits: forward and backward timed apart.

Prints, per configuration, the median forward and backward times and the total's multiple
of the two-pass limit measured by a copy in the same run (binary: logits and uint8
targets read twice, gradient written once; softmax: logits read twice, int64 labels
twice, gradient written once). Each sample times a batch of back-to-back calls (about
5 ms) between CUDA events. Used to choose the defaults in ``kernels/_triton.py``.

Usage: ``python benchmarks/gpu_sweep.py [--only binary|softmax] [--out best.json]``;
``--out`` writes the fastest configuration of each kernel, which ``bench_speed.py
--tuning`` applies (``kernels._triton.apply_tuning``).
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from focalkit.torch import kernels  # noqa: E402
from focalkit.torch.kernels import _triton  # noqa: E402


def bench(fn, reps: int = 15) -> float:
    """Median ms per call over batches of back-to-back calls."""
    fn()
    torch.cuda.synchronize()
    t0 = time.perf_counter()
    fn()
    torch.cuda.synchronize()
    k = max(1, min(100, math.ceil(5e-3 / max(time.perf_counter() - t0, 1e-6))))
    times = []
    for _ in range(reps):
        a, b = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        a.record()
        for _ in range(k):
            fn()
        b.record()
        b.synchronize()
        times.append(a.elapsed_time(b) / k)
    return statistics.median(times)


def binary_sweep(n: int, one: torch.Tensor, best: dict) -> None:
    kw = {"gamma": 2.0, "alpha": 0.25, "reduction": "mean"}
    for dtype in (torch.float32, torch.bfloat16):
        x = torch.randn(n, device="cuda").mul_(3).to(dtype)
        y = (torch.rand(n, device="cuda") < 0.1).to(torch.uint8)
        out = torch.empty_like(x)
        copy = bench(lambda: out.copy_(x))  # noqa: B023
        bw = 2 * x.numel() * x.element_size() / copy
        limit = (2 * x.numel() * (x.element_size() + 1) + x.numel() * x.element_size()) / bw
        print(f"binary {dtype}: copy {copy:.3f} ms, two-pass limit {limit:.3f} ms", flush=True)
        es = x.element_size()
        saved = _triton.BINARY_BLOCK[es], _triton.BINARY_WARPS[es]
        top = (math.inf, saved)
        for block, warps in ((1024, 4), (2048, 4), (2048, 8), (4096, 4), (4096, 8),
                             (8192, 8), (8192, 16)):
            _triton.BINARY_BLOCK[es], _triton.BINARY_WARPS[es] = block, warps

            def fwd() -> None:
                kernels.binary_forward(x, y, None, None, state={}, **kw)  # noqa: B023

            def bwd() -> None:
                kernels.binary_backward(one, x, y, None, None, **kw)  # noqa: B023

            f, b = bench(fwd), bench(bwd)
            top = min(top, (f + b, (block, warps)))
            print(f"  block {block:5d} warps {warps:2d}: fwd {f:.3f} bwd {b:.3f} "
                  f"total {f + b:.3f} ms = {(f + b) / limit:.3f}x", flush=True)
        _triton.BINARY_BLOCK[es], _triton.BINARY_WARPS[es] = saved
        best.setdefault("binary", {})[es] = list(top[1])
        print(f"  best: block {top[1][0]} warps {top[1][1]}: {top[0] / limit:.3f}x", flush=True)
        torch.cuda.empty_cache()


STATS = {80: ((128, 2048, 4), (128, 4096, 4), (128, 8192, 8), (32, 4096, 4), (16, 4096, 4),
              (16, 8192, 8)),
         1000: ((1024, 4096, 4), (1024, 8192, 8), (512, 4096, 4), (256, 4096, 4),
                (1024, 16384, 16))}
GRAD = ((1024, 4), (2048, 4), (4096, 4), (4096, 8), (8192, 8))


def softmax_sweep(n: int, one: torch.Tensor, best: dict) -> None:
    kw = {"gamma": 2.0, "ignore_index": -100, "label_smoothing": 0.0, "reduction": "mean"}
    grad_times: dict = {}
    for c in (80, 1000):
        for dtype in (torch.float32, torch.bfloat16):
            rows = n // c
            x = torch.randn(rows, c, device="cuda").mul_(3).to(dtype)
            t = torch.randint(0, c, (rows,), device="cuda")
            out = torch.empty_like(x)
            copy = bench(lambda: out.copy_(x))  # noqa: B023
            xb = x.numel() * x.element_size()
            limit = (3 * xb + 2 * rows * 8) / (2 * xb / copy)
            print(f"softmax C={c} {dtype}: copy {copy:.3f} ms, two-pass limit {limit:.3f} ms",
                  flush=True)
            state: dict = {}  # fwd/bwd run inside this iteration only

            def fwd() -> None:
                state.clear()  # noqa: B023
                kernels.softmax_forward(x, t, None, state=state, **kw)  # noqa: B023

            def bwd() -> None:
                kernels.softmax_backward(one, x, t, None, state=state, **kw)  # noqa: B023

            es = min(x.element_size(), 4)
            key = ("small" if c <= 256 else "large", es)
            saved = _triton.STATS_CONFIG[key]
            top = (math.inf, saved)
            for cfg in STATS[c]:
                _triton.STATS_CONFIG[key] = cfg
                f = bench(fwd)
                top = min(top, (f, cfg))
                print(f"  fwd  bc_max {cfg[0]:5d} tile {cfg[1]:5d} warps {cfg[2]:2d}: "
                      f"{f:.3f} ms = {f / (limit / 3):.3f}x its one-read share", flush=True)
            _triton.STATS_CONFIG[key] = top[1]
            best.setdefault("stats", {})[f"{key[0]}-{es}"] = list(top[1])
            fwd()
            saved_g = _triton.SOFTMAX_GRAD_BLOCK[es], _triton.SOFTMAX_GRAD_WARPS[es]
            for block, warps in GRAD:
                _triton.SOFTMAX_GRAD_BLOCK[es], _triton.SOFTMAX_GRAD_WARPS[es] = block, warps
                b = bench(bwd)
                grad_times.setdefault(es, {}).setdefault((block, warps), []).append(b / limit)
                print(f"  bwd  block {block:5d} warps {warps:2d}: {b:.3f} ms = "
                      f"{b / (limit * 2 / 3):.3f}x its share; best fwd + this = "
                      f"{(top[0] + b) / limit:.3f}x two-pass", flush=True)
            _triton.SOFTMAX_GRAD_BLOCK[es], _triton.SOFTMAX_GRAD_WARPS[es] = saved_g
            torch.cuda.empty_cache()
    for es, by_cfg in grad_times.items():
        cfg = min(by_cfg, key=lambda k: sum(by_cfg[k]))
        best.setdefault("grad", {})[es] = list(cfg)
        print(f"softmax grad, {es}-byte logits: best block {cfg[0]} warps {cfg[1]}", flush=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--only", choices=["binary", "softmax"], default=None)
    ap.add_argument("--out", default=None, help="write the best configurations (JSON)")
    args = ap.parse_args()
    n = 1 << 27
    one = torch.ones((), device="cuda")
    best: dict = {}
    print(f"# {torch.cuda.get_device_name()}  2^27 logits, gamma=2, mean; ms per call")
    try:
        if args.only in (None, "binary"):
            binary_sweep(n, one, best)
        if args.only in (None, "softmax"):
            softmax_sweep(n, one, best)
    finally:
        if args.out:
            Path(args.out).write_text(json.dumps(best, indent=1))
            print(f"best configurations: {json.dumps(best)}")


if __name__ == "__main__":
    main()
