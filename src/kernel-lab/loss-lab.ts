/**
 * Preference-loss checks for the kernel lab: the fused kernel on webgpu, against hand-computed
 * numbers (the spec supplies them) and against the reference `preferenceTerms` on the CPU backend.
 */
import * as tf from '@tensorflow/tfjs';
import { gaussianNoise } from '../diffusion/noise';
import { preferenceTensors, preferenceTerms, type PreferenceBatch, type PreferenceLossOptions, type PreferenceTerms } from '../diffusion/preference';
import { kernelDispatchCounts, resetKernelDispatchCounts } from '../kernels/device';
import { fusedPreferenceTerms } from '../kernels/preference-loss';
import { maxAbs, maxAbsDiff, onBackend } from './util';

/** A batch as plain arrays: shape [2P, F, H, W, C], winners then losers. */
export interface LossInputs {
  shape: [number, number, number, number, number];
  policy: number[] | Float32Array;
  reference: number[] | Float32Array;
  target: number[] | Float32Array;
  /** [2P, F] */
  mask: number[] | Float32Array;
  /** [2P]; default winners 1, losers 0. */
  desirable?: number[];
}

/** Every term as numbers, and ∂loss/∂policy. */
export interface LossNumbers {
  loss: number;
  pairLoss: number[];
  policyWinnerMse: number[];
  referenceWinnerMse: number[];
  policyLoserMse: number[];
  referenceLoserMse: number[];
  z: number[];
  dpoLoss: number[];
  ktoLoss: number[];
  ktoReferencePoint: number;
  implicitAccuracy: number;
  rewardMargin: number;
  grad: number[];
}

function toBatch(x: LossInputs): PreferenceBatch {
  const [n, f] = x.shape;
  return {
    policy: tf.tensor5d(Float32Array.from(x.policy), x.shape),
    reference: tf.tensor5d(Float32Array.from(x.reference), x.shape),
    target: tf.tensor5d(Float32Array.from(x.target), x.shape),
    mask: tf.tensor2d(Float32Array.from(x.mask), [n, f]),
    desirable: x.desirable ? tf.tensor1d(x.desirable) : undefined,
  };
}

async function numbers(terms: PreferenceTerms, grad: tf.Tensor): Promise<LossNumbers> {
  const arr = async (t: tf.Tensor) => Array.from(await t.data());
  const one = async (t: tf.Tensor) => (await t.data())[0];
  return {
    loss: await one(terms.loss),
    pairLoss: await arr(terms.pairLoss),
    policyWinnerMse: await arr(terms.mses.policyWinner),
    referenceWinnerMse: await arr(terms.mses.referenceWinner),
    policyLoserMse: await arr(terms.mses.policyLoser),
    referenceLoserMse: await arr(terms.mses.referenceLoser),
    z: await arr(terms.z),
    dpoLoss: await arr(terms.dpoLoss),
    ktoLoss: await arr(terms.ktoLoss),
    ktoReferencePoint: await one(terms.ktoReferencePoint),
    implicitAccuracy: await one(terms.implicitAccuracy),
    rewardMargin: await one(terms.rewardMargin),
    grad: await arr(grad),
  };
}

/** Terms and ∂loss/∂policy with one implementation, on the active backend. */
export async function runLoss(x: LossInputs, opts: PreferenceLossOptions, impl: typeof preferenceTerms): Promise<LossNumbers> {
  const batch = toBatch(x);
  let terms: PreferenceTerms | undefined;
  const { value, grads } = tf.valueAndGrads((policy: tf.Tensor) => {
    terms = impl({ ...batch, policy: policy as tf.Tensor5D }, opts);
    preferenceTensors(terms).forEach((t) => tf.keep(t)); // valueAndGrads disposes all but the value
    return terms.loss;
  })([batch.policy]);
  try {
    return await numbers(terms!, grads[0]);
  } finally {
    tf.dispose([value, ...grads, ...preferenceTensors(terms!), batch.policy, batch.reference, batch.target, batch.mask]);
    if (batch.desirable) batch.desirable.dispose();
  }
}

/** The fused kernel on webgpu, with the dispatches it made. */
export async function fusedLoss(x: LossInputs, opts: PreferenceLossOptions): Promise<LossNumbers & { dispatches: Record<string, number> }> {
  return onBackend('webgpu', async () => {
    resetKernelDispatchCounts();
    const r = await runLoss(x, opts, fusedPreferenceTerms);
    return { ...r, dispatches: kernelDispatchCounts() };
  });
}

export interface LossCase {
  pairs: number;
  frames: number;
  height: number;
  width: number;
  /** Pairs in first-frame mode (frame 0 unsupervised for winner and loser). */
  firstFramePairs: number[];
  seed?: number;
  /** Policy predictions closer to the target than the reference (KTO's z0 > 0); default further. */
  policyCloser?: boolean;
  /** KTO desirability per sample [2P] (default winners 1, losers 0). */
  desirable?: number[];
}

/** Random inputs for a `LossCase`: predictions near the target, the policy a little further. */
export function randomLossInputs(c: LossCase): LossInputs {
  const shape: LossInputs['shape'] = [2 * c.pairs, c.frames, c.height, c.width, 3];
  const n = shape.reduce((a, b) => a * b, 1);
  const seed = c.seed ?? 1;
  const target = gaussianNoise(seed, n);
  const near = (s: number, scale: number) => Float32Array.from(gaussianNoise(s, n), (e, i) => target[i] + scale * e);
  const mask = new Float32Array(2 * c.pairs * c.frames).fill(1);
  for (const p of c.firstFramePairs) {
    mask[p * c.frames] = 0;
    mask[(c.pairs + p) * c.frames] = 0;
  }
  return { shape, policy: near(seed + 1, c.policyCloser ? 0.4 : 0.6), reference: near(seed + 2, 0.5), target, mask, desirable: c.desirable };
}

/** Fused (webgpu) against reference (cpu): max abs error of every term, relative error of the gradient. */
export async function lossCase(c: LossCase, opts: PreferenceLossOptions) {
  const x = randomLossInputs(c);
  const ref = await onBackend('cpu', () => runLoss(x, opts, preferenceTerms));
  const fused = await fusedLoss(x, opts);
  const terms: Record<string, number> = {};
  for (const key of Object.keys(ref) as Array<keyof LossNumbers>) {
    if (key === 'grad') continue;
    const a = fused[key];
    const b = ref[key];
    terms[key] = Array.isArray(a) ? maxAbsDiff(a, b as number[]) : Math.abs((a as number) - (b as number));
  }
  return {
    terms,
    gradRelErr: maxAbsDiff(fused.grad, ref.grad) / Math.max(maxAbs(ref.grad), 1e-12),
    dispatches: fused.dispatches,
    loss: { fused: fused.loss, reference: ref.loss },
    ktoReferencePoint: ref.ktoReferencePoint,
  };
}

/** One implementation on one backend (debugging and cross-backend checks). */
export async function lossOn(x: LossInputs, opts: PreferenceLossOptions, impl: 'fused' | 'reference', backend: 'cpu' | 'webgpu'): Promise<LossNumbers> {
  return onBackend(backend, () => runLoss(x, opts, impl === 'fused' ? fusedPreferenceTerms : preferenceTerms));
}
