// The studio store's actions against a fake engine and a Map-backed IndexedDB: what is stored
// when, what survives a reload, and how errors reach the person without losing anything.
import { describe, expect, it } from 'vitest';
import { loraExportZip } from '../../../../src/export/lora-zip';
import { rankPosition } from '../../../../src/app/lib/rank-queue';
import { defaultTrainForm } from '../../../../src/app/lib/train-form';
import { blindWinRate } from '../../../../src/app/store/compare-slice';
import { mergeStoredUi } from '../../../../src/app/store/ui-slice';
import { completedRounds, DEFAULT_ROUND_HYPER } from '../../../../src/prefs/rounds';
import { failingKv, FakeEngine, settle, startStudio, tinyModel, tinyShape, tinySnapshot, videoBytes } from '../../fixtures/app';

const PROMPTS = ['a red circle moves left', 'a blue square moves up'];
const generateSpec = { prompts: PROMPTS, pairsPerPrompt: 1, steps: 3, guidance: 2, firstFrame: { mode: 'none' as const } };

async function studioWithPairs() {
  const studio = await startStudio();
  await studio.store.getState().generatePairs(generateSpec);
  return studio;
}

function judgeCurrent(studio: Awaited<ReturnType<typeof startStudio>>, decision: 'left' | 'right' | 'tie' | 'skip') {
  const s = studio.store.getState();
  const position = rankPosition(s.pairs, s.judgments, s.annotator, 'pairwise');
  return s.judgePair(position.pair!, decision, position.leftWas, 1234);
}

