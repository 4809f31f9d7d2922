// Rasterises a Scene: pure geometry, no randomness. Each shape is a signed distance function in
// pixel units and its coverage of a pixel is clamp(0.5 − sdf, 0, 1), a one-pixel antialiasing
// ramp: edges move smoothly with sub-pixel motion, which the detectors' centroids rely on.
import { clamp01 } from './math';
import { parsePrompt, type PromptSpec } from './prompt';
import { sampleScene, SQUARE_HALF_SIDE, TRIANGLE_CIRCUMRADIUS, type Scene } from './scene';
import type { Shape } from './vocab';
import { emptyVideo, type Video, type VideoShape } from './video';

export { sampleScene, type Scene } from './scene';
export { videoToUint8, videoFromUint8, frameToRgba, type Video, type VideoShape } from './video';

/** Render `prompt` (text or parsed) with all randomness drawn from `seed`. */
export function render(prompt: string | PromptSpec, seed: number, shape: VideoShape): Video {
  const spec = typeof prompt === 'string' ? parsePrompt(prompt) : prompt;
  return renderScene(sampleScene(spec, seed, shape), shape);
}

export function renderScene(scene: Scene, shape: VideoShape): Video {
  checkFrames(scene, shape, 'renderScene');
  const video = emptyVideo(shape);
  const data = video.data;
  const [br, bg, bb] = scene.background;
  const [or, og, ob] = scene.rgb;
  for (let p = 0; p < data.length / 3; p++) {
    data[3 * p] = 2 * br - 1;
    data[3 * p + 1] = 2 * bg - 1;
    data[3 * p + 2] = 2 * bb - 1;
  }
  forEachCoveredPixel(scene, shape, 0, (pixel, coverage) => {
    const i = 3 * pixel;
    data[i] = 2 * (br + coverage * (or - br)) - 1;
    data[i + 1] = 2 * (bg + coverage * (og - bg)) - 1;
    data[i + 2] = 2 * (bb + coverage * (ob - bb)) - 1;
  });
  return video;
}

function checkFrames(scene: Scene, shape: VideoShape, caller: string): void {
  if (scene.frames !== shape.frames) {
    throw new Error(`${caller}: the scene has ${scene.frames} frames but the video shape asks for ${shape.frames}`);
  }
}

/**
 * The rasteriser: calls `visit(pixel, coverage)` for every pixel (index f·H·W + y·W + x) with
 * coverage > 0 of the object's outline grown by `grow` pixels.
 */
function forEachCoveredPixel(scene: Scene, shape: VideoShape, grow: number, visit: (pixel: number, coverage: number) => void): void {
  const { height, width } = shape;
  const minSide = Math.min(height, width);
  for (let f = 0; f < shape.frames; f++) {
    const frameBase = f * height * width;
    const cx = scene.centreX[f] * width;
    const cy = scene.centreY[f] * height;
    const size = scene.radius[f] * minSide;
    const cos = Math.cos(scene.angle[f]);
    const sin = Math.sin(scene.angle[f]);
    // Only pixels within the shape's circumradius (+1 px of antialiasing, + grow) can be covered.
    const reach = size * circumradiusFactor(scene.spec.shape) + 1 + grow;
    const x0 = Math.max(0, Math.floor(cx - reach));
    const x1 = Math.min(width - 1, Math.ceil(cx + reach));
    const y0 = Math.max(0, Math.floor(cy - reach));
    const y1 = Math.min(height - 1, Math.ceil(cy + reach));
    for (let y = y0; y <= y1; y++) {
      for (let x = x0; x <= x1; x++) {
        // Pixel centre relative to the object, then into the shape's own (unrotated) frame.
        const dx = x + 0.5 - cx;
        const dy = y + 0.5 - cy;
        const u = cos * dx + sin * dy;
        const v = -sin * dx + cos * dy;
        const coverage = clamp01(0.5 + grow - signedDistance(scene.spec.shape, u, v, size));
        if (coverage > 0) visit(frameBase + y * width + x, coverage);
      }
    }
  }
}

/** Distance from the object centre to its farthest point, in units of the scene radius. */
function circumradiusFactor(shape: Shape): number {
  if (shape === 'square') return SQUARE_HALF_SIDE * Math.SQRT2;
  if (shape === 'triangle') return TRIANGLE_CIRCUMRADIUS;
  return 1;
}

/** Signed distance (negative inside) from (u, v) to the shape of scene radius `size`; v points down. */
function signedDistance(shape: Shape, u: number, v: number, size: number): number {
  if (shape === 'circle') return Math.hypot(u, v) - size;
  if (shape === 'square') return boxDistance(u, v, SQUARE_HALF_SIDE * size);
  return triangleDistance(u, -v, TRIANGLE_CIRCUMRADIUS * size); // flip v: apex points up on screen
}

/** Exact distance to an axis-aligned square of half-side `half`. */
function boxDistance(u: number, v: number, half: number): number {
  const qx = Math.abs(u) - half;
  const qy = Math.abs(v) - half;
  const outside = Math.hypot(Math.max(qx, 0), Math.max(qy, 0));
  const inside = Math.min(Math.max(qx, qy), 0);
  return outside + inside;
}

/**
 * Exact distance to an equilateral triangle centred on its centroid, apex towards +y, with
 * circumradius `circumradius`. Folds the plane by the triangle's mirror symmetries so that only
 * one edge has to be measured (Quílez's construction).
 */
function triangleDistance(x: number, y: number, circumradius: number): number {
  const halfSide = (circumradius * Math.sqrt(3)) / 2;
  const k = Math.sqrt(3);
  let px = Math.abs(x) - halfSide;
  let py = y + halfSide / k;
  if (px + k * py > 0) {
    const fx = (px - k * py) / 2;
    const fy = (-k * px - py) / 2;
    px = fx;
    py = fy;
  }
  px -= Math.min(Math.max(px, -2 * halfSide), 0);
  return -Math.hypot(px, py) * Math.sign(py);
}
