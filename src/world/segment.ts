// Per-frame object segmentation and measurement, from pixels only. This is the shared front end
// of the detectors (detect.ts) and the metrics (metrics.ts); it has to work on the model's
// imperfect videos — blurred edges, pixel noise, slightly wrong colours, stray blobs — not only
// on clean renders.
//
// Per frame:
//   1. background = per-channel median of the border ring (objects stay mostly inside the frame,
//      so the median of the border is background even when the object touches an edge);
//   2. object pixels = colour distance to the background above half of the object's contrast
//      (a half-contrast contour is where an antialiased or blurred edge really lies) and above a
//      noise floor; keep the largest 8-connected component (a stray blob or hot pixel loses);
//   3. soft coverage α of every pixel near the component, by projecting its colour onto the
//      background→object colour line (blur and antialiasing are linear mixes along that line);
//   4. α-weighted moments: area, centroid, and the complex moments Σα·z³ and Σα·z⁴, whose
//      magnitudes measure 3-fold (triangle) and 4-fold (square) symmetry independent of
//      rotation, and which an isotropic blur leaves unchanged.
//
// Between 2 and 3 the component must show that it is ONE coherent object on a flat background
// (ObjectEvidence): otherwise the largest component of pure noise or of a scatter of patches is
// "an object" too, and `found` feeds the eval gate "object found ≥ 95 %", which is there to
// certify that an early-training model has stopped drawing noise, smears and scatters.
import { median, percentile } from './math';
import type { Rgb } from './vocab';
import type { Video } from './video';

export interface FrameObject {
  /**
   * Whether one sizeable, solid object stands out from a flat, otherwise empty background in
   * this frame (see ObjectEvidence); the measurements below are only meaningful when it does.
   */
  found: boolean;
  /** Object area (sum of soft coverage) as a fraction of the frame. */
  area: number;
  /** Centroid as a fraction of width (x) and height (y); y points down. NaN when not found. */
  cx: number;
  cy: number;
  /** Bounding box of the object's pixels, as fractions of width/height (x1, y1 exclusive). */
  bbox: { x0: number; y0: number; x1: number; y1: number };
  /** Object colour (sRGB in [0,1]) from its most contrasted pixels, robust to blurred edges. */
  rgb: Rgb;
  /** Estimated background colour (sRGB in [0,1]). */
  background: Rgb;
  /**
   * Rotation-invariant symmetry strengths: |Σα z³| and |Σα z⁴| normalised so that an ideal
   * triangle scores triangle ≈ 1 and an ideal square square ≈ 1; a disc scores ≈ 0 on both.
   */
  symmetry: { triangle: number; square: number };
  /** The same moments as complex numbers [re, im] (normalised alike); their phase is the pose. */
  moment3: [number, number];
  moment4: [number, number];
  /**
   * Orientation in radians of the stronger of the two symmetries (arg/3 for a triangle, arg/4
   * for a square), NaN when neither is observable (a disc, or no object).
   */
  orientation: number;
  /**
   * Scale-invariant spread Σα|z|² / area² (disc 0.159, square 0.167, triangle 0.192): together
   * with the symmetries, the shape descriptor that subject consistency compares across frames.
   */
  spread: number;
  /** Pixels the object may touch (the component grown by one pixel), row-major H×W, 1 = object. */
  mask: Uint8Array;
  /** What `found` was decided on; kept for not-found frames too, so a report can say why. */
  evidence: ObjectEvidence;
}

/**
 * The tests a component passes to count as one coherent object on a flat background. Fields a
 * frame did not get as far as measuring are NaN (no component: solidity and clutter).
 */
