"""focalkit.torch.distributed.normalizer: alone, and DDP on 2 gloo ranks (localhost)."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")

from focalkit.exceptions import InvalidParameterError  # noqa: E402
from focalkit.torch.distributed import normalizer  # noqa: E402


@pytest.mark.parametrize(
    ("count", "kw", "want"),
    [(0, {}, 1.0), (37, {}, 37.0), (torch.tensor(5), {}, 5.0), (torch.tensor([2.5]), {}, 2.5),
     (0.2, {"min_count": 0.5}, 0.5), (3, {"average_over_ranks": False}, 3.0)],
    ids=["zero", "int", "tensor", "one-element", "min_count", "no-average"],
)
def test_single_process_is_the_clamped_count(count, kw, want):
    out = normalizer(count, **kw)
    assert out.dtype == torch.float32
    assert out.shape == ()
    assert not out.requires_grad
    assert out.item() == want


def test_keeps_a_float32_loss_float32_and_detaches():
    n = torch.tensor(4.0, requires_grad=True)
    loss = torch.ones(3).sum() / normalizer(n)
    assert loss.dtype == torch.float32
    assert loss.item() == 0.75


@pytest.mark.parametrize(
    ("call", "match"),
    [(lambda: normalizer("3"), r"The 'count' parameter of normalizer must be a number"),
     (lambda: normalizer(torch.ones(2)), r"one-element tensor"),
     (lambda: normalizer(3, min_count=0), r"'min_count' parameter of normalizer"),
     (lambda: normalizer(3, average_over_ranks=1), r"'average_over_ranks' parameter")],
)
def test_errors(call, match):
    with pytest.raises(InvalidParameterError, match=match):
        call()


@pytest.mark.slow
@pytest.mark.skipif(not torch.distributed.is_available()
                    or not torch.distributed.is_gloo_available(), reason="needs gloo")
def test_ddp_with_the_normalizer_matches_single_process_training(tmp_path):
    """2 ranks x 4 images with sum / normalizer(num_pos) == 1 process x 8 images with
    sum / max(num_pos, 1): same parameters after 6 SGD steps (one step without any
    positive, one where a single rank has them). The naive per-rank count differs."""
    script = Path(__file__).with_name("_ddp_script.py")
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    run = subprocess.run([sys.executable, str(script), str(tmp_path)], env=env,
                         capture_output=True, text=True, timeout=240)
    assert run.returncode == 0, run.stderr[-3000:]
    single = torch.load(tmp_path / "single.pt")
    ranks = [torch.load(tmp_path / f"ddp_{r}.pt") for r in (0, 1)]
    for rank in ranks:
        for a, b in zip(rank["normalizer"], single, strict=True):
            torch.testing.assert_close(a, b, rtol=1e-10, atol=1e-12)
    naive_gap = max((a - b).abs().max().item()
                    for a, b in zip(ranks[0]["naive"], single, strict=True))
    assert naive_gap > 1e-4
