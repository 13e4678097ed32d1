#!/usr/bin/env bash
# One device session: with T_SWEEP>0 a tile sweep first (its best configurations are then
# applied by the speed harness), the Triton kernel tests on CUDA, then the speed harness.
# Run from the repository root on a GPU machine; logs and JSON go to $OUT (default
# bench-out). The package is pure Python: src/ goes on PYTHONPATH (no install).
set -u -o pipefail
OUT=${OUT:-bench-out}
mkdir -p "$OUT"
export PYTHONPATH="$PWD/src${PYTHONPATH:+:$PYTHONPATH}" PYTHONUNBUFFERED=1
PY=${PY:-python3}
T_TESTS=${T_TESTS:-150}
T_BENCH=${T_BENCH:-210}
T_SWEEP=${T_SWEEP:-0}


{ nvidia-smi --query-gpu=name,memory.total,driver_version,clocks.sm,clocks.mem --format=csv
  $PY -c "import torch, triton, sys; print(sys.version.split()[0], torch.__version__, triton.__version__, torch.cuda.get_device_name())"
} 2>&1 | tee "$OUT/env.txt"

if [ "${T_SWEEP:-0}" -gt 0 ]; then
  echo "== tile sweep (kernels only, 2^27); the bench below applies its best configurations"
  timeout "$T_SWEEP" $PY benchmarks/gpu_sweep.py ${SWEEP_ONLY:+--only $SWEEP_ONLY} --out "$OUT/best.json" 2>&1 | tee "$OUT/sweep.log" | grep -E "best|rror"
fi

if [ "$T_TESTS" -gt 0 ]; then
  echo "== kernel tests on CUDA (pytest -m gpu)"
  NX=""; $PY -c "import xdist" 2>/dev/null && NX="-n 8"
  OMP_NUM_THREADS=2 timeout "$T_TESTS" $PY -m pytest -q -p no:cacheprovider -m gpu $NX \
      -p no:benchmark -o addopts="" --maxfail=6 --tb=short -rf \
      --strict-markers --import-mode=importlib -W error -W "ignore::DeprecationWarning" \
      tests/kernels/test_triton_cases.py tests/torch/test_cuda.py 2>&1 | tee "$OUT/tests.log" | tail -25
  echo "tests exit: $?"
fi

if [ "$T_BENCH" -gt 0 ]; then
  echo "== speed harness on CUDA"
  timeout "$T_BENCH" $PY benchmarks/bench_speed.py --device cuda --sizes ${BENCH_SIZES:-16,20,24,27} \
      --out "$OUT/speed.json" --tuning "$OUT/best.json" > "$OUT/bench.log" 2>&1
  echo "bench exit: $?"; tail -3 "$OUT/bench.log"
  $PY benchmarks/bench_speed.py --summarize "$OUT/speed.json"
fi



if [ "${T_PROF:-0}" -gt 0 ]; then
  echo "== host cost per call (2^16) and a profile of the public losses"
  timeout "$T_PROF" $PY benchmarks/gpu_host_profile.py > "$OUT/host_profile.log" 2>&1
  head -60 "$OUT/host_profile.log"
fi

if [ "${T_NCU:-0}" -gt 0 ] && command -v ncu >/dev/null; then
  echo "== ncu: speed of light and occupancy of the four kernels"
  timeout "$T_NCU" ncu --kernel-name regex:"binary_kernel|softmax_kernel" --launch-skip 4 \
      --launch-count 4 --section SpeedOfLight --section Occupancy --section LaunchStats \
      $PY benchmarks/gpu_profile_target.py > "$OUT/ncu.log" 2>&1
  grep -E "binary_kernel|softmax_kernel|Memory Throughput|Compute \(SM\) Throughput|Duration|Registers Per|Achieved Occupancy|Theoretical Occupancy|Block Size|Grid Size" "$OUT/ncu.log" | head -60
fi

if [ "${T_COMPILE:-0}" -gt 0 ]; then
  echo "== torch.compile of the formulas at 2^27"
  timeout "$T_COMPILE" $PY benchmarks/bench_speed.py --device cuda --sizes 27 --compile \
      --dtypes ${COMPILE_DTYPES:-fp32} --tasks binary,softmax80 \
      --methods copy,kernel,focalkit,tv-compile,focalkit-compile --out "$OUT/speed_compile.json" \
      2>&1 | tee "$OUT/compile.log" | grep -E "^(binary|softmax)"
fi
