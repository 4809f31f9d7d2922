import { describe, expect, it } from 'vitest';
import {
  addNoise, builtinTaste, BUILTIN_TASTE_NAMES, createSimulatedAnnotator, formatPrompt, makeRng, parsePrompt, randNormal,
  render, renderScene, reorderFrames, sampleScene, tasteSpread, type Judgment, type PromptSpec, type Taste, type Video, type VideoShape,
} from '../../../src/world';
import { SHAPES, COLOUR_NAMES } from '../../../src/world/vocab';

const SHAPE: VideoShape = { frames: 8, height: 32, width: 32 };
const SEEDS = [0, 1, 2, 3, 4, 5];

/** How often `taste` scores `preferred(spec, seed)` above `other(spec, seed)` over specs × seeds. */
function preferenceRate(taste: Taste, specs: PromptSpec[], preferred: (s: PromptSpec, seed: number) => [Video, string], other: (s: PromptSpec, seed: number) => [Video, string]): number {
  let wins = 0;
  let total = 0;
  for (const spec of specs) {
    for (const seed of SEEDS) {
      const [a, pa] = preferred(spec, seed);
      const [b, pb] = other(spec, seed);
      wins += taste.score(a, pa) > taste.score(b, pb) ? 1 : 0;
      total++;
    }
  }
  return wins / total;
}

const specsFor = (action: string): PromptSpec[] =>
  SHAPES.flatMap((shape) => COLOUR_NAMES.slice(0, 3).map((colour) => parsePrompt(`a ${colour} ${shape} ${action}`)));
const rendered = (edit: (s: PromptSpec) => PromptSpec) => (s: PromptSpec, seed: number): [Video, string] => {
  const spec = edit(s);
  return [render(spec, seed, SHAPE), formatPrompt(spec)];
};

describe('built-in tastes order rendered videos as designed', () => {
  it('lists quality and at least four tastes that vary among samples', () => {
    expect(BUILTIN_TASTE_NAMES).toEqual(expect.arrayContaining(['quality', 'lively', 'big', 'centred', 'smooth']));
    expect(() => builtinTaste('bigger')).toThrow(/Unknown taste "bigger".*lively/);
  });

  it('big prefers "a big …" over "a small …"', () => {
    const rate = preferenceRate(builtinTaste('big'), specsFor('moves left'), rendered((s) => ({ ...s, size: 'big' })), rendered((s) => ({ ...s, size: 'small' })));
    expect(rate).toBeGreaterThanOrEqual(0.95);
  });

  it('lively prefers "… quickly" over "… slowly"', () => {
    const specs = [...specsFor('moves right'), ...specsFor('moves up')];
    const rate = preferenceRate(builtinTaste('lively'), specs, rendered((s) => ({ ...s, speed: 'quickly' })), rendered((s) => ({ ...s, speed: 'slowly' })));
    expect(rate).toBeGreaterThanOrEqual(0.95);
  });

  it('centred prefers the object at the centre over the same scene moved off-centre', () => {
    const at = (dx: number) => (s: PromptSpec, seed: number): [Video, string] => {
      const scene = sampleScene(s, seed, SHAPE);
      scene.centreX = scene.centreX.map((x) => x + dx);
      return [renderScene(scene, SHAPE), formatPrompt(s)];
    };
    const specs = [...specsFor('grows'), ...specsFor('rotates')];
    expect(preferenceRate(builtinTaste('centred'), specs, at(0), at(0.22))).toBeGreaterThanOrEqual(0.95);
    expect(preferenceRate(builtinTaste('centred'), specs, at(0), at(-0.22))).toBeGreaterThanOrEqual(0.95);
  });

  it('smooth prefers a clean render over one with shuffled frames or flicker', () => {
    const clean = rendered((s) => s);
    const shuffled = (s: PromptSpec, seed: number): [Video, string] => [reorderFrames(render(s, seed, SHAPE), [0, 4, 2, 6, 1, 5, 3, 7]), formatPrompt(s)];
    const noisy = (s: PromptSpec, seed: number): [Video, string] => [addNoise(render(s, seed, SHAPE), 0.08, seed + 7), formatPrompt(s)];
    const smooth = builtinTaste('smooth');
    expect(preferenceRate(smooth, specsFor('moves down'), clean, shuffled)).toBeGreaterThanOrEqual(0.95);
    expect(preferenceRate(smooth, specsFor('bounces'), clean, noisy)).toBeGreaterThanOrEqual(0.95);
  });

  it('quality prefers the prompt\'s colour over another colour', () => {
    const rate = preferenceRate(builtinTaste('quality'), specsFor('moves left'), rendered((s) => s), (s, seed) => {
      const wrong = { ...s, colour: s.colour === 'red' ? 'blue' as const : 'red' as const };
      return [render(wrong, seed, SHAPE), formatPrompt(s)];
    });
    expect(rate).toBeGreaterThanOrEqual(0.95);
  });
});

