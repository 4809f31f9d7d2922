/**
 * Benchmarks for `npm run bench:kernels` (scripts/bench-kernels.ts), all in one page on one
 * adapter: the fused kernels against the composed tfjs paths they replace, medians after a
 * warm-up, GPU time measured to queue completion (no readback in the timed region).
 */
import * as tf from '@tensorflow/tfjs';
import type { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';
import { frameTimes, interpolate, supervisedFrames } from '../diffusion/flow';
import { gaussianNoise } from '../diffusion/noise';
import { preferenceTensors, preferenceTerms, type PreferenceBatch, type PreferenceLossOptions } from '../diffusion/preference';
import { referenceAttention, type AttentionImplementation } from '../model/attention';
import { forward } from '../model/dit';
import { memoryShape, parameterSpecs, type Params } from '../model/params';
import { presetConfig } from '../model/presets';
import { tokenizeBatch } from '../model/tokenizer';
import { preferenceLoss, selectKernels } from '../kernels';
import { submitAndWait } from '../kernels/device';
import { attentionFlops } from '../kernels/flash-attention-layout';
import { fusedAttention } from '../kernels/fused-attention';
import { fusedPreferenceTerms } from '../kernels/preference-loss';
import type { AttentionShape } from './attention-lab';
import { maxAbsDiff, median } from './util';

export type Pass = 'forward' | 'forward+backward';

export interface BenchRow {
  case: string;
  pass: Pass;
  /** Timed runs behind the medians. */
  runs: number;
  fused_ms: number;
  composed_ms: number;
  ratio: number;
  fused_gflops: number;
  roofline_pct: number;
  max_abs_err: number;
  fused_peak_bytes: number;
  composed_peak_bytes: number;
}

export interface BenchOptions {
  runs: number;
  warmup: number;
  /** Attention cases to run (default all of ATTENTION_BENCH_CASES). */
  cases?: string[];
  lossCases?: string[];
  trainStep?: boolean;
  trainPairs?: number;
  /** Square matmul sizes for the roofline (default 256, 512). */
  matmulSizes?: number[];
}

type AttentionBenchCase = AttentionShape;

/**
 * The cases. Model cases use the batch of one DPO step of 2 pairs (4 videos through the
 * policy): tiny spatial is sparse-causal over 4 frames × 16 tokens; small has 8 frames × 16 tokens,
 * 3 heads of 32; temporal attention runs per token over 8 frames; cross-attention sees 16 text
 * tokens. The full-N cases are one head of 64.
 */
export const ATTENTION_BENCH_CASES: Record<string, AttentionBenchCase> = {
  'tiny-spatial': { b: 4, h: 2, lq: 64, lk: 64, d: 16, mask: { kind: 'sparse-causal', tokensPerFrame: 16 } },
  'small-spatial': { b: 4, h: 3, lq: 128, lk: 128, d: 32, mask: { kind: 'frame', tokensPerFrame: 16 } },
  'small-sparse-causal': { b: 4, h: 3, lq: 128, lk: 128, d: 32, mask: { kind: 'sparse-causal', tokensPerFrame: 16 } },
  'small-temporal': { b: 64, h: 3, lq: 8, lk: 8, d: 32, mask: { kind: 'full' } },
  'small-cross': { b: 4, h: 3, lq: 128, lk: 16, d: 32, mask: { kind: 'full' } },
  'full-256': { b: 1, h: 1, lq: 256, lk: 256, d: 64, mask: { kind: 'full' } },
  'full-1024': { b: 1, h: 1, lq: 1024, lk: 1024, d: 64, mask: { kind: 'full' } },
  'full-4096': { b: 1, h: 1, lq: 4096, lk: 4096, d: 64, mask: { kind: 'full' } },
};

/** Preference-loss cases: P pairs of model-sized videos. */
export const LOSS_BENCH_CASES: Record<string, { pairs: number; frames: number; height: number; width: number; objective: 'dpo' | 'kto' }> = {
  'tiny-dpo': { pairs: 2, frames: 4, height: 16, width: 16, objective: 'dpo' },
  'small-dpo': { pairs: 4, frames: 8, height: 32, width: 32, objective: 'dpo' },
  'small-kto': { pairs: 4, frames: 8, height: 32, width: 32, objective: 'kto' },
};

const log = (message: string) => console.log(`[bench] ${message}`);

// ---------------------------------------------------------------- timing

/** Submit whatever tfjs has recorded and wait for the GPU to finish it. */
function flush(): Promise<void> {
  return submitAndWait(tf.backend());
}

/** ms of one `fn` (its outputs disposed), from an idle queue to the GPU finishing its work. */
async function timeOnce(fn: () => tf.Tensor[]): Promise<number> {
  await flush();
  const start = performance.now();
  const out = fn();
  await flush();
  const ms = performance.now() - start;
  tf.dispose(out);
  return ms;
}

/** Median ms of `fn` over `runs` after `warmup`. */
async function timeIt(fn: () => tf.Tensor[], runs: number, warmup: number): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < warmup + runs; i++) {
    const ms = await timeOnce(fn);
    if (i >= warmup) times.push(ms);
  }
  return median(times);
}

