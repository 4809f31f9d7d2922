// Video metrics in the spirit of VBench (Huang et al., 2024), computed from the detectors'
// per-frame measurements instead of DINO/CLIP/RAFT features: prompt alignment (colour, shape,
// action), subject and background consistency, motion smoothness, temporal flicker, dynamic
// degree. Every value is in [0, 1]; higher is better except temporalFlicker (lower is better)
// and dynamicDegree (amount of motion, neither good nor bad by itself).
import { labDistance, rgbToLab } from './colour';
import {
  detectAction,
  detectColour,
  detectObject,
  detectShape,
  foundFrames,
  rotationSteps,
  symmetryOrder,
  type ObjectTrack,
} from './detect';
import { clamp01, mean } from './math';
import { frameRgb, MAX_BACKGROUND_SPREAD, type FrameObject } from './segment';
import type { PromptSpec } from './prompt';
import type { Video } from './video';

export interface VideoMetrics {
  colourCorrect: 0 | 1;
  shapeCorrect: 0 | 1;
  actionCorrect: 0 | 1;
  /** Fraction of frames in which an object was found. */
  objectFound: number;
  /** Similarity of the object's colour and shape descriptor between consecutive frames. */
  subjectConsistency: number;
  /**
   * Similarity of each frame's background colour to the first and the previous frame's; a frame
   * whose background is not flat (a field of noise) has no background to be consistent with.
   */
  backgroundConsistency: number;
  /** 1 − how badly each centroid is predicted by its neighbours' midpoint (a frame interpolator). */
  motionSmoothness: number;
  /**
   * Mean absolute frame-to-frame change of the pixels outside the object's mask (lower is
   * better): of every pixel in frames without a found object, so noise is measured everywhere.
   */
  temporalFlicker: number;
  /** Amount of motion: centroid travel, size change and rotation per frame (neutral). */
  dynamicDegree: number;
}

export type MetricKey = keyof VideoMetrics;

export const METRIC_KEYS: readonly MetricKey[] = [
  'colourCorrect',
  'shapeCorrect',
  'actionCorrect',
  'objectFound',
  'subjectConsistency',
  'backgroundConsistency',
  'motionSmoothness',
  'temporalFlicker',
  'dynamicDegree',
];

/** Colour change (labDistance) at which two frames' subjects count as fully different: a palette step is ≥ 41. */
const SUBJECT_COLOUR_SCALE = 50;
/** Spread change that counts as a full shape change: twice the disc→triangle difference (0.159 → 0.192). */
const SUBJECT_SPREAD_SCALE = 0.066;
/** Background colour change (labDistance) that counts as a different background: gray↔white is ~23. */
const BACKGROUND_COLOUR_SCALE = 25;
/**
 * Background spread (ObjectEvidence.backgroundSpread) at which a frame has no background left to
 * be consistent: pure noise measures ≥ 0.44. From MAX_BACKGROUND_SPREAD (0.2, where objects stop
 * being found; blurred+noisy renders measure ≤ 0.09, clean ones 0) up to here a frame's
 * background similarity fades linearly to 0, so noisier backgrounds rank lower without a cliff.
 */
const NO_BACKGROUND_SPREAD = 0.4;
/**
 * Interpolation error (fraction of the frame) that counts as no smoothness at all: a centroid
 * a quarter of the frame away from its neighbours' midpoint has teleported. A clean bounce (a
 * real velocity reversal at the floor) scores ~0.8, linear motion 1.
 */
const SMOOTHNESS_SCALE = 0.25;
/**
 * Flicker (mean |Δ| of [0,1] pixel values) that maps to 1: a tenth of the range. Independent
 * σ = 0.1 noise on [-1,1] pixels reads ~0.56, a clean render 0.
 */
const FLICKER_SCALE = 0.1;
/**
 * Dynamic degree = 1 − exp(−motion / DYNAMIC_SCALE), motion per frame step = centroid travel
 * + ¼·|Δ ln area| + ⅙·|Δ angle| (radians). The weights put the renderer's actions on a common
 * footing (a default move, growth and rotation each give ~0.045–0.07 per step), and the scale
 * maps them to ~0.6–0.75; a static video (or a rotating disc) gets ~0.
 */
