/**
 * One round of preference training on a fresh LoRA (docs/architecture.md §4): Diffusion-DPO or Diffusion-KTO
 * against a frozen reference, plus IPO's SFT regulariser on rendered ground truth, with Adam and
 * global-norm clipping. The policy's weights are never written here — only the adapter trains —
 * so a cancelled round leaves the policy exactly as it was; the caller merges the returned
 * adapter when the round completes (src/engine/round-runner.ts).
 *
 * Reference model: the policy's own weights with the new LoRA disabled (`previous`, one copy of
 * the weights), or the base weights (`base`).
 */
import * as tf from '@tensorflow/tfjs';
import { perSampleMse } from '../diffusion/flow';
import { applyAdam, createAdamState, squaredGlobalNorm, warmupCosine } from '../diffusion/optim';
import { preferenceTerms, preferenceTermsFromMses, type PairMses, type PreferenceBatch, type PreferenceLossOptions, type PreferenceTerms } from '../diffusion/preference';
import { tokensPerFrame, type ModelConfig } from '../model/config';
import { forward } from '../model/dit';
import { LoraAdapter } from '../model/lora';
import type { Params } from '../model/params';
import type { LoraSnapshot, RoundHyperParameters, StepMetrics } from '../prefs/types';
import { snapshotFromAdapter } from './lora-snapshot';
import type { ModelView, Policy } from './policy';
import { buildStepBatch, disposeBatch, microBatches, rows, type MicroBatch, type PreferenceSlot, type SftSource, type StepBatch } from './preference-batch';

/**
 * A batch-level preference loss (the fused kernel's entry point). Without one, the round computes
 * m_θ for the whole batch with perSampleMse and calls preferenceTermsFromMses.
 */
export type PreferenceLossFn = (batch: PreferenceBatch, opts: PreferenceLossOptions) => PreferenceTerms;

export interface TrainRoundOptions {
  config: ModelConfig;
  policy: Policy;
  hyper: RoundHyperParameters;
  /** The index the round will have (seeds its batches and LoRA init). */
  roundIndex: number;
  slots: PreferenceSlot[];
  /** Rendered ground truth for the SFT term (ignored when hyper.sftWeight is 0). */
  sft: SftSource[];
  onStep?: (metrics: StepMetrics, total: number) => void;
  /** Polled before every step; true stops the round and discards its adapter. */
  shouldCancel?: () => boolean;
  lossFn?: PreferenceLossFn;
  /** Video tokens a micro-batch may hold (default MICRO_BATCH_TOKENS); tests lower it to force splits. */
  microBatchTokens?: number;
}

/**
 * Video tokens one forward + backward may hold at once. tfjs keeps every intermediate of the tape:
 * `small` (512 tokens a video) grows the tfjs-wasm heap by ~260 MB a video (4 videos 1.1 GB, 8 videos
 * 2.1 GB, 12 videos 3.1 GB, measured with a rank-4 LoRA), and the heap stops at 4 GB — a step of 8
 * pairs and 4 SFT samples (20 videos) aborted. 4,096 tokens is 8 videos of `small` (a step in three
 * micro-batches) and 32 of `small-p8` or 64 of `tiny`, whose steps stay whole, as before.
 */
export const MICRO_BATCH_TOKENS = 4096;

/** Rows (videos) of one micro-batch under a token budget; at least a pair. */
export function microBatchRows(config: ModelConfig, budget = MICRO_BATCH_TOKENS): number {
  return Math.max(2, Math.floor(budget / (config.frames * tokensPerFrame(config))));
}

export interface TrainRoundResult {
  status: 'completed' | 'cancelled';
  lora: LoraSnapshot | null;
  metrics: StepMetrics[];
  seconds: number;
  msPerStep: number;
}

/** SFT samples per step: half the pairs (IPO mixes real data in at a smaller share). */
export function sftSamplesPerStep(hyper: RoundHyperParameters): number {
  return hyper.sftWeight > 0 ? Math.max(1, Math.ceil(hyper.batchSize / 2)) : 0;
}

export function lossOptions(hyper: RoundHyperParameters): PreferenceLossOptions {
  return {
    objective: hyper.method === 'kto' ? 'kto' : 'dpo',
    beta: hyper.beta,
    desirableWeight: hyper.ktoDesirableWeight,
    undesirableWeight: hyper.ktoUndesirableWeight,
  };
}

/** Numbers of one step, read back from the device in one asynchronous read. */
interface StepReadout {
  loss: number;
  /** Σ‖g‖² over the adapter's gradients (Adam clips by its square root). */
  squaredGradNorm: number;
  preferenceLoss: number;
  sftLoss: number;
  implicitAccuracy: number;
  rewardMargin: number;
}

