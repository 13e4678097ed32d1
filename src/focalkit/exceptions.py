"""Error types. Each subclasses the builtin a user would catch (ValueError, ImportError)."""

from __future__ import annotations

__all__ = ["FocalkitError", "InvalidParameterError", "MissingExtraError", "require"]


class FocalkitError(Exception):
    """Base class of focalkit's own errors (never raised bare)."""


class InvalidParameterError(FocalkitError, ValueError, TypeError):
    """A parameter or input has the wrong value, type or shape.

    Subclasses both ``ValueError`` and ``TypeError`` so either ``except`` catches it.
    """


class MissingExtraError(FocalkitError, ImportError):
    """An optional dependency is missing; the message names the extra to install."""


def require(module: str, extra: str, *, feature: str, min_version: str | None = None):
    """Import ``module`` or raise :class:`MissingExtraError` naming the extra.

    Parameters
    ----------
    module : str
        Importable module name, e.g. ``"xgboost"``.
    extra : str
        The focalkit extra that installs it, e.g. ``"xgboost"``.
    feature : str
        What needs it, e.g. ``"focalkit.boosting.xgboost"``.
    min_version : str, optional
        Lowest supported version, checked with ``packaging``-free tuple comparison.

    Returns
    -------
    module
        The imported module.
    """
    import importlib

    need = f"{module}>={min_version}" if min_version else module
    hint = f"{feature} needs {need}: pip install 'focalkit[{extra}]'"
    try:
        mod = importlib.import_module(module)
    except ImportError as exc:
        raise MissingExtraError(hint) from exc
    if min_version is not None:
        have = getattr(mod, "__version__", "0")
        if _version_tuple(have) < _version_tuple(min_version):
            raise MissingExtraError(f"{hint} (found {module} {have})")
    return mod


def _version_tuple(version: str) -> tuple[int, ...]:
    parts = []
    for piece in version.split("+")[0].split("."):
        digits = "".join(ch for ch in piece if ch.isdigit())
        if not digits:
            break
        parts.append(int(digits))
    return tuple(parts)
