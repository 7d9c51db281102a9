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
# Wall-clock median GFLOP/s and GFLOP per CPU-second (robust when other processes share the cores).
printf "%-16s %5s | %9s %9s %6s | %9s %9s %6s\n" "M×N×K" "round" "OpenBLAS" "ExpertMix" "ratio" "OB cpu" "EM cpu" "ratio"
for shape in "512 3072 768" "512 768 3072" "128 2304 768" "2048 2048 2048"; do
  set -- $shape
  for r in $(seq 1 "$rounds"); do
    obj=$(OPENBLAS_CORETYPE=SkylakeX OPENBLAS_NUM_THREADS="$threads" "$out/openblas_sgemm" "$1" "$2" "$3")
    emj=$(dotnet "$cli" bench gemm --m "$1" --n "$2" --k "$3" --threads "$threads" --json)
    ob=$(echo "$obj" | field gflops); em=$(echo "$emj" | field gflops)
    obc=$(echo "$obj" | field cpu_gflops); emc=$(echo "$emj" | field cpu_gflops)
    printf "%-16s %5s | %9s %9s %6.2f | %9s %9s %6.2f\n" "$1×$2×$3" "$r" "$ob" "$em" "$(echo "$em / $ob" | bc -l)" "$obc" "$emc" "$(echo "$emc / $obc" | bc -l)"
  done
done
rm -rf "$out"
