// Detectors: name the colour, shape, action (and background) of a video from its pixels, using
// the per-frame measurements of segment.ts. They score the model's videos, so each threshold
// below sits between what the renderer produces for the intended label and what it produces
// for the nearest other label, with room for a generated video's imperfections.
import { labChroma, nearestBackground, nearestColour, rgbToLab } from './colour';
import { mean, median } from './math';
import { detectObject, MIN_SYMMETRY, orientationOf, type FrameObject, type ObjectTrack } from './segment';
import type { Action, Background, Colour, Rgb, Shape } from './vocab';
import type { Video } from './video';

export { detectObject, type FrameObject, type ObjectTrack } from './segment';

/** Every detector takes a video, or the track detectObject already computed for it (to share the work). */
export type DetectInput = Video | ObjectTrack;

export function trackOf(input: DetectInput): ObjectTrack {
  return Array.isArray(input) ? input : detectObject(input);
}

export function foundFrames(track: ObjectTrack): FrameObject[] {
  return track.filter((frame) => frame.found);
}

// ---------------------------------------------------------------------------------------------
// Colour

/**
 * An object this grey (Lab chroma; the palette's chroma is ≥ 80) has no colour name: answering
 * the nearest hue would credit a washed-out video with a colour it does not show.
 */
const MIN_CHROMA = 20;
/**
 * Farther than this (labDistance) from every palette colour, the object is some other colour
 * (palette neighbours are ≥ 41 apart). "Slightly wrong" colours stay in: shifting any palette
 * colour by ±0.1 per channel lands ≤ 34 from it, always nearest to its own name.
 */
const MAX_COLOUR_DISTANCE = 50;

/** Nearest palette colour (in Lab) of the object's mean core colour over the frames, or null. */
export function detectColour(input: DetectInput): Colour | null {
  const frames = foundFrames(trackOf(input));
  if (frames.length === 0) return null;
  const channel = (c: number) => mean(frames.map((frame) => frame.rgb[c]));
  const objectRgb: Rgb = [channel(0), channel(1), channel(2)];
  if (labChroma(rgbToLab(objectRgb)) < MIN_CHROMA) return null;
  const nearest = nearestColour(objectRgb);
  return nearest.distance <= MAX_COLOUR_DISTANCE ? nearest.name : null;
}

/** Nearest background name of the median estimated background over the frames. */
export function detectBackground(input: DetectInput): Background {
  const track = trackOf(input);
  const channel = (c: number) => median(track.map((frame) => frame.background[c]));
  return nearestBackground([channel(0), channel(1), channel(2)]).name;
}

// ---------------------------------------------------------------------------------------------
// Shape

/**
 * Symmetry scores are 1 for the ideal shape and ~0 for a disc. At 32×32, clean renders measure
 * circles ≤ 0.05 and triangles/squares ≥ 0.97; a 3×3 blur plus σ = 0.1 noise lowers the latter
 * to ≥ ~0.6 (small size) and raises circles to ≤ ~0.2. MIN_SYMMETRY (0.35) splits the two. (At
 * 16×16 the same blur spans a third of a small shape and shape accuracy drops to ~85 %.)
 */
export function detectShape(input: DetectInput): Shape | null {
  const scores = shapeScores(trackOf(input));
  if (!scores) return null;
  if (Math.max(scores.triangle, scores.square) < MIN_SYMMETRY) return 'circle';
  return scores.triangle >= scores.square ? 'triangle' : 'square';
}

/**
 * Mean symmetry scores over the larger half of the found frames: small frames (a shrinking
 * shape's end, a shape half out of the frame) carry the least reliable moments.
 */
function shapeScores(track: ObjectTrack): { triangle: number; square: number } | null {
  const frames = foundFrames(track).sort((a, b) => b.area - a.area);
  if (frames.length === 0) return null;
  const used = frames.slice(0, Math.max(1, Math.ceil(frames.length / 2)));
  return {
    triangle: mean(used.map((f) => f.symmetry.triangle)),
    square: mean(used.map((f) => f.symmetry.square)),
  };
}

// ---------------------------------------------------------------------------------------------
// Action

/**
 * Net displacement (fraction of the frame) that counts as "moves …". The renderer's slowest move
 * measures ≥ 0.23; a growing or rotating object's centroid drifts ≤ 0.01 (pixelation), so 0.12
 * (~4 px at 32×32, 2 px at 16×16) sits halfway, leaving room for a sloppy generated video.
 */
const MIN_MOVE = 0.12;
/**
 * Vertical excursion (fraction of the frame) of an interior extreme beyond both end points that
 * makes a bounce. The shallowest rendered bounce (slowly, 4 frames sampled at the worst phase)
 * shows ~0.11; monotonic motion shows ~0. It must also dominate the net vertical displacement
 * (so "moves down" with a wobble stays a move) and the horizontal one.
 */
