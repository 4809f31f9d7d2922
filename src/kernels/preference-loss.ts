/**
 * Fused DPO / KTO preference loss on the tfjs WebGPU backend: shaders/preference_loss.wgsl.
 * Registered as the tfjs kernel `VpoPreferenceLoss` (webgpu only), one dispatch, two outputs:
 * per-pair statistics [P, PREFERENCE_STATS.length] and the gradient of the objective's per-pair
 * loss w.r.t. the policy predictions [2P, …]. `fusedPreferenceTerms` wraps it in `tf.customGrad`
 * and returns the same `PreferenceTerms` as the reference, `preferenceTerms`
 * (src/diffusion/preference.ts).
 */
import * as tf from '@tensorflow/tfjs';
import source from '../../shaders/preference_loss.wgsl?raw';
import {
  checkBatch, pairDesirability, preferenceTerms,
  type PreferenceBatch, type PreferenceLossOptions, type PreferenceTerms,
} from '../diffusion/preference';
import { allocateOutput, getPipeline, recordDispatch, requireInputs, uploadInputs, webgpuInternals, type KernelArgs } from './device';

export const PREFERENCE_LOSS = 'VpoPreferenceLoss';

/** Columns of the statistics output, in shader order (`stats[row + i]`). */
export const PREFERENCE_STATS = [
  'policyWinnerMse', 'referenceWinnerMse', 'policyLoserMse', 'referenceLoserMse',
  'z', 'dpoLoss', 'ktoLoss', 'pairLoss', 'correct', 'ktoReferencePoint',
] as const;
const STAT = Object.fromEntries(PREFERENCE_STATS.map((name, i) => [name, i])) as Record<(typeof PREFERENCE_STATS)[number], number>;

/** One workgroup holds per-sample numbers for at most this many pairs (MAX_SAMPLES / 2). */
export const MAX_FUSED_PAIRS = 128;

function preferenceKernel({ inputs, backend, attrs }: KernelArgs): tf.TensorInfo[] {
  const { policy, reference, target, mask, desirable } = requireInputs(PREFERENCE_LOSS, inputs, ['policy', 'reference', 'target', 'mask', 'desirable']);
  const b = webgpuInternals(backend);
  const [samples, frames] = policy.shape;
  const numPairs = samples / 2;
  const frameElems = policy.shape.slice(2).reduce((x, y) => x * y, 1);
  const pipeline = getPipeline(b.device, 'preference_loss', source, {});
  const stats = allocateOutput(b, [numPairs, PREFERENCE_STATS.length]);
  const grad = allocateOutput(b, policy.shape);
  uploadInputs(b, [policy, reference, target, mask, desirable]);
  recordDispatch(
    b,
    PREFERENCE_LOSS,
    pipeline,
    [policy, reference, target, mask, desirable, stats, grad],
    [
      { type: 'uint32', value: numPairs },
      { type: 'uint32', value: frames },
      { type: 'uint32', value: frameElems },
      { type: 'uint32', value: attrs?.objective === 'kto' ? 1 : 0 },
      { type: 'float32', value: attrs?.beta as number },
      { type: 'float32', value: attrs?.desirableWeight as number },
      { type: 'float32', value: attrs?.undesirableWeight as number },
    ],
    [1, 1, 1],
  );
  return [stats, grad];
}

if (!tf.getKernel(PREFERENCE_LOSS, 'webgpu')) {
  tf.registerKernel({ kernelName: PREFERENCE_LOSS, backendName: 'webgpu', kernelFunc: preferenceKernel as unknown as tf.KernelFunc });
}

/** Why the fused kernel cannot take this batch (null: it can); the reference runs instead. */
export function fusedPreferenceUnsupported(batch: PreferenceBatch): string | null {
  if (tf.getBackend() !== 'webgpu') return `backend is ${tf.getBackend()}, not webgpu`;
  const p = batch.policy.shape[0] / 2;
  if (p > MAX_FUSED_PAIRS) return `${p} pairs (the kernel takes at most ${MAX_FUSED_PAIRS})`;
  if ([batch.policy, batch.reference, batch.target, batch.mask].some((t) => t.dtype !== 'float32')) return 'non-float32 input';
  return null;
}

/** Statistics [P, PREFERENCE_STATS.length] and ∂(per-pair loss)/∂policy, raw from the kernel. */
export function preferenceLossKernel(batch: PreferenceBatch, opts: PreferenceLossOptions): [tf.Tensor2D, tf.Tensor] {
  const p = checkBatch(batch);
  const desirable = batch.desirable ?? pairDesirability(p);
  const out = tf.engine().runKernel(
    PREFERENCE_LOSS,
    { policy: batch.policy, reference: batch.reference, target: batch.target, mask: batch.mask, desirable },
    { objective: opts.objective, beta: opts.beta, desirableWeight: opts.desirableWeight ?? 1, undesirableWeight: opts.undesirableWeight ?? 1 },
  ) as unknown as [tf.Tensor2D, tf.Tensor];
  if (!batch.desirable) desirable.dispose();
  return out;
}

/**
 * The fused preference loss as `PreferenceTerms`. Differentiable w.r.t. `batch.policy` through
 * `loss` and `pairLoss` only (the kernel's gradient is that of the objective's per-pair loss);
 * the other terms are statistics. Falls back to the reference where the kernel does not apply.
 */
export function fusedPreferenceTerms(batch: PreferenceBatch, opts: PreferenceLossOptions): PreferenceTerms {
  if (fusedPreferenceUnsupported(batch) !== null) return preferenceTerms(batch, opts);
  const p = checkBatch(batch);
  const statsOp = tf.customGrad(((policy: tf.Tensor5D, save: tf.GradSaveFunc) => {
    const [stats, grad] = preferenceLossKernel({ ...batch, policy }, opts);
    save([grad]);
    return {
      value: stats,
      gradFunc: (dy: tf.Tensor2D, saved: tf.Tensor[]) => {
        // ∂loss/∂policy = Σ_pairs ∂loss/∂pairLoss · ∂pairLoss/∂policy; each sample belongs to one pair.
        const dPair = tf.slice(dy, [0, STAT.pairLoss], [p, 1]).reshape([p]); // [P]
        const perSample = tf.concat([dPair, dPair]).reshape([2 * p, 1, 1, 1, 1]); // winners, losers
        return tf.mul(saved[0], perSample);
      },
    };
  }) as unknown as Parameters<typeof tf.customGrad>[0]);
  return tf.tidy(() => {
    const stats = statsOp(batch.policy) as tf.Tensor2D;
    const column = (name: keyof typeof STAT) => tf.slice(stats, [0, STAT[name]], [p, 1]).reshape([p]) as tf.Tensor1D;
    const pairLoss = column('pairLoss');
    const z = column('z');
    return {
      loss: tf.mean(pairLoss) as tf.Scalar,
      pairLoss,
      mses: {
        policyWinner: column('policyWinnerMse'),
        referenceWinner: column('referenceWinnerMse'),
        policyLoser: column('policyLoserMse'),
        referenceLoser: column('referenceLoserMse'),
      },
      z,
      dpoLoss: column('dpoLoss'),
      ktoLoss: column('ktoLoss'),
      ktoReferencePoint: tf.slice(stats, [0, STAT.ktoReferencePoint], [1, 1]).reshape([]) as tf.Scalar,
      implicitAccuracy: tf.mean(column('correct')) as tf.Scalar,
      rewardMargin: tf.mean(z) as tf.Scalar,
    };
  });
}
