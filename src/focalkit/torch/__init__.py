r"""PyTorch focal losses: drop-ins for ``F.binary_cross_entropy_with_logits``/``F.cross_entropy``.

Functional forms and ``nn.Module`` twins, implemented as ``torch.autograd.Function``\\ s with
the analytic gradient of :mod:`focalkit._core` (only the inputs are kept for the backward).
Fused fast paths in :mod:`focalkit.torch.kernels` are tried first; :func:`use_fast_path`
switches them off. Needs the ``torch`` extra: ``pip install 'focalkit[torch]'``.
"""

from focalkit.exceptions import require

torch = require("torch", "torch", feature="focalkit.torch")

from focalkit._core._backend import get_ops as _get_ops  # noqa: E402
from focalkit.torch._binary import (  # noqa: E402
    BinaryFocalLossWithLogits,
    binary_focal_loss_with_logits,
)
from focalkit.torch._dispatch import fast_path_enabled, use_fast_path  # noqa: E402
from focalkit.torch._softmax import FocalLoss, focal_loss  # noqa: E402

_get_ops(torch.empty(0))  # build the torch back end of _core now, not while compiling
del torch, require

__all__ = [
    "BinaryFocalLossWithLogits",
    "FocalLoss",
    "binary_focal_loss_with_logits",
    "fast_path_enabled",
    "focal_loss",
    "use_fast_path",
]
