"""Golden-value regression tests: every public name recomputed against ``golden.npz``.

The values were frozen (by ``make_golden.py``) from the code before the loss-registry
refactor; this file recomputes each entry through the public import paths
(``focalkit``, ``focalkit._core.alternatives``, ``focalkit.torch``, ``focalkit.boosting``,
``focalkit.sklearn``, ``focalkit.calibration``) and compares. One pytest case per stored
key; the computing code is shared with the generator (``make_golden.GROUPS``), each group
computed once per process.

A case is skipped only when its optional extra (torch, xgboost, lightgbm, catboost) is not
installed; anything else that cannot be computed fails. ``test_group_keys`` fails when a
group produces keys the golden file lacks or loses keys it has.

If a change is *meant* to alter values, regenerate with
``python tests/golden/make_golden.py`` and say why in the commit; ``--check`` lists the
differences without writing.
"""

from __future__ import annotations

import importlib.util
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest

_NAME = "focalkit_tests_golden_make"


def _generator() -> Any:
    """``make_golden.py`` as a module (tests run with ``--import-mode=importlib``)."""
    if _NAME in sys.modules:
        return sys.modules[_NAME]
    spec = importlib.util.spec_from_file_location(
        _NAME, Path(__file__).resolve().parent / "make_golden.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[_NAME] = module
    spec.loader.exec_module(module)
    return module


mg = _generator()
GOLDEN = mg.load_golden()
KEYS = sorted(GOLDEN)


def _by_group() -> tuple[dict[str, set[str]], list[str]]:
    groups: dict[str, set[str]] = defaultdict(set)
    orphans = []
    for key in KEYS:
        try:
            group, suffix = mg.group_of(key)
        except KeyError:
            orphans.append(key)
            continue
        groups[group.name].add(suffix)
    return groups, orphans


STORED, ORPHANS = _by_group()
_RESULTS: dict[str, Any] = {}


def _computed(group: Any) -> dict[str, Any]:
    """The group's outputs, computed once per process (a failure is remembered too)."""
    for module in group.requires:
        pytest.importorskip(module)
    if group.name not in _RESULTS:
        try:
            _RESULTS[group.name] = mg.compute(group)
        except Exception as exc:  # noqa: BLE001 - re-raised by every case of the group
            _RESULTS[group.name] = exc
    res = _RESULTS[group.name]
    if isinstance(res, Exception):
        raise res
    return res


@pytest.mark.parametrize("key", KEYS, ids=KEYS)
def test_golden(key: str) -> None:
    group, suffix = mg.group_of(key)  # KeyError: the generator lost the group
    out = _computed(group)
    assert suffix in out, f"{key}: the group {group.name!r} no longer computes {suffix!r}"
    actual, kind = out[suffix]
    why = mg.mismatch(actual, GOLDEN[key], kind)
    assert why is None, f"{key}: {why}"


@pytest.mark.parametrize("name", sorted(mg.GROUPS), ids=sorted(mg.GROUPS))
def test_group_keys(name: str) -> None:
    group = mg.GROUPS[name]
    stored = STORED.get(name, set())
    assert stored, f"group {name!r} has no entries in golden.npz (regenerate?)"
    computed = set(_computed(group))
    assert computed == stored, (
        f"{name}: new keys {sorted(computed - stored)}, lost keys {sorted(stored - computed)}"
    )


def test_no_orphan_keys() -> None:
    assert not ORPHANS, f"golden keys without a group in make_golden.py: {ORPHANS[:10]}"


def test_meta() -> None:
    meta = mg.load_meta()
    assert meta["commit"] != "unknown"
    assert not meta["source_dirty"], "golden values generated from a modified tree"
