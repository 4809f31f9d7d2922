#!/usr/bin/env bash
# The one device call of gpu/README.md, as a script (a call's command line is limited to 2,000 characters):
# unpack the carried node, CUDA parity of the twin on both fixtures (recorded, not a gate: the
# checkpoint is evaluated by the TypeScript model afterwards anyway), then pretrain.
#   bash gpu/device-run.sh OUTDIR MINUTES DECAY_MINUTES [train.py flags] [-- pretrain's batch flags]
# DEVICE=cpu runs it here (a smoke test of the script itself).
set -o pipefail
out=$1 minutes=$2 decay=$3
shift 3
device=${DEVICE:-cuda}
cd "$(dirname "$0")"
mkdir -p "$out" /tmp/n
node=/tmp/n/node
[ -x $node ] || python3 -c "import lzma, shutil; shutil.copyfileobj(lzma.open('carry/node.xz'), open('$node', 'wb'))" || exit 1
chmod +x $node
echo "node $($node --version)"
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader 2>/dev/null
python3 -c "import torch; print('torch', torch.__version__, torch.cuda.is_available() and torch.cuda.get_device_name(0))"
for f in carry/parity-checkpoint.safetensors carry/parity-tiny-options.safetensors; do
  [ -f $f ] || continue  # a resuming call may leave the fixtures behind (the 64 MiB a call carries)
  python3 parity.py $f --backend torch --device $device | tee -a "$out/parity.json"
done
PYTHONUNBUFFERED=1 python3 train.py --out "$out/run" --node $node --minutes "$minutes" --decay-minutes "$decay" "$@" 2>&1 | tee "$out/train.log"
