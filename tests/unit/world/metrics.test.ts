import { describe, expect, it } from 'vitest';
import {
  DEFAULT_QUALITY_WEIGHTS,
  METRIC_KEYS,
  addNoise,
  aggregateMetrics,
  makeRng,
  parsePrompt,
  qualityScore,
  randUniform,
  render,
  reorderFrames,
  sampleTrainingSpec,
  videoMetrics,
  type PromptSpec,
  type Video,
  type VideoMetrics,
  type VideoShape,
} from '../../../src/world';

const SHAPE_32: VideoShape = { frames: 8, height: 32, width: 32 };
const SHUFFLE = [3, 0, 6, 1, 7, 2, 5, 4];

function renders(n: number, seedBase: number, filter: (s: PromptSpec) => boolean = () => true): [PromptSpec, Video][] {
  const rng = makeRng(seedBase);
  const out: [PromptSpec, Video][] = [];
  while (out.length < n) {
    const spec = sampleTrainingSpec(rng);
    if (filter(spec)) out.push([spec, render(spec, seedBase + out.length, SHAPE_32)]);
  }
  return out;
}

const mean = (list: VideoMetrics[], key: keyof VideoMetrics) => aggregateMetrics(list)[key];

/** What an untrained generator draws: N(0,1) per value, clamped to the pixel range. */
function noiseVideo(seed: number): Video {
  const video = addNoise({ ...SHAPE_32, data: new Float32Array(8 * 32 * 32 * 3) }, 1, seed);
  video.data.forEach((v, i) => (video.data[i] = Math.max(-1, Math.min(1, v))));
  return video;
}

/** What a half-trained one may draw: five small discs per frame in random colours and places, on a flat background. */
function scatterVideo(seed: number): Video {
  const rng = makeRng(seed);
  const video: Video = { ...SHAPE_32, data: new Float32Array(8 * 32 * 32 * 3) };
  const colour = () => [0, 1, 2].map(() => randUniform(rng, -1, 1));
  const background = colour();
  for (let f = 0; f < 8; f++) {
    const frame = video.data.subarray(f * 32 * 32 * 3, (f + 1) * 32 * 32 * 3);
    for (let p = 0; p < 32 * 32; p++) frame.set(background, 3 * p);
    for (let blob = 0; blob < 5; blob++) {
      const [cx, cy, r, rgb] = [randUniform(rng, 0, 32), randUniform(rng, 0, 32), randUniform(rng, 1.5, 3.5), colour()];
      for (let y = 0; y < 32; y++) {
        for (let x = 0; x < 32; x++) if (Math.hypot(x + 0.5 - cx, y + 0.5 - cy) <= r) frame.set(rgb, 3 * (y * 32 + x));
      }
    }
  }
  return video;
}

