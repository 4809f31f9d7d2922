import * as tf from '@tensorflow/tfjs';
import type { ModelConfig } from '../model/config';
import { forward, type ForwardOptions } from '../model/dit';
import type { Params } from '../model/params';
import { tokenizeBatch } from '../model/tokenizer';
import { frameTimes, shiftTime } from './flow';
import { videoNoise } from './noise';
import { DEFAULT_GUIDANCE, DEFAULT_SAMPLE_STEPS, DEFAULT_SAMPLER, SAMPLERS, type SamplerName } from './sampler-defaults';

export interface SampleOptions extends ForwardOptions {
  prompts: string[];
  seeds: number[];
  /** The ODE solver (default DEFAULT_SAMPLER); `euler` is the first-order one. */
  sampler?: SamplerName;
  /** Solver steps from t = 1 to t = 0, one model evaluation (both CFG branches in one forward) each. */
  steps?: number;
  /** Classifier-free guidance scale; 1 disables guidance (one forward per step instead of two). */
  guidance?: number;
  /**
   * η ∈ [0, 1]: fraction of fresh noise per step (DDIM's η for rectified flow). 0 is the Euler
   * ODE step; with η > 0 each step re-noises the predicted clean video x̂0 to t' with
   * √(1−η²)·ε̂ + η·ε_new, where ε̂ is the noise the model's prediction implies.
   */
  stochasticity?: number;
  /** First frame per sample (HuViDPO mode): [H, W, 3] in [-1, 1], or null. */
  firstFrames?: (Float32Array | null)[];
  /** Called after each step. Return `false` to stop early (cancel). */
  onStep?: (done: number, total: number) => boolean | void;
}

export { DEFAULT_GUIDANCE, DEFAULT_SAMPLE_STEPS, DEFAULT_SAMPLER, SAMPLERS, type SamplerName };

/**
 * Noise for a batch of seeds: [B, F, H, W, 3], identical on every backend. `step` 0 is the
 * initial noise; step k > 0 the fresh noise of a stochastic sampler's k-th step.
 */
export function seedNoise(seeds: number[], config: ModelConfig, step = 0): Float32Array {
  const frameSize = config.height * config.width * 3;
  const per = config.frames * frameSize;
  const out = new Float32Array(seeds.length * per);
  seeds.forEach((s, i) => out.set(videoNoise(step === 0 ? s : (s ^ Math.imul(step, 0x9e3779b1)) >>> 0, config.frames, frameSize, config.noiseCorrelation), i * per));
  return out;
}

/** One ODE solver's steps from t to t' < t, given v at (x_t, t); it keeps what a multistep method needs. */
export interface FlowSolver {
  step(x: tf.Tensor, v: tf.Tensor, t: number, tNext: number): tf.Tensor;
  dispose(): void;
}

/** The solver `name` (see `sampleVideos`). Call `step` for consecutive intervals of one trajectory. */
export function flowSolver(name: SamplerName): FlowSolver {
  if (!SAMPLERS.includes(name)) throw new Error(`sampleVideos: unknown sampler "${name}"; one of ${SAMPLERS.join(', ')}`);
  if (name === 'euler') return { step: (x, v, t, tNext) => tf.add(x, tf.mul(v, tNext - t)), dispose: () => {} };
  // dpm++2m: the previous step's x̂0 and h; λ = log((1 − t)/t).
  let previousX0: tf.Tensor | null = null;
  let previousH = 0;
  const lambda = (t: number) => Math.log((1 - t) / t);
  return {
    step(x, v, t, tNext) {
      return tf.tidy(() => {
        const x0Hat = tf.sub(x, tf.mul(v, t));
        const h = tNext === 0 ? Infinity : lambda(tNext) - lambda(t);
        let d: tf.Tensor = x0Hat;
        if (previousX0 && Number.isFinite(h)) {
          const c = h / (2 * previousH); // 1/(2r); 0 after the first step, whose h (from t = 1, λ = −∞) is infinite
          d = tf.sub(tf.mul(x0Hat, 1 + c), tf.mul(previousX0, c));
        }
        previousX0?.dispose();
        previousX0 = tf.keep(x0Hat);
        previousH = h;
        // x_{t'} = (t'/t)·x_t + (1 − t'/t)·D
        return tf.add(tf.mul(x, tNext / t), tf.mul(d, 1 - tNext / t));
      });
    },
    dispose: () => previousX0?.dispose(),
  };
}

/**
 * Sampler for the rectified-flow ODE dx/dt = v(x, t) from t = 1 (noise) to t = 0 on the config's
 * shifted time grid, with classifier-free guidance v = v_u + g·(v_c − v_u) (Ho & Salimans 2022),
 * the unconditional input being the empty prompt (both branches in one forward). Solvers:
 *  - `euler`: x_{t'} = x_t + (t' − t)·v. On x_t = (1 − t)·x0 + t·ε this is DDIM, and also
 *    DPM-Solver++'s first-order step x_{t'} = (t'/t)·x_t + (1 − t'/t)·x̂0 with x̂0 = x_t − t·v.
 *  - `dpm++2m`: DPM-Solver++(2M) (Lu et al. 2022, alg. 2) with α_t = 1 − t, σ_t = t, λ = log(α/σ):
 *    the same step with x̂0 replaced by D = (1 + 1/(2r))·x̂0_i − 1/(2r)·x̂0_{i−1}, r = h_{i−1}/h_i,
 *    h_i = λ_{i+1} − λ_i; the first step and the last (to t = 0, where h is infinite) are first order.
 *    One model evaluation a step, as Euler, and second order: half the steps for the same error.
 * Returns videos [B, F, H, W, 3] in [-1, 1] as a Float32Array.
 */