export interface ObjectEvidence {
  /** Fraction of the frame outside the mask: the background the object stands on. */
  backgroundFraction: number;
  /**
   * Median colour distance (RGB in [0,1]) of the background pixels (those outside the mask; all
   * pixels when there is no component, or nothing outside it) to the estimated background
   * colour: how far from flat the background is.
   */
  backgroundSpread: number;
  /** Fraction of the lattice points (pixel centres) of the component's convex hull that it holds. */
  solidity: number;
  /**
   * Pixels outside the mask that differ from the background (after 3×3 averaging, see
   * localContrast) per pixel of the component: the coloured stuff that is not the object.
   */
  clutter: number;
}

/**
 * Colour distance (RGB in [0,1]) below which a pixel is never object: 3σ of the distance that
 * σ = 0.1 noise on [-1,1] pixels (0.05 per channel in [0,1]) produces, so only ~3 % of pure-noise
 * pixels pass and they form no sizeable component. Every palette colour is ≥ 0.45 away from
 * every background, so real objects clear it easily.
 */
const NOISE_FLOOR = 0.15;
/** Object pixels are those above this fraction of the object's contrast: the half-coverage contour. */
const CONTOUR_LEVEL = 0.5;
/** "The object's contrast": this percentile of a region's contrasts (its maximum is noise-inflated). */
const PEAK_PERCENTILE = 0.9;
/**
 * A component smaller than this is noise, not an object: 6 px at 32×32, 4 px at 16×16 (the
 * smallest rendered object, a small circle at 16×16, covers ~8 px).
 */
const MIN_OBJECT_FRACTION = 0.006;
const MIN_OBJECT_PIXELS = 4;
/** Core pixels (for the object colour) reach this fraction of the object's contrast. */
const CORE_LEVEL = 0.8;
/**
 * Ideal |moment3| of an equilateral triangle and |moment4| of a square (continuous shapes,
 * normalised by area^2.5 and area^3): dividing by them puts both symmetry scores on one scale.
 */
const TRIANGLE_MOMENT3 = 0.06754;
const SQUARE_MOMENT4 = 1 / 60;
/** Below this symmetry score the pose is not observable (a disc's scores are ~0.05). */
export const MIN_SYMMETRY = 0.35;

// What makes a component one object on a flat background (ObjectEvidence). The numbers below
// are per frame, over 200 videos each of clean renders and of renders through a 3×3 blur plus
// σ = 0.1 noise (8×32×32 and 4×16×16), against 30 videos of pure noise (N(0,1) clamped to
// [-1,1]) and 60 of scatters (five discs of radius 1.5–3.5 px at 32×32, half that at 16×16, in
// random colours at random places on a flat random background).
/**
 * The largest grown shape leaves ≥ 45 % of a 32×32 frame (≥ 32 % at 16×16) outside its mask;
 * a noise field's component and margin leave ≤ 0.1 %: a field, not a figure on a ground.
 */
export const MIN_BACKGROUND_FRACTION = 0.25;
/**
 * Background spread follows pixel noise, ~0.77 σ (σ on [-1,1] pixels, three channels): 0 on
 * clean renders, ≤ 0.09 through blur + σ = 0.1 noise, ≤ 0.13 under σ = 0.15 noise, ≥ 0.44 in
 * pure noise. 0.2 (σ ≈ 0.26) is over twice the blurred+noisy value and under half of pure noise.
 */
export const MAX_BACKGROUND_SPREAD = 0.2;
/**
 * Solidity is exactly 1 on every clean render (a half-coverage digitisation of a convex shape
 * is digitally convex: that is why it counts lattice points, not hull area, which would mark
 * small shapes ragged for their staircase edges); blur + noise lowers it to ≥ 0.88 at 32×32 and
 * ≥ 0.81 at 16×16 (a few ragged pixels on a small shape). An L, a crescent, a ring or a plus
 * measure 0.62–0.71, scatter patches that merged into one component ≥ 0.55; two overlapping
 * discs (0.95) pass as one blob. (A noise field measures 0.8–0.93: the two tests above reject it.)
 */