const DYNAMIC_SCALE = 0.05;
const DYNAMIC_AREA_WEIGHT = 0.25;
const DYNAMIC_ANGLE_WEIGHT = 1 / 6;

/** `track`: the video's detectObject() when the caller already has it (segmentation is the costly part). */
export function videoMetrics(video: Video, spec: PromptSpec, track: ObjectTrack = detectObject(video)): VideoMetrics {
  const shape = detectShape(track);
  return {
    colourCorrect: detectColour(track) === spec.colour ? 1 : 0,
    shapeCorrect: shape === spec.shape ? 1 : 0,
    actionCorrect: detectAction(track) === spec.action ? 1 : 0,
    objectFound: foundFrames(track).length / Math.max(1, track.length),
    subjectConsistency: subjectConsistency(track),
    backgroundConsistency: backgroundConsistency(track),
    motionSmoothness: motionSmoothness(track),
    temporalFlicker: temporalFlicker(video, track),
    dynamicDegree: dynamicDegree(track, symmetryOrder(shape)),
  };
}

/** Mean over consecutive frame pairs; a pair where the object is missing in either frame scores 0. */
function subjectConsistency(track: ObjectTrack): number {
  if (track.length < 2) return track[0]?.found ? 1 : 0;
  const similarity = (a: FrameObject, b: FrameObject) => {
    if (!a.found || !b.found) return 0;
    const colour = 1 - labDistance(rgbToLab(a.rgb), rgbToLab(b.rgb)) / SUBJECT_COLOUR_SCALE;
    // Size is left out on purpose: "grows" changes it by design, like a DINO feature ignores scale.
    const shape =
      1 -
      0.5 * (Math.abs(a.symmetry.triangle - b.symmetry.triangle) + Math.abs(a.symmetry.square - b.symmetry.square)) -
      Math.abs(a.spread - b.spread) / SUBJECT_SPREAD_SCALE;
    return clamp01(colour) * clamp01(shape);
  };
  return mean(track.slice(1).map((frame, i) => similarity(track[i], frame)));
}

/**
 * VBench-style: each frame's background colour against the first (drift) and the previous
 * (jumps), each pair weighted by the flatness of the less flat of its two backgrounds: the
 * median colour of noise frames is the same grey every time, which is not consistency.
 */
function backgroundConsistency(track: ObjectTrack): number {
  const colours = track.map((frame) => rgbToLab(frame.background));
  if (colours.length < 2) return 1;
  const flatness = track.map((frame) =>
    clamp01((NO_BACKGROUND_SPREAD - frame.evidence.backgroundSpread) / (NO_BACKGROUND_SPREAD - MAX_BACKGROUND_SPREAD)),
  );
  const similarity = (i: number, j: number) =>
    clamp01(1 - labDistance(colours[i], colours[j]) / BACKGROUND_COLOUR_SCALE) * Math.min(flatness[i], flatness[j]);
  return mean(colours.slice(1).map((_, k) => 0.5 * (similarity(k + 1, 0) + similarity(k + 1, k))));
}

/**
 * Frame-interpolation error of the centroid (VBench predicts frame f from f−1 and f+1 and
 * measures the error): |c_f − (c_{f−1} + c_{f+1})/2| over triples where all three are found.
 * No such triple (no object to follow) scores 0.
 */
function motionSmoothness(track: ObjectTrack): number {
  if (track.length < 3) return 1; // nothing can be unsmooth in two frames
  const errors: number[] = [];
  for (let f = 1; f + 1 < track.length; f++) {
    const [a, b, c] = [track[f - 1], track[f], track[f + 1]];
    if (!(a.found && b.found && c.found)) continue;
    errors.push(Math.hypot(b.cx - (a.cx + c.cx) / 2, b.cy - (a.cy + c.cy) / 2));
  }
  return errors.length === 0 ? 0 : clamp01(1 - mean(errors) / SMOOTHNESS_SCALE);
}

