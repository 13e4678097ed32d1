"""The demo's MLP trained with Keras 3 or JAX (``focalkit demo --framework keras|jax``).

Same network (``d -> hidden -> hidden -> 1``, ReLU), optimiser (Adam, torch's defaults:
betas 0.9 / 0.999, eps 1e-8), epochs, batches and losses as the PyTorch trainer of
:mod:`._compute`, with focalkit's losses of the chosen framework
(:class:`focalkit.keras.BinaryFocalLoss` / ``BinaryCELoss``,
:func:`focalkit.jax.sigmoid_focal_loss` / ``sigmoid_ce_loss``). The initial weights come
from each framework's own generator (JAX: PyTorch's ``nn.Linear`` rule, uniform in
``±1/sqrt(fan_in)``; Keras: its Glorot default), so single seeds differ between frameworks
and the summaries over seeds agree within seed noise. The PyTorch path is untouched.
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["FRAMEWORKS", "train"]

FRAMEWORKS = ("torch", "keras", "jax")


class _Predictor:
    """A trained network: ``predict_proba(X)`` -> float64 probabilities of the positive."""

    focalkit_framework: str

    def __init__(self, framework: str, logits: Any) -> None:
        self.focalkit_framework = framework
        self._logits = logits

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        z = np.asarray(self._logits(np.asarray(X, dtype=np.float32)), dtype=np.float64)
        return 1.0 / (1.0 + np.exp(-z.reshape(-1)))


def train(framework: str, resolved: dict[str, Any], config: Any, seed: int,
          X_train: np.ndarray, y_train: np.ndarray, X_val: np.ndarray, y_val: np.ndarray,
          progress: Any, key: str, snapshot: Any) -> tuple[Any, dict, list]:
    """Train one MLP with ``framework``; returns (predictor, dynamics, snapshot probs)."""
    run = _train_jax if framework == "jax" else _train_keras
    return run(resolved, config, seed, X_train, y_train, X_val, y_val, progress, key, snapshot)


def _batches(n: int, batch: int, rng: np.random.RandomState) -> list[np.ndarray | None]:
    if batch >= n:
        return [None]
    order = rng.permutation(n)
    return [order[s:s + batch] for s in range(0, n, batch)]


def _dynamics(dyn: dict, total: float, n: int, val_logits: np.ndarray, yv_pos: np.ndarray,
              n_val_pos: int) -> None:
    pred_pos = val_logits.reshape(-1) >= 0.0
    dyn["loss"].append(total / n)
    dyn["minority_fraction"].append(float(pred_pos.mean()))
    dyn["minority_recall"].append(float((pred_pos & yv_pos).sum()) / n_val_pos)


# ------------------------------------------------------------------------------ JAX
def _train_jax(resolved: dict[str, Any], config: Any, seed: int, X_train: np.ndarray,
               y_train: np.ndarray, X_val: np.ndarray, y_val: np.ndarray, progress: Any,
               key: str, snapshot: Any) -> tuple[Any, dict, list]:
    import jax.numpy as jnp
    import optax

    import focalkit.jax as fj
    import jax

    rng = np.random.RandomState(seed)
    sizes = [X_train.shape[1], config.hidden, config.hidden, 1]
    params = []
    for fan_in, fan_out in zip(sizes[:-1], sizes[1:], strict=True):
        bound = 1.0 / np.sqrt(fan_in)  # nn.Linear's default initialisation
        params.append((jnp.asarray(rng.uniform(-bound, bound, (fan_in, fan_out)), jnp.float32),
                       jnp.asarray(rng.uniform(-bound, bound, fan_out), jnp.float32)))

    def forward(p: Any, x: Any) -> Any:
        for w, b in p[:-1]:
            x = jax.nn.relu(x @ w + b)
        w, b = p[-1]
        return (x @ w + b)[:, 0]

    kw: dict[str, Any] = {"pos_weight": resolved["pos_weight"]}
    if resolved["loss"] == "bce":
        def loss_of(z: Any, y: Any) -> Any:
            return fj.sigmoid_ce_loss(z, y, **kw).mean()
    else:  # the one-line swap, as in the PyTorch demo
        def loss_of(z: Any, y: Any) -> Any:
            return fj.sigmoid_focal_loss(z, y, alpha=resolved["alpha"],
                                         gamma=resolved["gamma"], **kw).mean()

    opt = optax.adam(config.lr, b1=0.9, b2=0.999, eps=1e-8)
    state = opt.init(params)

    @jax.jit
    def step(p: Any, s: Any, x: Any, y: Any) -> Any:
        value, grads = jax.value_and_grad(lambda q: loss_of(forward(q, x), y))(p)
        updates, s = opt.update(grads, s, p)
        return optax.apply_updates(p, updates), s, value

    logits_of = jax.jit(forward)
    xt, yt = jnp.asarray(X_train, jnp.float32), jnp.asarray(y_train, jnp.float32)
    xv = jnp.asarray(X_val, jnp.float32)
    yv_pos = np.asarray(y_val) == 1
    n = X_train.shape[0]
    batch = n if config.batch_size is None else min(config.batch_size, n)
    dyn: dict[str, list[float]] = {"loss": [], "minority_fraction": [], "minority_recall": []}
    snapped: list[np.ndarray] = []
    for epoch in range(config.epochs):
        total = 0.0
        for idx in _batches(n, batch, rng):
            xb, yb = (xt, yt) if idx is None else (xt[idx], yt[idx])
            params, state, value = step(params, state, xb, yb)
            total += float(value) * yb.shape[0]
        _dynamics(dyn, total, n, np.asarray(logits_of(params, xv)), yv_pos,
                  max(int(yv_pos.sum()), 1))
        if snapshot is not None and epoch + 1 == snapshot[0]:
            frozen = _Predictor("jax", lambda x, p=params: logits_of(p, jnp.asarray(x)))
            snapped = [frozen.predict_proba(x) for x in snapshot[1]]
        if progress is not None:
            progress(key, seed, epoch + 1, config.epochs)
    final = params
    return _Predictor("jax", lambda x: logits_of(final, jnp.asarray(x))), dyn, snapped


# ------------------------------------------------------------------------------ Keras
def _train_keras(resolved: dict[str, Any], config: Any, seed: int, X_train: np.ndarray,
                 y_train: np.ndarray, X_val: np.ndarray, y_val: np.ndarray, progress: Any,
                 key: str, snapshot: Any) -> tuple[Any, dict, list]:
    import focalkit.keras as fk
    import keras

    keras.utils.set_random_seed(seed)
    model = keras.Sequential([
        keras.Input((X_train.shape[1],)),
        keras.layers.Dense(config.hidden, activation="relu"),
        keras.layers.Dense(config.hidden, activation="relu"),
        keras.layers.Dense(1),
    ])
    if resolved["loss"] == "bce":
        loss = fk.BinaryCELoss(pos_weight=resolved["pos_weight"])
    else:
        loss = fk.BinaryFocalLoss(alpha=resolved["alpha"], gamma=resolved["gamma"],
                                  pos_weight=resolved["pos_weight"])
    model.compile(optimizer=keras.optimizers.Adam(config.lr, beta_1=0.9, beta_2=0.999,
                                                  epsilon=1e-8), loss=loss)
    rng = np.random.RandomState(seed)
    xt, yt = X_train.astype(np.float32), y_train.astype(np.float32)[:, None]
    xv = X_val.astype(np.float32)
    yv_pos = np.asarray(y_val) == 1
    n = xt.shape[0]
    batch = n if config.batch_size is None else min(config.batch_size, n)

    def logits(x: np.ndarray) -> np.ndarray:
        out = model(x, training=False)
        if hasattr(out, "detach"):  # torch: Keras' convert_to_numpy warns on NumPy 2
            return out.detach().cpu().numpy()
        return np.asarray(keras.ops.convert_to_numpy(out))

    dyn: dict[str, list[float]] = {"loss": [], "minority_fraction": [], "minority_recall": []}
    snapped: list[np.ndarray] = []
    for epoch in range(config.epochs):
        total = 0.0
        for idx in _batches(n, batch, rng):
            xb, yb = (xt, yt) if idx is None else (xt[idx], yt[idx])
            total += float(model.train_on_batch(xb, yb)) * yb.shape[0]
        _dynamics(dyn, total, n, logits(xv), yv_pos, max(int(yv_pos.sum()), 1))
        if snapshot is not None and epoch + 1 == snapshot[0]:
            snapped = [_Predictor("keras", logits).predict_proba(x) for x in snapshot[1]]
        if progress is not None:
            progress(key, seed, epoch + 1, config.epochs)
    return _Predictor("keras", logits), dyn, snapped
