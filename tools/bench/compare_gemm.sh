#!/usr/bin/env bash
# compare_gemm.sh: OpenBLAS sgemm vs `expertmix bench gemm` back-to-back on the issue's shapes (ROUNDS rounds, THREADS threads).
# Needs: gcc, libopenblas-dev, a Release build of src/ExpertMix.Cli. Usage: tools/bench/compare_gemm.sh [ROUNDS] [THREADS]
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
rounds="${1:-3}"
threads="${2:-2}"
out="$(mktemp -d)"
gcc -O2 -o "$out/openblas_sgemm" "$root/tools/bench/openblas_sgemm.c" -lopenblas
cli="$root/src/ExpertMix.Cli/bin/Release/net10.0/expertmix.dll"
[ -f "$cli" ] || dotnet build "$root/src/ExpertMix.Cli" -c Release >/dev/null
field() { sed -E "s/.*\"$1\": ([0-9.]+).*/\1/"; }
printf "%-18s %6s %12s %12s %8s\n" "M×N×K" "round" "OpenBLAS" "ExpertMix" "ratio"
for shape in "512 3072 768" "512 768 3072" "128 2304 768" "2048 2048 2048"; do
  set -- $shape
  for r in $(seq 1 "$rounds"); do
    ob=$(OPENBLAS_CORETYPE=SkylakeX OPENBLAS_NUM_THREADS="$threads" "$out/openblas_sgemm" "$1" "$2" "$3" | field gflops)
    em=$(dotnet "$cli" bench gemm --m "$1" --n "$2" --k "$3" --threads "$threads" --json | field gflops)
    printf "%-18s %6s %12s %12s %8.2f\n" "$1×$2×$3" "$r" "$ob" "$em" "$(echo "$em / $ob" | bc -l)"
  done
done
rm -rf "$out"
