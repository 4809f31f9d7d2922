// `npm run pretrain -- --resume --add-refiner`: a refiner put on a trained run leaves the model's
// output unchanged and starts with fresh optimiser state, the trunk's state untouched.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { addRefiner } from '../../../scripts/lib/train-state';
import { useWasmBackend } from '../../../src/engine/tf-node';
import { createAdamState } from '../../../src/diffusion/optim';
import { gaussianNoise } from '../../../src/diffusion/noise';
import { forward } from '../../../src/model/dit';
import { randomParams, type Params } from '../../../src/model/params';
import { presetConfig } from '../../../src/model/presets';
import { tokenizeBatch } from '../../../src/model/tokenizer';

beforeAll(async () => {
  await useWasmBackend();
});

const asVariables = (p: Params) => new Map([...p].map(([n, t]) => [n, tf.variable(t, true)]));

describe('addRefiner (pretrain --add-refiner)', () => {
  it('adds zero-output refiner tensors to weights, EMA and Adam; output and trunk state unchanged', () => {
    const config = presetConfig('tiny');
    const params = asVariables(randomParams(config, 4));
    const ema = asVariables(randomParams(config, 5));
    const adam = createAdamState(params);
    const trunkMoment = adam.m.get('proj_out.weight')!;
    const { frames: f, height: h, width: w } = config;
    const x = tf.tensor5d(gaussianNoise(1, 2 * f * h * w * 3), [2, f, h, w, 3]);
    const t = tf.fill([2, f], 0.6) as tf.Tensor2D;
    const ids = tf.tensor2d(tokenizeBatch(['a red circle moves left', ''], config), [2, config.maxTextLength], 'int32');
    const before = forward(params, config, x, t, ids).dataSync();

    const refiner = { patchSize: 2, hiddenSize: 16, numHeads: 2, numLayers: 1 };
    const next = addRefiner(config, refiner, { params, ema, adam }, 7);
    expect(next.refiner).toEqual(refiner);
    expect(Array.from(forward(params, next, x, t, ids).dataSync())).toEqual(Array.from(before));
    const added = [...params.keys()].filter((n) => n.startsWith('refiner.'));
    expect(added.length).toBeGreaterThan(10);
    for (const name of added) {
      expect(Array.from(ema.get(name)!.dataSync())).toEqual(Array.from(params.get(name)!.dataSync()));
      expect(tf.max(tf.abs(adam.m.get(name)!)).dataSync()[0]).toBe(0);
      expect(tf.max(tf.abs(adam.v.get(name)!)).dataSync()[0]).toBe(0);
    }
    expect(adam.m.get('proj_out.weight')).toBe(trunkMoment);
    expect(() => addRefiner(next, refiner, { params, ema, adam }, 7)).toThrow(/already has a refiner/);
    expect(() => addRefiner(config, { ...refiner, patchSize: 3 }, { params, ema, adam }, 7)).toThrow(/--add-refiner: .*refiner\.patchSize 3/);
  });
});
