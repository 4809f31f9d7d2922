// What the critic (src/engine/critic.ts, a tfjs network) learns from and answers, as plain data:
// Bradley–Terry examples built from pairs and judgments, and its verdict on a pair.
import { bradleyTerryExamples } from './judgments';
import { videoOf, type VideoStore } from './pairs';
import type { Judgment, Pair, VideoIndex } from './types';

/** The critic's verdict on a pair (video indices in seed order). */
export interface CriticJudgment {
  preferred: VideoIndex;
  /** max(p, 1 − p) ∈ [0.5, 1]: how sure it is. */
  confidence: number;
  /** p = P(video 0 ≻ video 1) = σ(r0 − r1). */
  probability0: number;
}

/** A training or evaluation example: two videos of one prompt and P(a ≻ b) ∈ {0, ½, 1}. */
export interface CriticExample {
  prompt: string;
  a: Float32Array;
  b: Float32Array;
  label: number;
}

/** Critic examples from judgments: wins as 1/0, ties as ½ (both-bad and skips carry no order). */
export function criticExamples(pairs: readonly Pair[], judgments: readonly Judgment[], store: VideoStore): CriticExample[] {
  return bradleyTerryExamples(pairs, judgments).map(({ pair, label0 }) => ({ prompt: pair.prompt, a: videoOf(pair, 0, store), b: videoOf(pair, 1, store), label: label0 }));
}
