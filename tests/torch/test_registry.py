"""Every registered loss in torch, through the registry: one module, parametrised by spec.

The torch functions and modules are generated from the specs, so what holds for one holds
for all: these tests read the registry (``focalkit.losses.specs()``) and run every
property on every loss with torch names. Spec parameters come from the spec itself (its
defaults, label-dependent ones resolved from the test labels), so a new spec is tested
here without any edit. A spec without torch names is skipped explicitly (it must be one
that ``focalkit.torch`` reports as skipped).
"""

from __future__ import annotations

import threading

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import torch.nn.functional as F  # noqa: E402

import focalkit.torch as ft  # noqa: E402
from focalkit._core.losses import make_loss, specs  # noqa: E402
from focalkit.exceptions import InvalidParameterError  # noqa: E402
from focalkit.torch import _generate  # noqa: E402

D64 = torch.float64
REDUCTIONS = ["none", "mean", "sum"]
GAMMAS = [0.0, 0.25, 0.5, 1.0, 2.0, 5.0]
LOW_PRECISION = [torch.float32, torch.bfloat16, torch.float16]
C = 4  # classes / labels
#: probabilities where registered losses switch branch (ASL's clip, FLSD's threshold)
KINKS = (0.05, 0.2, 0.8, 0.95)


def _id(cls):
    return f"{cls.name}-{cls.kind}"


ALL = list(specs())
WITH_TORCH = [c for c in ALL if c.torch_function or c.torch_module]
SIGMOID = [c for c in WITH_TORCH if c.kind == "sigmoid"]
SOFTMAX = [c for c in WITH_TORCH if c.kind == "softmax"]


def test_specs_without_torch_names_are_the_skipped_ones():
    """Explicit, not silent: every spec either has torch names or is reported skipped."""
    without = {(c.name, c.kind) for c in ALL if not (c.torch_function or c.torch_module)}
    assert without == set(_generate.skipped())
    assert ("bce", "sigmoid") in without  # F.binary_cross_entropy_with_logits itself
    for name, kind in without:  # still reachable for tools, by registry name
        assert callable(ft.loss_function(name, kind))


@pytest.mark.parametrize("cls", ALL, ids=_id)
def test_every_spec_has_its_torch_names_or_is_skipped(cls):
    if not (cls.torch_function or cls.torch_module):
        pytest.skip(f"{_id(cls)} has no torch names (torch's own loss, or lookup only)")
    for name in (cls.torch_function, cls.torch_module):
        if name:
            assert name in ft.__all__
            assert getattr(ft, name)._focalkit_spec is cls


# ---------------------------------------------------------------------------- fixtures
def _labels(n, seed=0):
    g = torch.Generator().manual_seed(seed)
    y = torch.randint(0, C, (n,), generator=g)
    y[:C] = torch.arange(C)  # every class present
    return y


def _binary_targets(n, soft, seed=0):
    g = torch.Generator().manual_seed(seed)
    hard = (torch.rand(n, C, generator=g) < 0.4).to(D64)
    hard[0], hard[1] = 0.0, 1.0  # both classes in every label
    if not soft:
        return hard
    q = torch.rand(n, C, generator=g, dtype=D64)
    return torch.where(hard > 0, q, torch.zeros_like(q))  # soft positives, zero negatives


def _logits(shape, seed=0):
    """Logits off the registered losses' kinks (moderate, both signs)."""
    g = torch.Generator().manual_seed(seed)
    z = torch.randn(shape, generator=g, dtype=D64) * 2
    for _ in range(3):
        p = torch.sigmoid(z)
        near = torch.zeros_like(z, dtype=torch.bool)
        for k in KINKS:
            near |= (p - k).abs() < 0.03
        z = torch.where(near, z + 0.4, z)
    return z


def _softmax_logits(n, y, seed=0):
    z = _logits((n, C), seed)
    for _ in range(5):  # p_y off the kinks too
        p_y = torch.softmax(z, 1).gather(1, y[:, None]).squeeze(1)
        near = torch.zeros_like(p_y, dtype=torch.bool)
        for k in KINKS:
            near |= (p_y - k).abs() < 0.03
        z[near, 0] += 0.5
    return z


