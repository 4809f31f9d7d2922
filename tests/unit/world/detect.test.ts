import { describe, expect, it } from 'vitest';
import {
  ACTIONS,
  DIRECTIONAL_ACTIONS,
  MAX_BACKGROUND_SPREAD,
  MAX_CLUTTER,
  MIN_BACKGROUND_FRACTION,
  MIN_SOLIDITY,
  addNoise,
  boxBlur,
  detectAction,
  detectBackground,
  detectColour,
  detectObject,
  detectShape,
  makeRng,
  parsePrompt,
  render,
  sampleScene,
  renderScene,
  sampleTrainingSpec,
  shiftColour,
  type Video,
  type VideoShape,
} from '../../../src/world';

const SHAPE_32: VideoShape = { frames: 8, height: 32, width: 32 };
const SHAPE_16: VideoShape = { frames: 4, height: 16, width: 16 };

type Tally = Record<string, { correct: number; total: number }>;

/** Render n random training videos, optionally damage them, and count detector agreement per label. */
function measure(n: number, shape: VideoShape, seedBase: number, damage: (v: Video, seed: number) => Video = (v) => v): Tally {
  const rng = makeRng(seedBase);
  const tally: Tally = {};
  const count = (key: string, ok: boolean) => {
    const t = (tally[key] ??= { correct: 0, total: 0 });
    t.correct += ok ? 1 : 0;
    t.total++;
  };
  for (let i = 0; i < n; i++) {
    const spec = sampleTrainingSpec(rng);
    const track = detectObject(damage(render(spec, seedBase + i, shape), seedBase + i));
    count('found', track.every((frame) => frame.found));
    count('colour', detectColour(track) === spec.colour);
    count('shape', detectShape(track) === spec.shape);
    count('background', detectBackground(track) === spec.background);
    count('action', detectAction(track) === spec.action);
    count(`action: ${spec.action}`, detectAction(track) === spec.action);
  }
  return tally;
}

const accuracy = (tally: Tally, key: string) => tally[key].correct / tally[key].total;
const directionAccuracy = (tally: Tally) => {
  const keys = DIRECTIONAL_ACTIONS.map((a) => `action: ${a}`);
  return keys.reduce((s, k) => s + tally[k].correct, 0) / keys.reduce((s, k) => s + tally[k].total, 0);
};
const order = (key: string) =>
  ['found', 'colour', 'shape', 'background', 'action', ...ACTIONS.map((a) => `action: ${a}`)].indexOf(key);
const report = (title: string, tally: Tally) =>
  console.log(
    `${title}\n` +
      Object.entries(tally)
        .sort(([a], [b]) => order(a) - order(b))
        .map(([k, t]) => `  ${k.padEnd(22)} ${((100 * t.correct) / t.total).toFixed(1).padStart(5)} %  (${t.total})`)
        .join('\n'),
  );

