import { describe, expect, it } from 'vitest';
import {
  SIZES,
  frameToRgba,
  makeRng,
  parsePrompt,
  render,
  renderScene,
  sampleScene,
  sampleTrainingSpec,
  videoFromUint8,
  videoToUint8,
  type PromptSpec,
  type VideoShape,
} from '../../../src/world';

const SHAPE_32: VideoShape = { frames: 8, height: 32, width: 32 };
const SHAPE_16: VideoShape = { frames: 4, height: 16, width: 16 };
const spec = (text: string): PromptSpec => parsePrompt(text);

describe('render', () => {
  it('is deterministic per seed, and seeds differ', () => {
    const a = videoToUint8(render('a red circle moves left', 7, SHAPE_32));
    const b = videoToUint8(render('a red circle moves left', 7, SHAPE_32));
    const c = videoToUint8(render('a red circle moves left', 8, SHAPE_32));
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
    const fromSpec = render(spec('a red circle moves left'), 7, SHAPE_32);
    expect(fromSpec.data).toEqual(render('a red circle moves left', 7, SHAPE_32).data);
  });

  it('produces [F, H, W, 3] data in [-1, 1]', () => {
    const rng = makeRng(2);
    for (const shape of [SHAPE_32, SHAPE_16, { frames: 3, height: 12, width: 20 }]) {
      for (let i = 0; i < 20; i++) {
        const video = render(sampleTrainingSpec(rng), i, shape);
        expect(video).toMatchObject(shape);
        expect(video.data.length).toBe(shape.frames * shape.height * shape.width * 3);
        let [lo, hi] = [Infinity, -Infinity];
        for (const x of video.data) [lo, hi] = [Math.min(lo, x), Math.max(hi, x)];
        expect(lo).toBeGreaterThanOrEqual(-1);
        expect(hi).toBeLessThanOrEqual(1);
      }
    }
  });

  it('paints the background colour at the corners and the object colour at its centre', () => {
    const video = render('a big yellow square rotates on a white background', 3, SHAPE_32);
    const scene = sampleScene(spec('a big yellow square rotates on a white background'), 3, SHAPE_32);
    const pixel = (x: number, y: number) => Array.from(video.data.subarray((y * 32 + x) * 3, (y * 32 + x) * 3 + 3));
    expect(pixel(0, 0)).toEqual(scene.background.map((c) => expect.closeTo(2 * c - 1, 5)));
    const cx = Math.floor(scene.centreX[0] * 32);
    const cy = Math.floor(scene.centreY[0] * 32);
    expect(pixel(cx, cy)).toEqual(scene.rgb.map((c) => expect.closeTo(2 * c - 1, 5)));
  });

  it('rejects a scene whose frame count does not match the shape', () => {
    const scene = sampleScene(spec('a red circle grows'), 1, SHAPE_32);
    expect(() => renderScene(scene, SHAPE_16)).toThrow(/8 frames/);
  });
});

