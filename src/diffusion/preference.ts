import * as tf from '@tensorflow/tfjs';
import { perSampleMse } from './flow';

/**
 * Preference losses for flow-matching video models, in plain tfjs (docs/architecture.md §4). This is the
 * reference path: the oracle of the fused WGSL kernel (shaders/preference_loss.wgsl,
 * src/kernels/preference-loss.ts) and the path for non-WebGPU backends. Both return the same
 * `PreferenceTerms` from the same `PreferenceBatch`.
 *
 * Per sample x, with the velocity target v = ε − x0 and the supervised frames only:
 *   m(x) = mean((v_model(x_t, t, c) − v)²)                               (flow.ts, perSampleMse)
 * DPO (Diffusion-DPO, Wallace et al. 2024, eq. 14; Flow-DPO as in VideoAlign, Liu et al. 2025):
 *   z = −½β · [(m_θ(w) − m_ref(w)) − (m_θ(l) − m_ref(l))],   ℓ_DPO = −log σ(z)
 * KTO (Diffusion-KTO, Li et al. 2024), per sample, s = +1 desirable / −1 undesirable:
 *   g = m_ref − m_θ,   z0 = max(0, stopgrad(mean over the batch of g)),
 *   ℓ_KTO = λ_s · (1 − σ(β · s · (g − z0)))
 * β is a per-element-mean scale.
 */

export type PreferenceObjective = 'dpo' | 'kto';

export interface PreferenceLossOptions {
  /** Which per-pair loss `loss` averages (and the gradient follows); both are reported. */
  objective: PreferenceObjective;
  /** β (docs/architecture.md §4), per-element-mean scale. */
  beta: number;
  /** KTO λ_D, the weight of desirable samples (default 1). */
  desirableWeight?: number;
  /** KTO λ_U, the weight of undesirable samples (default 1). */
  undesirableWeight?: number;
}

/** The four per-pair mean-squared errors, each [P]. */
export interface PairMses {
  policyWinner: tf.Tensor1D;
  referenceWinner: tf.Tensor1D;
  policyLoser: tf.Tensor1D;
  referenceLoser: tf.Tensor1D;
}

/**
 * One batch of P pairs as the training step has it after one forward pass of each network over
 * the 2P samples: winners first, then losers (sample p is pair p's winner, P + p its loser).
 * Winner and loser of a pair share t and ε (Diffusion-DPO).
 */
export interface PreferenceBatch {
  /** Policy predictions [2P, F, H, W, 3]: the only input the loss is differentiated by. */
  policy: tf.Tensor5D;
  /** Reference-network predictions [2P, F, H, W, 3] (no gradient). */
  reference: tf.Tensor5D;
  /** Velocity targets ε − x0 [2P, F, H, W, 3]. */
  target: tf.Tensor5D;
  /** Supervised frames [2P, F]: 1, or 0 for a given first frame (first-frame mode). */
  mask: tf.Tensor2D;
  /**
   * KTO only: 1 for a desirable sample, 0 for an undesirable one [2P]. Default: winners 1,
   * losers 0; a "both bad" judgment gives 0 to both.
   */
  desirable?: tf.Tensor1D;
}

export interface PreferenceTerms {
  /** Mean over pairs of the objective's per-pair loss: what training minimises. */
  loss: tf.Scalar;
  /** The objective's loss per pair [P] (KTO: the mean of the pair's two sample losses). */
  pairLoss: tf.Tensor1D;
  mses: PairMses;
  /** DPO logit per pair [P]: the implicit reward margin r(w) − r(l), r = −½β(m_θ − m_ref). */
  z: tf.Tensor1D;
  /** −log σ(z) per pair [P]. */
  dpoLoss: tf.Tensor1D;
  /** (ℓ_KTO(w) + ℓ_KTO(l)) / 2 per pair [P]. */
  ktoLoss: tf.Tensor1D;
  /** KTO's reference point z0 (a constant for the gradient). */
  ktoReferencePoint: tf.Scalar;
  /** mean(z > 0): how often the policy already ranks the pair as people did. */
  implicitAccuracy: tf.Scalar;
  /** mean(z), the mean implicit reward margin. */
  rewardMargin: tf.Scalar;
}

/** Identity forward, zero gradient (tfjs has no stop_gradient op). */
const stopGradientOp = tf.customGrad(((x: tf.Tensor) => ({
  value: tf.clone(x),
  gradFunc: (dy: tf.Tensor) => tf.zerosLike(dy),
})) as unknown as Parameters<typeof tf.customGrad>[0]);

export function stopGradient<T extends tf.Tensor>(x: T): T {
  return stopGradientOp(x) as T;
}

/** σ(x) with 1 − σ(x) = σ(−x); written out so the math below reads as the papers. */
const sigmoid = (x: tf.Tensor) => tf.sigmoid(x);

/** Default KTO desirability of a batch of P pairs: winners 1, losers 0. */
export function pairDesirability(numPairs: number): tf.Tensor1D {
  return tf.tensor1d(Float32Array.from({ length: 2 * numPairs }, (_, i) => (i < numPairs ? 1 : 0)));
}

/**
 * DPO and KTO terms from the four per-pair MSEs. `desirable` [2P] as in `PreferenceBatch`
 * (default winners 1, losers 0).
 */
