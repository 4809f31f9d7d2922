import { describe, expect, it } from 'vitest';
import { metricDeltas, pairedDelta, regressions, tasteShift } from '../../../src/prefs/paired-stats';
import { makeRng, randNormal } from '../../../src/world/rng';
import type { VideoMetrics } from '../../../src/world/metrics';

const N = 64;
function baseMetrics(seed: number): VideoMetrics[] {
  const rng = makeRng(seed);
  return Array.from({ length: N }, () => ({
    colourCorrect: 1, shapeCorrect: rng() < 0.95 ? 1 : 0, actionCorrect: rng() < 0.95 ? 1 : 0, objectFound: 1,
    subjectConsistency: 0.85 + 0.05 * rng(), backgroundConsistency: 0.95 + 0.03 * rng(), motionSmoothness: 0.9 + 0.05 * rng(),
    temporalFlicker: 0.04 + 0.02 * rng(), dynamicDegree: 0.5 + 0.3 * rng(),
  }));
}
/** The same items re-measured with zero-mean noise (and a couple of binary flips each way). */
function noisy(base: VideoMetrics[], seed: number): VideoMetrics[] {
  const rng = makeRng(seed);
  return base.map((m, i) => ({
    ...m,
    actionCorrect: i === 3 ? 0 : i === 9 ? 1 : m.actionCorrect,
    subjectConsistency: m.subjectConsistency + randNormal(rng, 0, 0.01),
    backgroundConsistency: m.backgroundConsistency + randNormal(rng, 0, 0.005),
    motionSmoothness: m.motionSmoothness + randNormal(rng, 0, 0.01),
    temporalFlicker: m.temporalFlicker + randNormal(rng, 0, 0.005),
    dynamicDegree: m.dynamicDegree - 0.2,
  })) as VideoMetrics[];
}

describe('paired statistics of a round against the base', () => {
  it('no regression from noise alone, nor from a neutral metric moving', () => {
    let flagged = 0;
    for (let seed = 1; seed <= 20; seed++) {
      const base = baseMetrics(seed);
      flagged += regressions(metricDeltas(noisy(base, 100 + seed), base)).length;
    }
    // 8 guarded metrics × 20 runs at 2 s.e. one-sided: a false alarm rate of ~2 % allows a few.
    expect(flagged).toBeLessThanOrEqual(8);
  });

  it('flags a planted regression of prompt alignment and of flicker', () => {
    const base = baseMetrics(1);
    const broken = noisy(base, 2).map((m, i) => ({ ...m, actionCorrect: i % 4 === 0 ? 0 : m.actionCorrect, temporalFlicker: m.temporalFlicker + 0.01 })) as VideoMetrics[];
    const found = regressions(metricDeltas(broken, base));
    expect(found).toContain('actionCorrect');
    expect(found).toContain('temporalFlicker');
    expect(found).not.toContain('dynamicDegree');
    // better flicker is not a regression
    const better = noisy(base, 2).map((m) => ({ ...m, temporalFlicker: m.temporalFlicker - 0.01 })) as VideoMetrics[];
    expect(regressions(metricDeltas(better, base))).not.toContain('temporalFlicker');
  });

  it('taste shift is the paired mean difference in units of the base std', () => {
    const base = [1, 2, 3, 4];
    const round = [1.5, 2.5, 3.5, 4.9];
    const d = pairedDelta(round, base);
    expect(d.mean).toBeCloseTo(0.6, 10);
    const shift = tasteShift(round, base, 0.5);
    expect(shift.mean).toBeCloseTo(1.2, 10);
    expect(shift.se).toBeCloseTo(d.se / 0.5, 10);
    expect(() => pairedDelta([1], [1, 2])).toThrow(/1 round items against 2 base items/);
  });
});
