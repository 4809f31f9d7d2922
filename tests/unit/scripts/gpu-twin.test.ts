// The GPU twin (gpu/twin.py) against the TypeScript model: the same parameters and inputs give the
// same velocity and flow-matching loss (NumPy back end here; gpu/README.md runs the PyTorch one on
// the device). Also the batch stream the twin trains on: records decode to pretrain's batches.
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { useWasmBackend } from '../../../src/engine/tf-node';
import { TINY_FULLY_OPTIONED, writeParityFixture } from '../../../scripts/lib/gpu-parity';
import { randomParams } from '../../../src/model/params';
import { checkpointFromBytes } from '../../../src/model/checkpoint';
import { encodeRecord } from '../../../scripts/lib/gpu-twin';
import { batchOptionsFromArgs, PRETRAIN_BATCH_FLAGS, pretrainBatch } from '../../../scripts/lib/pretrain-batch';
import type { ModelConfig } from '../../../src/model/config';
import { presetConfig } from '../../../src/model/presets';

const pythonWith = (modules: string) => ['python3', '/usr/bin/python3'].find((py) => spawnSync(py, ['-c', `import ${modules}`], { stdio: 'ignore' }).status === 0);
/** A Python with NumPy (the twin's CPU back end). .ci/run makes sure there is one. */
const numpyPython = pythonWith('numpy');
const hasNumpy = numpyPython !== undefined;
/** A Python with PyTorch (Debian's python3-torch, CPU, which .ci/run installs), for the PyTorch back end and the trainer. */
const torchPython = pythonWith('torch, numpy');

beforeAll(async () => {
  await useWasmBackend();
});

function parity(config: ModelConfig, python = numpyPython!, backend = 'numpy'): { v_max_abs_err: number; v_max_abs: number; loss_rel_err: number } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'twin-'));
  const file = path.join(dir, 'fixture.safetensors');
  writeParityFixture(file, config);
  const out = execFileSync(python, [path.resolve('gpu/parity.py'), file, '--backend', backend], { encoding: 'utf8', env: { ...process.env, PYTHONWARNINGS: 'ignore' } });
  fs.rmSync(dir, { recursive: true });
  return JSON.parse(out.trim().split('\n').pop()!);
}

describe.skipIf(!hasNumpy)('GPU twin parity (NumPy back end)', () => {
  const cases: [string, ModelConfig][] = [
    ['tiny (sparse-causal, learned positions)', presetConfig('tiny')],
    ['tiny, frame + causal temporal, sin-cos positions', TINY_FULLY_OPTIONED],
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

describe.skipIf(!torchPython)('GPU twin on PyTorch (CPU here; the device runs the same code on CUDA)', () => {
  for (const [name, config] of [['tiny, frame + causal temporal, sin-cos positions', TINY_FULLY_OPTIONED], ['small', presetConfig('small')]] as const) {
    it(`${name}: the PyTorch back end matches the TypeScript model`, () => {
      const r = parity(config, torchPython, 'torch');
      expect(r.v_max_abs_err).toBeLessThan(1e-4 * Math.max(1, r.v_max_abs));
      expect(r.loss_rel_err).toBeLessThan(1e-5);
    }, 120_000);
  }
  it('train.py trains tiny from the batch stream, writes a checkpoint the studio loads, and resumes', () => {
    execFileSync('npm', ['run', '--silent', 'gpu:bundle'], { stdio: 'inherit' });
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'twin-train-'));
    const run = (out: string, extra: string[]) => execFileSync(torchPython!, [path.resolve('gpu/train.py'), '--out', out, '--batch', '8', '--workers', '1', '--log-every', '10', '--warmup', '20', ...extra], { encoding: 'utf8', env: { ...process.env, PYTHONWARNINGS: 'ignore' } });
    run(path.join(dir, 'a'), ['--preset', 'tiny', '--steps', '200']);
    const log = JSON.parse(fs.readFileSync(path.join(dir, 'a', 'log.json'), 'utf8')) as { loss: [number, number][]; seconds: number };
    expect(log.loss.at(-1)![0]).toBe(200);
    expect(log.seconds).toBeGreaterThan(0);
    expect(log.loss.at(-1)![1]).toBeLessThan(log.loss[0][1] / 4); // it learns
    const file = path.join(dir, 'a', 'model.safetensors');
    const ck = checkpointFromBytes(new Uint8Array(fs.readFileSync(file)), file);
    expect([ck.config.name, ck.metadata.step]).toEqual(['tiny', '200']);
    run(path.join(dir, 'b'), ['--resume', path.join(dir, 'a'), '--steps', '220']);
    const resumed = JSON.parse(fs.readFileSync(path.join(dir, 'b', 'log.json'), 'utf8')) as { loss: [number, number][]; seconds: number };
    expect(resumed.loss.map(([step]) => step).slice(-3)).toEqual([200, 210, 220]);
    expect(resumed.seconds).toBeGreaterThan(log.seconds); // training time adds up over the calls of a run
    fs.rmSync(dir, { recursive: true });
  }, 180_000);
});

describe.skipIf(!hasNumpy)('GPU twin checkpoints', () => {
  it('a checkpoint twin.py writes loads in the studio with the same weights and config', () => {
    const config = TINY_FULLY_OPTIONED;
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'twin-ckpt-'));
    const fixture = path.join(dir, 'fixture.safetensors');
    const out = path.join(dir, 'model.safetensors');
    const params = randomParams(config, 9);
    writeParityFixture(fixture, config, params);
    execFileSync(numpyPython!, [path.resolve('gpu/twin.py'), '--resave', fixture, out]);
    const loaded = checkpointFromBytes(new Uint8Array(fs.readFileSync(out)), out);
    fs.rmSync(dir, { recursive: true });
    expect(loaded.config).toEqual(config);
    expect(loaded.metadata.step).toBe('0');
    for (const [name, t] of params) expect(Array.from(loaded.params.get(name)!.dataSync()), name).toEqual(Array.from(t.dataSync()));
  });
});

describe.skipIf(!hasNumpy)('GPU batch stream through the bundled server', () => {
  it('gpu/stream.py reads from two servers the batches pretrain builds for those steps', () => {
    execFileSync('npm', ['run', '--silent', 'gpu:bundle'], { stdio: 'inherit' });
    const config = presetConfig('tiny');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'stream-'));
    const configFile = path.join(dir, 'config.json');
    fs.writeFileSync(configFile, JSON.stringify(config));
    const got = JSON.parse(execFileSync(numpyPython!, [path.resolve('gpu/stream.py'), '--check', configFile], { encoding: 'utf8' }));
    fs.rmSync(dir, { recursive: true });
    const options = batchOptionsFromArgs(PRETRAIN_BATCH_FLAGS, 3, false);
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
    const options = batchOptionsFromArgs(PRETRAIN_BATCH_FLAGS, 3, false);
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