/**
 * The numbers of a step as one vector, so that a step costs one readback (a synchronous read per
 * number stalls a worker on WebGPU and has been seen to lose the device):
 *   [preference loss, SFT loss, then DPO: implicit accuracy, reward margin;
 *    KTO: z0, m_ref(w) [P], m_θ(w) [P], m_ref(l) [P], m_θ(l) [P], desirable [2P]]
 * KTO's accuracy and margin are then computed on the CPU from the MSEs, exactly as before.
 */
function termsVector(terms: PreferenceTerms, sft: tf.Scalar | null, desirable: tf.Tensor1D, objective: 'dpo' | 'kto'): tf.Tensor1D {
  return tf.tidy(() => {
    const m = terms.mses;
    const parts: tf.Tensor[] = [terms.loss, sft ?? tf.scalar(0)];
    if (objective === 'dpo') parts.push(terms.implicitAccuracy, terms.rewardMargin);
    else parts.push(terms.ktoReferencePoint, m.referenceWinner, m.policyWinner, m.referenceLoser, m.policyLoser, desirable);
    return tf.concat(parts.map((t) => tf.reshape(t, [-1]))) as tf.Tensor1D;
  });
}

/** Length of `termsVector` for a batch of P pairs. */
function termsLength(pairs: number, objective: 'dpo' | 'kto'): number {
  return objective === 'dpo' ? 4 : 3 + 6 * pairs;
}

type TermsReadout = Omit<StepReadout, 'loss' | 'squaredGradNorm'>;

/**
 * A micro-batch's numbers from its `termsVector`. DPO: mean(z > 0) and mean z. KTO (per sample,
 * s = ±1): the fraction with s·(g − z0) > 0, and β·(mean g of desirable − mean g of undesirable),
 * g = m_ref − m_θ — NaN when the batch lacks one of the two kinds.
 */
function parseTerms(values: Float32Array, pairs: number, objective: 'dpo' | 'kto', beta: number): TermsReadout {
  const [preferenceLoss, sftLoss] = values;
  if (objective === 'dpo') return { preferenceLoss, sftLoss, implicitAccuracy: values[2], rewardMargin: values[3] };
  const z0 = values[2];
  const vector = (k: number, length = pairs) => values.subarray(3 + k * pairs, 3 + k * pairs + length);
  const [refW, polW, refL, polL] = [0, 1, 2, 3].map((k) => vector(k));
  const desirable = vector(4, 2 * pairs);
  const gOf = (ref: Float32Array, pol: Float32Array) => Array.from(ref, (ri, i) => ri - pol[i]);
  const g = [...gOf(refW, polW), ...gOf(refL, polL)];
  let right = 0;
  const sums = [0, 0];
  const counts = [0, 0];
  g.forEach((gi, i) => {
    const d = desirable[i] > 0.5 ? 1 : 0;
    if ((d ? 1 : -1) * (gi - z0) > 0) right += 1;
    sums[d] += gi;
    counts[d] += 1;
  });
  const rewardMargin = counts[0] && counts[1] ? beta * (sums[1] / counts[1] - sums[0] / counts[0]) : NaN;
  return { preferenceLoss, sftLoss, implicitAccuracy: right / g.length, rewardMargin };
}

/**
 * The step's numbers from the read-back vector [total loss, Σ‖g‖², then each micro-batch's
 * termsVector], the micro-batches' numbers weighted by their shares of the pairs (of the SFT
 * samples for the SFT loss). One micro-batch: its numbers as they are.
 */
function parseReadout(values: Float32Array, parts: readonly MicroBatch[], objective: 'dpo' | 'kto', beta: number): StepReadout {
  const out: StepReadout = { loss: values[0], squaredGradNorm: values[1], preferenceLoss: 0, sftLoss: 0, implicitAccuracy: 0, rewardMargin: 0 };
  let at = 2;
  for (const part of parts) {
    const length = termsLength(part.batch.pairs, objective);
    const t = parseTerms(values.subarray(at, at + length), part.batch.pairs, objective, beta);
    at += length;
    out.preferenceLoss += part.pairShare * t.preferenceLoss;
    out.sftLoss += part.sftShare * t.sftLoss;
    out.implicitAccuracy += part.pairShare * t.implicitAccuracy;
    out.rewardMargin += part.pairShare * t.rewardMargin;
  }
  return out;
}

/** sum + x, releasing both (x itself when there is no sum yet). */
function accumulate<T extends tf.Tensor>(sum: T | null, x: T): T {
  if (sum === null) return x;
  const next = tf.add(sum, x) as T;
  tf.dispose([sum, x]);
  return next;
}