describe('detectors agree with the renderer', () => {
  it('on 600 clean 8×32×32 videos', () => {
    const tally = measure(600, SHAPE_32, 100);
    report('clean 8×32×32', tally);
    expect(accuracy(tally, 'found')).toBe(1); // the object is found in every frame of every video
    expect(accuracy(tally, 'colour')).toBeGreaterThanOrEqual(0.98);
    expect(accuracy(tally, 'shape')).toBeGreaterThanOrEqual(0.98);
    expect(accuracy(tally, 'background')).toBeGreaterThanOrEqual(0.98);
    for (const action of DIRECTIONAL_ACTIONS) expect(accuracy(tally, `action: ${action}`)).toBeGreaterThanOrEqual(0.98);
    for (const action of ACTIONS) expect(accuracy(tally, `action: ${action}`)).toBeGreaterThanOrEqual(0.95);
  });

  it('on 400 clean 4×16×16 videos', () => {
    const tally = measure(400, SHAPE_16, 200);
    report('clean 4×16×16', tally);
    expect(accuracy(tally, 'found')).toBeGreaterThanOrEqual(0.99); // a small, quickly shrinking triangle ends < 4 px
    expect(accuracy(tally, 'colour')).toBeGreaterThanOrEqual(0.98);
    expect(directionAccuracy(tally)).toBeGreaterThanOrEqual(0.98);
    expect(accuracy(tally, 'shape')).toBeGreaterThanOrEqual(0.95);
    expect(accuracy(tally, 'action')).toBeGreaterThanOrEqual(0.95);
  });

  it('through 3×3 blur and σ = 0.1 noise (8×32×32, 400 videos)', () => {
    const tally = measure(400, SHAPE_32, 300, (v, seed) => addNoise(boxBlur(v), 0.1, seed));
    report('blur + noise 8×32×32', tally);
    expect(accuracy(tally, 'found')).toBe(1);
    expect(accuracy(tally, 'colour')).toBeGreaterThanOrEqual(0.95);
    expect(directionAccuracy(tally)).toBeGreaterThanOrEqual(0.95);
    expect(accuracy(tally, 'shape')).toBeGreaterThanOrEqual(0.9);
    expect(accuracy(tally, 'action')).toBeGreaterThanOrEqual(0.9);
  });

  it('through 3×3 blur and σ = 0.1 noise (4×16×16, 300 videos)', () => {
    const tally = measure(300, SHAPE_16, 400, (v, seed) => addNoise(boxBlur(v), 0.1, seed));
    report('blur + noise 4×16×16', tally);
    expect(accuracy(tally, 'found')).toBeGreaterThanOrEqual(0.99);
    expect(accuracy(tally, 'colour')).toBeGreaterThanOrEqual(0.95);
    expect(directionAccuracy(tally)).toBeGreaterThanOrEqual(0.9);
  });

  it('through a slight colour cast', () => {
    const tally = measure(200, SHAPE_32, 500, (v, seed) => shiftColour(v, seed % 2 ? [0.08, -0.06, 0.05] : [-0.07, 0.07, -0.05]));
    expect(accuracy(tally, 'colour')).toBeGreaterThanOrEqual(0.95);
  });
});

