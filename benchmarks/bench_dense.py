"""Dense losses, forward + backward on the CPU: Dice/Tversky vs MONAI, focal at scale.

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

Focal part (``--part focal``; ``all`` runs both): forward + backward time of the focal
loss at the issue's dense sizes, against the eager formula and the built-in cross-entropy
of the same reduction, median of interleaved repeats (no memory rows):

* sigmoid detection: 8 x 100 000 x 80 logits (anchors x classes; 244 MiB), 0/1 targets with
  0.1 % positives, RetinaNet's ``sum / num_positives``; against torchvision's formula
  written out and ``F.binary_cross_entropy_with_logits``;
* softmax segmentation: 8 x 19 x 512 x 512 logits (152 MiB), class indices, ``mean``;
  against the ``log_softmax`` / ``gather`` formula and ``F.cross_entropy``; and the same
  with 5 % of the pixels at ``ignore_index=255``.

Rows for the options the torch losses may not have yet are added when
``inspect.signature`` shows them: ``normalizer=`` (both losses) and ``ignore_index`` or
``valid_mask`` (sigmoid). A row whose call fails prints the error instead of a time.

Usage::

    python benchmarks/bench_dense.py [--part all|dice|focal] [--threads 2] [--repeats 7]
        [--focal-repeats 3] [--quick] [--json OUT]
"""

from __future__ import annotations

import argparse
import inspect
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


# ----------------------------------------------------------------------------- focal part
FOCAL_SHAPES = {"sigmoid": (8, 100_000, 80), "softmax": (8, 19, 512, 512)}
FOCAL_QUICK = {"sigmoid": (2, 10_000, 80), "softmax": (2, 19, 128, 128)}
GAMMA, ALPHA = 2.0, 0.25
IGNORE = 255  # softmax label of ignored pixels; the sigmoid rows ignore whole anchors


def _accepts(fn, name):
    """Whether the torch loss ``fn`` takes the keyword ``name`` (options added later)."""
    return name in inspect.signature(fn).parameters


def _focal_inputs(mode, shape, seed=0):
    """Logits, targets and what the rows need: counts, masks, targets with ignored parts."""
    import torch

    g = torch.Generator().manual_seed(seed)
    z = torch.randn(shape, generator=g).requires_grad_(True)
    if mode == "sigmoid":  # (N, anchors, classes): 0.1 % positive anchors, one class each
        n, a, c = shape
        pos = torch.rand(n, a, generator=g) < 1e-3
        y = torch.zeros(shape)
        y[pos, torch.randint(0, c, (int(pos.sum()),), generator=g)] = 1.0
        valid = (torch.rand(n, a, 1, generator=g) >= 0.05).float()  # 5 % anchors ignored
        return {"z": z, "y": y, "valid": valid,
                "y_ignored": torch.where(valid > 0, y, torch.full_like(y, -1.0)),
                "num_pos": y.sum().clamp_min(1.0),
                "num_pos_valid": (y * valid).sum().clamp_min(1.0)}
    y = torch.randint(0, shape[1], (shape[0], *shape[2:]), generator=g)
    return {"z": z, "y": y,
            "y_ignored": torch.where(torch.rand(y.shape, generator=g) < 0.05, IGNORE, y),
            "num_fg": (y != 0).sum().float().clamp_min(1.0)}


def _sigmoid_formula(z, y, valid=None):
    """torchvision's sigmoid_focal_loss written out, summed (times a 0/1 mask if given)."""
    import torch
    import torch.nn.functional as F

    p = torch.sigmoid(z)
    ce = F.binary_cross_entropy_with_logits(z, y, reduction="none")
    p_t = p * y + (1 - p) * (1 - y)
    loss = ce * (1 - p_t) ** GAMMA * (ALPHA * y + (1 - ALPHA) * (1 - y))
    return (loss if valid is None else loss * valid).sum()


def _softmax_formula(z, y, ignore_index=None):
    """The usual eager softmax focal loss, N-D: log_softmax, gather, (1 - p_t)^gamma."""
    valid = None if ignore_index is None else y != ignore_index
    t = y if valid is None else y.where(valid, 0)
    logpt = z.log_softmax(1).gather(1, t.unsqueeze(1)).squeeze(1)
    loss = -((1 - logpt.exp()) ** GAMMA) * logpt
    return loss.mean() if valid is None else (loss * valid).sum() / valid.sum()


