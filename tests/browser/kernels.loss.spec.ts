// Fused DPO/KTO preference loss (shaders/preference_loss.wgsl) in Chromium's WebGPU: against
// hand-computed values, and against the reference (src/diffusion/preference.ts) on random batches.
import { expect, test } from '@playwright/test';
import type { LossCase, LossInputs } from '../../src/kernel-lab/loss-lab';
import type { KernelLab } from '../../src/kernel-lab/main';
import type { PreferenceLossOptions } from '../../src/diffusion/preference';
import { useKernelLab } from './kernel-lab';

declare const kernelLab: KernelLab;

const lab = useKernelLab();

const sigma = (x: number) => 1 / (1 + Math.exp(-x));
const softplus = (x: number) => Math.log(1 + Math.exp(x));

// Two pairs, 2 frames of one pixel (3 channels), target 0, β = 1. Samples: winners 0, 1; losers 2, 3.
// Pair 0 is in first-frame mode (frame 0 unsupervised), pair 1 is not.
//   winner 0: policy frame 1 (1,1,1) → m_θ = 1;  reference (2,1,1) → m_ref = 6/3 = 2
//   loser 2:  policy frame 1 (2,2,2) → m_θ = 4;  reference (1,2,1) → m_ref = 2
//   winner 1: policy all 1 → 1;  reference all 0 → 0
//   loser 3:  policy all 0 → 0;  reference all 1 → 1
// z0 = −½[(1 − 2) − (4 − 2)] = 1.5;  z1 = −½[(1 − 0) − (0 − 1)] = −1.
// KTO: g = m_ref − m_θ = (1, −1 | −2, 1), mean −0.25 → z0 = 0.
const hand: LossInputs = {
  shape: [4, 2, 1, 1, 3],
  policy: [5, 5, 5, 1, 1, 1, /**/ 1, 1, 1, 1, 1, 1, /**/ 7, 7, 7, 2, 2, 2, /**/ 0, 0, 0, 0, 0, 0],
  reference: [9, 9, 9, 2, 1, 1, /**/ 0, 0, 0, 0, 0, 0, /**/ 9, 9, 9, 1, 2, 1, /**/ 1, 1, 1, 1, 1, 1],
  target: new Array(24).fill(0),
  mask: [0, 1, /**/ 1, 1, /**/ 0, 1, /**/ 1, 1],
};

test('preference loss kernel: DPO against hand-computed values', async () => {
  const r = await lab.page.evaluate((x) => kernelLab.fusedLoss(x, { objective: 'dpo', beta: 1 }), hand);
  expect(r.dispatches).toEqual({ VpoPreferenceLoss: 1 });
  const close = (a: number, b: number) => expect(a).toBeCloseTo(b, 5);
  [1, 1].forEach((v, i) => close(r.policyWinnerMse[i], v));
  [2, 0].forEach((v, i) => close(r.referenceWinnerMse[i], v));
  [4, 0].forEach((v, i) => close(r.policyLoserMse[i], v));
  [2, 1].forEach((v, i) => close(r.referenceLoserMse[i], v));
  [1.5, -1].forEach((v, i) => close(r.z[i], v));
  [softplus(-1.5), softplus(1)].forEach((v, i) => close(r.dpoLoss[i], v));
  close(r.loss, (softplus(-1.5) + softplus(1)) / 2);
  close(r.implicitAccuracy, 0.5);
  close(r.rewardMargin, 0.25);
  // ∂loss/∂π = ½ (mean over 2 pairs) · ∂ℓ/∂m_θ · 2π/(3 · supervised frames), ∂ℓ/∂m_θ(w) = ½β σ(−z) = −∂ℓ/∂m_θ(l).
  const expected = [
    0, 0, 0, ...new Array(3).fill(sigma(-1.5) / 6), // winner 0: frame 0 unsupervised
    ...new Array(6).fill(sigma(1) / 12), // winner 1
    0, 0, 0, ...new Array(3).fill(-sigma(-1.5) / 3), // loser 2
    ...new Array(6).fill(0), // loser 3: π = target
  ];
  expected.forEach((v, i) => close(r.grad[i], v));
});

