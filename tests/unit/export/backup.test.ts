import { describe, expect, it } from 'vitest';
import { backupProject, restoreProject } from '../../../src/export/backup';
import { videoFileStem, videoIdFromStem } from '../../../src/export/video';
import { createZip, readZip } from '../../../src/export/zip';
import type { Pair } from '../../../src/prefs/types';
import { backupFixture as project, expectRefused, tamperedBackup as tampered } from '../fixtures/export';

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
