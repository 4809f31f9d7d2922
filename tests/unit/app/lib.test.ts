// The studio page's pure helpers: prompt checks, ETA, chart geometry, the rank queue and its
// keys, first-frame resizing, the Train form's round settings.
import { describe, expect, it } from 'vitest';
import { rankActionForKey, RANK_ACTIONS } from '../../../src/app/actions/rank-actions';
import { axisLabel, DEFAULT_BOX, linePath, valueDomain } from '../../../src/app/lib/chart';
import { etaSeconds, formatDuration, progressText } from '../../../src/app/lib/eta';
import { resizeRgbaToRgb } from '../../../src/app/lib/first-frame';
import { pixelScale, PLAYER_SIZES } from '../../../src/app/lib/player';
import { checkPrompts, describeProblems } from '../../../src/app/lib/prompts';
import { judgmentToUndo, leftVideoFor, rankPosition } from '../../../src/app/lib/rank-queue';
import { defaultTrainForm, hyperFromForm, onlineSpecFromForm } from '../../../src/app/lib/train-form';
import { pairwiseJudgment, planPairs, pointwiseJudgment } from '../../../src/prefs/pairs';
import { DEFAULT_KTO_BETA, DEFAULT_ROUND_HYPER, startRoundRecord } from '../../../src/prefs/rounds';

describe('checkPrompts', () => {
  it('canonicalises valid lines, skips blank ones, and names every unknown word by line', () => {
    const check = checkPrompts('A red circle moves left.\n\n  a magenta circel bounces\nblue square grows');
    expect(check.prompts).toEqual(['a red circle moves left', 'a blue square grows']);
    expect(check.problems).toHaveLength(1);
    expect(check.problems[0]).toMatchObject({ line: 3, unknownWords: ['magenta', 'circel'] });
    const text = describeProblems(check);
    expect(text).toMatch(/^Nothing was generated/);
    expect(text).toContain('Line 3');
    expect(text).toContain('"circel" (did you mean "circle"?)');
  });

  it('an empty box asks for a prompt; a valid one has nothing to say', () => {
    expect(describeProblems(checkPrompts(' \n '))).toMatch(/at least one prompt/);
    expect(describeProblems(checkPrompts('a red circle grows'))).toBe('');
  });
});

describe('ETA', () => {
  it('extrapolates the rate so far and formats durations', () => {
    expect(etaSeconds(0, 10, 1000)).toBeNull();
    expect(etaSeconds(5, 10, 2000)).toBeCloseTo(2);
    expect(formatDuration(7)).toBe('7 s');
    expect(formatDuration(65)).toBe('1:05');
    expect(formatDuration(3725)).toBe('1:02:05');
    expect(progressText(3, 12, 3000, 'steps')).toBe('3 of 12 steps · about 9 s left');
    expect(progressText(12, 12, 3000, 'steps')).toBe('12 of 12 steps · done');
  });
});

describe('chart geometry', () => {
  it('maps the domain onto the inner box, top = max, and breaks the line at non-finite values', () => {
    const box = DEFAULT_BOX;
    const d = linePath([0, 1, NaN, 0.5], [0, 1], box);
    const segments = d.split('M').filter(Boolean);
    expect(segments).toHaveLength(2); // broken at NaN
    expect(d.startsWith(`M${box.padLeft.toFixed(1)} ${(box.height - box.padBottom).toFixed(1)}`)).toBe(true);
    expect(d).toContain(`L${(box.padLeft + (box.width - box.padLeft - box.padRight) / 3).toFixed(1)} ${box.padTop.toFixed(1)}`);
  });

  it('widens a flat domain and ignores non-finite values', () => {
    expect(valueDomain([[2, 2, NaN]])).toEqual([1.8, 2.2]);
    expect(valueDomain([[], [NaN]])).toEqual([0, 1]);
    expect(valueDomain([[1, 3], [-1]])).toEqual([-1, 3]);
    expect(axisLabel(0.123456)).toBe('0.123');
    expect(axisLabel(12345)).toBe('1.2e+4');
  });
});

