// Rounds (docs/architecture.md §4): Run round sends the session's data to the worker, which trains a LoRA and
// merges it; the page keeps the records, restores the policy after a reload (setPolicy with the
// completed rounds' adapters), and asks the critic for hints.
import type { CriticHint } from '../../engine/protocol';
import { dpoPreferences, ktoExamples } from '../../prefs/judgments';
import { completedRounds, nextRoundIndex, roundHyper, startRoundRecord, unusedJudgments } from '../../prefs/rounds';
import type { Judgment, LoraSnapshot, Pair, RoundRecord, StepMetrics } from '../../prefs/types';
import { hyperFromForm, onlineSpecFromForm, type TrainForm } from '../lib/train-form';
import type { SliceCreator } from './types';

/** Transient: the round being trained, one metrics entry per optimiser step. */
export interface LiveRound {
  requestId: number | null;
  index: number;
  total: number;
  metrics: StepMetrics[];
  startedAt: number;
  /** Cancel was asked for; the worker stops at its next step. */
  cancelling: boolean;
}

export interface RoundsSlice {
  rounds: RoundRecord[];
  liveRound: LiveRound | null;
  criticHints: Record<string, CriticHint>;
  critic: { agreement: number; trainedOn: number; pending: boolean } | null;
  /** Train one round; `prompts` are the Generate tab's (online rounds sample from them). */
  runRound(form: TrainForm, prompts: string[]): Promise<RoundRecord | null>;
  cancelRound(): void;
  /** Make the worker's policy the base + every completed round's adapter, in order. */
  syncPolicy(): Promise<void>;
  /** Train the critic on the human judgments and ask it about these pairs. */
  askCritic(pairIds: string[]): Promise<void>;
  /** An imported LoRA becomes the next round (marked imported) and joins the policy; rejects (EngineError) when the worker refuses it. */
  addImportedRound(lora: LoraSnapshot, fileName: string): Promise<RoundRecord>;
}

/** Pixels the worker needs for these pairs: both videos and any first-frame image. */
export function videosOfPairs(pairs: readonly Pair[], videos: Record<string, Uint8Array>): Record<string, Uint8Array> {
  const out: Record<string, Uint8Array> = {};
  for (const p of pairs) {
    const ids = [...p.videoIds, ...(p.firstFrame?.kind === 'image' ? [p.firstFrame.id] : [])];
    for (const id of ids) if (videos[id]) out[id] = videos[id];
  }
  return out;
}

/** What a round of this method would train on now; empty means Run round has nothing to do. */
export function trainingExamples(method: TrainForm['method'], pairs: readonly Pair[], judgments: readonly Judgment[], rounds: readonly RoundRecord[]): { count: number; pairIds: Set<string> } {
  const unused = unusedJudgments(judgments, rounds);
  const examples = method === 'kto' ? ktoExamples(pairs, unused) : method === 'dpo' ? dpoPreferences(pairs, unused) : [];
  return { count: examples.length, pairIds: new Set(examples.map((e) => e.pair.id)) };
}

