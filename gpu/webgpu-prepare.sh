#!/usr/bin/env bash
# Prepare a device call of `npm run gpu:webgpu` (gpu/README.md, "WebGPU in Node"), here, on the CPU
# machine. Everything goes to gpu/build/webgpu/ (ignored by git; the call carries that one folder):
#   webgpu.mjs                      scripts/gpu-webgpu.ts bundled (tfjs, the studio, the WGSL kernels as text)
#   node_modules/webgpu/            the package's loader (index.js); its dawn.node comes compressed:
#   dawn.node.xz                    Dawn for linux-x64 (~21 MB, ~5 MB compressed)
#   node.xz                         this machine's node (the device has none)
#   libvulkan.so.1                  Debian's Vulkan loader (libvulkan1), used only where the device has none
set -euo pipefail
cd "$(dirname "$0")/.."
dir=gpu/build/webgpu
mkdir -p $dir/node_modules/webgpu
npx esbuild scripts/gpu-webgpu.ts --bundle --platform=node --format=esm --outfile=$dir/webgpu.mjs --external:webgpu \
  --loader:.wgsl=text --log-level=warning \
  --banner:js="import { createRequire as createRequire_ } from 'node:module'; const require = createRequire_(import.meta.url);"
pkg=node_modules/webgpu
[ -f $pkg/dist/linux-x64/dawn.node ] || { echo "npm install first: the optional dependency webgpu is missing" >&2; exit 1; }
cp $pkg/index.js $pkg/package.json $dir/node_modules/webgpu/
[ -s $dir/dawn.node.xz ] || xz -T2 -6 -c $pkg/dist/linux-x64/dawn.node > $dir/dawn.node.xz
[ -s $dir/node.xz ] || xz -T2 -6 -c "$(command -v node)" > $dir/node.xz
if [ ! -s $dir/libvulkan.so.1 ]; then
  tmp=$(mktemp -d)
  (cd "$tmp" && apt-get download libvulkan1 >/dev/null && dpkg-deb -x libvulkan1_*.deb x)
  cp -L "$tmp"/x/usr/lib/x86_64-linux-gnu/libvulkan.so.1 $dir/
  rm -rf "$tmp"
fi
du -sh $dir
