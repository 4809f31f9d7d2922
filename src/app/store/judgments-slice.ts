// Judgments: each one is written to IndexedDB before the store moves on to the next pair
// (DESIGN §6), so a reload or a crash never loses a judgment that was shown as made.
import { pairwiseJudgment, pointwiseJudgment } from '../../prefs/pairs';
import type { Decision, Judgment, Pair, VideoIndex } from '../../prefs/types';
import { newId } from '../lib/ids';
import { judgmentToUndo } from '../lib/rank-queue';
import type { SliceCreator } from './types';

export interface JudgmentsSlice {
  judgments: Judgment[];
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
        // Storage full or failing: the judgment stays on the page (the alert offers a backup).
        get().report(e);
      }
      set((s) => ({ judgments: [...s.judgments, ...judgments] }));
    },
  };
};
