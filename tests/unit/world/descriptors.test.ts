import { describe, expect, it } from 'vitest';
import {
  addNoise, DESCRIPTOR_NAMES, DESCRIPTOR_SIZE, detectObject, emptyVideo, parsePrompt, render, renderScene, sampleScene, videoDescriptor, type PromptSpec, type Video, type VideoShape,
} from '../../../src/world';

const SHAPE: VideoShape = { frames: 8, height: 32, width: 32 };
const SEEDS = [0, 1, 2, 3, 4, 5];
const at = (name: (typeof DESCRIPTOR_NAMES)[number]) => DESCRIPTOR_NAMES.indexOf(name);
const describe1 = (v: Video) => videoDescriptor(v, detectObject(v));

/** How often descriptor entry `name` is larger for `a(seed)` than for `b(seed)`. */
function largerRate(name: (typeof DESCRIPTOR_NAMES)[number], a: (seed: number) => Video, b: (seed: number) => Video): number {
  return SEEDS.filter((s) => describe1(a(s))[at(name)] > describe1(b(s))[at(name)]).length / SEEDS.length;
}

describe('video descriptor', () => {
  const spec = (p: string): PromptSpec => parsePrompt(p);

  it('has one finite value per name, also for a video with no object', () => {
    const d = describe1(render(spec('a red square moves left'), 1, SHAPE));
    expect(d).toHaveLength(DESCRIPTOR_SIZE);
    expect([...d].every(Number.isFinite)).toBe(true);
    const blank = describe1(emptyVideo(SHAPE));
    expect([...blank].every(Number.isFinite)).toBe(true);
    expect(blank[at('found')]).toBe(0);
  });

  it('reads size, speed, position, brightness and flicker as named', () => {
    const r = (p: string) => (seed: number) => render(spec(p), seed, SHAPE);
    expect(largerRate('area', r('a big blue circle moves up'), r('a small blue circle moves up'))).toBe(1);
    expect(largerRate('travel', r('a green square moves right quickly'), r('a green square moves right slowly'))).toBe(1);
    const moved = (dx: number) => (seed: number) => {
      const scene = sampleScene(spec('a red triangle grows'), seed, SHAPE);
      scene.centreX = scene.centreX.map((x) => x + dx);
      return renderScene(scene, SHAPE);
    };
    expect(largerRate('centreDistance', moved(0.22), moved(0))).toBe(1);
    expect(largerRate('offsetX', moved(0.22), moved(0))).toBe(1);
    expect(largerRate('luminance', r('a yellow circle moves left'), r('a blue circle moves left'))).toBe(1);
    expect(largerRate('flickerEnergy', (s) => addNoise(r('a red circle bounces')(s), 0.08, s + 7), r('a red circle bounces'))).toBe(1);
  });
});
