import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { useBackend } from '../../../src/engine/tf-node';
import { gaussianNoise } from '../../../src/diffusion/noise';
import { pairMses, preferenceTerms, preferenceTermsFromMses, type PreferenceBatch, type PreferenceLossOptions } from '../../../src/diffusion/preference';

// The reference preference losses (src/diffusion/preference.ts) on tfjs's CPU backend: exact
// float32 kernels, so hand-computed values match to ~1e-6.
beforeAll(async () => {
  await useBackend('cpu');
});

const sigma = (x: number) => 1 / (1 + Math.exp(-x));
const softplus = (x: number) => Math.log(1 + Math.exp(x));
const values = (t: tf.Tensor) => Array.from(t.dataSync());

function mses(pw: number[], rw: number[], pl: number[], rl: number[]) {
  return { policyWinner: tf.tensor1d(pw), referenceWinner: tf.tensor1d(rw), policyLoser: tf.tensor1d(pl), referenceLoser: tf.tensor1d(rl) };
}

describe('preference terms from the four MSEs (hand-computed)', () => {
  // Two pairs, β = 2. Pair 0: Δw = 0.5 − 0.6 = −0.1, Δl = 0.7 − 0.5 = 0.2 → z = −½·2·(−0.1 − 0.2) = 0.3.
  // Pair 1: Δw = 0, Δl = 0.1 − 0.3 = −0.2 → z = −(0 + 0.2) = −0.2.
  const m = () => mses([0.5, 0.2], [0.6, 0.2], [0.7, 0.1], [0.5, 0.3]);

  it('DPO: z, −log σ(z), implicit accuracy and reward margin', () => {
    const t = preferenceTermsFromMses(m(), { objective: 'dpo', beta: 2 });
    expect(values(t.z)[0]).toBeCloseTo(0.3, 6);
    expect(values(t.z)[1]).toBeCloseTo(-0.2, 6);
    expect(values(t.dpoLoss)[0]).toBeCloseTo(softplus(-0.3), 6);
    expect(values(t.dpoLoss)[1]).toBeCloseTo(softplus(0.2), 6);
    expect(values(t.pairLoss)).toEqual(values(t.dpoLoss));
    expect(t.loss.dataSync()[0]).toBeCloseTo((softplus(-0.3) + softplus(0.2)) / 2, 6);
    expect(t.implicitAccuracy.dataSync()[0]).toBe(0.5); // z > 0 for pair 0 only
    expect(t.rewardMargin.dataSync()[0]).toBeCloseTo(0.05, 6);
  });

  it('KTO: reference point z0 = max(0, mean g) and λ-weighted 1 − σ(β·s·(g − z0))', () => {
    // g = m_ref − m_θ: winners 0.1, 0; losers −0.2, 0.2 → mean 0.025 = z0.
    // Winners s = +1, losers s = −1; λ_D = 1, λ_U = 0.5.
    const t = preferenceTermsFromMses(m(), { objective: 'kto', beta: 2, desirableWeight: 1, undesirableWeight: 0.5 });
    expect(t.ktoReferencePoint.dataSync()[0]).toBeCloseTo(0.025, 6);
    const w0 = 1 - sigma(2 * (0.1 - 0.025));
    const w1 = 1 - sigma(2 * (0 - 0.025));
    const l0 = 0.5 * (1 - sigma(-2 * (-0.2 - 0.025)));
    const l1 = 0.5 * (1 - sigma(-2 * (0.2 - 0.025)));
    expect(values(t.ktoLoss)[0]).toBeCloseTo((w0 + l0) / 2, 6);
    expect(values(t.ktoLoss)[1]).toBeCloseTo((w1 + l1) / 2, 6);
    expect(t.loss.dataSync()[0]).toBeCloseTo((w0 + l0 + w1 + l1) / 4, 6);
    // The DPO numbers are reported whatever the objective.
    expect(values(t.z)[0]).toBeCloseTo(0.3, 6);
  });

  it('KTO: z0 is clamped at 0, and "both bad" marks both samples undesirable', () => {
    // g: winners −0.1, −0.3; losers −0.2, 0 → mean −0.15 → z0 = 0.
    const both = mses([0.6, 0.5], [0.5, 0.2], [0.7, 0.3], [0.5, 0.3]);
    const t = preferenceTermsFromMses(both, { objective: 'kto', beta: 1 }, tf.tensor1d([1, 0, 0, 0]));
    expect(t.ktoReferencePoint.dataSync()[0]).toBe(0);
    const pair1 = ((1 - sigma(-1 * -0.3)) + (1 - sigma(-1 * 0))) / 2; // both undesirable
    expect(values(t.ktoLoss)[1]).toBeCloseTo(pair1, 6);
  });
});