/** Reference predictions for the 2P preference samples (no gradient: outside the tape; scope named for profiles). */
function referencePredictions(config: ModelConfig, reference: ModelView, batch: StepBatch): tf.Tensor5D {
  const n = 2 * batch.pairs;
  return tf.tidy('reference', () => forward(reference.params, config, rows(batch.xt, 0, n), rows(batch.t, 0, n), rows(batch.ids, 0, n), { hooks: reference.hooks }));
}

/** Winners (first P) and losers (last P) of [2P] policy and reference MSEs. */
function splitPairs(policy: tf.Tensor1D, reference: tf.Tensor1D): PairMses {
  const p = policy.shape[0] / 2;
  const half = (m: tf.Tensor1D, side: 0 | 1) => tf.slice(m, [side * p], [p]);
  return { policyWinner: half(policy, 0), referenceWinner: half(reference, 0), policyLoser: half(policy, 1), referenceLoser: half(reference, 1) };
}

function preferenceBatchOf(batch: StepBatch, policyPred: tf.Tensor5D, referencePred: tf.Tensor5D): PreferenceBatch {
  const n = 2 * batch.pairs;
  return {
    policy: rows(policyPred, 0, n),
    reference: referencePred,
    target: rows(batch.target, 0, n),
    mask: rows(batch.mask, 0, n),
    desirable: batch.desirable,
  };
}

export async function trainRound(opts: TrainRoundOptions): Promise<TrainRoundResult> {
  const { config, policy, hyper } = opts;
  if (opts.slots.length === 0) throw new Error('trainRound: no training examples. Judge some pairs (left/right, or both-bad for KTO) before running a round.');
  const lossOpts = lossOptions(hyper);
  const sftCount = sftSamplesPerStep(hyper);
  const seed = `${hyper.seed}:${opts.roundIndex}`;
  const started = performance.now();

  // 1. A fresh adapter (lora_B = 0: the policy starts equal to its reference when that is the
  //    previous round) on top of the current policy's weights.
  const adapter = new LoraAdapter(config, { ...hyper.lora }, hyper.seed * 1009 + opts.roundIndex);
  const vars = adapter.variables();
  const keyOf = new Map([...vars].map(([key, v]) => [v.name, key]));
  const adam = createAdamState(vars);
  const policyParams: Params = policy.params;
  const maxRows = microBatchRows(config, opts.microBatchTokens);
  const reference: ModelView = { params: policy.reference(hyper.reference) };
  const metrics: StepMetrics[] = [];
  let cancelled = false;

  try {
    adapter.training = true;
    for (let step = 0; step < hyper.steps; step++) {
      if (opts.shouldCancel?.()) {
        cancelled = true;
        break;
      }
      const t0 = performance.now();
      // 2. The step's batch, in micro-batches that fit in memory (one for small models).
      const batch = buildStepBatch(config, opts.slots, opts.sft, sftCount, hyper.batchSize, step, seed, { tMean: hyper.tMean });
      const parts = microBatches(batch, maxRows);
      // Every tensor of the step, released when it ends (or fails).
      let lossSum: tf.Scalar | null = null;
      const gradSums = new Map<string, tf.Tensor>();
      const reported: tf.Tensor1D[] = [];
      let readout: tf.Tensor | null = null;
      const lr = warmupCosine(step, hyper.lr, hyper.warmupSteps, hyper.steps);
      let r: StepReadout;
      let gradNorm: number;
      try {
        for (const part of parts) {
          const mb = part.batch;
          // 3. Reference predictions first, outside the gradient tape.
          const refPred = referencePredictions(config, reference, mb);
          const refMse = tf.tidy(() => perSampleMse(refPred, rows(mb.target, 0, 2 * mb.pairs), rows(mb.mask, 0, 2 * mb.pairs))); // [2p]
          try {
            // 4. The part's share of loss = preference loss + λ·SFT; gradients w.r.t. the adapter only.
            const { value, grads } = tf.variableGrads(() => {
              const pred = forward(policyParams, config, mb.xt, mb.t, mb.ids, { hooks: adapter.hooks() });
              // m_θ of every row at once (preference samples, then SFT); split as [N] vectors.
              const n = 2 * mb.pairs;
              const mPolicy = perSampleMse(pred, mb.target, mb.mask); // [2p + s]
              const terms = opts.lossFn
                ? opts.lossFn(preferenceBatchOf(mb, pred, refPred), lossOpts)
                : preferenceTermsFromMses(splitPairs(tf.slice(mPolicy, [0], [n]), refMse), lossOpts, mb.desirable);
              let loss: tf.Scalar = parts.length === 1 ? terms.loss : tf.mul(terms.loss, part.pairShare);
              let sft: tf.Scalar | null = null;
              if (mb.sft > 0) {
                sft = tf.mean(tf.slice(mPolicy, [n], [mb.sft])) as tf.Scalar;
                loss = tf.add(loss, tf.mul(sft, hyper.sftWeight * (parts.length === 1 ? 1 : part.sftShare))) as tf.Scalar;
              }
              // Kept past the tape's tidy for the step's one readback.
              reported.push(tf.keep(termsVector(terms, sft, mb.desirable, lossOpts.objective)));
              return loss;
            }, [...vars.values()]);
            // Σ over the parts: the batch's loss and gradient.
            lossSum = accumulate(lossSum, value);
            for (const [name, g] of Object.entries(grads)) gradSums.set(name, accumulate(gradSums.get(name) ?? null, g));
          } finally {
            tf.dispose([refPred, refMse]);
          }
        }
        const gradMap = new Map([...gradSums].map(([name, g]) => [keyOf.get(name)!, g]));
        // 5. One asynchronous readback of everything the step reports, the norm Adam clips by included.
        readout = tf.tidy(() => tf.concat([tf.reshape(lossSum!, [1]), tf.reshape(squaredGlobalNorm(gradMap), [1]), ...reported]));
        r = parseReadout((await readout.data()) as Float32Array, parts, lossOpts.objective, hyper.beta);
        // 6. Adam with global-norm clipping and warm-up + cosine decay.
        gradNorm = Math.sqrt(r.squaredGradNorm);
        applyAdam(vars, gradMap, adam, { lr, clipNorm: hyper.clipNorm || undefined }, gradNorm);
      } finally {
        tf.dispose([...(lossSum ? [lossSum] : []), ...gradSums.values(), ...reported, ...(readout ? [readout] : [])]);
        for (const part of parts) if (part.batch !== batch) disposeBatch(part.batch);
        disposeBatch(batch);
      }
      const { loss } = r;
      const m: StepMetrics = { step: step + 1, loss, preferenceLoss: r.preferenceLoss, sftLoss: r.sftLoss, implicitAccuracy: r.implicitAccuracy, rewardMargin: r.rewardMargin, gradNorm, lr, ms: performance.now() - t0 };
      if (!Number.isFinite(loss)) throw new Error(`Round diverged at step ${step + 1} (loss ${loss}). Lower lr (now ${hyper.lr}) or β (now ${hyper.beta}), or keep gradient clipping on.`);
      metrics.push(m);
      opts.onStep?.(m, hyper.steps);
      // Let cancel messages and progress events through (the worker's event loop).
      await new Promise((resolve) => setTimeout(resolve, 0));
    }
    adapter.training = false;
    const seconds = (performance.now() - started) / 1000;
    const msPerStep = metrics.length ? metrics.reduce((a, m) => a + m.ms, 0) / metrics.length : 0;
    // 6. Cancelled: nothing to merge; completed: the adapter as data for the record and merge.
    return { status: cancelled ? 'cancelled' : 'completed', lora: cancelled ? null : await snapshotFromAdapter(adapter), metrics, seconds, msPerStep };
  } finally {
    adapter.dispose();
    tf.dispose([...adam.m.values(), ...adam.v.values()]);
  }
}

