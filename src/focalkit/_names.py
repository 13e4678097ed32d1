"""Public names of the generated adapters (JAX functions, Keras classes), from the registry.

One rule for every loss, so that a new spec gets its names without touching an adapter:
the registry name's words, with ``bce`` read as ``ce`` (the ``sigmoid_`` / ``Binary`` prefix
already says "binary") and acronyms upper-cased in class names.

>>> jax_function_name("focal", "softmax"), keras_class_names("focal", "softmax", True)
('softmax_focal_loss', ('SparseFocalLoss', 'FocalLoss'))
>>> jax_function_name("weighted_bce", "sigmoid"), keras_class_names("weighted_bce", "sigmoid")
('sigmoid_weighted_ce_loss', ('BinaryWeightedCELoss',))
"""

from __future__ import annotations

__all__ = ["jax_function_name", "keras_class_names"]

_WORDS = {"bce": "ce"}
_ACRONYMS = {"ce", "flsd", "ldam"}


def _words(name: str) -> list[str]:
    return [_WORDS.get(w, w) for w in name.split("_")]


def jax_function_name(name: str, kind: str) -> str:
    """``sigmoid_<words>_loss`` or ``softmax_<words>_loss`` (optax's naming)."""
    return f"{kind}_{'_'.join(_words(name))}_loss"


def keras_class_names(name: str, kind: str, dense_targets: bool = False) -> tuple[str, ...]:
    """``Binary<Stem>Loss``; softmax: ``Sparse<Stem>Loss`` (+ ``<Stem>Loss`` for dense targets)."""
    stem = "".join(w.upper() if w in _ACRONYMS else w[:1].upper() + w[1:] for w in _words(name))
    if kind == "sigmoid":
        return (f"Binary{stem}Loss",)
    return (f"Sparse{stem}Loss", f"{stem}Loss") if dense_targets else (f"Sparse{stem}Loss",)
