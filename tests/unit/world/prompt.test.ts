import { describe, expect, it } from 'vitest';
import {
  ACTIONS,
  BACKGROUND_NAMES,
  COLOUR_NAMES,
  HELD_OUT_SEED_BASE,
  PromptError,
  SHAPES,
  SIZES,
  SPEEDS,
  allSpecs,
  formatPrompt,
  heldOutSpecs,
  isHeldOutCombo,
  makeRng,
  parsePrompt,
  pick,
  promptSuites,
  randInt,
  randNormal,
  sampleTrainingSpec,
  trainingSpecs,
  vocabularyWords,
  type PromptSpec,
} from '../../../src/world';

function parseError(text: string): PromptError {
  try {
    parsePrompt(text);
  } catch (error) {
    expect(error).toBeInstanceOf(PromptError);
    return error as PromptError;
  }
  throw new Error(`expected "${text}" to be rejected`);
}

describe('rng', () => {
  it('is deterministic per seed and uniform in [0, 1)', () => {
    const a = makeRng(42);
    const b = makeRng(42);
    const draws = Array.from({ length: 10_000 }, () => a());
    expect(draws).toEqual(Array.from({ length: 10_000 }, () => b()));
    expect(Math.min(...draws)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...draws)).toBeLessThan(1);
    expect(draws.reduce((s, x) => s + x, 0) / draws.length).toBeCloseTo(0.5, 1);
    expect(makeRng(43)()).not.toBe(makeRng(42)());
    // Seeds past 2^32 (eval seeds grow from 1e9) must not collide with small ones.
    expect(makeRng(2 ** 32 + 5)()).not.toBe(makeRng(5)());
  });

  it('has integer, pick and normal helpers', () => {
    const rng = makeRng(1);
    const ints = Array.from({ length: 2000 }, () => randInt(rng, 3, 7));
    expect(new Set(ints)).toEqual(new Set([3, 4, 5, 6]));
    expect(['x', 'y']).toContain(pick(rng, ['x', 'y']));
    expect(() => pick(rng, [])).toThrow(/empty/);
    const normals = Array.from({ length: 20_000 }, () => randNormal(rng, 2, 3));
    const mean = normals.reduce((s, x) => s + x, 0) / normals.length;
    const std = Math.sqrt(normals.reduce((s, x) => s + (x - mean) ** 2, 0) / normals.length);
    expect(mean).toBeCloseTo(2, 1);
    expect(std).toBeGreaterThan(2.9);
    expect(std).toBeLessThan(3.1);
  });
});

describe('prompt grammar', () => {
  it('round-trips every combination with every modifier', () => {
    for (const base of allSpecs()) {
      for (const size of [null, ...SIZES]) {
        for (const speed of [null, ...SPEEDS]) {
          const spec: PromptSpec = { ...base, size, speed };
          expect(parsePrompt(formatPrompt(spec))).toEqual(spec);
        }
      }
    }
  });

  it('formats canonically: article agreement, background clause only when not black', () => {
    const spec: PromptSpec = {
      colour: 'orange',
      shape: 'square',
      action: 'moves up',
      background: 'black',
      size: null,
      speed: null,
    };
    expect(formatPrompt(spec)).toBe('an orange square moves up');
    expect(formatPrompt({ ...spec, size: 'big', speed: 'slowly', background: 'brown' })).toBe(
      'a big orange square moves up slowly on a brown background',
    );
    expect(parsePrompt('a red circle grows on a black background')).toEqual(parsePrompt('a red circle grows'));
  });

  it('tolerates case, extra whitespace, a trailing period and either article', () => {
    const expected: PromptSpec = {
      colour: 'orange',
      shape: 'triangle',
      action: 'moves left',
      background: 'white',
      size: 'small',
      speed: 'quickly',
    };
    expect(parsePrompt('  A SMALL Orange   triangle moves\tLEFT quickly on an white background.  ')).toEqual(expected);
    expect(parsePrompt('a small orange triangle moves left quickly on a white background')).toEqual(expected);
    expect(parsePrompt('small orange triangle moves left quickly on a white background')).toEqual(expected);
  });

  it('names every unknown word and lists the vocabulary by group', () => {
    const error = parseError('a magenta circel moves left');
    expect(error.unknownWords).toEqual(['magenta', 'circel']);
    expect(error.prompt).toBe('a magenta circel moves left');
    expect(error.message).toContain('"magenta"');
    expect(error.message).toContain('"circel"');
    expect(error.message).toMatch(/did you mean "circle"/);
    for (const group of ['colours:', 'shapes:', 'actions:', 'backgrounds:', 'modifiers:']) expect(error.message).toContain(group);
    for (const word of [...COLOUR_NAMES, ...SHAPES, ...BACKGROUND_NAMES, ...SIZES, ...SPEEDS]) {
      expect(error.message).toContain(word);
    }
    expect(parseError('a red square moves sideways on a grey background').unknownWords).toEqual(['sideways', 'grey']);
  });

  it('explains structural errors made of known words', () => {
    const cases: [string, RegExp][] = [
      ['a red moves left', /expected a shape .*found "moves"/],
      ['a red circle moves', /expected a direction .*prompt ended/],
      ['a red circle', /expected an action/],
      ['a circle moves left', /expected a colour/],
      ['a red circle bounces on a', /expected a background/],
      ['a red circle bounces on a white', /expected the word "background"/],
      ['a red circle bounces red', /unexpected "red"/],
      ['a red circle left moves', /expected an action/],
      ['   ', /empty/],
    ];
    for (const [text, pattern] of cases) {
      const error = parseError(text);
      expect(error.message).toMatch(pattern);
      expect(error.unknownWords).toEqual([]);
    }
  });

  it('exposes a sorted, deduplicated vocabulary that covers every prompt', () => {
    const words = vocabularyWords();
    expect(words).toEqual([...new Set(words)].sort());
    const vocabulary = new Set(words);
    for (const action of ACTIONS) for (const w of action.split(' ')) expect(vocabulary.has(w)).toBe(true);
    for (const spec of allSpecs()) {
      for (const w of formatPrompt({ ...spec, size: 'big', speed: 'slowly' }).split(' ')) expect(vocabulary.has(w)).toBe(true);
    }
  });

  it('has example prompts for every action', () => {
    const suites = promptSuites();
    for (const action of ACTIONS) {
      expect(suites[action].length).toBeGreaterThanOrEqual(3);
      for (const prompt of suites[action]) {
        const spec = parsePrompt(prompt);
        expect(spec.action).toBe(action);
        expect(isHeldOutCombo(spec)).toBe(false);
      }
    }
  });
});

