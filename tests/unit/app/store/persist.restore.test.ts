// Restore replaces the stored project atomically: on IndexedDB (fake-indexeddb, the
// same idb-keyval custom store the page uses) a write that fails mid-way leaves every old record,
// and the studio keeps showing the old project with a message that says exactly that.
import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { idbKeyValueStore, ProjectStorage, StorageError, StorageFullError } from '../../../../src/app/store/persist';
import { backupProject } from '../../../../src/export/backup';
import { pairwiseJudgment, planPairs } from '../../../../src/prefs/pairs';
import { failingKv, startStudio, tinyShape, videoBytes } from '../../fixtures/app';

const pairs = planPairs({ prompts: ['a red circle moves left'], pairsPerPrompt: 3, round: 0, seed: 3, sampler: { steps: 4, guidance: 2 }, idPrefix: 'g1', now: '2025-01-01T00:00:00.000Z' });
const judgment = pairwiseJudgment({ id: 'j1', pair: pairs[0], decision: 'left', leftWas: 0, annotator: 'ann', annotatorKind: 'human', round: 1, now: '2025-01-01T00:00:01.000Z' });
const videos = Object.fromEntries(pairs.flatMap((p) => p.videoIds.map((id): [string, Uint8Array] => [id, new Uint8Array(videoBytes).fill(7)])));

let databases = 0;

/** A fresh IndexedDB project holding 3 pairs, their 6 videos, 1 judgment and the settings: 11 keys. */
async function storedProject() {
  const kv = idbKeyValueStore(`atomic-${++databases}`);
  const storage = new ProjectStorage(kv);
  await storage.putPairs(pairs, videos);
  await storage.putJudgments([judgment]);
  await storage.putUi({ tab: 'Rank' });
  const keys = async () => (await kv.entries()).map(([k]) => k).sort();
  return { kv, storage, keys, before: await keys() };
}

describe('ProjectStorage.replaceAll on IndexedDB', () => {
  it('replaces every record in one transaction', async () => {
    const { storage, keys, before } = await storedProject();
    expect(before).toHaveLength(11);
    await storage.replaceAll({ pairs: pairs.slice(0, 1), judgments: [], rounds: [], videos: { [pairs[0].videoIds[0]]: new Uint8Array([1]) } }, 'b.zip');
    expect(await keys()).toEqual([`pair/${pairs[0].id}`, `video/${pairs[0].videoIds[0]}`]);
  });

  it('a write that fails mid-way (the last record cannot be stored) leaves the old project whole', async () => {
    const { storage, keys, before } = await storedProject();
    const poisoned = { ...pairs[2], prompt: (() => 'a function cannot be cloned') as unknown as string };
    const error = await storage.replaceAll({ pairs: [pairs[0], pairs[1], poisoned], judgments: [], rounds: [], videos: {} }, 'half.zip').catch((e) => e);
    expect(error).toBeInstanceOf(StorageError);
    expect(error.message).toMatch(/^Could not save the project restored from half\.zip in the browser's storage \(IndexedDB\): .*Nothing was replaced: the project you had is still open here and still stored, and a reload shows it/);
    expect(await keys()).toEqual(before); // the old code cleared first: 11 keys → 0
    const reloaded = await storage.load();
    expect(reloaded.judgments.map((j) => j.id)).toEqual(['j1']);
    expect(reloaded.pairs.map((p) => p.id)).toEqual(pairs.map((p) => p.id));
  });

  it('a transaction aborted before it commits (the tab closed) stores nothing of the new project', async () => {
    const { kv, keys, before } = await storedProject();
    // The same transaction replaceAll opens, aborted after the clear and the first puts.
    const aborted = await new Promise<string>((resolve) => {
      const open = indexedDB.open(`vpo-studio-atomic-${databases}`);
      open.onsuccess = () => {
        const tx = open.result.transaction('project', 'readwrite');
        const objects = tx.objectStore('project');
        objects.clear();
        objects.put({ id: 'new' }, 'pair/new');
        tx.onabort = () => resolve('aborted');
        tx.abort();
      };
    });
    expect(aborted).toBe('aborted');
    expect(await keys()).toEqual(before);
    expect((await kv.entries()).length).toBe(11);
  });
});

describe('Restore project in the studio', () => {
  it('storage full: the restore is refused, the old project stays shown and stored, and the alert says so', async () => {
    const kv = failingKv();
    const studio = await startStudio(kv);
    await studio.store.getState().generatePairs({ prompts: ['a red circle moves left'], pairsPerPrompt: 2, steps: 3, guidance: 2, firstFrame: { mode: 'none' } });
    const shown = studio.store.getState().pairs;
    const storedKeys = [...kv.map.keys()].sort();
    const backup = backupProject({ version: 1, modelName: 'tiny', pairs: pairs.slice(0, 1), judgments: [], rounds: [], videos: Object.fromEntries(pairs[0].videoIds.map((id) => [id, videos[id]])), createdAt: '2025-01-01T00:00:00.000Z', videoShape: tinyShape });

    kv.full = true;
    expect(await studio.store.getState().restoreProject({ name: 'big.zip', bytes: backup })).toBe(false);
    kv.full = false;
    const s = studio.store.getState();
    expect(s.pairs).toBe(shown); // the page shows what is stored: the old project
    expect([...kv.map.keys()].sort()).toEqual(storedKeys);
    const alert = s.alerts.at(-1)!;
    expect(alert.kind).toBe('storage');
    expect(alert.message).toMatch(/^Browser storage is full: the project restored from big\.zip could not be saved\. Nothing was replaced: the project you had is still open here and still stored/);
    expect(alert.message).not.toMatch(/nothing stored before is lost/);
    expect(new StorageFullError('x').message).toMatch(/nothing stored before is lost/); // other writes keep their advice
  });
});
