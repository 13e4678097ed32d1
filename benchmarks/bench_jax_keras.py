"""Speed of focalkit.jax and focalkit.keras: jitted forward + backward against optax and Keras.

Rows (one run, ratios against references timed in the same run, methods interleaved so that
a change in machine load hits all of them alike):

* JAX, binary, float32 labels with 10 % positives, ``jax.jit(jax.value_and_grad(sum of
  the loss))`` at each size:
  ``focalkit`` (``focalkit.jax.sigmoid_focal_loss``, gamma 2, alpha 0.25, fast path),
  ``focalkit-ref`` (the same through ``_core``'s formulas, ``use_fast_path(False)``),
  ``optax-focal`` (``optax.sigmoid_focal_loss``), ``optax-bce``
  (``optax.sigmoid_binary_cross_entropy``);
* JAX, softmax (N / C rows, C classes, integer labels): ``focalkit`` (``softmax_focal_loss``)
  and ``optax-ce`` (``optax.softmax_cross_entropy_with_integer_labels``; optax has no softmax
  focal loss);
* Keras on the active back end (``KERAS_BACKEND``), binary, mean reduction, a compiled
  gradient step (``jax.jit`` on JAX, ``tf.function`` on TensorFlow, eager on PyTorch):
  ``focalkit`` (``focalkit.keras.BinaryFocalLoss``), ``keras-focal``
  (``BinaryFocalCrossentropy(apply_class_balancing=True)``), ``keras-bce``
  (``BinaryCrossentropy(from_logits=True)``).

Usage::

    KERAS_BACKEND=jax python benchmarks/bench_jax_keras.py [--sizes 16,22] [--repeats 30]
        [--out bench-out/jax_keras.json] [--no-keras]
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

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
os.environ.setdefault("KERAS_BACKEND", "jax")


def _interleaved(fns: dict[str, Callable[[], Any]], repeats: int, budget_s: float) -> dict:
    """Median and min seconds per call, round-robin over the methods."""
    for fn in fns.values():  # compile / warm up
        fn()
        fn()
    times: dict[str, list[float]] = {k: [] for k in fns}
    start = time.perf_counter()
    for _ in range(repeats):
        for name, fn in fns.items():
            t0 = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - t0)
        if time.perf_counter() - start > budget_s and len(times[name]) >= 5:
            break
    return {k: {"median_s": statistics.median(v), "min_s": min(v), "repeats": len(v)}
            for k, v in times.items()}


def _jax_step(loss: Callable[..., Any], z: Any, y: Any) -> Callable[[], Any]:
    """A jitted value_and_grad of the summed loss, as a no-argument timing call."""
    import jax

    f = jax.jit(jax.value_and_grad(lambda a, b: loss(a, b).sum()))
    return lambda: f(z, y)[1].block_until_ready()


def _jax_rows(sizes: list[int], repeats: int, budget_s: float) -> list[dict]:
    import jax.numpy as jnp
    import optax

    import focalkit.jax as fj

    rows = []
    for e in sizes:
        n = 2**e
        rng = np.random.default_rng(0)
        z = jnp.asarray(rng.normal(size=n) * 3, jnp.float32)
        y = jnp.asarray(rng.random(n) < 0.1, jnp.float32)

        def focal(a: Any, b: Any) -> Any:
            return fj.sigmoid_focal_loss(a, b, gamma=2.0, alpha=0.25)

        with fj.use_fast_path(False):
            ref = _jax_step(focal, z, y)
            ref()  # traced (and compiled) with the fast path off
        fns = {
            "focalkit": _jax_step(focal, z, y),
            "focalkit-ref": ref,
            "optax-focal": _jax_step(
                lambda a, b: optax.sigmoid_focal_loss(a, b, gamma=2.0, alpha=0.25), z, y),
            "optax-bce": _jax_step(optax.sigmoid_binary_cross_entropy, z, y),
        }
        res = _interleaved(fns, repeats, budget_s)
        for k, v in res.items():
            rows.append({"framework": "jax", "task": "binary", "n": n, "method": k, **v})

    for n_rows, c in ((2**12, 16), (2**14, 100)):
        rng = np.random.default_rng(0)
        z = jnp.asarray(rng.normal(size=(n_rows, c)) * 3, jnp.float32)
        y = jnp.asarray(rng.integers(0, c, n_rows), jnp.int32)

        fns = {
            "focalkit": _jax_step(lambda a, b: fj.softmax_focal_loss(a, b, gamma=2.0), z, y),
            "focalkit-gamma0": _jax_step(lambda a, b: fj.softmax_focal_loss(a, b, gamma=0.0),
                                         z, y),
            "optax-ce": _jax_step(optax.softmax_cross_entropy_with_integer_labels, z, y),
        }
        res = _interleaved(fns, repeats, budget_s)
        for k, v in res.items():
            rows.append({"framework": "jax", "task": f"softmax C={c}", "n": n_rows * c,
                         "method": k, **v})
    return rows


def _keras_rows(sizes: list[int], repeats: int, budget_s: float) -> list[dict]:
    import focalkit.keras as fk
    import keras

    backend = keras.backend.backend()
    rows = []
    for e in sizes:
        n = 2**e
        rng = np.random.default_rng(0)
        z_np = (rng.normal(size=(n, 1)) * 3).astype("float32")
        y_np = (rng.random((n, 1)) < 0.1).astype("float32")
        losses = {
            "focalkit": fk.BinaryFocalLoss(gamma=2.0, alpha=0.25),
            "keras-focal": keras.losses.BinaryFocalCrossentropy(
                apply_class_balancing=True, alpha=0.25, gamma=2.0, from_logits=True),
            "keras-bce": keras.losses.BinaryCrossentropy(from_logits=True),
        }
        fns = {k: _keras_step(backend, loss, z_np, y_np) for k, loss in losses.items()}
        res = _interleaved(fns, repeats, budget_s)
        for k, v in res.items():
            rows.append({"framework": f"keras-{backend}", "task": "binary", "n": n,
                         "method": k, **v})
    return rows


def _keras_step(backend: str, loss: Any, z_np: np.ndarray, y_np: np.ndarray) -> Any:
    if backend == "jax":
        import jax.numpy as jnp

        import jax

        z, y = jnp.asarray(z_np), jnp.asarray(y_np)
        f = jax.jit(jax.value_and_grad(lambda a, b: loss(b, a)))
        return lambda: f(z, y)[1].block_until_ready()
    if backend == "tensorflow":
        import tensorflow as tf

        z, y = tf.constant(z_np), tf.constant(y_np)

        @tf.function(jit_compile=False)
        def tf_step(a: Any, b: Any) -> Any:
            with tf.GradientTape() as tape:
                tape.watch(a)
                v = loss(b, a)
            return v, tape.gradient(v, a)

        return lambda: tf_step(z, y)[1].numpy()
    import torch

    zt, yt = torch.from_numpy(z_np), torch.from_numpy(y_np)

    def torch_step() -> Any:
        a = zt.clone().requires_grad_(True)
        loss(yt, a).backward()
        return a.grad

    return torch_step


def _ratios(rows: list[dict]) -> list[dict]:
    out = []
    groups: dict[tuple, dict[str, float]] = {}
    for r in rows:
        groups.setdefault((r["framework"], r["task"], r["n"]), {})[r["method"]] = r["median_s"]
    refs = {"optax-bce": "x optax-bce", "optax-focal": "x optax-focal",
            "optax-ce": "x optax-ce", "keras-bce": "x keras-bce",
            "keras-focal": "x keras-focal"}
    for key, methods in groups.items():
        for m, t in methods.items():
            row = {"framework": key[0], "task": key[1], "n": key[2], "method": m,
                   "median_ms": round(1e3 * t, 3)}
            for ref, label in refs.items():
                if ref in methods and ref != m:
                    row[label] = round(t / methods[ref], 3)
            out.append(row)
    return out


def _machine() -> dict:
    info = {"python": platform.python_version(), "machine": platform.machine(),
            "processor": platform.processor(), "cpus": os.cpu_count()}
    try:
        info["load_avg"] = os.getloadavg()
    except OSError:  # pragma: no cover
        pass
    for mod in ("jax", "jaxlib", "optax", "keras", "tensorflow", "torch"):
        if mod in sys.modules:
            info[mod] = getattr(sys.modules[mod], "__version__", "?")
    return info


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="16,22", help="log2 sizes of the binary rows")
    parser.add_argument("--repeats", type=int, default=30)
    parser.add_argument("--budget", type=float, default=60.0,
                        help="seconds per group of interleaved methods (then stop early)")
    parser.add_argument("--no-keras", action="store_true")
    parser.add_argument("--no-jax", action="store_true")
    parser.add_argument("--out", default=None, help="JSON file for the rows")
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",")]
    rows: list[dict] = []
    if not args.no_jax:
        rows += _jax_rows(sizes, args.repeats, args.budget)
    if not args.no_keras:
        rows += _keras_rows(sizes, args.repeats, args.budget)
    table = _ratios(rows)
    cols = ["framework", "task", "n", "method", "median_ms", "x optax-bce", "x optax-focal",
            "x optax-ce", "x keras-bce", "x keras-focal"]
    print(" | ".join(cols))
    for r in table:
        print(" | ".join(str(r.get(c, "")) for c in cols))
    result = {"machine": _machine(), "rows": rows, "table": table,
              "command": " ".join(sys.argv)}
    print(json.dumps(result["machine"]))
    if args.out:
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        Path(args.out).write_text(json.dumps(result, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
