// Which judgments train what (docs/architecture.md §4): a decision becomes a DPO preference (winner, loser),
// KTO examples (desirable / undesirable videos), or Bradley–Terry labels for the critic.
//   left/right → DPO pair; KTO winner desirable + loser undesirable; BT label 1/0
//   tie        → not DPO, not KTO; BT label ½ (a half win each)
//   both-bad   → not DPO; KTO both undesirable (optional); not BT (no order between them)
//   skip       → nothing
import type { Decision, Judgment, Pair, PairwiseJudgment, PointwiseJudgment, VideoIndex } from './types';

/** The better video of a pairwise judgment, undoing the side randomisation; null if none. */
export function preferredVideo(j: Pick<PairwiseJudgment, 'decision' | 'leftWas'>): VideoIndex | null {
  if (j.decision === 'left') return j.leftWas;
  if (j.decision === 'right') return other(j.leftWas);
  return null;
}

export function other(v: VideoIndex): VideoIndex {
  return v === 0 ? 1 : 0;
}

/** The decision to record when `preferred` is better and `leftWas` was shown on the left. */
export function decisionFor(preferred: VideoIndex, leftWas: VideoIndex): 'left' | 'right' {
  return preferred === leftWas ? 'left' : 'right';
}

/**
 * Per-video labels in seed order (the dataset's `label_0`, `label_1`): 1/0 for a win, ½/½ for a
 * tie, 0/0 when both are bad; null for a skip (no information).
 */
export function pairLabels(j: Pick<PairwiseJudgment, 'decision' | 'leftWas'>): [number, number] | null {
  const winner = preferredVideo(j);
  if (winner !== null) return winner === 0 ? [1, 0] : [0, 1];
  if (j.decision === 'tie') return [0.5, 0.5];
  if (j.decision === 'both-bad') return [0, 0];
  return null;
}

/**
 * The judgments in force: the latest per (pair, annotator, and video for pointwise ones), so a
 * changed mind replaces the earlier call instead of counting twice. Order of the result follows
 * the input order of the surviving judgments.
 */
export function latestJudgments<J extends Judgment>(judgments: readonly J[]): J[] {
  const key = (j: Judgment) => `${j.pairId}\u0000${j.annotator}\u0000${j.kind === 'pointwise' ? j.video : 'pair'}`;
  const latest = new Map<string, number>();
  judgments.forEach((j, i) => {
    const k = key(j);
    const previous = latest.get(k);
    // Later createdAt wins; on equal times the later entry in the list (appended later) wins.
    if (previous === undefined || j.createdAt >= judgments[previous].createdAt) latest.set(k, i);
  });
  const keep = new Set(latest.values());
  return judgments.filter((_, i) => keep.has(i));
}

export interface DpoPreference {
  pair: Pair;
  winner: VideoIndex;
  loser: VideoIndex;
  judgmentId: string;
}

export interface KtoExample {
  pair: Pair;
  video: VideoIndex;
  desirable: boolean;
  judgmentId: string;
}

export interface BradleyTerryExample {
  pair: Pair;
  /** Probability that video 0 is better than video 1: 1, 0, or ½ for a tie. */
  label0: number;
  judgmentId: string;
}

function pairLookup(pairs: readonly Pair[]): (id: string) => Pair | undefined {
  const byId = new Map(pairs.map((p) => [p.id, p]));
  return (id) => byId.get(id);
}

function pairwiseInForce(judgments: readonly Judgment[]): PairwiseJudgment[] {
  return latestJudgments(judgments).filter((j): j is PairwiseJudgment => j.kind === 'pairwise');
}

/** DPO preferences: strict left/right decisions only (ties, both-bad and skips stay out). */
export function dpoPreferences(pairs: readonly Pair[], judgments: readonly Judgment[]): DpoPreference[] {
  const find = pairLookup(pairs);
  const out: DpoPreference[] = [];
  for (const j of pairwiseInForce(judgments)) {
    const pair = find(j.pairId);
    const winner = preferredVideo(j);
    if (!pair || winner === null) continue;
    out.push({ pair, winner, loser: other(winner), judgmentId: j.id });
  }
  return out;
}

/**
 * KTO examples (Diffusion-KTO): a pairwise win makes the winner desirable and the loser
 * undesirable; both-bad makes both undesirable unless `bothBadAsUndesirable` is false; ties and
 * skips give nothing; thumbs up/down are taken as they are.
 */
export function ktoExamples(pairs: readonly Pair[], judgments: readonly Judgment[], opts: { bothBadAsUndesirable?: boolean } = {}): KtoExample[] {
  const bothBad = opts.bothBadAsUndesirable ?? true;
  const find = pairLookup(pairs);
  const out: KtoExample[] = [];
  for (const j of latestJudgments(judgments)) {
    const pair = find(j.pairId);
    if (!pair) continue;
    if (j.kind === 'pointwise') {
      out.push({ pair, video: j.video, desirable: j.desirable, judgmentId: j.id });
      continue;
    }
    const winner = preferredVideo(j);
    if (winner !== null) {
      out.push({ pair, video: winner, desirable: true, judgmentId: j.id });
      out.push({ pair, video: other(winner), desirable: false, judgmentId: j.id });
    } else if (j.decision === 'both-bad' && bothBad) {
      out.push({ pair, video: 0, desirable: false, judgmentId: j.id }, { pair, video: 1, desirable: false, judgmentId: j.id });
    }
  }
  return out;
}

/** Bradley–Terry labels for the critic: wins as 1/0, ties as half wins; both-bad and skips out. */
export function bradleyTerryExamples(pairs: readonly Pair[], judgments: readonly Judgment[]): BradleyTerryExample[] {
  const find = pairLookup(pairs);
  const out: BradleyTerryExample[] = [];
  for (const j of pairwiseInForce(judgments)) {
    const pair = find(j.pairId);
    if (!pair || j.decision === 'both-bad' || j.decision === 'skip') continue;
    out.push({ pair, label0: pairLabels(j)![0], judgmentId: j.id });
  }
  return out;
}

export type DecisionCounts = Record<Decision | 'thumbsUp' | 'thumbsDown', number>;

/** How many judgments in force of each kind (the Rank tab's counters). */
export function decisionCounts(judgments: readonly Judgment[]): DecisionCounts {
  const counts: DecisionCounts = { left: 0, right: 0, tie: 0, 'both-bad': 0, skip: 0, thumbsUp: 0, thumbsDown: 0 };
  for (const j of latestJudgments(judgments)) {
    if (j.kind === 'pairwise') counts[j.decision] += 1;
    else counts[(j as PointwiseJudgment).desirable ? 'thumbsUp' : 'thumbsDown'] += 1;
  }
  return counts;
}
