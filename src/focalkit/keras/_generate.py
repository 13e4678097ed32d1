"""Generate the Keras loss classes of :mod:`focalkit.keras` from the loss registry.

Per spec: ``Binary<Stem>Loss`` (sigmoid specs), ``Sparse<Stem>Loss`` (softmax specs) and
``<Stem>Loss`` (softmax specs that take class-probability targets); names from
:mod:`focalkit._names`. Each class is registered with
``keras.saving.register_keras_serializable(package="focalkit")``.
"""

from __future__ import annotations

import inspect
from typing import Any

import numpy as np

import keras
from focalkit._core.losses import REQUIRED, LossSpec, specs
from focalkit._names import keras_class_names
from focalkit.keras._losses import FocalkitLoss, has_schedule, offers_label_smoothing

__all__ = ["generate"]

_Z_BIN = np.array([[2.0], [-1.0], [0.5], [-3.0]])
_Y_BIN = np.array([[1.0], [0.0], [0.0], [1.0]])
_Z_SM = np.array([[2.0, 0.0, -1.0], [0.0, 1.0, 0.0], [-1.0, 0.0, 1.0], [1.0, 0.0, 0.0]])
_Y_SM = np.array([0, 1, 2, 2])


def _fmt(value: Any) -> str:
    if isinstance(value, np.ndarray):
        return repr(np.round(value, 4).tolist())
    return repr(value)


def _example(cls: type[LossSpec], name: str, target: str) -> str:
    spec = cls(owner=name)
    labels = _Y_BIN[:, 0] if target == "binary" else _Y_SM
    extra: dict[str, Any] = {}
    if spec.needs_labels:
        resolved = spec.resolve(labels, n_classes=None if target == "binary" else 3)
        for key in cls.from_labels:
            v, old = resolved.values[key], spec.values[key]
            if isinstance(v, np.ndarray) or v != old:
                extra[key] = np.round(v, 4) if isinstance(v, np.ndarray) else round(float(v), 4)
        spec = cls(owner=name, **extra)
    if has_schedule(cls) and spec.at_epoch(2**31) != spec:  # pragma: no cover
        return ""
    if target == "binary":
        value = float(np.mean(spec.loss(_Z_BIN, _Y_BIN)))
        y_text = "np.array([[1.0], [0.0], [0.0], [1.0]])"
        z_text = "np.array([[2.0], [-1.0], [0.5], [-3.0]])"
    else:
        value = float(np.mean(spec.loss(_Z_SM, _Y_SM)))
        y_text = ("np.array([0, 1, 2, 2])" if target == "sparse" else
                  "np.eye(3)[[0, 1, 2, 2]]")
        z_text = "np.array([[2.0, 0.0, -1.0], [0.0, 1.0, 0.0], [-1.0, 0.0, 1.0], [1.0, 0.0, 0.0]])"
    kw = ", ".join(f"{k}={_fmt(v)}" for k, v in extra.items())
    return (f">>> import numpy as np\n>>> from focalkit.keras import {name}\n"
            f">>> loss = {name}({kw})\n>>> y_true = {y_text}\n"
            f">>> logits = {z_text}\n"
            f">>> round(float(loss(y_true, logits)), 4)\n{round(value, 4)}\n")


