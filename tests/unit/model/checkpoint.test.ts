import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { useWasmBackend } from '../../../src/engine/tf-node';
import { parseSafetensors, SafetensorsError, serializeSafetensors, type TensorEntry } from '../../../src/io/safetensors';
import { CheckpointError, checkpointFromBytes, checkpointToBytes } from '../../../src/model/checkpoint';
import { initParams, parameterSpecs } from '../../../src/model/params';
import { presetConfig } from '../../../src/model/presets';

beforeAll(async () => {
  await useWasmBackend();
});

function tinyCheckpoint(): Uint8Array {
  const config = presetConfig('tiny');
  const params = initParams(config, 5, false);
  // Non-trivial values everywhere (zero-initialised tensors would hide layout bugs).
  for (const [name, t] of params) params.set(name, tf.add(t, tf.randomNormal(t.shape, 0, 0.1, 'float32', 9)));
  return checkpointToBytes(config, params, { step: '12' });
}

/** Rewrite a checkpoint through `edit(tensors, metadata)`. */
function edited(bytes: Uint8Array, edit: (t: Map<string, TensorEntry>, m: Record<string, string>) => void): Uint8Array {
  const { tensors, metadata } = parseSafetensors(bytes, 'x');
  edit(tensors, metadata);
  return serializeSafetensors(tensors, metadata);
}

