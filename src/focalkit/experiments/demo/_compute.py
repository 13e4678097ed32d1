"""The demo's computation: data, the five methods, training, evaluation -> a JSON-able dict.

Nothing here draws or prints; :func:`run_demo` takes a frozen :class:`DemoConfig` and
returns the result that :mod:`focalkit.experiments.demo._plots` and
:mod:`focalkit.experiments.demo._report` turn into figures and words. torch is imported
inside the functions that train, so importing this module stays light.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from typing import Any

import numpy as np

from focalkit._core._validation import check_in, param_error
from focalkit.experiments.datasets import (
    POST_90_10,
    SyntheticSpec,
    make_imbalanced,
    train_val_test_split,
)
from focalkit.metrics import (
    METRIC_INFO,
    THRESHOLD_METRICS,
    probability_metrics,
    reliability_curve,
    threshold_metrics,
    tune_threshold,
)

__all__ = [
    "DERIVED_MODELS",
    "METHODS",
    "TRAINED_MODELS",
    "DemoConfig",
    "ModelSpec",
    "ProgressCallback",
    "run_demo",
]

#: Called after every epoch of every trained model: (model key, seed, epoch, n_epochs).
ProgressCallback = Callable[[str, int, int, int], None]


@dataclass(frozen=True)
class ModelSpec:
    """One trained variant of the same MLP: which loss and which class weighting.

    ``alpha`` and ``pos_weight`` accept ``"balanced"`` (computed from the training labels:
    ``alpha = 1 - prevalence`` via :func:`focalkit.resolve_alpha`, ``pos_weight =
    n_neg / n_pos``).
    """

    key: str
    label: str
    loss: str  # "bce" or "focal"
    alpha: float | str | None = None
    gamma: float | None = 0.0  # None: DemoConfig.gamma
    pos_weight: float | str | None = None


#: The four networks trained per seed (BCE + tuned threshold reuses the BCE network).
TRAINED_MODELS: tuple[ModelSpec, ...] = (
    ModelSpec("bce", "BCE", "bce"),
    ModelSpec("focal_alpha", "focal α=balanced, γ=2 (post)", "focal", alpha="balanced", gamma=None),
    ModelSpec("focal", "focal α=None, γ=2", "focal", alpha=None, gamma=None),
    ModelSpec("bce_pos_weight", "BCE pos_weight=balanced", "bce", pos_weight="balanced"),
)

#: Probability maps applied to a trained model: key -> (source model, description).
DERIVED_MODELS: dict[str, tuple[str, str]] = {
    "focal_alpha_posterior": ("focal_alpha", "focal (post) → posterior"),
}

#: The headline methods: (method key, model key, threshold rule). Rule "0.5" uses the
#: default threshold, "tuned" the threshold tuned on the validation split.
METHODS: tuple[tuple[str, str, str], ...] = (
    ("bce", "bce", "0.5"),
    ("focal_alpha", "focal_alpha", "0.5"),
    ("focal", "focal", "0.5"),
    ("bce_pos_weight", "bce_pos_weight", "0.5"),
    ("bce+tuned", "bce", "tuned"),
    ("focal_alpha+tuned", "focal_alpha", "tuned"),
    ("focal_alpha_posterior", "focal_alpha_posterior", "0.5"),
)


@dataclass(frozen=True)
class DemoConfig:
    """Everything that determines a demo run (saved as ``config.json``).

    Parameters
    ----------
    data : SyntheticSpec, default=POST_90_10
        The generator of the 2-D 90:10 dataset (drawn once; the seeds vary the split).
    val_size, test_size : float, default=0.2
        Fractions of the data for the validation and test splits (stratified).
    seeds : int, default=5
        Number of seeds; seed ``s`` fixes the split and the network initialisation, shared
        by every method (paired comparison).
    base_seed : int, default=0
        Seeds are ``base_seed, ..., base_seed + seeds - 1``.
    epochs : int, default=200
        Training epochs (full passes over the training split).
    batch_size : int or None, default=None
        Mini-batch size; None trains full-batch (one step per epoch).
    hidden : int, default=16
        Width of both hidden layers of the MLP ``d -> hidden -> hidden -> 1`` (ReLU).
    lr : float, default=0.01
        Adam learning rate.
    gamma : float, default=2.0
        Focusing parameter of both focal models.
    tune_metric : str, default="f1"
        What the validation-tuned threshold maximises (see :func:`focalkit.metrics.tune_threshold`).
    n_bins : int, default=10
        Equal-width bins of the expected calibration error and the reliability diagram.
    grid_size : int, default=80
        Resolution of the decision-region grid (seed ``base_seed`` only).
    early_epoch : int or None, default=20
        Also evaluate every network after this many epochs (a snapshot, no extra
        training), to compare an under-trained regime with the end of training. Ignored
        when None or not smaller than ``epochs``.
    threads : int, default=1
        ``torch.set_num_threads`` while training (a tiny MLP is fastest on one thread).
    framework : {"torch", "keras", "jax"}, default="torch"
        Who trains the MLP, with focalkit's losses of that framework
        (:mod:`focalkit.experiments.demo._frameworks`; Keras uses ``KERAS_BACKEND``).

    Examples
    --------
    >>> DemoConfig.quick().seeds
    2
    """

    data: SyntheticSpec = POST_90_10
    val_size: float = 0.2
    test_size: float = 0.2
    seeds: int = 5
    base_seed: int = 0
    epochs: int = 200
    batch_size: int | None = None
    hidden: int = 16
    lr: float = 0.01
    gamma: float = 2.0
    tune_metric: str = "f1"
    n_bins: int = 10
    grid_size: int = 80
    early_epoch: int | None = 20
    threads: int = 1
    models: tuple[ModelSpec, ...] = field(default=TRAINED_MODELS, repr=False)
    framework: str = "torch"

    def __post_init__(self) -> None:
        owner = "DemoConfig"
        for name in ("seeds", "epochs", "hidden", "n_bins", "threads"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise param_error(name, owner, "an int >= 1", value)
        if self.grid_size < 2:
            raise param_error("grid_size", owner, "an int >= 2", self.grid_size)
        if self.early_epoch is not None and (
            isinstance(self.early_epoch, bool) or self.early_epoch < 1
        ):
            raise param_error("early_epoch", owner, "None or an int >= 1", self.early_epoch)
        if self.batch_size is not None and self.batch_size < 1:
            raise param_error("batch_size", owner, "None or an int >= 1", self.batch_size)
        if not (self.lr > 0 and math.isfinite(self.lr)):
            raise param_error("lr", owner, "a float in (0, inf)", self.lr)
        if not (self.gamma >= 0 and math.isfinite(self.gamma)):
            raise param_error("gamma", owner, "a float in [0, inf)", self.gamma)
        check_in(self.tune_metric, THRESHOLD_METRICS, "tune_metric", owner)
        check_in(self.framework, ("torch", "keras", "jax"), "framework", owner)

    @classmethod
    def quick(cls, **changes: Any) -> DemoConfig:
        """A tiny configuration for tests and smoke runs (a second or two)."""
        small: dict[str, Any] = {
            "data": replace(POST_90_10, n_samples=600),
            "seeds": 2,
            "epochs": 15,
            "grid_size": 20,
            "early_epoch": 5,
        }
        small.update(changes)
        return cls(**small)

    def as_dict(self) -> dict[str, Any]:
        """JSON-able form (what ``config.json`` holds)."""
        out = asdict(self)
        out["data"]["sklearn_make_classification_kwargs"] = self.data.sklearn_kwargs()
        if self.framework == "torch":  # the default: config.json as before the option
            del out["framework"]
        return out


def model_label(result: dict, key: str) -> str:
    """A short label with the resolved hyper-parameters, e.g. ``'focal α=0.9, γ=2 (post)'``.

    ``result`` is the output of :func:`run_demo` (only ``result["models"]`` is read).
    """
    m = result["models"].get(key, {})
    if m.get("derived_from"):
        return f"{model_label(result, m['derived_from'])} → posterior"
    if m.get("loss") == "focal":
        alpha = "None" if m.get("alpha") is None else f"{m['alpha']:.2g}"
        text = f"focal α={alpha}, γ={m['gamma']:g}"
        return text + " (post)" if m.get("alpha") is not None else text
    if m.get("pos_weight") is not None:
        return f"BCE pos_weight={m['pos_weight']:.2g}"
    return "BCE"


# ----------------------------------------------------------------------------- training


def _make_mlp(n_features: int, hidden: int) -> Any:
    from torch import nn

    return nn.Sequential(
        nn.Linear(n_features, hidden),
        nn.ReLU(),
        nn.Linear(hidden, hidden),
        nn.ReLU(),
        nn.Linear(hidden, 1),
    )


def _resolve(spec: ModelSpec, y_train: np.ndarray, default_gamma: float) -> dict[str, Any]:
    """The resolved loss settings of ``spec`` (``"balanced"`` from the training labels)."""
    from focalkit import resolve_alpha

    n_pos = float(np.sum(y_train == 1))
    n_neg = float(y_train.size - n_pos)
    alpha = resolve_alpha(spec.alpha, y_train, owner="focalkit demo")
    if spec.pos_weight == "balanced":
        pos_weight: float | None = n_neg / n_pos
    else:
        pos_weight = None if spec.pos_weight is None else float(spec.pos_weight)
    gamma = float(default_gamma if spec.gamma is None else spec.gamma)
    return {"loss": spec.loss, "alpha": alpha, "gamma": gamma, "pos_weight": pos_weight}


def _criterion(
    spec: ModelSpec, y_train: np.ndarray, default_gamma: float
) -> tuple[Callable[..., Any], dict[str, Any]]:
    """The loss function of ``spec`` and its resolved hyper-parameters."""
    import torch
    import torch.nn.functional as F

    from focalkit.torch import binary_focal_loss_with_logits

    resolved = _resolve(spec, y_train, default_gamma)
    alpha, gamma, pos_weight = resolved["alpha"], resolved["gamma"], resolved["pos_weight"]
    pw = None if pos_weight is None else torch.tensor(pos_weight)

    if spec.loss == "bce":

        def loss_fn(logits: Any, target: Any) -> Any:
            return F.binary_cross_entropy_with_logits(logits, target, pos_weight=pw)

    else:
        # The post's one-line swap: BCE -> focal loss, same signature.
        def loss_fn(logits: Any, target: Any) -> Any:
            return binary_focal_loss_with_logits(
                logits, target, alpha=alpha, gamma=gamma, pos_weight=pw
            )

    return loss_fn, resolved


def _train(
    spec: ModelSpec,
    config: DemoConfig,
    seed: int,
    X_train: np.ndarray,
    y_train: np.ndarray,
    X_val: np.ndarray,
    y_val: np.ndarray,
    progress: ProgressCallback | None,
    snapshot: tuple[int, list[np.ndarray]] | None = None,
) -> tuple[Any, dict[str, list[float]], dict[str, Any], list[np.ndarray]]:
    """Train one MLP; returns the network, its per-epoch dynamics and resolved loss.

    ``snapshot = (epoch, [X, ...])``: the probabilities on each ``X`` after that many
    epochs are returned as the last element (empty list without a snapshot).
    """
    if config.framework != "torch":
        from focalkit.experiments.demo import _frameworks

        settings = _resolve(spec, y_train, config.gamma)
        trained = _frameworks.train(config.framework, settings, config, seed, X_train,
                                    y_train, X_val, y_val, progress, spec.key, snapshot)
        return trained[0], trained[1], settings, trained[2]
    import torch

    loss_fn, resolved = _criterion(spec, y_train, config.gamma)
    torch.manual_seed(seed)  # the same initial weights for every method of this seed
    net = _make_mlp(X_train.shape[1], config.hidden)
    opt = torch.optim.Adam(net.parameters(), lr=config.lr)
    xt = torch.as_tensor(X_train, dtype=torch.float32)
    yt = torch.as_tensor(y_train, dtype=torch.float32)
    xv = torch.as_tensor(X_val, dtype=torch.float32)
    yv_pos = torch.as_tensor(y_val == 1)
    n = xt.shape[0]
    batch = n if config.batch_size is None else min(config.batch_size, n)
    shuffle = torch.Generator().manual_seed(seed)  # same batch order for every method
    dyn: dict[str, list[float]] = {"loss": [], "minority_fraction": [], "minority_recall": []}
    n_val_pos = max(int(yv_pos.sum()), 1)
    snapped: list[np.ndarray] = []
    for epoch in range(config.epochs):
        net.train()
        order = torch.randperm(n, generator=shuffle) if batch < n else None
        total = 0.0
        for start in range(0, n, batch):
            idx = None if order is None else order[start : start + batch]
            xb = xt if idx is None else xt[idx]
            yb = yt if idx is None else yt[idx]
            opt.zero_grad(set_to_none=True)
            loss = loss_fn(net(xb).squeeze(1), yb)
            loss.backward()
            opt.step()
            total += float(loss.detach()) * yb.shape[0]
        with torch.no_grad():
            pred_pos = net(xv).squeeze(1) >= 0.0  # p >= 0.5
        dyn["loss"].append(total / n)
        dyn["minority_fraction"].append(float(pred_pos.float().mean()))
        dyn["minority_recall"].append(float((pred_pos & yv_pos).sum()) / n_val_pos)
        if snapshot is not None and epoch + 1 == snapshot[0]:
            snapped = [_predict(net, x) for x in snapshot[1]]
        if progress is not None:
            progress(spec.key, seed, epoch + 1, config.epochs)
    net.eval()
    return net, dyn, resolved, snapped


def _predict(net: Any, X: np.ndarray) -> np.ndarray:
    if hasattr(net, "focalkit_framework"):  # trained with Keras or JAX
        return net.predict_proba(X)
    import torch

    with torch.no_grad():
        z = net(torch.as_tensor(X, dtype=torch.float32)).squeeze(1)
        return torch.sigmoid(z.double()).numpy()


# ----------------------------------------------------------------------------- evaluation


def _aggregate(values: list[float]) -> dict[str, float | None]:
    arr = np.asarray(values, dtype=np.float64)
    sd = float(arr.std(ddof=1)) if arr.size > 1 else None
    return {"mean": float(arr.mean()), "sd": sd, "min": float(arr.min()), "max": float(arr.max())}


def _majority_only_stats(fractions: list[float]) -> dict[str, Any]:
    """Epochs at which the model predicted only the majority class on validation."""
    frac = np.asarray(fractions)
    zero = np.flatnonzero(frac == 0.0)
    return {
        "epochs_majority_only": int(zero.size),
        "first_epoch_majority_only": int(zero[0] + 1) if zero.size else None,
        "last_epoch_majority_only": int(zero[-1] + 1) if zero.size else None,
        "majority_only_at_end": bool(frac[-1] == 0.0),
    }


def _standardise(split: Any) -> tuple[Any, np.ndarray, np.ndarray]:
    mu = split.X_train.mean(axis=0)
    sd = split.X_train.std(axis=0)
    sd = np.where(sd > 0, sd, 1.0)
    scaled = split._replace(
        X_train=(split.X_train - mu) / sd,
        X_val=(split.X_val - mu) / sd,
        X_test=(split.X_test - mu) / sd,
    )
    return scaled, mu, sd


def _grid(X: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray]:
    lo, hi = np.percentile(X, [0.5, 99.5], axis=0)
    pad = 0.1 * (hi - lo)
    return (
        np.linspace(lo[0] - pad[0], hi[0] + pad[0], size),
        np.linspace(lo[1] - pad[1], hi[1] + pad[1], size),
    )


def _r(values: Any, digits: int = 6) -> list[Any]:
    return np.round(np.asarray(values, dtype=np.float64), digits).tolist()


def run_demo(config: DemoConfig | None = None, *, progress: ProgressCallback | None = None) -> dict:
    """Run the post's experiment: train every method on every seed and evaluate on test.

    Parameters
    ----------
    config : DemoConfig, optional
        The settings; ``DemoConfig()`` (the ``make demo`` defaults) when omitted.
    progress : callable, optional
        Called as ``progress(model_key, seed, epoch, n_epochs)`` after every epoch.

    Returns
    -------
    dict
        JSON-able. Keys: ``config``; ``dataset`` (generator settings, split sizes,
        prevalence); ``models`` (resolved loss settings per trained model); ``methods``;
        ``per_seed`` (one row per seed, model and threshold rule with every metric of
        :func:`focalkit.metrics.imbalance_metrics` on the test split); ``summary``
        (mean, sd, min, max over seeds of each row's metrics); ``paired`` (per-seed
        differences against BCE + tuned threshold); ``dynamics`` (per-epoch training loss,
        validation fraction of minority predictions and minority recall, per model and
        seed, plus when the model predicted only the majority); ``curves`` (test
        predictions of the first seed for PR curves; reliability bins pooled over seeds);
        ``regions`` (predicted probabilities on a grid, first seed); ``timing``.
    """
    config = DemoConfig() if config is None else config
    if config.framework != "torch":
        t_start = time.perf_counter()
        result = _run(config, progress)
        result["timing"]["total_s"] = round(time.perf_counter() - t_start, 3)
        return result
    import torch

    t_start = time.perf_counter()
    prev_threads = torch.get_num_threads()
    torch.set_num_threads(config.threads)
    try:
        result = _run(config, progress)
    finally:
        torch.set_num_threads(prev_threads)
    result["timing"]["total_s"] = round(time.perf_counter() - t_start, 3)
    return result


def _run(config: DemoConfig, progress: ProgressCallback | None) -> dict:
    from focalkit import focal_to_posterior

    X, y = make_imbalanced(config.data)
    seeds = list(range(config.base_seed, config.base_seed + config.seeds))
    model_keys = [m.key for m in config.models]
    all_keys = model_keys + [k for k, (src, _) in DERIVED_MODELS.items() if src in model_keys]
    per_seed: list[dict[str, Any]] = []
    dynamics: dict[str, dict[str, Any]] = {
        k: {"loss": [], "minority_fraction": [], "minority_recall": [], "majority_only": []}
        for k in model_keys
    }
    resolved_models: dict[str, dict[str, Any]] = {}
    reliab: dict[str, np.ndarray] = {k: np.zeros((3, config.n_bins)) for k in all_keys}
    curves: dict[str, Any] = {}
    regions: dict[str, Any] = {}
    split_sizes: dict[str, Any] = {}
    early = config.early_epoch if (config.early_epoch or config.epochs) < config.epochs else None
    early_rows: list[dict[str, Any]] = []
    train_s = 0.0
    train_by_model: dict[str, float] = {}

    for seed in seeds:
        split = train_val_test_split(
            X, y, val_size=config.val_size, test_size=config.test_size, random_state=seed
        )
        scaled, mu, sd = _standardise(split)
        if not split_sizes:
            split_sizes = {
                name: {"n": int(arr.size), "n_minority": int(arr.sum())}
                for name, arr in (
                    ("train", split.y_train), ("val", split.y_val), ("test", split.y_test)
                )
            }
        val_probs: dict[str, np.ndarray] = {}
        test_probs: dict[str, np.ndarray] = {}
        early_val: dict[str, np.ndarray] = {}
        early_test: dict[str, np.ndarray] = {}
        early_grid: dict[str, np.ndarray] = {}
        nets: dict[str, Any] = {}
        first = seed == seeds[0]
        if first:  # the decision-region grid, in the first seed's standardised features
            gx, gy = _grid(X, config.grid_size)
            mesh = np.stack(np.meshgrid(gx, gy), axis=-1).reshape(-1, 2)
            mesh_scaled = (mesh - mu) / sd
        to_snap = [scaled.X_val, scaled.X_test] + ([mesh_scaled] if first else [])
        for spec in config.models:
            t0 = time.perf_counter()
            net, dyn, resolved, snapped = _train(
                spec, config, seed, scaled.X_train, scaled.y_train,
                scaled.X_val, scaled.y_val, progress,
                None if early is None else (early, to_snap),
            )
            if snapped:
                early_val[spec.key], early_test[spec.key] = snapped[:2]
                if first:
                    early_grid[spec.key] = snapped[2]
            elapsed = time.perf_counter() - t0
            train_s += elapsed
            train_by_model[spec.key] = train_by_model.get(spec.key, 0.0) + elapsed
            nets[spec.key] = net
            resolved_models[spec.key] = {"label": spec.label, **resolved}
            for name in ("loss", "minority_fraction", "minority_recall"):
                dynamics[spec.key][name].append(_r(dyn[name]))
            dynamics[spec.key]["majority_only"].append(
                _majority_only_stats(dyn["minority_fraction"])
            )
            val_probs[spec.key] = _predict(net, scaled.X_val)
            test_probs[spec.key] = _predict(net, scaled.X_test)
        for key, (src, _) in DERIVED_MODELS.items():
            if src not in resolved_models:
                continue
            r = resolved_models[src]
            mapping = {"gamma": r["gamma"], "alpha": r["alpha"], "pos_weight": r["pos_weight"]}
            for probs in (val_probs, test_probs, early_val, early_test):
                if src in probs:
                    probs[key] = focal_to_posterior(probs[src], **mapping)
            resolved_models[key] = {
                "label": DERIVED_MODELS[key][1], "derived_from": src,
                "map": "focalkit.focal_to_posterior", **mapping,
            }

        for key in all_keys:
            per_seed += _evaluate(config, seed, key, scaled.y_val, val_probs[key],
                                  scaled.y_test, test_probs[key])
            if key in early_test:
                early_rows += _evaluate(config, seed, key, scaled.y_val, early_val[key],
                                        scaled.y_test, early_test[key])
            rc = reliability_curve(scaled.y_test, test_probs[key], n_bins=config.n_bins)
            reliab[key] += np.stack(
                [rc.counts, np.nan_to_num(rc.mean_prob) * rc.counts,
                 np.nan_to_num(rc.frac_pos) * rc.counts]
            )

        if first:
            curves = {
                "seed": seed,
                "y_test": scaled.y_test.astype(int).tolist(),
                "probs": {k: _r(v) for k, v in test_probs.items()},
            }
            regions = {
                "seed": seed,
                "x": _r(gx, 5),
                "y": _r(gy, 5),
                "probs": {
                    k: _r(_predict(nets[k], mesh_scaled).reshape(len(gy), len(gx)), 4)
                    for k in model_keys
                },
                "early_probs": {
                    k: _r(v.reshape(len(gy), len(gx)), 4) for k, v in early_grid.items()
                },
                "X_test": _r(split.X_test, 4),
                "y_test": split.y_test.astype(int).tolist(),
            }

    summary = _summarise(per_seed, all_keys)
    paired = _paired(per_seed, all_keys)
    for key in model_keys:
        stats = dynamics[key]["majority_only"]
        dynamics[key]["summary"] = {
            "seeds_majority_only_at_some_epoch": sum(s["epochs_majority_only"] > 0 for s in stats),
            "seeds_majority_only_at_end": sum(s["majority_only_at_end"] for s in stats),
            "median_last_epoch_majority_only": _median_or_none(
                [s["last_epoch_majority_only"] for s in stats]
            ),
            "max_last_epoch_majority_only": max(
                (s["last_epoch_majority_only"] or 0 for s in stats), default=0
            ) or None,
        }
    reliability = {
        k: {
            "edges": _r(np.linspace(0, 1, config.n_bins + 1)),
            "count": reliab[k][0].astype(int).tolist(),
            "mean_prob": _r(np.where(reliab[k][0] > 0, reliab[k][1] / np.maximum(reliab[k][0], 1),
                                     np.nan)),
            "frac_pos": _r(np.where(reliab[k][0] > 0, reliab[k][2] / np.maximum(reliab[k][0], 1),
                                    np.nan)),
        }
        for k in all_keys
    }
    curves["reliability_pooled"] = reliability
    result: dict[str, Any] = {
        "config": config.as_dict(),
        "dataset": {
            "generator": "sklearn.datasets.make_classification",
            "settings": config.data.sklearn_kwargs(),
            "n_samples": int(y.size),
            "n_minority": int(y.sum()),
            "prevalence": float(y.mean()),
            "splits": split_sizes,
            "split_seeds": seeds,
            "standardised": "features standardised with the training split's mean and sd",
        },
        "models": resolved_models,
        "methods": [
            {"key": k, "model": m, "rule": r} for k, m, r in METHODS if m in all_keys
        ],
        "metric_info": {
            k: {"label": v[0], "higher_is_better": v[1], "threshold_dependent": v[2]}
            for k, v in METRIC_INFO.items()
        },
        "seeds": seeds,
        "per_seed": per_seed,
        "summary": summary,
        "paired": paired,
        "early": None if early is None else {
            "epoch": early,
            "per_seed": early_rows,
            "summary": _summarise(early_rows, all_keys),
            "paired": _paired(early_rows, all_keys),
        },
        "dynamics": dynamics,
        "curves": curves,
        "regions": regions,
        "timing": {
            "train_s": round(train_s, 3),
            "train_s_by_model": {k: round(v, 3) for k, v in train_by_model.items()},
        },
    }
    for m in result["methods"]:
        m["label"] = model_label(result, m["model"]) + (
            " + tuned threshold" if m["rule"] == "tuned" else ""
        )
    return _json_safe(result)


def _evaluate(
    config: DemoConfig,
    seed: int,
    key: str,
    y_val: np.ndarray,
    p_val: np.ndarray,
    y_test: np.ndarray,
    p_test: np.ndarray,
) -> list[dict[str, Any]]:
    """Test metrics at threshold 0.5 and at the threshold tuned on validation.

    The same numbers as :func:`focalkit.metrics.imbalance_metrics` at each threshold, with
    the threshold-free part computed once.
    """
    tuned = tune_threshold(y_val, p_val, metric=config.tune_metric)
    free = probability_metrics(y_test, p_test, n_bins=config.n_bins)  # once per model
    prevalence = float(np.mean(y_test))
    rows = []
    for rule, threshold in (("0.5", 0.5), ("tuned", tuned)):
        merged = {
            **threshold_metrics(y_test, (p_test >= threshold).astype(np.int64)), **free,
            "majority_baseline_score": max(prevalence, 1.0 - prevalence),
        }
        rows.append({"seed": seed, "model": key, "rule": rule,
                     **{k: merged[k] for k in METRIC_INFO}, "threshold": float(threshold)})
    return rows


def _median_or_none(values: list[Any]) -> float | None:
    vals = [v for v in values if v is not None]
    return float(np.median(vals)) if vals else None


def _summarise(per_seed: list[dict[str, Any]], keys: list[str]) -> list[dict[str, Any]]:
    out = []
    names = [*METRIC_INFO, "threshold"]
    for key in keys:
        for rule in ("0.5", "tuned"):
            rows = [r for r in per_seed if r["model"] == key and r["rule"] == rule]
            out.append(
                {
                    "model": key,
                    "rule": rule,
                    "n_seeds": len(rows),
                    **{m: _aggregate([r[m] for r in rows]) for m in names},
                }
            )
    return out


def _paired(per_seed: list[dict[str, Any]], keys: list[str]) -> dict[str, Any]:
    """Per-seed differences of every method against BCE + tuned threshold (the baseline)."""
    def rows(model: str, rule: str) -> dict[int, dict[str, Any]]:
        return {r["seed"]: r for r in per_seed if r["model"] == model and r["rule"] == rule}

    base = rows("bce", "tuned")
    if not base:
        return {}
    out: dict[str, Any] = {"baseline": "bce+tuned", "methods": {}}
    for key, model, rule in METHODS:
        if key == "bce+tuned" or model not in keys:
            continue
        other = rows(model, rule)
        entry = {}
        for metric in ("minority_f1_score", "pr_auc_score", "balanced_accuracy_score",
                       "mcc_score", "ece_loss"):
            diffs = [other[s][metric] - base[s][metric] for s in sorted(base)]
            higher = METRIC_INFO[metric][1]
            wins = sum((d > 0) if higher else (d < 0) for d in diffs)
            losses = sum((d < 0) if higher else (d > 0) for d in diffs)
            entry[metric] = {
                "diff": _r(diffs), **_aggregate(diffs), "wins": wins, "losses": losses,
                "ties": len(diffs) - wins - losses,
            }
        out["methods"][key] = entry
    return out


def _json_safe(obj: Any) -> Any:
    """Replace NaN/inf by None (strict JSON) and NumPy scalars by Python ones."""
    if isinstance(obj, dict):
        return {str(k): _json_safe(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_json_safe(v) for v in obj]
    if isinstance(obj, (np.floating, float)):
        f = float(obj)
        return f if math.isfinite(f) else None
    if isinstance(obj, np.integer):
        return int(obj)
    if isinstance(obj, np.bool_):
        return bool(obj)
    if isinstance(obj, np.ndarray):
        return _json_safe(obj.tolist())
    return obj
