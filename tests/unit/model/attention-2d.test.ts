import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useWasmBackend } from '../../../src/engine/tf-node';
import { referenceAttention, type AttentionMask } from '../../../src/model/attention';
import { attention2d, attention2dOp, attention2dUnsupported, attentionBlocks } from '../../../src/model/attention-2d';
import { gaussianNoise } from '../../../src/diffusion/noise';

beforeAll(async () => {
  await useWasmBackend();
});

const rand = (seed: number, shape: [number, number, number, number]) => tf.tensor4d(gaussianNoise(seed, shape.reduce((a, b) => a * b, 1)), shape);
const maxAbs = (t: tf.Tensor) => tf.max(tf.abs(t)).dataSync()[0];

/** Output and dQ, dK, dV of Σ O ⊙ dY for one implementation. */
function run(fn: (q: tf.Tensor4D, k: tf.Tensor4D, v: tf.Tensor4D) => tf.Tensor4D, q: tf.Tensor4D, k: tf.Tensor4D, v: tf.Tensor4D, dy: tf.Tensor4D) {
  const o = fn(q, k, v);
  const grads = tf.grads((a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) => tf.sum(tf.mul(fn(a as tf.Tensor4D, b as tf.Tensor4D, c as tf.Tensor4D), dy)))([q, k, v]);
  return [o, ...grads];
}

// Shapes that are multiples of nothing: 2 videos, 3 heads, head dimension 5, odd sequence and frame lengths.
const [b, h, d] = [2, 3, 5];
const cases: { name: string; mask: AttentionMask; lq: number; lk: number }[] = [
  { name: 'full self-attention', mask: { kind: 'full' }, lq: 11, lk: 11 },
  { name: 'cross-attention (Lq ≠ Lk)', mask: { kind: 'full' }, lq: 13, lk: 7 },
  { name: 'causal', mask: { kind: 'causal' }, lq: 9, lk: 9 },
  { name: 'causal with Lq < Lk', mask: { kind: 'causal' }, lq: 6, lk: 9 },
  { name: 'frame (3 frames of 7)', mask: { kind: 'frame', tokensPerFrame: 7 }, lq: 21, lk: 21 },
  { name: 'sparse-causal (1 frame)', mask: { kind: 'sparse-causal', tokensPerFrame: 7 }, lq: 7, lk: 7 },
  { name: 'sparse-causal (5 frames of 3)', mask: { kind: 'sparse-causal', tokensPerFrame: 3 }, lq: 15, lk: 15 },
];

describe('attention as 2-D matmuls (src/model/attention-2d.ts) against referenceAttention', () => {
  const made: tf.Tensor[] = [];
  afterAll(() => tf.dispose(made));
  for (const [i, c] of cases.entries()) {
    it(`${c.name}: equal output and gradients`, () => {
      const q = rand(10 * i + 1, [b, h, c.lq, d]);
      const k = rand(10 * i + 2, [b, h, c.lk, d]);
      const v = rand(10 * i + 3, [b, h, c.lk, d]);
      const dy = rand(10 * i + 4, [b, h, c.lq, d]);
      made.push(q, k, v, dy);
      const op = attention2dOp(c.mask);
      const got = run((x, y, z) => op(x, y, z) as tf.Tensor4D, q, k, v, dy);
      const want = run((x, y, z) => referenceAttention.attention(x, y, z, c.mask), q, k, v, dy);
      for (const [j, name] of ['O', 'dQ', 'dK', 'dV'].entries()) {
        expect(got[j].shape, name).toEqual(want[j].shape);
        // Within float rounding of the quantity's own scale.
        expect(maxAbs(tf.sub(got[j], want[j])), name).toBeLessThan(1e-5 * Math.max(1, maxAbs(want[j])));
      }
      made.push(...got, ...want);
    });
  }

  it('cuts frame and sparse-causal calls into one block per frame, the others per sequence', () => {
    expect(attentionBlocks([2, 3, 21, 5], [2, 3, 21, 5], { kind: 'frame', tokensPerFrame: 7 })).toMatchObject({ count: 18, lq: 7, lk: 7, keysTile: true });
    const sparse = attentionBlocks([1, 2, 12, 5], [1, 2, 12, 5], { kind: 'sparse-causal', tokensPerFrame: 3 });
    expect(sparse).toMatchObject({ count: 8, lq: 3, lk: 6, keysTile: false });
    // Second sequence (rows 12…23), its frames 0…3: keys of frame 0 and of frame i−1.
    expect([4, 5, 6, 7].map((g) => sparse.keyRows(g))).toEqual([[[12, 3], [12, 3]], [[12, 3], [12, 3]], [[12, 3], [15, 3]], [[12, 3], [18, 3]]]);
    expect(attentionBlocks([2, 3, 13, 5], [2, 3, 7, 5], { kind: 'full' })).toMatchObject({ count: 6, lq: 13, lk: 7, keysTile: true });
  });

  it('takes the blocks of small (frames of 64 tokens, cross-attention) and leaves small blocks to the reference', () => {
    const shape = (l: number): [number, number, number, number] => [1, 3, l, 32];
    const frame = tf.zeros(shape(512)) as tf.Tensor4D;
    const text = tf.zeros(shape(16)) as tf.Tensor4D;
    const temporal = tf.zeros(shape(8)) as tf.Tensor4D;
    made.push(frame, text, temporal);
    expect(attention2dUnsupported(frame, frame, { kind: 'frame', tokensPerFrame: 64 })).toBeNull();
    expect(attention2dUnsupported(frame, text, { kind: 'full' })).toBeNull();
    expect(attention2dUnsupported(temporal, temporal, { kind: 'full' })).toMatch(/8×8×32 .*too small/);
    expect(attention2dUnsupported(text, text, { kind: 'causal' })).toMatch(/too small/);
  });

  it('leaves no tensors behind, forward or gradient', () => {
    const q = rand(81, [1, 2, 6, 5]), k = rand(82, [1, 2, 6, 5]), v = rand(83, [1, 2, 6, 5]);
    made.push(q, k, v);
    const op = attention2dOp({ kind: 'sparse-causal', tokensPerFrame: 2 });
    const before = tf.memory().numTensors;
    const o = op(q, k, v) as tf.Tensor;
    const grads = tf.grads((a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) => tf.sum(op(a, b, c) as tf.Tensor))([q, k, v]);
    expect(tf.memory().numTensors).toBe(before + 1 + grads.length);
    tf.dispose([o, ...grads]);
  });

  it('falls back to the reference for the blocks it leaves (same values)', () => {
    const q = rand(91, [2, 3, 8, 4]), k = rand(92, [2, 3, 8, 4]), v = rand(93, [2, 3, 8, 4]);
    made.push(q, k, v);
    const mask: AttentionMask = { kind: 'causal' };
    const got = attention2d.attention(q, k, v, mask), want = referenceAttention.attention(q, k, v, mask);
    made.push(got, want);
    expect(maxAbs(tf.sub(got, want))).toBe(0);
  });
});
