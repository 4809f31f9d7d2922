// Fused attention (shaders/flash_attention_*.wgsl) against referenceAttention, in Chromium's
// WebGPU (SwiftShader on CPU-only machines). The cases are data: tests/browser/data/attention-cases.json.
import { readFileSync } from 'node:fs';
import { expect, test } from '@playwright/test';
import type { AttentionCase } from '../../src/kernel-lab/attention-lab';
import type { KernelLab } from '../../src/kernel-lab/main';
import { useKernelLab } from './kernel-lab';

interface CaseTable {
  tolerance: { forwardMaxAbs: number; gradRel: number };
  cases: Array<AttentionCase & { name: string }>;
}
const table = JSON.parse(readFileSync(new URL('./data/attention-cases.json', import.meta.url), 'utf8')) as CaseTable;

declare const kernelLab: KernelLab;

const lab = useKernelLab();

for (const c of table.cases) {
  test(`attention ${c.name}: B${c.b} H${c.h} Lq${c.lq} Lk${c.lk} D${c.d} ${c.mask.kind}`, async () => {
    const r = await lab.page.evaluate((c) => kernelLab.attentionCase(c), c);
    test.info().annotations.push({ type: 'errors', description: JSON.stringify({ forward: r.forwardMaxAbsErr, grad: r.gradRelErr }) });
    console.log(`${c.name}: forward ${r.forwardMaxAbsErr.toExponential(2)}, grad ${JSON.stringify(r.gradRelErr)}`);
    expect(r.unsupported).toBeNull();
    // The fused kernels ran, not the reference fallback: the forward twice (once alone, once
    // under tf.grads) and the two backward passes once.
    expect(r.dispatches).toEqual({ VpoFlashAttentionForward: 2, 'VpoFlashAttentionBackward.dQ': 1, 'VpoFlashAttentionBackward.dKdV': 1 });
    expect(r.forwardMaxAbsErr).toBeLessThanOrEqual(table.tolerance.forwardMaxAbs);
    for (const g of ['q', 'k', 'v'] as const) expect(r.gradRelErr![g], `d${g.toUpperCase()}`).toBeLessThanOrEqual(table.tolerance.gradRel);
  });
}

test('attention backward matches central finite differences of the fused forward (tiny sparse-causal)', async () => {
  const c: AttentionCase = { b: 1, h: 1, lq: 12, lk: 12, d: 16, mask: { kind: 'sparse-causal', tokensPerFrame: 4 }, seed: 5 };
  const r = await lab.page.evaluate((c) => kernelLab.attentionFiniteDifference(c, 4, 1e-2), c);
  console.log('finite differences:', JSON.stringify(r));
  expect(r.probes).toHaveLength(12);
  expect(r.relErr).toBeLessThanOrEqual(5e-3);
});

test('the fused path allocates no Lq × Lk buffer (forward + backward, L = 256)', async () => {
  const c: AttentionCase = { b: 1, h: 2, lq: 256, lk: 256, d: 16, mask: { kind: 'full' } };
  const r = await lab.page.evaluate((c) => kernelLab.attentionLargestAllocation(c), c);
  console.log('largest tensor (elements):', JSON.stringify(r));
  expect(r.composed).toBeGreaterThanOrEqual(r.scores); // the check can see a score matrix
  expect(r.fused).toBeLessThan(r.scores);
});
