import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { useWasmBackend } from '../../../src/engine/tf-node';
import { attention, gatherSparseCausalKV, referenceAttention, type AttentionMask } from '../../../src/model/attention';
import { BOS_ID, PAD_ID, PREDICTION_T_MIN, tokensPerFrame, type ModelConfig } from '../../../src/model/config';
import { fixedPositionCodes, sincosCode } from '../../../src/model/positions';
import { forward } from '../../../src/model/dit';
import { matmulBias } from '../../../src/model/layers';
import { countParameters, initParams, randomParams as seededRandomParams, type Params } from '../../../src/model/params';
import { presetConfig } from '../../../src/model/presets';
import { tokenize, tokenizeBatch } from '../../../src/model/tokenizer';
import { gaussianNoise } from '../../../src/diffusion/noise';
import { PromptError } from '../../../src/world/prompt';

beforeAll(async () => {
  await useWasmBackend();
});

/** Params with every tensor random (adaLN gates non-zero), so every sub-layer matters. */
const randomParams = (config: ModelConfig, seed = 3): Params => seededRandomParams(config, seed);

function inputs(config: ModelConfig, b: number, seed = 7) {
  const { frames: f, height: h, width: w } = config;
  const x = tf.tensor5d(gaussianNoise(seed, b * f * h * w * 3), [b, f, h, w, 3]);
  const t = tf.tensor2d(Float32Array.from({ length: b * f }, (_, i) => (i % f === 0 ? 0 : 0.6)), [b, f]); // first-frame mode
  const ids = tf.tensor2d(tokenizeBatch(Array(b).fill('a blue square moves down'), config), [b, config.maxTextLength], 'int32');
  return { x, t, ids };
}