/**
 * Medians of `a` and `b` timed alternately (a, b, a, b, …) after `warmup` of each, so that load
 * from other processes on a shared machine falls on both paths alike. A case whose warm-up pair
 * takes longer than `slowPairMs` (full-4096 on a CPU adapter: minutes) gets 3 timed runs; the
 * number used is returned.
 */
async function timeBoth(a: () => tf.Tensor[], b: () => tf.Tensor[], runs: number, warmup: number, slowPairMs = 20_000): Promise<[number, number, number]> {
  const ta: number[] = [];
  const tb: number[] = [];
  let total = warmup + runs;
  for (let i = 0; i < total; i++) {
    const x = await timeOnce(a);
    const y = await timeOnce(b);
    if (i >= warmup) {
      ta.push(x);
      tb.push(y);
    } else if (x + y > slowPairMs) {
      total = Math.min(total, warmup + 3);
    }
  }
  return [median(ta), median(tb), ta.length];
}

/** Peak bytes of tensors alive during one `fn`, above what was alive before it. */
async function peakBytes(fn: () => tf.Tensor[]): Promise<number> {
  await flush();
  const before = tf.memory().numBytes;
  let out: tf.Tensor[] = [];
  const info = await tf.profile(() => {
    out = fn();
    return out;
  });
  tf.dispose(out);
  return info.peakBytes - before;
}

// ---------------------------------------------------------------- roofline

/**
 * Best GFLOP/s of tfjs-webgpu's matMul (the fastest matmul kernel we have) over square sizes n³,
 * on this adapter, in this run: the roofline the fused kernels are compared with.
 */
export async function matmulRoofline(sizes: number[], runs: number, warmup: number): Promise<{ gflops: number; size: number }> {
  let best = { gflops: 0, size: 0 };
  for (const n of sizes) {
    const a = tf.tensor2d(gaussianNoise(1, n * n), [n, n]);
    const b = tf.tensor2d(gaussianNoise(2, n * n), [n, n]);
    const ms = await timeIt(() => [tf.matMul(a, b)], runs, warmup);
    tf.dispose([a, b]);
    const gflops = (2 * n * n * n) / (ms * 1e6);
    if (gflops > best.gflops) best = { gflops, size: n };
  }
  return best;
}

// ---------------------------------------------------------------- attention

/**
 * One row: the fused and composed paths on the same inputs (max abs difference of their
 * outputs), then their median times, GFLOP/s for `flops` per fused run, and peak memory.
 */