describe('Generate', () => {
  it('samples both videos of every pair from the current policy, stores pair and videos, and counts progress to the total', async () => {
    const studio = await startStudio();
    const progress: number[] = [];
    studio.store.subscribe((s) => s.generation && progress.push(s.generation.done));
    const made = await studio.store.getState().generatePairs(generateSpec);
    expect(made).toBe(2);
    const { pairs, videos, generation } = studio.store.getState();
    expect(generation).toBeNull();
    expect(pairs.map((p) => p.prompt)).toEqual(PROMPTS);
    const requests = studio.engine.sentOf('generate');
    expect(requests.map((r) => r.seed)).toEqual(pairs.flatMap((p) => p.seeds));
    expect(requests.every((r) => r.steps === 3 && r.round === undefined && r.firstFrame === null)).toBe(true);
    for (const p of pairs) {
      expect(p.round).toBe(0);
      for (const [i, id] of p.videoIds.entries()) {
        expect(videos[id]).toEqual(new Uint8Array(videoBytes).fill(p.seeds[i] % 256));
        expect(studio.kv.map.get(`video/${id}`)).toBe(videos[id]);
      }
      expect(studio.kv.map.get(`pair/${p.id}`)).toEqual(p);
    }
    expect(Math.max(...progress)).toBe(2 * 2 * 3);
  });

  it('asked for while a round trains, the progress says it waits; the first step ends the wait and restarts the clock', async () => {
    const studio = await startStudio();
    studio.store.setState({ liveRound: { requestId: 1, index: 1, total: 10, metrics: [], startedAt: 0, cancelling: false } });
    const seen: { done: number; waiting: string | null | undefined; startedAt: number }[] = [];
    studio.store.subscribe((s) => s.generation && seen.push({ done: s.generation.done, waiting: s.generation.waiting, startedAt: s.generation.startedAt }));
    const asked = performance.now();
    const running = studio.store.getState().generatePairs(generateSpec);
    expect(studio.store.getState().generation?.waiting).toContain('round');
    await running;
    const firstStep = seen.find((p) => p.done > 0)!;
    expect(firstStep.waiting).toBeNull();
    expect(firstStep.startedAt).toBeGreaterThan(seen[0].startedAt);
    expect(firstStep.startedAt).toBeGreaterThanOrEqual(asked);
    // Without a round, no wait is shown.
    studio.store.setState({ liveRound: null });
    const again = studio.store.getState().generatePairs(generateSpec);
    expect(studio.store.getState().generation?.waiting).toBeNull();
    await again;
  });

  it('first-frame mode sends frame 0 of the world render as [H, W, 3] bytes, the same for both videos of a pair', async () => {
    const studio = await startStudio();
    await studio.store.getState().generatePairs({ ...generateSpec, prompts: PROMPTS.slice(0, 1), firstFrame: { mode: 'rendered', seed: 7 } });
    const [a, b] = studio.engine.sentOf('generate');
    expect(a.firstFrame).toHaveLength(tinyShape.height * tinyShape.width * 3);
    expect(a.firstFrame).toEqual(b.firstFrame);
    expect(studio.store.getState().pairs[0].firstFrame).toEqual({ kind: 'rendered', seed: 7 });
  });

  it('an uploaded first frame is stored with the pairs under its own id', async () => {
    const studio = await startStudio();
    const image = new Uint8Array(tinyShape.height * tinyShape.width * 3).fill(200);
    await studio.store.getState().generatePairs({ ...generateSpec, prompts: PROMPTS.slice(0, 1), firstFrame: { mode: 'image', image } });
    const [pair] = studio.store.getState().pairs;
    expect(pair.firstFrame?.kind).toBe('image');
    const id = (pair.firstFrame as { id: string }).id;
    expect(studio.kv.map.get(`video/${id}`)).toEqual(image);
    expect(studio.engine.sentOf('generate')[0].firstFrame).toEqual(image);
  });

  it('a lost GPU device stops generation with a backend alert that offers a backup; pairs made before stay', async () => {
    const engine = new FakeEngine();
    let calls = 0;
    const generate = engine.handlers.generate!;
    engine.handlers.generate = (r, post) => {
      if (++calls <= 2) return generate(r, post);
      post({ type: 'error', id: (r as { id: number }).id, kind: 'backend', message: 'The GPU device was lost (reason: unknown).' });
    };
    const studio = await startStudio(undefined, engine);
    expect(await studio.store.getState().generatePairs(generateSpec)).toBe(1);
    const { pairs, alerts } = studio.store.getState();
    expect(pairs).toHaveLength(1);
    expect(studio.kv.map.has(`pair/${pairs[0].id}`)).toBe(true);
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatchObject({ kind: 'backend', offerBackup: true });
    expect(alerts[0].message).toContain('GPU device was lost');
    expect(alerts[0].message).toContain('Backup project');
  });

  it('cancel stops after the running video without an alert', async () => {
    const studio = await startStudio();
    // Cancel as soon as the first sampler step of the first video is reported.
    studio.store.subscribe((s) => {
      if (s.generation && s.generation.done >= 1) s.cancelGeneration();
    });
    expect(await studio.store.getState().generatePairs(generateSpec)).toBe(0);
    expect(studio.engine.sentOf('cancel')).toHaveLength(1);
    expect(studio.engine.sentOf('generate')).toHaveLength(1);
    expect(studio.store.getState().pairs).toEqual([]);
    expect(studio.store.getState().alerts).toEqual([]);
    expect(studio.store.getState().generation).toBeNull();
  });
});