describe('rank queue', () => {
  const pairs = planPairs({ prompts: ['a red circle moves left', 'a blue square grows'], pairsPerPrompt: 2, round: 0, seed: 1, sampler: { steps: 4, guidance: 2 }, idPrefix: 'q' });
  const judge = (k: number, decision: 'left' | 'skip', annotator = 'ann', second = k) =>
    pairwiseJudgment({ id: `j${k}-${annotator}`, pair: pairs[k], decision, leftWas: 0, annotator, annotatorKind: 'human', round: 1, now: `2025-01-01T00:00:0${second}.000Z` });

  it('sides are random per pair but the same on every visit', () => {
    const sides = Array.from({ length: 40 }, (_, i) => leftVideoFor(`pair-${i}`, 'ann'));
    expect(new Set(sides)).toEqual(new Set([0, 1]));
    expect(leftVideoFor('pair-3', 'ann')).toBe(sides[3]);
  });

  it('shows the first pair this annotator has not judged; other annotators do not count', () => {
    const judgments = [judge(0, 'left'), judge(1, 'left', 'other')];
    const position = rankPosition(pairs, judgments, 'ann', 'pairwise');
    expect(position).toMatchObject({ index: 1, total: 4, judged: 1 });
    expect(position.pair?.id).toBe(pairs[1].id);
    expect(rankPosition(pairs, [0, 1, 2, 3].map((k) => judge(k, 'skip')), 'ann', 'pairwise').pair).toBeNull();
  });

  it('thumbs mode asks for the left video first, then the right, then moves on', () => {
    const left = leftVideoFor(pairs[0].id, 'ann');
    const thumb = (video: 0 | 1) => pointwiseJudgment({ id: `t${video}`, pair: pairs[0], video, desirable: true, annotator: 'ann', annotatorKind: 'human', round: 1 });
    expect(rankPosition(pairs, [], 'ann', 'pointwise').video).toBe(left);
    const afterOne = rankPosition(pairs, [thumb(left)], 'ann', 'pointwise');
    expect(afterOne.index).toBe(0);
    expect(afterOne.video).toBe(1 - left);
    expect(rankPosition(pairs, [thumb(0), thumb(1)], 'ann', 'pointwise').index).toBe(1);
  });

  it('undo takes the latest judgment of this annotator, unless a round trained on it', () => {
    const judgments = [judge(0, 'left', 'ann', 1), judge(1, 'left', 'ann', 2), judge(2, 'left', 'other', 3)];
    const found = judgmentToUndo(judgments, [], 'ann');
    expect('judgment' in found && found.judgment.id).toBe('j1-ann');
    const trained = { ...startRoundRecord(1, { ...DEFAULT_ROUND_HYPER }, ['j1-ann'], 1), status: 'completed' as const, lora: { rank: 1, alpha: 1, targetModules: [], modules: {} } };
    const refused = judgmentToUndo(judgments, [trained], 'ann');
    expect('reason' in refused && refused.reason).toMatch(/trained Round 1/);
  });
});

describe('rank keys', () => {
  it('maps the keys of docs/architecture.md §6 to their actions, letters in either case', () => {
    const name = (key: string, mode: 'pairwise' | 'pointwise' = 'pairwise') => rankActionForKey(key, mode)?.name;
    expect([name('1'), name('ArrowLeft'), name('2'), name('ArrowRight')]).toEqual(['left', 'left', 'right', 'right']);
    expect([name('t'), name('T'), name('b'), name('s'), name('z'), name('Backspace')]).toEqual(['tie', 'tie', 'both-bad', 'skip', 'undo', 'undo']);
    expect(name('x')).toBeUndefined();
    expect(name('1', 'pointwise')).toBeUndefined();
    expect([name('u', 'pointwise'), name('ArrowDown', 'pointwise')]).toEqual(['thumbs-up', 'thumbs-down']);
  });

  it('no key is bound twice in one mode', () => {
    for (const mode of ['pairwise', 'pointwise'] as const) {
      const keys = RANK_ACTIONS.filter((a) => a.modes.includes(mode)).flatMap((a) => a.keys);
      expect(new Set(keys).size).toBe(keys.length);
    }
  });
});

