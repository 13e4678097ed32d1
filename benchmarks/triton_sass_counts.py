"""Compile the Triton kernels for sm_90 without a GPU and count their SASS instructions.

Triton ships ``ptxas`` and ``nvdisasm``, so the kernels can be compiled for an H100 on any
machine. Pointers are marked 16-byte aligned and ``n`` divisible by 16, as a real launch
specialises them. Prints, per kernel variant, the instruction count of the whole kernel
(both the unmasked and the masked block paths where the kernel has them) and the counts
of the main instruction classes, and the loads' widths (``LDG.E.128`` = vectorised).

Usage: ``TRITON_DEFAULT_FP_FUSION=1 python benchmarks/triton_sass_counts.py``
"""

from __future__ import annotations

import collections
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

import triton
from triton.backends.compiler import GPUTarget
from triton.compiler import ASTSource

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from focalkit.torch.kernels import _triton_kernels as K  # noqa: E402

NVDISASM = Path(triton.__file__).parent / "backends" / "nvidia" / "bin" / "nvdisasm"


def compile_sm90(fn, signature: dict, constexprs: dict, warps: int, div16=()):  # noqa: ANN001
    sig = dict(signature)
    for name in constexprs:
        sig[name] = "constexpr"
    attrs = {(i,): [["tt.divisibility", 16]] for i, name in enumerate(sig)
             if sig[name].startswith("*") or name in div16}
    src = ASTSource(fn=fn, signature=sig, constexprs=constexprs, attrs=attrs)
    return triton.compile(src, target=GPUTarget("cuda", 90, 32), options={"num_warps": warps})


def report(name: str, kernel) -> None:  # noqa: ANN001
    with tempfile.NamedTemporaryFile(suffix=".cubin", delete=False) as f:
        f.write(kernel.asm["cubin"])
    sass = subprocess.run([str(NVDISASM), "-c", f.name], capture_output=True, text=True,
                          check=True).stdout
    os.unlink(f.name)
    ops = re.findall(r"^\s+/\*[0-9a-f]+\*/\s+(?:@!?U?P\w+\s+)?([A-Z0-9_.]+)", sass, re.M)
    counts = collections.Counter(o.split(".")[0] for o in ops)
    loads = collections.Counter(re.findall(r"LDG\.E[A-Z0-9._]*", sass))
    main = " ".join(f"{k}={counts.get(k, 0)}" for k in ("MUFU", "FFMA", "FMUL", "FADD", "FSEL",
                                                           "SHFL", "BAR"))
    print(f"{name:<40} {sum(counts.values()):5d} instr  {main}  loads {dict(loads)}")


def main() -> None:
    for dt, block, warps in (("fp32", 1024, 4), ("bf16", 2048, 4)):
        for mode in (0, 2):
            sig = {"X": f"*{dt}", "Y": "*u8", "W": f"*{dt}", "PW": f"*{dt}", "GO": "*fp32",
                   "OUT": "*fp32" if mode != 2 else f"*{dt}", "PART": "*fp32", "BAD": "*i32",
                   "n": "i64", "a_pos": "fp32", "a_neg": "fp32", "g": "fp32", "scale": "fp32",
                   "p_w": "i32", "p_pw": "i32"}
            consts = {"W_MODE": 0, "PW_MODE": 0, "GO_MODE": 3 if mode == 2 else 0, "IG": 2,
                      "HARD": True, "MODE": mode, "IS64": False, "FAST": True,
                      "CHECK": mode == 0, "BLOCK": block}
            k = compile_sm90(K.binary_kernel, sig, consts, warps, div16=("n",))
            report(f"binary uint8 {dt} {'fwd' if mode == 0 else 'bwd'} {block}x{warps}", k)
    for dt in ("fp32", "bf16"):
        for c, rows, bc in ((80, 32, 128), (1000, 4, 1024)):
            sig = {"X": f"*{dt}", "T": "*i64", "STATS": "*fp32", "n_rows": "i32",
                   "ignore_index": "i32"}
            k = compile_sm90(K.softmax_stats_kernel, sig,
                             {"C": c, "NEG": -3e38, "ROWS": rows, "BC": bc, "FAST": True}, 4)
            report(f"softmax stats {dt} C={c}", k)
            sig = {"X": f"*{dt}", "T": "*i64", "STATS": "*fp32", "GO": "*fp32", "DEN": "*fp32",
                   "OUT": f"*{dt}", "n": "i64", "n_rows": "i32", "scale": "fp32"}
            k = compile_sm90(K.softmax_grad_kernel, sig, {"C": c, "GO_MODE": 3, "HAS_DEN": True,
                                                          "FAST": True, "BLOCK": 1024}, 4,
                             div16=("n", "n_rows"))
            report(f"softmax grad {dt} C={c}", k)


if __name__ == "__main__":
    main()