describe('Rank', () => {
  it('a judgment is in storage before the store moves on to the next pair', async () => {
    const studio = await studioWithPairs();
    const storedWhenShown: boolean[] = [];
    studio.store.subscribe((s, prev) => {
      if (s.judgments.length > prev.judgments.length) storedWhenShown.push(studio.kv.map.has(`judgment/${s.judgments.at(-1)!.id}`));
    });
    await judgeCurrent(studio, 'left');
    await judgeCurrent(studio, 'tie');
    expect(storedWhenShown).toEqual([true, true]);
    const [first] = studio.store.getState().judgments;
    expect(first).toMatchObject({ kind: 'pairwise', decision: 'left', annotator: 'annotator-1', annotatorKind: 'human', round: 1, responseMs: 1234 });
  });

  it('storage full: the judgment is kept as unsaved (not counted), the alert offers a backup, and stored judgments are intact', async () => {
    const studio = await studioWithPairs();
    await judgeCurrent(studio, 'left');
    studio.kv.full = true;
    await judgeCurrent(studio, 'right');
    const s = studio.store.getState();
    expect(s.judgments.map((j) => j.kind === 'pairwise' && j.decision)).toEqual(['left']);
    expect(s.unsavedJudgments.map((j) => j.kind === 'pairwise' && j.decision)).toEqual(['right']);
    expect(s.alerts[0]).toMatchObject({ kind: 'storage', offerBackup: true });
    expect(s.alerts[0].message).toMatch(/storage is full/);
    expect([...studio.kv.map.keys()].filter((k) => k.startsWith('judgment/'))).toEqual([`judgment/${s.judgments[0].id}`]);
    // The offered backup holds everything on the page, the unsaved judgment included.
    s.backupProject();
    expect(studio.saved).toHaveLength(1);
    expect(studio.saved[0].fileName).toMatch(/^vpo-studio-tiny-backup-.*\.zip$/);
  });

  it('undo takes back the latest judgment from page and storage; the pair is shown again', async () => {
    const studio = await studioWithPairs();
    await judgeCurrent(studio, 'left');
    await judgeCurrent(studio, 'tie');
    const undone = await studio.store.getState().undoLast();
    expect(undone?.kind === 'pairwise' && undone.decision).toBe('tie');
    const s = studio.store.getState();
    expect(s.judgments).toHaveLength(1);
    expect(studio.kv.map.has(`judgment/${undone!.id}`)).toBe(false);
    expect(rankPosition(s.pairs, s.judgments, s.annotator, 'pairwise').index).toBe(1);
  });

  it('a judgment a completed round trained on cannot be undone', async () => {
    const studio = await studioWithPairs();
    await judgeCurrent(studio, 'left');
    await studio.store.getState().runRound({ ...defaultTrainForm(), steps: 2 }, []);
    expect(await studio.store.getState().undoLast()).toBeNull();
    expect(studio.store.getState().judgments).toHaveLength(1);
    expect(studio.store.getState().alerts.at(-1)?.message).toMatch(/trained Round 1 already/);
  });
});

describe('Train', () => {
  it('refuses a round with nothing to train on, without asking the engine', async () => {
    const studio = await studioWithPairs();
    await judgeCurrent(studio, 'tie');
    expect(await studio.store.getState().runRound(defaultTrainForm(), [])).toBeNull();
    expect(studio.engine.sentOf('runRound')).toHaveLength(0);
    expect(studio.store.getState().alerts[0].message).toMatch(/Nothing to train on/);
  });

  it('a bad setting is an alert naming the field', async () => {
    const studio = await studioWithPairs();
    await judgeCurrent(studio, 'left');
    await studio.store.getState().runRound({ ...defaultTrainForm(), lr: 2 }, []);
    expect(studio.store.getState().alerts[0].message).toMatch(/lr = 2 is invalid/);
    expect(studio.engine.sentOf('runRound')).toHaveLength(0);
  });

  it('a DPO round streams per-step metrics, stores its record and moves the policy on; only the judged pairs\' videos travel', async () => {
    const studio = await studioWithPairs();
    await judgeCurrent(studio, 'left');
    const steps: number[] = [];
    studio.store.subscribe((s) => s.liveRound && steps.push(s.liveRound.metrics.length));
    const record = await studio.store.getState().runRound({ ...defaultTrainForm(), steps: 5, tMean: 1 }, []);
    expect(record?.status).toBe('completed');
    expect(Math.max(...steps)).toBe(5);
    const s = studio.store.getState();
    expect(s.policyRound).toBe(1);
    expect(s.liveRound).toBeNull();
    expect(studio.kv.map.get('round/1')).toEqual(record);
    const [request] = studio.engine.sentOf('runRound');
    expect(request.hyper).toMatchObject({ method: 'dpo', steps: 5, beta: DEFAULT_ROUND_HYPER.beta, tMean: 1, seed: 1 });
    expect(Object.keys(request.videos)).toEqual([...s.pairs[0].videoIds]);
  });

  it('Cancel stops the round: its record says cancelled, the policy stays at the base', async () => {
    const studio = await studioWithPairs();
    await judgeCurrent(studio, 'left');
    studio.store.subscribe((s) => {
      if (s.liveRound && s.liveRound.metrics.length === 2) s.cancelRound();
    });
    const record = await studio.store.getState().runRound({ ...defaultTrainForm(), steps: 50 }, []);
    expect(record?.status).toBe('cancelled');
    expect(studio.engine.sentOf('cancel')).toEqual([{ type: 'cancel', id: studio.engine.sentOf('runRound')[0].id }]);
    const s = studio.store.getState();
    expect(s.policyRound).toBe(0);
    expect(completedRounds(s.rounds)).toEqual([]);
    expect(s.alerts).toEqual([]);
  });

  it('a reload restores pairs, judgments, rounds and settings, and sends setPolicy with the completed rounds\' LoRAs', async () => {
    const kv = failingKv();
    const first = await startStudio(kv);
    await first.store.getState().generatePairs(generateSpec);
    await judgeCurrent(first, 'left');
    await first.store.getState().runRound({ ...defaultTrainForm(), steps: 2 }, []);
    first.store.getState().setTab('Train');
    first.store.getState().updateGenerateForm({ steps: 7 });
    await settle();

    const second = await startStudio(kv);
    const s = second.store.getState();
    expect(s.pairs).toEqual(first.store.getState().pairs);
    expect(s.judgments).toEqual(first.store.getState().judgments);
    expect(s.rounds).toEqual(first.store.getState().rounds);
    expect(s.videos).toEqual(first.store.getState().videos);
    expect(s.tab).toBe('Train');
    expect(s.generateForm.steps).toBe(7);
    const [setPolicy] = second.engine.sentOf('setPolicy');
    expect(setPolicy.loras).toEqual(completedRounds(s.rounds).map((r) => r.lora));
    expect(s.policyRound).toBe(1);
  });
});