export async function sampleVideos(params: Params, config: ModelConfig, opts: SampleOptions): Promise<Float32Array> {
  const b = opts.prompts.length;
  if (opts.seeds.length !== b) throw new Error(`sampleVideos: ${b} prompts but ${opts.seeds.length} seeds`);
  const steps = opts.steps ?? DEFAULT_SAMPLE_STEPS;
  const guidance = opts.guidance ?? DEFAULT_GUIDANCE;
  const { frames: f, height: h, width: w } = config;
  const frameSize = h * w * 3;
  const firstFrame = (opts.firstFrames ?? []).map((x) => x != null);
  while (firstFrame.length < b) firstFrame.push(false);
  const useCfg = guidance !== 1;
  const eta = opts.stochasticity ?? 0;
  if (!(eta >= 0 && eta <= 1)) throw new Error(`sampleVideos: stochasticity must be in [0, 1], got ${eta}`);
  const sampler = opts.sampler ?? DEFAULT_SAMPLER;
  if (sampler !== 'euler' && eta > 0) throw new Error(`sampleVideos: stochasticity needs the euler sampler, not ${sampler}`);
  const solver = flowSolver(sampler);

  // 1. Tokens: conditional rows, then (with CFG) the same number of unconditional rows.
  const idsData = tokenizeBatch(useCfg ? [...opts.prompts, ...opts.prompts.map(() => '')] : opts.prompts, config);
  const ids = tf.tensor2d(idsData, [useCfg ? 2 * b : b, config.maxTextLength], 'int32');

  // 2. Start from seeded noise; pin the given first frames.
  const xData = seedNoise(opts.seeds, config);
  const pinFirstFrames = (data: Float32Array) => {
    opts.firstFrames?.forEach((frame, i) => {
      if (frame) data.set(frame.subarray(0, frameSize), i * f * frameSize);
    });
  };
  pinFirstFrames(xData);
  let x = tf.tensor5d(xData, [b, f, h, w, 3]);

  try {
    for (let i = 0; i < steps; i++) {
      const tNow = shiftTime(1 - i / steps, config.timeShift);
      const tNext = shiftTime(1 - (i + 1) / steps, config.timeShift);
      const next = tf.tidy(() => {
        const tBatch = new Float32Array(b).fill(tNow);
        let v: tf.Tensor5D;
        if (useCfg) {
          const t2 = frameTimes([...tBatch, ...tBatch], f, [...firstFrame, ...firstFrame]);
          const out = forward(params, config, tf.concat([x, x], 0) as tf.Tensor5D, t2, ids, opts);
          const [vc, vu] = tf.split(out, 2, 0) as [tf.Tensor5D, tf.Tensor5D];
          v = tf.add(vu, tf.mul(tf.sub(vc, vu), guidance)) as tf.Tensor5D;
        } else {
          v = forward(params, config, x, frameTimes(tBatch, f, firstFrame), ids, opts);
        }
        // Pinned first frames have t = 0 and stay put below.
        if (eta > 0 && tNext > 0) {
          // Stochastic Euler step: x̂0 = x − t·v, ε̂ = x + (1 − t)·v; x_{t'} = (1 − t')·x̂0 + t'·(√(1−η²)·ε̂ + η·ε_new).
          const x0Hat = tf.sub(x, tf.mul(v, tNow));
          const epsHat = tf.add(x, tf.mul(v, 1 - tNow));
          const fresh = tf.tensor5d(seedNoise(opts.seeds, config, i + 1), [b, f, h, w, 3]);
          const eps = tf.add(tf.mul(epsHat, Math.sqrt(1 - eta * eta)), tf.mul(fresh, eta));
          return tf.add(tf.mul(x0Hat, 1 - tNext), tf.mul(eps, tNext)) as tf.Tensor5D;
        }
        return solver.step(x, v, tNow, tNext) as tf.Tensor5D;
      });
      x.dispose();
      x = next;
      if (opts.firstFrames?.some((fr) => fr)) {
        const data = (await x.data()) as Float32Array;
        pinFirstFrames(data);
        x.dispose();
        x = tf.tensor5d(data, [b, f, h, w, 3]);
      }
      if (opts.onStep?.(i + 1, steps) === false) throw new SamplingCancelled();
      // Yield to the event loop so progress events and cancel messages get through.
      await new Promise((r) => setTimeout(r, 0));
    }
    const out = (await x.data()) as Float32Array;
    return Float32Array.from(out, (v) => Math.max(-1, Math.min(1, v)));
  } finally {
    x.dispose();
    ids.dispose();
    solver.dispose();
  }
}

export class SamplingCancelled extends Error {
  constructor() {
    super('Sampling cancelled');
  }
}