def _spec(cls, y, **changes):
    """The spec at its defaults (with ``changes``), label parameters resolved from ``y``."""
    labels = y.numpy()
    base = make_loss(cls.name, cls.kind, **changes)
    if base.needs_labels:
        base = base.resolve(labels, n_classes=C)
    return base


def _kwargs(cls, spec, module=False):
    """Keyword arguments of the spec's torch function (module) at ``spec``'s values."""
    import inspect

    if module:
        accepted = ft.loss_module(cls.name, cls.kind)._param_names
    else:
        accepted = inspect.signature(ft.loss_function(cls.name, cls.kind)).parameters
    kw = {}
    for k, v in spec.values.items():
        if cls.kind == "softmax" and k == "class_weight":
            continue
        if k in accepted:
            kw[k] = v
    return kw


def _binary_case(cls, n=6, soft=None, seed=0, module=False, **changes):
    soft = getattr(cls, "soft_targets", True) if soft is None else soft
    y = _binary_targets(n, soft, seed)
    z = _logits((n, C), seed)
    spec = _spec(cls, (y > 0).to(D64), **changes)
    return z, y, _kwargs(cls, spec, module)


def _softmax_case(cls, n=6, seed=0, module=False, **changes):
    y = _labels(n, seed)
    z = _softmax_logits(n, y, seed)
    spec = _spec(cls, y, **changes)
    return z, y, _kwargs(cls, spec, module)


def _case(cls, **kw):
    return _binary_case(cls, **kw) if cls.kind == "sigmoid" else _softmax_case(cls, **kw)


def _value_grad(fn, z, *args, **kwargs):
    z = z.detach().clone().requires_grad_(True)
    out = fn(z, *args, **kwargs)
    out.sum().backward()
    return out.detach(), z.grad


# ---------------------------------------------------------------------------- properties
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("cls", WITH_TORCH, ids=_id)
def test_function_equals_module(cls, reduction):
    z, y, kw = _case(cls)
    kw_module = _case(cls, module=True)[2]
    weight = torch.rand(C, dtype=D64) + 0.5 if cls.kind == "softmax" else \
        torch.rand(z.shape[0], 1, dtype=D64) + 0.5
    fn = ft.loss_function(cls.name, cls.kind)
    module = ft.loss_module(cls.name, cls.kind)(**kw_module, weight=weight,
                                                reduction=reduction)
    v_fn, g_fn = _value_grad(fn, z, y, weight=weight, reduction=reduction, **kw)
    v_mod, g_mod = _value_grad(module, z, y)
    torch.testing.assert_close(v_mod, v_fn, rtol=0, atol=0)
    torch.testing.assert_close(g_mod, g_fn, rtol=0, atol=0)
    assert isinstance(module, ft.LossModule)
    spec_module = ft.loss_from_spec(module.spec, weight=weight, reduction=reduction)
    torch.testing.assert_close(_value_grad(spec_module, z, y)[0], v_fn, rtol=0, atol=0)