def _focal_rows(mode):
    """name -> (description, role, variant, fn of the inputs).

    ``role`` is focalkit, eager or builtin; each row's ratios are to the eager and builtin
    rows of its ``variant`` (plain, or with an ignored part).
    """
    import torch.nn.functional as F

    import focalkit.torch as ft

    if mode == "sigmoid":
        bfl = ft.binary_focal_loss_with_logits
        bce = F.binary_cross_entropy_with_logits
        rows = {
            "focalkit": ("binary_focal_loss_with_logits(sum) / num_pos", "focalkit", "plain",
                         lambda d: bfl(d["z"], d["y"], alpha=ALPHA, gamma=GAMMA,
                                       reduction="sum") / d["num_pos"]),
            "eager": ("torchvision formula, sum / num_pos", "eager", "plain",
                      lambda d: _sigmoid_formula(d["z"], d["y"]) / d["num_pos"]),
            "bce": ("F.binary_cross_entropy_with_logits(sum) / num_pos", "builtin", "plain",
                    lambda d: bce(d["z"], d["y"], reduction="sum") / d["num_pos"]),
            "eager_masked": ("formula x valid mask (5 % anchors ignored)", "eager",
                             "ignore", lambda d: _sigmoid_formula(d["z"], d["y"], d["valid"])
                             / d["num_pos_valid"]),
            "bce_masked": ("F.binary_cross_entropy_with_logits(weight=valid)", "builtin",
                           "ignore", lambda d: bce(d["z"], d["y"], weight=d["valid"],
                                                   reduction="sum") / d["num_pos_valid"]),
        }
        if _accepts(bfl, "normalizer"):
            rows["focalkit_normalizer"] = (
                "binary_focal_loss_with_logits(sum, normalizer=num_pos)", "focalkit",
                "plain", lambda d: bfl(d["z"], d["y"], alpha=ALPHA, gamma=GAMMA,
                                       reduction="sum", normalizer=d["num_pos"]))
        if _accepts(bfl, "ignore_index"):
            rows["focalkit_ignore_index"] = (
                "binary_focal_loss_with_logits(sum, ignore_index=-1) / num_pos", "focalkit",
                "ignore", lambda d: bfl(d["z"], d["y_ignored"], alpha=ALPHA, gamma=GAMMA,
                                        reduction="sum", ignore_index=-1)
                / d["num_pos_valid"])
        if _accepts(bfl, "valid_mask"):
            rows["focalkit_valid_mask"] = (
                "binary_focal_loss_with_logits(sum, valid_mask) / num_pos", "focalkit",
                "ignore", lambda d: bfl(d["z"], d["y"], alpha=ALPHA, gamma=GAMMA,
                                        reduction="sum",
                                        valid_mask=d["valid"].bool().expand_as(d["y"]))
                / d["num_pos_valid"])
        return rows
    fl = ft.focal_loss
    rows = {
        "focalkit": ("focal_loss(gamma=2, mean)", "focalkit", "plain",
                     lambda d: fl(d["z"], d["y"], gamma=GAMMA)),
        "eager": ("log_softmax / gather formula, mean", "eager", "plain",
                  lambda d: _softmax_formula(d["z"], d["y"])),
        "ce": ("F.cross_entropy(mean)", "builtin", "plain",
               lambda d: F.cross_entropy(d["z"], d["y"])),
        "focalkit_ignore": ("focal_loss(ignore_index=255), 5 % pixels ignored", "focalkit",
                            "ignore", lambda d: fl(d["z"], d["y_ignored"], gamma=GAMMA,
                                                   ignore_index=IGNORE)),
        "eager_ignore": ("the formula with the ignore mask", "eager", "ignore",
                         lambda d: _softmax_formula(d["z"], d["y_ignored"], IGNORE)),
        "ce_ignore": ("F.cross_entropy(ignore_index=255)", "builtin", "ignore",
                      lambda d: F.cross_entropy(d["z"], d["y_ignored"], ignore_index=IGNORE)),
    }
    if _accepts(fl, "normalizer"):
        rows["focalkit_normalizer"] = (
            "focal_loss(sum, normalizer=num_foreground)", "focalkit", "plain",
            lambda d: fl(d["z"], d["y"], gamma=GAMMA, reduction="sum", normalizer=d["num_fg"]))
    return rows


def _focal_step(fn, d):
    fn(d).backward()
    d["z"].grad = None


