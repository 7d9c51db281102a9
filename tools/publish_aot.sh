#!/usr/bin/env bash
# Publishes the NativeAOT build of the CLI (the build docs/benchmarks.md measures) to OUTDIR (default artifacts/aot):
# code for this machine's CPU, no JIT warm-up, ~30 MB less resident memory than `dotnet expertmix.dll`.
# Usage: tools/publish_aot.sh [OUTDIR]; then OUTDIR/expertmix bench model --preset gpt2-small --json
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-artifacts/aot}
dotnet publish src/ExpertMix.Cli -c Release -r linux-x64 -p:PublishAot=true -o "$out" -v q -nologo
echo "$out/expertmix"
