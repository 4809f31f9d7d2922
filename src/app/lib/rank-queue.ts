// Where the Rank tab stands: which pair to show next, on which side each video goes, what to undo.
// Plain functions of the project's records, so a reload lands on the same pair with the same sides.
import { randomLeft } from '../../prefs/pairs';
import { completedRounds } from '../../prefs/rounds';
import type { Judgment, Pair, RoundRecord, VideoIndex } from '../../prefs/types';
import { other } from '../../prefs/judgments';
import { hashString, makeRng } from '../../world/rng';

export type RankMode = 'pairwise' | 'pointwise';

/**
 * Which video of the pair is shown on the left for this annotator: random per pair (people
 * prefer one side; randomising keeps that bias out of the labels) but stable across reloads.
 */
export function leftVideoFor(pairId: string, annotator: string): VideoIndex {
  return randomLeft(makeRng(hashString(`left:${pairId}:${annotator}`)));
}

function byAnnotator(judgments: readonly Judgment[], annotator: string): Judgment[] {
  return judgments.filter((j) => j.annotator === annotator && j.annotatorKind === 'human');
}

/** Whether this annotator is done with the pair in this mode (a skip counts in both modes). */
export function isJudged(pair: Pair, mine: readonly Judgment[], mode: RankMode): boolean {
  const forPair = mine.filter((j) => j.pairId === pair.id);
  if (forPair.some((j) => j.kind === 'pairwise' && (mode === 'pairwise' || j.decision === 'skip'))) return true;
  if (mode === 'pairwise') return false;
  const videos = new Set(forPair.flatMap((j) => (j.kind === 'pointwise' ? [j.video] : [])));
  return videos.has(0) && videos.has(1);
}

export interface RankPosition {
  /** The pair to judge now, or null when every pair is judged. */
  pair: Pair | null;
  /** 0-based position of `pair` among all pairs (pairs.length when done). */
  index: number;
  total: number;
  judged: number;
  leftWas: VideoIndex;
  /** Pointwise mode: the video (seed order) to give a thumb to now. */
  video: VideoIndex;
}

export function rankPosition(pairs: readonly Pair[], judgments: readonly Judgment[], annotator: string, mode: RankMode): RankPosition {
  const mine = byAnnotator(judgments, annotator);
  const judgedFlags = pairs.map((p) => isJudged(p, mine, mode));
  const index = judgedFlags.indexOf(false);
  const judged = judgedFlags.filter(Boolean).length;
  if (index < 0) return { pair: null, index: pairs.length, total: pairs.length, judged, leftWas: 0, video: 0 };
  const pair = pairs[index];
  const leftWas = leftVideoFor(pair.id, annotator);
  const thumbed = new Set(mine.flatMap((j) => (j.pairId === pair.id && j.kind === 'pointwise' ? [j.video] : [])));
  const video = thumbed.has(leftWas) ? other(leftWas) : leftWas;
  return { pair, index, total: pairs.length, judged, leftWas, video };
}

/**
 * The judgment `z` / Backspace takes back: this annotator's latest one. A judgment a completed
 * round trained on is part of that round's LoRA and cannot be taken back (returns why instead).
 */
export function judgmentToUndo(judgments: readonly Judgment[], rounds: readonly RoundRecord[], annotator: string): { judgment: Judgment } | { reason: string } {
  const mine = byAnnotator(judgments, annotator);
  if (mine.length === 0) return { reason: `Nothing to undo: ${annotator} has no judgments yet.` };
  let latest = mine[0];
  for (const j of mine) if (j.createdAt >= latest.createdAt) latest = j;
  const round = completedRounds(rounds).find((r) => r.judgmentIds.includes(latest.id));
  if (round) return { reason: `The last judgment (pair ${latest.pairId}) trained Round ${round.index} already; it can no longer be undone.` };
  return { judgment: latest };
}
