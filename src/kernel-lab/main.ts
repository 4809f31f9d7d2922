/**
 * The kernel lab page (kernel-lab.html): tfjs with the WebGPU and CPU backends, and the fused
 * kernels' checks and benchmarks as functions on `window.kernelLab` for Playwright
 * (tests/browser/kernels*.spec.ts, scripts/bench-kernels.ts).
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-webgpu';
import type { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';
import { attentionCase, attentionFiniteDifference, attentionLargestAllocation } from './attention-lab';
import { bench, type BenchOptions } from './bench-lab';
import { fusedLoss, lossCase, lossOn, randomLossInputs } from './loss-lab';
import { modelCase } from './model-lab';
import { roundCase } from './round-lab';

/** Uncaptured WebGPU errors (shader compilation, validation) on the backend's device. */
const gpuErrors: string[] = [];

async function init(): Promise<{ backend: string; adapter: Record<string, unknown> }> {
  if (!(await tf.setBackend('webgpu'))) throw new Error('kernel lab: the webgpu backend did not start (no adapter?)');
  await tf.ready();
  const device = (tf.backend() as WebGPUBackend).device;
  device.addEventListener('uncapturederror', (e) => gpuErrors.push(String((e as GPUUncapturedErrorEvent).error.message)));
  void device.lost.then((info) => {
    gpuErrors.push(`device lost (${info.reason}): ${info.message}`);
    console.error(`[bench] WebGPU device lost (${info.reason}): ${info.message}`);
  });
  const gpu = (navigator as Navigator & { gpu?: GPU }).gpu;
  const adapter = await gpu?.requestAdapter();
  const info = ((adapter as unknown as { info?: object } | null)?.info ?? {}) as { vendor?: string; architecture?: string; description?: string; isFallbackAdapter?: boolean };
  return {
    backend: tf.getBackend(),
    adapter: {
      vendor: info.vendor,
      architecture: info.architecture,
      description: info.description,
      isFallbackAdapter: info.isFallbackAdapter,
      features: adapter ? [...adapter.features] : [],
    },
  };
}

const kernelLab = {
  ready: init(),
  /** WebGPU errors so far, then cleared. */
  takeGpuErrors: () => gpuErrors.splice(0),
  attentionCase,
  attentionFiniteDifference,
  attentionLargestAllocation,
  /** The benchmark, with any WebGPU error it caused (a failed shader drops whole submits). */
  bench: async (opts: BenchOptions) => ({ ...(await bench(opts)), gpu_errors: gpuErrors.splice(0) }),
  fusedLoss,
  lossCase,
  lossOn,
  randomLossInputs,
  // For ad-hoc experiments from the console or a scratch test.
  tf,
  modelCase,
  roundCase,
};

export type KernelLab = typeof kernelLab;

(globalThis as unknown as { kernelLab: KernelLab }).kernelLab = kernelLab;
const log = document.getElementById('log');
kernelLab.ready.then(
  (r) => log && (log.textContent = `ready: ${JSON.stringify(r)}`),
  (e) => log && (log.textContent = `failed: ${e}`),
);
