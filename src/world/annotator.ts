// A simulated annotator: stands in for people in tests and benchmarks. It prefers the video
// with the higher qualityScore, like a careful person who checks the prompt first, and is
// imperfect in the two ways people are: it misjudges close pairs (noise) and sometimes calls
// near-equal pairs a tie.
import { makeRng, randNormal } from './rng';
import { parsePrompt, type PromptSpec } from './prompt';
import { qualityScore, videoMetrics, type QualityWeights } from './metrics';
import type { Video } from './video';

export type Judgment = 'left' | 'right' | 'tie' | 'both-bad';

export interface AnnotatorOptions {
  /** Std of Gaussian noise added to the score difference (scores are in [0, 1]). */
  noise: number;
  /** Probability of answering "tie" when the (noisy) difference is within tieMargin. */
  tieRate: number;
  /** When both scores are below this, answer "both-bad" (never when undefined). */
  bothBadThreshold?: number;
  /** What counts as close enough to consider a tie (default 0.05: a few consistency points). */
  tieMargin?: number;
  /** Metric weights of the score it prefers (default DEFAULT_QUALITY_WEIGHTS). */
  weights?: Partial<QualityWeights>;
  seed: number;
}

export interface SimulatedAnnotator {
  judge(spec: PromptSpec | string, left: Video, right: Video): Judgment;
}

const DEFAULT_TIE_MARGIN = 0.05;

/** Deterministic given the seed and the order of calls: every call draws the same number of randoms. */
export function createSimulatedAnnotator(options: AnnotatorOptions): SimulatedAnnotator {
  const rng = makeRng(options.seed);
  const tieMargin = options.tieMargin ?? DEFAULT_TIE_MARGIN;
  const score = (video: Video, spec: PromptSpec) => qualityScore(videoMetrics(video, spec), options.weights);

  return {
    judge(prompt, left, right) {
      const spec = typeof prompt === 'string' ? parsePrompt(prompt) : prompt;
      const leftScore = score(left, spec);
      const rightScore = score(right, spec);
      // Draw everything up front so the stream stays aligned whatever branch is taken.
      const noise = randNormal(rng, 0, 1) * options.noise;
      const tieCoin = rng();
      const sideCoin = rng();

      if (options.bothBadThreshold !== undefined && Math.max(leftScore, rightScore) < options.bothBadThreshold) {
        return 'both-bad';
      }
      const difference = leftScore - rightScore + noise;
      if (Math.abs(difference) < tieMargin && tieCoin < options.tieRate) return 'tie';
      if (difference === 0) return sideCoin < 0.5 ? 'left' : 'right'; // identical and no tie: a coin flip
      return difference > 0 ? 'left' : 'right';
    },
  };
}
