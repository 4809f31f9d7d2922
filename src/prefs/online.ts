// Online labelling (OnlineVPO): on-policy pairs are labelled on the fly by a labeller — the
// learned critic, or the world's simulated annotator standing in for people — and train without
// waiting for anyone. A verdict below the confidence threshold is not trusted: its pair is queued
// for people instead. Plain logic; the critic itself runs tfjs (src/engine/critic.ts).
import { createSimulatedAnnotator, SIMULATED_PERSON, type SimulatedAnnotator } from '../world/annotator';
import { tasteSpread, type Taste } from '../world/tastes';
import type { VideoShape } from '../world/video';
import type { CriticExample, CriticJudgment } from './critic-examples';
import { decisionFor } from './judgments';
import { pairwiseJudgment, randomLeft, videoOf, type VideoStore } from './pairs';
import type { AnnotatorKind, PairwiseJudgment, Pair, VideoIndex } from './types';
import type { Rng } from '../world/rng';

/** A labeller's call on one pair: the better video (null = a tie) and how sure it is. */
export interface Verdict {
  preferred: VideoIndex | null;
  confidence: number;
}

export interface Labeller {
  name: string;
  kind: AnnotatorKind;
  label(pairs: readonly Pair[], store: VideoStore): Promise<Verdict[]>;
}

/** What a labeller needs of the critic (src/engine/critic.ts): verdicts on pairs of videos. */
export interface PairJudge {
  judgeMany(pairs: readonly Omit<CriticExample, 'label'>[]): Promise<CriticJudgment[]>;
}

/** The critic as a labeller: its preferred video and confidence max(p, 1 − p). */
export function criticLabeller(critic: PairJudge, name = 'critic'): Labeller {
  return {
    name,
    kind: 'critic',
    label: async (pairs, store) => critic.judgeMany(pairs.map((p) => ({ prompt: p.prompt, a: videoOf(p, 0, store), b: videoOf(p, 1, store) }))),
  };
}

/**
 * The simulated annotator as a labeller (a stand-in for people, always confident): left/right
 * become a preference, tie a tie, both-bad a tie too (no order between the two videos).
 */
export function simulatedLabeller(annotator: SimulatedAnnotator, shape: VideoShape, name = 'simulated'): Labeller {
  return {
    name,
    kind: 'simulated',
    label: async (pairs, store) => pairs.map((p) => simulatedVerdict(annotator.judge(p.prompt, { ...shape, data: videoOf(p, 0, store) }, { ...shape, data: videoOf(p, 1, store) }))),
  };
}

function simulatedVerdict(call: ReturnType<SimulatedAnnotator['judge']>): Verdict {
  return { preferred: call === 'left' ? 0 : call === 'right' ? 1 : null, confidence: 1 };
}

/**
 * A simulated person with a taste as a labeller. The taste's spread (the unit of its noise and
 * tie margin) is taken over the videos it is asked to label — the current policy's samples —
 * since the studio has no held-out base set at hand; noise and ties are SIMULATED_PERSON's.
 */
export function tasteLabeller(taste: Taste, shape: VideoShape, seed: number): Labeller {
  return {
    name: `simulated (${taste.name})`,
    kind: 'simulated',
    label: async (pairs, store) => {
      const scores = pairs.map((p) => [0, 1].map((v) => taste.score({ ...shape, data: videoOf(p, v as VideoIndex, store) }, p.prompt)));
      const spread = tasteSpread(scores.flat());
      const person = createSimulatedAnnotator({ ...SIMULATED_PERSON, taste, spread, seed });
      return scores.map(([a, b]) => simulatedVerdict(person.judgeScores(a, b)));
    },
  };
}

export interface RoutedLabels {
  /** Judgments made on the fly (confident verdicts), sides randomised and recorded as people's are. */
  judgments: PairwiseJudgment[];
  /** Pairs whose verdict fell below the threshold: for people to judge first. */
  queued: Pair[];
}

/**
 * Turn verdicts into judgments where the labeller is at least `threshold` sure; queue the rest.
 * A confident tie becomes a `tie` judgment (kept for the record and the critic, out of DPO).
 */
export function routeVerdicts(pairs: readonly Pair[], verdicts: readonly Verdict[], labeller: Pick<Labeller, 'name' | 'kind'>, opts: { threshold: number; round: number; rng: Rng; now?: string; idPrefix?: string }): RoutedLabels {
  if (verdicts.length !== pairs.length) throw new Error(`routeVerdicts: ${verdicts.length} verdicts for ${pairs.length} pairs`);
  const judgments: PairwiseJudgment[] = [];
  const queued: Pair[] = [];
  pairs.forEach((pair, i) => {
    const v = verdicts[i];
    const leftWas = randomLeft(opts.rng);
    if (v.confidence < opts.threshold) {
      queued.push(pair);
      return;
    }
    judgments.push(pairwiseJudgment({
      id: `${opts.idPrefix ?? labeller.name}-${pair.id}`, pair, annotator: labeller.name, annotatorKind: labeller.kind, round: opts.round,
      decision: v.preferred === null ? 'tie' : decisionFor(v.preferred, leftWas), leftWas, confidence: v.confidence, now: opts.now,
    }));
  });
  return { judgments, queued };
}
