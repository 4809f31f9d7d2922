import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { useWasmBackend } from '../../../src/engine/tf-node';
import { layerNorm } from '../../../src/model/layers';
import { gaussianNoise } from '../../../src/diffusion/noise';

beforeAll(async () => {
  await useWasmBackend();
});

/** The oracle: the same normalisation through tfjs's own ops and gradients. */
function autodiffLayerNorm(x: tf.Tensor2D, eps = 1e-5): tf.Tensor2D {
  const { mean, variance } = tf.moments(x, -1, true);
  return tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, eps))) as tf.Tensor2D;
}

const rand = (seed: number, shape: [number, number], scale = 1, shift = 0) => tf.tidy(() => tf.add(tf.mul(tf.tensor2d(gaussianNoise(seed, shape[0] * shape[1]), shape), scale), shift) as tf.Tensor2D);
const maxAbs = (t: tf.Tensor) => tf.max(tf.abs(t)).dataSync()[0];

describe('layerNorm', () => {
  it('matches the autodiff oracle in value and gradient (rows of different scale and offset)', () => {
    const [n, w] = [7, 13];
    const x = tf.tidy(() => tf.mul(rand(1, [n, w], 1, 0.5), tf.tensor2d(Array.from({ length: n }, (_, i) => 0.1 + i), [n, 1])) as tf.Tensor2D);
    const dy = rand(2, [n, w]);
    const weight = rand(3, [1, w]).reshape([w]);
    const bias = rand(4, [1, w]).reshape([w]);
    const params = new Map<string, tf.Tensor>([['ln.weight', weight], ['ln.bias', bias]]);
    const tensors = tf.memory().numTensors;
    const [value, grad] = [tf.tidy(() => layerNorm(x, params, 'ln')), tf.grad((a: tf.Tensor) => tf.sum(tf.mul(layerNorm(a as tf.Tensor2D, params, 'ln'), dy)))(x)];
    const [want, wantGrad] = [tf.tidy(() => tf.add(tf.mul(autodiffLayerNorm(x), weight), bias)), tf.grad((a: tf.Tensor) => tf.sum(tf.mul(tf.add(tf.mul(autodiffLayerNorm(a as tf.Tensor2D), weight), bias), dy)))(x)];
    expect(tf.memory().numTensors).toBe(tensors + 4); // nothing left behind but the four results
    expect(maxAbs(tf.sub(value, want))).toBeLessThan(1e-6);
    const scale = maxAbs(wantGrad);
    expect(scale).toBeGreaterThan(0.1);
    expect(maxAbs(tf.sub(grad, wantGrad)) / scale).toBeLessThan(1e-5);
    // Each row's gradient is orthogonal to the constant and to y (the normalisation removes both).
    const rowSum = tf.sum(grad, -1).dataSync();
    for (const s of rowSum) expect(Math.abs(s)).toBeLessThan(1e-4);
    tf.dispose([x, dy, weight, bias, value, grad, want, wantGrad]);
  });

  it('passes the eps through (a constant row normalises to 0, its gradient stays finite)', () => {
    const x = tf.tensor2d([[3, 3, 3, 3], [1, 2, 3, 4]]);
    const g = tf.grad((a: tf.Tensor) => tf.sum(tf.mul(layerNorm(a as tf.Tensor2D, undefined, undefined, 1e-3), tf.tensor2d([[1, -1, 2, 0], [0.5, 0, 0, -0.5]]))))(x);
    const want = tf.grad((a: tf.Tensor) => tf.sum(tf.mul(autodiffLayerNorm(a as tf.Tensor2D, 1e-3), tf.tensor2d([[1, -1, 2, 0], [0.5, 0, 0, -0.5]]))))(x);
    expect(Array.from(layerNorm(x, undefined, undefined, 1e-3).dataSync().slice(0, 4))).toEqual([0, 0, 0, 0]);
    expect(maxAbs(tf.sub(g, want))).toBeLessThan(1e-4);
    expect(g.dataSync().every(Number.isFinite)).toBe(true);
  });
});