@pytest.mark.parametrize("n", [6, 40], ids=["small", "fused-size"])
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("cls", [c for c in SIGMOID if c.neutral], ids=_id)
def test_neutral_sigmoid_equals_bce(cls, reduction, n):
    z, y, kw = _binary_case(cls, n=n, soft=False, **cls.neutral)
    w = torch.rand(n, C, dtype=D64) + 0.5
    fn = ft.loss_function(cls.name, cls.kind)
    ours, g_ours = _value_grad(fn, z, y, weight=w, reduction=reduction, **kw)
    ref, g_ref = _value_grad(F.binary_cross_entropy_with_logits, z, y, weight=w,
                             reduction=reduction)
    torch.testing.assert_close(ours, ref, rtol=1e-12, atol=1e-12)
    torch.testing.assert_close(g_ours, g_ref, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("n", [6, 40], ids=["small", "fused-size"])
@pytest.mark.parametrize("weighted", [False, True], ids=["", "weight"])
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("cls", [c for c in SOFTMAX if c.neutral], ids=_id)
def test_neutral_softmax_equals_cross_entropy(cls, reduction, weighted, n):
    neutral = {k: v for k, v in cls.neutral.items() if k != "class_weight"}
    z, y, kw = _softmax_case(cls, n=n, **neutral)
    y = y.clone()
    y[C + 1] = -100  # ignored
    w = torch.tensor([1.0, 2.0, 0.5, 3.0], dtype=D64) if weighted else None
    fn = ft.loss_function(cls.name, cls.kind)
    ours, g_ours = _value_grad(fn, z, y, weight=w, reduction=reduction, **kw)
    ref, g_ref = _value_grad(F.cross_entropy, z, y, weight=w, reduction=reduction)
    torch.testing.assert_close(ours, ref, rtol=1e-12, atol=1e-12)
    torch.testing.assert_close(g_ours, g_ref, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("n", [5, 20], ids=["below-fused", "above-fused"])  # x 4 elements
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("cls", WITH_TORCH, ids=_id)
def test_gradcheck(cls, reduction, n):
    z, y, kw = _case(cls, n=n)
    fn = ft.loss_function(cls.name, cls.kind)
    assert torch.autograd.gradcheck(lambda t: fn(t, y, reduction=reduction, **kw),
                                    (z.requires_grad_(True),))


@pytest.mark.parametrize("n", [5, 20], ids=["below-fused", "above-fused"])
@pytest.mark.parametrize("reduction", ["none", "sum"])
@pytest.mark.parametrize("cls", WITH_TORCH, ids=_id)
def test_gradgradcheck(cls, reduction, n):
    """Second derivatives (create_graph=True) on every path, the fused size included."""
    z, y, kw = _case(cls, n=n)
    fn = ft.loss_function(cls.name, cls.kind)
    assert torch.autograd.gradgradcheck(lambda t: fn(t, y, reduction=reduction, **kw),
                                        (z.requires_grad_(True),))


@pytest.mark.parametrize("cls", WITH_TORCH, ids=_id)
def test_create_graph_gradient_has_history_at_fused_size(cls):
    z, y, kw = _case(cls, n=64)
    z.requires_grad_(True)
    fn = ft.loss_function(cls.name, cls.kind)
    (g,) = torch.autograd.grad(fn(z, y, reduction="sum", **kw), z, create_graph=True)
    assert g.requires_grad
    (g_plain,) = torch.autograd.grad(fn(z, y, reduction="sum", **kw), z)
    torch.testing.assert_close(g.detach(), g_plain, rtol=1e-10, atol=1e-12)


def _gamma_like(cls):
    return [p.name for p in cls.params if p.name.startswith("gamma")]


def _valid_gammas(cls, y):
    out = []
    for g in GAMMAS:
        changes = dict.fromkeys(_gamma_like(cls), g)
        try:
            _spec(cls, y, **changes)
        except InvalidParameterError:
            continue
        out.append(changes)
    return out


@pytest.mark.parametrize("dtype", LOW_PRECISION, ids=str)
@pytest.mark.parametrize("cls", WITH_TORCH, ids=_id)
def test_finite_at_extreme_logits_for_every_gamma(cls, dtype):
    ext = torch.tensor([1e4, -1e4, 17.0, -17.0, 9.0, -9.0, 0.0, 30.0])
    fn = ft.loss_function(cls.name, cls.kind)
    if cls.kind == "sigmoid":
        z = torch.stack([ext, ext.flip(0), -ext, ext.roll(3)], 1)  # (8, 4)
        y = torch.zeros(8, C)
        y[::2] = 1.0
        y[1, 0] = 1.0
        labels = y
    else:
        z = torch.stack([ext, ext.roll(2), -ext, ext.roll(5)], 1)  # (8, 4)
        y = torch.arange(8) % C
        labels = y
    settings = _valid_gammas(cls, labels) if _gamma_like(cls) else [{}]
    assert settings
    for changes in settings:
        spec = _spec(cls, labels, **changes)
        kw = _kwargs(cls, spec)
        zz = z.to(dtype).requires_grad_(True)
        loss = fn(zz, y.to(dtype) if cls.kind == "sigmoid" else y, reduction="none", **kw)
        loss.sum().backward()
        # the loss comes back in the input's dtype: finite wherever its value fits it
        # (LDAM's scale 30 at z = 1e4 gives 3e5, above float16's 65504)
        with torch.no_grad():
            wide = fn(z.to(dtype).float(), y.float() if cls.kind == "sigmoid" else y,
                      reduction="none", **kw)
        fits = wide.abs() <= torch.finfo(dtype).max
        assert torch.isfinite(wide).all(), (changes, wide)
        assert torch.isfinite(loss[fits]).all(), (changes, loss)
        assert torch.isfinite(zz.grad).all(), (changes, zz.grad)


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16, torch.float32, D64],
                         ids=str)
