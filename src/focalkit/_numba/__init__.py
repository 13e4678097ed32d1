"""numba helpers shared by the CPU kernels of every subpackage (requires numba).

:mod:`focalkit._numba.npmath` holds the vectorisable math primitives (``exp``, ``log1p``,
``q**gamma``) used by :mod:`focalkit.torch.kernels` and :mod:`focalkit.boosting`. This
package does not import numba itself; importing ``npmath`` does, so callers guard that
import (numba is the optional ``cpu`` extra).
"""
