// Parity fixtures for the GPU twin (gpu/parity.py): parameters, inputs, and what the TypeScript
// model (tfjs) computes from them — the velocity at x_t and the flow-matching loss.
import fs from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { flowMatchingLoss, frameTimes, interpolate } from '../../src/diffusion/flow';
import { gaussianNoise } from '../../src/diffusion/noise';
import { paramsToTensors } from '../../src/model/checkpoint';
import type { ModelConfig } from '../../src/model/config';
import { forward } from '../../src/model/dit';
import { randomParams, type Params } from '../../src/model/params';
import { presetConfig } from '../../src/model/presets';
import { tokenizeBatch } from '../../src/model/tokenizer';
import { serializeSafetensors, type TensorEntry } from '../../src/io/safetensors';
import { modelInfo } from './gpu-twin';

/** The tiny model with every option the shipped ones leave off: frame + causal attention, sin-cos positions. */
export const TINY_FULLY_OPTIONED: ModelConfig = {
  ...presetConfig('tiny'), spatialAttention: 'frame', temporalAttention: 'causal', positionEncoding: 'sincos+learned',
};

/**
 * Write a fixture: `params` (memory layout; random when omitted), two videos (the second in
 * first-frame mode, the first with the empty prompt so pooling over <bos> alone is covered), the
 * TypeScript model's velocity and loss.
 */
export function writeParityFixture(file: string, config: ModelConfig, params: Params = randomParams(config, 5)): { loss: number } {
  const b = 2;
  const { frames: f, height: h, width: w } = config;
  const dims = [b, f, h, w, 3] as [number, number, number, number, number];
  const n = b * f * h * w * 3;
  const x0 = Float32Array.from(gaussianNoise(71, n), Math.tanh);
  const eps = gaussianNoise(72, n);
  const t = Float32Array.from([0.83, 0.41]);
  const firstFrame = [false, true];
  const prompts = ['', 'a blue square moves down on a white background'];
  const ids = tokenizeBatch(prompts, config);
  const batch = { x0: tf.tensor5d(x0, dims), eps: tf.tensor5d(eps, dims), ids: tf.tensor2d(ids, [b, config.maxTextLength], 'int32'), t, firstFrame };
  const tFrames = frameTimes(t, f, firstFrame);
  const xt = interpolate(batch.x0, batch.eps, tFrames);
  const v = forward(params, config, xt, tFrames, batch.ids);
  const loss = flowMatchingLoss(params, config, batch).dataSync()[0];
  const f32 = (shape: number[], data: Float32Array): TensorEntry => ({ dtype: 'F32', shape, data });
  const tensors: Record<string, TensorEntry> = {
    ...paramsToTensors(config, params),
    'input.xt': f32(dims, xt.dataSync() as Float32Array),
    'input.t_frames': f32([b, f], tFrames.dataSync() as Float32Array),
    'input.x0': f32(dims, x0),
    'input.eps': f32(dims, eps),
    'input.t': f32([b], t),
    'input.first_frame': { dtype: 'U8', shape: [b], data: Uint8Array.from(firstFrame, (x) => (x ? 1 : 0)) },
    'input.ids': { dtype: 'I32', shape: [b, config.maxTextLength], data: ids },
    'expected.v': f32(dims, v.dataSync() as Float32Array),
    'expected.loss': f32([1], Float32Array.of(loss)),
  };
  fs.writeFileSync(file, serializeSafetensors(tensors, { config: JSON.stringify(config), model_info: JSON.stringify(modelInfo(config)) }));
  tf.dispose([batch.x0, batch.eps, batch.ids, tFrames, xt, v]);
  return { loss };
}
