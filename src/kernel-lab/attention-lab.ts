/**
 * Attention checks for the kernel lab: the fused kernels on webgpu against `referenceAttention`
 * on tfjs's CPU backend (float32, exact softmax), same inputs.
 */
import * as tf from '@tensorflow/tfjs';
import { gaussianNoise } from '../diffusion/noise';
import { referenceAttention, type AttentionMask } from '../model/attention';
import { kernelDispatchCounts, resetKernelDispatchCounts } from '../kernels/device';
import { fusedAttention, fusedAttentionUnsupported } from '../kernels/fused-attention';
import { maxAbsDiff, maxAbs, onBackend } from './util';

/** Shape and mask of one attention call: q [b, h, lq, d], k and v [b, h, lk, d]. */
export interface AttentionShape {
  b: number;
  h: number;
  lq: number;
  lk: number;
  d: number;
  mask: AttentionMask;
}

export interface AttentionCase extends AttentionShape {
  name?: string;
  seed?: number;
  /** Also compare dQ, dK, dV (default true). */
  backward?: boolean;
}

export interface AttentionCaseResult {
  forwardMaxAbsErr: number;
  /** max |fused − reference| / max |reference| per gradient. */
  gradRelErr: { q: number; k: number; v: number } | null;
  /** Fused dispatches during the webgpu run: proves the kernels, not a fallback, ran. */
  dispatches: Record<string, number>;
  unsupported: string | null;
}

interface Inputs {
  q: Float32Array;
  k: Float32Array;
  v: Float32Array;
  dy: Float32Array;
}

function makeInputs(c: AttentionCase): Inputs {
  const seed = c.seed ?? 1;
  const nq = c.b * c.h * c.lq * c.d;
  const nk = c.b * c.h * c.lk * c.d;
  return { q: gaussianNoise(seed, nq), k: gaussianNoise(seed + 1, nk), v: gaussianNoise(seed + 2, nk), dy: gaussianNoise(seed + 3, nq) };
}

interface Run {
  o: Float32Array;
  dq?: Float32Array;
  dk?: Float32Array;
  dv?: Float32Array;
}

/** Output and, optionally, the gradients of sum(o ∘ dy) with one implementation. */
export async function runAttention(c: AttentionCase, x: Inputs, impl: typeof referenceAttention, backward: boolean): Promise<Run> {
  const q = tf.tensor4d(x.q, [c.b, c.h, c.lq, c.d]);
  const k = tf.tensor4d(x.k, [c.b, c.h, c.lk, c.d]);
  const v = tf.tensor4d(x.v, [c.b, c.h, c.lk, c.d]);
  const dy = tf.tensor4d(x.dy, [c.b, c.h, c.lq, c.d]);
  try {
    const o = impl.attention(q, k, v, c.mask);
    const run: Run = { o: (await o.data()) as Float32Array };
    o.dispose();
    if (backward) {
      const grads = tf.grads((a: tf.Tensor, b: tf.Tensor, cc: tf.Tensor) => impl.attention(a as tf.Tensor4D, b as tf.Tensor4D, cc as tf.Tensor4D, c.mask));
      const [dq, dk, dv] = grads([q, k, v], dy);
      run.dq = (await dq.data()) as Float32Array;
      run.dk = (await dk.data()) as Float32Array;
      run.dv = (await dv.data()) as Float32Array;
      tf.dispose([dq, dk, dv]);
    }
    return run;
  } finally {
    tf.dispose([q, k, v, dy]);
  }
}

function relErr(a: Float32Array, b: Float32Array): number {
  return maxAbsDiff(a, b) / Math.max(maxAbs(b), 1e-12);
}

export async function attentionCase(c: AttentionCase): Promise<AttentionCaseResult> {
  const backward = c.backward ?? true;
  const x = makeInputs(c);
  const ref = await onBackend('cpu', () => runAttention(c, x, referenceAttention, backward));
  return onBackend('webgpu', async () => {
    const probe = [tf.zeros([c.b, c.h, c.lq, c.d]), tf.zeros([c.b, c.h, c.lk, c.d])] as tf.Tensor4D[];
    const unsupported = fusedAttentionUnsupported(probe[0], probe[1], c.mask);
    tf.dispose(probe);
    resetKernelDispatchCounts();
    const fused = await runAttention(c, x, fusedAttention, backward);
    return {
      forwardMaxAbsErr: maxAbsDiff(fused.o, ref.o),
      gradRelErr: backward ? { q: relErr(fused.dq!, ref.dq!), k: relErr(fused.dk!, ref.dk!), v: relErr(fused.dv!, ref.dv!) } : null,
      dispatches: kernelDispatchCounts(),
      unsupported,
    };
  });
}

export interface FiniteDifferenceResult {
  /** Per probed coordinate: analytic (fused backward) and central-difference derivative. */
  probes: Array<{ tensor: 'q' | 'k' | 'v'; index: number; analytic: number; numeric: number }>;
  /** max |analytic − numeric| / max |numeric| over the probes. */
  relErr: number;
}

/**
 * Central differences of L = Σ o ∘ dy through the fused forward pass against the fused backward
 * pass, at `probesPerTensor` coordinates of each of q, k, v. L is summed in float64.
 */
export async function attentionFiniteDifference(c: AttentionCase, probesPerTensor = 4, eps = 1e-2): Promise<FiniteDifferenceResult> {
  const x = makeInputs(c);
  return onBackend('webgpu', async () => {
    const analytic = await runAttention(c, x, fusedAttention, true);
    const loss = async (inputs: Inputs) => {
      const o = (await runAttention(c, inputs, fusedAttention, false)).o;
      let sum = 0;
      for (let i = 0; i < o.length; i++) sum += o[i] * inputs.dy[i];
      return sum;
    };
    const probes: FiniteDifferenceResult['probes'] = [];
    for (const name of ['q', 'k', 'v'] as const) {
      const grad = name === 'q' ? analytic.dq! : name === 'k' ? analytic.dk! : analytic.dv!;
      for (let p = 0; p < probesPerTensor; p++) {
        const index = Math.floor(((p + 0.5) / probesPerTensor) * x[name].length);
        const plus = { ...x, [name]: Float32Array.from(x[name]) };
        const minus = { ...x, [name]: Float32Array.from(x[name]) };
        plus[name][index] += eps;
        minus[name][index] -= eps;
        const numeric = ((await loss(plus)) - (await loss(minus))) / (2 * eps);
        probes.push({ tensor: name, index, analytic: grad[index], numeric });
      }
    }
    const scale = Math.max(...probes.map((p) => Math.abs(p.numeric)), 1e-12);
    return { probes, relErr: Math.max(...probes.map((p) => Math.abs(p.analytic - p.numeric))) / scale };
  });
}

/**
 * The largest tensor (elements) any kernel creates during forward + backward, fused and composed:
 * the fused path must never allocate an Lq × Lk score matrix.
 */
export async function attentionLargestAllocation(c: AttentionCase): Promise<{ fused: number; composed: number; scores: number }> {
  const x = makeInputs(c);
  return onBackend('webgpu', async () => {
    const largest = async (impl: typeof referenceAttention) => {
      const info = await tf.profile(async () => {
        const r = await runAttention(c, x, impl, true);
        return r.o.length;
      });
      return Math.max(...info.kernels.flatMap((k) => k.outputShapes.map((s) => (s ?? []).reduce((a, b) => a * b, 1))));
    };
    return { fused: await largest(fusedAttention), composed: await largest(referenceAttention), scores: c.lq * c.lk };
  });
}
