/**
 * Our kernels on the tfjs WebGPU backend's own device (docs/architecture.md §5): pipelines from shaders/,
 * output buffers from the backend's buffer manager, dispatches recorded into the backend's
 * command encoder in order with tfjs's own programs. A kernel that needs several outputs
 * (attention: O and the row log-sum-exp; backward: dQ, dK, dV) allocates them here and hands them
 * to tfjs as tensors, instead of being split into single-output `runWebGPUProgram` passes.
 *
 * This reaches into tfjs-backend-webgpu 4.22 internals (`recordAndSubmit` in backend_webgpu.js):
 * the command encoder, the open compute pass, the batching counter and the set of tensors a
 * pending command buffer owns. The package version is pinned; `BackendInternals` lists exactly
 * what is used, so an upgrade that renames one fails here, loudly, on first use.
 */
import * as tf from '@tensorflow/tfjs';
import type { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';
import { pipelineKey, specialize, type Specialization } from './wgsl';

type DataId = object;

interface BackendInternals {
  device: GPUDevice;
  commandEncoder: GPUCommandEncoder | null;
  computePassEncoder: GPUComputePassEncoder | null;
  commandQueueOwnedIds: WeakSet<DataId>;
  dispatchCountInPass: number;
  ensureCommandEncoderReady(): void;
  endComputePassEncoder(): void;
  submitQueue(): void;
  uploadToGPU(dataId: DataId): void;
  makeTensorInfo(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  tensorToBinding(t: tf.TensorInfo): GPUBindingResource;
  makeUniforms(uniforms: Array<{ type: string; data: number[] }>): GPUBufferBinding;
}

/** The tfjs WebGPU backend with the internals our dispatches use. */
export function webgpuInternals(backend: tf.KernelBackend): BackendInternals {
  const b = backend as unknown as Partial<BackendInternals> & WebGPUBackend;
  for (const method of ['ensureCommandEncoderReady', 'endComputePassEncoder', 'submitQueue', 'uploadToGPU', 'makeTensorInfo', 'tensorToBinding', 'makeUniforms'] as const) {
    if (typeof b[method] !== 'function') {
      throw new Error(`fused kernels: the tfjs WebGPU backend has no ${method}(); they are written against tfjs-backend-webgpu 4.22 — pin that version or use the reference path`);
    }
  }
  return b as unknown as BackendInternals;
}

// ---------------------------------------------------------------- pipelines

const pipelines = new WeakMap<GPUDevice, Map<string, GPUComputePipeline>>();

/** The compute pipeline of `source` specialised with `values`, compiled once per device. */
export function getPipeline(device: GPUDevice, shaderName: string, source: string, values: Specialization): GPUComputePipeline {
  let cache = pipelines.get(device);
  if (!cache) pipelines.set(device, (cache = new Map()));
  const key = pipelineKey(shaderName, values);
  let pipeline = cache.get(key);
  if (!pipeline) {
    const module = device.createShaderModule({ code: specialize(source, shaderName, values), label: key });
    pipeline = device.createComputePipeline({ layout: 'auto', compute: { module, entryPoint: 'main' }, label: key });
    cache.set(key, pipeline);
  }
  return pipeline;
}

// ---------------------------------------------------------------- dispatch counter

const dispatchCounts = new Map<string, number>();

/** How many times each fused kernel was dispatched since the last reset (tests, the studio header). */
export function kernelDispatchCounts(): Record<string, number> {
  return Object.fromEntries(dispatchCounts);
}

export function resetKernelDispatchCounts(): void {
  dispatchCounts.clear();
}

// ---------------------------------------------------------------- recording

/** What tfjs passes a registered kernel. */
export interface KernelArgs {
  inputs: tf.NamedTensorInfoMap;
  backend: tf.KernelBackend;
  attrs?: tf.NamedAttrMap;
}

/** The named inputs of a kernel call, each required. */
export function requireInputs<K extends string>(kernel: string, inputs: tf.NamedTensorInfoMap, names: readonly K[]): Record<K, tf.TensorInfo> {
  const out = {} as Record<K, tf.TensorInfo>;
  for (const name of names) {
    const t = inputs[name];
    if (!t) throw new Error(`${kernel}: input "${name}" is missing`);
    out[name] = t;
  }
  return out;
}

/** A float32 output of `shape`, its GPU buffer allocated from the backend's pool. */
export function allocateOutput(b: BackendInternals, shape: number[]): tf.TensorInfo {
  const info = b.makeTensorInfo(shape, 'float32');
  b.uploadToGPU(info.dataId);
  return info;
}

/** Ensure every input lives in a GPU buffer (uploads are recorded outside any compute pass). */
export function uploadInputs(b: BackendInternals, inputs: tf.TensorInfo[]): void {
  for (const input of inputs) {
    if (input.dtype !== 'float32') throw new Error(`fused kernels take float32 tensors, got ${input.dtype} [${input.shape}]`);
    b.uploadToGPU(input.dataId);
  }
}

export type UniformField = { type: 'int32' | 'uint32' | 'float32'; value: number };

/** WGSL uniform block of scalars, in declaration order (4-byte fields, packed). */
export function uniformFields(fields: UniformField[]): Array<{ type: string; data: number[] }> {
  return fields.map((f) => ({ type: f.type, data: [f.value] }));
}

/**
 * Dispatch [x, y, z] workgroups of `pipeline` over `tensors` (binding i = tensors[i], then the
 * uniform block). Recorded into the backend's open compute pass, so it runs in order with tfjs's
 * own programs; the backend's batching (WEBGPU_DEFERRED_SUBMIT_BATCH_SIZE) submits as usual.
 */
export function recordDispatch(
  b: BackendInternals,
  name: string,
  pipeline: GPUComputePipeline,
  tensors: tf.TensorInfo[],
  uniforms: UniformField[],
  workgroups: [number, number, number],
): void {
  const entries: GPUBindGroupEntry[] = tensors.map((t, i) => ({ binding: i, resource: b.tensorToBinding(t) }));
  entries.push({ binding: tensors.length, resource: b.makeUniforms(uniformFields(uniforms)) });
  // A tensor disposed before the queue is submitted must keep its buffer until then.
  for (const t of tensors) b.commandQueueOwnedIds.add(t.dataId);
  const bindGroup = b.device.createBindGroup({ layout: pipeline.getBindGroupLayout(0), entries, label: name });
  b.ensureCommandEncoderReady();
  if (!b.computePassEncoder) b.computePassEncoder = b.commandEncoder!.beginComputePass({});
  const pass = b.computePassEncoder;
  pass.setPipeline(pipeline);
  pass.setBindGroup(0, bindGroup);
  pass.dispatchWorkgroups(workgroups[0], workgroups[1], workgroups[2]);
  b.dispatchCountInPass++;
  dispatchCounts.set(name, (dispatchCounts.get(name) ?? 0) + 1);
  if (b.dispatchCountInPass >= (tf.env().get('WEBGPU_DEFERRED_SUBMIT_BATCH_SIZE') as number)) {
    b.endComputePassEncoder();
    b.submitQueue();
  }
}

/**
 * `count` workgroups as a grid within the per-dimension limit (65 535): [x, y, 1]. Shaders
 * flatten `workgroup_id.x + workgroup_id.y · num_workgroups.x` and skip ids ≥ count.
 */
export function workgroupGrid(count: number, maxPerDimension = 65535): [number, number, number] {
  if (count <= maxPerDimension) return [Math.max(1, count), 1, 1];
  const y = Math.ceil(count / maxPerDimension);
  return [Math.ceil(count / y), y, 1];
}

/** Submit whatever the backend has recorded and wait until the GPU has finished it (timing). */
export async function submitAndWait(backend: tf.KernelBackend): Promise<void> {
  const b = webgpuInternals(backend);
  if (b.commandEncoder) {
    b.endComputePassEncoder();
    b.submitQueue();
  }
  await b.device.queue.onSubmittedWorkDone();
}