def _focal_part(shapes, repeats):
    """Rows of the focal part: median fwd+bwd time and ratios to the eager and built-in."""
    out = []
    for mode, shape in shapes.items():
        rows = _focal_rows(mode)
        small = _focal_inputs(mode, (shape[0], 64, shape[2]) if mode == "sigmoid"
                              else (1, shape[1], 16, 16))
        errors = {}
        for name, row in rows.items():  # warm-up; a row that fails is reported, not timed
            try:
                _focal_step(row[3], small)
            except (TypeError, ValueError, RuntimeError) as exc:
                errors[name] = f"{type(exc).__name__}: {exc}"
        d = _focal_inputs(mode, shape)
        times = {name: [] for name in rows if name not in errors}
        for _ in range(repeats):
            for name in times:
                t0 = time.perf_counter()
                _focal_step(rows[name][3], d)
                times[name].append(time.perf_counter() - t0)
        med = {name: statistics.median(ts) for name, ts in times.items()}
        ref = {(role, variant): med.get(name) for name, (_, role, variant, _) in rows.items()
               if role != "focalkit"}
        for name, (desc, role, variant, _) in rows.items():
            row = {"mode": mode, "shape": list(shape), "method": name, "description": desc,
                   "role": role, "variant": variant, "median_s": med.get(name),
                   "error": errors.get(name)}
            for key, base in (("vs_eager", ref.get(("eager", variant))),
                              ("vs_builtin", ref.get(("builtin", variant)))):
                row[key] = med[name] / base if name in med and base else None
            out.append(row)
        del d
    return out


def _print_focal(rows, threads, repeats):
    print(f"\nfocal loss, float32, {threads} threads, median of {repeats} interleaved repeats")
    print(f"{'mode':<9}{'method':<23}{'fwd+bwd ms':>11}{'vs eager':>10}{'vs built-in':>13}"
          "  description")
    for r in rows:
        if r["error"]:
            print(f"{r['mode']:<9}{r['method']:<23}{'error':>11}  {r['error']}")
            continue
        ve = "" if r["vs_eager"] is None else f"{r['vs_eager']:.2f}x"
        vb = "" if r["vs_builtin"] is None else f"{r['vs_builtin']:.2f}x"
        print(f"{r['mode']:<9}{r['method']:<23}{r['median_s'] * 1e3:>11.0f}{ve:>10}{vb:>13}"
              f"  {r['description']}")


def _dice_part(shape, threads, repeats):
    """Rows of the Dice / Tversky part (None without MONAI)."""
    import torch

    try:
        import monai  # noqa: F401
    except ImportError:
        print("MONAI is not installed: pip install --no-deps monai (see the Makefile)")
        return None
    data = {mode: _inputs(shape, mode) for mode in ("softmax", "sigmoid")}
    fns = {name: _fn(name) for name in METHODS}
    for name, fn in fns.items():  # warm-up
        _fwd_bwd(fn, *data[METHODS[name][0]])
    times = {name: [] for name in METHODS}
    for _ in range(repeats):
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
        mem = _memory(name, shape, threads)
        rows.append({"method": name, "mode": mode, "description": desc, "median_s": med,
                     "ratio_to_monai_dice": med / ref, "saved_bytes": mem["saved_bytes"],
                     "peak_rise_bytes": mem["peak_rise_bytes"]})
    print(f"shape {shape} float32 ({logits / 2**20:.0f} MiB logits), {threads} "
          f"threads, {repeats} interleaved repeats; {platform.processor() or 'cpu'}")
    print(f"{'method':<24}{'mode':<9}{'fwd+bwd ms':>11}{'vs MONAI':>10}"
          f"{'saved (x logits)':>18}{'peak rise (x logits)':>22}")
    for r in rows:
        print(f"{r['method']:<24}{r['mode']:<9}{r['median_s'] * 1e3:>11.1f}"
              f"{r['ratio_to_monai_dice']:>9.2f}x{r['saved_bytes'] / logits:>17.2f}x"
              f"{r['peak_rise_bytes'] / logits:>21.2f}x")
    return rows


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--part", choices=("all", "dice", "focal"), default="all")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--repeats", type=int, default=7, help="repeats of the Dice part")
    ap.add_argument("--focal-repeats", type=int, default=3, help="repeats of the focal part")
    ap.add_argument("--quick", action="store_true",
                    help=f"shapes {QUICK_SHAPE} and {tuple(FOCAL_QUICK.values())}")
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
    result = {"threads": args.threads, "torch": torch.__version__,
              "cpu": platform.processor() or "cpu"}
    if args.part in ("all", "dice"):
        rows = _dice_part(shape, args.threads, args.repeats)
        if rows is None:
            return 1
        result.update(shape=shape, repeats=args.repeats, rows=rows)
    if args.part in ("all", "focal"):
        focal = _focal_part(FOCAL_QUICK if args.quick else FOCAL_SHAPES, args.focal_repeats)
        _print_focal(focal, args.threads, args.focal_repeats)
        result.update(focal_repeats=args.focal_repeats, focal_rows=focal)
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(result, fh, indent=2)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
