import { describe, expect, it } from 'vitest';
import { backupProject, BackupError, restoreProject, type ProjectSnapshot } from '../../src/export/backup';
import { videoFileStem, videoIdFromStem } from '../../src/export/video';
import { createZip, readZip } from '../../src/export/zip';
import { snapshotFromArrays } from '../../src/prefs/lora-data';
import { pairwiseJudgment, planPairs, pointwiseJudgment } from '../../src/prefs/pairs';
import { roundHyper, startRoundRecord } from '../../src/prefs/rounds';
import type { Pair } from '../../src/prefs/types';
import { makeRng } from '../../src/world/rng';
import { rejection } from './export-helpers';

const VIDEO_BYTES = 4 * 16 * 16 * 3; // tiny: 4 frames of 16×16 RGB

function project(): ProjectSnapshot {
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
async function tampered(edit: (json: Record<string, unknown>, files: Map<string, Uint8Array>) => void): Promise<Uint8Array> {
  const files = await readZip(backupProject(project()), 'b.zip');
  const json = JSON.parse(new TextDecoder().decode(files.get('project.json')));
  edit(json, files);
  files.set('project.json', new TextEncoder().encode(JSON.stringify(json)));
  return createZip([...files].map(([name, data]) => ({ name, data })));
}

async function expectRefused(bytes: Uint8Array, pattern: RegExp) {
  const e = await rejection(restoreProject(bytes, 'my-backup.zip'));
  expect(e).toBeInstanceOf(BackupError);
  expect(e.message).toMatch(/^my-backup\.zip: /);
  expect(e.message).toMatch(pattern);
}

describe('backupProject → restoreProject', () => {
  it('round trips the whole project deep-equal (records, LoRAs, settings, every video byte)', async () => {
    const original = project();
    const restored = await restoreProject(backupProject(original), 'backup.zip');
    expect(restored).toEqual(original);
    expect(Object.values(restored.videos).every((v) => v instanceof Uint8Array)).toBe(true);
  });
  it('is a zip of project.json and videos/<id>.rgb with file-name-safe ids', async () => {
    const files = await readZip(backupProject(project()), 'b.zip');
    expect(files.has('project.json')).toBe(true);
    expect(files.has('videos/r0-p0%3A0.rgb')).toBe(true);
    expect(files.has('videos/upload%2Fframe%200.png.rgb')).toBe(true);
    expect(JSON.parse(new TextDecoder().decode(files.get('project.json'))).videos).toBeUndefined();
    for (const id of ['r0-p0:1', '..', 'a/b\\c', 'ünï ✓', "it's (1)*~"]) expect(videoIdFromStem(videoFileStem(id))).toBe(id);
    expect(videoFileStem('..')).toBe('%2E.');
  });
  it('restores a backup that was re-zipped inside a folder', async () => {
    const files = await readZip(backupProject(project()), 'b.zip');
    const nested = createZip([...files].map(([name, data]) => ({ name: `study/${name}`, data })));
    expect(await restoreProject(nested, 'nested.zip')).toEqual(project());
  });
});

describe('restoreProject refuses a damaged backup, naming the file and the first problem', () => {
  it('not a zip, truncated, or a flipped byte', async () => {
    const bytes = backupProject(project());
    await expectRefused(new TextEncoder().encode('{"version": 1}'), /is not a zip archive/);
    await expectRefused(bytes.slice(0, bytes.length >> 1), /truncated/);
    const flipped = bytes.slice();
    flipped[200] ^= 1;
    await expectRefused(flipped, /fails its CRC-32 check/);
  });
  it('a zip that is not a backup, or from a newer version', async () => {
    await expectRefused(createZip([{ name: 'adapter_config.json', data: '{}' }]), /is not a vpo-studio backup \(no project\.json inside\)/);
    await expectRefused(await tampered((j) => (j.version = 2)), /written by a newer vpo-studio \(backup version 2/);
    await expectRefused(createZip([{ name: 'project.json', data: '{"version": 1,' }]), /project\.json is not valid JSON/);
  });
  it('a pair’s video missing or of the wrong length', async () => {
    await expectRefused(await tampered((_, files) => files.delete('videos/r0-p1%3A1.rgb')), /pair "r0-p1": video 1 \("r0-p1:1"\) is missing from videos\//);
    await expectRefused(await tampered((_, files) => files.set('videos/r0-p0%3A0.rgb', new Uint8Array(100))), /pair "r0-p0": video "r0-p0:0" has 100 bytes, but a 4×16×16 RGB video has 3072/);
    await expectRefused(await tampered((_, files) => files.delete('videos/upload%2Fframe%200.png.rgb')), /first-frame image "upload\/frame 0\.png" is missing/);
  });
  it('judgments that do not reference a pair, or are malformed', async () => {
    await expectRefused(await tampered((j) => ((j.judgments as { pairId: string }[])[1].pairId = 'r9-p9')), /judgment "j2" refers to pair "r9-p9", which is not in the backup/);
    await expectRefused(await tampered((j) => ((j.judgments as { decision: string }[])[0].decision = 'maybe')), /judgment "j1" has decision "maybe"/);
  });
  it('a round whose LoRA is corrupt, duplicate pairs, an unknown model without a video shape', async () => {
    await expectRefused(await tampered((j) => (((j.rounds as { lora: { modules: Record<string, { loraA: string }> } }[])[0].lora.modules['transformer_blocks.0.attn_spatial.to_q'].loraA = 'AAAA'))), /round 1's LoRA is corrupt/);
    await expectRefused(await tampered((j) => ((j.pairs as Pair[])[1].id = (j.pairs as Pair[])[0].id)), /two pairs share the id "r0-p0"/);
    await expectRefused(await tampered((j) => (j.modelName = 'huge')), /the videos' shape is unknown: Unknown model config "huge"/);
  });
  it('an unknown model restores when the backup states its video shape', async () => {
    const custom = { ...project(), modelName: 'my-model', videoShape: { frames: 4, height: 16, width: 16 } };
    expect(await restoreProject(backupProject(custom), 'custom.zip')).toEqual(custom);
  });
});