describe('a simulated person in units of the taste\'s spread', () => {
  const scores = (() => {
    const rng = makeRng(5);
    return Array.from({ length: 2000 }, () => [randNormal(rng, 0, 1), randNormal(rng, 0, 1)] as const);
  })();
  const decisions = (std: number, mean: number, options: { noise: number; tieMargin: number; bothBadThreshold?: number }): Judgment[] => {
    const person = createSimulatedAnnotator({ ...options, tieRate: 0.5, spread: { mean, std }, seed: 11 });
    return scores.map(([a, b]) => person.judgeScores(mean + std * a, mean + std * b));
  };

  it('noise, tie margin and both-bad mean the same for a taste of any scale', () => {
    const options = { noise: 0.3, tieMargin: 0.1, bothBadThreshold: -1.5 };
    const unit = decisions(1, 0, options);
    expect(decisions(0.004, 0.93, options)).toEqual(unit);
    expect(decisions(250, -40, options)).toEqual(unit);
    // and the settings do something: more noise in the same units flips more decisions
    const flips = (a: Judgment[], b: Judgment[]) => a.filter((d, i) => d !== b[i]).length;
    expect(flips(decisions(0.004, 0.93, { ...options, noise: 1 }), unit)).toBeGreaterThan(100);
    expect(unit.filter((d) => d === 'both-bad').length).toBeGreaterThan(0);
  });

  it('misjudges pairs in proportion to the noise in std units', () => {
    // A pair 0.3 std apart with noise 0.3 std is misjudged Φ(−1/√1) ≈ 16 % of the time.
    const person = createSimulatedAnnotator({ noise: 0.3, tieRate: 0, spread: { mean: 5, std: 0.02 }, seed: 3 });
    let wrong = 0;
    for (let i = 0; i < 4000; i++) wrong += person.judgeScores(5 + 0.006, 5) === 'right' ? 1 : 0;
    expect(wrong / 4000).toBeGreaterThan(0.12);
    expect(wrong / 4000).toBeLessThan(0.2);
  });

  it('tasteSpread gives the std of the scores and a unit std to a constant taste', () => {
    expect(tasteSpread([1, 2, 3, 4]).std).toBeCloseTo(Math.sqrt(5 / 3), 10);
    expect(tasteSpread([2, 2, 2])).toEqual({ mean: 2, std: 1 });
  });

  it('judges videos by its taste', () => {
    const big = builtinTaste('big');
    const person = createSimulatedAnnotator({ taste: big, noise: 0, tieRate: 0, spread: { mean: 0.1, std: 0.05 }, seed: 1 });
    const small = render('a small red square grows', 3, SHAPE);
    const large = render('a big red square grows', 3, SHAPE);
    expect(person.judge('a red square grows', small, large)).toBe('right');
    expect(person.judge('a red square grows', large, small)).toBe('left');
  });
});