export function preferenceTermsFromMses(mses: PairMses, opts: PreferenceLossOptions, desirable?: tf.Tensor1D): PreferenceTerms {
  const { beta } = opts;
  const lambdaD = opts.desirableWeight ?? 1;
  const lambdaU = opts.undesirableWeight ?? 1;
  const p = mses.policyWinner.shape[0];
  return tf.tidy(() => {
    const { policyWinner: pw, referenceWinner: rw, policyLoser: pl, referenceLoser: rl } = mses;
    // 1. DPO logit, Diffusion-DPO eq. 14 with the per-element-mean β: z = −½β[(Δw) − (Δl)].
    const z = tf.mul(-0.5 * beta, tf.sub(tf.sub(pw, rw), tf.sub(pl, rl))) as tf.Tensor1D;
    // 2. −log σ(z) = softplus(−z), stable for large |z|.
    const dpoLoss = tf.softplus(tf.neg(z)) as tf.Tensor1D;
    // 3. KTO: g = m_ref − m_θ per sample (winners, then losers); z0 from the whole batch, no gradient.
    const g = tf.concat([tf.sub(rw, pw), tf.sub(rl, pl)]) as tf.Tensor1D; // [2P]
    const z0 = stopGradient(tf.maximum(0, tf.mean(g))) as tf.Scalar;
    const d = desirable ?? pairDesirability(p);
    const sign = tf.sub(tf.mul(d, 2), 1); // +1 desirable, −1 undesirable
    const lambda = tf.add(tf.mul(d, lambdaD - lambdaU), lambdaU); // λ_D or λ_U
    const ktoSample = tf.mul(lambda, tf.sub(1, sigmoid(tf.mul(beta, tf.mul(sign, tf.sub(g, z0)))))); // [2P]
    const ktoLoss = tf.mul(0.5, tf.add(tf.slice(ktoSample, [0], [p]), tf.slice(ktoSample, [p], [p]))) as tf.Tensor1D;
    // 4. The objective, and what the Train tab charts.
    const pairLoss = opts.objective === 'dpo' ? dpoLoss : ktoLoss;
    return {
      loss: tf.mean(pairLoss) as tf.Scalar,
      pairLoss,
      mses: { policyWinner: pw.clone(), referenceWinner: rw.clone(), policyLoser: pl.clone(), referenceLoser: rl.clone() },
      z,
      dpoLoss,
      ktoLoss,
      ktoReferencePoint: z0,
      // step(z) = 1 for z > 0, else 0 — float throughout (a bool→float cast followed by a
      // reduction miscompiles on tfjs-webgpu 4.22, see dit.ts).
      implicitAccuracy: tf.mean(tf.step(z)) as tf.Scalar,
      rewardMargin: tf.mean(z) as tf.Scalar,
    };
  });
}

/** The four per-pair MSEs of a batch: m(x) of policy and reference for winners and losers. */
export function pairMses(batch: PreferenceBatch): PairMses {
  const p = checkBatch(batch);
  return tf.tidy(() => {
    // All 2P samples at once, then split the [2P] vectors: slicing the 5-D predictions instead
    // would make tfjs-webgpu 4.22 differentiate a 5-D slice with a 5-D pad, whose shader does not
    // compile ("cannot index type 'vec5'"), and drop every command after it.
    const policy = perSampleMse(batch.policy, batch.target, batch.mask); // [2P]
    const reference = perSampleMse(batch.reference, batch.target, batch.mask); // [2P]
    const winners = (m: tf.Tensor1D) => tf.slice(m, [0], [p]);
    const losers = (m: tf.Tensor1D) => tf.slice(m, [p], [p]);
    return { policyWinner: winners(policy), referenceWinner: winners(reference), policyLoser: losers(policy), referenceLoser: losers(reference) };
  });
}

/** Reference preference loss: MSEs by `perSampleMse`, then `preferenceTermsFromMses`. */
export function preferenceTerms(batch: PreferenceBatch, opts: PreferenceLossOptions): PreferenceTerms {
  return tidyTerms(() => preferenceTermsFromMses(pairMses(batch), opts, batch.desirable));
}

/** tf.tidy for a `PreferenceTerms` result (tfjs's TensorContainer type does not admit interfaces). */
export function tidyTerms(fn: () => PreferenceTerms): PreferenceTerms {
  return tf.tidy(() => fn() as unknown as tf.TensorContainer) as unknown as PreferenceTerms;
}

/** Number of pairs P; throws, naming the tensor, when the batch is inconsistent. */
export function checkBatch(batch: PreferenceBatch): number {
  const [n, f] = batch.policy.shape;
  const p = n / 2;
  if (!Number.isInteger(p) || p < 1) throw new Error(`preference loss: policy predictions [${batch.policy.shape}] need 2P samples (P winners, then P losers)`);
  for (const [name, t] of [['reference', batch.reference], ['target', batch.target]] as const) {
    if (t.shape.join() !== batch.policy.shape.join()) throw new Error(`preference loss: ${name} [${t.shape}] must have the policy's shape [${batch.policy.shape}]`);
  }
  if (batch.mask.shape[0] !== n || batch.mask.shape[1] !== f) throw new Error(`preference loss: mask [${batch.mask.shape}] must be [${n}, ${f}] (samples × frames)`);
  if (batch.desirable && batch.desirable.shape[0] !== n) throw new Error(`preference loss: desirable [${batch.desirable.shape}] must be [${n}]`);
  return p;
}

/** Every tensor of a `PreferenceTerms`, for tf.dispose. */
export function preferenceTensors(t: PreferenceTerms): tf.Tensor[] {
  return [t.loss, t.pairLoss, t.mses.policyWinner, t.mses.referenceWinner, t.mses.policyLoser, t.mses.referenceLoser, t.z, t.dpoLoss, t.ktoLoss, t.ktoReferencePoint, t.implicitAccuracy, t.rewardMargin];
}