@pytest.mark.parametrize("cls", WITH_TORCH, ids=_id)
def test_dtype_kept(cls, dtype):
    """The loss and the gradient in the input's dtype (half computed in float32)."""
    z, y, kw = _case(cls, n=20)
    fn = ft.loss_function(cls.name, cls.kind)
    for reduction in REDUCTIONS:
        zz = z.to(dtype).requires_grad_(True)
        t = y.to(dtype) if cls.kind == "sigmoid" else y
        out = fn(zz, t, reduction=reduction, **kw)
        out.sum().backward()
        assert out.dtype == dtype
        assert zz.grad.dtype == dtype


# ---------------------------------------------------------------------------- errors
@pytest.mark.parametrize("bad", [2.0, -0.5, float("nan")])
@pytest.mark.parametrize("n", [5, 40], ids=["reference", "fused-size"])
@pytest.mark.parametrize("cls", SIGMOID, ids=_id)
def test_bad_binary_target_values_raise(cls, n, bad):
    z, y, kw = _binary_case(cls, n=n)
    y = y.clone()
    y[1, 2] = bad
    fn = ft.loss_function(cls.name, cls.kind)
    with pytest.raises(InvalidParameterError, match=r"target of .* must hold values"):
        fn(z, y, **kw)
    with pytest.raises(InvalidParameterError, match="same shape"):
        fn(z, y[:, :1], **kw)


@pytest.mark.parametrize("n", [5, 40], ids=["reference", "fused-size"])
@pytest.mark.parametrize("cls", SOFTMAX, ids=_id)
def test_bad_labels_raise(cls, n):
    z, y, kw = _softmax_case(cls, n=n)
    fn = ft.loss_function(cls.name, cls.kind)
    for bad in (C, -3):
        yy = y.clone()
        yy[1] = bad
        with pytest.raises(InvalidParameterError, match=r"target of .* must hold values"):
            fn(z, yy, **kw)
    with pytest.raises(InvalidParameterError, match="target"):
        fn(z, y[:2], **kw)
    with pytest.raises(InvalidParameterError, match="'weight'"):
        fn(z, y, weight=torch.ones(C + 1), **kw)


@pytest.mark.parametrize("cls", WITH_TORCH, ids=_id)
def test_bad_parameters_raise_naming_the_argument(cls):
    z, y, kw = _case(cls)
    kw_module = _case(cls, module=True)[2]
    fn = ft.loss_function(cls.name, cls.kind)
    module = ft.loss_module(cls.name, cls.kind)
    for bad in ("bad", float("nan")):
        for name in kw:
            with pytest.raises(InvalidParameterError, match=f"'{name}'"):
                fn(z, y, **{**kw, name: bad})
        for name in kw_module:
            with pytest.raises(InvalidParameterError, match=f"'{name}'.*{module.__name__}"):
                module(**{**kw_module, name: bad})
    with pytest.raises(InvalidParameterError, match="'reduction'"):
        fn(z, y, reduction="avg", **kw)


@pytest.mark.parametrize("cls", WITH_TORCH, ids=_id)
def test_module_parameters_are_validated_attributes(cls):
    z, y, kw = _case(cls, module=True)
    module = ft.loss_module(cls.name, cls.kind)(**kw)
    before = module(z, y)
    for name, value in kw.items():
        setattr(module, name, value)  # the same value: the same loss
        with pytest.raises(InvalidParameterError, match=f"'{name}'"):
            setattr(module, name, "bad")
    torch.testing.assert_close(module(z, y), before)
    with pytest.raises(InvalidParameterError, match="'reduction'"):
        module.reduction = "avg"


