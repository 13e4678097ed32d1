"""Speed and memory of focal loss forward+backward: focalkit against the anchors.

One command times forward + backward (and measures peak extra memory) in one run for:

* ``copy``: a copy of the logits into a preallocated tensor; the bandwidth reference.
  From it: the one-pass limit (read logits + targets once, write the gradient) and the
  two-pass limit (read them twice, write the gradient once) at copy bandwidth;
* ``focalkit``: the public loss (fast path on), uint8 / int64 targets, ``mean``;
* ``focalkit-ref``: the same with ``use_fast_path(False)`` (the ``_core`` reference);
* ``kernel``: the fused kernels called directly (forward, then backward), as the public
  loss calls them;
* ``tv-eager``: torchvision's ``sigmoid_focal_loss`` (the real one if importable, else its
  formula written here); for softmax the eager ``log_softmax``/``gather`` formula;
* ``tv-compile``: ``torch.compile`` of that formula (``--compile``; slow to build);
* ``focalkit-compile``: ``torch.compile`` of the public loss (``--compile``): the fused
  kernels as custom ops inside the compiled graph;
* ``kornia``: kornia's focal losses, when kornia is installed;
* ``bce`` / ``ce``: ``F.binary_cross_entropy_with_logits`` / ``F.cross_entropy``.

Workloads: binary (N logits, uint8 targets) and softmax with C = 80 and C = 1000
((N / C, C) logits, int64 targets); fp32 and bf16. Times are medians of repeats, in the
same run as the copy they are compared with; on CUDA each sample times a batch of
back-to-back calls (about 5 ms) and divides, so that the host's launch overhead overlaps
the device's work as in a training loop (a call that waits for the device still shows
its full cost). CPU memory is the peak RSS above the
starting RSS, sampled every 0.5 ms (torch has no CPU allocator statistics); GPU memory is
``torch.cuda.max_memory_allocated`` above the allocation before the call. Both include the
gradient itself (1.0x the logits for fp32).

Usage::

    python benchmarks/bench_speed.py [--device cpu|cuda] [--quick] [--sizes 16,20,24]
        [--dtypes fp32,bf16] [--tasks binary,softmax80,softmax1000] [--compile]
        [--threads 2] [--out bench-out/speed.json]
    python benchmarks/bench_speed.py --pool     # CPU huge-page output pool on / off
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

import focalkit.torch as ft  # noqa: E402
from focalkit.torch import kernels  # noqa: E402

GAMMA, ALPHA = 2.0, 0.25
DTYPES = {"fp32": torch.float32, "bf16": torch.bfloat16}


# --------------------------------------------------------------------------- anchors
def tv_formula(inputs: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """torchvision.ops.sigmoid_focal_loss (v0.20), reduction="mean", written out."""
    p = torch.sigmoid(inputs)
    ce = F.binary_cross_entropy_with_logits(inputs, targets, reduction="none")
    p_t = p * targets + (1 - p) * (1 - targets)
    loss = ce * ((1 - p_t) ** GAMMA)
    alpha_t = ALPHA * targets + (1 - ALPHA) * (1 - targets)
    return (alpha_t * loss).mean()


def softmax_formula(x: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
    """The usual eager softmax focal loss: log_softmax, gather, (1 - p_t)^gamma."""
    logpt = F.log_softmax(x.float(), dim=1).gather(1, t[:, None]).squeeze(1)
    pt = logpt.exp()
    return (-((1 - pt) ** GAMMA) * logpt).mean()


def _torchvision() -> Callable[..., torch.Tensor] | None:
    try:
        from torchvision.ops import sigmoid_focal_loss
    except Exception:  # noqa: BLE001 - any import failure means "not available"
        return None
    return lambda x, y: sigmoid_focal_loss(x, y, alpha=ALPHA, gamma=GAMMA, reduction="mean")


def _kornia() -> Any:
    try:
        import kornia.losses as kl
    except Exception:  # noqa: BLE001
        return None
    return kl


# --------------------------------------------------------------------------- timing
class _RSSPeak:
    """Peak resident set size above the start, sampled in a thread (CPU)."""

    def __init__(self) -> None:
        self.page = os.sysconf("SC_PAGE_SIZE")
        self.peak = 0
        self._stop = threading.Event()

    def _rss(self) -> int:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * self.page

    def __enter__(self) -> _RSSPeak:
        self.base = self._rss()
        self.peak = self.base
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, self._rss())
            time.sleep(0.0005)

    def __exit__(self, *exc: Any) -> None:
        self.peak = max(self.peak, self._rss())
        self._stop.set()
        self._thread.join()

    @property
    def extra(self) -> int:
        return self.peak - self.base


def _sync(device: str) -> None:
    if device == "cuda":
        torch.cuda.synchronize()


def measure(fn: Callable[[], Any], device: str, budget_s: float, max_reps: int) -> dict:
    """Median time (ms) of ``fn`` and its peak extra memory (bytes), after a warm-up."""
    fn()
    _sync(device)
    # memory: one separate call
    if device == "cuda":
        torch.cuda.synchronize()
        base = torch.cuda.memory_allocated()
        torch.cuda.reset_peak_memory_stats()
        fn()
        torch.cuda.synchronize()
        extra = torch.cuda.max_memory_allocated() - base
    else:
        with _RSSPeak() as rss:
            fn()
        extra = rss.extra
    times: list[float] = []
    host: list[float] = []
    t_start = time.perf_counter()
    # CUDA: each sample times a batch of k back-to-back calls between two events (about
    # 5 ms of work), as a training loop issues them: the host's launch overhead then
    # overlaps the device's work, unless a call waits for the device (a sync shows up).
    k = 1
    if device == "cuda":
        t0 = time.perf_counter()
        fn()
        torch.cuda.synchronize()
        k = max(1, min(200, math.ceil(5e-3 / max(time.perf_counter() - t0, 1e-6))))
    while len(times) < max_reps and (len(times) < 3 or time.perf_counter() - t_start < budget_s):
        if device == "cuda":
            start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
            start.record()
            h0 = time.perf_counter()
            for _ in range(k):
                fn()
            host.append((time.perf_counter() - h0) * 1e3 / k)  # the host's issue time
            end.record()
            end.synchronize()
            times.append(start.elapsed_time(end) / k)
        else:
            t0 = time.perf_counter()
            fn()
            times.append((time.perf_counter() - t0) * 1e3)
    out = {"ms": statistics.median(times), "ms_min": min(times), "reps": len(times),
           "calls_per_sample": k, "extra_bytes": int(extra)}
    if host:  # host time per call: when it reaches "ms", the host is the bottleneck
        out["host_ms"] = statistics.median(host)
    return out


# --------------------------------------------------------------------------- workloads
def _fwd_bwd(loss_fn: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor) -> Callable:
    def run() -> None:
        loss_fn(x).backward()
        x.grad = None  # freed here: the next call's memory baseline holds no gradient

    return run


def binary_methods(n: int, dtype: torch.dtype, device: str, compile_: bool) -> tuple:
    g = torch.Generator(device="cpu").manual_seed(0)
    x = (torch.randn(n, generator=g) * 3).to(dtype).to(device).requires_grad_()
    y8 = (torch.rand(n, generator=g) < 0.1).to(torch.uint8).to(device)
    yf = y8.to(dtype)
    out = torch.empty_like(x.detach())
    xd = x.detach()
    m: dict[str, Callable] = {"copy": lambda: out.copy_(xd)}
    m["focalkit"] = _fwd_bwd(
        lambda z: ft.binary_focal_loss_with_logits(z, y8, alpha=ALPHA, gamma=GAMMA), x
    )

    def reference(z: torch.Tensor) -> torch.Tensor:
        with ft.use_fast_path(False):
            return ft.binary_focal_loss_with_logits(z, y8, alpha=ALPHA, gamma=GAMMA)

    m["focalkit-ref"] = _fwd_bwd(reference, x)
    one = torch.ones((), device=device)
    kw = {"gamma": GAMMA, "alpha": ALPHA, "reduction": "mean"}
    if kernels.binary_forward(xd, y8, None, None, **kw) is not None:

        def kernel() -> None:  # as the public loss calls them (the forward checks targets)
            kernels.binary_forward(xd, y8, None, None, state={}, **kw)
            kernels.binary_backward(one, xd, y8, None, None, **kw)

        m["kernel"] = kernel
    tv = _torchvision()
    m["tv-eager"] = _fwd_bwd(lambda z: (tv or tv_formula)(z, yf), x)
    if compile_:
        compiled = torch.compile(tv_formula)
        m["tv-compile"] = _fwd_bwd(lambda z: compiled(z, yf), x)
        ours = torch.compile(lambda z: ft.binary_focal_loss_with_logits(z, y8, alpha=ALPHA,
                                                                        gamma=GAMMA))
        m["focalkit-compile"] = _fwd_bwd(ours, x)
    kl = _kornia()
    if kl is not None:
        m["kornia"] = _fwd_bwd(
            lambda z: kl.binary_focal_loss_with_logits(z, yf, alpha=ALPHA, gamma=GAMMA,
                                                       reduction="mean"), x)
    m["bce"] = _fwd_bwd(lambda z: F.binary_cross_entropy_with_logits(z, yf), x)
    x_bytes = n * x.element_size()
    y_bytes = n * y8.element_size()
    return m, x_bytes, y_bytes, "tv-eager" + ("(real)" if tv else "(formula)")


def softmax_methods(n: int, c: int, dtype: torch.dtype, device: str, compile_: bool) -> tuple:
    rows = max(1, n // c)
    g = torch.Generator(device="cpu").manual_seed(0)
    x = (torch.randn(rows, c, generator=g) * 3).to(dtype).to(device).requires_grad_()
    t = torch.randint(0, c, (rows,), generator=g).to(device)
    out = torch.empty_like(x.detach())
    xd = x.detach()
    m: dict[str, Callable] = {"copy": lambda: out.copy_(xd)}
    m["focalkit"] = _fwd_bwd(lambda z: ft.focal_loss(z, t, gamma=GAMMA), x)

    def reference(z: torch.Tensor) -> torch.Tensor:
        with ft.use_fast_path(False):
            return ft.focal_loss(z, t, gamma=GAMMA)

    m["focalkit-ref"] = _fwd_bwd(reference, x)
    one = torch.ones((), device=device)
    kw = {"gamma": GAMMA, "ignore_index": -100, "label_smoothing": 0.0, "reduction": "mean"}
    if kernels.softmax_forward(xd, t, None, **kw) is not None:

        def kernel() -> None:  # as the public loss calls them (state: row statistics)
            state: dict = {}
            kernels.softmax_forward(xd, t, None, state=state, **kw)
            kernels.softmax_backward(one, xd, t, None, state=state, **kw)

        m["kernel"] = kernel
    m["tv-eager"] = _fwd_bwd(lambda z: softmax_formula(z, t), x)
    if compile_:
        compiled = torch.compile(softmax_formula)
        m["tv-compile"] = _fwd_bwd(lambda z: compiled(z, t), x)
        ours = torch.compile(lambda z: ft.focal_loss(z, t, gamma=GAMMA))
        m["focalkit-compile"] = _fwd_bwd(ours, x)
    kl = _kornia()
    if kl is not None:
        m["kornia"] = _fwd_bwd(
            lambda z: kl.focal_loss(z, t, alpha=ALPHA, gamma=GAMMA, reduction="mean"), x)
    m["ce"] = _fwd_bwd(lambda z: F.cross_entropy(z, t), x)
    return m, rows * c * x.element_size(), rows * t.element_size(), "eager log_softmax"


# --------------------------------------------------------------------------- first call
_FIRST_CALL = r"""
import time, torch
torch.set_num_threads({threads})
import focalkit.torch as ft
z = torch.randn(1 << 20, requires_grad=True); y = (torch.rand(1 << 20) < 0.1).float()
x = torch.randn(4096, 80, requires_grad=True); t = torch.randint(0, 80, (4096,))
t0 = time.perf_counter()
ft.binary_focal_loss_with_logits(z, y).backward()
t1 = time.perf_counter()
ft.focal_loss(x, t).backward()
t2 = time.perf_counter()
print(t1 - t0, t2 - t1)
"""


def first_call(threads: int) -> dict:
    """First binary and softmax fwd+bwd in a fresh process: numba cache warm and cold."""
    res = {}
    for label, cache in (("warm_cache", None), ("cold_cache", tempfile.mkdtemp())):
        env = dict(os.environ)
        if cache:
            env["NUMBA_CACHE_DIR"] = cache
        proc = subprocess.run(
            [sys.executable, "-c", _FIRST_CALL.format(threads=threads)],
            env=env, capture_output=True, text=True, check=False, cwd=str(ROOT),
        )
        if proc.returncode != 0:
            res[label] = {"error": proc.stderr[-500:]}
            continue
        b, s = (float(v) for v in proc.stdout.split())
        res[label] = {"binary_s": b, "softmax_s": s}
    return res


def _write(path: str, result: dict) -> None:
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=1, default=float))


def summarize(result: dict) -> None:
    """The rows at each task's largest size: time, limits' multiples, memory."""
    recs = [r for r in result["records"] if "ms" in r]
    meta = result["meta"]
    print(f"# {meta['device']} {meta['device_name']} torch {meta['torch']} "
          f"triton {meta.get('triton')} threads {meta.get('threads')}")
    print(f"{'task':<12}{'dtype':<6}{'log2n':>6} {'method':<14}{'ms':>9}{'min':>9}"
          f"{'x1pass':>8}{'x2pass':>8}{'mem/x':>7}{'vs tv':>8}{'host ms':>9}")
    for task in dict.fromkeys(r["task"] for r in recs):
        for dt in dict.fromkeys(r["dtype"] for r in recs):
            rows = [r for r in recs if r["task"] == task and r["dtype"] == dt]
            if not rows:
                continue
            top = max(r["log2n"] for r in rows)
            for r in rows:
                if r["log2n"] != top:
                    continue
                sp = r.get("speedup_vs_tv")
                hm = r.get("host_ms")
                print(f"{task:<12}{dt:<6}{top:>6} {r['method']:<14}{r['ms']:>9.3f}"
                      f"{r['ms_min']:>9.3f}{r['x_one_pass']:>8.2f}{r['x_two_pass']:>8.2f}"
                      f"{r['mem_x_logits']:>7.2f}{(f'{sp:.1f}x' if sp else '-'):>8}"
                      f"{(f'{hm:.3f}' if hm is not None else '-'):>9}")


def thresholds(device: str) -> list[dict]:
    """Fast path vs reference at small sizes (min of many repeats): the dispatch cut-offs.

    The kernels' size thresholds are lifted for the measurement, so that both paths run
    at every size.
    """
    from focalkit.torch.kernels import _cpu

    saved = (_cpu.BINARY_MIN_NUMEL, _cpu.SOFTMAX_MIN_NUMEL)
    _cpu.BINARY_MIN_NUMEL = _cpu.SOFTMAX_MIN_NUMEL = 1
    rows = []
    try:
        for task in ("binary", "softmax80"):
            for lg in range(6, 17, 2):
                n = 1 << lg
                if task == "binary":
                    x = torch.randn(n, device=device, requires_grad=True)
                    y = (torch.rand(n, device=device) < 0.1).to(torch.uint8)

                    def loss(z: torch.Tensor, y: torch.Tensor = y) -> torch.Tensor:
                        return ft.binary_focal_loss_with_logits(z, y)
                else:
                    x = torch.randn(max(1, n // 80), 80, device=device, requires_grad=True)
                    y = torch.randint(0, 80, (x.shape[0],), device=device)

                    def loss(z: torch.Tensor, y: torch.Tensor = y) -> torch.Tensor:
                        return ft.focal_loss(z, y)

                res = {}
                for fast in (True, False):
                    with ft.use_fast_path(fast):
                        fn = _fwd_bwd(loss, x)
                        for _ in range(5):
                            fn()
                        ts = []
                        for _ in range(100):
                            _sync(device)
                            t0 = time.perf_counter()
                            fn()
                            _sync(device)
                            ts.append(time.perf_counter() - t0)
                    res["fast" if fast else "ref"] = min(ts) * 1e3
                rows.append({"task": task, "log2n": lg, **res})
                print(f"{task:<10} 2^{lg:<3} fast {res['fast']:.4f} ms  ref {res['ref']:.4f} ms"
                      f"  ratio {res['ref'] / res['fast']:.2f}")
    finally:
        _cpu.BINARY_MIN_NUMEL, _cpu.SOFTMAX_MIN_NUMEL = saved
    return rows


def pool_check(sizes: tuple[int, ...] = (22, 24), rounds: int = 5) -> list[dict]:
    """CPU: binary fwd+bwd with the huge-page output pool of ``_cpu._empty`` on and off.

    Interleaved (on, off, on, off, ...) so that both see the same load; each round
    times a few calls after a warm-up. "off" is plain ``torch.empty`` outputs (4 KiB
    pages, resizable storage): what the pool's non-resizable gradients buy.
    """
    from focalkit.torch.kernels import _cpu

    rows = []
    for lg in sizes:
        n = 1 << lg
        g = torch.Generator().manual_seed(0)
        x = (torch.randn(n, generator=g) * 3).requires_grad_(True)
        y = (torch.rand(n, generator=g) < 0.3).to(torch.uint8)
        run = _fwd_bwd(lambda z, y=y: ft.binary_focal_loss_with_logits(z, y), x)
        times: dict[str, list[float]] = {"pool": [], "no-pool": []}
        saved = _cpu._HUGE
        try:
            for _ in range(rounds):
                for mode in times:
                    _cpu._HUGE = saved and mode == "pool"
                    _cpu.release_buffers()
                    run()  # warm-up: the pool's first mapping, or malloc's
                    t0 = time.perf_counter()
                    for _ in range(3):
                        run()
                    times[mode].append((time.perf_counter() - t0) / 3 * 1e3)
        finally:
            _cpu._HUGE = saved
        row = {"log2n": lg, **{f"{k}_ms_median": statistics.median(v) for k, v in
                               times.items()}, **{f"{k}_ms_min": min(v) for k, v in
                                                   times.items()}}
        print(json.dumps(row))
        rows.append(row)
    return rows


# --------------------------------------------------------------------------- main
def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--device", choices=["cpu", "cuda"], default=None)
    ap.add_argument("--quick", action="store_true", help="two small sizes, few repeats")
    ap.add_argument("--sizes", default=None, help="log2 sizes, e.g. 16,20,24")
    ap.add_argument("--dtypes", default="fp32,bf16")
    ap.add_argument("--tasks", default="binary,softmax80,softmax1000")
    ap.add_argument("--methods", default=None, help="subset, e.g. copy,focalkit,kernel")
    ap.add_argument("--compile", action="store_true", help="also torch.compile the formula")
    ap.add_argument("--threads", type=int, default=2, help="CPU threads (torch and kernels)")
    ap.add_argument("--first-call", action="store_true", help="CPU: time a fresh process")
    ap.add_argument("--out", default="bench-out/speed.json")
    ap.add_argument("--tuning", default=None, metavar="JSON",
                    help="tile configurations from gpu_sweep.py --out, applied first")
    ap.add_argument("--thresholds", action="store_true",
                    help="only time the fast path against the reference at small sizes")
    ap.add_argument("--summarize", default=None, metavar="JSON",
                    help="print the largest-size rows of an earlier run and exit")
    ap.add_argument("--pool", action="store_true",
                    help="CPU: only time fwd+bwd with the huge-page output pool on and off")
    args = ap.parse_args(argv)
    if args.summarize:
        summarize(json.loads(Path(args.summarize).read_text()))
        return 0

    device = args.device or ("cuda" if torch.cuda.is_available() else "cpu")
    tuning = None
    if args.tuning and Path(args.tuning).is_file():
        from focalkit.torch.kernels import _triton

        tuning = json.loads(Path(args.tuning).read_text())
        _triton.apply_tuning(tuning)
        print(f"# tile configurations applied from {args.tuning}: {json.dumps(tuning)}")
    if device == "cpu":
        torch.set_num_threads(args.threads)
    if args.thresholds:
        _write(args.out, {"thresholds": thresholds(device)})
        return 0
    if args.pool:
        _write(args.out, {"pool": pool_check(), "loadavg": os.getloadavg()})
        return 0
    if args.sizes:
        sizes = sorted((int(s) for s in args.sizes.split(",")), reverse=True)
    elif device == "cuda":
        sizes = [24, 20] if args.quick else [27, 24, 20, 16]
    else:
        sizes = [20, 16] if args.quick else [24, 20, 16]
    budget = 0.3 if args.quick else (0.25 if device == "cuda" else 1.0)
    max_reps = 5 if args.quick else (30 if device == "cuda" else 20)
    wanted = set(args.methods.split(",")) if args.methods else None
    dev_name = torch.cuda.get_device_name() if device == "cuda" else platform.processor()
    meta = {
        "device": device, "device_name": dev_name or platform.machine(),
        "torch": torch.__version__, "python": platform.python_version(),
        "threads": torch.get_num_threads() if device == "cpu" else None,
        "loadavg_start": os.getloadavg(), "time": time.strftime("%Y-%m-%dT%H:%M:%SZ",
                                                                 time.gmtime()),
        "gamma": GAMMA, "alpha": ALPHA, "tuning": tuning,
    }
    try:
        import triton

        meta["triton"] = triton.__version__
    except ImportError:
        meta["triton"] = None
    records: list[dict] = []
    print(f"# focalkit bench_speed on {device} ({meta['device_name']}), torch {torch.__version__}"
          f", threads={meta['threads']}, load={meta['loadavg_start']}")
    header = (f"{'task':<12}{'dtype':<6}{'log2n':>6} {'method':<14}{'ms':>10}"
              f"{'x1pass':>8}{'x2pass':>8}{'mem/x':>7}{'vs tv':>8}")
    for task in args.tasks.split(","):
        for dname in args.dtypes.split(","):
            dtype = DTYPES[dname]
            for lg in sizes:
                n = 1 << lg
                compile_here = args.compile and (device == "cpu" or lg == max(sizes))
                if task == "binary":
                    methods, xb, yb, anchor = binary_methods(n, dtype, device, compile_here)
                else:
                    c = int(task.removeprefix("softmax"))
                    methods, xb, yb, anchor = softmax_methods(n, c, dtype, device,
                                                              compile_here)
                print(f"\n{header}   [{task} {dname} 2^{lg}; tv = {anchor}]")
                results: dict[str, dict] = {}
                for name, fn in methods.items():
                    if wanted and name not in wanted and name != "copy":
                        continue
                    try:
                        r = measure(fn, device, budget, max_reps)
                    except Exception as exc:  # noqa: BLE001 - report and go on
                        r = {"error": f"{type(exc).__name__}: {exc}"[:300]}
                    results[name] = r
                copy_ms = results["copy"]["ms"]
                bw = 2 * xb / (copy_ms * 1e-3)  # bytes/s: read + write
                one_pass = (xb + yb + xb) / bw * 1e3
                two_pass = (2 * (xb + yb) + xb) / bw * 1e3
                tv_ms = results.get("tv-eager", {}).get("ms")
                for name, r in results.items():
                    rec = {"task": task, "dtype": dname, "log2n": lg, "n": n, "method": name,
                           "logit_bytes": xb, "target_bytes": yb, "copy_GBps": bw / 1e9,
                           "one_pass_ms": one_pass, "two_pass_ms": two_pass, **r}
                    if "ms" in r:
                        rec["x_one_pass"] = r["ms"] / one_pass
                        rec["x_two_pass"] = r["ms"] / two_pass
                        rec["mem_x_logits"] = r["extra_bytes"] / xb
                        rec["speedup_vs_tv"] = (tv_ms / r["ms"]) if tv_ms else None
                        sp = f"{rec['speedup_vs_tv']:.1f}x" if tv_ms else "-"
                        print(f"{task:<12}{dname:<6}{lg:>6} {name:<14}{r['ms']:>10.3f}"
                              f"{rec['x_one_pass']:>8.2f}{rec['x_two_pass']:>8.2f}"
                              f"{rec['mem_x_logits']:>7.2f}{sp:>8}")
                    else:
                        print(f"{task:<12}{dname:<6}{lg:>6} {name:<14} {r['error']}")
                    records.append(rec)
                del methods
                if device == "cuda":
                    torch.cuda.empty_cache()
                _write(args.out, {"meta": meta, "records": records, "partial": True})
    result: dict[str, Any] = {"meta": meta, "records": records}
    if args.first_call and device == "cpu":
        result["first_call"] = first_call(args.threads)
        print("\n# first fwd+bwd in a fresh process (2^20 binary, 4096x80 softmax):",
              json.dumps(result["first_call"]))
    meta["loadavg_end"] = os.getloadavg()
    _write(args.out, result)
    print(f"\nwrote {args.out}; load average at the end: {meta['loadavg_end']}")
    return 0 if all(not math.isnan(r.get("ms", 0.0)) for r in records) else 1


if __name__ == "__main__":
    sys.exit(main())
