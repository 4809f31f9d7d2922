// What a perception front end sees in a video, as a fixed vector of plain numbers: the object's
// track (presence, size, position, travel, steadiness, rotation, colour) and pixel statistics
// (brightness, motion energy, flicker). It is taste-agnostic — the same numbers whatever a person
// prefers — and stands in for the pretrained video encoder a real reward model starts from
// (OnlineVPO's VideoScore, IPO's VLM critic): the critic (src/engine/critic.ts) learns which of
// them matter to a person from a few hundred judgments, which a network on raw pixels cannot.
import { foundFrames, rotationSteps, type ObjectTrack } from './detect';
import { mean } from './math';
import type { Video } from './video';

export const DESCRIPTOR_NAMES = [
  'found', 'area', 'areaStd', 'growth', 'travel', 'travelStd', 'acceleration', 'centreDistance', 'offsetX', 'offsetY',
  'rotation3', 'rotation4', 'objectR', 'objectG', 'objectB', 'luminance', 'backgroundLuminance', 'motionEnergy', 'flickerEnergy',
] as const;

export const DESCRIPTOR_SIZE = DESCRIPTOR_NAMES.length;

/** Distance from the frame centre a frame without an object counts as (a corner is 0.71). */
const LOST_DISTANCE = Math.SQRT1_2;

/**
 * The object centroid's mean distance from the frame centre (the `centred` taste is minus this);
 * frames without an object count as far away, so a vanishing object is not "centred".
 */
export function centreDistance(track: ObjectTrack): number {
  return mean(track.map((f) => (f.found ? Math.hypot(f.cx - 0.5, f.cy - 0.5) : LOST_DISTANCE)));
}

const std = (xs: readonly number[]) => {
  if (xs.length < 2) return 0;
  const m = mean(xs);
  return Math.sqrt(xs.reduce((a, x) => a + (x - m) ** 2, 0) / xs.length);
};

const meanOr0 = (xs: readonly number[]) => (xs.length ? mean(xs) : 0);

const luma = (r: number, g: number, b: number) => 0.2126 * r + 0.7152 * g + 0.0722 * b;

/** The descriptor of a video (its track from detectObject), DESCRIPTOR_NAMES in order; always finite. */
export function videoDescriptor(video: Video, track: ObjectTrack): Float32Array {
  const found = foundFrames(track);
  const steps = found.slice(1).map((f, i) => [f.cx - found[i].cx, f.cy - found[i].cy]);
  const travel = steps.map(([dx, dy]) => Math.hypot(dx, dy));
  const accel = steps.slice(1).map(([dx, dy], i) => Math.hypot(dx - steps[i][0], dy - steps[i][1]));
  const growth = found.slice(1).map((f, i) => Math.abs(Math.log(Math.max(f.area, 1e-6) / Math.max(found[i].area, 1e-6))));
  const rotation = (order: 3 | 4) => (found.length < 2 ? 0 : mean(rotationSteps(found, order).map(Math.abs)));
  const or0 = (x: number) => (Number.isFinite(x) ? x : 0);
  // Pixels: mean luminance, mean |frame − previous frame| (motion) and |second difference| (flicker).
  const { frames, height, width, data } = video;
  const n = height * width * 3;
  let lum = 0;
  let motion = 0;
  let flicker = 0;
  for (let f = 0; f < frames; f++) {
    for (let i = f * n; i < (f + 1) * n; i += 3) lum += luma(data[i], data[i + 1], data[i + 2]);
    if (f >= 1) for (let i = f * n; i < (f + 1) * n; i++) motion += Math.abs(data[i] - data[i - n]);
    if (f >= 2) for (let i = f * n; i < (f + 1) * n; i++) flicker += Math.abs(data[i] - 2 * data[i - n] + data[i - 2 * n]);
  }
  const values = [
    found.length / Math.max(1, track.length),
    meanOr0(found.map((f) => f.area)),
    std(found.map((f) => f.area)),
    meanOr0(growth),
    meanOr0(travel),
    std(travel),
    meanOr0(accel),
    centreDistance(track),
    meanOr0(found.map((f) => f.cx - 0.5)),
    meanOr0(found.map((f) => f.cy - 0.5)),
    rotation(3),
    rotation(4),
    ...[0, 1, 2].map((c) => meanOr0(found.map((f) => f.rgb[c]))),
    lum / (frames * height * width),
    meanOr0(found.map((f) => luma(f.background[0], f.background[1], f.background[2]))),
    frames > 1 ? motion / ((frames - 1) * n) : 0,
    frames > 2 ? flicker / ((frames - 2) * n) : 0,
  ];
  return Float32Array.from(values, or0);
}
