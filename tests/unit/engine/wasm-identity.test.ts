import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useWasmBackend } from '../../../src/engine/tf-node';
import { restoreCopyingIdentity, shareIdentityOnWasm } from '../../../src/engine/wasm-identity';

beforeAll(async () => {
  await useWasmBackend(); // installs the zero-copy Identity
});
afterAll(() => shareIdentityOnWasm());

const dataIds = () => (tf.backend() as unknown as { numDataIds(): number }).numDataIds();

/** A function whose gradient saves inputs and outputs (Mul, Sigmoid, a customGrad's save). */
const saving = tf.customGrad(((x: tf.Tensor, save: tf.GradSaveFunc) => {
  save([x]);
  return { value: tf.mul(tf.sigmoid(tf.mul(x, x)), x), gradFunc: (dy: tf.Tensor, [xs]: tf.Tensor[]) => tf.mul(dy, tf.add(tf.sigmoid(tf.mul(xs, xs)), tf.mul(xs, 0.5))) };
}) as unknown as Parameters<typeof tf.customGrad>[0]);
const lossGrad = (x: tf.Tensor) => tf.grad((a: tf.Tensor) => tf.sum(tf.mul(saving(a) as tf.Tensor, tf.tanh(a))))(x);

describe('zero-copy Identity on tfjs-wasm', () => {
  it('clones without new memory, and each holder keeps the data alive until the last one is disposed', () => {
    const x = tf.tensor2d([1, 2, 3, 4, 5, 6], [2, 3]);
    const before = dataIds();
    const y = tf.clone(x);
    expect(dataIds()).toBe(before); // shared, not copied
    x.dispose();
    expect(Array.from(y.dataSync())).toEqual([1, 2, 3, 4, 5, 6]);
    expect(y.shape).toEqual([2, 3]);
    y.dispose();
    expect(dataIds()).toBe(before - 1); // freed with its last holder
  });

  it('gives the same gradients as tfjs-wasm\'s copying Identity and leaves no tensors behind', () => {
    const x = tf.tensor1d([-1.5, -0.2, 0, 0.7, 2.1]);
    const tensors = tf.memory().numTensors;
    const shared = lossGrad(x);
    expect(tf.memory().numTensors).toBe(tensors + 1);
    restoreCopyingIdentity();
    const before = dataIds();
    const copy = tf.clone(x);
    expect(dataIds()).toBe(before + 1); // the copying kernel is back: a clone has its own memory
    copy.dispose();
    const copied = lossGrad(x);
    shareIdentityOnWasm();
    expect(Array.from(shared.dataSync())).toEqual(Array.from(copied.dataSync()));
    tf.dispose([x, shared, copied]);
  });
});
