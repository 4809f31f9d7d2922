import * as tf from '@tensorflow/tfjs';
import type { ModelConfig } from '../model/config';
import { forward, type ForwardOptions } from '../model/dit';
import type { Params } from '../model/params';

/**
 * Rectified flow (Liu et al. 2022; SD3, Esser et al. 2024):
 *   x_t = (1 − t)·x0 + t·ε,   target velocity v = ε − x0,   t ∈ [0, 1], t = 1 is pure noise.
 * First-frame conditioning (HuViDPO): frame 0 is given clean (its t is 0) and is not supervised.
 */

/** Per-frame time [B, F]: t for every frame, 0 for frame 0 of first-frame samples. */
export function frameTimes(t: ArrayLike<number>, frames: number, firstFrame: ArrayLike<boolean>): tf.Tensor2D {
  const data = new Float32Array(t.length * frames);
  for (let b = 0; b < t.length; b++) for (let f = 0; f < frames; f++) data[b * frames + f] = firstFrame[b] && f === 0 ? 0 : t[b];
  return tf.tensor2d(data, [t.length, frames]);
}

/** Supervision mask [B, F]: 1 on supervised frames, 0 on a given first frame. */
export function supervisedFrames(batch: number, frames: number, firstFrame: ArrayLike<boolean>): tf.Tensor2D {
  const data = new Float32Array(batch * frames).fill(1);
  for (let b = 0; b < batch; b++) if (firstFrame[b]) data[b * frames] = 0;
  return tf.tensor2d(data, [batch, frames]);
}

/** x_t = (1 − t)·x0 + t·ε with per-frame t [B, F]. */
export function interpolate(x0: tf.Tensor5D, eps: tf.Tensor5D, t: tf.Tensor2D): tf.Tensor5D {
  const tt = t.reshape([t.shape[0], t.shape[1], 1, 1, 1]);
  return tf.add(tf.mul(tf.sub(1, tt), x0), tf.mul(tt, eps)) as tf.Tensor5D;
}

/**
 * Per-sample mean squared error over the supervised frames: m(x) in docs/architecture.md §4.
 * pred, target [B, F, H, W, 3], mask [B, F] → [B].
 */
export function perSampleMse(pred: tf.Tensor5D, target: tf.Tensor5D, mask: tf.Tensor2D): tf.Tensor1D {
  const [b, f] = pred.shape;
  const perFrame = tf.mean(tf.square(tf.sub(pred, target)).reshape([b, f, -1]), 2); // [B, F]
  return tf.div(tf.sum(tf.mul(perFrame, mask), 1), tf.sum(mask, 1)) as tf.Tensor1D;
}

export { logitNormalTimes, shiftTime, trainingTimes } from './times';

export interface FlowBatch {
  /** Clean videos [B, F, H, W, 3] in [-1, 1]. */
  x0: tf.Tensor5D;
  /** Noise [B, F, H, W, 3]. */
  eps: tf.Tensor5D;
  /** Token ids [B, Lt]. */
  ids: tf.Tensor2D;
  /** t per sample. */
  t: Float32Array;
  /** First-frame mode per sample. */
  firstFrame: boolean[];
}

/** Velocity-prediction loss: mean over the batch of m(x) — the pretraining (and SFT) objective. */
export function flowMatchingLoss(params: Params, config: ModelConfig, batch: FlowBatch, opts: ForwardOptions = {}): tf.Scalar {
  const [b, f] = batch.x0.shape;
  const t = frameTimes(batch.t, f, batch.firstFrame);
  const xt = interpolate(batch.x0, batch.eps, t);
  const pred = forward(params, config, xt, t, batch.ids, opts);
  const target = tf.sub(batch.eps, batch.x0) as tf.Tensor5D;
  return tf.mean(perSampleMse(pred, target, supervisedFrames(b, f, batch.firstFrame)));
}
