"""Dice / Tversky losses, forward + backward on the CPU: focalkit.torch.dense vs MONAI.

At 8 x 19 x 256 x 256 float32 logits (the issue's size; 38 MiB) with class-index targets
(softmax) and with multi-label 0/1 targets (sigmoid), for each method:

* time of forward + backward, the median of interleaved repeats (every method once per
  round, so a busy machine slows all of them alike), and its ratio to MONAI's ``DiceLoss``
  of the same mode (target: <= 1.5x);
* memory, each method in a fresh subprocess: ``saved`` = the tensors autograd keeps for
  the backward beyond the logits and targets (``saved_tensors_hooks``), and ``peak`` = the
  rise of the peak resident memory during one forward + backward (after a small warm-up;
  the peak is reset through ``/proc/self/clear_refs``, Linux), which includes the gradient
  itself (1x the logits).

Usage::

    python benchmarks/bench_dense.py [--threads 2] [--repeats 7] [--quick] [--json OUT]
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import subprocess
import sys
import time

SHAPE = (8, 19, 256, 256)
QUICK_SHAPE = (4, 19, 64, 64)

#: name -> (mode, description)
METHODS = {
    "focalkit_dice": ("softmax", "focalkit dice_loss(activation='softmax')"),
    "monai_dice": ("softmax", "MONAI DiceLoss(softmax=True, to_onehot_y=True)"),
    "focalkit_tversky": ("softmax", "focalkit tversky_loss(0.3, 0.7, softmax)"),
    "monai_tversky": ("softmax", "MONAI TverskyLoss(alpha=0.3, beta=0.7, softmax)"),
    "autograd_dice": ("softmax", "plain autograd of the formula (one-hot target)"),
    "focalkit_dice_sigmoid": ("sigmoid", "focalkit dice_loss (sigmoid, 0/1 targets)"),
    "monai_dice_sigmoid": ("sigmoid", "MONAI DiceLoss(sigmoid=True)"),
    "focalkit_dice_focal": ("softmax", "focalkit dice_focal_loss (softmax; for scale)"),
}
REFERENCE = {"softmax": "monai_dice", "sigmoid": "monai_dice_sigmoid"}


def _inputs(shape, mode, seed=0):
    import torch

    g = torch.Generator().manual_seed(seed)
    z = torch.randn(shape, generator=g).requires_grad_(True)
    if mode == "softmax":
        y = torch.randint(0, shape[1], (shape[0], *shape[2:]), generator=g)
    else:
        y = (torch.rand(shape, generator=g) < 0.1).float()
    return z, y


def _fn(name):
    import torch
    import torch.nn.functional as F

    from focalkit.torch import dense as D

    if name.startswith("monai"):
        from monai.losses import DiceLoss, TverskyLoss

        if name == "monai_dice":
            m = DiceLoss(softmax=True, to_onehot_y=True)
            return lambda z, y: m(z, y.unsqueeze(1))
        if name == "monai_tversky":
            m = TverskyLoss(softmax=True, to_onehot_y=True, alpha=0.3, beta=0.7)
            return lambda z, y: m(z, y.unsqueeze(1))
        m = DiceLoss(sigmoid=True)
        return lambda z, y: m(z, y)
    if name == "focalkit_dice":
        return lambda z, y: D.dice_loss(z, y, activation="softmax")
    if name == "focalkit_tversky":
        return lambda z, y: D.tversky_loss(z, y, activation="softmax", fp_weight=0.3,
                                           fn_weight=0.7)
    if name == "focalkit_dice_sigmoid":
        return lambda z, y: D.dice_loss(z, y)
    if name == "focalkit_dice_focal":
        return lambda z, y: D.dice_focal_loss(z, y, activation="softmax")

    def autograd_dice(z, y):
        p = torch.softmax(z, 1)
        g = F.one_hot(y, z.shape[1]).movedim(-1, 1).to(p.dtype)
        dims = tuple(range(2, z.ndim))
        tp = (p * g).sum(dims)
        return (1 - (2 * tp + 1e-5) / (p.sum(dims) + g.sum(dims) + 1e-5)).mean()

    return autograd_dice


def _fwd_bwd(fn, z, y):
    loss = fn(z, y)
    loss.backward()
    z.grad = None
    return loss


def _memory_child(name, shape, threads):
    """Run in a subprocess: saved bytes and peak RSS rise of one forward + backward."""
    import torch

    torch.set_num_threads(threads)
    mode = METHODS[name][0]
    fn = _fn(name)
    small = _inputs((2, shape[1], 16, 16), mode)
    _fwd_bwd(fn, *small)  # warm-up: first-call allocations, imports inside the loss
    z, y = _inputs(shape, mode)
    extra = [0]
    ptrs = {z.data_ptr(), y.data_ptr()}

    def pack(t):
        if t.data_ptr() not in ptrs:
            extra[0] += t.numel() * t.element_size()
        return t

    rss = _status("VmRSS")
    with open("/proc/self/clear_refs", "w") as fh:  # reset the peak (VmHWM) to VmRSS
        fh.write("5")
    _fwd_bwd(fn, z, y)
    peak = _status("VmHWM")
    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        loss = fn(z, y)
    del loss
    print(json.dumps({"saved_bytes": extra[0], "peak_rise_bytes": max(peak - rss, 0)}))


def _status(key):
    """A field of /proc/self/status in bytes (Linux)."""
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith(key + ":"):
                return int(line.split()[1]) * 1024
    raise KeyError(key)


def _memory(name, shape, threads):
    cmd = [sys.executable, __file__, "--memory-child", name, "--shape",
           ",".join(map(str, shape)), "--threads", str(threads)]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--repeats", type=int, default=7)
    ap.add_argument("--quick", action="store_true", help=f"shape {QUICK_SHAPE}")
    ap.add_argument("--json", default=None, help="write the results here")
    ap.add_argument("--memory-child", default=None, help=argparse.SUPPRESS)
    ap.add_argument("--shape", default=None, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    shape = QUICK_SHAPE if args.quick else SHAPE
    if args.shape:
        shape = tuple(int(s) for s in args.shape.split(","))
    if args.memory_child:
        _memory_child(args.memory_child, shape, args.threads)
        return 0

    import torch

    torch.set_num_threads(args.threads)
    try:
        import monai  # noqa: F401
    except ImportError:
        print("MONAI is not installed: pip install --no-deps monai (see the Makefile)")
        return 1
    data = {mode: _inputs(shape, mode) for mode in ("softmax", "sigmoid")}
    fns = {name: _fn(name) for name in METHODS}
    for name, fn in fns.items():  # warm-up
        _fwd_bwd(fn, *data[METHODS[name][0]])
    times = {name: [] for name in METHODS}
    for _ in range(args.repeats):
        for name, fn in fns.items():
            z, y = data[METHODS[name][0]]
            t0 = time.perf_counter()
            _fwd_bwd(fn, z, y)
            times[name].append(time.perf_counter() - t0)
    logits = torch.Size(shape).numel() * 4
    rows = []
    for name, (mode, desc) in METHODS.items():
        med = statistics.median(times[name])
        ref = statistics.median(times[REFERENCE[mode]])
        mem = _memory(name, shape, args.threads)
        rows.append({"method": name, "mode": mode, "description": desc, "median_s": med,
                     "ratio_to_monai_dice": med / ref, "saved_bytes": mem["saved_bytes"],
                     "peak_rise_bytes": mem["peak_rise_bytes"]})
    print(f"shape {shape} float32 ({logits / 2**20:.0f} MiB logits), {args.threads} "
          f"threads, {args.repeats} interleaved repeats; {platform.processor() or 'cpu'}")
    print(f"{'method':<24}{'mode':<9}{'fwd+bwd ms':>11}{'vs MONAI':>10}"
          f"{'saved (x logits)':>18}{'peak rise (x logits)':>22}")
    for r in rows:
        print(f"{r['method']:<24}{r['mode']:<9}{r['median_s'] * 1e3:>11.1f}"
              f"{r['ratio_to_monai_dice']:>9.2f}x{r['saved_bytes'] / logits:>17.2f}x"
              f"{r['peak_rise_bytes'] / logits:>21.2f}x")
    if args.json:
        with open(args.json, "w") as fh:
            json.dump({"shape": shape, "threads": args.threads, "repeats": args.repeats,
                       "torch": torch.__version__, "rows": rows}, fh, indent=2)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
