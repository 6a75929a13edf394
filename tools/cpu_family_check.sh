#!/usr/bin/env bash
# The CPU-family check of issue 14, for a session whose machine is a processor family the
# kernel plans have not been measured on (Zen 4, Zen 3 and an Intel Xeon with AMX have been): one command
# that records what the plan choice needs and leaves the day's main benchmark file alone.
#
#   bash tools/cpu_family_check.sh [PYTHON [HARNESS OPTIONS...]]
#
# PYTHON is an interpreter with torch (default tools/.venv/bin/python, else bench/.venv made by
# the harness); harness options after it override the defaults (a quick trial: `--case
# seed-sine-lstm --rounds 1 --seconds 0.3`). Writes, under bench/results/ (commit them):
#   <date>-<slug>-kernel-plans.txt       every plan and variant per product (examples/kernel_plans)
#   <date>-<machine>-plan-zen4.json      the harness against PyTorch under the Zen 4 plan
#   <date>-<machine>-plan-intel-amx.json the same under the Intel plan
# PLANS="zen4 intel-amx x86-avx2" (family names, kernels/plan.rs) chooses the harness's plans;
# the default is the two above (on an AVX2-only machine: zen4 and x86-avx2).
# Then: put the faster plan for this family in `KernelPlan::for_family` (kernels/plan.rs),
# redo the README's row for this CPU from the winner's file, and add a bench/NOTES section.
# Takes about 20 minutes on 2 cores.
set -euo pipefail
cd "$(dirname "$0")/.."

python=${1:-}
shift || true
if [ -z "$python" ] && [ -x tools/.venv/bin/python ]; then python=tools/.venv/bin/python; fi
python_args=()
if [ -n "$python" ]; then python_args=(--python "$python"); fi

lscpu | grep -E 'Model name|Thread\(s\) per core|Core\(s\) per socket|L2 cache|L3 cache' || true
slug=$(lscpu | sed -n 's/^Model name: *//p' | head -n1 | tr -c 'A-Za-z0-9\n' '-' | tr -s '-' | sed 's/-$//')
day=$(date -u +%F)

npm run --silent build:native
plans_file="bench/results/$day-$slug-kernel-plans.txt"
# Another machine of the same name the same day (a different family behind the same brand
# string happened): keep both.
if [ -e "$plans_file" ]; then plans_file="bench/results/$day-$slug-$(date -u +%H%M)-kernel-plans.txt"; fi
cargo run --release -q -p seqtorch-core --example kernel_plans | tee "$plans_file"

default_plans="zen4 intel-amx"
if ! grep -qw avx512f /proc/cpuinfo 2>/dev/null; then default_plans="zen4 x86-avx2"; fi
for plan in ${PLANS:-$default_plans}; do
  echo "== harness under the $plan plan"
  SEQTORCH_KERNEL_PLAN=$plan npm run --silent bench -- --peers seqtorch,pytorch --rounds 3 \
    "${python_args[@]}" --tag "plan-$plan" "$@"
done
