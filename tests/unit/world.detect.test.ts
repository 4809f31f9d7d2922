import { describe, expect, it } from 'vitest';
import {
  ACTIONS,
  DIRECTIONAL_ACTIONS,
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
} from '../../src/world';

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
const order = (key: string) => ['colour', 'shape', 'background', 'action', ...ACTIONS.map((a) => `action: ${a}`)].indexOf(key);
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
    expect(accuracy(tally, 'colour')).toBeGreaterThanOrEqual(0.98);
    expect(accuracy(tally, 'shape')).toBeGreaterThanOrEqual(0.98);
    expect(accuracy(tally, 'background')).toBeGreaterThanOrEqual(0.98);
    for (const action of DIRECTIONAL_ACTIONS) expect(accuracy(tally, `action: ${action}`)).toBeGreaterThanOrEqual(0.98);
    for (const action of ACTIONS) expect(accuracy(tally, `action: ${action}`)).toBeGreaterThanOrEqual(0.95);
  });

  it('on 400 clean 4×16×16 videos', () => {
    const tally = measure(400, SHAPE_16, 200);
    report('clean 4×16×16', tally);
    expect(accuracy(tally, 'colour')).toBeGreaterThanOrEqual(0.98);
    expect(directionAccuracy(tally)).toBeGreaterThanOrEqual(0.98);
    expect(accuracy(tally, 'shape')).toBeGreaterThanOrEqual(0.95);
    expect(accuracy(tally, 'action')).toBeGreaterThanOrEqual(0.95);
  });

  it('through 3×3 blur and σ = 0.1 noise (8×32×32, 400 videos)', () => {
    const tally = measure(400, SHAPE_32, 300, (v, seed) => addNoise(boxBlur(v), 0.1, seed));
    report('blur + noise 8×32×32', tally);
    expect(accuracy(tally, 'colour')).toBeGreaterThanOrEqual(0.95);
    expect(directionAccuracy(tally)).toBeGreaterThanOrEqual(0.95);
    expect(accuracy(tally, 'shape')).toBeGreaterThanOrEqual(0.9);
    expect(accuracy(tally, 'action')).toBeGreaterThanOrEqual(0.9);
  });

  it('through 3×3 blur and σ = 0.1 noise (4×16×16, 300 videos)', () => {
    const tally = measure(300, SHAPE_16, 400, (v, seed) => addNoise(boxBlur(v), 0.1, seed));
    report('blur + noise 4×16×16', tally);
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
