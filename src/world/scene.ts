// Scene sampling: turns a prompt spec and a seed into per-frame geometry. All of the world's
// randomness lives here; rendering a Scene is pure geometry (render.ts).
//
// Every motion is designed to be unmistakable at the smallest resolution the studio uses
// (4 frames at 16×16) and to stay mostly inside the frame, because the detectors that score the
// model's videos are checked against these renders.
import { makeRng, randUniform, type Rng } from './rng';
import type { PromptSpec } from './prompt';
import { BACKGROUNDS, COLOURS, type Rgb, type Size, type Speed } from './vocab';
import type { VideoShape } from './video';

export interface Scene {
  spec: PromptSpec;
  frames: number;
  /** Object centre per frame, as a fraction of the frame width (x) and height (y); y points down. */
  centreX: number[];
  centreY: number[];
  /**
   * Object size per frame as a fraction of min(height, width): the circle's radius; the square's
   * half-side is SQUARE_HALF_SIDE·radius and the triangle's circumradius TRIANGLE_CIRCUMRADIUS·radius.
   */
  radius: number[];
  /** Rotation per frame in radians (clockwise on screen, since y points down). */
  angle: number[];
  rgb: Rgb;
  background: Rgb;
}

/**
 * The square and the triangle are scaled against the circle so the three look about equally
 * big (areas 3.14 r², 3.24 r², 2.2 r²) without the triangle's apex leaving the frame.
 */
export const SQUARE_HALF_SIDE = 0.9;
export const TRIANGLE_CIRCUMRADIUS = 1.3;

/** Nominal radius (fraction of the frame) per size modifier; `null` is the unmodified prompt. */
const SIZE_RADIUS: Record<Size | 'default', number> = { small: 0.12, default: 0.18, big: 0.26 };
const SIZE_JITTER = 0.15;
/** Multiplies the amount of motion (travel, angle); bounce and growth take its square root. */
const SPEED_FACTOR: Record<Speed | 'default', number> = { slowly: 0.6, default: 1, quickly: 1.5 };
/** Per-channel colour jitter: the model sees slightly different reds, the name stays certain. */
const COLOUR_JITTER = 0.04;
const BACKGROUND_JITTER = 0.03;
/** Non-moving actions start this close (± fraction of the frame) to the centre. */
const CENTRE_JITTER = 0.08;
/** Orientation jitter of shapes that do not rotate (±14°): upright-ish, not all identical. */
const TILT_JITTER = 0.25;
/** A centre stays ≥ EDGE_MARGIN·radius from the edge: at most ~14 % of a circle is cut off. */
const EDGE_MARGIN = 0.6;
/** "moves …" travels this fraction of the frame over the clip (before the speed factor). */
const MOVE_TRAVEL: [number, number] = [0.42, 0.58];
/** "bounces": drop height as a fraction of the frame (before the speed factor). */
const BOUNCE_HEIGHT = 0.36;
/** "grows"/"shrinks": radius ratio between the first and last frame (before the speed factor). */
const GROWTH_RATIO = 2.2;
/** Largest radius a growing shape reaches: the rotated square's corners then just fit. */
const MAX_GROWN_RADIUS = 0.38;
/** "rotates": total angle over the clip, 100–120° so that even "slowly" (×0.6) turns ≥ 60°. */
const ROTATION_DEGREES: [number, number] = [100, 120];
/**
 * Per-frame rotation cap. A square looks the same every 90° and a triangle every 120°, so a
 * detector (or a viewer) can only follow steps below half of that; 30° leaves room for both.
 */
const MAX_DEGREES_PER_FRAME = 30;

