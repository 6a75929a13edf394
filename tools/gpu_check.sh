#!/usr/bin/env bash
# The GPU check, in two halves (the GPU machine has no Rust, no Node and no network).
#
#   tools/gpu_check.sh build   here: builds the CUDA test binaries into gpu-check/ (ignored)
#   tools/gpu_check.sh run     on the GPU machine, in the repository root with gpu-check/
#                              carried: finds PyTorch's CUDA libraries, runs the tests with a
#                              GPU required and GPU tensors on, times seqtorch's training step
#                              (examples/train_step.rs) and PyTorch's cuDNN anchors
#                              (bench/gpu/torch_cuda.py) for every bench case, trains the seed
#                              models from Node on cpu and cuda (bench/gpu/node_e2e.ts, with
#                              the carried Node binary), and writes everything to $OUT (or
#                              gpu-check/out)
#
# With the device tool: build here, then run `bash tools/gpu_check.sh run` with carry
# ["gpu-check"] and timeout_s 600; commit what it printed under bench/results/.
# GPU_CHECK_SECONDS (default 500) is the run's deadline.
set -euo pipefail
cd "$(dirname "$0")/.."

# The test binaries the GPU machine runs (crates/core/tests/<name>.rs).
tests="cuda_kernels cuda_device cuda_storage cuda_training cuda_optim cuda_losses gradcheck rnn_gradcheck rnn_composite devices"

case "${1:-}" in
build)
  rm -rf gpu-check && mkdir -p gpu-check/bin
  cargo test --release -p seqtorch-core --features cuda --no-run --message-format=json 2>/dev/null |
    TESTS="$tests" python3 -c '
import json, os, shutil, sys
TESTS = os.environ["TESTS"].split()
for line in sys.stdin:
    msg = json.loads(line)
    exe = msg.get("executable")
    if exe and msg.get("target", {}).get("name") in TESTS:
        shutil.copy(exe, "gpu-check/bin/" + msg["target"]["name"])
        print("built", msg["target"]["name"])
'
  # The seqtorch side of the GPU table: the suite's training step on any device.
  cargo build --release -p seqtorch-core --features cuda --example train_step 2>/dev/null
  cp target/release/examples/train_step gpu-check/bin/train_step
  # The Node half: the library, the seed examples and bench/gpu/node_e2e.ts compiled to
  # JavaScript, the addon as built here (CUDA compiled in), and this machine's Node binary,
  # xz-compressed (about 24 MB; the GPU machine has no Node).
  npm run build:native >/dev/null
  npx tsc --outDir gpu-check/app --rootDir . --module nodenext --moduleResolution nodenext \
    --target es2022 --strict --skipLibCheck --types node bench/gpu/node_e2e.ts
  cp package.json gpu-check/app/
  mkdir -p gpu-check/app/native
  cp native/index.cjs native/*.node gpu-check/app/native/
  xz -T0 -6 -c "$(command -v node)" > gpu-check/node.xz
  du -sh gpu-check/bin gpu-check/app gpu-check/node.xz
  ;;
run)
  out="${OUT:-gpu-check/out}"
  mkdir -p "$out"
  {
    echo "# seqtorch GPU check, $(date -u +%Y-%m-%dT%H:%M:%SZ)"
    nvidia-smi -L || true
    # PyTorch's pip install brings the CUDA libraries as nvidia-* wheels: point at them.
    libs="${SEQTORCH_CUDA_PATH:-}"
    found="$(python3 - <<'PY' 2>/dev/null || true
import glob, os
try:
    import nvidia
    roots = list(nvidia.__path__)
except Exception:
    roots = []
dirs = sorted({os.path.dirname(p) for r in roots for p in glob.glob(os.path.join(r, "**", "lib*.so*"), recursive=True)})
print(":".join(dirs))
PY
)"
    [ -n "$found" ] && libs="${libs:+$libs:}$found"
    for d in /usr/local/cuda/lib64 /usr/local/cuda/targets/x86_64-linux/lib; do
      [ -d "$d" ] && libs="${libs:+$libs:}$d"
    done
    # GPU tensors on: the gradient checks and device tests then run on cuda:0 as well.
    export SEQTORCH_CUDA_PATH="$libs" SEQTORCH_REQUIRE_GPU=1 SEQTORCH_REQUIRE_NVRTC=1 SEQTORCH_EXPERIMENTAL_CUDA=1
    echo "SEQTORCH_CUDA_PATH=$SEQTORCH_CUDA_PATH"
    status=0
    # One device call may run 10 minutes and the session has 15 in all: every stage gets a
    # cap and the whole run a deadline, so that a hung kernel costs one stage, not the rest.
    deadline=$(( SECONDS + ${GPU_CHECK_SECONDS:-500} ))
    stage() {
      local cap=$1 left
      shift
      left=$(( deadline - SECONDS ))
      if [ "$left" -lt 10 ]; then
        echo "skipped (deadline): $*" >&2
        status=1
        return 0
      fi
      [ "$cap" -gt "$left" ] && cap=$left
      timeout -k 5 "$cap" "$@"
      local rc=$?
      [ "$rc" -eq 124 ] && echo "timed out after ${cap} s: $*" >&2
      [ "$rc" -ne 0 ] && status=1
      return 0
    }
    set +e
    for t in $tests; do
      echo "## $t"
      stage 60 "gpu-check/bin/$t" --nocapture --test-threads 1
    done
    echo "## seqtorch training steps on cuda:0 (TF32 off, then on) -> $out/seqtorch-cuda*.json"
    stage 60 gpu-check/bin/train_step --device cuda:0 --steps 10 > "$out/seqtorch-cuda.json"
    stage 60 gpu-check/bin/train_step --device cuda:0 --steps 10 --tf32 > "$out/seqtorch-cuda-tf32.json"
    echo "## the same, the recurrence step by step (two launches a step) -> $out/seqtorch-cuda-per-step.json"
    stage 60 gpu-check/bin/train_step --device cuda:0 --steps 10 --per-step > "$out/seqtorch-cuda-per-step.json"
    echo "## the seed models from Node, cpu then cuda -> $out/node-e2e.json"
    python3 -c "import lzma, shutil; shutil.copyfileobj(lzma.open('gpu-check/node.xz'), open('gpu-check/node', 'wb'))"
    chmod +x gpu-check/node
    export OUT="$out"
    stage 90 gpu-check/node gpu-check/app/bench/gpu/node_e2e.js
    echo "## PyTorch anchors (cuDNN, TF32 off and on) -> $out/pytorch-cuda.json"
    stage 120 python3 bench/gpu/torch_cuda.py > "$out/pytorch-cuda.json"
    echo "exit $status"
  } 2>&1 | tee "$out/gpu-check.txt"
  ;;
*)
  echo "usage: tools/gpu_check.sh build|run" >&2
  exit 2
  ;;
esac