# ---------------------------------------------------------------------------- names
def test_varifocal_comes_from_its_spec_file_alone():
    """The acceptance test of the registry: no loss-specific torch code for a new loss."""
    from pathlib import Path

    root = Path(ft.__file__).parent
    assert not [p for p in root.rglob("*.py") if "varifocal" in p.read_text().lower()]
    fn, module = ft.varifocal_loss_with_logits, ft.VarifocalLossWithLogits
    assert ft.loss_function("varifocal") is fn
    assert ft.loss_module("varifocal") is module
    z = torch.tensor([2.0, -1.0, 0.5])
    q = torch.tensor([0.8, 0.0, 0.3])
    ref = make_loss("varifocal", "sigmoid").loss(z.double().numpy(), q.double().numpy())
    torch.testing.assert_close(fn(z, q, reduction="none"), torch.tensor(ref).float())


def test_lookup_by_alias_and_spec():
    assert ft.loss_function("poly1", "sigmoid") is ft.poly1_binary_focal_loss_with_logits
    assert ft.loss_module("focal", "softmax") is ft.FocalLoss
    # an alias that stands for a setting: Poly-1 focal is poly1 at gamma=2
    z, y = torch.randn(6, C, dtype=D64), _binary_targets(6, False)
    torch.testing.assert_close(
        ft.loss_function("poly1_focal", "sigmoid")(z, y),
        ft.poly1_binary_focal_loss_with_logits(z, y, gamma=2.0))
    torch.testing.assert_close(
        ft.loss_module("poly1_focal", "sigmoid")()(z, y),
        ft.poly1_binary_focal_loss_with_logits(z, y, gamma=2.0))
    # historic parameters (margins) are not the spec's (class counts): a generated twin
    ldam = ft.loss_function("ldam")
    assert ldam is not ft.ldam_loss
    z, y = torch.randn(6, C, dtype=D64), _labels(6)
    counts = [10.0, 5.0, 2.0, 1.0]
    margins = ft.ldam_margins(counts)
    torch.testing.assert_close(ldam(z, y, class_counts=counts, scale=2.0),
                               ft.ldam_loss(z, y, margins=margins, scale=2.0))
    spec = make_loss("focal", "softmax", gamma=1.0, class_weight=[1.0, 2.0, 1.0, 1.0])
    module = ft.loss_from_spec(spec)
    assert type(module) is ft.FocalLoss
    torch.testing.assert_close(
        module(z, y), ft.focal_loss(z, y, gamma=1.0, weight=torch.tensor([1.0, 2, 1, 1])))
    with pytest.raises(InvalidParameterError, match="'loss'"):
        ft.loss_function("no-such-loss")


def test_fused_kernels_are_a_hook_of_the_focal_specs_only():
    from focalkit._core.losses import get_loss
    from focalkit.torch._hooks import hook_for

    hooked = {_id(c) for c in ALL if hook_for(c) is not None}
    assert {"focal-sigmoid", "focal-softmax", "bce-sigmoid", "bce-softmax"} <= hooked
    assert hook_for(get_loss("varifocal", "sigmoid")) is None


# ---------------------------------------------------------------------------- settings
@pytest.mark.parametrize("switch", ["use_fast_path", "sync_target_checks"])
def test_settings_are_context_local_across_threads(switch):
    """Two threads whose ``with`` blocks exit out of order leave the default in place."""
    setting = getattr(ft, switch)
    read = ft.fast_path_enabled if switch == "use_fast_path" else \
        __import__("focalkit.torch._settings", fromlist=["x"]).sync_enabled
    default = read()
    entered = threading.Barrier(2)
    first_out = threading.Event()
    seen = {}

    def worker(name, exit_first):
        with setting(not default):
            entered.wait()
            seen[name + "-inside"] = read()
            if not exit_first:
                first_out.wait()
        if exit_first:
            first_out.set()
        seen[name + "-after"] = read()

    a = threading.Thread(target=worker, args=("a", True))
    b = threading.Thread(target=worker, args=("b", False))
    a.start()
    b.start()
    a.join()
    b.join()
    assert seen == {"a-inside": not default, "b-inside": not default,
                    "a-after": default, "b-after": default}
    assert read() == default


