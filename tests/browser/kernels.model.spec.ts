// The model on webgpu with the fused kernels (src/kernels/index.ts `selectKernels`) against the
// same model on the reference path: velocity prediction, flow-matching loss and every parameter's
// gradient, with the dispatch counter proving the fused kernels ran.
import { expect, test } from '@playwright/test';
import type { KernelLab } from '../../src/kernel-lab/main';
import type { ModelCase } from '../../src/kernel-lab/model-lab';
import { useKernelLab } from './kernel-lab';

declare const kernelLab: KernelLab;

const lab = useKernelLab();

const cases: Array<{ name: string; c: ModelCase; attentionCalls: number }> = [
  // tiny: 1 text layer + 2 blocks × (spatial, temporal, cross) = 7 attention calls per forward.
  { name: 'tiny, sparse-causal spatial (its config)', c: { config: 'tiny', batch: 2 }, attentionCalls: 7 },
  { name: 'tiny, frame spatial', c: { config: 'tiny', batch: 2, spatialAttention: 'frame' }, attentionCalls: 7 },
];

for (const { name, c, attentionCalls } of cases) {
  test(`model forward + backward with fused kernels matches the reference path: ${name}`, async () => {
    const r = await lab.page.evaluate((c) => kernelLab.modelCase(c), c);
    console.log(`${name}: ${JSON.stringify(r)}`);
    expect(r.kernels.fused).toBe(true);
    // The reference run dispatched none of ours; the fused run dispatched every attention call:
    // forward alone (prediction) + forward under the gradient tape, then one backward each.
    expect(r.referenceDispatches).toEqual({});
    expect(r.fusedDispatches).toEqual({
      VpoFlashAttentionForward: 2 * attentionCalls,
      'VpoFlashAttentionBackward.dQ': attentionCalls,
      'VpoFlashAttentionBackward.dKdV': attentionCalls,
    });
    expect(r.predictionMaxAbsErr).toBeLessThanOrEqual(1e-4);
    expect(r.lossAbsErr).toBeLessThanOrEqual(1e-5);
    expect(r.worstGrad.relErr, `worst gradient: ${r.worstGrad.name}`).toBeLessThanOrEqual(1e-3);
  });
}
