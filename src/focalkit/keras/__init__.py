"""focalkit for Keras 3: loss classes written with ``keras.ops`` for every registered spec.

One class serves the TensorFlow, JAX and PyTorch back ends; the gradient is the spec's
analytic one on all three. Per spec (:mod:`focalkit.losses`): ``Binary<Stem>Loss`` for
binary / multi-label targets, ``Sparse<Stem>Loss`` for integer labels and ``<Stem>Loss``
for one-hot or soft class targets (``BinaryFocalLoss``, ``SparseFocalLoss``,
``FocalLoss``, ``BinaryWeightedCELoss``, ...). Metrics for imbalanced problems
(:class:`AveragePrecision`, :class:`MinorityF1Score`) and the :class:`LossSchedule`
callback complete it.

Needs the ``keras`` extra (``pip install 'focalkit[keras]'``) and one Keras back end
(tensorflow-cpu, jax or torch, chosen by ``KERAS_BACKEND``).
"""

from __future__ import annotations

from typing import Any

from focalkit.exceptions import MissingExtraError, require


def _import_keras() -> Any:
    try:
        return require("keras", "keras", feature="focalkit.keras", min_version="3.0")
    except MissingExtraError as exc:
        cause = exc.__cause__
        missing = getattr(cause, "name", None) or ""
        if missing.split(".")[0] in ("tensorflow", "jax", "jaxlib", "torch"):
            raise MissingExtraError(
                f"focalkit.keras: Keras is installed but its back end {missing.split('.')[0]!r}"
                " is not; install it (pip install tensorflow-cpu, jax or torch) or set "
                "KERAS_BACKEND to an installed one (jax, torch, tensorflow)."
            ) from cause
        raise


_import_keras()

from focalkit._core.losses import canonical_name as _canonical  # noqa: E402
from focalkit._core.losses import get_loss as _get_loss  # noqa: E402
from focalkit._names import keras_class_names as _class_names  # noqa: E402
from focalkit.keras._callbacks import LossSchedule  # noqa: E402, F401 (__all__)
from focalkit.keras._generate import generate as _generate  # noqa: E402
from focalkit.keras._losses import FocalkitLoss  # noqa: E402, F401 (__all__)
from focalkit.keras._metrics import AveragePrecision, MinorityF1Score  # noqa: E402, F401 (__all__)

_CLASSES = _generate()
globals().update(_CLASSES)


def loss_class(name: str, kind: str | None = None, *, dense: bool = False) -> Any:
    """The Keras class of loss ``name`` (registry name or alias) and ``kind``.

    ``dense=True`` picks the class for one-hot / soft targets of a softmax loss.

    Examples
    --------
    >>> from focalkit.keras import loss_class
    >>> loss_class("focal", "softmax").__name__, loss_class("focal", "sigmoid").__name__
    ('SparseFocalLoss', 'BinaryFocalLoss')
    """
    cls = _get_loss(name, kind, owner="focalkit.keras.loss_class")
    names = _class_names(_canonical(cls.name, cls.kind), cls.kind,
                         getattr(cls, "dense_targets", False))
    if dense and len(names) < 2:
        from focalkit.exceptions import InvalidParameterError

        raise InvalidParameterError(
            f"focalkit.keras.loss_class: the loss {name!r} takes integer labels only; "
            f"use {names[0]}.")
    return _CLASSES[names[-1] if dense else names[0]]



def __getattr__(name: str) -> Any:
    # The generated names live in globals(); this hook only tells type checkers that the
    # module has attributes they cannot see (PEP 562), and fails for every other name.
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = sorted([*_CLASSES, "AveragePrecision", "FocalkitLoss", "LossSchedule",
                  "MinorityF1Score", "loss_class"])
