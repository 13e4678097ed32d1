"""``LossSchedule``: the training epoch for losses whose parameters change with it."""

from __future__ import annotations

from typing import Any

import keras
from focalkit.keras._losses import FocalkitLoss, has_schedule

__all__ = ["LossSchedule"]


def _losses(model: Any) -> list[FocalkitLoss]:
    loss = getattr(model, "loss", None)
    items = loss.values() if isinstance(loss, dict) else (
        loss if isinstance(loss, (list, tuple)) else [loss])
    return [x for x in items if isinstance(x, FocalkitLoss)]


class LossSchedule(keras.callbacks.Callback):
    """Tell focalkit losses the current epoch (LDAM's deferred re-weighting, ``at_epoch``).

    At the start of each epoch the compiled losses of the model get the epoch number; when
    that changes a loss (the re-weighting starts), the train function is rebuilt so that
    the compiled step uses the new weights.

    Examples
    --------
    >>> from focalkit.keras import LossSchedule, SparseLDAMLoss
    >>> loss = SparseLDAMLoss(class_counts=[90, 10], scale=1.0, drw_start=5)
    >>> callbacks = [LossSchedule()]  # model.fit(..., callbacks=callbacks)
    """

    def on_epoch_begin(self, epoch: int, logs: Any = None) -> None:
        """Set the epoch on every scheduled loss; rebuild the step if a loss changed."""
        changed = False
        for loss in _losses(self.model):
            if not has_schedule(type(loss.loss_spec)):
                continue
            before = loss._current_spec() if loss.epoch is not None else None
            loss.set_epoch(epoch)
            changed |= before is None or loss._current_spec() != before
        if changed:
            self.model.make_train_function(force=True)
