"""Per-call speed of the public focal losses at batch sizes, against torch's own losses.

Forward + backward of one call, timed for four methods in one interleaved run:

* ``fk-fn``: the public function (``binary_focal_loss_with_logits`` / ``focal_loss``);
* ``fk-mod``: the module (``BinaryFocalLossWithLogits`` / ``FocalLoss``), built once;
* ``formula``: the eager torchvision-style expression (``sigmoid``, BCE, ``(1 - p_t)^gamma``,
  ``alpha_t``; for softmax ``log_softmax``, ``gather``, ``(1 - p_t)^gamma``);
* ``native``: ``F.binary_cross_entropy_with_logits`` / ``F.cross_entropy`` (the reference
  of the targets: focalkit <= 1.5x native and faster than the formula at every size).

Each method is timed in samples (a batch of back-to-back calls lasting about
``--sample-ms``, divided by the calls); one round takes one sample of every method of every
case, in a rotated order, and the table shows the median over ``--rounds`` rounds. Binary
cases use float 0/1 targets (10 % positives; what ``F.binary_cross_entropy_with_logits``
takes), softmax cases int64 labels; gamma = 2, alpha = 0.25 (binary), fp32, CPU threads
``--threads``. ``reduction="none"`` backpropagates a ones tensor made once per case.

``--large`` adds the 2^24-logit cases (binary with uint8 and with float targets, softmax
with C = 80 and C = 1000) and their two-pass limit: reading logits and targets twice and
writing the gradient once, at the copy bandwidth of this run (a copy of the logits into a
touched tensor, timed in the same rounds). On CUDA (when available) the host time per
call (the loop's time before the device is waited for) is printed for n = 256 and
256 x 1000, next to the wall time per call.

Usage::

    python benchmarks/bench_small.py [--quick] [--large] [--rounds 5] [--threads 2]
        [--out bench-out/small.json]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

import focalkit.torch as ft  # noqa: E402

GAMMA, ALPHA = 2.0, 0.25
METHODS = ("fk-fn", "fk-mod", "formula", "native")
#: (kind, shape) of the issue's table: binary n, softmax (N, C).
CASES = (("binary", (256,)), ("binary", (4096,)), ("binary", (65536,)), ("binary", (1 << 20,)),
         ("softmax", (256, 10)), ("softmax", (256, 1000)), ("softmax", (4096, 100)),
         ("softmax", (65536, 80)))
#: Targets of the issue: focalkit / native at most this, and below 1.0 against the formula.
NATIVE_TARGET = 1.5
LARGE_N = 1 << 24


# --------------------------------------------------------------------------- formulas
def binary_formula(x: torch.Tensor, y: torch.Tensor, reduction: str) -> torch.Tensor:
    """torchvision.ops.sigmoid_focal_loss (v0.20), written out."""
    p = torch.sigmoid(x)
    ce = F.binary_cross_entropy_with_logits(x, y, reduction="none")
    p_t = p * y + (1 - p) * (1 - y)
    loss = ce * ((1 - p_t) ** GAMMA)
    loss = (ALPHA * y + (1 - ALPHA) * (1 - y)) * loss
    return _reduce(loss, reduction)


def softmax_formula(x: torch.Tensor, t: torch.Tensor, reduction: str) -> torch.Tensor:
    """The usual eager softmax focal loss: log_softmax, gather, (1 - p_t)^gamma."""
    logpt = F.log_softmax(x, dim=1).gather(1, t[:, None]).squeeze(1)
    loss = -((1 - logpt.exp()) ** GAMMA) * logpt
    return _reduce(loss, reduction)


def _reduce(loss: torch.Tensor, reduction: str) -> torch.Tensor:
    if reduction == "mean":
        return loss.mean()
    return loss.sum() if reduction == "sum" else loss


# --------------------------------------------------------------------------- cases
def _fwd_bwd(loss_fn: Callable[[], torch.Tensor], x: torch.Tensor,
             grad: torch.Tensor | None) -> Callable[[], None]:
    """One training-style call: loss, backward into ``x.grad``, gradient dropped."""
    def run() -> None:
        loss_fn().backward(grad)
        x.grad = None

    return run


def binary_case(n: int, reduction: str, device: str = "cpu", uint8: bool = False,
                methods: tuple[str, ...] = METHODS) -> dict[str, Callable[[], None]]:
    """The methods of one binary case (float 0/1 targets; ``uint8``: focalkit gets uint8)."""
    g = torch.Generator().manual_seed(0)
    x = (torch.randn(n, generator=g) * 3).to(device).requires_grad_()
    y8 = (torch.rand(n, generator=g) < 0.1).to(torch.uint8).to(device)
    yf = y8.float()
    yk = y8 if uint8 else yf
    grad = torch.ones(n, device=device) if reduction == "none" else None
    mod = ft.BinaryFocalLossWithLogits(alpha=ALPHA, gamma=GAMMA, reduction=reduction)
    fns = {
        "fk-fn": lambda: ft.binary_focal_loss_with_logits(x, yk, alpha=ALPHA, gamma=GAMMA,
                                                          reduction=reduction),
        "fk-mod": lambda: mod(x, yk),
        "formula": lambda: binary_formula(x, yf, reduction),
        "native": lambda: F.binary_cross_entropy_with_logits(x, yf, reduction=reduction),
    }
    return {m: _fwd_bwd(fns[m], x, grad) for m in methods}


def softmax_case(rows: int, c: int, reduction: str, device: str = "cpu",
                 methods: tuple[str, ...] = METHODS) -> dict[str, Callable[[], None]]:
    """The methods of one softmax case ((rows, c) logits, int64 labels)."""
    g = torch.Generator().manual_seed(0)
    x = (torch.randn(rows, c, generator=g) * 3).to(device).requires_grad_()
    t = torch.randint(0, c, (rows,), generator=g).to(device)
    grad = torch.ones(rows, device=device) if reduction == "none" else None
    mod = ft.FocalLoss(gamma=GAMMA, reduction=reduction)
    fns = {
        "fk-fn": lambda: ft.focal_loss(x, t, gamma=GAMMA, reduction=reduction),
        "fk-mod": lambda: mod(x, t),
        "formula": lambda: softmax_formula(x, t, reduction),
        "native": lambda: F.cross_entropy(x, t, reduction=reduction),
    }
    return {m: _fwd_bwd(fns[m], x, grad) for m in methods}


def case_label(kind: str, shape: tuple[int, ...]) -> str:
    if kind == "binary":
        n = shape[0]
        lg = n.bit_length() - 1
        return f"binary n={n}" if n < 1 << 16 or n != 1 << lg else f"binary n=2^{lg}"
    return f"softmax {shape[0]}x{shape[1]}"


def make_case(kind: str, shape: tuple[int, ...], reduction: str,
              device: str = "cpu") -> dict[str, Callable[[], None]]:
    if kind == "binary":
        return binary_case(shape[0], reduction, device)
    return softmax_case(shape[0], shape[1], reduction, device)


# --------------------------------------------------------------------------- timing
def _sync(device: str) -> None:
    if device == "cuda":
        torch.cuda.synchronize()


def calibrate(fn: Callable[[], Any], sample_s: float, device: str = "cpu") -> int:
    """Calls per sample so that one sample lasts about ``sample_s`` (after two warm-ups)."""
    fn()
    fn()
    _sync(device)
    reps, elapsed = 1, 0.0
    while True:
        t0 = time.perf_counter()
        for _ in range(reps):
            fn()
        _sync(device)
        elapsed = time.perf_counter() - t0
        if elapsed >= sample_s / 4 or reps >= 1 << 16:
            break
        reps *= 4
    return max(1, min(1 << 16, round(reps * sample_s / max(elapsed, 1e-9))))


def sample(fn: Callable[[], Any], reps: int, device: str = "cpu") -> tuple[float, float, float]:
    """(host, wall, cpu) seconds per call of one batch of ``reps`` calls.

    ``cpu`` is the process's CPU time (all its threads): on a loaded machine it leaves out
    the time the process waited for a core, which the wall time includes.
    """
    _sync(device)
    c0 = time.process_time()
    t0 = time.perf_counter()
    for _ in range(reps):
        fn()
    t1 = time.perf_counter()
    _sync(device)
    t2 = time.perf_counter()
    c2 = time.process_time()
    return (t1 - t0) / reps, (t2 - t0) / reps, (c2 - c0) / reps


def interleaved(items: dict[Any, Callable[[], Any]], rounds: int, sample_s: float,
                device: str = "cpu") -> dict[Any, dict[str, Any]]:
    """Median per-call time of every item over ``rounds`` rounds, one sample each per round.

    The order is rotated every round, so that no item always follows the same neighbour.
    """
    keys = list(items)
    reps = {k: calibrate(items[k], sample_s, device) for k in keys}
    host: dict[Any, list[float]] = {k: [] for k in keys}
    wall: dict[Any, list[float]] = {k: [] for k in keys}
    cpu: dict[Any, list[float]] = {k: [] for k in keys}
    for r in range(rounds):
        shift = (r * 7) % len(keys)
        for k in keys[shift:] + keys[:shift]:
            h, w, c = sample(items[k], reps[k], device)
            host[k].append(h)
            wall[k].append(w)
            cpu[k].append(c)
    return {k: {"us": statistics.median(wall[k]) * 1e6,
                "host_us": statistics.median(host[k]) * 1e6,
            "cpu_us": statistics.median(cpu[k]) * 1e6,
                "us_min": min(wall[k]) * 1e6, "us_max": max(wall[k]) * 1e6,
                "calls_per_sample": reps[k], "rounds": rounds} for k in keys}


# --------------------------------------------------------------------------- machine
def machine() -> dict[str, Any]:
    """CPU model, threads, versions and the load average now."""
    model = platform.processor() or platform.machine()
    flags: list[str] = []
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name") and model in ("", platform.machine()):
                    model = line.split(":", 1)[1].strip()
                elif line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                elif line.startswith("flags"):
                    have = set(line.split(":", 1)[1].split())
                    flags = [f for f in ("avx2", "avx512f", "fma") if f in have]
                    break
    except OSError:
        pass
    try:
        import numba

        numba_version = numba.__version__
    except ImportError:
        numba_version = None
    return {
        "cpu": model, "cpu_flags": flags, "cpus": os.cpu_count(),
        "threads": torch.get_num_threads(), "torch": torch.__version__,
        "numba": numba_version, "python": platform.python_version(),
        "cuda": torch.cuda.get_device_name() if torch.cuda.is_available() else None,
        "focalkit": str(Path(ft.__file__).resolve().parents[2]),
        "loadavg": os.getloadavg(), "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }


def print_machine(m: dict[str, Any]) -> None:
    print(f"# {m['time']}  CPU: {m['cpu']} ({','.join(m['cpu_flags'])}), {m['cpus']} cpus, "
          f"threads={m['threads']}; torch {m['torch']}, numba {m['numba']}, python "
          f"{m['python']}; CUDA: {m['cuda']}; focalkit from {m['focalkit']}; load average "
          f"{m['loadavg']}")


# --------------------------------------------------------------------------- tables
def _flag(ok: bool) -> str:
    return "ok" if ok else "MISS"


def print_table(rows: list[dict[str, Any]], title: str) -> None:
    print(f"\n## {title}: forward+backward per call, us (median of rounds)")
    print(f"{'case':<20}{'reduction':<10}{'fk-fn':>9}{'fk-mod':>9}{'formula':>9}{'native':>9}"
          f"{'fn/nat':>8}{'fn/frm':>8}{'mod/nat':>8}{'mod/frm':>8}  targets")
    for r in rows:
        t = r["us"]
        fn_n, fn_f = t["fk-fn"] / t["native"], t["fk-fn"] / t["formula"]
        md_n, md_f = t["fk-mod"] / t["native"], t["fk-mod"] / t["formula"]
        ok = (max(fn_n, md_n) <= NATIVE_TARGET, max(fn_f, md_f) < 1.0)
        print(f"{r['case']:<20}{r['reduction']:<10}" + "".join(
            f"{t[m]:>9.1f}" for m in METHODS)
            + f"{fn_n:>8.2f}{fn_f:>8.2f}{md_n:>8.2f}{md_f:>8.2f}"
            f"  native {_flag(ok[0])}, formula {_flag(ok[1])}")


def run_cpu(rounds: int, sample_s: float, reductions: dict[str, list[str]],
            clock: str = "wall") -> list[dict]:
    """The 8 cases at ``mean`` plus the extra reductions, all in one interleaved run.

    ``clock="cpu"`` tabulates the process's CPU time per call instead of the wall time.
    """
    items: dict[tuple[str, str, str], Callable[[], None]] = {}
    for kind, shape in CASES:
        label = case_label(kind, shape)
        for red in ["mean", *reductions.get(label, [])]:
            for m, fn in make_case(kind, shape, red).items():
                items[(label, red, m)] = fn
    res = interleaved(items, rounds, sample_s)
    rows: list[dict] = []
    for (label, red, m), r in res.items():
        row = next((x for x in rows if x["case"] == label and x["reduction"] == red), None)
        if row is None:
            row = {"case": label, "reduction": red, "us": {}, "detail": {}}
            rows.append(row)
        row["us"][m] = r["cpu_us" if clock == "cpu" else "us"]
        row["detail"][m] = r
    return rows


def run_cuda(rounds: int, sample_s: float) -> list[dict]:
    """Host and wall time per call on CUDA at n = 256 and 256 x 1000 (``mean``)."""
    items: dict[tuple[str, str], Callable[[], None]] = {}
    for m, fn in binary_case(256, "mean", "cuda").items():
        items[("binary n=256", m)] = fn
    for m, fn in softmax_case(256, 1000, "mean", "cuda").items():
        items[("softmax 256x1000", m)] = fn
    res = interleaved(items, rounds, sample_s, "cuda")
    out = []
    print("\n## CUDA: host time per forward+backward call, us (wall per call in brackets)")
    print(f"{'case':<20}" + "".join(f"{m:>18}" for m in METHODS) + f"{'fn/nat':>8}{'mod/nat':>9}")
    for label in ("binary n=256", "softmax 256x1000"):
        r = {m: res[(label, m)] for m in METHODS}
        cells = "".join(f"{r[m]['host_us']:>9.1f} [{r[m]['us']:>6.1f}]" for m in METHODS)
        fn_n = r["fk-fn"]["host_us"] / r["native"]["host_us"]
        md_n = r["fk-mod"]["host_us"] / r["native"]["host_us"]
        print(f"{label:<20}{cells}{fn_n:>8.2f}{md_n:>9.2f}  "
              f"native {_flag(max(fn_n, md_n) <= NATIVE_TARGET)}")
        out.append({"case": label, "reduction": "mean", "device": "cuda", "detail": r})
    return out


# --------------------------------------------------------------------------- large
def run_large(rounds: int) -> list[dict]:
    """2^24 logits: focalkit against the formula, native and the two-pass limit."""
    # (label, the methods, logit bytes, target bytes as focalkit reads them)
    c80, c1000 = LARGE_N // 80, LARGE_N // 1000
    methods = ("fk-fn", "formula", "native")
    cases = [
        ("binary 2^24 uint8", binary_case(LARGE_N, "mean", uint8=True, methods=methods),
         4 * LARGE_N, LARGE_N),
        ("binary 2^24 float", binary_case(LARGE_N, "mean", methods=methods),
         4 * LARGE_N, 4 * LARGE_N),
        ("softmax C=80 2^24", softmax_case(c80, 80, "mean", methods=methods),
         4 * 80 * c80, 8 * c80),
        ("softmax C=1000 2^24", softmax_case(c1000, 1000, "mean", methods=methods),
         4 * 1000 * c1000, 8 * c1000),
    ]
    items: dict[tuple[str, str], Callable[[], Any]] = {}
    nbytes: dict[str, tuple[int, int]] = {}
    for label, fns, xbytes, ybytes in cases:
        for m, fn in fns.items():
            items[(label, m)] = fn
        nbytes[label] = (xbytes, ybytes)
    src = torch.randn(LARGE_N)
    dst = torch.empty_like(src)
    dst.copy_(src)  # touched: the copy measures bandwidth, not page faults
    items[("copy", "copy")] = lambda: dst.copy_(src)
    # one call per sample: the formula at 2^24 takes most of a second here
    res = interleaved(items, rounds, sample_s=1e-6)
    bw = 2 * src.numel() * 4 / (res[("copy", "copy")]["us"] * 1e-6)  # bytes/s, read+write
    print(f"\n## 2^24 logits, fp32: forward+backward per call, ms (median of {rounds}); copy "
          f"bandwidth {bw / 1e9:.1f} GB/s (read+write), copy "
          f"{res[('copy', 'copy')]['us'] / 1e3:.2f} ms")
    print(f"{'case':<22}{'fk-fn':>9}{'formula':>9}{'native':>9}{'2-pass':>9}"
          f"{'fk/2pass':>9}{'frm/fk':>8}{'fk/nat':>8}  targets")
    out = []
    for label, *_ in cases:
        xb, yb = nbytes[label]
        two_pass_ms = (2 * (xb + yb) + xb) / bw * 1e3
        ms = {m: res[(label, m)]["us"] / 1e3 for m in methods}
        x2, sp = ms["fk-fn"] / two_pass_ms, ms["formula"] / ms["fk-fn"]
        if label.startswith("binary"):
            target = f"2-pass <= 2.0x {_flag(x2 <= 2.0)}"
        else:
            target = f"2-pass <= 3.0x {_flag(x2 <= 3.0)}, >= 8x formula {_flag(sp >= 8.0)}"
        print(f"{label:<22}{ms['fk-fn']:>9.2f}{ms['formula']:>9.2f}{ms['native']:>9.2f}"
              f"{two_pass_ms:>9.2f}{x2:>9.2f}{sp:>8.1f}{ms['fk-fn'] / ms['native']:>8.2f}"
              f"  {target}")
        out.append({"case": label, "reduction": "mean", "ms": ms, "two_pass_ms": two_pass_ms,
                    "copy_GBps": bw / 1e9})
    return out


# --------------------------------------------------------------------------- main
def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true",
                    help="3 rounds of short samples; none/sum only at the smallest cases")
    ap.add_argument("--large", action="store_true", help="also the 2^24 cases (slow)")
    ap.add_argument("--rounds", type=int, default=None, help="interleaved rounds (default 5)")
    ap.add_argument("--sample-ms", type=float, default=None,
                    help="length of one sample (default 20 ms, --quick 5 ms)")
    ap.add_argument("--threads", type=int, default=2, help="CPU threads (torch and kernels)")
    ap.add_argument("--clock", choices=["wall", "cpu"], default="wall",
                    help="CPU tables: wall time, or the process's CPU time (a loaded "
                         "machine's waits left out; both are in the JSON)")
    ap.add_argument("--no-cuda", action="store_true", help="skip the CUDA host-time table")
    ap.add_argument("--out", default="bench-out/small.json")
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)
    rounds = args.rounds or (3 if args.quick else 5)
    sample_s = (args.sample_ms or (5.0 if args.quick else 20.0)) / 1e3
    meta = machine()
    print_machine(meta)
    if args.quick:
        extra = {"binary n=256": ["none", "sum"], "softmax 256x10": ["none", "sum"]}
    else:
        extra = {case_label(k, s): ["none", "sum"] for k, s in CASES}
    rows = run_cpu(rounds, sample_s, extra, args.clock)
    for red in ("mean", "none", "sum"):
        sel = [r for r in rows if r["reduction"] == red]
        if sel:
            print_table(sel, f"CPU ({args.clock} time), reduction={red!r}")
    result: dict[str, Any] = {"meta": meta, "cpu": rows}
    if torch.cuda.is_available() and not args.no_cuda:
        result["cuda"] = run_cuda(rounds, sample_s)
    if args.large:
        result["large"] = run_large(3 if args.quick else min(rounds, 5))
    meta["loadavg_end"] = os.getloadavg()
    print(f"\n# load average at the end: {meta['loadavg_end']}")
    if args.out:
        path = Path(args.out)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(result, indent=1, default=str))
        print(f"# wrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
