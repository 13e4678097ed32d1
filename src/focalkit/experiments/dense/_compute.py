"""The dense experiment's computation: images, five losses, training, metrics, paired tests.

:func:`run_dense` takes a frozen :class:`DenseConfig` and returns a JSON-able dict; nothing
here draws or prints. Every (seed, loss) pair trains the same network from the same
initial weights on the same images in the same order (paired). Work is spread over
``jobs`` worker processes (each with ``threads`` torch threads); torch is imported inside
the workers and the training functions, so importing this module stays light.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from typing import Any

import numpy as np

from focalkit._core._validation import check_float, check_int, param_error
from focalkit.experiments.dense._data import DenseDataSpec, DenseImages, make_images
from focalkit.experiments.dense._metrics import (
    FP_RATES,
    average_precision,
    object_metrics,
    pixel_metrics,
    pr_curve,
)

__all__ = ["KEY_METRICS", "METHODS", "DenseConfig", "ProgressCallback", "run_dense"]

#: loss key -> label. "bce" is the baseline every other loss is compared with.
METHODS: dict[str, str] = {
    "bce": "BCE",
    "bce_pos_weight": "BCE + pos_weight",
    "focal": "focal α=0.25 γ=2",
    "dice": "Dice",
    "dice_focal": "Dice + focal",
}

#: metric -> (label, higher is better), in report order.
KEY_METRICS: dict[str, tuple[str, bool]] = {
    "pr_auc_score": ("pixel PR-AUC", True),
    "best_f1_score": ("pixel best F1 (oracle thr.)", True),
    "f1_tuned_score": ("pixel F1, val-tuned thr.", True),
    "f1_at_half_score": ("pixel F1 at 0.5", True),
    "recall_at_0.1fp_score": ("recall @ 0.1 FP/img", True),
    "recall_at_0.5fp_score": ("recall @ 0.5 FP/img", True),
    "recall_at_1fp_score": ("recall @ 1 FP/img", True),
    "dice_tuned_score": ("Dice/image, val-tuned thr.", True),
    "dice_at_half_score": ("Dice/image at 0.5", True),
    "ece_loss": ("ECE (pixels)", False),
    "brier_loss": ("Brier (pixels)", False),
}

#: Metrics of the foreground-fraction sweep.
SWEEP_METRICS = ("pr_auc_score", "recall_at_0.5fp_score", "dice_tuned_score")

#: Called after each finished (phase, fraction, seed) task, all losses: (done, total).
ProgressCallback = Callable[[int, int], None]


@dataclass(frozen=True)
class DenseConfig:
    """Everything that determines a dense run (saved as ``config.json``).

    Parameters
    ----------
    data : DenseDataSpec
        The image generator; its ``fg_fraction`` is the main experiment's.
    n_train, n_val, n_test : int, default=160, 48, 64
        Images per split, drawn afresh for every seed.
    seeds : int, default=10
        Seeds of the main experiment (data, initial weights and batch order), shared by
        every loss; 10 lets a two-sided Wilcoxon test reach p = 0.002.
    base_seed : int, default=0
        Seeds are ``base_seed, ..., base_seed + seeds - 1``.
    epochs : int, default=12
        Passes over the training images (``n_train / batch_size`` Adam steps each).
    eval_every : int, default=2
        Epochs between two points of the training curves (validation PR-AUC).
    batch_size : int, default=16
        Images per step.
    lr : float, default=0.01
        Adam learning rate, the same for every loss.
    width : int, default=8
        Channels of the network (see :func:`make_fcn`).
    gamma, alpha : float, default=2.0, 0.25
        Focal parameters of ``focal`` and ``dice_focal`` (RetinaNet's).
    prior_init : bool, default=True
        Initialise the output bias to the logit of the training foreground fraction, for
        every loss (RetinaNet's prior init).
    methods : tuple of str
        Keys of :data:`METHODS` to train; must include ``"bce"``.
    sweep_fractions : tuple of float
        Foreground fractions of the sweep (empty: no sweep).
    sweep_seeds : int, default=2
        Seeds per fraction of the sweep.
    sweep_epochs : int or None, default=6
        Epochs of the sweep runs (None: ``epochs``).
    jobs : int, default=2
        Worker processes (1: train in this process).
    threads : int, default=1
        torch threads per worker.
    n_examples : int, default=3
        Test images (with objects) of the first seed kept for the example figure.

    Examples
    --------
    >>> DenseConfig.quick().seeds
    2
    """

    data: DenseDataSpec = field(default_factory=DenseDataSpec)
    n_train: int = 160
    n_val: int = 48
    n_test: int = 64
    seeds: int = 10
    base_seed: int = 0
    epochs: int = 12
    eval_every: int = 2
    batch_size: int = 16
    lr: float = 0.01
    width: int = 8
    gamma: float = 2.0
    alpha: float = 0.25
    prior_init: bool = True
    methods: tuple[str, ...] = tuple(METHODS)
    sweep_fractions: tuple[float, ...] = (0.1, 0.03, 0.01, 0.003, 0.001)
    sweep_seeds: int = 2
    sweep_epochs: int | None = 6
    jobs: int = 2
    threads: int = 1
    n_examples: int = 3

    def __post_init__(self) -> None:
        owner = "DenseConfig"
        for name in ("n_train", "n_val", "n_test", "seeds", "epochs", "eval_every",
                     "batch_size", "width", "jobs", "threads"):
            check_int(getattr(self, name), name, owner, low=1)
        check_int(self.base_seed, "base_seed", owner)
        check_int(self.sweep_seeds, "sweep_seeds", owner)
        check_int(self.n_examples, "n_examples", owner)
        if self.sweep_epochs is not None:
            check_int(self.sweep_epochs, "sweep_epochs", owner, low=1)
        check_float(self.lr, "lr", owner, open_low=True)
        check_float(self.gamma, "gamma", owner)
        check_float(self.alpha, "alpha", owner, high=1.0, open_high=False)
        bad = [m for m in self.methods if m not in METHODS]
        if bad or "bce" not in self.methods or len(set(self.methods)) != len(self.methods):
            raise param_error("methods", owner,
                              f"distinct keys of {tuple(METHODS)} including 'bce'",
                              self.methods)
        for f in self.sweep_fractions:
            check_float(f, "sweep_fractions", owner, open_low=True, high=0.5,
                        open_high=False)

    @classmethod
    def quick(cls) -> DenseConfig:
        """A tiny run for smoke tests (seconds): 2 seeds, 2 epochs, small images."""
        return cls(data=DenseDataSpec(size=24, fg_fraction=0.01), n_train=32, n_val=16,
                   n_test=16, seeds=2, epochs=2, eval_every=1, width=4,
                   sweep_fractions=(0.05, 0.01), sweep_seeds=1, sweep_epochs=1, jobs=1,
                   n_examples=2)

    def to_dict(self) -> dict[str, Any]:
        """JSON-able fields."""
        d = asdict(self)
        d["data"] = self.data.to_dict()
        d["methods"] = list(self.methods)
        d["sweep_fractions"] = list(self.sweep_fractions)
        return d


# -- one run --------------------------------------------------------------------------------
def _data_seed(seed: int, fraction: float, part: int) -> int:
    ss = np.random.SeedSequence([seed, int(round(fraction * 1e6)), part])
    return int(ss.generate_state(1)[0])


def _splits(config: DenseConfig, fraction: float, seed: int
            ) -> tuple[DenseImages, DenseImages, DenseImages]:
    spec = replace(config.data, fg_fraction=fraction)
    return tuple(  # type: ignore[return-value]
        make_images(spec, n, _data_seed(seed, fraction, part))
        for part, n in enumerate((config.n_train, config.n_val, config.n_test))
    )


def _loss_fn(method: str, config: DenseConfig, prior: float) -> Callable[[Any, Any], Any]:
    import torch
    import torch.nn.functional as F

    from focalkit.torch import binary_focal_loss_with_logits
    from focalkit.torch.dense import dice_focal_loss, dice_loss
    from focalkit.torch.distributed import normalizer

    if method == "bce":
        return lambda z, y: F.binary_cross_entropy_with_logits(z, y)
    if method == "bce_pos_weight":
        pw = torch.tensor((1.0 - prior) / prior)
        return lambda z, y: F.binary_cross_entropy_with_logits(z, y, pos_weight=pw)
    if method == "focal":  # RetinaNet: the summed loss over the number of positives
        return lambda z, y: binary_focal_loss_with_logits(
            z, y, alpha=config.alpha, gamma=config.gamma, reduction="sum"
        ) / normalizer(y.sum())
    if method == "dice":
        return lambda z, y: dice_loss(z, y, batch=True)
    if method == "dice_focal":  # focal mean / prior = the RetinaNet scale on average
        return lambda z, y: dice_focal_loss(z, y, gamma=config.gamma, alpha=config.alpha,
                                            batch=True, lambda_focal=1.0 / prior)
    raise param_error("method", "run_dense", f"one of {tuple(METHODS)}", method)


def _predict(net: Any, x: np.ndarray) -> np.ndarray:
    import torch

    was_training = net.training
    net.eval()  # batch-norm running statistics
    try:
        with torch.no_grad():
            out = [torch.sigmoid(net(torch.from_numpy(x[i:i + 64])))
                   for i in range(0, len(x), 64)]
    finally:
        net.train(was_training)
    return torch.cat(out).numpy()[:, 0].astype(np.float64)


def _tuned_threshold(y: np.ndarray, p: np.ndarray) -> float:
    """The threshold that maximises the validation pixel F1 (0.5 without positives)."""
    if not (y > 0.5).any():
        return 0.5
    precision, recall, thr = pr_curve(y, p)
    with np.errstate(invalid="ignore", divide="ignore"):
        f1 = np.nan_to_num(2 * precision * recall / (precision + recall))
    i = int(np.argmax(f1))
    below = thr[i + 1] if i + 1 < thr.size else 0.0
    return float(0.5 * (thr[i] + below))


def _pr_points(y: np.ndarray, p: np.ndarray, n: int = 150) -> dict[str, list[float]]:
    precision, recall, _ = pr_curve(y, p)
    keep = np.unique(np.linspace(0, precision.size - 1, min(n, precision.size)).astype(int))
    return {"precision": [round(float(v), 4) for v in precision[keep]],
            "recall": [round(float(v), 4) for v in recall[keep]]}


def run_one(config: DenseConfig, phase: str, fraction: float, seed: int,
            method: str, splits: tuple[DenseImages, DenseImages, DenseImages] | None = None
            ) -> dict[str, Any]:
    """Train one loss on one seed's images and evaluate it (the unit of parallel work).

    Returns
    -------
    dict
        ``phase, fraction, seed, method``, the measured ``train_fg_fraction``, every metric
        of :data:`KEY_METRICS`, the tuned ``threshold``, ``train_s`` (wall seconds of the
        training loop), ``train_cpu_s`` and ``eval_cpu_s`` (CPU seconds of the training steps
        and of the evaluation, curve points included), and for the main phase
        the per-epoch ``curve`` (validation PR-AUC and mean training loss); for the first
        main seed also ``examples`` (probability maps) and ``pr`` (test PR curve points).
        ``splits`` passes the seed's images when they are already drawn.
    """
    import torch

    torch.set_num_threads(config.threads)
    train, val, test = _splits(config, fraction, seed) if splits is None else splits
    prior = float(np.clip(train.mask.mean(), 1e-4, 0.5))
    net = make_net(config, prior, seed)
    loss_fn = _loss_fn(method, config, prior)
    opt = torch.optim.Adam(net.parameters(), lr=config.lr)
    x, y = torch.from_numpy(train.x), torch.from_numpy(train.mask)
    gen = torch.Generator().manual_seed(seed)
    epochs = config.epochs if phase == "main" or config.sweep_epochs is None \
        else config.sweep_epochs
    curve: dict[str, list[float]] = {"epoch": [], "val_pr_auc": [], "train_loss": []}
    yv = val.mask[:, 0].ravel()
    t0, c0, curve_cpu = time.perf_counter(), time.process_time(), 0.0
    for epoch in range(1, epochs + 1):
        order = torch.randperm(len(x), generator=gen)
        total, steps = 0.0, 0
        for i in range(0, len(x), config.batch_size):
            idx = order[i:i + config.batch_size]
            opt.zero_grad(set_to_none=True)
            loss = loss_fn(net(x[idx]), y[idx])
            loss.backward()
            opt.step()
            total, steps = total + loss.detach().item(), steps + 1
        if phase == "main" and (epoch % config.eval_every == 0 or epoch == epochs):
            c1 = time.process_time()
            curve["epoch"].append(epoch)
            pv = _predict(net, val.x).ravel()
            ap = average_precision(yv, pv) if (yv > 0.5).any() else math.nan
            curve["val_pr_auc"].append(round(float(ap), 5))
            curve["train_loss"].append(round(total / steps, 6))
            curve_cpu += time.process_time() - c1
    train_s = time.perf_counter() - t0
    c1 = time.process_time()
    train_cpu = c1 - c0 - curve_cpu
    pv = _predict(net, val.x)
    pt = _predict(net, test.x)
    thr = _tuned_threshold(val.mask[:, 0].ravel(), pv.ravel())
    yt = test.mask[:, 0].ravel()
    out: dict[str, Any] = {
        "phase": phase, "fraction": fraction, "seed": seed, "method": method,
        "train_fg_fraction": float(train.mask.mean()),
        "test_fg_fraction": float(test.mask.mean()),
        "test_objects": test.n_objects, "threshold": thr, "train_s": train_s,
    }
    if (yt > 0.5).any():
        out.update(pixel_metrics(yt, pt.ravel(), thr))
        out.update(object_metrics(pt, test.objects, test.mask[:, 0], thr))
    # CPU seconds of this process (one run at a time per worker): the training steps, and
    # the evaluation (the curve points and the final metrics)
    out["train_cpu_s"] = train_cpu
    out["eval_cpu_s"] = curve_cpu + time.process_time() - c1
    if phase == "main":
        out["curve"] = curve
        if seed == config.base_seed:
            out["pr"] = _pr_points(yt, pt.ravel())
            has = np.flatnonzero(test.mask.reshape(len(test.mask), -1).any(1))
            keep = has[: config.n_examples]
            out["examples"] = {
                "index": keep.tolist(),
                "prob": np.round(pt[keep], 3).tolist(),
                "threshold": thr,
            }
    return out


def make_net(config: DenseConfig, prior: float, seed: int) -> Any:
    """The network of one run (prior-bias init when ``config.prior_init``), channels-last.

    Channels-last weights make oneDNN's convolutions run channels-last throughout, which
    halves the CPU time of these 8-channel convolutions' backward (the bulk of a run).
    """
    import torch

    from focalkit.experiments.dense._model import make_fcn

    net = make_fcn(config.width, prior=prior if config.prior_init else None, seed=seed)
    return net.to(memory_format=torch.channels_last)


def example_images(config: DenseConfig, indices: list[int]) -> dict[str, Any]:
    """The first main seed's test images at ``indices`` (for the example figure)."""
    test = _splits(config, config.data.fg_fraction, config.base_seed)[2]
    return {"x": np.round(test.x[indices, 0], 3).tolist(),
            "mask": test.mask[indices, 0].astype(int).tolist()}


# -- the whole experiment ------------------------------------------------------------------
def _tasks(config: DenseConfig) -> list[tuple[str, float, int]]:
    """One task per (phase, fraction, seed): its images are drawn once for every loss."""
    tasks = [("main", config.data.fg_fraction, config.base_seed + s)
             for s in range(config.seeds)]
    tasks += [("sweep", f, config.base_seed + s)
              for f in config.sweep_fractions for s in range(config.sweep_seeds)]
    return tasks


def run_seed(config: DenseConfig, phase: str, fraction: float, seed: int
             ) -> list[dict[str, Any]]:
    """Every loss of ``config.methods`` on one seed's images (see :func:`run_one`).

    The first record's ``data_cpu_s`` is the CPU time of drawing the images (0.0 on the
    others, which reuse them).
    """
    c0 = time.process_time()
    splits = _splits(config, fraction, seed)
    data_cpu = time.process_time() - c0
    runs = [run_one(config, phase, fraction, seed, m, splits) for m in config.methods]
    for i, r in enumerate(runs):
        r["data_cpu_s"] = data_cpu if i == 0 else 0.0
    return runs


def _worker_init(threads: int) -> None:
    import torch

    torch.set_num_threads(threads)


def _run_tasks(config: DenseConfig, progress: ProgressCallback | None) -> list[dict[str, Any]]:
    tasks = _tasks(config)
    results: list[dict[str, Any]] = []
    if config.jobs == 1:
        for i, t in enumerate(tasks):
            results += run_seed(config, *t)
            if progress is not None:
                progress(i + 1, len(tasks))
        return results
    import multiprocessing as mp

    ctx = mp.get_context("spawn")  # no fork after torch has started its thread pools
    out: dict[int, list[dict[str, Any]]] = {}
    pool = ctx.Pool(config.jobs, initializer=_worker_init, initargs=(config.threads,))
    try:
        jobs = [(i, config, t) for i, t in enumerate(tasks)]
        for done, (i, res) in enumerate(pool.imap_unordered(_run_indexed, jobs), 1):
            out[i] = res
            if progress is not None:
                progress(done, len(tasks))
        pool.close()
    except BaseException:  # Ctrl-C / SIGTERM / an error: stop the workers now
        pool.terminate()
        raise
    finally:
        pool.join()
    return [r for i in range(len(tasks)) for r in out[i]]


def _run_indexed(job: tuple[int, DenseConfig, tuple[str, float, int]]
                 ) -> tuple[int, list[dict[str, Any]]]:
    i, config, task = job
    return i, run_seed(config, *task)


def _paired(a: np.ndarray, b: np.ndarray) -> dict[str, Any]:
    """Paired comparison of ``a`` against the baseline ``b`` (NaN pairs dropped)."""
    from scipy import stats

    ok = ~(np.isnan(a) | np.isnan(b))
    d = a[ok] - b[ok]
    n = int(d.size)
    res: dict[str, Any] = {"n": n, "mean_diff": float(d.mean()) if n else math.nan}
    if n >= 2:
        sd = float(d.std(ddof=1))
        half = float(stats.t.ppf(0.975, n - 1) * sd / math.sqrt(n)) if sd > 0 else 0.0
        res.update(sd_diff=sd, ci_low=res["mean_diff"] - half, ci_high=res["mean_diff"] + half)
        res["t_p"] = float(stats.ttest_rel(a[ok], b[ok]).pvalue) if sd > 0 else (
            1.0 if res["mean_diff"] == 0 else 0.0)
        if np.all(d == 0):
            res["wilcoxon_p"] = 1.0
        else:
            res["wilcoxon_p"] = float(stats.wilcoxon(d, zero_method="zsplit").pvalue)
        res["wins"] = int(np.sum(d > 0))  # swapped by the caller for lower-is-better
        res["losses"] = int(np.sum(d < 0))
    return res


def _summaries(runs: list[dict[str, Any]], config: DenseConfig) -> dict[str, Any]:
    from focalkit.experiments.bench.stats import holm

    main = [r for r in runs if r["phase"] == "main"]
    seeds = sorted({r["seed"] for r in main})
    table: dict[str, dict[str, list[float]]] = {
        m: {k: [math.nan] * len(seeds) for k in KEY_METRICS} for m in config.methods}
    for r in main:
        for k in KEY_METRICS:
            table[r["method"]][k][seeds.index(r["seed"])] = float(r.get(k, math.nan))
    summary = {
        m: {k: {"mean": float(np.nanmean(v)) if not np.all(np.isnan(v)) else math.nan,
                "sd": float(np.nanstd(v, ddof=1)) if np.sum(~np.isnan(v)) > 1 else math.nan,
                "values": v}
            for k, v in cols.items()}
        for m, cols in table.items()
    }
    tests: dict[str, dict[str, Any]] = {}
    others = [m for m in config.methods if m != "bce"]
    for k, (_, higher) in KEY_METRICS.items():
        base = np.asarray(table["bce"][k])
        rows = {m: _paired(np.asarray(table[m][k]), base) for m in others}
        adj = holm([rows[m].get("wilcoxon_p", math.nan) for m in others])
        for m, p in zip(others, adj, strict=True):
            rows[m]["wilcoxon_holm_p"] = None if math.isnan(p) else float(p)
            rows[m]["better"] = bool((rows[m]["mean_diff"] > 0) == higher)
            if not higher and "wins" in rows[m]:  # wins count seeds better than BCE
                rows[m]["wins"], rows[m]["losses"] = rows[m]["losses"], rows[m]["wins"]
        tests[k] = rows
    sweep: dict[str, Any] = {}
    for f in config.sweep_fractions:
        cell = [r for r in runs if r["phase"] == "sweep" and r["fraction"] == f]
        sweep[f"{f:g}"] = {
            "fraction": f,
            "measured_fg_fraction": float(np.mean([r["train_fg_fraction"] for r in cell])),
            "metrics": {
                m: {k: float(np.nanmean([r.get(k, math.nan) for r in cell
                                          if r["method"] == m]))
                    if any(k in r for r in cell if r["method"] == m) else math.nan
                    for k in SWEEP_METRICS}
                for m in config.methods},
        }
    return {"summary": summary, "tests": tests, "sweep": sweep, "seeds": seeds}


def _jsonable(x: Any) -> Any:
    if isinstance(x, dict):
        return {str(k): _jsonable(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_jsonable(v) for v in x]
    if isinstance(x, (float, np.floating)):
        v = float(x)
        return None if math.isnan(v) or math.isinf(v) else v
    if isinstance(x, np.integer):
        return int(x)
    return x


def _cpu_seconds() -> float:
    """CPU time of this process and its finished children (the workers), or NaN."""
    try:
        import resource
    except ImportError:  # pragma: no cover - not on Windows
        return math.nan
    total = 0.0
    for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN):
        use = resource.getrusage(who)
        total += use.ru_utime + use.ru_stime
    return total


def run_dense(config: DenseConfig | None = None, *,
              progress: ProgressCallback | None = None) -> dict[str, Any]:
    """Run the dense experiment: every loss x seed, then the foreground-fraction sweep.

    Parameters
    ----------
    config : DenseConfig, optional
        Defaults to ``DenseConfig()`` (about 130 s of CPU time: a little over a minute on
        2 free CPU cores).
    progress : callable, optional
        Called as ``progress(done, total)`` after each run.

    Returns
    -------
    dict
        JSON-able (NaN written as None): ``config``, ``dataset``, ``methods``, ``metrics``,
        ``runs`` (one record per run, see :func:`run_one`), ``summary`` (mean, sd and
        per-seed values per loss and metric), ``tests`` (paired comparisons with BCE:
        mean difference, 95 % CI, Wilcoxon and t p-values, Holm-adjusted over the losses),
        ``sweep``, ``curves`` (per-epoch validation PR-AUC), ``examples``, ``pr_curves``
        and ``timing`` (wall ``total_s``; ``cpu_s`` of this process and its workers, and
        its parts ``data_cpu_s``, ``train_cpu_s``, ``eval_cpu_s``; the rest is starting
        the workers and aggregating).
    """
    config = DenseConfig() if config is None else config
    t0, cpu0 = time.perf_counter(), _cpu_seconds()
    runs = _run_tasks(config, progress)
    wall = time.perf_counter() - t0
    cpu = _cpu_seconds() - cpu0
    agg = _summaries(runs, config)
    main = [r for r in runs if r["phase"] == "main"]
    first = [r for r in main if r["seed"] == config.base_seed]
    examples: dict[str, Any] = {}
    if first and first[0].get("examples"):
        idx = first[0]["examples"]["index"]
        examples = {"images": example_images(config, idx),
                    "prob": {r["method"]: r["examples"]["prob"] for r in first},
                    "threshold": {r["method"]: r["examples"]["threshold"] for r in first}}
    curves = {
        m: {"epoch": next((r["curve"]["epoch"] for r in main if r["method"] == m), []),
            "val_pr_auc": np.nanmean(
                [r["curve"]["val_pr_auc"] for r in main if r["method"] == m], 0).tolist(),
            "train_loss": np.mean(
                [r["curve"]["train_loss"] for r in main if r["method"] == m], 0).tolist()}
        for m in config.methods
    }
    for r in runs:
        r.pop("examples", None)
    result = {
        "config": config.to_dict(),
        "dataset": {
            "image_size": config.data.size,
            "fg_fraction_target": config.data.fg_fraction,
            "fg_fraction_measured": float(np.mean([r["train_fg_fraction"] for r in main])),
            "test_objects_per_seed": float(np.mean([r["test_objects"] for r in main])),
            "objects_per_image": config.data.objects_per_image(),
        },
        "methods": {m: METHODS[m] for m in config.methods},
        "metrics": {k: {"label": v[0], "higher_is_better": v[1]}
                    for k, v in KEY_METRICS.items()},
        "fp_rates": list(FP_RATES),
        "runs": [{k: v for k, v in r.items() if k not in ("curve", "pr")} for r in runs],
        **agg,
        "curves": curves,
        "pr_curves": {r["method"]: r["pr"] for r in first if "pr" in r},
        "examples": examples,
        "timing": {"total_s": time.perf_counter() - t0, "train_wall_s": wall,
                   "cpu_s": None if math.isnan(cpu) else cpu,
                   "runs_wall_sum_s": float(sum(r["train_s"] for r in runs)),
                   **{f"{k}_cpu_s": float(sum(r[f"{k}_cpu_s"] for r in runs))
                      for k in ("data", "train", "eval")},
                   "runs": len(runs), "jobs": config.jobs, "threads": config.threads},
    }
    return _jsonable(result)