def test_fast_path_switch_in_a_thread_does_not_leak():
    out = {}

    def worker():
        ft.use_fast_path(False)  # plain call: for the rest of this thread
        out["inside"] = ft.fast_path_enabled()

    t = threading.Thread(target=worker)
    t.start()
    t.join()
    assert out["inside"] is False
    assert ft.fast_path_enabled() is True


def test_backward_takes_the_forward_path():
    """The fast-path setting is read in the forward; the backward follows it."""
    z = torch.randn(200, C, requires_grad=True)
    y = (torch.rand(200, C) < 0.3).float()
    with ft.use_fast_path(False):
        out = ft.binary_focal_loss_with_logits(z, y)
    out.backward()  # outside the block: still the reference path's kept gradient
    z2 = z.detach().clone().requires_grad_(True)
    with ft.use_fast_path(False):
        ft.binary_focal_loss_with_logits(z2, y).backward()
    torch.testing.assert_close(z.grad, z2.grad, rtol=0, atol=0)


def test_numpy_and_tensor_parameters_agree():
    z, y = torch.randn(8, C, dtype=D64), _binary_targets(8, False)
    gammas = np.array([0.0, 0.5, 2.0, 3.0])
    a = ft.binary_focal_loss_with_logits(z, y, gamma=gammas)
    b = ft.binary_focal_loss_with_logits(z, y, gamma=torch.tensor(gammas))
    c = ft.binary_focal_loss_with_logits(z, y, gamma=list(gammas))
    torch.testing.assert_close(a, b, rtol=0, atol=0)
    torch.testing.assert_close(a, c, rtol=0, atol=0)


def _linear_in_target(cls):
    from focalkit.torch._hooks import hook_for

    hook = hook_for(cls)
    return hook is not None and hook.linear_in_target


@pytest.mark.parametrize("cls", [c for c in SIGMOID if not _linear_in_target(c)], ids=_id)
def test_target_requiring_grad_is_refused_unless_linear(cls):
    z, y, kw = _binary_case(cls)
    fn = ft.loss_function(cls.name, cls.kind)
    with pytest.raises(InvalidParameterError, match="not differentiable with respect to target"):
        fn(z, y.clone().requires_grad_(True), **kw)


@pytest.mark.parametrize("cls", WITH_TORCH, ids=_id)
def test_modules_pickle_copy_and_move(cls):
    import copy
    import pickle

    z, y, kw = _case(cls, module=True)
    module = ft.loss_module(cls.name, cls.kind)(**kw)
    for other in (pickle.loads(pickle.dumps(module)), copy.deepcopy(module)):
        torch.testing.assert_close(other(z, y), module(z, y), rtol=0, atol=0)
    state = module.state_dict()
    fresh = ft.loss_module(cls.name, cls.kind)(**kw)
    fresh.load_state_dict(state)
    assert repr(module).startswith(type(module).__name__)
    module.to(torch.float32)  # buffers follow; the loss still runs
    assert torch.isfinite(module(z.float(), y if cls.kind == "softmax" else y.float()))


# ---------------------------------------------------------------------------- normalizer
@pytest.mark.parametrize("reduction", ["sum", "mean"])
@pytest.mark.parametrize("cls", WITH_TORCH, ids=_id)
def test_normalizer_divides_the_summed_loss(cls, reduction):
    z, y, kw = _case(cls, n=40)  # 160 logits: the fused kernels where a spec has them
    kw_module = _case(cls, n=40, module=True)[2]
    fn = ft.loss_function(cls.name, cls.kind)
    module = ft.loss_module(cls.name, cls.kind)(**kw_module, reduction=reduction)
    total = fn(z, y, reduction="sum", **kw)
    for n in (7.0, 7, torch.tensor(7), torch.tensor([7.0])):
        assert torch.equal(fn(z, y, reduction=reduction, normalizer=n, **kw), total / 7.0)
        assert torch.equal(module(z, y, normalizer=n), total / 7.0)