export const MIN_SOLIDITY = 0.75;
/**
 * Clutter is 0 on clean renders, ≤ 0.09 through blur + σ = 0.1 noise; a small square pasted
 * next to a big circle (the "larger of two blobs" test) measures ≤ 0.39; scatters measure 2.5 in
 * the median frame and reject 98 % of frames (the rest: two or three patches merged into one
 * blob that dwarfs the others). At 0.5 the object holds at least two thirds of what
 * differs from the background.
 */
export const MAX_CLUTTER = 0.5;

export type ObjectTrack = FrameObject[];

/** Segment and measure the object in every frame. */
export function detectObject(video: Video): ObjectTrack {
  return Array.from({ length: video.frames }, (_, f) => analyseFrame(video, f));
}

function analyseFrame(video: Video, f: number): FrameObject {
  const { height, width } = video;
  const pixels = height * width;
  const rgb = frameRgb(video, f);
  const background = borderMedian(rgb, height, width);

  // 2. Contrast map; the object's contrast level comes from the largest region above the noise
  // floor (not the frame's maximum, which a few hot pixels in a generated frame would set),
  // then the half-contrast component of that level is the object.
  const contrast = new Float32Array(pixels);
  for (let p = 0; p < pixels; p++) {
    contrast[p] = Math.hypot(rgb[3 * p] - background[0], rgb[3 * p + 1] - background[1], rgb[3 * p + 2] - background[2]);
  }
  const minPixels = Math.max(MIN_OBJECT_PIXELS, MIN_OBJECT_FRACTION * pixels);
  const noComponent = () => notFound(background, pixels, noComponentEvidence(contrast));
  const region = largestComponent(contrast, NOISE_FLOOR, height, width);
  if (region.length < minPixels) return noComponent();
  const level = percentile(region.map((p) => contrast[p]), PEAK_PERCENTILE);
  const threshold = Math.max(NOISE_FLOOR, CONTOUR_LEVEL * level);
  const component = largestComponent(contrast, threshold, height, width);
  if (component.length < minPixels) return noComponent();
  const mask = dilate(component, height, width);

  // Is it one coherent object on a flat background?
  const evidence = objectEvidence(rgb, background, contrast, component, mask, height, width);
  if (!isObject(evidence)) return notFound(background, pixels, evidence);

  // Object colour: mean of the component's most contrasted pixels (blurred edges excluded).
  const reference = percentile(component.map((p) => contrast[p]), PEAK_PERCENTILE);
  const objectRgb = meanRgb(rgb, component.filter((p) => contrast[p] >= CORE_LEVEL * reference));

  // 3. Soft coverage on the mask: the component grown by one pixel (where blur/antialiasing spill).
  const axis = [objectRgb[0] - background[0], objectRgb[1] - background[1], objectRgb[2] - background[2]];
  const axisNorm2 = axis[0] ** 2 + axis[1] ** 2 + axis[2] ** 2 || 1;
  const alpha = new Float32Array(pixels);
  for (let p = 0; p < pixels; p++) {
    if (!mask[p]) continue;
    const projection =
      (rgb[3 * p] - background[0]) * axis[0] +
      (rgb[3 * p + 1] - background[1]) * axis[1] +
      (rgb[3 * p + 2] - background[2]) * axis[2];
    // Unclamped in [−0.5, 1.5]: noise then averages out instead of biasing area upwards; the
    // guard only stops a differently coloured neighbour from dominating.
    alpha[p] = Math.min(1.5, Math.max(-0.5, projection / axisNorm2));
  }

  // 4. Moments (pixel units, pixel centres at +0.5).
  const m = moments(alpha, mask, width);
  if (m.area <= 0) return notFound(background, pixels, evidence);
  const moment3: [number, number] = [m.m3[0] / TRIANGLE_MOMENT3, m.m3[1] / TRIANGLE_MOMENT3];
  const moment4: [number, number] = [m.m4[0] / SQUARE_MOMENT4, m.m4[1] / SQUARE_MOMENT4];
  const symmetry = { triangle: Math.hypot(...moment3), square: Math.hypot(...moment4) };
  let orientation = NaN;
  if (Math.max(symmetry.triangle, symmetry.square) >= MIN_SYMMETRY) {
    orientation = symmetry.triangle >= symmetry.square ? orientationOf(moment3, 3) : orientationOf(moment4, 4);
  }

  let x0 = width;
  let y0 = height;
  let x1 = 0;
  let y1 = 0;
  for (const p of component) {
    const x = p % width;
    const y = (p - x) / width;
    x0 = Math.min(x0, x);
    x1 = Math.max(x1, x + 1);
    y0 = Math.min(y0, y);
    y1 = Math.max(y1, y + 1);
  }

  return {
    found: true,
    area: m.area / pixels,
    cx: m.cx / width,
    cy: m.cy / height,
    bbox: { x0: x0 / width, y0: y0 / height, x1: x1 / width, y1: y1 / height },
    rgb: objectRgb,
    background,
    symmetry,
    moment3,
    moment4,
    orientation,
    spread: m.spread,
    mask,
    evidence,
  };
}