const MIN_BOUNCE = 0.06;
/**
 * Area ratio last/first (fitted) for grows, and its inverse for shrinks. Rendered growth measures ≥ ×3 in
 * area at 32×32 (≥ ×2.2 at 16×16, where the smallest shapes pixelate); moving, bouncing and
 * rotating objects change area by ≤ ×1.3 (clipped at the frame edge), so 1.5 sits between.
 */
const MIN_GROWTH = 1.5;
/**
 * Accumulated rotation (degrees) for "rotates". The renderer turns ≥ 60° over a clip (measured
 * ≥ 60.2°); a still square or triangle measures 0° clean and a few degrees under noise, so half
 * of 60° separates them.
 */
const MIN_ROTATION_DEGREES = 30;

/** The action best explaining the object's trajectory, or null (no object, or nothing happens). */
export function detectAction(input: DetectInput): Action | null {
  const track = trackOf(input);
  const frames = foundFrames(track);
  if (frames.length < 2) return null;
  // Net changes over the clip from least-squares trends rather than first-vs-last frame, so one
  // badly segmented frame at either end of a generated video cannot flip the answer.
  const times = track.flatMap((frame, f) => (frame.found ? [f] : []));
  const dx = netChange(times, frames.map((f) => f.cx));
  const dy = netChange(times, frames.map((f) => f.cy));

  const bounce = verticalExcursion(frames.map((f) => f.cy));
  if (bounce >= MIN_BOUNCE && bounce >= 0.5 * Math.abs(dy) && bounce >= Math.abs(dx)) return 'bounces';

  if (Math.max(Math.abs(dx), Math.abs(dy)) >= MIN_MOVE) {
    if (Math.abs(dx) >= Math.abs(dy)) return dx < 0 ? 'moves left' : 'moves right';
    return dy < 0 ? 'moves up' : 'moves down';
  }

  // Growth is geometric (a constant ratio per frame), so its trend is linear in log-area.
  const growth = Math.exp(netChange(times, frames.map((f) => Math.log(f.area))));
  if (growth >= MIN_GROWTH) return 'grows';
  if (growth <= 1 / MIN_GROWTH) return 'shrinks';

  // Position and size are stable. A disc's rotation cannot be seen, so stability is all a
  // rotating circle can show; a square or triangle must visibly turn.
  const order = symmetryOrder(detectShape(track));
  if (order === null) return 'rotates';
  const degrees = (Math.abs(accumulatedRotation(frames, order)) * 180) / Math.PI;
  return degrees >= MIN_ROTATION_DEGREES ? 'rotates' : null;
}

/** Least-squares slope of values over times, times the time span: the fitted first-to-last change. */
function netChange(times: number[], values: number[]): number {
  const tMean = mean(times);
  const vMean = mean(values);
  let covariance = 0;
  let variance = 0;
  times.forEach((t, i) => {
    covariance += (t - tMean) * (values[i] - vMean);
    variance += (t - tMean) ** 2;
  });
  return variance > 0 ? (covariance / variance) * (times[times.length - 1] - times[0]) : 0;
}

/**
 * How far an interior extreme of `ys` lies beyond both end points (the smaller of the two
 * margins), for the lowest and the highest interior point; 0 for monotonic paths.
 */
function verticalExcursion(ys: number[]): number {
  if (ys.length < 3) return 0;
  const interior = ys.slice(1, -1);
  const start = ys[0];
  const end = ys[ys.length - 1];
  const lowest = Math.max(...interior); // y points down: the largest y is the lowest point
  const highest = Math.min(...interior);
  const downThenUp = Math.min(lowest - start, lowest - end);
  const upThenDown = Math.min(start - highest, end - highest);
  return Math.max(0, downThenUp, upThenDown);
}

/**
 * Signed frame-to-frame rotations (radians) of a k-fold symmetric shape. Its pose is only
 * defined modulo 2π/k, so each step is unwrapped to the nearest equivalent; the renderer keeps
 * steps ≤ 30°, well inside the ±45° a square allows.
 */
export function rotationSteps(frames: FrameObject[], order: 3 | 4): number[] {
  const phase = (f: FrameObject) => orientationOf(order === 3 ? f.moment3 : f.moment4, 1); // k·θ
  return frames.slice(1).map((frame, i) => wrapAngle(phase(frame) - phase(frames[i])) / order);
}

/** Total signed rotation (radians) across the frames. */
export function accumulatedRotation(frames: FrameObject[], order: 3 | 4): number {
  return rotationSteps(frames, order).reduce((sum, step) => sum + step, 0);
}

/** The symmetry order whose moment carries the pose of a detected shape (null: a disc has none). */
export function symmetryOrder(shape: Shape | null): 3 | 4 | null {
  return shape === 'triangle' ? 3 : shape === 'square' ? 4 : null;
}

/** Angle wrapped into (−π, π]. */
export function wrapAngle(angle: number): number {
  const wrapped = angle - 2 * Math.PI * Math.floor((angle + Math.PI) / (2 * Math.PI));
  return wrapped === -Math.PI ? Math.PI : wrapped;
}