/**
 * Mean |Δ| of pixels that are background in both frames of each consecutive pair, scaled. A
 * not-found frame masks nothing out, so a frame of noise is measured everywhere; a pair whose
 * masks leave no background at all is measured on all its pixels rather than skipped (skipping
 * would score a video that is nothing but change as flicker-free).
 */
function temporalFlicker(video: Video, track: ObjectTrack): number {
  if (track.length < 2) return 0;
  const changes: number[] = [];
  let previous = frameRgb(video, 0);
  for (let f = 1; f < track.length; f++) {
    const current = frameRgb(video, f);
    const change = (includeMasked: boolean) => {
      let sum = 0;
      let count = 0;
      for (let p = 0; p < track[f].mask.length; p++) {
        if (!includeMasked && (track[f].mask[p] || track[f - 1].mask[p])) continue;
        for (let c = 0; c < 3; c++) sum += Math.abs(current[3 * p + c] - previous[3 * p + c]);
        count += 3;
      }
      return count > 0 ? sum / count : NaN;
    };
    const background = change(false);
    changes.push(Number.isNaN(background) ? change(true) : background);
    previous = current;
  }
  return clamp01(mean(changes) / FLICKER_SCALE);
}

function dynamicDegree(track: ObjectTrack, order: 3 | 4 | null): number {
  const frames = foundFrames(track);
  if (frames.length < 2) return 0;
  const rotations = order === null ? frames.slice(1).map(() => 0) : rotationSteps(frames, order);
  const motion = frames.slice(1).map((frame, i) => {
    const previous = frames[i];
    const travel = Math.hypot(frame.cx - previous.cx, frame.cy - previous.cy);
    const growth = Math.abs(Math.log(frame.area / previous.area));
    return travel + DYNAMIC_AREA_WEIGHT * growth + DYNAMIC_ANGLE_WEIGHT * Math.abs(rotations[i]);
  });
  return 1 - Math.exp(-mean(motion) / DYNAMIC_SCALE);
}

// ---------------------------------------------------------------------------------------------
// Aggregation and the scalar quality score

export type AggregateMetrics = Record<MetricKey, number> & { count: number };

/** Mean of each metric over a list (NaN means when the list is empty). */
export function aggregateMetrics(list: readonly VideoMetrics[]): AggregateMetrics {
  const result = { count: list.length } as AggregateMetrics;
  for (const key of METRIC_KEYS) result[key] = list.length === 0 ? NaN : mean(list.map((m) => m[key]));
  return result;
}

export type QualityWeights = Record<MetricKey, number>;

/**
 * Default weights: prompt alignment (colour, shape, action) 0.65 of the score, because a video
 * of the wrong thing is wrong however smooth; presence 0.1; visual quality 0.25. Dynamic degree
 * weighs 0: more motion is not better in itself (the action term already asks for the right one).
 */
export const DEFAULT_QUALITY_WEIGHTS: Readonly<QualityWeights> = {
  colourCorrect: 0.2,
  shapeCorrect: 0.2,
  actionCorrect: 0.25,
  objectFound: 0.1,
  subjectConsistency: 0.06,
  backgroundConsistency: 0.05,
  motionSmoothness: 0.06,
  temporalFlicker: 0.08,
  dynamicDegree: 0,
};

/** Weighted mean of the metrics in [0, 1], flicker counted as (1 − flicker). */
export function qualityScore(metrics: VideoMetrics, weights: Partial<QualityWeights> = {}): number {
  const w = { ...DEFAULT_QUALITY_WEIGHTS, ...weights };
  let total = 0;
  let weightSum = 0;
  for (const key of METRIC_KEYS) {
    const value = key === 'temporalFlicker' ? 1 - metrics[key] : metrics[key];
    total += w[key] * value;
    weightSum += w[key];
  }
  return weightSum > 0 ? total / weightSum : 0;
}
