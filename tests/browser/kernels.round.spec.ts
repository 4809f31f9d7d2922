// A whole preference round on webgpu with the fused kernels against the same round on the CPU
// reference path (src/kernel-lab/round-lab.ts): per-step loss and gradient norm, and the trained
// LoRA. A GPU that silently drops a step (it once trained every round on zeros while reporting
// "completed") fails here even when every kernel passes its own checks.
import { expect, test } from '@playwright/test';
import type { KernelLab } from '../../src/kernel-lab/main';
import type { RoundCase } from '../../src/kernel-lab/round-lab';
import { useKernelLab } from './kernel-lab';

declare const kernelLab: KernelLab;

const lab = useKernelLab();

const cases: RoundCase[] = [
  { method: 'dpo', steps: 3, batchSize: 2, pairs: 4 },
  { method: 'kto', steps: 2, batchSize: 2, pairs: 4 },
];

for (const c of cases) {
  test(`a ${c.method.toUpperCase()} round on webgpu trains like the reference path (tiny, ${c.steps} steps)`, async () => {
    const r = await lab.page.evaluate((c) => kernelLab.roundCase(c), c);
    console.log(`${c.method}: ${JSON.stringify(r)}`);
    expect(r.referenceDispatches).toEqual({});
    // Every step ran our attention forward/backward and the fused preference loss.
    expect(r.fusedDispatches['VpoFlashAttentionForward']).toBeGreaterThan(0);
    expect(r.fusedDispatches['VpoFlashAttentionBackward.dQ']).toBeGreaterThan(0);
    expect(Object.keys(r.fusedDispatches).some((k) => k.startsWith('VpoPreferenceLoss'))).toBe(true);
    for (const [i, s] of r.steps.entries()) {
      expect(Math.abs(s.fused.loss - s.reference.loss), `loss at step ${i + 1}`).toBeLessThanOrEqual(1e-3 * Math.max(1, Math.abs(s.reference.loss)));
      expect(s.reference.gradNorm, `reference gradient norm at step ${i + 1}`).toBeGreaterThan(0);
      expect(Math.abs(s.fused.gradNorm - s.reference.gradNorm) / s.reference.gradNorm, `gradient norm at step ${i + 1}`).toBeLessThanOrEqual(1e-2);
    }
    expect(r.loraNorm).toBeGreaterThan(0); // the adapter moved
    expect(r.worstLora.relDiff, `worst LoRA matrix: ${r.worstLora.name}`).toBeLessThanOrEqual(2e-2);
  });
}
