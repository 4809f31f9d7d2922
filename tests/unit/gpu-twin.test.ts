// The GPU twin (gpu/twin.py) against the TypeScript model: the same parameters and inputs give the
// same velocity and flow-matching loss (NumPy back end here; gpu/README.md runs the PyTorch one on
// the device). Also the batch stream the twin trains on: records decode to pretrain's batches.
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { useWasmBackend } from '../../scripts/lib/tf-node';
import { writeParityFixture } from '../../scripts/lib/gpu-parity';
import { encodeRecord } from '../../scripts/lib/gpu-twin';
import { pretrainBatch, type PretrainBatchOptions } from '../../scripts/lib/pretrain-batch';
import type { ModelConfig } from '../../src/model/config';
import { presetConfig } from '../../src/model/presets';

const hasNumpy = spawnSync('python3', ['-c', 'import numpy'], { stdio: 'ignore' }).status === 0;

beforeAll(async () => {
  await useWasmBackend();
});

function parity(config: ModelConfig): { v_max_abs_err: number; v_max_abs: number; loss_rel_err: number } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'twin-'));
  const file = path.join(dir, 'fixture.safetensors');
  writeParityFixture(file, config);
  const out = execFileSync('python3', [path.resolve('gpu/parity.py'), file], { encoding: 'utf8', env: { ...process.env, PYTHONWARNINGS: 'ignore' } });
  fs.rmSync(dir, { recursive: true });
  return JSON.parse(out.trim().split('\n').pop()!);
}

describe.skipIf(!hasNumpy)('GPU twin parity (NumPy back end)', () => {
  const cases: [string, ModelConfig][] = [
    ['tiny (sparse-causal, learned positions)', presetConfig('tiny')],
    ['tiny, frame + causal temporal, sin-cos positions, refiner', { ...presetConfig('tiny'), spatialAttention: 'frame', temporalAttention: 'causal', positionEncoding: 'sincos+learned', refiner: { patchSize: 2, hiddenSize: 16, numHeads: 2, numLayers: 2 } }],
    ['small', presetConfig('small')],
  ];
  for (const [name, config] of cases) {
    it(`${name}: velocity and loss match the TypeScript model`, () => {
      const r = parity(config);
      expect(r.v_max_abs).toBeGreaterThan(0.1); // a real output, not zeros
      expect(r.v_max_abs_err).toBeLessThan(1e-4 * Math.max(1, r.v_max_abs));
      expect(r.loss_rel_err).toBeLessThan(1e-5);
    }, 120_000);
  }
});

describe.skipIf(!hasNumpy)('GPU batch stream through the bundled server', () => {
  it('gpu/stream.py reads from two servers the batches pretrain builds for those steps', () => {
    execFileSync('npm', ['run', '--silent', 'gpu:bundle'], { stdio: 'inherit' });
    const config = presetConfig('tiny');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'stream-'));
    const configFile = path.join(dir, 'config.json');
    fs.writeFileSync(configFile, JSON.stringify(config));
    const got = JSON.parse(execFileSync('python3', [path.resolve('gpu/stream.py'), '--check', configFile], { encoding: 'utf8' }));
    fs.rmSync(dir, { recursive: true });
    const options: PretrainBatchOptions = { batchSize: 3, focusActions: [], focusRate: 0, objectWeight: 0, objectMargin: 2, dropTextRate: 0.1, firstFrameRate: 0.25, tMean: 0, withNoise: false };
    // Whichever server answers first: server 0 makes steps 42, 44, …, server 1 makes 43, 45, ….
    expect(got.map((r: { step: number }) => r.step).every((step: number) => step >= 42 && step < 46)).toBe(true);
    for (const r of got) {
      const want = pretrainBatch(config, 1, r.step, options);
      expect(r.x0_shape).toEqual([3, config.frames, config.height, config.width, 3]);
      expect(r.x0_sum).toBeCloseTo(want.x0.reduce((a, v) => a + v, 0), 2);
      expect(r.ids.flat()).toEqual(Array.from(want.ids));
      expect(r.t).toEqual(Array.from(want.t));
      expect(r.first_frame).toEqual(want.firstFrame);
    }
  }, 60_000);
});

describe('GPU batch stream', () => {
  it('a record carries exactly pretrain\'s batch of that step (x0, ids, t, first-frame flags)', () => {
    const config = presetConfig('tiny');
    const options: PretrainBatchOptions = { batchSize: 3, focusActions: [], focusRate: 0, objectWeight: 0, objectMargin: 2, dropTextRate: 0.1, firstFrameRate: 0.25, tMean: 0, withNoise: false };
    const batch = pretrainBatch(config, 1, 42, options);
    const withNoise = pretrainBatch(config, 1, 42, { ...options, withNoise: true });
    expect(Buffer.from(withNoise.x0.buffer).equals(Buffer.from(batch.x0.buffer))).toBe(true); // ε's draw keeps the stream aligned
    expect(Array.from(withNoise.t)).toEqual(Array.from(batch.t));
    expect(pretrainBatch(config, 1, 43, options).x0).not.toEqual(batch.x0);
    const record = encodeRecord(42, batch);
    expect(record.subarray(0, 4).toString('ascii')).toBe('VPOB');
    expect([record.readUInt32LE(4), record.readUInt32LE(8), record.readUInt32LE(12)]).toEqual([42, 3, record.length - 16]);
    const per = config.frames * config.height * config.width * 3;
    let at = 16;
    const take = (bytes: number) => record.subarray(at, (at += bytes));
    expect(new Float32Array(Uint8Array.from(take(3 * per * 4)).buffer)).toEqual(batch.x0);
    expect(new Int32Array(Uint8Array.from(take(3 * config.maxTextLength * 4)).buffer)).toEqual(batch.ids);
    expect(new Float32Array(Uint8Array.from(take(3 * 4)).buffer)).toEqual(batch.t);
    expect(Array.from(take(3))).toEqual(batch.firstFrame.map((x) => (x ? 1 : 0)));
    expect(at).toBe(record.length);
  });
});
