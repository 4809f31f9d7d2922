// The studio's IndexedDB layout, on a Map (the same interface idb-keyval's custom store fills).
import { describe, expect, it } from 'vitest';
import { INTERRUPTED_NOTE, memoryKeyValueStore, ProjectStorage, StorageFullError } from '../../../../src/app/store/persist';
import { pairwiseJudgment, planPairs } from '../../../../src/prefs/pairs';
import { roundHyper, startRoundRecord } from '../../../../src/prefs/rounds';
import { failingKv } from '../../fixtures/app';

const pairs = planPairs({ prompts: ['a red circle moves left'], pairsPerPrompt: 12, round: 0, seed: 3, sampler: { steps: 4, guidance: 2 }, idPrefix: 'g1', now: '2025-01-01T00:00:00.000Z' });
const judge = (k: number, second: number) =>
  pairwiseJudgment({ id: `j${k}`, pair: pairs[k], decision: 'left', leftWas: 0, annotator: 'ann', annotatorKind: 'human', round: 1, now: `2025-01-01T00:00:${String(second).padStart(2, '0')}.000Z` });

describe('ProjectStorage', () => {
  it('gives back pairs in creation order (p10 after p9), judgments by time, rounds by index, videos as bytes, settings', async () => {
    const storage = new ProjectStorage(memoryKeyValueStore());
    const videos = Object.fromEntries(pairs.flatMap((p) => p.videoIds.map((id, i) => [id, new Uint8Array([i, 1, 2])])));
    await storage.putPairs([...pairs].reverse(), videos);
    await storage.putJudgments([judge(2, 30)]);
    await storage.putJudgments([judge(1, 10)]);
    await storage.putRound({ ...startRoundRecord(2, roundHyper(), [], 0), status: 'cancelled' });
    await storage.putRound({ ...startRoundRecord(1, roundHyper(), ['j1'], 1), status: 'completed' });
    await storage.putUi({ tab: 'Rank' });

    const loaded = await storage.load();
    expect(loaded.pairs.map((p) => p.id)).toEqual(pairs.map((p) => p.id));
    expect(loaded.pairs[10].id).toBe('g1-p10');
    expect(loaded.judgments.map((j) => j.id)).toEqual(['j1', 'j2']);
    expect(loaded.rounds.map((r) => [r.index, r.status])).toEqual([[1, 'completed'], [2, 'cancelled']]);
    expect(loaded.videos[pairs[3].videoIds[1]]).toEqual(new Uint8Array([1, 1, 2]));
    expect(loaded.ui).toEqual({ tab: 'Rank' });
  });

  it('keeps Compare results with their sampler settings and the blind test; deleteCompare forgets them', async () => {
    const storage = new ProjectStorage(memoryKeyValueStore());
    const setup = { count: 1, steps: 4, guidance: 2 };
    const result = (round: number) => ({ round, videos: [new Uint8Array([round, 7])], metrics: [], aggregate: { count: 1 } as never });
    await storage.putCompareResult(setup, result(2));
    await storage.putCompareResult(setup, result(0));
    await storage.putBlind({ round: 2, order: [{ item: 0, roundOnLeft: true }], scores: [] });
    let loaded = (await storage.load()).compare!;
    expect(loaded.setup).toEqual(setup);
    expect(loaded.results.map((r) => r.round)).toEqual([0, 2]);
    expect(loaded.results[1].videos[0]).toEqual(new Uint8Array([2, 7]));
    expect(loaded.blind?.round).toBe(2);
    // A result made with other settings (an interrupted change) is not mixed in.
    await storage.putCompareResult({ ...setup, steps: 8 }, result(1));
    expect((await storage.load()).compare!.results.map((r) => r.round)).toEqual([0, 2]);
    await storage.deleteCompare([0, 1, 2]);
    expect((await storage.load()).compare).toBeUndefined();
    await storage.putCompareResult(setup, result(0));
    loaded = (await storage.load()).compare!;
    expect(loaded.blind).toBeNull();
  });

  it('deletes a judgment and only that one', async () => {
    const storage = new ProjectStorage(memoryKeyValueStore());
    await storage.putPairs(pairs, {});
    await storage.putJudgments([judge(1, 1), judge(2, 2)]);
    await storage.deleteJudgments(['j1']);
    expect((await storage.load()).judgments.map((j) => j.id)).toEqual(['j2']);
  });

  it('a round stored while running comes back failed, saying it was interrupted', async () => {
    const storage = new ProjectStorage(memoryKeyValueStore());
    await storage.putRound(startRoundRecord(1, roundHyper(), [], 0));
    const [round] = (await storage.load()).rounds;
    expect(round.status).toBe('failed');
    expect(round.note).toBe(INTERRUPTED_NOTE);
  });

  it('a full browser storage is a StorageFullError that says to back up, and what was stored stays', async () => {
    const kv = failingKv();
    const storage = new ProjectStorage(kv);
    await storage.putPairs(pairs, {});
    await storage.putJudgments([judge(1, 1)]);
    kv.full = true;
    const error = await storage.putJudgments([judge(2, 2)]).catch((e) => e);
    expect(error).toBeInstanceOf(StorageFullError);
    expect(error.message).toContain(`the judgment of pair ${pairs[2].id}`);
    expect(error.message).toContain('Backup project');
    kv.full = false;
    expect((await storage.load()).judgments.map((j) => j.id)).toEqual(['j1']);
  });

  it('replaceAll makes the stored project exactly the restored one', async () => {
    const storage = new ProjectStorage(memoryKeyValueStore());
    await storage.putJudgments([judge(1, 1)]);
    await storage.putUi({ tab: 'Export' });
    await storage.replaceAll({ pairs: pairs.slice(0, 1), judgments: [], rounds: [], videos: { a: new Uint8Array([9]) } });
    const loaded = await storage.load();
    expect(loaded.judgments).toEqual([]);
    expect(loaded.pairs.map((p) => p.id)).toEqual([pairs[0].id]);
    expect(loaded.videos).toEqual({ a: new Uint8Array([9]) });
    expect(loaded.ui).toBeNull();
  });
});
