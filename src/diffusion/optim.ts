import * as tf from '@tensorflow/tfjs';

/**
 * Adam (Kingma & Ba 2015) with bias correction, global-norm gradient clipping and an EMA of the
 * weights. Written out (rather than tf.train.adam) so its moments can be checkpointed and resumed
 * exactly, and reused for LoRA training.
 */
export interface AdamOptions {
  lr: number;
  beta1?: number;
  beta2?: number;
  eps?: number;
  /** Clip the global gradient norm to this value (0 = off). */
  clipNorm?: number;
}

export interface AdamState {
  step: number;
  m: Map<string, tf.Tensor>;
  v: Map<string, tf.Tensor>;
}

export function createAdamState(vars: Map<string, tf.Variable>): AdamState {
  const m = new Map<string, tf.Tensor>();
  const v = new Map<string, tf.Tensor>();
  for (const [name, x] of vars) {
    m.set(name, tf.keep(tf.zerosLike(x)));
    v.set(name, tf.keep(tf.zerosLike(x)));
  }
  return { step: 0, m, v };
}

/**
 * x_0 + x_1 + … + x_{n−1}, added in that order, at most 7 inputs per addN: tfjs-webgpu binds every
 * addN input as a storage buffer and a compute stage has 8 (one is the output); with more, the
 * pipeline is invalid and every command submitted with it is dropped (all-zero results).
 */
export function addInOrder(xs: tf.Tensor[]): tf.Tensor {
  const perCall = 7;
  let sum = tf.addN(xs.slice(0, perCall));
  for (let i = perCall; i < xs.length; i += perCall - 1) sum = tf.addN([sum, ...xs.slice(i, i + perCall - 1)]);
  return sum;
}

/** Σ‖g‖² over a set of gradients as a scalar tensor, to read back with a step's other numbers. */
export function squaredGlobalNorm(grads: Map<string, tf.Tensor> | tf.NamedTensorMap): tf.Scalar {
  const list = grads instanceof Map ? [...grads.values()] : Object.values(grads);
  return tf.tidy(() => addInOrder(list.map((g) => tf.sum(tf.square(g)))) as tf.Scalar);
}

/** Global L2 norm of a set of gradients (one synchronous GPU/WASM read). */
export function globalNorm(grads: Map<string, tf.Tensor> | tf.NamedTensorMap): number {
  const squared = squaredGlobalNorm(grads);
  const value = squared.dataSync()[0];
  squared.dispose();
  return Math.sqrt(value);
}

/**
 * One Adam update of `vars` with `grads` (keyed alike). Returns the pre-clip gradient norm.
 * lr may change per step (schedules). Reads the norm back synchronously (scripts, the critic);
 * a loop that must not block (the engine worker on WebGPU) reads it asynchronously with its
 * other numbers and calls `applyAdam` itself.
 */
export function adamStep(vars: Map<string, tf.Variable>, grads: Map<string, tf.Tensor>, state: AdamState, opts: AdamOptions): number {
  const norm = globalNorm(grads);
  applyAdam(vars, grads, state, opts, norm);
  return norm;
}

/** The Adam update itself, given the pre-clip global gradient norm `norm` (clipping uses it). */
export function applyAdam(vars: Map<string, tf.Variable>, grads: Map<string, tf.Tensor>, state: AdamState, opts: AdamOptions, norm: number): void {
  const b1 = opts.beta1 ?? 0.9;
  const b2 = opts.beta2 ?? 0.99;
  const eps = opts.eps ?? 1e-8;
  const clip = opts.clipNorm && norm > opts.clipNorm ? opts.clipNorm / norm : 1;
  state.step += 1;
  const c1 = 1 - Math.pow(b1, state.step);
  const c2 = 1 - Math.pow(b2, state.step);
  for (const [name, x] of vars) {
    const g = grads.get(name);
    if (!g) continue;
    const [m, v] = tf.tidy(() => {
      const gc = clip !== 1 ? tf.mul(g, clip) : g;
      const m1 = tf.add(tf.mul(state.m.get(name)!, b1), tf.mul(gc, 1 - b1));
      const v1 = tf.add(tf.mul(state.v.get(name)!, b2), tf.mul(tf.square(gc), 1 - b2));
      x.assign(tf.sub(x, tf.mul(tf.div(tf.div(m1, c1), tf.add(tf.sqrt(tf.div(v1, c2)), eps)), opts.lr)));
      return [m1, v1];
    });
    state.m.get(name)!.dispose();
    state.v.get(name)!.dispose();
    state.m.set(name, m);
    state.v.set(name, v);
  }
}

/** ema ← d·ema + (1 − d)·x for every tensor. */
export function emaUpdate(ema: Map<string, tf.Variable>, vars: Map<string, tf.Variable>, decay: number): void {
  for (const [name, e] of ema) {
    tf.tidy(() => e.assign(tf.add(tf.mul(e, decay), tf.mul(vars.get(name)!, 1 - decay))));
  }
}

/** Linear warm-up then cosine decay to `floor`·lr at `totalSteps`. */
export function warmupCosine(step: number, lr: number, warmup: number, totalSteps: number, floor = 0.1): number {
  if (step < warmup) return (lr * (step + 1)) / warmup;
  const progress = Math.min(1, (step - warmup) / Math.max(1, totalSteps - warmup));
  return lr * (floor + (1 - floor) * 0.5 * (1 + Math.cos(Math.PI * progress)));
}

/**
 * A final linear decay to zero (the "decay" of a warmup-stable-decay schedule, MiniCPM 2024):
 * `base(step)` until `endStep − decaySteps`, then that value scaled down linearly so the step
 * before `endStep` trains at ~0. Annealing a long run's learning rate this way sharpens what the
 * stable phase learned; `decaySteps` ≤ 0 leaves `base` unchanged.
 */
export function withFinalDecay(step: number, endStep: number, decaySteps: number, base: (step: number) => number): number {
  const start = endStep - decaySteps;
  if (decaySteps <= 0 || step < start) return base(step);
  return base(start) * Math.max(0, (endStep - step) / decaySteps);
}