describe('first frame', () => {
  it('averages the source pixels each target pixel covers, transparent over black', () => {
    // 4×2 RGBA → 2×1: left half red (one pixel half transparent), right half white/black.
    const rgba = new Uint8ClampedArray([
      255, 0, 0, 255, 255, 0, 0, 255, 255, 255, 255, 255, 0, 0, 0, 255,
      255, 0, 0, 255, 255, 0, 0, 128, 255, 255, 255, 255, 0, 0, 0, 255,
    ]);
    const rgb = resizeRgbaToRgb(rgba, 4, 2, 2, 1);
    expect(Array.from(rgb)).toEqual([Math.round((255 * 3 + 255 * (128 / 255)) / 4), 0, 0, 128, 128, 128]);
  });

  it('upscales by repeating pixels', () => {
    const rgb = resizeRgbaToRgb(new Uint8ClampedArray([10, 20, 30, 255]), 1, 1, 2, 2);
    expect(Array.from(rgb)).toEqual([10, 20, 30, 10, 20, 30, 10, 20, 30, 10, 20, 30]);
  });
});

describe('Train form', () => {
  it('defaults are the engine defaults; KTO gets its own β; the round index seeds the round', () => {
    const hyper = hyperFromForm(defaultTrainForm(), 3);
    expect(hyper).toEqual({ ...DEFAULT_ROUND_HYPER, seed: 3, lora: { ...DEFAULT_ROUND_HYPER.lora } });
    expect(hyperFromForm({ ...defaultTrainForm(), method: 'kto', beta: DEFAULT_KTO_BETA }, 1).beta).toBe(DEFAULT_KTO_BETA);
  });

  it('a bad field is named with its value', () => {
    expect(() => hyperFromForm({ ...defaultTrainForm(), steps: 0 }, 1)).toThrow(/steps = 0 is invalid/);
    expect(() => hyperFromForm({ ...defaultTrainForm(), rank: NaN }, 1)).toThrow(/lora.rank/);
    expect(() => onlineSpecFromForm(defaultTrainForm(), [])).toThrow(/Generate tab/);
    expect(() => onlineSpecFromForm({ ...defaultTrainForm(), confidenceThreshold: 0.2 }, ['a red circle grows'])).toThrow(/confidence threshold = 0.2/);
    expect(() => onlineSpecFromForm({ ...defaultTrainForm(), taste: 'tall' }, ['a red circle grows'])).toThrow(/taste "tall" is unknown; choose one of quality, lively/);
    // the simulated person's taste goes with the spec; the critic has none
    expect(onlineSpecFromForm({ ...defaultTrainForm(), taste: 'big' }, ['a red circle grows']).taste).toBe('big');
    expect(onlineSpecFromForm({ ...defaultTrainForm(), labeller: 'critic', taste: 'big' }, ['a red circle grows']).taste).toBeUndefined();
  });
});

describe('player size', () => {
  it('reaches the chosen size with whole model pixels, on every shipped shape', () => {
    expect(PLAYER_SIZES[0]).toBe(256);
    for (const side of [16, 32]) { // tiny; small and small-p8
      for (const size of PLAYER_SIZES) {
        const scale = pixelScale(size, { height: side, width: side });
        expect(Number.isInteger(scale)).toBe(true);
        expect(side * scale).toBeLessThanOrEqual(size);
        expect(side * (scale + 1)).toBeGreaterThan(size);
      }
      expect(side * pixelScale(256, { height: side, width: side })).toBe(256);
    }
    expect(pixelScale(100, { height: 16, width: 200 })).toBe(1); // never below one screen pixel
  });
});