async function compareRow(
  kind: string,
  name: string,
  pass: Pass,
  fused: () => tf.Tensor[],
  composed: () => tf.Tensor[],
  flops: number,
  roofline: number,
  opts: BenchOptions,
): Promise<BenchRow> {
  // Accuracy: the same inputs through both paths.
  const [fo, co] = [fused(), composed()];
  let err = 0;
  for (let i = 0; i < fo.length; i++) err = Math.max(err, maxAbsDiff(await fo[i].data(), await co[i].data()));
  tf.dispose([...fo, ...co]);
  const [fusedMs, composedMs, runs] = await timeBoth(fused, composed, opts.runs, opts.warmup);
  const gflops = flops / (fusedMs * 1e6);
  const row: BenchRow = {
    case: name,
    pass,
    runs,
    fused_ms: fusedMs,
    composed_ms: composedMs,
    ratio: composedMs / fusedMs,
    fused_gflops: gflops,
    roofline_pct: (100 * gflops) / roofline,
    max_abs_err: err,
    fused_peak_bytes: await peakBytes(fused),
    composed_peak_bytes: await peakBytes(composed),
  };
  log(`${kind} ${name} ${pass}: fused ${fusedMs.toFixed(2)} ms, composed ${composedMs.toFixed(2)} ms`);
  return row;
}

async function attentionRows(name: string, c: AttentionBenchCase, roofline: number, opts: BenchOptions): Promise<BenchRow[]> {
  const q = tf.tensor4d(gaussianNoise(1, c.b * c.h * c.lq * c.d), [c.b, c.h, c.lq, c.d]);
  const k = tf.tensor4d(gaussianNoise(2, c.b * c.h * c.lk * c.d), [c.b, c.h, c.lk, c.d]);
  const v = tf.tensor4d(gaussianNoise(3, c.b * c.h * c.lk * c.d), [c.b, c.h, c.lk, c.d]);
  const dy = tf.tensor4d(gaussianNoise(4, c.b * c.h * c.lq * c.d), [c.b, c.h, c.lq, c.d]);
  const forwardOf = (impl: AttentionImplementation) => () => [impl.attention(q, k, v, c.mask)];
  const backwardOf = (impl: AttentionImplementation) => () =>
    tf.grads((a: tf.Tensor, b: tf.Tensor, cc: tf.Tensor) => impl.attention(a as tf.Tensor4D, b as tf.Tensor4D, cc as tf.Tensor4D, c.mask))([q, k, v], dy);
  const flopsForward = attentionFlops({ seqs: c.b * c.h, lq: c.lq, lk: c.lk, d: c.d }, c.mask);
  const rows: BenchRow[] = [];
  for (const pass of ['forward', 'forward+backward'] as const) {
    const fused = pass === 'forward' ? forwardOf(fusedAttention) : backwardOf(fusedAttention);
    const composed = pass === 'forward' ? forwardOf(referenceAttention) : backwardOf(referenceAttention);
    // FlashAttention-2's accounting: the backward pass is 2.5× the forward's FLOPs.
    const flops = pass === 'forward' ? flopsForward : 3.5 * flopsForward;
    rows.push(await compareRow('attention', name, pass, fused, composed, flops, roofline, opts));
  }
  tf.dispose([q, k, v, dy]);
  return rows;
}

// ---------------------------------------------------------------- loss

function lossBatch(c: (typeof LOSS_BENCH_CASES)[string]): PreferenceBatch {
  const shape: [number, number, number, number, number] = [2 * c.pairs, c.frames, c.height, c.width, 3];
  const n = shape.reduce((a, b) => a * b, 1);
  const target = gaussianNoise(1, n);
  const near = (seed: number, scale: number) => tf.tensor5d(Float32Array.from(gaussianNoise(seed, n), (e, i) => target[i] + scale * e), shape);
  return {
    policy: near(2, 0.6),
    reference: near(3, 0.5),
    target: tf.tensor5d(target, shape),
    mask: supervisedFrames(2 * c.pairs, c.frames, Array.from({ length: 2 * c.pairs }, (_, i) => i % 2 === 0)),
  };
}

