"""focalkit for JAX: optax-style loss functions, one per registered loss spec.

Each function is pure, keyword-only in its parameters and unreduced (elementwise for
sigmoid losses, per example for softmax losses), like optax's losses, and carries the
spec's analytic gradient as a ``jax.custom_jvp`` rule: ``jit``, ``vmap``, ``grad``,
``value_and_grad``, ``jvp`` and ``jax.hessian`` apply, in float16/bfloat16 (computed in
float32), float32 and float64. The functions are generated from :mod:`focalkit.losses`;
their names are ``sigmoid_<loss>_loss`` and ``softmax_<loss>_loss``
(``sigmoid_focal_loss``, ``softmax_focal_loss``, ``sigmoid_weighted_ce_loss``, ...).

Needs the ``jax`` extra: ``pip install 'focalkit[jax]'``.
"""

from __future__ import annotations

from typing import Any

from focalkit.exceptions import require

require("jax", "jax", feature="focalkit.jax", min_version="0.4.30")

from focalkit._core.losses import LossSpec  # noqa: E402
from focalkit._core.losses import canonical_name as _canonical  # noqa: E402
from focalkit._core.losses import get_loss as _get_loss  # noqa: E402
from focalkit._names import jax_function_name as _function_name  # noqa: E402
from focalkit.jax import _generate  # noqa: E402
from focalkit.jax._fast import fast_path_enabled, use_fast_path  # noqa: E402, F401 (__all__)
from focalkit.jax._generate import resolve_params  # noqa: E402, F401 (__all__)


def _bind(cls: type[LossSpec], name: str) -> Any:
    # Defined here so that the generated functions belong to this module (doctests, help).
    def elementwise(logits: Any, labels: Any, *, epoch: int | None = None,
                    **params: Any) -> Any:
        return _generate.call(cls, name, logits, labels, -1, epoch, params)

    def per_example(logits: Any, labels: Any, *, axis: int = -1, epoch: int | None = None,
                    **params: Any) -> Any:
        return _generate.call(cls, name, logits, labels, axis, epoch, params)

    loss = elementwise if cls.kind == "sigmoid" else per_example
    _generate.describe(loss, cls, name)
    return loss


_FUNCTIONS = {name: _bind(cls, name) for name, cls in _generate.generated().items()}
globals().update(_FUNCTIONS)


def loss_function(name: str, kind: str | None = None) -> Any:
    """The function of loss ``name`` (a registry name or alias) and ``kind``.

    Examples
    --------
    >>> from focalkit.jax import loss_function
    >>> loss_function("poly1_focal", "softmax").__name__
    'softmax_poly1_loss'
    """
    cls = _get_loss(name, kind, owner="focalkit.jax.loss_function")
    return _FUNCTIONS[_function_name(_canonical(cls.name, cls.kind), cls.kind)]



def __getattr__(name: str) -> Any:
    # The generated names live in globals(); this hook only tells type checkers that the
    # module has attributes they cannot see (PEP 562), and fails for every other name.
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = sorted([*_FUNCTIONS, "fast_path_enabled", "loss_function", "resolve_params",
                  "use_fast_path"])
