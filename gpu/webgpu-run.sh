#!/usr/bin/env bash
# The device call of `npm run gpu:webgpu` (gpu/README.md, "WebGPU in Node"): unpack node and Dawn,
# say what Vulkan the machine offers, then run the bundled script; its table goes to OUTDIR/webgpu.log,
# its JSON to OUTDIR/webgpu.json. Run from the repository root (it reads public/models/).
#   bash gpu/webgpu-run.sh OUTDIR [gpu-webgpu.ts flags]
# Here, on a CPU machine, it stops with the script's "No WebGPU adapter" message (status 2).
set -o pipefail
out=$1
shift
dir=gpu/build/webgpu
mkdir -p "$out" /tmp/n $dir/node_modules/webgpu/dist/linux-x64
unxz() { [ -s "$2" ] || python3 -c "import lzma, shutil, sys; shutil.copyfileobj(lzma.open(sys.argv[1]), open(sys.argv[2], 'wb'))" "$1" "$2"; }
unxz $dir/node.xz /tmp/n/node && chmod +x /tmp/n/node || exit 1
unxz $dir/dawn.node.xz $dir/node_modules/webgpu/dist/linux-x64/dawn.node || exit 1
{
  echo "node $(/tmp/n/node --version)"
  nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader 2>/dev/null
  echo "Vulkan ICDs: $(ls /usr/share/vulkan/icd.d /etc/vulkan/icd.d 2>/dev/null | tr '\n' ' ')"
  echo "NVIDIA Vulkan libraries: $(ls /usr/lib/x86_64-linux-gnu/libGLX_nvidia.so.* /usr/lib/x86_64-linux-gnu/libnvidia-vulkan* 2>/dev/null | tr '\n' ' ')"
} | tee "$out/webgpu.log"
if ! ldconfig -p 2>/dev/null | grep -q 'libvulkan.so.1 '; then
  echo "no system libvulkan.so.1: using the carried one" | tee -a "$out/webgpu.log"
  export LD_LIBRARY_PATH=$PWD/$dir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
fi
/tmp/n/node $dir/webgpu.mjs --json "$out/webgpu.json" "$@" 2>&1 | tee -a "$out/webgpu.log"
