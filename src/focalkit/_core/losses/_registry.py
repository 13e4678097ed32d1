"""The registry of loss specs: every layer that lists losses reads it."""

from __future__ import annotations

from typing import Any

from focalkit._core.losses._spec import LossSpec
from focalkit.exceptions import InvalidParameterError

__all__ = ["KINDS", "get_loss", "loss_names", "make_loss", "register", "specs"]

KINDS = ("sigmoid", "softmax")
_SPECS: dict[tuple[str, str], type[LossSpec]] = {}
_ALIASES: dict[tuple[str, str], str] = {}


def register(cls: type[LossSpec]) -> type[LossSpec]:
    """Class decorator: add a spec to the registry (name and aliases, per kind)."""
    key = (cls.name, cls.kind)
    if key in _SPECS or key in _ALIASES:
        raise AssertionError(f"loss {cls.name!r} ({cls.kind}) registered twice")
    _SPECS[key] = cls
    for alias in cls.aliases:
        _ALIASES[(alias, cls.kind)] = cls.name
    return cls


def canonical_name(name: str, kind: str | None = None) -> str:
    """The registry name of ``name`` (an alias maps to its loss)."""
    for k in ((kind,) if kind else KINDS):
        if (name, k) in _SPECS:
            return name
        if (name, k) in _ALIASES:
            return _ALIASES[(name, k)]
    return name


def loss_names(kind: str | None = None, *, aliases: bool = False) -> tuple[str, ...]:
    """Registered loss names (of one kind, or all), sorted; with ``aliases`` too."""
    names = {n for (n, k) in _SPECS if kind in (None, k)}
    if aliases:
        names |= {a for (a, k) in _ALIASES if kind in (None, k)}
    return tuple(sorted(names))


def specs(kind: str | None = None) -> tuple[type[LossSpec], ...]:
    """The registered spec classes, sorted by (name, kind)."""
    return tuple(_SPECS[key] for key in sorted(_SPECS) if kind in (None, key[1]))


def get_loss(name: Any, kind: str | None = None, *, owner: str = "get_loss") -> type[LossSpec]:
    """The spec class of loss ``name``; ``kind`` picks the sigmoid or softmax form.

    Without ``kind`` the name must have one form only. An unknown name, or a form the loss
    does not have, raises :class:`~focalkit.exceptions.InvalidParameterError` listing the
    choices.
    """
    if kind is not None and kind not in KINDS:
        raise InvalidParameterError(f"{owner}: kind must be one of {KINDS}; got {kind!r}.")
    if not isinstance(name, str) or canonical_name(name) not in loss_names():
        raise InvalidParameterError(
            f"The 'loss' parameter of {owner} must be one of "
            f"{', '.join(map(repr, loss_names()))}. Got {name!r}."
        )
    base = canonical_name(name, kind)
    forms = [k for k in KINDS if (base, k) in _SPECS]
    if kind is None:
        if len(forms) > 1:
            raise InvalidParameterError(
                f"{owner}: the loss {name!r} has a sigmoid and a softmax form; say which "
                "(kind='sigmoid' or kind='softmax')."
            )
        kind = forms[0]
    if (base, kind) not in _SPECS:
        if not forms:  # an alias of the other form only, e.g. "logit_adjusted_ce"
            other = next(k for k in KINDS if (name, k) in _ALIASES)
            raise InvalidParameterError(
                f"{owner}: {name!r} names the {other} form of {canonical_name(name, other)!r}; "
                f"for {kind} targets use {canonical_name(name, other)!r}."
            )
        have = " and ".join(forms)
        what = ("binary / multi-label targets (sigmoid)" if kind == "sigmoid"
                else "multi-class targets (softmax)")
        raise InvalidParameterError(
            f"{owner}: the loss {name!r} has no form for {what}; it is a {have} loss. "
            f"Losses for {what}: {', '.join(loss_names(kind))}."
        )
    return _SPECS[(base, kind)]


def make_loss(name: Any, kind: str | None = None, *, owner: str | None = None,
              **params: Any) -> LossSpec:
    """An instance of loss ``name`` at ``params`` (validated).

    Examples
    --------
    >>> make_loss("focal", "sigmoid", gamma=2.0)
    SigmoidFocalLoss(gamma=2.0, alpha=None, pos_weight=None)
    """
    cls = get_loss(name, kind, owner=owner or "make_loss")
    # an alias may stand for a setting of its loss ("poly1_focal" = poly1 with gamma=2)
    defaults = dict(cls.alias_defaults.get(name, {})) if isinstance(name, str) else {}
    return cls(owner=owner, **{**defaults, **params})
