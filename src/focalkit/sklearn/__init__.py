"""scikit-learn estimators trained with focalkit's losses.

``import focalkit.sklearn`` is light: torch is imported inside ``fit`` only (install it with
``pip install 'focalkit[torch]'``).
"""

from focalkit.sklearn._losses import LOSS_NAMES
from focalkit.sklearn._mlp import FocalMLPClassifier

__all__ = ["LOSS_NAMES", "FocalMLPClassifier"]
