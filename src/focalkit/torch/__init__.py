r"""PyTorch losses: drop-ins for ``F.binary_cross_entropy_with_logits`` / ``F.cross_entropy``.

Every registered loss (:mod:`focalkit.losses`) with torch names has a function and an
``nn.Module`` twin here, generated from its spec (:mod:`focalkit.torch._generate`): the
same argument conventions everywhere (``weight``, ``reduction``, softmax
``ignore_index``), the same checks of targets, shapes and dtypes, and one
``torch.autograd.Function`` with the analytic gradient of :mod:`focalkit._core`. Fused
fast paths in :mod:`focalkit.torch.kernels` (the focal losses today) are tried first;
:func:`use_fast_path` switches them off. :func:`loss_function`, :func:`loss_module` and
:func:`loss_from_spec` look losses up by registry name or spec.

Needs the ``torch`` extra: ``pip install 'focalkit[torch]'``.
"""

from typing import Any

from focalkit.exceptions import require

torch = require("torch", "torch", feature="focalkit.torch")

from focalkit._core._backend import get_ops as _get_ops  # noqa: E402

# the helpers (__all__ is computed below, with the generated names)
from focalkit._core.alternatives import DeferredReweighting, ldam_margins  # noqa: E402, F401
from focalkit.torch import _generate  # noqa: E402
from focalkit.torch._deferred import check_pending_targets  # noqa: E402, F401
from focalkit.torch._generate import (  # noqa: E402, F401
    LossModule,
    loss_from_spec,
    loss_function,
    loss_module,
)
from focalkit.torch._init import prior_bias_init_, softmax_prior_bias_init_  # noqa: E402, F401
from focalkit.torch._settings import (  # noqa: E402, F401
    fast_path_enabled,
    sync_target_checks,
    use_fast_path,
)
from focalkit.torch.dense import (  # noqa: E402, F401 - region losses (segmentation)
    DiceCELoss,
    DiceFocalLoss,
    DiceLoss,
    FocalTverskyLoss,
    TverskyLoss,
    UnifiedFocalLoss,
    dice_ce_loss,
    dice_focal_loss,
    dice_loss,
    focal_tversky_loss,
    tversky_loss,
    unified_focal_loss,
)
from focalkit.torch.distributed import normalizer  # noqa: E402, F401

# the generated losses: one function and one module per registered spec with torch names
globals().update(_generate.FUNCTIONS)
globals().update(_generate.MODULES)

_get_ops(torch.empty(0))  # build the torch back end of _core now, not while compiling
del torch, require

_HELPERS = [
    "DeferredReweighting",
    "LossModule",
    "check_pending_targets",
    "fast_path_enabled",
    "ldam_margins",
    "loss_from_spec",
    "loss_function",
    "loss_module",
    "prior_bias_init_",
    "softmax_prior_bias_init_",
    "sync_target_checks",
    "use_fast_path",
]
_DENSE = [
    "DiceCELoss", "DiceFocalLoss", "DiceLoss", "FocalTverskyLoss", "TverskyLoss",
    "UnifiedFocalLoss", "dice_ce_loss", "dice_focal_loss", "dice_loss", "focal_tversky_loss",
    "normalizer", "tversky_loss", "unified_focal_loss",
]
__all__ = sorted([*_HELPERS, *_DENSE, *_generate.FUNCTIONS, *_generate.MODULES])

#: doctest collects the generated functions' examples from here (they are not defined in
#: a source file of this package)
__test__ = {name: obj for name, obj in (*_generate.FUNCTIONS.items(),
                                        *_generate.MODULES.items())
            if obj.__doc__ and ">>>" in obj.__doc__}


def __getattr__(name: str) -> Any:  # for type checkers: the generated names are dynamic
    raise AttributeError(f"module 'focalkit.torch' has no attribute {name!r}")
