/**
 * WebGPU in Node through Dawn: the npm package `webgpu` (an optional dependency; it ships a
 * prebuilt `dawn.node`, ~21 MB for linux-x64). On Linux Dawn runs over Vulkan, so it finds an
 * adapter only where a Vulkan driver it accepts is installed — a GPU machine's NVIDIA driver. On
 * the CPU machines there is none: no libvulkan at all, or Mesa's lavapipe, which lacks features
 * Dawn requires (issue 17).
 */

/** What the package exports (types.d.ts of webgpu 0.6). */
interface DawnModule {
  create(options: string[]): GPU;
  globals: object;
}

export class NoAdapterError extends Error {}

export const NO_ADAPTER_MESSAGE =
  'No WebGPU adapter: Dawn (the npm package webgpu) found no Vulkan device it can use. ' +
  'This script needs a GPU machine with a Vulkan driver (NVIDIA: the driver\'s Vulkan ICD and libvulkan1). ' +
  'On a CPU machine there is none to find: without libvulkan, or with Mesa\'s lavapipe, which lacks features Dawn requires. ' +
  'Dawn\'s own warnings, printed above, say which.';

/** The package, or an error that says why it cannot load (not installed, no build for this platform). */
export async function loadDawn(): Promise<DawnModule> {
  // A variable specifier: the package is optional, and the typecheck must not need it.
  const name = 'webgpu';
  try {
    return (await import(name)) as DawnModule;
  } catch (e) {
    throw new Error(`Cannot load the npm package webgpu (Dawn for Node, an optional dependency; npm install installs it): ${e instanceof Error ? e.message : e}`, { cause: e });
  }
}

/**
 * Dawn's `navigator.gpu` and its adapter; throws `NoAdapterError` with `NO_ADAPTER_MESSAGE` where
 * there is none. Installs Dawn's WebGPU globals (GPUBufferUsage, …) on `globalThis`.
 * `options` are Dawn's (`backend=vulkan`, `adapter=NAME`, `enable-dawn-features=…`).
 */
export async function dawnAdapter(options: string[] = []): Promise<{ gpu: GPU; adapter: GPUAdapter }> {
  const dawn = await loadDawn();
  Object.assign(globalThis, dawn.globals);
  const gpu = dawn.create(options);
  const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
  if (!adapter) throw new NoAdapterError(NO_ADAPTER_MESSAGE);
  return { gpu, adapter };
}

interface AdapterInfo { vendor?: string; architecture?: string; device?: string; description?: string; isFallbackAdapter?: boolean }

/** The adapter's info, features and the limits the fused kernels depend on. */
export function adapterSummary(adapter: GPUAdapter): Record<string, unknown> {
  // `info` is newer than the @webgpu/types this project pins.
  const info = (adapter as GPUAdapter & { info?: AdapterInfo }).info ?? {};
  return {
    vendor: info.vendor,
    architecture: info.architecture,
    device: info.device,
    description: info.description,
    isFallbackAdapter: info.isFallbackAdapter,
    features: [...adapter.features].sort(),
    maxComputeWorkgroupStorageSize: adapter.limits.maxComputeWorkgroupStorageSize,
    maxStorageBuffersPerShaderStage: adapter.limits.maxStorageBuffersPerShaderStage,
    maxBufferSize: adapter.limits.maxBufferSize,
  };
}

/** Makes `gpu` the global `navigator.gpu` that tfjs-backend-webgpu looks for (when it is imported). */
export function installNavigatorGpu(gpu: GPU): void {
  Object.defineProperty(globalThis, 'navigator', { value: { gpu, userAgent: `Node.js ${process.version}` }, configurable: true, writable: true });
}
