"""A small torch MLP for tabular data trained with any focalkit loss (scikit-learn API)."""

from __future__ import annotations

import contextlib
import copy
import numbers
from collections.abc import Iterator
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.preprocessing import LabelEncoder, StandardScaler
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted
from sklearn.utils.validation import validate_data as _validate_data

from focalkit._core._validation import check_float, check_in, check_int, param_error
from focalkit._core.weights import _weights
from focalkit.exceptions import InvalidParameterError, require
from focalkit.sklearn._losses import OWNER, bind_loss

__all__ = ["FocalMLPClassifier"]

_ACTIVATIONS = ("relu", "tanh", "gelu")


def _gelu(x: np.ndarray) -> np.ndarray:
    from scipy.special import erf

    return 0.5 * x * (1.0 + erf(x / np.sqrt(2.0)))


_ACT_NUMPY: dict[str, Any] = {"relu": lambda x: np.maximum(x, 0.0), "tanh": np.tanh, "gelu": _gelu}

#: Checks of ``sklearn.utils.estimator_checks`` that are expected to fail, with the reason.
EXPECTED_FAILED_CHECKS: dict[str, str] = {
    "check_sample_weight_equivalence_on_dense_data": (
        "stochastic mini-batch training with a validation split: a weight of 2 is not the "
        "same as a repeated row (other batches, other split), as for MLPClassifier"
    ),
}


def _sample_weight(sample_weight: Any, n: int) -> np.ndarray:
    if sample_weight is not None:
        sample_weight = np.asarray(sample_weight, dtype=np.float64)
        if sample_weight.ndim == 0:
            sample_weight = np.full(n, float(sample_weight))
    sw = _weights(sample_weight, n)
    if not sw.sum() > 0:
        raise InvalidParameterError("sample_weight must not be all zero (sum > 0).")
    return sw


@contextlib.contextmanager
def _threads(torch: Any, n: int | None) -> Iterator[None]:
    """Run with ``n`` torch intra-op threads, restoring the previous setting."""
    if n is None or n == torch.get_num_threads():
        yield
        return
    old = torch.get_num_threads()
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(old)