test('preference loss kernel: KTO against hand-computed values', async () => {
  const r = await lab.page.evaluate((x) => kernelLab.fusedLoss(x, { objective: 'kto', beta: 1, desirableWeight: 1, undesirableWeight: 1 }), hand);
  const close = (a: number, b: number) => expect(a).toBeCloseTo(b, 5);
  close(r.ktoReferencePoint, 0);
  const pair0 = (1 - sigma(1) + (1 - sigma(2))) / 2; // winner g = 1 (s = +1), loser g = −2 (s = −1)
  const pair1 = (1 - sigma(-1) + (1 - sigma(-1))) / 2; // winner g = −1, loser g = 1
  close(r.ktoLoss[0], pair0);
  close(r.ktoLoss[1], pair1);
  close(r.loss, (pair0 + pair1) / 2);
  // Winner 1 element: ½ · ½ · σ(u)(1 − σ(u)) β s · 2π/(3·2) with u = −1, s = +1, π = 1.
  close(r.grad[6], 0.25 * sigma(-1) * (1 - sigma(-1)) * (2 / 6));
  // Loser 2, frame 1 element: u = 2, s = −1, π = 2, one supervised frame.
  close(r.grad[15], 0.25 * sigma(2) * (1 - sigma(2)) * -1 * (4 / 3));
});

test('the reference loss runs on webgpu too (the A/B path): same terms and gradient as on the CPU backend', async () => {
  const r = await lab.page.evaluate(async () => {
    const x = kernelLab.randomLossInputs({ pairs: 2, frames: 4, height: 16, width: 16, firstFramePairs: [0] });
    const opts = { objective: 'dpo' as const, beta: 100 };
    const cpu = await kernelLab.lossOn(x, opts, 'reference', 'cpu');
    const gpu = await kernelLab.lossOn(x, opts, 'reference', 'webgpu');
    const maxDiff = Math.max(...gpu.grad.map((g, i) => Math.abs(g - cpu.grad[i])));
    return { loss: [cpu.loss, gpu.loss], gradRelErr: maxDiff / Math.max(...cpu.grad.map(Math.abs)) };
  });
  expect(r.loss[1]).toBeCloseTo(r.loss[0], 5);
  expect(r.gradRelErr).toBeLessThanOrEqual(1e-3);
});

const cases: Array<{ name: string; c: LossCase; opts: PreferenceLossOptions }> = [
  { name: 'DPO, tiny video 2 pairs, first-frame pair', c: { pairs: 2, frames: 4, height: 16, width: 16, firstFramePairs: [1] }, opts: { objective: 'dpo', beta: 200 } },
  { name: 'DPO, odd frame size 3 pairs', c: { pairs: 3, frames: 5, height: 7, width: 9, firstFramePairs: [0, 2], seed: 3 }, opts: { objective: 'dpo', beta: 50 } },
  { name: 'KTO, z0 = 0, both-bad pair', c: { pairs: 2, frames: 4, height: 16, width: 16, firstFramePairs: [0], seed: 5, desirable: [1, 0, 0, 0] }, opts: { objective: 'kto', beta: 100 } },
  { name: 'KTO, z0 > 0, 4 pairs', c: { pairs: 4, frames: 3, height: 8, width: 8, firstFramePairs: [], seed: 9, policyCloser: true }, opts: { objective: 'kto', beta: 30, desirableWeight: 1, undesirableWeight: 0.7 } },
];

for (const { name, c, opts } of cases) {
  test(`preference loss kernel vs reference: ${name}`, async () => {
    const r = await lab.page.evaluate(({ c, opts }) => kernelLab.lossCase(c, opts), { c, opts });
    console.log(`${name}: ${JSON.stringify(r)}`);
    expect(r.dispatches).toEqual({ VpoPreferenceLoss: 1 });
    for (const [term, err] of Object.entries(r.terms)) expect(err, term).toBeLessThanOrEqual(1e-4);
    expect(r.gradRelErr).toBeLessThanOrEqual(1e-3);
    if (c.policyCloser) expect(r.ktoReferencePoint).toBeGreaterThan(0);
  });
}
