import { describe, expect, it } from 'vitest';
import { createSimulatedAnnotator, parsePrompt, render, type Judgment, type VideoShape } from '../../../src/world';

const SHAPE_32: VideoShape = { frames: 8, height: 32, width: 32 };
const PROMPTS = [
  'a red circle moves left',
  'a blue square grows on a white background',
  'a small yellow triangle bounces on a gray background',
  'a big green square rotates quickly',
  'a purple triangle moves down slowly on a brown background',
];
const WRONG_COLOUR: Record<string, string> = { red: 'green', blue: 'orange', yellow: 'purple', green: 'red', purple: 'yellow' };

describe('simulated annotator', () => {
  it('with no noise prefers the right prompt over a wrong-colour one, on either side', () => {
    const annotator = createSimulatedAnnotator({ noise: 0, tieRate: 0, seed: 1 });
    let correct = 0;
    let total = 0;
    for (const prompt of PROMPTS) {
      const spec = parsePrompt(prompt);
      const wrongPrompt = prompt.replace(spec.colour, WRONG_COLOUR[spec.colour]);
      for (let seed = 0; seed < 6; seed++) {
        const good = render(spec, seed, SHAPE_32);
        const bad = render(wrongPrompt, seed + 100, SHAPE_32);
        correct += annotator.judge(spec, good, bad) === 'left' ? 1 : 0;
        correct += annotator.judge(prompt, bad, good) === 'right' ? 1 : 0;
        total += 2;
      }
    }
    expect(correct / total).toBeGreaterThanOrEqual(0.95);
  });

  it('answers tie at about tieRate when the videos are equally good', () => {
    const annotator = createSimulatedAnnotator({ noise: 0.01, tieRate: 0.3, seed: 2 });
    const spec = parsePrompt(PROMPTS[0]);
    const video = render(spec, 0, SHAPE_32);
    const answers = Array.from({ length: 300 }, () => annotator.judge(spec, video, video));
    const ties = answers.filter((a) => a === 'tie').length / answers.length;
    expect(ties).toBeGreaterThan(0.22);
    expect(ties).toBeLessThan(0.38);
    // The rest split between the sides, not all one way.
    expect(answers.filter((a) => a === 'left').length).toBeGreaterThan(50);
    expect(answers.filter((a) => a === 'right').length).toBeGreaterThan(50);
  });

  it('calls both bad below the threshold, and is deterministic by seed and call order', () => {
    const spec = parsePrompt(PROMPTS[1]);
    const blank = { ...SHAPE_32, data: new Float32Array(8 * 32 * 32 * 3).fill(-1) };
    const good = render(spec, 3, SHAPE_32);
    const strict = createSimulatedAnnotator({ noise: 0, tieRate: 0, bothBadThreshold: 0.5, seed: 3 });
    expect(strict.judge(spec, blank, blank)).toBe('both-bad');
    expect(strict.judge(spec, blank, good)).toBe('right');

    const run = (seed: number): Judgment[] => {
      const annotator = createSimulatedAnnotator({ noise: 0.3, tieRate: 0.5, seed });
      return Array.from({ length: 40 }, (_, i) => annotator.judge(spec, i % 2 ? good : blank, good));
    };
    expect(run(7)).toEqual(run(7));
    expect(run(7)).not.toEqual(run(8));
  });
});
