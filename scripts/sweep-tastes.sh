#!/usr/bin/env bash
# Run bench:loop once per taste, resumably: a taste whose JSON exists is skipped, so a stopped
# sweep picks up where it left off. Logs and JSON go to OUT (outside the repository is best).
#   bash scripts/sweep-tastes.sh OUT "lively big centred smooth" --model small-p8 --variants dpo …
set -euo pipefail
out=$1; tastes=$2; shift 2
mkdir -p "$out"
for taste in $tastes; do
  name=$(basename "$taste"); name=${name%.*}
  json="$out/$name.json"
  if [[ -s $json ]]; then echo "skip $name ($json exists)"; continue; fi
  echo "$(date -u +%FT%TZ) start $name"
  npx tsx scripts/bench-loop.ts --taste "$taste" --json "$json.part" "$@" > "$out/$name.log" 2>&1
  mv "$json.part" "$json"
  echo "$(date -u +%FT%TZ) done $name"
done