describe('videoMetrics', () => {
  const clean = renders(120, 10);
  const cleanMetrics = clean.map(([spec, video]) => videoMetrics(video, spec));

  it('scores clean renders as aligned, consistent, smooth and flicker-free', () => {
    for (const m of cleanMetrics) {
      for (const key of METRIC_KEYS) {
        expect(m[key]).toBeGreaterThanOrEqual(0);
        expect(m[key]).toBeLessThanOrEqual(1);
      }
      expect(m.objectFound).toBe(1);
      expect(m.temporalFlicker).toBeLessThan(0.01);
      expect(m.backgroundConsistency).toBeGreaterThan(0.99);
    }
    expect(mean(cleanMetrics, 'colourCorrect')).toBe(1);
    expect(mean(cleanMetrics, 'shapeCorrect')).toBeGreaterThan(0.98);
    expect(mean(cleanMetrics, 'actionCorrect')).toBeGreaterThan(0.98);
    expect(mean(cleanMetrics, 'subjectConsistency')).toBeGreaterThan(0.9);
    expect(mean(cleanMetrics, 'motionSmoothness')).toBeGreaterThan(0.9);
  });

  it('scores per-frame noise worse: more flicker, less subject consistency', () => {
    const noisy = clean.map(([spec, video], i) => videoMetrics(addNoise(video, 0.15, i), spec));
    expect(mean(noisy, 'temporalFlicker')).toBeGreaterThan(0.5);
    expect(mean(noisy, 'subjectConsistency')).toBeLessThan(mean(cleanMetrics, 'subjectConsistency') - 0.03);
    const score = (list: VideoMetrics[]) => list.reduce((s, m) => s + qualityScore(m), 0) / list.length;
    expect(score(noisy)).toBeLessThan(score(cleanMetrics) - 0.03);
  });

  it('scores shuffled frames of moving objects as less smooth', () => {
    const moving = renders(40, 20, (s) => s.action.startsWith('moves') || s.action === 'bounces');
    const [ordered, shuffled] = [0, 1].map((shuffle) =>
      moving.map(([spec, video]) => videoMetrics(shuffle ? reorderFrames(video, SHUFFLE) : video, spec)),
    );
    expect(mean(shuffled, 'motionSmoothness')).toBeLessThan(mean(ordered, 'motionSmoothness') - 0.3);
    const score = (list: VideoMetrics[]) => list.reduce((sum, m) => sum + qualityScore(m), 0) / list.length;
    expect(score(shuffled)).toBeLessThan(score(ordered));
  });

  it('marks a move played backwards as the wrong action', () => {
    const moves = renders(20, 30, (s) => s.action.startsWith('moves'));
    const reversed = moves.map(([spec, video]) => videoMetrics(reorderFrames(video, [7, 6, 5, 4, 3, 2, 1, 0]), spec));
    expect(mean(reversed, 'actionCorrect')).toBe(0);
    expect(mean(reversed, 'motionSmoothness')).toBeGreaterThan(0.9); // still smooth, just wrong
  });

  it('sees a background that drifts between frames', () => {
    const [spec, video] = clean[0];
    const drifting: Video = { ...video, data: new Float32Array(video.data) };
    const frameSize = 32 * 32 * 3;
    for (let i = 0; i < drifting.data.length; i++) drifting.data[i] += 0.1 * Math.floor(i / frameSize) * (i % 3 === 0 ? 1 : -1);
    const m = videoMetrics(drifting, spec);
    expect(m.backgroundConsistency).toBeLessThan(0.8);
    expect(m.temporalFlicker).toBeGreaterThan(0.45); // 0.05 of the [0,1] range per frame, FLICKER_SCALE 0.1
  });

  it('scores pure noise as no object, all flicker, no consistency', () => {
    const spec = parsePrompt('a red circle moves left');
    for (const seed of [1, 2, 3]) {
      const m = videoMetrics(noiseVideo(seed), spec);
      expect(m.objectFound).toBeLessThanOrEqual(0.1);
      expect(m.temporalFlicker).toBeGreaterThanOrEqual(0.5);
      expect(m.subjectConsistency).toBeLessThan(0.1);
      expect(m.backgroundConsistency).toBeLessThan(0.1); // the same median grey each frame is no background
      expect(m.motionSmoothness).toBeLessThan(0.1);
      expect(qualityScore(m)).toBeLessThan(0.2);
    }
  });

  it('finds no single object in a scatter of small patches', () => {
    const spec = parsePrompt('a red circle moves left');
    const scattered = Array.from({ length: 10 }, (_, seed) => videoMetrics(scatterVideo(seed), spec));
    for (const m of scattered) expect(m.objectFound).toBeLessThanOrEqual(0.2);
    expect(mean(scattered, 'objectFound')).toBeLessThan(0.05);
  });

  it('sees the background flickering in brightness from frame to frame', () => {
    const [spec, video] = clean[0];
    const flickering: Video = { ...video, data: new Float32Array(video.data) };
    const frameSize = 32 * 32 * 3;
    for (let f = 0; f < 8; f++) {
      const frame = flickering.data.subarray(f * frameSize, (f + 1) * frameSize);
      const corner = Array.from(frame.subarray(0, 3)); // the renderer paints the background exactly
      for (let p = 0; p < frameSize; p += 3) {
        if (frame[p] === corner[0] && frame[p + 1] === corner[1] && frame[p + 2] === corner[2]) {
          for (let c = 0; c < 3; c++) frame[p + c] += f % 2 ? 0.06 : -0.06; // ±0.03 of the [0,1] range
        }
      }
    }
    const m = videoMetrics(flickering, spec);
    expect(m.objectFound).toBe(1);
    expect(m.temporalFlicker).toBeGreaterThan(cleanMetrics[0].temporalFlicker + 0.3); // 0.06 per step / FLICKER_SCALE 0.1
    expect(qualityScore(m)).toBeLessThan(qualityScore(cleanMetrics[0]));
  });

  it('finds no object in a black video', () => {
    const black: Video = { ...SHAPE_32, data: new Float32Array(8 * 32 * 32 * 3).fill(-1) };
    const m = videoMetrics(black, parsePrompt('a red circle moves left'));
    expect(m.objectFound).toBe(0);
    expect(m.colourCorrect + m.shapeCorrect + m.actionCorrect).toBe(0);
    expect(m.subjectConsistency).toBe(0);
    expect(m.dynamicDegree).toBe(0);
    expect(qualityScore(m)).toBeLessThan(0.3);
  });

  it('measures more motion for moving objects than for still ones', () => {
    const spec = parsePrompt('a red square moves left');
    const moving = videoMetrics(render(spec, 1, SHAPE_32), spec);
    const firstFrame = reorderFrames(render(spec, 1, SHAPE_32), new Array(8).fill(0));
    const still = videoMetrics(firstFrame, spec);
    expect(moving.dynamicDegree).toBeGreaterThan(0.5);
    expect(still.dynamicDegree).toBeLessThan(0.05);
    expect(still.actionCorrect).toBe(0);
  });
});

