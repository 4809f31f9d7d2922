/**
 * What the engine worker runs: backend choice, model loading, sampling. It owns tfjs; the page
 * never imports this file (docs/architecture.md §1). Node scripts use the same model code through
 * src/engine/tf-node.ts instead.
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-webgpu';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import wasmPlainUrl from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url';
import wasmSimdUrl from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url';
import wasmThreadedUrl from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url';
import { SafetensorsError } from '../io/safetensors';
import { selectKernels } from '../kernels';
import { CheckpointError, checkpointFromBytes } from '../model/checkpoint';
import type { ModelConfig } from '../model/config';
import type { Params } from '../model/params';
import { SamplingCancelled, sampleVideos, type SamplerName } from '../diffusion/sampler';
import { PromptError } from '../world/prompt';
import { videoToUint8 } from '../world/video';
import type { BackendName, ErrorKind } from './protocol';
import { shareIdentityOnWasm } from './wasm-identity';

export type { BackendName };

export interface LoadedModel {
  name: string;
  config: ModelConfig;
  params: Params;
}

/** Thrown when no usable backend could be initialised; the message says what to do. */
export class BackendError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BackendError';
  }
}

type GpuAdapterInfo = { vendor?: string; architecture?: string; description?: string; isFallbackAdapter?: boolean };

async function describeWebGpuAdapter(): Promise<{ available: boolean; fallback: boolean; label: string }> {
  const gpu = (globalThis.navigator as Navigator & { gpu?: { requestAdapter(): Promise<unknown> } }).gpu;
  if (!gpu) return { available: false, fallback: false, label: 'no WebGPU' };
  const adapter = (await gpu.requestAdapter()) as { info?: GpuAdapterInfo; isFallbackAdapter?: boolean } | null;
  if (!adapter) return { available: false, fallback: false, label: 'no WebGPU adapter' };
  const info = adapter.info ?? {};
  const fallback = Boolean(info.isFallbackAdapter ?? adapter.isFallbackAdapter) || /swiftshader/i.test(`${info.vendor} ${info.architecture} ${info.description}`);
  const label = [info.vendor, info.architecture, info.description].filter(Boolean).join(' ') || 'unknown adapter';
  return { available: true, fallback, label: fallback ? `${label} (fallback)` : label };
}

async function activate(name: BackendName): Promise<boolean> {
  if (name === 'wasm') {
    setWasmPaths({
      'tfjs-backend-wasm.wasm': wasmPlainUrl,
      'tfjs-backend-wasm-simd.wasm': wasmSimdUrl,
      'tfjs-backend-wasm-threaded-simd.wasm': wasmThreadedUrl,
    });
  }
  try {
    const ok = await tf.setBackend(name);
    if (ok) await tf.ready();
    if (ok && name === 'wasm') shareIdentityOnWasm(); // saved-for-gradient clones share memory
    return ok;
  } catch {
    return false;
  }
}

/**
 * WebGPU on a hardware adapter; on a fallback adapter (SwiftShader) or none, WASM, which is much
 * faster on CPUs; `preferred` (from `?backend=`) forces one.
 */
export async function initBackend(preferred: BackendName | undefined): Promise<{ backend: BackendName; adapter: string }> {
  const gpu = await describeWebGpuAdapter().catch(() => ({ available: false, fallback: false, label: 'WebGPU error' }));
  const order: BackendName[] = preferred ? [preferred] : gpu.available && !gpu.fallback ? ['webgpu', 'wasm', 'cpu'] : ['wasm', 'cpu'];
  for (const name of order) {
    if (await activate(name)) {
      selectKernels(name); // fused WGSL kernels on webgpu, the reference paths elsewhere (src/kernels)
      return { backend: name, adapter: name === 'webgpu' ? gpu.label : `cpu (${name}${gpu.available ? `; WebGPU adapter: ${gpu.label}` : ''})` };
    }
  }
  throw new BackendError(`Could not start the ${order.join(' or ')} backend${preferred ? ` requested by ?backend=${preferred}` : ''}. Try another: ?backend=wasm works in every current browser.`);
}

export async function loadModelFromBytes(bytes: Uint8Array, fileName: string): Promise<LoadedModel> {
  const { config, params } = checkpointFromBytes(bytes, fileName);
  return { name: config.name, config, params };
}

/** A checkpoint's bytes over HTTP (the page's public/models), with an error that names the file. */
export async function fetchCheckpoint(url: string, fileName: string): Promise<Uint8Array> {
  const response = await fetch(url);
  if (!response.ok) {
    throw new CheckpointError(fileName, `could not be downloaded from ${url} (HTTP ${response.status}). Check that public/models holds it and the server is running.`);
  }
  return new Uint8Array(await response.arrayBuffer());
}

export interface GenerateOptions {
  steps?: number;
  guidance?: number;
  solver?: SamplerName;
  /** HuViDPO first-frame mode: frame 0, [H, W, 3] in [-1, 1]. */
  firstFrame?: Float32Array | null;
  onProgress?: (done: number, total: number) => void;
  /** Polled after every sampler step; true stops with `SamplingCancelled`. */
  shouldCancel?: () => boolean;
}

/** Sample one video with `model.params` (the policy, or an earlier round's weights); returns uint8 [F, H, W, 3]. */
export async function generateVideo(model: Pick<LoadedModel, 'config' | 'params'>, prompt: string, seed: number, opts: GenerateOptions = {}): Promise<Uint8Array> {
  const data = await sampleVideos(model.params, model.config, {
    prompts: [prompt],
    seeds: [seed],
    steps: opts.steps,
    guidance: opts.guidance,
    sampler: opts.solver,
    firstFrames: [opts.firstFrame ?? null],
    onStep: (done, total) => {
      opts.onProgress?.(done, total);
      return !opts.shouldCancel?.();
    },
  });
  const { frames, height, width } = model.config;
  return videoToUint8({ frames, height, width, data });
}

/**
 * Calls `onLost` once if the WebGPU device behind tfjs is lost (driver reset, GPU process crash,
 * the tab's GPU memory reclaimed), and `onError` on every GPU error nobody caught (a validation
 * error drops the commands submitted with it, so the results read back as zeros). Nothing to
 * watch on the other backends.
 */
export function watchGpuDevice(onLost: (detail: string) => void, onError?: (message: string) => void): void {
  if (tf.getBackend() !== 'webgpu') return;
  const device = (tf.backend() as unknown as { device?: GPUDevice }).device;
  if (!device) return;
  if (onError) device.addEventListener('uncapturederror', (e) => onError((e as GPUUncapturedErrorEvent).error.message));
  void device.lost.then((info) => onLost(info.message ? `${info.reason}: ${info.message}` : info.reason));
}

export function errorKind(e: unknown): ErrorKind {
  if (e instanceof PromptError) return 'prompt';
  if (e instanceof CheckpointError || e instanceof SafetensorsError) return 'model';
  if (e instanceof BackendError) return 'backend';
  if (e instanceof SamplingCancelled) return 'cancelled';
  return 'internal';
}
