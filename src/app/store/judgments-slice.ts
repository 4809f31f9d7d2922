// Judgments: each one is written to IndexedDB before the store moves on to the next pair
// (docs/architecture.md §6), so a reload or a crash never loses a judgment that was shown as made. One whose
// write failed is not shown as made: it waits in `unsavedJudgments` (not counted, its pair shown
// again) until a retry stores it; backups carry it meanwhile.
import { pairwiseJudgment, pointwiseJudgment } from '../../prefs/pairs';
import type { Decision, Judgment, Pair, VideoIndex } from '../../prefs/types';
import { newId } from '../lib/ids';
import { judgmentToUndo } from '../lib/rank-queue';
import type { SliceCreator } from './types';

export interface JudgmentsSlice {
  /** The judgments in storage: what a reload shows, and all that counts as judged. */
  judgments: Judgment[];
  /** Judgments whose write failed (storage full or failing), in the order they were made. */
  unsavedJudgments: Judgment[];
  /** Write the unsaved judgments again; resolves true when they are stored (and now count). */
  retryUnsaved(): Promise<boolean>;
  /** A side-by-side decision on the pair, with the side the first video was shown on. */
  judgePair(pair: Pair, decision: Decision, leftWas: VideoIndex, responseMs: number): Promise<void>;
  /** A thumbs up / down on one video (KTO's pointwise mode). */
  judgeVideo(pair: Pair, video: VideoIndex, desirable: boolean, responseMs: number): Promise<void>;
  /** Take back this annotator's latest judgment; resolves with it (null when there is none to take). */
  undoLast(): Promise<Judgment | null>;
  /** Judgments made elsewhere (an online round's labels, the critic): stored, then shown. */
  addJudgments(judgments: Judgment[]): Promise<void>;
}

export const createJudgmentsSlice: SliceCreator<JudgmentsSlice> = (deps) => (set, get) => {
  const fields = (pair: Pair, responseMs: number) => {
    const now = deps.now();
    return {
      id: newId('j', now.getTime()), pair, annotator: get().annotator, annotatorKind: 'human' as const,
      // The round this label will train: the one after the policy that is merged now.
      round: get().policyRound + 1, responseMs: Math.round(responseMs), now: now.toISOString(),
    };
  };

  return {
    judgments: [],
    unsavedJudgments: [],

    judgePair(pair, decision, leftWas, responseMs) {
      return get().addJudgments([pairwiseJudgment({ ...fields(pair, responseMs), decision, leftWas })]);
    },

    judgeVideo(pair, video, desirable, responseMs) {
      return get().addJudgments([pointwiseJudgment({ ...fields(pair, responseMs), video, desirable })]);
    },

    async undoLast() {
      const found = judgmentToUndo(get().judgments, get().rounds, get().annotator);
      if ('reason' in found) {
        get().pushAlert('input', found.reason);
        return null;
      }
      const { judgment } = found;
      try {
        await deps.storage.deleteJudgments([judgment.id]);
      } catch (e) {
        // Not removed from storage: keep it on the page too, so the page says what a reload shows.
        get().report(e);
        return null;
      }
      set((s) => ({ judgments: s.judgments.filter((j) => j.id !== judgment.id) }));
      return judgment;
    },

    async addJudgments(judgments) {
      try {
        await deps.storage.putJudgments(judgments);
      } catch (e) {
        // Storage full or failing: not stored, so not shown as judged (the alert offers a backup,
        // the Rank tab a retry).
        get().report(e);
        set((s) => ({ unsavedJudgments: [...s.unsavedJudgments, ...judgments] }));
        return;
      }
      set((s) => ({ judgments: [...s.judgments, ...judgments] }));
    },

    async retryUnsaved() {
      const unsaved = get().unsavedJudgments;
      if (unsaved.length === 0) return true;
      try {
        await deps.storage.putJudgments(unsaved);
      } catch (e) {
        get().report(e);
        return false;
      }
      const stored = new Set(unsaved);
      set((s) => ({ judgments: [...s.judgments, ...unsaved], unsavedJudgments: s.unsavedJudgments.filter((j) => !stored.has(j)) }));
      return true;
    },
  };
};