@pytest.mark.parametrize("cls", WITH_TORCH, ids=_id)
def test_normalizer_refuses_reduction_none_and_bad_values(cls):
    z, y, kw = _case(cls)
    fn = ft.loss_function(cls.name, cls.kind)
    module = ft.loss_module(cls.name, cls.kind)(**_case(cls, module=True)[2],
                                                reduction="none")
    with pytest.raises(InvalidParameterError, match="'normalizer'.*reduction='none'"):
        fn(z, y, reduction="none", normalizer=4.0, **kw)
    with pytest.raises(InvalidParameterError, match="'normalizer'.*reduction='none'"):
        module(z, y, normalizer=4.0)
    for bad in (0.0, -1.0, float("nan"), float("inf"), "4", True, torch.ones(2)):
        with pytest.raises(InvalidParameterError, match="'normalizer' parameter"):
            fn(z, y, normalizer=bad, **kw)
    with pytest.raises(InvalidParameterError, match="cannot require grad"):
        fn(z, y, normalizer=torch.tensor(3.0, requires_grad=True), **kw)


# ---------------------------------------------------------------------------- ignore_index
def _masked_reference(fn, z, y, valid, reduction, kw):
    """The loss of the valid elements only, and its gradient (zero elsewhere)."""
    z = z.detach().clone().requires_grad_(True)
    per = fn(z, torch.where(valid, y, torch.zeros_like(y)), reduction="none", **kw)
    per = torch.where(valid, per, torch.zeros_like(per))
    out = {"none": per, "sum": per.sum(), "mean": per.sum() / valid.sum()}[reduction]
    out.sum().backward()
    return out.detach(), z.grad


@pytest.mark.parametrize("n", [6, 40], ids=["small", "fused-size"])
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("cls", SIGMOID, ids=_id)
def test_sigmoid_ignore_index_equals_the_masked_reference(cls, reduction, n):
    z, y, kw = _binary_case(cls, n=n)
    valid = torch.rand(y.shape, generator=torch.Generator().manual_seed(3)) > 0.3
    y = torch.where(valid, y, torch.full_like(y, -1.0))
    z = torch.where(valid, z, torch.full_like(z, float("nan")))  # ignored: any logit
    z[0, 0], y[0, 0] = float("inf"), -1.0
    valid[0, 0] = False
    fn = ft.loss_function(cls.name, cls.kind)
    expected, expected_grad = _masked_reference(fn, torch.nan_to_num(z), y, valid,
                                                reduction, kw)
    value, grad = _value_grad(fn, z, y, ignore_index=-1, reduction=reduction, **kw)
    torch.testing.assert_close(value, expected, rtol=1e-12, atol=1e-14)
    torch.testing.assert_close(grad, expected_grad, rtol=1e-12, atol=1e-14)
    module = ft.loss_module(cls.name, cls.kind)(**_binary_case(cls, n=n, module=True)[2],
                                                ignore_index=-1, reduction=reduction)
    torch.testing.assert_close(_value_grad(module, z, y)[0], value, rtol=0, atol=0)


@pytest.mark.parametrize("cls", SIGMOID, ids=_id)
def test_sigmoid_ignore_index_gradcheck_all_ignored_and_default(cls):
    z, y, kw = _binary_case(cls)
    y[1:3] = -1.0
    fn = ft.loss_function(cls.name, cls.kind)
    zg = z.detach().clone().requires_grad_(True)
    assert torch.autograd.gradcheck(lambda a: fn(a, y, ignore_index=-1, **kw), (zg,))
    assert fn(z, torch.full_like(y, -1.0), ignore_index=-1, **kw).isnan()  # 0 / 0
    with pytest.raises(InvalidParameterError, match=r"\[0, 1\]"):
        fn(z, y, **kw)  # default None: -1 is a bad target, as in BCE
    with pytest.raises(InvalidParameterError, match="'ignore_index'.*None or an int"):
        fn(z, y, ignore_index=-1.0, **kw)
    y[0, 0] = 2.0  # other bad values still raise
    with pytest.raises(InvalidParameterError, match=r"\[0, 1\].*got 2.0"):
        fn(z, y, ignore_index=-1, **kw)
