// Shared by the export tests (tests/unit/export-*.test.ts).
import { expect } from 'vitest';
import { backupProject, BackupError, restoreProject, type ProjectSnapshot } from '../../src/export/backup';
import { createZip, readZip } from '../../src/export/zip';
import { snapshotFromArrays } from '../../src/prefs/lora-data';
import { pairwiseJudgment, planPairs, pointwiseJudgment } from '../../src/prefs/pairs';
import { roundHyper, startRoundRecord } from '../../src/prefs/rounds';
import type { Pair } from '../../src/prefs/types';
import { makeRng } from '../../src/world/rng';

/** The error a promise rejects with (fails the test if it resolves), to check its class and text. */
export async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected a rejection');
}

export const VIDEO_BYTES = 4 * 16 * 16 * 3; // tiny: 4 frames of 16×16 RGB

/** A small `tiny` project: 4 pairs (one with an uploaded first frame), 3 judgments, a completed and a cancelled round. */
export function backupFixture(): ProjectSnapshot {
  const rng = makeRng(9);
  const bytes = (n: number) => Uint8Array.from({ length: n }, () => Math.floor(rng() * 256));
  const pairs: Pair[] = planPairs({ prompts: ['a red circle moves left', 'a blue square moves up'], pairsPerPrompt: 2, round: 0, seed: 1, sampler: { steps: 24, guidance: 2 }, now: '2025-02-01T10:00:00.000Z' });
  // one pair conditioned on an uploaded first frame (an [H, W, 3] image in the video store)
  pairs[3] = { ...pairs[3], firstFrame: { kind: 'image', id: 'upload/frame 0.png' } };
  const videos: Record<string, Uint8Array> = { 'upload/frame 0.png': bytes(16 * 16 * 3) };
  for (const p of pairs) for (const id of p.videoIds) videos[id] = bytes(VIDEO_BYTES);
  const judgments = [
    pairwiseJudgment({ id: 'j1', pair: pairs[0], annotator: 'zoë', annotatorKind: 'human', round: 1, decision: 'left', leftWas: 1, responseMs: 1234, now: '2025-02-01T10:01:00.000Z' }),
    pairwiseJudgment({ id: 'j2', pair: pairs[1], annotator: 'critic', annotatorKind: 'critic', round: 1, decision: 'tie', leftWas: 0, confidence: 0.62, now: '2025-02-01T10:02:00.000Z' }),
    pointwiseJudgment({ id: 'j3', pair: pairs[2], annotator: 'zoë', annotatorKind: 'human', round: 1, video: 1, desirable: false, now: '2025-02-01T10:03:00.000Z' }),
  ];
  const lora = snapshotFromArrays({ rank: 2, alpha: 4, targetModules: ['attn_spatial.to_q'], modules: new Map([['transformer_blocks.0.attn_spatial.to_q', { inFeatures: 32, outFeatures: 32, rank: 2, loraA: Float32Array.from({ length: 64 }, () => rng() - 0.5), loraB: Float32Array.from({ length: 64 }, () => rng() - 0.5) }]]) });
  const round = { ...startRoundRecord(1, roundHyper({ method: 'dpo' }), ['j1'], 1, new Date('2025-02-01T10:05:00.000Z')), status: 'completed' as const, lora, metrics: [{ step: 1, loss: 0.69, preferenceLoss: 0.69, sftLoss: 0, implicitAccuracy: 0.5, rewardMargin: 0.01, gradNorm: 1.5, lr: 0.005, ms: 900 }] };
  const cancelled = { ...startRoundRecord(2, roundHyper({ method: 'kto' }), [], 0, new Date('2025-02-01T11:00:00.000Z')), status: 'cancelled' as const, note: 'cancelled by the user' };
  return { version: 1, modelName: 'tiny', pairs, judgments, rounds: [round, cancelled], videos, settings: { backend: 'wasm', rankSpeed: 1.5 }, createdAt: '2025-02-01T12:00:00.000Z' };
}

/** The backup with project.json edited (or files dropped / replaced) before zipping again. */
export async function tamperedBackup(edit: (json: Record<string, unknown>, files: Map<string, Uint8Array>) => void): Promise<Uint8Array> {
  const files = await readZip(backupProject(backupFixture()), 'b.zip');
  const json = JSON.parse(new TextDecoder().decode(files.get('project.json')));
  edit(json, files);
  files.set('project.json', new TextEncoder().encode(JSON.stringify(json)));
  return createZip([...files].map(([name, data]) => ({ name, data })));
}

export async function expectRefused(bytes: Uint8Array, pattern: RegExp) {
  const e = await rejection(restoreProject(bytes, 'my-backup.zip'));
  expect(e).toBeInstanceOf(BackupError);
  expect(e.message).toMatch(/^my-backup\.zip: /);
  expect(e.message).toMatch(pattern);
}
