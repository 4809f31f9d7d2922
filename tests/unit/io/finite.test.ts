// Finite weights only: an imported LoRA, a restored round LoRA or any snapshot a merge
// receives with a NaN, an Infinity, or values whose product would overflow float32 is an error
// naming the file, the tensor and the first bad index, and the policy is left as it was.
// (Checkpoints: tests/unit/model/checkpoint.test.ts; restored backups: tests/unit/export/backup.restore.test.ts.)
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { useWasmBackend } from '../../../src/engine/tf-node';
import { loraModuleShapes } from '../../../src/engine/lora-snapshot';
import { Policy } from '../../../src/engine/policy';
import { firstNonFinite, nonFiniteProblem } from '../../../src/io/finite';
import { exportPeft, importPeft, LoraImportError, type LoraTensors } from '../../../src/io/lora';
import { parseSafetensors, serializeSafetensors } from '../../../src/io/safetensors';
import { snapshotFromArrays } from '../../../src/prefs/lora-data';
import { loraValuesProblem, MAX_MERGE_DELTA, type LoraModuleArrays } from '../../../src/io/lora-values';
import { paramsDiff, tinyConfig, tinyParams } from '../fixtures/prefs';

beforeAll(async () => {
  await useWasmBackend();
});

const shapes = loraModuleShapes(tinyConfig);

/** A rank-2 adapter on every attention module of the tiny model, every value `value`. */
function filledLora(value: number): LoraTensors {
  const modules = new Map<string, LoraModuleArrays>();
  for (const [name, { inFeatures, outFeatures }] of shapes) {
    if (!/attn_(spatial|temporal|cross)\.to_(q|k|v|out)$/.test(name)) continue;
    modules.set(name, { inFeatures, outFeatures, rank: 2, loraA: new Float32Array(2 * inFeatures).fill(value), loraB: new Float32Array(outFeatures * 2).fill(value) });
  }
  return { rank: 2, alpha: 2, targetModules: ['to_q', 'to_k', 'to_v', 'to_out'], modules };
}

/** Whether every weight of `params` is finite (read back: tests only). */
const allFinite = (params: Map<string, tf.Tensor>) => [...params.values()].every((t) => firstNonFinite(t.dataSync() as Float32Array) < 0);

describe('the finite-value helpers', () => {
  it('find the first NaN or ±Infinity and say where it is', () => {
    expect(firstNonFinite(new Float32Array([0, -0, 3.4e38, -3.4e38, 1e-45]))).toBe(-1);
    expect(firstNonFinite([1, 2, Infinity, NaN])).toBe(2);
    expect(nonFiniteProblem(new Float32Array([1, 2, 3, NaN, 5, 6]), [2, 3])).toBe('holds NaN at index 3 (row 1, column 0 of [2, 3])');
    expect(nonFiniteProblem([-Infinity])).toBe('holds -Infinity at index 0');
    expect(nonFiniteProblem([1, 2])).toBeNull();
  });

  it('bound |scale·B·A| exactly enough to catch an overflow before it is computed', () => {
    const m = (a: number, b: number): Map<string, LoraModuleArrays> => new Map([['x', { inFeatures: 2, outFeatures: 2, rank: 1, loraA: new Float32Array([a, 0]), loraB: new Float32Array([b, 0]) }]]);
    expect(loraValuesProblem(m(1e6, 1e6), 1)).toBeNull(); // exactly MAX_MERGE_DELTA
    expect(MAX_MERGE_DELTA).toBe(1e12);
    expect(loraValuesProblem(m(1e6, 1e6), 1.5)).toMatch(/tensors "x\.lora_A" and "x\.lora_B" would change a weight by up to 1\.50e\+12/);
    expect(loraValuesProblem(m(1, 1), NaN)).toMatch(/scale α\/r is NaN/);
  });
});

describe('Import LoRA', () => {
  const files = (lora: LoraTensors) => exportPeft(lora, { baseModel: 'vpo-studio/tiny' });

  it('a NaN or Infinity: LoraImportError naming the file, the tensor key and the first bad index', () => {
    const good = files(filledLora(0.01));
    const { tensors } = parseSafetensors(good['adapter_model.safetensors'], 'x');
    const key = 'base_model.model.transformer_blocks.1.attn_cross.to_v.lora_B.weight';
    const bad = Float32Array.from(tensors.get(key)!.data as Float32Array);
    bad[7] = Infinity;
    bad[9] = NaN;
    tensors.set(key, { ...tensors.get(key)!, data: bad });
    const bytes = serializeSafetensors(tensors, { format: 'pt' });
    let caught: unknown;
    try {
      importPeft(bytes, null, shapes, { weights: 'mine/adapter_model.safetensors', config: 'adapter_config.json' });
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(LoraImportError);
    expect((caught as Error).message).toMatch(/^mine\/adapter_model\.safetensors: tensor "base_model\.model\.transformer_blocks\.1\.attn_cross\.to_v\.lora_B\.weight" holds Infinity at index 7 \(row 3, column 1 of \[32, 2\]\)\. Its weights would break the model/);
  });

  it('finite 1e30 values (whose merge made 43 weights non-finite) are refused as overflowing', () => {
    const f = files(filledLora(1e30));
    expect(() => importPeft(f['adapter_model.safetensors'], f['adapter_config.json'], shapes)).toThrow(/adapter_model\.safetensors: tensors "base_model\.model\.transformer_blocks\.0\.attn_cross\.to_k\.lora_A\.weight" and ".*lora_B\.weight" would change a weight by up to 2\.00e\+60/);
  });

  it('ordinary weights still import', () => {
    const f = files(filledLora(0.01));
    expect(importPeft(f['adapter_model.safetensors'], f['adapter_config.json'], shapes).modules.size).toBe(filledLora(0.01).modules.size);
  });
});

describe('every merge is checked: the policy is unchanged by a bad snapshot', () => {
  it('NaN, Infinity and overflowing snapshots are refused before any tensor is made; good ones merge finite', () => {
    const policy = new Policy(tinyConfig, tinyParams());
    policy.merge(snapshotFromArrays(filledLora(0.001)));
    const before = policy.params;
    const tensors = tf.memory().numTensors;
    const nan = filledLora(0.01);
    nan.modules.get('transformer_blocks.0.attn_spatial.to_q')!.loraA[3] = NaN;
    expect(() => policy.merge(snapshotFromArrays(nan))).toThrow(/Cannot merge this LoRA: tensor "transformer_blocks\.0\.attn_spatial\.to_q\.lora_A" holds NaN at index 3/);
    expect(() => policy.merge(snapshotFromArrays(filledLora(1e30)))).toThrow(/Cannot merge this LoRA: tensors .* would change a weight by up to/);
    expect(() => policy.merge(snapshotFromArrays(filledLora(1e6)))).toThrow(/more than the 1e\+12/);
    expect(policy.round).toBe(1);
    expect(policy.params).toBe(before);
    expect(tf.memory().numTensors).toBe(tensors);
    expect(allFinite(policy.params)).toBe(true);
    expect(paramsDiff(policy.params, policy.base)).toBeGreaterThan(0);
    policy.dispose();
  });
});
