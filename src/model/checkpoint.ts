import * as tf from '@tensorflow/tfjs';
import { nonFiniteProblem } from '../io/finite';
import { parseSafetensors, serializeSafetensors, SafetensorsError, toFloat32, type TensorEntry } from '../io/safetensors';
import type { ModelConfig } from './config';
import { CheckpointError, configFromMetadata } from './checkpoint-config';
import { parameterSpecs, type Params } from './params';

export { CheckpointError, configFromMetadata };

/**
 * Checkpoints are safetensors (docs/architecture.md §7): F32 tensors in PyTorch layout (Linear weight
 * [out, in]) named after the modules, `__metadata__ = {"format": "pt", "config": <json>, ...}`.
 */

export interface Checkpoint {
  config: ModelConfig;
  params: Params;
  /** All `__metadata__` entries (training step, loss, …), config included. */
  metadata: Record<string, string>;
}

/**
 * Parameters (memory layout) as F32 safetensors entries in PyTorch layout, keyed `prefix + name`.
 * Shared by model checkpoints and the pretraining state file.
 */
export function paramsToTensors(config: ModelConfig, params: Params, prefix = ''): Record<string, TensorEntry> {
  const tensors: Record<string, TensorEntry> = {};
  for (const spec of parameterSpecs(config)) {
    const t = params.get(spec.name);
    if (!t) throw new Error(`paramsToTensors: parameter "${spec.name}" is missing`);
    const data = tf.tidy(() => (spec.transposed ? tf.transpose(t) : t).dataSync() as Float32Array);
    tensors[prefix + spec.name] = { dtype: 'F32', shape: spec.torchShape, data: Float32Array.from(data) };
  }
  return tensors;
}

/** Serialise parameters (memory layout) to checkpoint bytes (PyTorch layout). */
export function checkpointToBytes(config: ModelConfig, params: Params, extraMetadata: Record<string, string> = {}): Uint8Array {
  const tensors = paramsToTensors(config, params);
  return serializeSafetensors(tensors, { ...extraMetadata, format: 'pt', config: JSON.stringify(config) });
}

/**
 * Parse checkpoint bytes. Rejects, naming the file and the first mismatch: a file that is not
 * safetensors, a missing or invalid config, a missing, unexpected or wrongly shaped tensor.
 */
export function checkpointFromBytes(bytes: Uint8Array, fileName: string, opts: { trainable?: boolean } = {}): Checkpoint {
  const { tensors, metadata } = parseSafetensors(bytes, fileName);
  if (!metadata.config) {
    throw new CheckpointError(fileName, 'has no "config" in its __metadata__, so it is not a vpo-studio model checkpoint (a LoRA adapter? load it with Import LoRA instead).');
  }
  const config = configFromMetadata(metadata.config, fileName);
  const params = paramsFromTensors(config, tensors, fileName, { trainable: opts.trainable, rejectExtra: true });
  return { config, params, metadata };
}

/**
 * Model parameters (memory layout) from safetensors entries (PyTorch layout), checking names
 * and shapes against the config. `rejectExtra`: any other tensor is an error (checkpoints);
 * off for files that carry more than a model (test fixtures).
 */
export function paramsFromTensors(config: ModelConfig, tensors: Map<string, TensorEntry>, fileName: string, opts: { trainable?: boolean; rejectExtra?: boolean } = {}): Params {
  const specs = parameterSpecs(config);
  for (const spec of specs) {
    const entry = tensors.get(spec.name);
    if (!entry) {
      throw new CheckpointError(fileName, `tensor "${spec.name}" is missing; the file does not match its config "${config.name}" (${specs.length} tensors expected, ${tensors.size} found). Re-export the checkpoint.`);
    }
    if (entry.shape.join(',') !== spec.torchShape.join(',')) {
      throw new CheckpointError(fileName, `tensor "${spec.name}" has shape [${entry.shape.join(', ')}] but config "${config.name}" expects [${spec.torchShape.join(', ')}]. The weights and the config in __metadata__ disagree; re-export the checkpoint.`);
    }
  }
  if (opts.rejectExtra) {
    const expected = new Set(specs.map((s) => s.name));
    for (const name of tensors.keys()) {
      if (!expected.has(name)) {
        throw new CheckpointError(fileName, `unexpected tensor "${name}" for config "${config.name}"; the file does not match its config. Re-export the checkpoint.`);
      }
    }
  }
  // Every value finite before any tensor is made: a NaN or Inf would reach every video.
  const values = specs.map((spec) => {
    const entry = tensors.get(spec.name)!;
    const data = toFloat32(entry, spec.name, fileName);
    const problem = nonFiniteProblem(data, entry.shape);
    if (problem) throw new CheckpointError(fileName, `tensor "${spec.name}" ${problem}; a checkpoint must hold finite weights. Use a checkpoint saved before training diverged, or re-export it.`);
    return data;
  });
  const params: Params = new Map();
  for (const [k, spec] of specs.entries()) {
    const data = values[k];
    const t = tf.tidy(() => {
      const torchLayout = tf.tensor(data, spec.torchShape, 'float32');
      return spec.transposed ? tf.transpose(torchLayout) : torchLayout;
    });
    params.set(spec.name, opts.trainable ? tf.variable(t, true) : t);
    if (opts.trainable) t.dispose();
  }
  return params;
}

export { SafetensorsError };