describe('Import LoRA', () => {
  it('a corrupt file is refused naming the file; rounds and policy are unchanged', async () => {
    const studio = await startStudio();
    const ok = await studio.store.getState().importLora([{ name: 'adapter_model.safetensors', bytes: new TextEncoder().encode('garbage') }]);
    expect(ok).toBe(false);
    const s = studio.store.getState();
    expect(s.rounds).toEqual([]);
    expect(s.alerts[0].message).toContain('adapter_model.safetensors');
    expect(studio.engine.sentOf('setPolicy')).toHaveLength(0);
  });

  it('a valid LoRA zip becomes a round marked imported and the policy is re-set with it', async () => {
    const studio = await startStudio();
    const zip = loraExportZip([tinySnapshot(2, 0.5)], tinyModel, { baseModelName: 'vpo-studio/tiny' });
    expect(await studio.store.getState().importLora([{ name: 'lora.zip', bytes: zip }])).toBe(true);
    const [round] = studio.store.getState().rounds;
    expect(round).toMatchObject({ index: 1, status: 'completed', importedFrom: 'lora.zip' });
    expect(round.lora?.rank).toBe(2);
    expect(studio.engine.sentOf('setPolicy').at(-1)!.loras).toEqual([round.lora]);
    expect(studio.store.getState().policyRound).toBe(1);
    expect(studio.kv.map.get('round/1')).toEqual(round);
  });

  it('an adapter the worker refuses leaves no round behind', async () => {
    const engine = new FakeEngine();
    engine.handlers.setPolicy = (r, post) => post({ type: 'error', id: (r as { id: number }).id, kind: 'model', message: 'module x: wrong shape' });
    const studio = await startStudio(undefined, engine);
    const zip = loraExportZip([tinySnapshot()], tinyModel, { baseModelName: 'vpo-studio/tiny' });
    expect(await studio.store.getState().importLora([{ name: 'lora.zip', bytes: zip }])).toBe(false);
    expect(studio.store.getState().rounds).toEqual([]);
    expect(studio.kv.map.has('round/1')).toBe(false);
    expect(studio.store.getState().alerts[0].message).toContain('wrong shape');
  });
});

describe('Backup and restore', () => {
  it('restores a backup into a fresh studio: same records, stored, and the policy re-set', async () => {
    const first = await studioWithPairs();
    await judgeCurrent(first, 'left');
    await first.store.getState().runRound({ ...defaultTrainForm(), steps: 2 }, []);
    first.store.getState().backupProject();
    const backup = first.saved[0];

    const second = await startStudio();
    expect(await second.store.getState().restoreProject({ name: backup.fileName, bytes: backup.bytes })).toBe(true);
    const s = second.store.getState();
    expect(s.pairs).toEqual(first.store.getState().pairs);
    expect(s.judgments).toEqual(first.store.getState().judgments);
    expect(s.rounds).toEqual(first.store.getState().rounds);
    expect(second.kv.map.has(`judgment/${s.judgments[0].id}`)).toBe(true);
    expect(s.policyRound).toBe(1);
  });

  it('a corrupt backup changes nothing', async () => {
    const studio = await studioWithPairs();
    const before = studio.store.getState().pairs;
    expect(await studio.store.getState().restoreProject({ name: 'old.zip', bytes: new Uint8Array([1, 2, 3]) })).toBe(false);
    expect(studio.store.getState().pairs).toBe(before);
    expect(studio.store.getState().alerts[0].message).toContain('old.zip');
  });
});