export interface PreferenceEvaluation {
  implicitAccuracy: number;
  rewardMargin: number;
  loss: number;
  pairs: number;
}

/**
 * Implicit accuracy of `policy` against `reference` on labelled slots (held-out pairs), with t
 * and ε shared within each pair and drawn from `seed`: the fraction of pairs the policy's
 * implicit reward orders as the labels do. No training, no gradient. Pairs go 8 at a time, or as
 * many as a micro-batch holds (`small`: 4).
 */
export function evaluatePreferences(config: ModelConfig, policy: ModelView, reference: ModelView, slots: readonly PreferenceSlot[], beta: number, seed = 'eval',
  batchSize = Math.min(8, Math.floor(microBatchRows(config) / 2))): PreferenceEvaluation {
  let right = 0, margin = 0, loss = 0;
  const steps = Math.ceil(slots.length / batchSize);
  for (let k = 0; k < steps; k++) {
    const chunk = slots.slice(k * batchSize, (k + 1) * batchSize);
    const batch = buildStepBatch(config, chunk, [], 0, chunk.length, 0, `${seed}:${k}`);
    tf.tidy(() => {
      const refPred = referencePredictions(config, reference, batch);
      const pred = referencePredictions(config, policy, batch);
      const terms = preferenceTerms(preferenceBatchOf(batch, pred, refPred), { objective: 'dpo', beta });
      const z = terms.z.dataSync();
      z.forEach((zi) => {
        right += zi > 0 ? 1 : 0;
        margin += zi;
      });
      loss += terms.dpoLoss.sum().dataSync()[0];
    });
    disposeBatch(batch);
  }
  const n = slots.length;
  return { implicitAccuracy: right / n, rewardMargin: margin / n, loss: loss / n, pairs: n };
}