async function lossRows(name: string, c: (typeof LOSS_BENCH_CASES)[string], roofline: number, opts: BenchOptions): Promise<BenchRow[]> {
  const batch = lossBatch(c);
  const lossOpts: PreferenceLossOptions = { objective: c.objective, beta: 100 };
  const termsOf = (impl: typeof preferenceTerms) => () => preferenceTensors(impl(batch, lossOpts));
  const gradOf = (impl: typeof preferenceTerms) => () => {
    const { value, grads } = tf.valueAndGrads((p: tf.Tensor) => impl({ ...batch, policy: p as tf.Tensor5D }, lossOpts).loss)([batch.policy]);
    return [value, ...grads];
  };
  const elements = batch.policy.size;
  const rows: BenchRow[] = [];
  for (const pass of ['forward', 'forward+backward'] as const) {
    const fused = pass === 'forward' ? termsOf(fusedPreferenceTerms) : gradOf(fusedPreferenceTerms);
    const composed = pass === 'forward' ? termsOf(preferenceTerms) : gradOf(preferenceTerms);
    // 6 flops per element for the two squared errors and their sums, 3 more for the gradient.
    const flops = (pass === 'forward' ? 6 : 9) * elements;
    rows.push(await compareRow('loss', name, pass, fused, composed, flops, roofline, opts));
  }
  tf.dispose([batch.policy, batch.reference, batch.target, batch.mask]);
  return rows;
}

// ---------------------------------------------------------------- DPO train step

/**
 * One Diffusion-DPO step of the small model on P pairs: the policy forward over the 2P videos
 * with gradients, the reference forward without, the preference loss, backward, an SGD update. The
 * reference network is a second set of weights here (the studio uses the LoRA-disabled policy;
 * the cost is the same forward). Fused: attention and loss kernels; reference: composed tfjs.
 */
async function trainStep(pairs: number, opts: BenchOptions): Promise<{ fused_ms: number; reference_ms: number; ratio: number; runs: number; pairs: number; loss_abs_err: number }> {
  const config = presetConfig('small');
  let seed = 7;
  const makeParams = (trainable: boolean) => {
    const p = new Map<string, tf.Variable>();
    for (const spec of parameterSpecs(config)) {
      const shape = memoryShape(spec);
      const n = shape.reduce((a, b) => a * b, 1);
      p.set(spec.name, tf.variable(tf.tensor(Float32Array.from(gaussianNoise(seed++, n), (x) => 0.05 * x), shape), trainable));
    }
    return p;
  };
  const policy = makeParams(true);
  const reference = makeParams(false);
  const n = 2 * pairs;
  const shape: [number, number, number, number, number] = [n, config.frames, config.height, config.width, 3];
  const size = shape.reduce((a, b) => a * b, 1);
  const x0 = tf.tensor5d(Float32Array.from(gaussianNoise(100, size), Math.tanh), shape);
  // Winner and loser of a pair share ε and t (Diffusion-DPO): sample p and P + p.
  const epsHalf = gaussianNoise(101, size / 2);
  const eps = tf.tensor5d(Float32Array.from({ length: size }, (_, i) => epsHalf[i % (size / 2)]), shape);
  const tPair = Array.from({ length: pairs }, (_, i) => 0.3 + (0.5 * i) / Math.max(1, pairs - 1));
  const firstFrame = Array.from({ length: n }, (_, i) => i % pairs === 0);
  const t = frameTimes([...tPair, ...tPair], config.frames, firstFrame);
  const xt = interpolate(x0, eps, t);
  const ids = tf.tensor2d(tokenizeBatch(Array(n).fill('a red circle moves left'), config), [n, config.maxTextLength], 'int32');
  const target = tf.sub(eps, x0) as tf.Tensor5D;
  const mask = supervisedFrames(n, config.frames, firstFrame);
  const vars = [...policy.values()];
  const step = (update = true): tf.Tensor[] => {
    const refPred = tf.tidy(() => forward(reference as unknown as Params, config, xt, t, ids));
    const { value, grads } = tf.variableGrads(() => {
      const pred = forward(policy as unknown as Params, config, xt, t, ids);
      return preferenceLoss({ policy: pred, reference: refPred, target, mask }, { objective: 'dpo', beta: 100 }).loss;
    }, vars);
    // Plain SGD: optim.ts's adamStep reads the gradient norm with dataSync(), and a synchronous
    // readback loses the WebGPU device in Chromium (SwiftShader). The update is a small share.
    if (update) for (const x of vars) tf.tidy(() => x.assign(tf.sub(x, tf.mul(grads[x.name], 1e-5))));
    tf.dispose([refPred, ...Object.values(grads)]);
    return [value];
  };
  const stepWith = (fused: boolean, update = true) => () => {
    selectKernels('webgpu', { fused });
    return step(update);
  };
  // The first step of each path compiles its pipelines; its loss also checks the two paths agree.
  const firstLoss = async (fused: boolean) => {
    const [value] = stepWith(fused, false)();
    const loss = (await value.data())[0];
    value.dispose();
    return loss;
  };
  const lossDelta = Math.abs((await firstLoss(false)) - (await firstLoss(true)));
  const [referenceMs, fusedMs, runs] = await timeBoth(stepWith(false), stepWith(true), opts.runs, Math.max(0, opts.warmup - 1), Infinity);
  log(`train step: reference ${referenceMs.toFixed(0)} ms, fused ${fusedMs.toFixed(0)} ms`);
  selectKernels('webgpu', { fused: false });
  tf.dispose([...vars, ...reference.values(), x0, eps, t, xt, ids, target, mask]);
  return { fused_ms: fusedMs, reference_ms: referenceMs, ratio: referenceMs / fusedMs, runs, pairs, loss_abs_err: lossDelta };
}