describe('Settings and Compare', () => {
  it('stored settings of the wrong type fall back to the defaults, field by field', () => {
    const ui = mergeStoredUi({ tab: 'Nope', annotator: 'ana', generateForm: { steps: 'many', pairsPerPrompt: 3 }, trainForm: { beta: 20, method: 7 } });
    expect(ui.tab).toBe('Generate');
    expect(ui.annotator).toBe('ana');
    expect(ui.generateForm.pairsPerPrompt).toBe(3);
    expect(ui.generateForm.steps).toBe(mergeStoredUi(null).generateForm.steps);
    expect(ui.trainForm.beta).toBe(20);
    expect(ui.trainForm.method).toBe('dpo');
  });

  it('Compare samples held-out prompts with the same seeds for base and round k, and scores the world metrics', async () => {
    const studio = await startStudio();
    await studio.store.getState().evaluateRounds([0, 1], { count: 2, steps: 2, guidance: 2 });
    const requests = studio.engine.sentOf('generate');
    expect(requests.map((r) => r.round)).toEqual([0, 0, 1, 1]);
    expect(requests[0].seed).toBe(requests[2].seed);
    expect(requests[0].prompt).toBe(requests[2].prompt);
    const results = studio.store.getState().compareResults;
    expect(results[1].metrics).toHaveLength(2);
    expect(results[1].aggregate.count).toBe(2);
  });

  it('the blind test scores round-k wins 1, base wins 0 and ties ½ whatever side round k was on', async () => {
    const studio = await startStudio();
    await studio.store.getState().evaluateRounds([0, 1], { count: 3, steps: 1, guidance: 2 });
    studio.store.getState().startBlind(1);
    const order = studio.store.getState().blind!.order;
    expect(order.map((o) => o.item).sort()).toEqual([0, 1, 2]);
    // Pick round k, then the base, then a tie.
    studio.store.getState().judgeBlind(order[0].roundOnLeft ? 'left' : 'right');
    studio.store.getState().judgeBlind(order[1].roundOnLeft ? 'right' : 'left');
    studio.store.getState().judgeBlind('tie');
    const blind = studio.store.getState().blind!;
    expect(blind.scores).toEqual([1, 0, 0.5]);
    const win = blindWinRate(blind);
    expect(win.mean).toBeCloseTo(0.5);
    expect(win.ci[0]).toBeLessThan(0.5);
    expect(win.ci[1]).toBeGreaterThan(0.5);
  });

  it('Compare results and a blind test in progress survive a reload; new sampler settings replace them', async () => {
    const first = await startStudio();
    const setup = { count: 2, steps: 1, guidance: 2 };
    await first.store.getState().evaluateRounds([0, 1], setup);
    first.store.getState().startBlind(1);
    first.store.getState().judgeBlind('tie');
    await settle();

    const reloaded = await startStudio(first.kv);
    const state = reloaded.store.getState();
    expect(state.compareSetup).toEqual(setup);
    expect(Object.keys(state.compareResults)).toEqual(['0', '1']);
    expect(state.compareResults[1].videos[0]).toEqual(first.store.getState().compareResults[1].videos[0]);
    expect(state.compareResults[1].aggregate).toEqual(first.store.getState().compareResults[1].aggregate);
    expect(state.blind).toEqual(first.store.getState().blind);
    // Asking again with the same settings samples nothing: the stored videos are the answer.
    await state.evaluateRounds([0, 1], setup);
    expect(reloaded.engine.sentOf('generate')).toHaveLength(0);

    await state.evaluateRounds([0], { ...setup, steps: 2 });
    await settle();
    const again = await startStudio(first.kv);
    expect(again.store.getState().compareSetup).toEqual({ ...setup, steps: 2 });
    expect(Object.keys(again.store.getState().compareResults)).toEqual(['0']);
    expect(again.store.getState().blind).toBeNull();
  });
});