class FocalMLPClassifier(ClassifierMixin, BaseEstimator):
    """Multi-layer perceptron classifier trained with focal loss or any focalkit loss.

    A fully connected ReLU network (``hidden_layer_sizes``) with one sigmoid output for two
    classes or a softmax output for more, trained with Adam on mini-batches, optionally with
    early stopping on a stratified validation split. Inputs are standardised inside the
    estimator (``standardize=True``). Training is reproducible on CPU for a fixed
    ``random_state``; the global torch random state is not touched. The loss is a spec of
    the loss registry and runs through :mod:`focalkit.torch` (focal loss through its fused
    kernels).

    Parameters
    ----------
    loss : str or callable, default="focal"
        A loss of the registry, :func:`focalkit.losses.loss_names` (the names and aliases
        accepted are :data:`focalkit.sklearn.LOSS_NAMES`, e.g. ``"bce"`` = ``"ce"``,
        ``"focal"``, ``"weighted_bce"``, ``"logit_adjusted"``, ``"asymmetric"``,
        ``"poly1"``, ``"poly1_focal"``, ``"ldam"``; see ``docs/sklearn.md``). Two classes
        use the loss's sigmoid form (one logit) unless it has only a softmax form
        (``"ldam"``); more classes use its softmax form (a loss without one raises). Or a
        callable ``loss(logits, target)`` returning one loss per sample (logits ``(n,)``
        and float targets in {0, 1} for two classes; ``(n, C)`` and integer targets
        otherwise).
    gamma : None, float or per-class vector, default=None
        The loss's ``gamma`` where it has one (the focusing parameter of ``"focal"``,
        ``"poly1"``, ...); None uses the loss's default (2.0 for ``"focal"`` and
        ``"poly1_focal"``, 0.0 for ``"poly1"``). Setting it for a loss without ``gamma``
        raises.
    alpha : None, float or "balanced", default=None
        The loss's ``alpha`` where it has one; for ``"bce"``, ``"focal"``, ``"poly1"`` and
        ``"flsd"`` the weight of the positive class (negatives ``1 - alpha``;
        ``"balanced"`` uses ``1 - prevalence``). For a softmax-only loss on two classes
        (``"ldam"``) the class weights ``(1 - alpha, alpha)``. Must be None for multi-class
        targets (use ``class_weight``) and for losses without ``alpha``.
    class_weight : None, dict, "balanced" or "effective_number", default=None
        Per-class weights multiplied into the sample weights (``"effective_number"``:
        Cui et al. 2019 with ``loss_params``-independent ``beta=0.999``).
    loss_params : dict, optional
        The loss's other parameters (see :func:`focalkit.losses.get_loss` and
        ``docs/sklearn.md``), e.g. ``{"tau": 1.0}`` for ``"logit_adjusted"``,
        ``{"pos_weight": "balanced"}`` for ``"weighted_bce"``, ``{"gamma_neg": 4.0,
        "clip": 0.05}`` for ``"asymmetric"``, ``{"epsilon": 1.0}`` for ``"poly1"``,
        ``{"max_margin": 0.5, "scale": 30.0, "drw_start": 50}`` for ``"ldam"``. Unknown
        keys raise.
    hidden_layer_sizes : tuple of int, default=(64, 64)
        Width of each hidden layer; ``()`` gives a linear model.
    activation : {"relu", "tanh", "gelu"}, default="relu"
    max_epochs : int, default=200
        Passes over the training data.
    batch_size : int or None, default=256
        Mini-batch size (clipped to the training size); None trains full-batch.
    learning_rate : float, default=1e-2
        Adam step size.
    weight_decay : float, default=0.0
        Adam (L2) weight decay.
    early_stopping : bool, default=True
        Hold out ``validation_fraction`` of the training data (stratified) and stop once the
        validation loss has not improved by ``tol`` for ``n_iter_no_change`` epochs; the
        best weights are restored. Skipped when the data are too small to split.
    validation_fraction : float, default=0.1
    n_iter_no_change : int, default=10
    tol : float, default=1e-4
    standardize : bool, default=True
        Standardise the features (``StandardScaler`` fitted on the training part).
    init_bias : {"prior", "zero"}, default="prior"
        ``"prior"`` starts the output bias at the loss-optimal constant (the spec's
        ``init_score``: the log-odds of the prevalence for BCE,
        :func:`focalkit.binary_focal_init_score` for focal), the prior-bias initialisation
        that avoids the "predicts only the majority" transient.
    random_state : int, RandomState or None, default=None
        Seeds the validation split, the initial weights and the batch order.
    n_threads : int or None, default=1
        torch intra-op threads while fitting and predicting (restored afterwards). One
        thread is fastest for networks this small, and much faster on a busy machine;
        None keeps torch's setting.
    verbose : int, default=0
        Print the loss each epoch when > 0.

    Attributes
    ----------
    classes_ : ndarray
    n_features_in_ : int
    feature_names_in_ : ndarray of str
        Only when ``X`` has string column names.
    loss_ : str
        The registry name of the loss (aliases resolved; ``"callable"`` for a callable).
    loss_params_ : dict
        The loss parameters resolved on the training labels (``loss_spec_.values``):
        ``gamma``, ``alpha`` (a float for ``"balanced"``), ``pos_weight``
        (``"weighted_bce"``), ``prior`` and ``tau`` (``"logit_adjusted"``), ...
    loss_spec_ : LossSpec or None
        The resolved loss spec of the registry (None for a callable); its
        ``posterior_map()`` is what :func:`focalkit.calibration.posterior_calibrator` uses.
    class_weight_ : ndarray or None
        The resolved per-class weights (in ``classes_`` order).
    n_epochs_ : int
        Epochs run.
    best_epoch_ : int
        Epoch whose weights were kept (the last one without early stopping).
    loss_curve_ : list of float
        Training loss per epoch.
    validation_scores_ : list of float
        Validation loss per epoch (early stopping only).
    scaler_ : StandardScaler or None
    coefs_ : list of ndarray
        Weight matrices (float64, ``(n_in, n_out)``) of the trained network; prediction
        runs on these in NumPy, without torch.
    intercepts_ : list of ndarray
        Bias vectors of the trained network.
    module_ : torch.nn.Module
        The trained network (CPU, float32), e.g. to fine-tune it.

    Notes
    -----
    ``predict_proba`` returns the network's probabilities. Models trained with focal loss,
    class weights or ``alpha`` do not output posteriors; recalibrate them with
    :mod:`focalkit.calibration` when probabilities matter. ``predict`` thresholds at 0.5
    (argmax); tune the threshold with ``TunedThresholdClassifierCV`` or
    :func:`focalkit.calibration.tune_threshold`.

    Examples
    --------
    >>> from sklearn.datasets import make_classification
    >>> X, y = make_classification(300, weights=[0.9], random_state=0)
    >>> clf = FocalMLPClassifier(max_epochs=20, random_state=0).fit(X, y)
    >>> clf.predict_proba(X).shape
    (300, 2)
    """

    def __init__(
        self,
        loss: Any = "focal",
        *,
        gamma: Any = None,
        alpha: Any = None,
        class_weight: Any = None,
        loss_params: dict[str, Any] | None = None,
        hidden_layer_sizes: tuple[int, ...] = (64, 64),
        activation: str = "relu",
        max_epochs: int = 200,
        batch_size: int | None = 256,
        learning_rate: float = 1e-2,
        weight_decay: float = 0.0,
        early_stopping: bool = True,
        validation_fraction: float = 0.1,
        n_iter_no_change: int = 10,
        tol: float = 1e-4,
        standardize: bool = True,
        init_bias: str = "prior",
        random_state: Any = None,
        n_threads: int | None = 1,
        verbose: int = 0,
    ) -> None:
        self.loss = loss
        self.gamma = gamma
        self.alpha = alpha
        self.class_weight = class_weight
        self.loss_params = loss_params
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.max_epochs = max_epochs
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.weight_decay = weight_decay
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.tol = tol
        self.standardize = standardize
        self.init_bias = init_bias
        self.random_state = random_state
        self.n_threads = n_threads
        self.verbose = verbose

    # ------------------------------------------------------------------ validation
    def _check_params(self) -> dict[str, Any]:
        sizes = self.hidden_layer_sizes
        if isinstance(sizes, numbers.Integral):
            sizes = (sizes,)
        try:
            sizes = tuple(int(s) for s in sizes)
            ok = all(s >= 1 for s in sizes) and all(
                isinstance(s, numbers.Integral) for s in self.hidden_layer_sizes
            ) if not isinstance(self.hidden_layer_sizes, numbers.Integral) else True
        except TypeError:
            ok = False
        if not ok:
            raise param_error(
                "hidden_layer_sizes", OWNER, "a tuple of positive ints", self.hidden_layer_sizes
            )
        if self.batch_size is not None:
            check_int(self.batch_size, "batch_size", OWNER, low=1)
        if self.n_threads is not None:
            check_int(self.n_threads, "n_threads", OWNER, low=1)
        if self.loss_params is not None and not isinstance(self.loss_params, dict):
            raise param_error("loss_params", OWNER, "None or a dict", self.loss_params)
        return {
            "sizes": sizes,
            "activation": check_in(self.activation, _ACTIVATIONS, "activation", OWNER),
            "max_epochs": check_int(self.max_epochs, "max_epochs", OWNER, low=1),
            "lr": check_float(self.learning_rate, "learning_rate", OWNER, open_low=True),
            "wd": check_float(self.weight_decay, "weight_decay", OWNER),
            "val_frac": check_float(self.validation_fraction, "validation_fraction", OWNER,
                                    open_low=True, high=0.5, open_high=False),
            "patience": check_int(self.n_iter_no_change, "n_iter_no_change", OWNER, low=1),
            "tol": check_float(self.tol, "tol", OWNER),
            "init_bias": check_in(self.init_bias, ("prior", "zero"), "init_bias", OWNER),
        }

    def _class_weight_vector(self, y: np.ndarray, n_classes: int, sw: np.ndarray) -> Any:
        from focalkit._core import resolve_class_weight

        cw = self.class_weight
        if isinstance(cw, dict):  # keys are original labels
            vec = np.ones(n_classes)
            index = {c: i for i, c in enumerate(self.classes_.tolist())}
            for k, v in cw.items():
                if k not in index:
                    raise param_error(
                        "class_weight", OWNER,
                        f"a dict keyed by class labels {self.classes_.tolist()}", cw,
                    )
                vec[index[k]] = float(v)
            cw = vec
        return resolve_class_weight(
            cw, y, n_classes=n_classes, sample_weight=sw, owner=OWNER
        )

    # ------------------------------------------------------------------ fitting
    def fit(self, X: Any, y: Any, sample_weight: Any = None) -> FocalMLPClassifier:
        """Train the network.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,)
            Class labels (at least two classes).
        sample_weight : array-like of shape (n_samples,), optional
            Non-negative weights of the samples in the loss.

        Returns
        -------
        self : FocalMLPClassifier
        """
        cfg = self._check_params()
        X, y = _validate_data(self, X, y, dtype=[np.float64, np.float32], y_numeric=False)
        check_classification_targets(y)
        encoder = LabelEncoder().fit(y)
        self.classes_ = encoder.classes_
        n_classes = len(self.classes_)
        if n_classes < 2:
            raise InvalidParameterError(
                f"{OWNER} needs samples of at least 2 classes in y; got only one class: "
                f"{self.classes_.tolist()}."
            )
        y_enc = encoder.transform(y).astype(np.int64)
        sw = _sample_weight(sample_weight, X.shape[0])
        cw = self._class_weight_vector(y_enc, n_classes, sw)
        if cw is not None:
            sw = sw * cw[y_enc]

        torch = require("torch", "torch", feature="focalkit.sklearn.FocalMLPClassifier",
                        min_version="2.2")
        rng = np.random.RandomState(
            self.random_state if not isinstance(self.random_state, np.random.RandomState)
            else self.random_state.randint(np.iinfo(np.int32).max)
        ) if self.random_state is not None else np.random.RandomState()
        seed = int(rng.randint(np.iinfo(np.int32).max))
        gen = torch.Generator().manual_seed(seed)

        train_idx, val_idx = self._split(y_enc, rng, cfg["val_frac"])
        if self.standardize:
            self.scaler_ = StandardScaler().fit(X[train_idx])
            Xs = self.scaler_.transform(X)
        else:
            self.scaler_ = None
            Xs = X
        usw = None if sample_weight is None and cw is None else sw[train_idx]
        bound = bind_loss(
            self.loss, y=y_enc[train_idx], n_classes=n_classes, sample_weight=usw,
            gamma=self.gamma, alpha=self.alpha, loss_params=self.loss_params,
        )
        self.loss_ = bound.name
        self.loss_params_ = bound.resolved
        self.loss_spec_ = bound.spec
        self.class_weight_ = cw
        n_out = n_classes if bound.softmax else 1

        self.module_ = self._build(torch, X.shape[1], cfg["sizes"], n_out, cfg["activation"],
                                   gen)
        if cfg["init_bias"] == "prior":
            with torch.no_grad():
                self.module_[-1].bias.copy_(torch.as_tensor(bound.init_bias,
                                                            dtype=torch.float32))
        Xt = torch.as_tensor(Xs, dtype=torch.float32)
        if bound.softmax:
            Yt = torch.as_tensor(y_enc, dtype=torch.int64)
        else:
            Yt = torch.as_tensor(y_enc, dtype=torch.float32)
        Wt = torch.as_tensor(sw, dtype=torch.float32)
        with _threads(torch, self.n_threads):
            self._train(torch, bound, cfg, Xt, Yt, Wt, train_idx, val_idx, gen)
        return self

    def _split(self, y: np.ndarray, rng: np.random.RandomState, frac: float) -> tuple[Any, Any]:
        n = y.shape[0]
        idx = np.arange(n)
        if not self.early_stopping:
            return idx, None
        counts = np.bincount(y)
        n_val = int(np.ceil(frac * n))
        n_classes = counts.shape[0]
        # every class needs a sample on both sides, or the split is meaningless
        if counts.min() < 2 or n_val < n_classes or n - n_val < n_classes:
            return idx, None
        from sklearn.model_selection import train_test_split

        train, val = train_test_split(idx, test_size=n_val, stratify=y, random_state=rng)
        return np.sort(train), np.sort(val)

    @staticmethod
    def _build(torch: Any, n_in: int, sizes: tuple[int, ...], n_out: int, act: str,
               gen: Any) -> Any:
        nn = torch.nn
        acts = {"relu": nn.ReLU, "tanh": nn.Tanh, "gelu": nn.GELU}
        layers: list[Any] = []
        width = n_in
        with torch.random.fork_rng(devices=[]):  # nn.Linear's own init draws from it
            for h in sizes:
                layers += [nn.Linear(width, h), acts[act]()]
                width = h
            layers.append(nn.Linear(width, n_out))
        net = nn.Sequential(*layers)
        # deterministic init from our own generator (PyTorch's default scheme), so that the
        # global torch random state is neither used nor changed
        with torch.no_grad():
            for m in net:
                if isinstance(m, nn.Linear):
                    bound = 1.0 / np.sqrt(m.in_features)
                    m.weight.uniform_(-bound, bound, generator=gen)
                    m.bias.uniform_(-bound, bound, generator=gen)
        return net

    def _train(self, torch: Any, bound: Any, cfg: dict[str, Any], Xt: Any, Yt: Any, Wt: Any,
               train_idx: np.ndarray, val_idx: Any, gen: Any) -> None:
        net = self.module_
        opt = torch.optim.Adam(net.parameters(), lr=cfg["lr"], weight_decay=cfg["wd"])
        tr = torch.as_tensor(train_idx)
        Xtr, Ytr, Wtr = Xt[tr], Yt[tr], Wt[tr]
        n = Xtr.shape[0]
        norm = float(Wtr.mean())  # weighted mean with the weights' scale divided out
        if norm <= 0:
            raise InvalidParameterError("sample_weight sums to zero on the training data.")
        bs = n if self.batch_size is None else min(int(self.batch_size), n)
        if val_idx is not None:
            va = torch.as_tensor(val_idx)
            Xva, Yva, Wva = Xt[va], Yt[va], Wt[va]
            vnorm = float(Wva.sum()) or 1.0
        self.loss_curve_: list[float] = []
        self.validation_scores_: list[float] = []
        best, best_state, best_epoch, stall = np.inf, None, 0, 0
        epoch = 0
        for epoch in range(cfg["max_epochs"]):
            net.train()
            perm = torch.randperm(n, generator=gen) if bs < n else None
            total = 0.0
            for start in range(0, n, bs):
                if perm is None:
                    xb, yb, wb = Xtr, Ytr, Wtr
                else:
                    sel = perm[start:start + bs]
                    xb, yb, wb = Xtr[sel], Ytr[sel], Wtr[sel]
                out = net(xb)
                if not bound.softmax:
                    out = out.squeeze(-1)
                per = bound.fn(out, yb, epoch)
                loss = (per * wb).sum() / (norm * xb.shape[0])
                opt.zero_grad(set_to_none=True)
                loss.backward()
                opt.step()
                total += float(loss.detach()) * xb.shape[0]
            train_loss = total / n
            if not np.isfinite(train_loss):
                raise FloatingPointError(
                    f"{OWNER}: the training loss became {train_loss} at epoch {epoch}; lower "
                    "learning_rate or check the inputs for extreme values."
                )
            self.loss_curve_.append(train_loss)
            if self.verbose:
                print(f"epoch {epoch}: loss {train_loss:.6f}")
            if val_idx is None:
                continue
            net.eval()
            with torch.no_grad():
                out = net(Xva)
                if not bound.softmax:
                    out = out.squeeze(-1)
                vloss = float((bound.fn(out, Yva, epoch) * Wva).sum()) / vnorm
            self.validation_scores_.append(vloss)
            if vloss < best - cfg["tol"]:
                best, best_epoch, stall = vloss, epoch, 0
                best_state = copy.deepcopy(net.state_dict())
            else:
                stall += 1
                if stall >= cfg["patience"]:
                    break
        self.n_epochs_ = epoch + 1
        if best_state is not None:
            net.load_state_dict(best_state)
            self.best_epoch_ = best_epoch
        else:
            self.best_epoch_ = epoch
        net.eval()
        linears = [m for m in net if isinstance(m, torch.nn.Linear)]
        self.coefs_ = [m.weight.detach().double().numpy().T.copy() for m in linears]
        self.intercepts_ = [m.bias.detach().double().numpy().copy() for m in linears]

    # ------------------------------------------------------------------ prediction
    def _logits(self, X: Any) -> np.ndarray:
        check_is_fitted(self)
        X = _validate_data(self, X, reset=False, dtype=[np.float64, np.float32])
        if self.scaler_ is not None:
            X = self.scaler_.transform(X)
        # float64 NumPy forward pass: exact enough to be invariant to batch composition
        # (float32 BLAS results depend on the batch shape) and free of torch at predict time
        h = np.asarray(X, dtype=np.float64)
        last = len(self.coefs_) - 1
        for i, (w, b) in enumerate(zip(self.coefs_, self.intercepts_, strict=True)):
            h = h @ w + b
            if i < last:
                h = _ACT_NUMPY[self.activation](h)
        return h

    def decision_function(self, X: Any) -> np.ndarray:
        """Margins: the logit of the positive class (n,) for two classes, else (n, C).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        ndarray
        """
        z = self._logits(X)
        if len(self.classes_) == 2:
            return z[:, 0] if z.shape[1] == 1 else z[:, 1] - z[:, 0]
        return z

    def predict_proba(self, X: Any) -> np.ndarray:
        """Class probabilities of the network, shape (n_samples, n_classes).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        ndarray
        """
        from scipy.special import expit, softmax

        z = self._logits(X)
        if z.shape[1] == 1:
            p = expit(z[:, 0])
            return np.column_stack([1.0 - p, p])
        return softmax(z, axis=1)

    def predict_log_proba(self, X: Any) -> np.ndarray:
        """Logarithm of :meth:`predict_proba`.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        ndarray
        """
        from scipy.special import log_expit, log_softmax

        z = self._logits(X)
        if z.shape[1] == 1:
            return np.column_stack([log_expit(-z[:, 0]), log_expit(z[:, 0])])
        return log_softmax(z, axis=1)

    def predict(self, X: Any) -> np.ndarray:
        """Most probable class (threshold 0.5 for two classes).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        ndarray of shape (n_samples,)
        """
        z = self._logits(X)
        if z.shape[1] == 1:
            idx = (z[:, 0] > 0).astype(int)
        else:
            idx = np.argmax(z, axis=1)
        return self.classes_[idx]

    def __sklearn_tags__(self) -> Any:  # pragma: no cover - exercised by estimator checks
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_class = True
        return tags
