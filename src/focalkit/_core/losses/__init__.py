"""Loss specs, one module per loss, registered once (see :mod:`._spec`).

Importing this package registers every loss (it imports each public module of the
package). Adding a loss is one new module here (a
:class:`~._spec.SigmoidLoss` or :class:`~._spec.SoftmaxLoss` subclass decorated with
:func:`register`) plus its oracle tests; every adapter reads the registry.
"""

from focalkit._core.losses._registry import (
    KINDS,
    canonical_name,
    get_loss,
    loss_names,
    make_loss,
    register,
    specs,
)
from focalkit._core.losses._spec import REQUIRED, LossSpec, Param, SigmoidLoss, SoftmaxLoss


def _register_every_loss_module() -> None:
    """Import every public module of this package (each registers its specs on import).

    So a new loss is a new file here and nothing else; sorted, for a stable registry order.
    """
    import importlib
    import pkgutil

    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if not info.name.startswith("_"):
            importlib.import_module(f"{__name__}.{info.name}")


_register_every_loss_module()

__all__ = [
    "KINDS",
    "REQUIRED",
    "LossSpec",
    "Param",
    "SigmoidLoss",
    "SoftmaxLoss",
    "canonical_name",
    "get_loss",
    "loss_names",
    "make_loss",
    "register",
    "specs",
]