export function sampleScene(spec: PromptSpec, seed: number, shape: VideoShape): Scene {
  const rng = makeRng(seed);
  const frames = shape.frames;
  // Normalised time of each frame: 0 at the first frame, 1 at the last.
  const t = Array.from({ length: frames }, (_, f) => (frames > 1 ? f / (frames - 1) : 0));

  // 1. Appearance and resting pose (drawn in a fixed order so every action uses the same draws).
  const radius = SIZE_RADIUS[spec.size ?? 'default'] * (1 + randUniform(rng, -SIZE_JITTER, SIZE_JITTER));
  const rgb = jitter(rng, COLOURS[spec.colour], COLOUR_JITTER);
  const background = jitter(rng, BACKGROUNDS[spec.background], BACKGROUND_JITTER);
  const tilt = randUniform(rng, -TILT_JITTER, TILT_JITTER);
  const restX = 0.5 + randUniform(rng, -CENTRE_JITTER, CENTRE_JITTER);
  const restY = 0.5 + randUniform(rng, -CENTRE_JITTER, CENTRE_JITTER);
  const speed = SPEED_FACTOR[spec.speed ?? 'default'];
  const minSide = Math.min(shape.height, shape.width);
  // Margins in each axis's own units (radius is a fraction of the shorter side).
  const marginX = (EDGE_MARGIN * radius * minSide) / shape.width;
  const marginY = (EDGE_MARGIN * radius * minSide) / shape.height;

  const constant = (value: number) => t.map(() => value);
  const scene: Scene = {
    spec,
    frames,
    centreX: constant(restX),
    centreY: constant(restY),
    radius: constant(radius),
    angle: constant(tilt),
    rgb,
    background,
  };

  // 2. The action's motion.
  switch (spec.action) {
    case 'moves left':
    case 'moves right':
    case 'moves up':
    case 'moves down': {
      const horizontal = spec.action === 'moves left' || spec.action === 'moves right';
      const forward = spec.action === 'moves right' || spec.action === 'moves down';
      const margin = horizontal ? marginX : marginY;
      const travel = Math.min(randUniform(rng, MOVE_TRAVEL[0], MOVE_TRAVEL[1]) * speed, 1 - 2 * margin);
      // Start anywhere that keeps the whole path inside the margins; mirror for left/up.
      const start = randUniform(rng, margin, 1 - margin - travel);
      const along = t.map((ti) => (forward ? start + travel * ti : 1 - start - travel * ti));
      const across = constant(randUniform(rng, 0.3, 0.7));
      scene.centreX = horizontal ? along : across;
      scene.centreY = horizontal ? across : along;
      break;
    }
    case 'bounces': {
      // A dropped ball: falls from the top, hits the floor mid-clip, rises again. Height above
      // the floor is h·(2|s| − s²) with s ∈ [-1, 1]: two parabolic arcs meeting at a sharp
      // floor contact, so the vertical path is clearly non-monotonic with either frame count.
      const height = Math.min(BOUNCE_HEIGHT * Math.sqrt(speed) * randUniform(rng, 0.9, 1.1), 1 - 2 * marginY);
      const floor = randUniform(rng, marginY + height, 1 - marginY);
      const hit = randUniform(rng, 0.42, 0.58);
      scene.centreY = t.map((ti) => {
        const s = (ti - hit) / Math.max(hit, 1 - hit);
        return floor - height * (2 * Math.abs(s) - s * s);
      });
      break;
    }
    case 'grows':
    case 'shrinks': {
      // Geometric growth (constant ratio per frame) looks uniform; the nominal size sits at the
      // geometric middle of the clip unless that would overflow the frame.
      const ratio = GROWTH_RATIO ** Math.sqrt(speed) * randUniform(rng, 0.95, 1.05);
      const large = Math.min(radius * Math.sqrt(ratio), MAX_GROWN_RADIUS);
      const small = large / ratio;
      scene.radius = t.map((ti) => (spec.action === 'grows' ? small * ratio ** ti : large / ratio ** ti));
      break;
    }
    case 'rotates': {
      const degrees = Math.min(
        randUniform(rng, ROTATION_DEGREES[0], ROTATION_DEGREES[1]) * speed,
        MAX_DEGREES_PER_FRAME * Math.max(1, frames - 1),
      );
      const direction = rng() < 0.5 ? -1 : 1;
      scene.angle = t.map((ti) => tilt + (direction * degrees * Math.PI * ti) / 180);
      break;
    }
  }
  return scene;
}

function jitter(rng: Rng, rgb: Rgb, amount: number): Rgb {
  const channel = (c: number) => Math.min(1, Math.max(0, c + randUniform(rng, -amount, amount)));
  return [channel(rgb[0]), channel(rgb[1]), channel(rgb[2])];
}
