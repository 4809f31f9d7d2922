import { describe, expect, it } from 'vitest';
import { compareEvals, compareTable, type EvalReport } from '../../../scripts/lib/eval-compare';
import { METRIC_KEYS, type VideoMetrics } from '../../../src/world/metrics';

/** A report of n items whose metric values are `value(i)`, flicker shifted by `flicker`. */
function report(n: number, flicker: number, order = (i: number) => i): EvalReport {
  const perSample = Array.from({ length: n }, (_, j) => {
    const i = order(j);
    const m = Object.fromEntries(METRIC_KEYS.map((k) => [k, 0.5 + 0.1 * Math.sin(i * 1.7 + k.length)])) as unknown as VideoMetrics;
    return { ...m, temporalFlicker: m.temporalFlicker + flicker + 0.001 * Math.cos(i), prompt: `prompt ${i % 5}`, seed: 1000 + i };
  });
  return { sampler: 'euler', steps: 24, secondsPerVideo: 1, perSample };
}

describe('eval-compare', () => {
  it('pairs items by prompt and seed (in any order) and flags a planted flicker increase, not the unchanged metrics', () => {
    const base = report(40, 0);
    const worse = report(40, 0.01, (j) => 39 - j); // same items, reversed order
    const [b, w] = compareEvals([{ name: 'base', report: base }, { name: 'worse', report: worse }]);
    expect(b.deltas).toBeNull();
    expect(w.deltas!.temporalFlicker.mean).toBeCloseTo(0.01, 6);
    expect(w.deltas!.temporalFlicker.worse_beyond_noise).toBe(true);
    for (const k of METRIC_KEYS.filter((k) => k !== 'temporalFlicker')) {
      expect(w.deltas![k].mean).toBeCloseTo(0, 9);
      expect(w.deltas![k].worse_beyond_noise).toBe(false);
    }
    expect(b.meanSe.subjectConsistency).toBeGreaterThan(0);
    expect(compareTable([b, w])).toMatch(/\| temporalFlicker \|.*\(worse\) \|/);
  });

  it('refuses reports of different held-out sets and says which item is missing', () => {
    const other = report(40, 0, (j) => j + 1);
    expect(() => compareEvals([{ name: 'a.json', report: report(40, 0) }, { name: 'b.json', report: other }])).toThrow(/b\.json is not the held-out set of a\.json .*seed 1040 is not in a\.json/);
    expect(() => compareEvals([{ name: 'a.json', report: report(40, 0) }])).toThrow(/at least two/);
  });
});
