#!/usr/bin/env bash
# Prepare what a device call needs (gpu/README.md), here, on the CPU machine:
#   gpu/build/batches.mjs          the batch server, bundled (no node_modules there)
#   gpu/carry/node.xz              this machine's node binary, compressed (~24 MB; the device has none)
#   gpu/carry/parity-*.safetensors fixtures: the shipped small model and a tiny model with every option
# Both folders are ignored by git; name them in the device call's `carry`.
set -euo pipefail
cd "$(dirname "$0")/.."
npm run --silent gpu:bundle
mkdir -p gpu/carry
npx tsx scripts/gpu-parity-fixture.ts --out gpu/carry 2>&1 | grep -v 'Warn\|^$' || true
[ -s gpu/carry/node.xz ] || xz -T2 -6 -c "$(command -v node)" > gpu/carry/node.xz
du -sh gpu/build gpu/carry