describe('scene motion', () => {
  const scenes = (text: string, shape: VideoShape, n = 40) =>
    Array.from({ length: n }, (_, seed) => sampleScene(spec(text), seed, shape));

  it('moves 40–60 % of the frame by default, ×0.6 slowly, ×1.5 quickly, staying inside', () => {
    for (const shape of [SHAPE_32, SHAPE_16]) {
      const travel = (text: string) => scenes(text, shape).map((s) => s.centreX[0] - s.centreX[shape.frames - 1]);
      for (const t of travel('a red circle moves left')) expect(t).toBeGreaterThan(0.4);
      for (const t of travel('a red circle moves left')) expect(t).toBeLessThan(0.6);
      for (const t of travel('a red circle moves left slowly')) expect(t).toBeGreaterThan(0.24);
      for (const t of travel('a red circle moves left quickly')) expect(t).toBeGreaterThan(0.6);
      for (const s of scenes('a big red square moves down quickly', shape)) {
        expect(s.centreY[shape.frames - 1] - s.centreY[0]).toBeGreaterThan(0.4);
        for (const y of s.centreY) expect(Math.min(y, 1 - y)).toBeGreaterThan(0.5 * s.radius[0]); // centre never near the edge
        expect(new Set(s.centreX).size).toBe(1);
      }
    }
  });

  it('bounces down then up, clearly non-monotonic in both frame counts', () => {
    for (const shape of [SHAPE_32, SHAPE_16]) {
      for (const s of scenes('a green circle bounces slowly', shape)) {
        const lowest = Math.max(...s.centreY);
        const at = s.centreY.indexOf(lowest);
        expect(at).toBeGreaterThan(0);
        expect(at).toBeLessThan(shape.frames - 1);
        expect(lowest - s.centreY[0]).toBeGreaterThan(0.08);
        expect(lowest - s.centreY[shape.frames - 1]).toBeGreaterThan(0.08);
      }
    }
  });

  it('grows and shrinks the radius by about ×2.2 around a near-centre position', () => {
    for (const s of scenes('a blue triangle grows', SHAPE_32)) {
      expect(s.radius[7] / s.radius[0]).toBeGreaterThan(2);
      expect(s.radius[7] / s.radius[0]).toBeLessThan(2.4);
      expect(Math.abs(s.centreX[0] - 0.5)).toBeLessThanOrEqual(0.08);
    }
    for (const s of scenes('a big blue triangle shrinks quickly', SHAPE_32)) expect(s.radius[0] / s.radius[7]).toBeGreaterThan(2);
  });

  it('rotates at least 60° even slowly, at most 30° per frame, in place', () => {
    for (const shape of [SHAPE_32, SHAPE_16]) {
      for (const text of ['a purple square rotates slowly', 'a purple triangle rotates quickly']) {
        for (const s of scenes(text, shape)) {
          const degrees = (Math.abs(s.angle[shape.frames - 1] - s.angle[0]) * 180) / Math.PI;
          expect(degrees).toBeGreaterThanOrEqual(60);
          expect(degrees / (shape.frames - 1)).toBeLessThanOrEqual(30 + 1e-9);
          expect(new Set(s.centreX).size).toBe(1);
          expect(new Set(s.radius).size).toBe(1);
        }
      }
    }
  });

  it('sizes objects small < default < big with ±15 % jitter', () => {
    const radius = (size: string) => scenes(`a ${size} red circle rotates`.replace('  ', ' '), SHAPE_32).map((s) => s.radius[0]);
    const [small, normal, big] = [radius(SIZES[0]), radius(''), radius(SIZES[1])];
    expect(Math.max(...small)).toBeLessThan(Math.min(...normal));
    expect(Math.max(...normal)).toBeLessThan(Math.min(...big));
    expect(Math.min(...normal)).toBeGreaterThanOrEqual(0.18 * 0.85);
    expect(Math.max(...normal)).toBeLessThanOrEqual(0.18 * 1.15);
  });

  it('jitters colours by at most 0.04 per channel', () => {
    for (const s of scenes('a red circle moves up', SHAPE_32)) {
      s.rgb.forEach((c, i) => expect(Math.abs(c - [0.9, 0.1, 0.1][i])).toBeLessThanOrEqual(0.04 + 1e-9));
    }
  });
});

describe('video byte helpers', () => {
  it('round-trips through uint8 within quantisation', () => {
    const video = render('a small orange triangle bounces on a brown background', 11, SHAPE_16);
    const bytes = videoToUint8(video);
    expect(bytes.length).toBe(video.data.length);
    const back = videoFromUint8(bytes, SHAPE_16);
    const worst = video.data.reduce((m, x, i) => Math.max(m, Math.abs(back.data[i] - x)), 0);
    expect(worst).toBeLessThanOrEqual(1 / 127.5 + 1e-6);
    expect(videoToUint8(back)).toEqual(bytes);
    expect(() => videoFromUint8(bytes.subarray(1), SHAPE_16)).toThrow(/bytes/);
  });

  it('clamps out-of-range values and lays frames out as RGBA', () => {
    const video = { ...SHAPE_16, data: new Float32Array(4 * 16 * 16 * 3).fill(-1) };
    video.data[0] = 1.7; // out of range → 255
    video.data[16 * 16 * 3 + 1] = -3; // frame 1, pixel 0, green
    video.data[16 * 16 * 3 + 2] = 0; // → 128 (127.5 rounds up)
    expect(videoToUint8(video)[0]).toBe(255);
    const rgba = frameToRgba(video, 1);
    expect(rgba.length).toBe(16 * 16 * 4);
    expect(Array.from(rgba.subarray(0, 4))).toEqual([0, 0, 128, 255]);
    expect(() => frameToRgba(video, 4)).toThrow(/outside/);
  });
});