/** Pose angle (radians) of a k-fold symmetric shape from its normalised complex k-th moment. */
export function orientationOf(moment: [number, number], order: number): number {
  return Math.atan2(moment[1], moment[0]) / order;
}

function notFound(background: Rgb, pixels: number, evidence: ObjectEvidence): FrameObject {
  return {
    found: false,
    area: 0,
    cx: NaN,
    cy: NaN,
    bbox: { x0: 0, y0: 0, x1: 0, y1: 0 },
    rgb: background,
    background,
    symmetry: { triangle: 0, square: 0 },
    moment3: [0, 0],
    moment4: [0, 0],
    orientation: NaN,
    spread: 0,
    mask: new Uint8Array(pixels),
    evidence,
  };
}

function isObject(e: ObjectEvidence): boolean {
  return (
    e.backgroundFraction >= MIN_BACKGROUND_FRACTION &&
    e.backgroundSpread <= MAX_BACKGROUND_SPREAD &&
    e.solidity >= MIN_SOLIDITY &&
    e.clutter <= MAX_CLUTTER
  );
}

/** Evidence of a frame without a sizeable component: all of it is background. */
function noComponentEvidence(contrast: Float32Array): ObjectEvidence {
  return { backgroundFraction: 1, backgroundSpread: fastMedian(contrast), solidity: NaN, clutter: NaN };
}

