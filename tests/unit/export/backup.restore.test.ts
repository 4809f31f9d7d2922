// Restore checks everything before anything is replaced: ids and round indexes are
// unique, every round LoRA fits this model and holds only values a merge survives, and video
// names decode; each error names the backup and the entry.
import { describe, expect, it } from 'vitest';
import { backupProject, restoreProject } from '../../../src/export/backup';
import { createZip, readZip } from '../../../src/export/zip';
import { loraModuleShapes } from '../../../src/model/param-specs';
import { presetConfig } from '../../../src/model/presets';
import { encodeModule } from '../../../src/prefs/lora-data';
import type { RoundRecord } from '../../../src/prefs/types';
import { backupFixture, expectRefused, rejection, tamperedBackup } from '../fixtures/export';

const MODULE = 'transformer_blocks.0.attn_spatial.to_q';
const tinyShapes = loraModuleShapes(presetConfig('tiny'));
const smallShapes = loraModuleShapes(presetConfig('small'));

type Json = Record<string, unknown>;
const rounds = (j: Json) => j.rounds as (RoundRecord & { lora: NonNullable<RoundRecord['lora']> })[];
const setModule = (j: Json, values: { a?: (a: Float32Array) => void; b?: (b: Float32Array) => void }) => {
  const lora = rounds(j)[0].lora;
  const m = lora.modules[MODULE];
  const a = new Float32Array(lora.rank * m.inFeatures).fill(0.01);
  const b = new Float32Array(m.outFeatures * lora.rank).fill(0.01);
  values.a?.(a);
  values.b?.(b);
  lora.modules[MODULE] = encodeModule({ inFeatures: m.inFeatures, outFeatures: m.outFeatures, loraA: a, loraB: b });
};

describe('restore refuses records a reload would merge', () => {
  it('two judgments with one id (a reload kept 1 of 2), naming both entries', async () => {
    await expectRefused(await tamperedBackup((j) => ((j.judgments as { id: string }[])[2].id = 'j1')), /two judgments share the id "j1" \(judgments 1 and 3\); each must be unique/);
  });

  it('two round records with one index', async () => {
    await expectRefused(await tamperedBackup((j) => (rounds(j)[1].index = 1)), /two round records share the index "1" \(round records 1 and 2\)/);
  });

  it('a valid backup still restores, checked against the model’s modules', async () => {
    expect(await restoreProject(backupProject(backupFixture()), 'ok.zip', { moduleShapes: tinyShapes })).toEqual(backupFixture());
  });
});

describe('restore checks every round LoRA against this model', () => {
  it('a LoRA of another model: a module of another shape, or one this model lacks', async () => {
    const e = await rejection(restoreProject(backupProject(backupFixture()), 'other.zip', { moduleShapes: smallShapes }));
    expect(e.message).toMatch(new RegExp(`^other\\.zip: round 1's LoRA has module "${MODULE.replace(/\./g, '\\.')}" of shape \\[32, 32\\], but this model's is \\[\\d+, \\d+\\]: it was trained on another model`));
    const renamed = await tamperedBackup((j) => {
      const lora = rounds(j)[0].lora;
      lora.modules['transformer_blocks.7.attn_spatial.to_q'] = lora.modules[MODULE];
      delete lora.modules[MODULE];
    });
    const missing = await rejection(restoreProject(renamed, 'r.zip', { moduleShapes: tinyShapes }));
    expect(missing.message).toMatch(/round 1's LoRA adapts module "transformer_blocks\.7\.attn_spatial\.to_q", which this model does not have/);
  });

  it('NaN, Infinity or values whose product overflows: named tensor and first bad index', async () => {
    await expectRefused(await tamperedBackup((j) => setModule(j, { a: (a) => (a[5] = NaN) })), new RegExp(`round 1's LoRA cannot be merged: tensor "${MODULE.replace(/\./g, '\\.')}\\.lora_A" holds NaN at index 5 \\(row 0, column 5 of \\[2, 32\\]\\)`));
    await expectRefused(await tamperedBackup((j) => setModule(j, { b: (b) => (b[40] = -Infinity) })), /lora_B" holds -Infinity at index 40 \(row 20, column 0 of \[32, 2\]\)/);
    await expectRefused(await tamperedBackup((j) => setModule(j, { a: (a) => a.fill(1e30), b: (b) => b.fill(1e30) })), /round 1's LoRA cannot be merged: tensors ".*lora_A" and ".*lora_B" would change a weight by up to 4\.00e\+60 \(scale 2 × B·A; the largest values are 1\.00e\+30 at index 0 of lora_A.*more than the 1e\+12 a float32 model survives/);
  });
});

describe('restore decodes video names safely', () => {
  async function withVideoEntry(name: string, from: string) {
    const files = await readZip(backupProject(backupFixture()), 'b.zip');
    files.set(name, files.get(from)!);
    return createZip([...files].map(([n, data]) => ({ name: n, data })));
  }

  it('a stray % is an error naming the entry (was a bare URIError)', async () => {
    await expectRefused(await withVideoEntry('videos/100%.rgb', 'videos/r0-p0%3A0.rgb'), /entry "videos\/100%\.rgb" is not a video name vpo-studio writes/);
  });

  it('two entries naming one video id are refused', async () => {
    await expectRefused(await withVideoEntry('videos/r0-p0:0.rgb', 'videos/r0-p0%3A0.rgb'), /names video "r0-p0:0" a second time/);
  });

  it('a video named like an Object property (__proto__, constructor) is an ordinary id', async () => {
    const project = backupFixture();
    const pair = project.pairs[0];
    const videos: Record<string, Uint8Array> = { ...project.videos, constructor: project.videos[pair.videoIds[1]] };
    delete videos[pair.videoIds[0]];
    delete videos[pair.videoIds[1]];
    const renamed = { ...project, pairs: [{ ...pair, videoIds: ['__proto__', 'constructor'] as [string, string] }, ...project.pairs.slice(1)], videos };
    Object.defineProperty(renamed.videos, '__proto__', { value: project.videos[pair.videoIds[0]], enumerable: true });
    const back = await restoreProject(backupProject(renamed), 'proto.zip');
    expect(Object.hasOwn(back.videos, '__proto__')).toBe(true);
    expect(Object.hasOwn(back.videos, 'constructor')).toBe(true);
    // …and a pair naming "constructor" with no such video is missing, not an inherited function
    const noVideo = { ...project, pairs: [{ ...pair, videoIds: [pair.videoIds[0], 'constructor'] as [string, string] }, ...project.pairs.slice(1)] };
    await expectRefused(backupProject(noVideo), /pair "r0-p0": video 1 \("constructor"\) is missing/);
  });
});