/** A random batch of P pairs, F frames of h×w×3, first-frame mode on the pairs listed. */
function randomBatch(p: number, f: number, h: number, w: number, firstFramePairs: number[], seed = 1): PreferenceBatch {
  const shape: [number, number, number, number, number] = [2 * p, f, h, w, 3];
  const n = shape.reduce((a, b) => a * b, 1);
  const target = gaussianNoise(seed, n);
  const near = (s: number, scale: number) => Float32Array.from(gaussianNoise(s, n), (e, i) => target[i] + scale * e);
  const mask = new Float32Array(2 * p * f).fill(1);
  for (const pair of firstFramePairs) {
    mask[pair * f] = 0; // the winner's frame 0
    mask[(p + pair) * f] = 0; // and the loser's: they share the first frame
  }
  return {
    policy: tf.tensor5d(near(seed + 1, 0.6), shape),
    reference: tf.tensor5d(near(seed + 2, 0.5), shape),
    target: tf.tensor5d(target, shape),
    mask: tf.tensor2d(mask, [2 * p, f]),
  };
}

describe('preference terms from predictions', () => {
  it('MSEs over the supervised frames only (hand-computed, first-frame mode)', () => {
    // One pair, 2 frames of one 1×1 pixel with 3 channels; frame 0 excluded for both samples.
    // Winner policy error on frame 1: (1, 2, 2) → m = 9 / 3 = 3; frame 0's error 10 is ignored.
    // Loser policy error on frame 1: (0, 0, 3) → 3; reference errors 1 and 2 everywhere → 1, 4.
    const target = tf.zeros([2, 2, 1, 1, 3]) as tf.Tensor5D;
    const policy = tf.tensor5d([10, 10, 10, 1, 2, 2, 10, 10, 10, 0, 0, 3], [2, 2, 1, 1, 3]);
    const reference = tf.tensor5d([1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 2], [2, 2, 1, 1, 3]);
    const mask = tf.tensor2d([0, 1, 0, 1], [2, 2]);
    const m = pairMses({ policy, reference, target, mask });
    expect(values(m.policyWinner)).toEqual([3]);
    expect(values(m.referenceWinner)).toEqual([1]);
    expect(values(m.policyLoser)).toEqual([3]);
    expect(values(m.referenceLoser)).toEqual([4]);
    // z = −½β[(3 − 1) − (3 − 4)] = −½·0.5·3 = −0.75
    const t = preferenceTerms({ policy, reference, target, mask }, { objective: 'dpo', beta: 0.5 });
    expect(values(t.z)[0]).toBeCloseTo(-0.75, 6);
  });

  it('rejects a batch whose shapes disagree, naming the tensor', () => {
    const b = randomBatch(1, 2, 2, 2, []);
    expect(() => pairMses({ ...b, mask: tf.ones([2, 3]) as tf.Tensor2D })).toThrow(/mask \[2,3\] must be \[2, 2\]/);
    expect(() => pairMses({ ...b, policy: tf.ones([3, 2, 2, 2, 3]) as tf.Tensor5D })).toThrow(/2P samples/);
  });

  /** Central differences of the loss at a few coordinates of the policy predictions. */
  function finiteDifferenceCheck(batch: PreferenceBatch, opts: PreferenceLossOptions) {
    const lossOf = (policy: tf.Tensor5D) => tf.tidy(() => preferenceTerms({ ...batch, policy }, opts).loss);
    const grad = tf.grad((policy: tf.Tensor) => lossOf(policy as tf.Tensor5D))(batch.policy);
    const g = grad.dataSync();
    const x = batch.policy.dataSync();
    const eps = 1e-2;
    let worst = 0;
    const scale = Math.max(...Array.from(g, Math.abs));
    for (let probe = 0; probe < 12; probe++) {
      const i = Math.floor(((probe + 0.5) / 12) * x.length);
      const at = (delta: number) => {
        const y = Float32Array.from(x);
        y[i] += delta;
        return lossOf(tf.tensor5d(y, batch.policy.shape)).dataSync()[0];
      };
      const numeric = (at(eps) - at(-eps)) / (2 * eps);
      worst = Math.max(worst, Math.abs(numeric - g[i]) / scale);
    }
    return { worst, zeroOnUnsupervised: g };
  }

  it('DPO gradient w.r.t. the policy predictions matches finite differences', () => {
    const batch = randomBatch(2, 3, 2, 2, [1]);
    const { worst, zeroOnUnsupervised: g } = finiteDifferenceCheck(batch, { objective: 'dpo', beta: 50 });
    expect(worst).toBeLessThan(2e-3);
    // Pair 1 is in first-frame mode: no gradient reaches its frame 0 (winner sample 1, loser 3).
    const perFrame = 2 * 2 * 3;
    for (const sample of [1, 3]) expect(Array.from(g.slice(sample * 3 * perFrame, sample * 3 * perFrame + perFrame)).every((v) => v === 0)).toBe(true);
  });

  it('KTO gradient w.r.t. the policy predictions matches finite differences (z0 = 0 region)', () => {
    // The policy is further from the target than the reference everywhere → mean g < 0 → z0 = 0,
    // so z0's stop-gradient does not change the derivative the differences measure.
    const batch = randomBatch(2, 3, 2, 2, [0], 4);
    const terms = preferenceTerms(batch, { objective: 'kto', beta: 20 });
    expect(terms.ktoReferencePoint.dataSync()[0]).toBe(0);
    expect(finiteDifferenceCheck(batch, { objective: 'kto', beta: 20 }).worst).toBeLessThan(2e-3);
  });

  it('KTO: z0 is a constant for the gradient (hand-computed, z0 > 0)', () => {
    // One pair, one frame, one pixel, one channel... as 1×1×3 with errors on channel 0 only.
    // Winner: policy error 0.1, ref 0.5 → m_θ = 0.01/3, m_ref = 0.25/3, g_w = 0.24/3 = 0.08.
    // Loser: policy error 0.3, ref 0.3 → g_l = 0. z0 = mean(0.08, 0) = 0.04 > 0.
    // dℓ/dπ = ½ · λ σ(u)(1 − σ(u)) β s · ∂m_θ/∂π, ∂m_θ/∂π_0 = 2 · error / 3; u_w = β (0.08 − 0.04).
    const beta = 10;
    const policy = tf.tensor5d([0.1, 0, 0, 0.3, 0, 0], [2, 1, 1, 1, 3]);
    const reference = tf.tensor5d([0.5, 0, 0, 0.3, 0, 0], [2, 1, 1, 1, 3]);
    const target = tf.zeros([2, 1, 1, 1, 3]) as tf.Tensor5D;
    const mask = tf.ones([2, 1]) as tf.Tensor2D;
    const g = tf.grad((x: tf.Tensor) => preferenceTerms({ policy: x as tf.Tensor5D, reference, target, mask }, { objective: 'kto', beta }).loss)(policy).dataSync();
    const uw = beta * (0.08 - 0.04);
    const ul = -beta * (0 - 0.04);
    expect(g[0]).toBeCloseTo(0.5 * sigma(uw) * (1 - sigma(uw)) * beta * 1 * ((2 * 0.1) / 3), 5);
    expect(g[3]).toBeCloseTo(0.5 * sigma(ul) * (1 - sigma(ul)) * beta * -1 * ((2 * 0.3) / 3), 5);
  });
});
