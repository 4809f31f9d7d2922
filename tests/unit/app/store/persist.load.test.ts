// load() checks each stored record: one it cannot read is left out of the project and
// reported with its key and problem — never dropped silently, never passed on to crash the page
// or poison the policy — and the studio says so in one alert.
import { describe, expect, it } from 'vitest';
import { memoryKeyValueStore, ProjectStorage } from '../../../../src/app/store/persist';
import { encodeModule } from '../../../../src/prefs/lora-data';
import { pairwiseJudgment, planPairs } from '../../../../src/prefs/pairs';
import { roundHyper, startRoundRecord } from '../../../../src/prefs/rounds';
import { startStudio, tinySnapshot } from '../../fixtures/app';

const pairs = planPairs({ prompts: ['a red circle moves left'], pairsPerPrompt: 2, round: 0, seed: 3, sampler: { steps: 4, guidance: 2 }, idPrefix: 'g1', now: '2025-01-01T00:00:00.000Z' });
const judge = (id: string, k: number) => pairwiseJudgment({ id, pair: pairs[k], decision: 'left', leftWas: 0, annotator: 'ann', annotatorKind: 'human', round: 1, now: '2025-01-01T00:00:01.000Z' });

/** 2 good pairs with videos, a good judgment and a good round, then one bad record of each kind. */
async function damagedStore() {
  const kv = memoryKeyValueStore();
  const storage = new ProjectStorage(kv);
  await storage.putPairs(pairs, { [pairs[0].videoIds[0]]: new Uint8Array([1, 2, 3]) });
  await storage.putJudgments([judge('j1', 0)]);
  await storage.putRound({ ...startRoundRecord(1, roundHyper(), ['j1'], 1), status: 'completed', lora: tinySnapshot() });
  const nanLora = tinySnapshot();
  const [name, m] = Object.entries(nanLora.modules)[0];
  const a = new Float32Array(nanLora.rank * m.inFeatures);
  a[4] = NaN;
  nanLora.modules[name] = encodeModule({ inFeatures: m.inFeatures, outFeatures: m.outFeatures, loraA: a, loraB: new Float32Array(m.outFeatures * nanLora.rank) });
  const bad: [string, unknown][] = [
    ['pair/broken', { id: 'broken', prompt: 'x' }],
    ['pair/elsewhere', { ...pairs[1], id: 'moved' }],
    ['judgment/j2', { ...judge('j2', 1), decision: 'maybe' }],
    ['judgment/j3', { ...judge('j3', 1), pairId: 'gone' }],
    ['round/2', { ...startRoundRecord(2, roundHyper(), [], 0), status: 'completed', lora: nanLora }],
    ['video/v9', 'not bytes'],
    ['compare/0', { setup: null }],
    ['mystery', 42],
  ];
  await kv.setMany(bad);
  return { kv, storage };
}

describe('ProjectStorage.load checks every record', () => {
  it('keeps the readable ones and lists each unreadable one with its key and problem', async () => {
    const { storage } = await damagedStore();
    const project = await storage.load();
    expect(project.pairs.map((p) => p.id)).toEqual(pairs.map((p) => p.id));
    expect(project.judgments.map((j) => j.id)).toEqual(['j1']);
    expect(project.rounds.map((r) => r.index)).toEqual([1]);
    expect(Object.keys(project.videos)).toEqual([pairs[0].videoIds[0]]);
    expect(project.compare).toBeUndefined();
    expect(project.unreadable).toEqual([
      { key: 'pair/broken', problem: 'pair "broken" needs two numeric seeds' },
      { key: 'pair/elsewhere', problem: 'it holds pair "moved"' },
      { key: 'judgment/j2', problem: 'judgment "j2" has decision "maybe" (expected one of left, right, tie, both-bad, skip)' },
      { key: 'judgment/j3', problem: 'judgment "j3" refers to pair "gone", which is not stored' },
      { key: 'round/2', problem: expect.stringMatching(/^round 2's LoRA cannot be merged: tensor ".*\.lora_A" holds NaN at index 4/) },
      { key: 'video/v9', problem: 'it holds a string, not RGB bytes' },
      { key: 'compare/0', problem: 'it is not a Compare result with its setup' },
      { key: 'mystery', problem: 'no part of a project is stored under this key' },
    ]);
  });

  it('an intact store has nothing unreadable', async () => {
    const storage = new ProjectStorage(memoryKeyValueStore());
    await storage.putPairs(pairs, {});
    expect((await storage.load()).unreadable).toEqual([]);
  });

  it('the studio loads what it can and says which records it left out, offering a backup', async () => {
    const { kv } = await damagedStore();
    const studio = await startStudio(Object.assign(kv, { full: false }) as never);
    const s = studio.store.getState();
    expect(s.pairs).toHaveLength(2);
    expect(s.policyRound).toBe(1); // the good round is merged, the NaN one is not sent
    const alert = s.alerts.find((a) => a.kind === 'storage')!;
    expect(alert.offerBackup).toBe(true);
    expect(alert.message).toMatch(/^8 stored records were unreadable and left out of the project \(they stay in the browser's storage\): "pair\/broken": pair "broken" needs two numeric seeds; .*…and 3 more\. Everything else loaded\./);
    expect(kv.map.has('round/2')).toBe(true); // kept in storage, not deleted
  });
});