describe('held-out split', () => {
  const training = trainingSpecs();
  const heldOut = heldOutSpecs();
  const key = (s: PromptSpec) => `${s.colour}|${s.shape}|${s.action}|${s.background}`;

  it('partitions the combinations, holding out about one in eight', () => {
    expect(training.length + heldOut.length).toBe(COLOUR_NAMES.length * SHAPES.length * ACTIONS.length * BACKGROUND_NAMES.length);
    const trainingKeys = new Set(training.map(key));
    for (const spec of heldOut) expect(trainingKeys.has(key(spec))).toBe(false);
    const fraction = heldOut.length / (training.length + heldOut.length);
    expect(fraction).toBeGreaterThan(1 / 12);
    expect(fraction).toBeLessThan(1 / 6);
    expect(heldOutSpecs().map(key)).toEqual(heldOut.map(key)); // deterministic
    expect(HELD_OUT_SEED_BASE).toBe(1_000_000_000);
  });

  it('still shows every value of every attribute in training', () => {
    for (const colour of COLOUR_NAMES) expect(training.some((s) => s.colour === colour)).toBe(true);
    for (const shape of SHAPES) expect(training.some((s) => s.shape === shape)).toBe(true);
    for (const action of ACTIONS) expect(training.some((s) => s.action === action)).toBe(true);
    for (const background of BACKGROUND_NAMES) expect(training.some((s) => s.background === background)).toBe(true);
  });

  it('samples training specs only, with modifiers ~25 % and backgrounds uniform', () => {
    const rng = makeRng(5);
    const n = 8000;
    const samples = Array.from({ length: n }, () => sampleTrainingSpec(rng));
    expect(samples.some((s) => isHeldOutCombo(s))).toBe(false);
    const rate = (predicate: (s: PromptSpec) => boolean) => samples.filter(predicate).length / n;
    expect(rate((s) => s.size !== null)).toBeCloseTo(0.25, 1);
    expect(rate((s) => s.speed !== null)).toBeCloseTo(0.25, 1);
    for (const background of BACKGROUND_NAMES) expect(rate((s) => s.background === background)).toBeCloseTo(0.25, 1);
    const again = makeRng(5);
    expect(Array.from({ length: 50 }, () => sampleTrainingSpec(again))).toEqual(samples.slice(0, 50));
  });

  it('narrows the action to a given subset and still rejects held-out combinations', () => {
    const rng = makeRng(9);
    const subset = ['moves left', 'moves right'] as const;
    const samples = Array.from({ length: 2000 }, () => sampleTrainingSpec(rng, subset));
    expect(new Set(samples.map((s) => s.action))).toEqual(new Set(subset));
    expect(samples.some((s) => isHeldOutCombo(s))).toBe(false);
    expect(samples.filter((s) => s.action === 'moves left').length / samples.length).toBeCloseTo(0.5, 1);
    expect(() => sampleTrainingSpec(rng, [])).toThrow(/empty/);
  });
});