/** math.median through a typed-array sort (numeric without a comparator): it runs on every frame. */
function fastMedian(values: ArrayLike<number>): number {
  const sorted = Float64Array.from(values).sort();
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

function objectEvidence(
  rgb: Float32Array,
  background: Rgb,
  contrast: Float32Array,
  component: number[],
  mask: Uint8Array,
  height: number,
  width: number,
): ObjectEvidence {
  const rest = new Float64Array(contrast.length);
  let restCount = 0;
  const hot: number[] = [];
  for (let p = 0; p < contrast.length; p++) {
    if (mask[p]) continue;
    rest[restCount++] = contrast[p];
    if (contrast[p] > NOISE_FLOOR) hot.push(p);
  }
  // A 3×3 mean can only clear the floor next to a pixel that does (a mean's distance is at most
  // the largest of its terms'), so only the neighbourhoods of such pixels are averaged.
  const near = dilate(hot, height, width);
  let clutter = 0;
  for (let p = 0; p < contrast.length; p++) {
    if (near[p] && !mask[p] && localContrast(rgb, background, mask, p, height, width) > NOISE_FLOOR) clutter++;
  }
  return {
    backgroundFraction: restCount / contrast.length,
    // Median, not mean: a few hot pixels or a thin spill of blur beyond the mask must not count.
    // With no background left at all (a field of noise), the whole frame is what there is.
    backgroundSpread: fastMedian(restCount > 0 ? rest.subarray(0, restCount) : contrast),
    solidity: component.length / hullLatticePoints(component, width),
    clutter: clutter / component.length,
  };
}

/**
 * Colour distance to the background of the mean colour of p's 3×3 neighbourhood outside the
 * mask. Averaging nine pixels divides pixel noise by three (σ = 0.15 noise then almost never
 * clears NOISE_FLOOR) while a patch two pixels wide keeps most of its contrast, even a patch too
 * faint for the object's own half-contrast threshold. Mask pixels stay out of the average, so
 * the object's own edge does not spill into its surroundings.
 */
function localContrast(rgb: Float32Array, background: Rgb, mask: Uint8Array, p: number, height: number, width: number): number {
  const x = p % width;
  const y = (p - x) / width;
  let r = 0;
  let g = 0;
  let b = 0;
  let n = 0;
  for (let ny = Math.max(0, y - 1); ny <= Math.min(height - 1, y + 1); ny++) {
    for (let nx = Math.max(0, x - 1); nx <= Math.min(width - 1, x + 1); nx++) {
      const q = ny * width + nx;
      if (mask[q]) continue;
      r += rgb[3 * q];
      g += rgb[3 * q + 1];
      b += rgb[3 * q + 2];
      n++;
    }
  }
  return Math.hypot(r / n - background[0], g / n - background[1], b / n - background[2]);
}

/**
 * Number of pixel centres (lattice points) inside or on the convex hull of the component's pixel
 * centres, by Pick's theorem: area + boundary/2 + 1. A digitally convex component holds all of
 * them, so its pixel count divided by this is 1, however small and pixelated it is; comparing
 * with the hull's area instead would mark small shapes ragged for their staircase edges.
 */
function hullLatticePoints(component: number[], width: number): number {
  // (row, column) pairs in row-major order are lexicographically sorted, as the chain needs;
  // the transposition does not change the hull's area or boundary.
  const points = Array.from(Int32Array.from(component).sort(), (p) => [Math.floor(p / width), p % width] as const);
  const cross = (o: readonly number[], a: readonly number[], b: readonly number[]) =>
    (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0]);
  // Andrew's monotone chain; collinear points are dropped (the boundary count restores them).
  const half = (ordered: (readonly [number, number])[]) => {
    const chain: (readonly [number, number])[] = [];
    for (const q of ordered) {
      while (chain.length >= 2 && cross(chain[chain.length - 2], chain[chain.length - 1], q) <= 0) chain.pop();
      chain.push(q);
    }
    return chain.slice(0, -1);
  };
  const hull = [...half(points), ...half([...points].reverse())];
  if (hull.length === 0) return 1; // a single pixel
  let twiceArea = 0;
  let boundary = 0;
  hull.forEach(([x0, y0], i) => {
    const [x1, y1] = hull[(i + 1) % hull.length];
    twiceArea += x0 * y1 - x1 * y0;
    boundary += gcd(Math.abs(x1 - x0), Math.abs(y1 - y0));
  });
  return Math.abs(twiceArea) / 2 + boundary / 2 + 1;
}

function gcd(a: number, b: number): number {
  while (b) [a, b] = [b, a % b];
  return a;
}

/** Frame f as interleaved RGB in [0,1]. */
export function frameRgb(video: Video, f: number): Float32Array {
  const n = video.height * video.width * 3;
  const out = new Float32Array(n);
  const base = f * n;
  for (let i = 0; i < n; i++) out[i] = (video.data[base + i] + 1) / 2;
  return out;
}

/** 1. Per-channel median of the outermost ring of pixels. */
function borderMedian(rgb: Float32Array, height: number, width: number): Rgb {
  const ring: number[] = [];
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      if (y === 0 || y === height - 1 || x === 0 || x === width - 1) ring.push(y * width + x);
    }
  }
  const channelMedian = (c: number) => median(ring.map((p) => rgb[3 * p + c]));
  return [channelMedian(0), channelMedian(1), channelMedian(2)];
}