describe('detectObject', () => {
  it('finds nothing in a blank or pure-noise video', () => {
    const blank: Video = { ...SHAPE_32, data: new Float32Array(8 * 32 * 32 * 3).fill(-1) };
    for (const video of [blank, addNoise(blank, 0.1, 1), addNoise({ ...blank, data: blank.data.map(() => 0) }, 0.1, 2)]) {
      const track = detectObject(video);
      expect(track.filter((f) => f.found).length).toBe(0);
      expect(detectColour(track)).toBeNull();
      expect(detectShape(track)).toBeNull();
      expect(detectAction(track)).toBeNull();
    }
    expect(detectBackground(blank)).toBe('black');
  });

  it('finds no object in a field of full-range noise: there is no flat background around it', () => {
    const noise = addNoise({ ...SHAPE_32, data: new Float32Array(8 * 32 * 32 * 3) }, 1, 3);
    noise.data.forEach((v, i) => (noise.data[i] = Math.max(-1, Math.min(1, v))));
    const track = detectObject(noise);
    expect(track.filter((f) => f.found).length).toBe(0);
    for (const { evidence } of track) {
      // Its largest component covers nearly the whole frame, and what is left is no flat ground.
      expect(evidence.backgroundFraction).toBeLessThan(MIN_BACKGROUND_FRACTION);
      expect(evidence.backgroundSpread).toBeGreaterThan(2 * MAX_BACKGROUND_SPREAD);
    }
    expect(detectColour(track)).toBeNull();
    expect(detectAction(track)).toBeNull();
  });

  it('takes a ragged shape or a scatter of patches for no object, a solid blob for one', () => {
    const draw = (inside: (x: number, y: number) => boolean): Video => {
      const data = new Float32Array(32 * 32 * 3).fill(0.6); // light gray
      for (let y = 0; y < 32; y++) {
        for (let x = 0; x < 32; x++) if (inside(x + 0.5, y + 0.5)) data.set([0.9, -0.8, -0.8], 3 * (y * 32 + x)); // red
      }
      return { frames: 1, height: 32, width: 32, data };
    };
    const near = (x: number, y: number, cx: number, cy: number, r: number) => Math.hypot(x - cx, y - cy) <= r;
    const frameOf = (inside: (x: number, y: number) => boolean) => detectObject(draw(inside))[0];

    const ring = frameOf((x, y) => near(x, y, 16, 16, 8) && !near(x, y, 16, 16, 5));
    const ell = frameOf((x, y) => (x > 8 && x < 13 && y > 8 && y < 24) || (x > 8 && x < 24 && y > 19 && y < 24));
    for (const frame of [ring, ell]) {
      expect(frame.found).toBe(false);
      expect(frame.evidence.solidity).toBeLessThan(MIN_SOLIDITY);
    }
    const patches = [[6, 6, 3], [25, 8, 2.5], [10, 24, 3], [24, 25, 2], [16, 15, 3]];
    const scatter = frameOf((x, y) => patches.some(([cx, cy, r]) => near(x, y, cx, cy, r)));
    expect(scatter.found).toBe(false);
    expect(scatter.evidence.clutter).toBeGreaterThan(MAX_CLUTTER);
    // Two overlapping discs are one compact blob.
    const peanut = frameOf((x, y) => near(x, y, 13, 16, 4) || near(x, y, 19, 16, 4));
    expect(peanut.found).toBe(true);
    expect(peanut.evidence).toMatchObject({ backgroundSpread: 0, clutter: 0 });
  });

  it('reports centroid, area, bbox and colour of a rendered object', () => {
    const spec = parsePrompt('a big blue square moves right on a gray background');
    const scene = sampleScene(spec, 4, SHAPE_32);
    const track = detectObject(renderScene(scene, SHAPE_32));
    track.forEach((frame, f) => {
      expect(frame.found).toBe(true);
      expect(frame.cx).toBeCloseTo(scene.centreX[f], 1);
      expect(frame.cy).toBeCloseTo(scene.centreY[f], 1);
      const side = 2 * 0.9 * scene.radius[f];
      expect(frame.area).toBeGreaterThan(0.85 * side * side);
      expect(frame.area).toBeLessThan(1.15 * side * side);
      expect(frame.bbox.x0).toBeLessThan(frame.cx);
      expect(frame.bbox.x1).toBeGreaterThan(frame.cx);
      frame.rgb.forEach((c, i) => expect(c).toBeCloseTo(scene.rgb[i], 1));
      frame.background.forEach((c, i) => expect(c).toBeCloseTo(scene.background[i], 2));
    });
  });

  it('follows the larger of two blobs', () => {
    const big = render('a big green circle moves down on a white background', 9, SHAPE_32);
    const small = render('a small red square moves up on a white background', 9, SHAPE_32);
    // Composite: the small red square's pixels pasted over the big green circle's video.
    const mixed: Video = { ...big, data: new Float32Array(big.data) };
    for (let p = 0; p < mixed.data.length; p += 3) {
      const isRed = small.data[p] - small.data[p + 1] > 0.5; // white background has red ≈ green
      if (isRed) mixed.data.set(small.data.subarray(p, p + 3), p);
    }
    expect(detectObject(mixed).every((f) => f.found)).toBe(true);
    expect(detectColour(mixed)).toBe('green');
    expect(detectAction(mixed)).toBe('moves down');
  });

  it('ignores a few hot pixels far from the object', () => {
    const video = render('a purple triangle moves up on a gray background', 5, SHAPE_32);
    const spoiled: Video = { ...video, data: new Float32Array(video.data) };
    for (let f = 0; f < 8; f++) {
      // Bright yellow specks in two corners.
      for (const [x, y] of [[2, 3], [3, 3], [29, 28]]) spoiled.data.set([1, 1, -1], ((f * 32 + y) * 32 + x) * 3);
    }
    expect(detectColour(spoiled)).toBe('purple');
    expect(detectShape(spoiled)).toBe('triangle');
    expect(detectAction(spoiled)).toBe('moves up');
  });

  it('calls a washed-out grey object colourless', () => {
    const video = render('a big red circle rotates on a black background', 2, SHAPE_32);
    const grey: Video = { ...video, data: new Float32Array(video.data.length) };
    for (let p = 0; p < video.data.length; p += 3) {
      const level = (video.data[p] + video.data[p + 1] + video.data[p + 2]) / 3;
      grey.data.fill(level, p, p + 3);
    }
    expect(detectObject(grey).every((f) => f.found)).toBe(true);
    expect(detectColour(grey)).toBeNull();
  });

  it('sees a rotating circle as "rotates" and a still square as no action', () => {
    expect(detectAction(render('a red circle rotates', 1, SHAPE_32))).toBe('rotates');
    const scene = sampleScene(parsePrompt('a red square rotates'), 1, SHAPE_32);
    const still = renderScene({ ...scene, angle: scene.angle.map(() => scene.angle[0]) }, SHAPE_32);
    expect(detectAction(still)).toBeNull();
    expect(detectShape(still)).toBe('square');
  });
});