describe('tokenizer', () => {
  const config = presetConfig('tiny');
  it('canonicalises case, whitespace and punctuation', () => {
    const a = tokenize('a red circle moves left', config);
    const b = tokenize('  A RED   circle moves Left. ', config);
    expect(Array.from(b)).toEqual(Array.from(a));
    expect(a[0]).toBe(BOS_ID);
    expect(a.length).toBe(config.maxTextLength);
    expect(Array.from(a).filter((id) => id !== PAD_ID).length).toBe(1 + 5);
  });
  it('the empty prompt is <bos> alone (the unconditional input)', () => {
    expect(Array.from(tokenize('', config)).filter((id) => id !== PAD_ID)).toEqual([BOS_ID]);
  });
  it('rejects unknown words, naming each of them and listing the vocabulary', () => {
    let error: unknown;
    try {
      tokenize('a magenta circel moves left', config);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(PromptError);
    expect((error as PromptError).unknownWords).toEqual(['magenta', 'circel']);
    expect((error as Error).message).toContain('"magenta"');
    expect((error as Error).message).toContain('"circel"');
    expect((error as Error).message).toContain('red');
  });
  it('different prompts give different ids', () => {
    expect(Array.from(tokenize('a red circle moves left', config))).not.toEqual(Array.from(tokenize('a red circle moves right', config)));
  });
});

describe('attention masks (reference path)', () => {
  /** Dense attention with an explicit boolean mask: the definition the structured masks must match. */
  function dense(q: tf.Tensor4D, k: tf.Tensor4D, v: tf.Tensor4D, allowed: (i: number, j: number) => boolean): tf.Tensor4D {
    const [, , lq, d] = q.shape;
    const lk = k.shape[2];
    const bias = tf.tensor2d(Float32Array.from({ length: lq * lk }, (_, idx) => (allowed(Math.floor(idx / lk), idx % lk) ? 0 : -1e9)), [lq, lk]);
    const scores = tf.add(tf.div(tf.matMul(q, k, false, true), Math.sqrt(d)), bias);
    return tf.matMul(tf.softmax(scores), v) as tf.Tensor4D;
  }
  const [b, h, f, n, d] = [2, 2, 5, 3, 4];
  const rand = (seed: number, l: number) => tf.tensor4d(gaussianNoise(seed, b * h * l * d), [b, h, l, d]);
  let q: tf.Tensor4D, k: tf.Tensor4D, v: tf.Tensor4D;
  beforeAll(async () => {
    await useWasmBackend();
    [q, k, v] = [rand(1, f * n), rand(2, f * n), rand(3, f * n)];
  });
  const cases: [string, AttentionMask, (i: number, j: number) => boolean][] = [
    ['full', { kind: 'full' }, () => true],
    ['causal', { kind: 'causal' }, (i, j) => j <= i],
    ['frame', { kind: 'frame', tokensPerFrame: n }, (i, j) => Math.floor(i / n) === Math.floor(j / n)],
    ['sparse-causal', { kind: 'sparse-causal', tokensPerFrame: n }, (i, j) => {
      const fi = Math.floor(i / n), fj = Math.floor(j / n);
      return fj === 0 || fj === fi - 1;
    }],
  ];
  for (const [name, mask, allowed] of cases) {
    it(`${name} equals dense attention with the explicit mask`, () => {
      const got = referenceAttention.attention(q, k, v, mask);
      const want = dense(q, k, v, allowed);
      expect(tf.max(tf.abs(tf.sub(got, want))).dataSync()[0]).toBeLessThan(1e-5);
    });
  }
  it('cross-attention takes Lq ≠ Lk', () => {
    const kk = rand(4, 7), vv = rand(5, 7);
    expect(attention(q, kk, vv, { kind: 'full' }).shape).toEqual([b, h, f * n, d]);
  });
  it('sparse-causal gathers frames 0 and i−1 as key ranges', () => {
    const x = tf.tensor4d(Float32Array.from({ length: 4 }, (_, i) => i), [1, 4, 1, 1]); // frame i holds value i
    expect(Array.from(gatherSparseCausalKV(x).dataSync())).toEqual([0, 0, 0, 0, 0, 1, 0, 2]);
  });
  it('rejects mismatched shapes with a message', () => {
    expect(() => attention(q, rand(6, 4), rand(7, 4), { kind: 'frame', tokensPerFrame: n })).toThrow(/frame/);
  });
});

describe('video DiT', () => {
  const modes: [ModelConfig['spatialAttention'], ModelConfig['temporalAttention']][] = [
    ['frame', 'full'], ['frame', 'causal'], ['sparse-causal', 'full'], ['sparse-causal', 'causal'],
  ];
  for (const [spatial, temporal] of modes) {
    it(`outputs [B, F, H, W, 3] with spatial=${spatial}, temporal=${temporal}, first-frame conditioning`, () => {
      const config = { ...presetConfig('tiny'), spatialAttention: spatial, temporalAttention: temporal };
      const p = randomParams(config);
      const { x, t, ids } = inputs(config, 2);
      const y = forward(p, config, x, t, ids);
      expect(y.shape).toEqual([2, config.frames, config.height, config.width, 3]);
      expect(Array.from(y.dataSync()).every(Number.isFinite)).toBe(true);
    });
  }
  it('is causal over frames with sparse-causal spatial + causal temporal attention, and not otherwise', () => {
    const frameDelta = (config: ModelConfig) => {
      const p = randomParams(config);
      const { x, t, ids } = inputs(config, 1);
      const { frames: f, height: h, width: w } = config;
      const per = h * w * 3;
      const bumped = x.dataSync().slice();
      for (let i = (f - 1) * per; i < f * per; i++) bumped[i] += 1; // change the last frame only
      const y0 = forward(p, config, x, t, ids).dataSync();
      const y1 = forward(p, config, tf.tensor5d(bumped, x.shape), t, ids).dataSync();
      return Array.from({ length: f }, (_, fr) => Math.max(...Array.from({ length: per }, (_, i) => Math.abs(y0[fr * per + i] - y1[fr * per + i]))));
    };
    const causal = frameDelta({ ...presetConfig('tiny'), spatialAttention: 'sparse-causal', temporalAttention: 'causal' });
    expect(causal.slice(0, -1).every((d) => d < 1e-6)).toBe(true);
    expect(causal[causal.length - 1]).toBeGreaterThan(1e-3);
    const full = frameDelta({ ...presetConfig('tiny'), spatialAttention: 'frame', temporalAttention: 'full' });
    expect(full[0]).toBeGreaterThan(1e-3);
  });
  it('a fresh model (zero-initialised adaLN and head) predicts x̂0 = 0, i.e. v = x_t / max(t, tMin)', () => {
    const config = presetConfig('tiny');
    const p = initParams(config, 1, false);
    const { x, t, ids } = inputs(config, 1);
    const want = tf.div(x, tf.maximum(t, PREDICTION_T_MIN).reshape([1, config.frames, 1, 1, 1]));
    expect(tf.max(tf.abs(tf.sub(forward(p, config, x, t, ids), want))).dataSync()[0]).toBeLessThan(1e-5);
    const velocityHead = { ...config, prediction: 'velocity' as const };
    expect(tf.max(tf.abs(forward(p, velocityHead, x, t, ids))).dataSync()[0]).toBe(0);
  });
  it('fixed sin-cos positions: RMS ≈ 0.7, every position and frame distinct, zeros under "learned"', () => {
    const code = sincosCode(8, 96);
    const rms = (a: Float32Array) => Math.sqrt(a.reduce((s, v) => s + v * v, 0) / a.length);
    expect(rms(code)).toBeCloseTo(Math.SQRT1_2, 2);
    const config = { ...presetConfig('small'), positionEncoding: 'sincos+learned' as const };
    const { spatial, frames } = fixedPositionCodes(config);
    const w = config.hiddenSize;
    const rowsDistinct = (a: Float32Array, count: number) => {
      for (let i = 0; i < count; i++) for (let j = i + 1; j < count; j++) {
        let d = 0;
        for (let k = 0; k < w; k++) d += (a[i * w + k] - a[j * w + k]) ** 2;
        if (Math.sqrt(d / w) < 0.3) return false;
      }
      return true;
    };
    expect(rowsDistinct(spatial, tokensPerFrame(config))).toBe(true);
    expect(rowsDistinct(frames, config.frames)).toBe(true);
    const learned = fixedPositionCodes({ ...presetConfig('small'), positionEncoding: 'learned' });
    expect(learned.spatial.every((v) => v === 0) && learned.frames.every((v) => v === 0)).toBe(true);
  });
  it('with sin-cos positions a fresh model tells frames apart even when every frame is the same', () => {
    // Per-frame spatial attention: with sparse-causal, frames 1 and F−1 see different key frames anyway.
    const config = { ...presetConfig('tiny'), spatialAttention: 'frame' as const, positionEncoding: 'sincos+learned' as const };
    const p = randomParams(config);
    for (const name of ['pos_embed', 'frame_embed']) p.set(name, tf.zerosLike(p.get(name)!));
    const { t, ids } = inputs(config, 1);
    const { frames: f, height: h, width: w } = config;
    const frame = gaussianNoise(3, h * w * 3);
    const same = new Float32Array(f * frame.length);
    for (let i = 0; i < f; i++) same.set(frame, i * frame.length);
    const y = forward(p, config, tf.tensor5d(same, [1, f, h, w, 3]), t, ids);
    // Frame 0 is the given first frame (t = 0): compare frames 1 and F−1, which share t.
    const [first, last] = [tf.slice(y, [0, 1], [1, 1]), tf.slice(y, [0, f - 1], [1, 1])];
    expect(tf.max(tf.abs(tf.sub(first, last))).dataSync()[0]).toBeGreaterThan(1e-3);
    const learnedOnly = { ...config, positionEncoding: 'learned' as const };
    const y2 = forward(p, learnedOnly, tf.tensor5d(same, [1, f, h, w, 3]), t, ids);
    expect(tf.max(tf.abs(tf.sub(tf.slice(y2, [0, 1], [1, 1]), tf.slice(y2, [0, f - 1], [1, 1])))).dataSync()[0]).toBeLessThan(1e-5);
  });
  it('the shipped configs have the sizes the README states', () => {
    expect(tokensPerFrame(presetConfig('small'))).toBe(64);
    expect(countParameters(presetConfig('small'))).toBeLessThan(20e6 / 4); // F32 file < 20 MB
  });
  it('small-p8 is small with a token per 8×8 patch: 16 per frame, same widths, a video out', () => {
    const small = presetConfig('small');
    const p8 = presetConfig('small-p8');
    expect(tokensPerFrame(p8)).toBe(16);
    expect({ ...p8, name: 'small', patchSize: 4 }).toEqual(small);
    const params = initParams(p8, 3);
    const [f, h, w] = [p8.frames, p8.height, p8.width];
    const ids = tf.tensor2d(tokenizeBatch(['a red circle moves left'], p8), [1, p8.maxTextLength], 'int32');
    const y = forward(params, p8, tf.tensor5d(gaussianNoise(5, f * h * w * 3), [1, f, h, w, 3]), tf.fill([1, f], 0.5) as tf.Tensor2D, ids);
    expect(y.shape).toEqual([1, f, h, w, 3]);
    expect(Number.isFinite(tf.sum(tf.abs(y)).dataSync()[0])).toBe(true);
  });
});

describe('fast Linear gradient', () => {
  it('matches the default autodiff gradient', () => {
    const x = tf.tensor2d(gaussianNoise(11, 6 * 5), [6, 5]);
    const w = tf.tensor2d(gaussianNoise(12, 5 * 4), [5, 4]);
    const b = tf.tensor1d(gaussianNoise(13, 4));
    const dy = tf.tensor2d(gaussianNoise(14, 6 * 4), [6, 4]);
    const ours = tf.grads((xi, wi, bi) => tf.sum(tf.mul(matmulBias(xi as tf.Tensor2D, wi as tf.Tensor2D, bi as tf.Tensor1D), dy)))([x, w, b]);
    const plain = tf.grads((xi, wi, bi) => tf.sum(tf.mul(tf.add(tf.matMul(xi as tf.Tensor2D, wi as tf.Tensor2D), bi), dy)))([x, w, b]);
    for (let i = 0; i < 3; i++) expect(tf.max(tf.abs(tf.sub(ours[i], plain[i]))).dataSync()[0]).toBeLessThan(1e-5);
  });
});