/** Pixel indices of the largest 8-connected region with contrast > threshold. */
function largestComponent(contrast: Float32Array, threshold: number, height: number, width: number): number[] {
  const label = new Int32Array(contrast.length); // 0 = unvisited
  let best: number[] = [];
  const stack: number[] = [];
  for (let start = 0; start < contrast.length; start++) {
    if (label[start] || contrast[start] <= threshold) continue;
    const members: number[] = [];
    label[start] = 1;
    stack.push(start);
    while (stack.length > 0) {
      const p = stack.pop()!;
      members.push(p);
      const x = p % width;
      const y = (p - x) / width;
      for (let ny = Math.max(0, y - 1); ny <= Math.min(height - 1, y + 1); ny++) {
        for (let nx = Math.max(0, x - 1); nx <= Math.min(width - 1, x + 1); nx++) {
          const q = ny * width + nx;
          if (!label[q] && contrast[q] > threshold) {
            label[q] = 1;
            stack.push(q);
          }
        }
      }
    }
    if (members.length > best.length) best = members;
  }
  return best;
}

/** The component plus its 8-neighbours, as a 0/1 mask. */
function dilate(component: number[], height: number, width: number): Uint8Array {
  const mask = new Uint8Array(height * width);
  for (const p of component) {
    const x = p % width;
    const y = (p - x) / width;
    for (let ny = Math.max(0, y - 1); ny <= Math.min(height - 1, y + 1); ny++) {
      for (let nx = Math.max(0, x - 1); nx <= Math.min(width - 1, x + 1); nx++) mask[ny * width + nx] = 1;
    }
  }
  return mask;
}

function meanRgb(rgb: Float32Array, pixelIndices: number[]): Rgb {
  const sum = [0, 0, 0];
  for (const p of pixelIndices) for (let c = 0; c < 3; c++) sum[c] += rgb[3 * p + c];
  const n = Math.max(1, pixelIndices.length);
  return [sum[0] / n, sum[1] / n, sum[2] / n];
}

interface Moments {
  area: number;
  cx: number;
  cy: number;
  spread: number;
  /** Σα z³ / area^2.5 and Σα z⁴ / area³ as [re, im], z = (x − cx) + i(y − cy). */
  m3: [number, number];
  m4: [number, number];
}

function moments(alpha: Float32Array, mask: Uint8Array, width: number): Moments {
  let area = 0;
  let sx = 0;
  let sy = 0;
  for (let p = 0; p < alpha.length; p++) {
    if (!mask[p]) continue;
    const x = (p % width) + 0.5;
    const y = Math.floor(p / width) + 0.5;
    area += alpha[p];
    sx += alpha[p] * x;
    sy += alpha[p] * y;
  }
  if (area <= 0) return { area, cx: NaN, cy: NaN, spread: 0, m3: [0, 0], m4: [0, 0] };
  const cx = sx / area;
  const cy = sy / area;
  let second = 0;
  let re3 = 0;
  let im3 = 0;
  let re4 = 0;
  let im4 = 0;
  for (let p = 0; p < alpha.length; p++) {
    if (!mask[p]) continue;
    const a = alpha[p];
    const x = (p % width) + 0.5 - cx;
    const y = Math.floor(p / width) + 0.5 - cy;
    const re2 = x * x - y * y; // z²
    const im2 = 2 * x * y;
    second += a * (x * x + y * y);
    re3 += a * (re2 * x - im2 * y); // z³ = z²·z
    im3 += a * (re2 * y + im2 * x);
    re4 += a * (re2 * re2 - im2 * im2); // z⁴ = (z²)²
    im4 += a * (2 * re2 * im2);
  }
  return {
    area,
    cx,
    cy,
    spread: second / area ** 2,
    m3: [re3 / area ** 2.5, im3 / area ** 2.5],
    m4: [re4 / area ** 3, im4 / area ** 3],
  };
}
