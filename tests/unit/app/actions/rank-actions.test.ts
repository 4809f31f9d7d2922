// The Rank tab shows only what is stored: a judgment whose save failed is not counted
// and its pair comes back, with a retry; keys pressed while a save runs are applied after it,
// never dropped (1 then z gets the undo).
import { describe, expect, it } from 'vitest';
import { RANK_ACTIONS, rankActionForKey, rankActionQueue } from '../../../../src/app/actions/rank-actions';
import { rankPosition } from '../../../../src/app/lib/rank-queue';
import { backupProject, restoreProject } from '../../../../src/export/backup';
import { failingKv, startStudio } from '../../fixtures/app';

const generateSpec = { prompts: ['a red circle moves left', 'a blue square moves up'], pairsPerPrompt: 1, steps: 3, guidance: 2, firstFrame: { mode: 'none' as const } };

/** A studio with two pairs whose storage answers each write after `delayMs`. */
async function slowStudio(delayMs: number) {
  const kv = failingKv();
  const studio = await startStudio(kv);
  await studio.store.getState().generatePairs(generateSpec);
  const [setMany, delMany] = [kv.setMany, kv.delMany];
  kv.setMany = async (items) => {
    await new Promise((r) => setTimeout(r, delayMs));
    return setMany(items);
  };
  kv.delMany = async (keys) => {
    await new Promise((r) => setTimeout(r, delayMs));
    return delMany(keys);
  };
  return studio;
}

const action = (key: string) => rankActionForKey(key, 'pairwise')!;
const position = (studio: Awaited<ReturnType<typeof startStudio>>) => {
  const s = studio.store.getState();
  return rankPosition(s.pairs, s.judgments, s.annotator, s.rankMode);
};

describe('a failed save is not shown as judged', () => {
  it('the pair comes back, the count stays, and Retry stores it and counts it', async () => {
    const kv = failingKv();
    const studio = await startStudio(kv);
    await studio.store.getState().generatePairs(generateSpec);
    const press = rankActionQueue(studio.store, () => performance.now());
    const first = position(studio).pair!;
    kv.full = true;
    await press(action('1'));
    let s = studio.store.getState();
    expect(s.judgments).toEqual([]);
    expect(s.unsavedJudgments).toHaveLength(1);
    expect(position(studio)).toMatchObject({ pair: first, judged: 0 }); // before: judged 1, the next pair shown
    expect(s.alerts.at(-1)).toMatchObject({ kind: 'storage', offerBackup: true });

    expect(await s.retryUnsaved()).toBe(false); // still full: still unsaved
    expect(studio.store.getState().unsavedJudgments).toHaveLength(1);
    kv.full = false;
    expect(await studio.store.getState().retryUnsaved()).toBe(true);
    s = studio.store.getState();
    expect(s.unsavedJudgments).toEqual([]);
    expect(s.judgments.map((j) => j.pairId)).toEqual([first.id]);
    expect(kv.map.has(`judgment/${s.judgments[0].id}`)).toBe(true);
    expect(position(studio).judged).toBe(1);
  });

  it('a backup made while storage refuses them carries the unsaved judgments', async () => {
    const kv = failingKv();
    const studio = await startStudio(kv);
    await studio.store.getState().generatePairs(generateSpec);
    kv.full = true;
    await rankActionQueue(studio.store, () => 0)(action('2'));
    const backup = backupProject(studio.store.getState().snapshot());
    const restored = await restoreProject(backup, 'b.zip');
    expect(restored.judgments.map((j) => j.id)).toEqual(studio.store.getState().unsavedJudgments.map((j) => j.id));
  });
});

describe('keys pressed while a save runs', () => {
  it('1 then z at once: the judgment is stored and then undone (z was dropped before)', async () => {
    const studio = await slowStudio(20);
    const press = rankActionQueue(studio.store, () => performance.now());
    const first = position(studio).pair!;
    await Promise.all([press(action('1')), press(action('z'))]);
    const s = studio.store.getState();
    expect(s.judgments).toEqual([]);
    expect([...studio.kv.map.keys()].filter((k) => k.startsWith('judgment/'))).toEqual([]);
    expect(position(studio).pair).toEqual(first);
  });

  it('1 then 2 at once: two judgments, one per pair, in order', async () => {
    const studio = await slowStudio(10);
    const press = rankActionQueue(studio.store, () => performance.now());
    const pairs = studio.store.getState().pairs;
    await Promise.all([press(action('1')), press(action('2'))]);
    const judged = studio.store.getState().judgments.map((j) => [j.pairId, j.kind === 'pairwise' && j.decision]);
    expect(judged).toEqual([[pairs[0].id, 'left'], [pairs[1].id, 'right']]);
    // a third press has no pair left: it does nothing, and the queue still answers
    await press(action('t'));
    expect(studio.store.getState().judgments).toHaveLength(2);
    expect(RANK_ACTIONS.find((a) => a.name === 'tie')!.needsPair).toBe(true);
  });
});
