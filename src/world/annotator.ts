// A simulated annotator: stands in for people in tests, benchmarks and the studio's simulated
// labeller. It prefers the video its taste scores higher (by default the world's quality score,
// like a careful person who checks the prompt first) and is imperfect in the two ways people
// are: it misjudges close pairs (noise) and sometimes calls near-equal pairs a tie. With a
// taste's spread, noise, tie margin and both-bad threshold are in units of the taste's standard
// deviation, so one setting means the same for every taste.
import { makeRng, randNormal } from './rng';
import { formatPrompt, parsePrompt, type PromptSpec } from './prompt';
import { qualityScore, videoMetrics, type QualityWeights } from './metrics';
import type { Taste, TasteSpread } from './tastes';
import type { Video } from './video';

export type Judgment = 'left' | 'right' | 'tie' | 'both-bad';

export interface AnnotatorOptions {
  /** Std of Gaussian noise added to the score difference (in spread units). */
  noise: number;
  /** Probability of answering "tie" when the (noisy) difference is within tieMargin. */
  tieRate: number;
  /** When both standardised scores are below this, answer "both-bad" (never when undefined). */
  bothBadThreshold?: number;
  /** What counts as close enough to consider a tie (default 0.05), in spread units. */
  tieMargin?: number;
  /** What it prefers (default: the quality score with `weights`). */
  taste?: Taste;
  /** Metric weights of the quality score, when no taste is given (default DEFAULT_QUALITY_WEIGHTS). */
  weights?: Partial<QualityWeights>;
  /** The taste's mean and std: the units of the settings above (default {0, 1}: raw scores). */
  spread?: TasteSpread;
  seed: number;
}

export interface SimulatedAnnotator {
  judge(spec: PromptSpec | string, left: Video, right: Video): Judgment;
  /** The same decision from scores the caller computed with this annotator's taste. */
  judgeScores(leftScore: number, rightScore: number): Judgment;
}

const DEFAULT_TIE_MARGIN = 0.05;

/** Deterministic given the seed and the order of calls: every call draws the same number of randoms. */
export function createSimulatedAnnotator(options: AnnotatorOptions): SimulatedAnnotator {
  const rng = makeRng(options.seed);
  const tieMargin = options.tieMargin ?? DEFAULT_TIE_MARGIN;
  const { mean, std } = options.spread ?? { mean: 0, std: 1 };
  const score = (video: Video, prompt: PromptSpec | string): number => {
    if (options.taste) return options.taste.score(video, typeof prompt === 'string' ? prompt : formatPrompt(prompt));
    return qualityScore(videoMetrics(video, typeof prompt === 'string' ? parsePrompt(prompt) : prompt), options.weights);
  };

  const judgeScores = (leftScore: number, rightScore: number): Judgment => {
    const [left, right] = [(leftScore - mean) / std, (rightScore - mean) / std];
    // Draw everything up front so the stream stays aligned whatever branch is taken.
    const noise = randNormal(rng, 0, 1) * options.noise;
    const tieCoin = rng();
    const sideCoin = rng();

    if (options.bothBadThreshold !== undefined && Math.max(left, right) < options.bothBadThreshold) return 'both-bad';
    const difference = left - right + noise;
    if (Math.abs(difference) < tieMargin && tieCoin < options.tieRate) return 'tie';
    if (difference === 0) return sideCoin < 0.5 ? 'left' : 'right'; // identical and no tie: a coin flip
    return difference > 0 ? 'left' : 'right';
  };
  return {
    judge: (prompt, left, right) => judgeScores(score(left, prompt), score(right, prompt)),
    judgeScores,
  };
}

/**
 * The default simulated person, in units of the taste's std over the base model's held-out
 * videos: noise 0.3 (pairs closer than ~⅓ std are often misjudged), a tie in one of five pairs
 * closer than a tenth of a std, both-bad when both videos score 2 std below the base's mean.
 */
export const SIMULATED_PERSON = { noise: 0.3, tieRate: 0.2, tieMargin: 0.1, bothBadThreshold: -2 } as const;
