// Tastes: what a (simulated) person prefers. A taste maps a video and its prompt to a number,
// higher preferred. `quality` is the world's weighted quality score, saturated on a good base
// model; the others vary among the base model's own samples of one prompt, so preference rounds
// have something to move. A researcher's own taste is any function of the same signature (see
// scripts/lib/taste-module.ts and examples/tastes/).
import { centreDistance } from './descriptors';
import { detectObject, foundFrames, type ObjectTrack } from './detect';
import { mean } from './math';
import { qualityScore, videoMetrics } from './metrics';
import { parsePrompt } from './prompt';
import type { Video } from './video';

/** `(video, prompt) => number`, higher is preferred; `video.data` is [F, H, W, 3] RGB in [-1, 1]. */
export type TasteFunction = (video: Video, prompt: string) => number;

export interface Taste {
  name: string;
  /** One line for people: what this taste prefers. */
  description: string;
  score: TasteFunction;
}


const onTrack = (f: (track: ObjectTrack, video: Video, prompt: string) => number): TasteFunction =>
  (video, prompt) => f(detectObject(video), video, prompt);

/** The world's metrics of a video for its prompt (the prompt must parse). */
const metricsOf = (track: ObjectTrack, video: Video, prompt: string) => videoMetrics(video, parsePrompt(prompt), track);

export const BUILTIN_TASTES: readonly Taste[] = [
  {
    name: 'quality',
    description: "the world's quality score: the right colour, shape and action first, then consistency and no flicker",
    score: onTrack((track, video, prompt) => qualityScore(metricsOf(track, video, prompt))),
  },
  {
    name: 'lively',
    description: 'livelier motion: more travel, growth and rotation per frame (dynamic degree)',
    score: onTrack((track, video, prompt) => metricsOf(track, video, prompt).dynamicDegree),
  },
  {
    name: 'big',
    description: 'a bigger object: its mean area as a share of the frame (0 when none is found)',
    score: onTrack((track) => mean(foundFrames(track).map((f) => f.area))),
  },
  {
    name: 'centred',
    description: "the object near the frame's centre: minus the centroid's mean distance from it",
    score: onTrack((track) => -centreDistance(track)),
  },
  {
    name: 'smooth',
    description: 'steadier motion and less flicker: motion smoothness minus temporal flicker',
    score: onTrack((track, video, prompt) => {
      const m = metricsOf(track, video, prompt);
      return m.motionSmoothness - m.temporalFlicker;
    }),
  },
];

export const BUILTIN_TASTE_NAMES = BUILTIN_TASTES.map((t) => t.name);

/** A built-in taste by name; an unknown name is an error that lists the known ones. */
export function builtinTaste(name: string): Taste {
  const taste = BUILTIN_TASTES.find((t) => t.name === name);
  if (!taste) throw new Error(`Unknown taste "${name}". Built-in tastes: ${BUILTIN_TASTE_NAMES.join(', ')} (or give the path of a module whose default export is (video, prompt) => number).`);
  return taste;
}

export interface TasteSpread {
  mean: number;
  /** Standard deviation (never 0: a taste that does not vary gets 1, so its units stay finite). */
  std: number;
}

/**
 * Mean and standard deviation of a taste's scores — over the base model's held-out videos, they
 * are the units of a simulated person's noise and tie margin, and of the taste shift.
 */
export function tasteSpread(scores: readonly number[]): TasteSpread {
  const m = mean(scores);
  const variance = scores.reduce((a, s) => a + (s - m) ** 2, 0) / Math.max(1, scores.length - 1);
  const std = Math.sqrt(variance);
  return { mean: m, std: std > 0 && Number.isFinite(std) ? std : 1 };
}
