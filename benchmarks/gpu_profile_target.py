"""Launch each Triton kernel twice (warm-up, then the launch to profile) for ncu.

``ncu --launch-skip 4 --launch-count 4 python benchmarks/gpu_profile_target.py`` profiles
the binary forward/backward (bf16, 2^27) and the softmax forward/backward (fp32, C=80).
"""

from __future__ import annotations

import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from focalkit.torch import kernels  # noqa: E402

n = 1 << 27
one = torch.ones((), device="cuda")
xb = torch.randn(n, device="cuda").to(torch.bfloat16)
yb = (torch.rand(n, device="cuda") < 0.1).to(torch.uint8)
xs = torch.randn(n // 80, 80, device="cuda")
ts = torch.randint(0, 80, (n // 80,), device="cuda")
kb = {"gamma": 2.0, "alpha": 0.25, "reduction": "mean"}
ks = {"gamma": 2.0, "ignore_index": -100, "label_smoothing": 0.0, "reduction": "mean"}
for _ in range(2):
    kernels.binary_forward(xb, yb, None, None, **kb)
    kernels.binary_backward(one, xb, yb, None, None, **kb)
    kernels.softmax_forward(xs, ts, None, **ks)
    kernels.softmax_backward(one, xs, ts, None, **ks)
torch.cuda.synchronize()