def _doc(cls: type[LossSpec], name: str, target: str) -> str:
    title = cls.title[:1].upper() + cls.title[1:]
    first = (cls.__doc__ or "").strip().splitlines()[0] if cls.__doc__ else ""
    layout = {
        "binary": "binary and multi-label targets: 0/1 (or soft) targets shaped like the "
                  "predictions; the per-sample loss is the mean over the last axis, as in "
                  "``keras.losses.BinaryCrossentropy``",
        "sparse": "integer class labels (the predictions' shape without the class axis, or "
                  "with a trailing 1), as in ``keras.losses.SparseCategoricalCrossentropy``",
        "dense": "one-hot or class-probability targets shaped like the predictions, as in "
                 "``keras.losses.CategoricalCrossentropy``",
    }[target]
    lines = []
    for p in cls.params:
        default = None if p.default is REQUIRED else p.default
        note = ""
        if p.name in cls.from_labels:
            note = ("; required: pass it or call ``adapt(y_train)``" if p.default is REQUIRED
                    else "; a string such as 'balanced' is computed by ``adapt(y_train)``")
        lines.append(f"{p.name} : default={default!r}\n    {p.doc}{note}.")
    lines.append("from_logits : bool, default=True\n    ``False``: the predictions are "
                 "probabilities; the logits of a sigmoid/softmax output are used when Keras "
                 "kept them, otherwise probabilities are mapped back to logits without "
                 "clipping (only an exact 0 or 1 moves by one ulp).")
    if offers_label_smoothing(cls, target):
        lines.append("label_smoothing : float, default=0.0\n    Targets become "
                     "``y (1 - s) + s / 2`` (Keras' binary label smoothing).")
    if target != "dense":
        lines.append("ignore_class : int, optional\n    Targets equal to it are left out of "
                     "the loss and of the mean's denominator.")
    if target != "binary":
        lines.append("axis : int, default=-1\n    The class axis of the predictions.")
    lines.append("reduction, name, dtype\n    As in ``keras.losses.Loss``.")
    neutral = ("" if cls.neutral is None else
               f"At {', '.join(f'{k}={v!r}' for k, v in cls.neutral.items())} it equals "
               f"Keras' {'BinaryCrossentropy' if target == 'binary' else 'cross-entropy'} "
               "(from logits). ")
    refs = f"\nReferences\n----------\n{cls.reference}\n" if cls.reference else ""
    example = _example(cls, name, target)
    examples = f"\nExamples\n--------\n{example}" if example else ""
    schedule = (" The parameters may define a schedule over epochs: add "
                "``focalkit.keras.LossSchedule()`` to ``fit``'s callbacks."
                if has_schedule(cls) else "")
    notes = (f"{neutral}Generated from the loss spec ``focalkit.losses.get_loss({cls.name!r}, "
             f"{cls.kind!r})``. The gradient is the spec's analytic one on the JAX, TensorFlow "
             "and PyTorch back ends (finite at any margin); the class saves and loads with "
             f"the model (``get_config``).{schedule}")
    return (f"{title} for Keras 3 ({target} targets), with the spec's analytic gradient.\n\n"
            f"{first}\n\nTargets: {layout}.\n\nParameters\n----------\n" + "\n".join(lines)
            + f"\n\nNotes\n-----\n{notes}\n{refs}{examples}")


def _signature(cls: type[LossSpec], target: str) -> inspect.Signature:
    p = inspect.Parameter
    sig = [p(q.name, p.KEYWORD_ONLY, default=None if q.default is REQUIRED else q.default)
           for q in cls.params]
    sig.append(p("from_logits", p.KEYWORD_ONLY, default=True))
    if offers_label_smoothing(cls, target):
        sig.append(p("label_smoothing", p.KEYWORD_ONLY, default=0.0))
    if target != "dense":
        sig.append(p("ignore_class", p.KEYWORD_ONLY, default=None))
    if target != "binary":
        sig.append(p("axis", p.KEYWORD_ONLY, default=-1))
    sig += [p("reduction", p.KEYWORD_ONLY, default="sum_over_batch_size"),
            p("name", p.KEYWORD_ONLY, default=None), p("dtype", p.KEYWORD_ONLY, default=None)]
    return inspect.Signature(sig)


def generate() -> dict[str, type[FocalkitLoss]]:
    """Class name -> generated, registered Keras loss class, for every registered spec."""
    out: dict[str, type[FocalkitLoss]] = {}
    for cls in specs():
        names = keras_class_names(cls.name, cls.kind, getattr(cls, "dense_targets", False))
        targets = ("binary",) if cls.kind == "sigmoid" else ("sparse", "dense")[:len(names)]
        for name, target in zip(names, targets, strict=False):
            klass = type(name, (FocalkitLoss,), {
                "spec": cls, "target": target, "__module__": "focalkit.keras",
                "__qualname__": name, "__doc__": _doc(cls, name, target),
            })
            klass.__signature__ = _signature(cls, target)  # type: ignore[attr-defined]
            out[name] = keras.saving.register_keras_serializable(
                package="focalkit", name=name)(klass)
    return out
