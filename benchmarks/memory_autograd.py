"""Extra memory held for the backward of focal loss: analytic Function vs plain autograd.

Measures, on the CPU at 2^22 float32 logits (default), for each method:

* saved tensors: every tensor autograd packs for the backward, counted with
  ``torch.autograd.graph.saved_tensors_hooks``. ``saved_bytes`` is their total size;
  ``extra_saved_bytes`` counts only storages that are not the logits or the targets (which
  the caller holds anyway), i.e. what the loss adds to the memory held between forward and
  backward.
* resident memory, each method in a fresh subprocess after a warm-up call (JIT, allocator):
  ``held_after_forward_bytes`` (RSS after the forward minus before; what stays allocated
  until ``backward``), and ``peak_fwd_bwd_bytes`` (peak RSS during forward+backward minus
  the RSS before, so it includes the gradient itself, 1x, and the transients).

Methods: ``focalkit`` (analytic backward, fused kernel when available), ``focalkit_reference``
(the same Function forced onto the ``_core`` reference path), ``torchvision`` (plain
autograd of the published RetinaNet formula, alpha=0.25, gamma=2), ``bce`` (the built-in
``F.binary_cross_entropy_with_logits``, for scale); and for softmax with C=16 classes:
``focalkit_softmax``, ``focalkit_softmax_reference``, ``naive_softmax`` (autograd of the
textbook formula) and ``cross_entropy``.

Usage::

    python benchmarks/memory_autograd.py [--log2n 22] [--out bench-out/memory_autograd.json]

The machine may be shared: memory numbers are deterministic up to allocator noise (RSS
is page-granular), unlike timings.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
from pathlib import Path

BINARY_METHODS = ["focalkit", "focalkit_reference", "torchvision", "bce"]
SOFTMAX_METHODS = ["focalkit_softmax", "focalkit_softmax_reference", "naive_softmax",
                   "cross_entropy"]
N_CLASSES = 16


def _rss() -> int:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def _maxrss() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # KiB on Linux


def _loss_fn(method: str):
    import torch
    import torch.nn.functional as F

    from focalkit.torch import binary_focal_loss_with_logits, focal_loss, use_fast_path

    def torchvision(z, y):
        p = torch.sigmoid(z)
        ce_loss = F.binary_cross_entropy_with_logits(z, y, reduction="none")
        p_t = p * y + (1 - p) * (1 - y)
        loss = ce_loss * ((1 - p_t) ** 2.0)
        alpha_t = 0.25 * y + (1 - 0.25) * (1 - y)
        return (alpha_t * loss).mean()

    def naive_softmax(z, y):
        logp = torch.log_softmax(z, dim=1).gather(1, y.unsqueeze(1)).squeeze(1)
        return (-((1 - logp.exp()) ** 2.0) * logp).mean()

    def reference(fn):
        def run(z, y):
            with use_fast_path(False):
                return fn(z, y)
        return run

    def ours(z, y):
        return binary_focal_loss_with_logits(z, y, alpha=0.25, gamma=2.0)

    def ours_softmax(z, y):
        return focal_loss(z, y, gamma=2.0)

    return {
        "focalkit": ours,
        "focalkit_reference": reference(ours),
        "torchvision": torchvision,
        "bce": lambda z, y: F.binary_cross_entropy_with_logits(z, y),
        "focalkit_softmax": ours_softmax,
        "focalkit_softmax_reference": reference(ours_softmax),
        "naive_softmax": naive_softmax,
        "cross_entropy": lambda z, y: F.cross_entropy(z, y),
    }[method]


def _data(method: str, n: int):
    import torch

    gen = torch.Generator().manual_seed(0)
    if method in SOFTMAX_METHODS:
        z = torch.randn(n // N_CLASSES, N_CLASSES, generator=gen)
        y = torch.randint(0, N_CLASSES, (n // N_CLASSES,), generator=gen)
    else:
        z = torch.randn(n, generator=gen) * 4
        y = (torch.rand(n, generator=gen) < 0.1).float()
    return z.requires_grad_(True), y


def child(method: str, n: int, threads: int) -> dict:
    """Run one method in this (fresh) process and return its measurements."""
    import torch

    torch.set_num_threads(threads)
    fn = _loss_fn(method)
    # warm-up at a small size: JIT compilation and allocator set-up are not the loss's memory
    zw, yw = _data(method, 1 << 14)
    fn(zw, yw).backward()
    del zw, yw

    z, y = _data(method, n)
    logits_bytes = z.numel() * z.element_size()
    inputs = {z.untyped_storage().data_ptr(), y.untyped_storage().data_ptr()}
    saved: list = []

    def pack(t):
        saved.append((t.untyped_storage().data_ptr(), t.untyped_storage().nbytes(),
                      t.numel() * t.element_size()))
        return t

    rss0 = _rss()
    peak0 = _maxrss()
    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        loss = fn(z, y)
    rss_fwd = _rss()
    loss.backward()
    peak = _maxrss()
    assert z.grad is not None
    assert torch.isfinite(z.grad).all()
    storages = {ptr: size for ptr, size, _ in saved}
    extra = sum(size for ptr, size in storages.items() if ptr not in inputs)
    return {
        "method": method,
        "n_logits": z.numel(),
        "logits_bytes": logits_bytes,
        "n_saved_tensors": len(saved),
        "saved_bytes": sum(b for _, _, b in saved),
        "extra_saved_bytes": extra,
        "held_after_forward_bytes": max(rss_fwd - rss0, 0),
        # ru_maxrss is a high-water mark: if an earlier peak (import) was higher, the delta
        # below is a lower bound; `peak_is_lower_bound` says so.
        "peak_fwd_bwd_bytes": max(peak - rss0, 0),
        "peak_is_lower_bound": peak == peak0,
        "loss": float(loss),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--log2n", type=int, default=22, help="log2 of the number of logits")
    parser.add_argument("--threads", type=int, default=2, help="torch/numba CPU threads")
    parser.add_argument("--out", default="bench-out/memory_autograd.json")
    parser.add_argument("--methods", nargs="*", default=BINARY_METHODS + SOFTMAX_METHODS)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    n = 1 << args.log2n
    if args.child:
        print(json.dumps(child(args.child, n, args.threads)))
        return 0

    # A fixed mmap threshold turns off glibc's dynamic one, which would otherwise serve
    # freed 16 MiB blocks from the heap again and keep them resident: RSS then tracks the
    # live tensors.
    env = {**os.environ, "MALLOC_MMAP_THRESHOLD_": str(1 << 17)}
    results = []
    for method in args.methods:
        proc = subprocess.run(
            [sys.executable, __file__, "--child", method, "--log2n", str(args.log2n),
             "--threads", str(args.threads)],
            capture_output=True, text=True, check=False, env=env,
        )
        if proc.returncode != 0:
            print(proc.stderr, file=sys.stderr)
            raise SystemExit(f"{method} failed")
        results.append(json.loads(proc.stdout.strip().splitlines()[-1]))

    mib = 1 << 20
    header = (f"{'method':<28}{'saved':>9}{'extra saved':>13}{'held fwd':>10}"
              f"{'peak f+b':>10}   (MiB; x = ratio to the logits tensor)")
    print(f"n = 2^{args.log2n} float32 logits = {results[0]['logits_bytes'] / mib:.0f} MiB, "
          f"CPU, {args.threads} threads")
    print(header)
    for r in results:
        lb = r["logits_bytes"]
        r["ratios_to_logits"] = {
            k: r[k] / lb for k in ("saved_bytes", "extra_saved_bytes",
                                   "held_after_forward_bytes", "peak_fwd_bwd_bytes")
        }
        x = r["ratios_to_logits"]
        print(f"{r['method']:<28}{x['saved_bytes']:>8.2f}x{x['extra_saved_bytes']:>12.2f}x"
              f"{x['held_after_forward_bytes']:>9.2f}x{x['peak_fwd_bwd_bytes']:>9.2f}x"
              + ("  (peak: lower bound)" if r["peak_is_lower_bound"] else ""))

    import torch

    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    payload = {
        "benchmark": "memory_autograd",
        "log2n": args.log2n,
        "threads": args.threads,
        "torch": torch.__version__,
        "python": platform.python_version(),
        "machine": platform.machine(),
        "note": "CPU; memory, not time, so a shared machine does not distort it much",
        "results": results,
    }
    out.write_text(json.dumps(payload, indent=2) + "\n")
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