describe('checkpoint I/O', () => {
  it('round trip is bit-exact', () => {
    const bytes = tinyCheckpoint();
    const { config, params, metadata } = checkpointFromBytes(bytes, 'tiny.safetensors');
    expect(config.name).toBe('tiny');
    expect(metadata.format).toBe('pt');
    expect(metadata.step).toBe('12');
    const again = checkpointToBytes(config, params, { step: '12' });
    expect(Buffer.from(again).equals(Buffer.from(bytes))).toBe(true);
  });
  it('stores Linear weights in PyTorch layout [out, in] with the config in __metadata__', () => {
    const { tensors, metadata } = parseSafetensors(tinyCheckpoint(), 'tiny.safetensors');
    const config = JSON.parse(metadata.config);
    expect(tensors.get('transformer_blocks.0.ff.fc1.weight')!.shape).toEqual([config.mlpRatio * config.hiddenSize, config.hiddenSize]);
    expect(tensors.get('transformer_blocks.1.attn_temporal.to_out.weight')!.shape).toEqual([config.hiddenSize, config.hiddenSize]);
    expect(tensors.size).toBe(parameterSpecs(config).length);
  });
  it('loads files written before the schedule fields with their old meaning, and rejects bad values', () => {
    const old = edited(tinyCheckpoint(), (_, m) => {
      const { prediction: _p, noiseCorrelation: _n, timeShift: _s, ...rest } = JSON.parse(m.config);
      m.config = JSON.stringify(rest);
    });
    const { config } = checkpointFromBytes(old, 'old.safetensors');
    expect([config.prediction, config.noiseCorrelation, config.timeShift]).toEqual(['velocity', 0, 1]);
    const bad = edited(tinyCheckpoint(), (_, m) => {
      m.config = JSON.stringify({ ...JSON.parse(m.config), noiseCorrelation: 1 });
    });
    expect(() => checkpointFromBytes(bad, 'rho.safetensors')).toThrow(/rho\.safetensors: .*noiseCorrelation must be a number in \[0, 1\)/);
  });
  it('loads files that store the removed refiner field as null, and rejects one that has a refiner', () => {
    const withNull = edited(tinyCheckpoint(), (_, m) => { m.config = JSON.stringify({ ...JSON.parse(m.config), refiner: null }); });
    const { config, params } = checkpointFromBytes(withNull, 'old.safetensors');
    expect(config).toEqual(presetConfig('tiny'));
    expect('refiner' in config).toBe(false);
    expect(Buffer.from(checkpointToBytes(config, params, { step: '12' })).equals(Buffer.from(tinyCheckpoint()))).toBe(true);
    const refined = edited(tinyCheckpoint(), (_, m) => {
      m.config = JSON.stringify({ ...JSON.parse(m.config), refiner: { patchSize: 2, hiddenSize: 16, numHeads: 2, numLayers: 1 } });
    });
    expect(() => checkpointFromBytes(refined, 'r.safetensors')).toThrow(CheckpointError);
    expect(() => checkpointFromBytes(refined, 'r.safetensors')).toThrow(/r\.safetensors: this checkpoint has a refiner, which this studio no longer supports/);
  });
  it('rejects a tensor whose shape does not match the config, naming the file and the tensor', () => {
    const bad = edited(tinyCheckpoint(), (t) => {
      t.set('transformer_blocks.1.attn_cross.to_k.weight', { dtype: 'F32', shape: [3, 3], data: new Float32Array(9) });
    });
    expect(() => checkpointFromBytes(bad, 'bad.safetensors')).toThrow(CheckpointError);
    expect(() => checkpointFromBytes(bad, 'bad.safetensors')).toThrow(/bad\.safetensors: tensor "transformer_blocks\.1\.attn_cross\.to_k\.weight" has shape \[3, 3\]/);
  });
  it('rejects a missing tensor and an unexpected one', () => {
    const missing = edited(tinyCheckpoint(), (t) => t.delete('proj_out.bias'));
    expect(() => checkpointFromBytes(missing, 'm.safetensors')).toThrow(/m\.safetensors: tensor "proj_out\.bias" is missing/);
    const extra = edited(tinyCheckpoint(), (t) => t.set('lora.up', { dtype: 'F32', shape: [1], data: new Float32Array(1) }));
    expect(() => checkpointFromBytes(extra, 'e.safetensors')).toThrow(/unexpected tensor "lora\.up"/);
  });
  it('rejects a config that disagrees with the weights (first mismatch named)', () => {
    const other = edited(tinyCheckpoint(), (_, m) => {
      m.config = JSON.stringify({ ...JSON.parse(m.config), hiddenSize: 48 });
    });
    expect(() => checkpointFromBytes(other, 'c.safetensors')).toThrow(/c\.safetensors: tensor "text_encoder\.\S+|c\.safetensors: tensor "\S+" has shape/);
  });
  it('rejects a file without a model config, and an invalid config', () => {
    const noConfig = edited(tinyCheckpoint(), (_, m) => delete m.config);
    expect(() => checkpointFromBytes(noConfig, 'n.safetensors')).toThrow(/n\.safetensors: has no "config"/);
    const broken = edited(tinyCheckpoint(), (_, m) => { m.config = '{"name": "tiny", "frames": -1'; });
    expect(() => checkpointFromBytes(broken, 'j.safetensors')).toThrow(/j\.safetensors: its __metadata__\.config is not valid JSON/);
    const invalid = edited(tinyCheckpoint(), (_, m) => { m.config = JSON.stringify({ ...JSON.parse(m.config), patchSize: 5 }); });
    expect(() => checkpointFromBytes(invalid, 'i.safetensors')).toThrow(/i\.safetensors: .*multiples of patchSize/);
  });
  it('rejects corrupt and truncated files with the file name', () => {
    const bytes = tinyCheckpoint();
    expect(() => checkpointFromBytes(bytes.subarray(0, bytes.length - 100), 'cut.safetensors')).toThrow(SafetensorsError);
    expect(() => checkpointFromBytes(bytes.subarray(0, bytes.length - 100), 'cut.safetensors')).toThrow(/cut\.safetensors/);
    expect(() => checkpointFromBytes(new TextEncoder().encode('<html>404 not found</html>'), 'page.safetensors')).toThrow(/page\.safetensors/);
  });
});

describe('checkpoint: finite weights only', () => {
  it('rejects NaN, +Inf and -Inf, naming the file, the tensor and the first bad index', () => {
    for (const [value, word] of [[NaN, 'NaN'], [Infinity, 'Infinity'], [-Infinity, '-Infinity']] as const) {
      const bad = edited(tinyCheckpoint(), (t) => {
        const entry = t.get('proj_out.weight')!;
        const data = Float32Array.from(entry.data as Float32Array);
        data[data.length - 3] = value;
        data[data.length - 1] = value;
        t.set('proj_out.weight', { ...entry, data });
        expect(entry.shape.length).toBe(2);
      });
      const { tensors } = parseSafetensors(bad, 'x');
      const n = tensors.get('proj_out.weight')!.data.length;
      const cols = tensors.get('proj_out.weight')!.shape[1];
      let caught: unknown;
      try {
        checkpointFromBytes(bad, 'nan.safetensors');
      } catch (e) {
        caught = e;
      }
      expect(caught).toBeInstanceOf(CheckpointError);
      const message = (caught as Error).message;
      expect(message).toContain(`nan.safetensors: tensor "proj_out.weight" holds ${word} at index ${n - 3} (row ${Math.floor((n - 3) / cols)}, column ${(n - 3) % cols}`);
      expect(message).toMatch(/must hold finite weights/);
    }
  });

  it('makes no tensor when it refuses one', () => {
    const bad = edited(tinyCheckpoint(), (t) => {
      const entry = t.get('proj_out.bias')!;
      t.set('proj_out.bias', { ...entry, data: Float32Array.from(entry.data as Float32Array, () => NaN) });
    });
    const before = tf.memory().numTensors;
    expect(() => checkpointFromBytes(bad, 'b.safetensors')).toThrow(/tensor "proj_out\.bias" holds NaN at index 0/);
    expect(tf.memory().numTensors).toBe(before);
  });
});