// ---------------------------------------------------------------- all

export async function bench(opts: BenchOptions) {
  if (tf.getBackend() !== 'webgpu') await tf.setBackend('webgpu');
  const gpu = (navigator as Navigator & { gpu?: GPU }).gpu;
  const adapter = await gpu?.requestAdapter();
  const info = ((adapter as unknown as { info?: Record<string, unknown> } | null)?.info ?? {}) as Record<string, unknown>;
  const limits = (tf.backend() as WebGPUBackend).device.limits;
  const best = await matmulRoofline(opts.matmulSizes ?? [256, 512], opts.runs, opts.warmup);
  const roofline = best.gflops;
  log(`matmul roofline ${roofline.toFixed(2)} GFLOP/s at ${best.size}³`);
  const attention: BenchRow[] = [];
  for (const name of (opts.cases ?? Object.keys(ATTENTION_BENCH_CASES)).filter((n) => n !== 'none')) {
    const c = ATTENTION_BENCH_CASES[name];
    if (!c) throw new Error(`unknown attention case "${name}"; known: ${Object.keys(ATTENTION_BENCH_CASES).join(', ')}`);
    attention.push(...(await attentionRows(name, c, roofline, opts)));
  }
  const loss: BenchRow[] = [];
  for (const name of (opts.lossCases ?? Object.keys(LOSS_BENCH_CASES)).filter((n) => n !== 'none')) {
    const c = LOSS_BENCH_CASES[name];
    if (!c) throw new Error(`unknown loss case "${name}"; known: ${Object.keys(LOSS_BENCH_CASES).join(', ')}`);
    loss.push(...(await lossRows(name, c, roofline, opts)));
  }
  const train = opts.trainStep === false ? null : await trainStep(opts.trainPairs ?? 2, opts);
  return {
    adapter: {
      vendor: info.vendor,
      architecture: info.architecture,
      description: info.description,
      isFallbackAdapter: info.isFallbackAdapter,
      maxComputeWorkgroupStorageSize: limits.maxComputeWorkgroupStorageSize,
      maxStorageBuffersPerShaderStage: limits.maxStorageBuffersPerShaderStage,
    },
    matmul_roofline_gflops: roofline,
    matmul_size: best.size,
    runs: opts.runs,
    warmup: opts.warmup,
    attention,
    loss,
    train_step: train,
  };
}