export const createRoundsSlice: SliceCreator<RoundsSlice> = (deps) => (set, get) => ({
  rounds: [],
  liveRound: null,
  criticHints: {},
  critic: null,

  async runRound(form, prompts) {
    if (get().liveRound) return null;
    const { pairs, judgments, rounds, videos } = get();
    const index = nextRoundIndex(rounds);
    let hyper;
    let online;
    try {
      hyper = hyperFromForm(form, index);
      if (form.method === 'online') online = onlineSpecFromForm(form, prompts);
    } catch (e) {
      get().pushAlert('input', e instanceof Error ? e.message : String(e));
      return null;
    }
    const examples = trainingExamples(form.method, pairs, judgments, rounds);
    if (form.method !== 'online' && examples.count === 0) {
      const what = form.method === 'dpo' ? 'left/right decisions (ties, both-bad and skips do not train DPO)' : 'decisions or thumbs';
      get().pushAlert('input', `Nothing to train on: no ${what} that an earlier round has not used. Rank pairs on the Rank tab first.`);
      return null;
    }
    const needed = form.method === 'online' ? pairs : pairs.filter((p) => examples.pairIds.has(p.id));

    set({ liveRound: { requestId: null, index, total: hyper.steps, metrics: [], startedAt: performance.now(), cancelling: false } });
    // An online round's new pairs and labels are stored before its record (they are its data).
    let onlineStored: Promise<void> = Promise.resolve();
    try {
      const done = await deps.engine.request(
        { type: 'runRound', hyper, pairs, judgments, rounds, videos: videosOfPairs(needed, videos), online },
        {
          started: (id) => set({ liveRound: { ...get().liveRound!, requestId: id } }),
          onEvent: (e) => {
            const live = get().liveRound;
            if (e.type === 'roundStep' && live) set({ liveRound: { ...live, total: e.total, metrics: [...live.metrics, e.metrics] } });
            if (e.type === 'onlineData') onlineStored = onlineStored.then(() => get().addPairs(e.pairs, e.videos)).then(() => get().addJudgments(e.judgments));
          },
        },
      );
      await onlineStored;
      const record = done.record;
      try {
        await deps.storage.putRound(record);
      } catch (e) {
        get().report(e);
      }
      set((s) => ({ rounds: [...s.rounds.filter((r) => r.index !== record.index), record], policyRound: done.policyRound }));
      if (record.status === 'failed') get().pushAlert('internal', `Round ${record.index} failed: ${record.note ?? 'no reason given'}. The policy is unchanged.`);
      return record;
    } catch (e) {
      get().report(e, `Round ${index}`);
      return null;
    } finally {
      set({ liveRound: null });
    }
  },

  cancelRound() {
    const live = get().liveRound;
    if (!live || live.requestId === null || live.cancelling) return;
    set({ liveRound: { ...live, cancelling: true } });
    deps.engine.cancel(live.requestId);
  },

  async syncPolicy() {
    const loras = completedRounds(get().rounds).map((r) => r.lora!);
    if (loras.length === 0 && get().policyRound === 0) return;
    try {
      const answer = await deps.engine.request({ type: 'setPolicy', loras });
      set({ policyRound: answer.round });
    } catch (e) {
      get().report(e, 'Restoring the policy from the stored rounds');
    }
  },

  async askCritic(pairIds) {
    const { pairs, judgments, videos } = get();
    const human = judgments.filter((j) => j.annotatorKind === 'human' && j.kind === 'pairwise');
    const used = new Set([...human.map((j) => j.pairId), ...pairIds]);
    const needed = pairs.filter((p) => used.has(p.id));
    set({ critic: { agreement: get().critic?.agreement ?? NaN, trainedOn: get().critic?.trainedOn ?? 0, pending: true } });
    try {
      const answer = await deps.engine.request({ type: 'critic', pairs: needed, judgments: human, videos: videosOfPairs(needed, videos), hintPairIds: pairIds });
      const hints = { ...get().criticHints };
      for (const h of answer.hints) hints[h.pairId] = h;
      set({ criticHints: hints, critic: { agreement: answer.agreement, trainedOn: answer.trainedOn, pending: false } });
    } catch (e) {
      set({ critic: null });
      get().report(e, 'The critic');
    }
  },

  async addImportedRound(lora, fileName) {
    const index = nextRoundIndex(get().rounds);
    const hyper = roundHyper({ lora: { rank: lora.rank, alpha: lora.alpha, targetModules: [...lora.targetModules] } });
    const now = deps.now();
    const record: RoundRecord = {
      ...startRoundRecord(index, hyper, [], 0, now),
      status: 'completed', lora, importedFrom: fileName, note: `Imported from ${fileName}`,
      timings: { startedAt: now.toISOString(), finishedAt: now.toISOString(), seconds: 0, msPerStep: 0 },
    };
    // The worker checks the adapter against the model while it merges it: only an adapter it
    // accepted becomes a round (a rejected one leaves policy and project as they were).
    const answer = await deps.engine.request({ type: 'setPolicy', loras: [...completedRounds(get().rounds).map((r) => r.lora!), lora] });
    try {
      await deps.storage.putRound(record);
    } catch (e) {
      get().report(e);
    }
    set((s) => ({ rounds: [...s.rounds, record], policyRound: answer.round }));
    return record;
  },
});