describe('aggregateMetrics and qualityScore', () => {
  const perfect: VideoMetrics = {
    colourCorrect: 1,
    shapeCorrect: 1,
    actionCorrect: 1,
    objectFound: 1,
    subjectConsistency: 1,
    backgroundConsistency: 1,
    motionSmoothness: 1,
    temporalFlicker: 0,
    dynamicDegree: 0.4,
  };

  it('averages each metric and counts', () => {
    const wrong = { ...perfect, colourCorrect: 0 as const, temporalFlicker: 0.5 };
    const agg = aggregateMetrics([perfect, wrong]);
    expect(agg.count).toBe(2);
    expect(agg.colourCorrect).toBe(0.5);
    expect(agg.temporalFlicker).toBe(0.25);
    expect(aggregateMetrics([]).count).toBe(0);
  });

  it('weighs alignment most, flicker as a cost, dynamic degree not at all', () => {
    expect(qualityScore(perfect)).toBeCloseTo(1, 10);
    expect(qualityScore({ ...perfect, dynamicDegree: 0.9 })).toBeCloseTo(1, 10);
    const wrongColour = qualityScore({ ...perfect, colourCorrect: 0 });
    const allVisualBad = qualityScore({
      ...perfect,
      subjectConsistency: 0,
      backgroundConsistency: 0,
      motionSmoothness: 0,
      temporalFlicker: 1,
    });
    expect(wrongColour).toBeLessThan(0.9);
    expect(allVisualBad).toBeGreaterThan(0.7);
    expect(qualityScore({ ...perfect, temporalFlicker: 1 })).toBeLessThan(1);
    const { colourCorrect, shapeCorrect, actionCorrect } = DEFAULT_QUALITY_WEIGHTS;
    const alignment = colourCorrect + shapeCorrect + actionCorrect;
    expect(alignment).toBeGreaterThan(0.5);
    // Custom weights: only smoothness counts.
    const onlySmooth = Object.fromEntries(METRIC_KEYS.map((k) => [k, k === 'motionSmoothness' ? 1 : 0]));
    expect(qualityScore({ ...perfect, motionSmoothness: 0.3, colourCorrect: 0 }, onlySmooth)).toBeCloseTo(0.3, 10);
  });
});
