/**
 * LoRA adapters (tfjs variables, memory layout) ↔ LoraSnapshot (plain data, PyTorch layout), and
 * merging a snapshot into model weights. Memory layout: down = A [in, r], up = B [r, out], so
 * lora_A (file) = downᵀ [r, in] and lora_B (file) = upᵀ [out, r].
 */
import * as tf from '@tensorflow/tfjs';
import { LoraAdapter } from '../model/lora';
import type { Params } from '../model/params';
import { decodeSnapshot, encodeModule } from '../prefs/lora-data';
import { loraValuesProblem, type LoraModuleArrays } from '../io/lora-values';
import type { LoraSnapshot } from '../prefs/types';

/** Row-major transpose of a [rows, cols] matrix. */
export function transposeArray(data: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(data.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = data[r * cols + c];
  return out;
}

/**
 * The adapter's weights as plain data. Read asynchronously: tfjs-webgpu reads synchronously
 * through an OffscreenCanvas, which stalls the engine worker and has lost the device.
 */
export async function snapshotFromAdapter(adapter: LoraAdapter): Promise<LoraSnapshot> {
  const r = adapter.config.rank;
  const modules: LoraSnapshot['modules'] = {};
  for (const [name, m] of adapter.modules) {
    const [inFeatures, outFeatures] = [m.down.shape[0] as number, m.up.shape[1] as number];
    const [down, up] = (await Promise.all([m.down.data(), m.up.data()])) as Float32Array[];
    modules[name] = encodeModule({
      inFeatures,
      outFeatures,
      loraA: transposeArray(down, inFeatures, r), // [in, r] -> [r, in]
      loraB: transposeArray(up, r, outFeatures), // [r, out] -> [out, r]
    });
  }
  return { rank: r, alpha: adapter.config.alpha, targetModules: [...adapter.config.targetModules], modules };
}

/**
 * W ← W + s·Aᵀ·Bᵀ (memory layout [in, out]) for every module of the decoded adapter; s is the
 * adapter's scale (α/r). Returns new params: untouched tensors are shared with `params`, merged
 * ones are new (the caller disposes them when the policy changes). A module the weights do not
 * have, or of another shape, is an error naming it, and nothing is left allocated.
 */
export function mergeArrays(params: Params, modules: Map<string, LoraModuleArrays>, scale: number): Params {
  const merged: Params = new Map(params);
  const created: tf.Tensor[] = [];
  try {
    for (const [name, m] of modules) {
      const key = `${name}.weight`;
      const w = params.get(key);
      if (!w) throw new Error(`Cannot merge LoRA module "${name}": the model has no "${key}".`);
      if (w.shape[0] !== m.inFeatures || w.shape[1] !== m.outFeatures) {
        throw new Error(`Cannot merge LoRA module "${name}": adapter is [${m.outFeatures}, ${m.inFeatures}] but the weight is [${w.shape[1]}, ${w.shape[0]}] (PyTorch layout).`);
      }
      const sum = tf.tidy(() => {
        const down = tf.tensor2d(transposeArray(m.loraA, m.rank, m.inFeatures), [m.inFeatures, m.rank]); // [in, r]
        const up = tf.tensor2d(transposeArray(m.loraB, m.outFeatures, m.rank), [m.rank, m.outFeatures]); // [r, out]
        return tf.add(w, tf.mul(tf.matMul(down, up), scale)); // [in, r] x [r, out] -> [in, out]
      });
      created.push(sum);
      merged.set(key, sum);
    }
  } catch (e) {
    tf.dispose(created);
    throw e;
  }
  return merged;
}

/**
 * Merge a snapshot, refusing (before any tensor is made) one with a NaN, an Infinity or values
 * whose product could overflow (prefs/lora-data.ts loraValuesProblem). The base is checked
 * finite when it loads (model/checkpoint.ts) and each merge adds at most MAX_MERGE_DELTA to a
 * weight, so every merged policy's weights are finite without reading them back from the GPU.
 */
export function mergeSnapshot(params: Params, snapshot: LoraSnapshot): Params {
  const modules = decodeSnapshot(snapshot);
  const scale = snapshot.alpha / snapshot.rank;
  const problem = loraValuesProblem(modules, scale);
  if (problem) throw new Error(`Cannot merge this LoRA: ${problem}.`);
  return mergeArrays(params, modules, scale);
}

/** Every Linear module of the model with its sizes (tfjs-free, so the page can use it too). */
export { loraModuleShapes } from '../model/param-specs';
