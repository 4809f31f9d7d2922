// Paired comparisons of a round against the base on the same held-out items (same prompts,
// same seeds): per-metric differences with their standard errors, the regressions among them,
// and the taste shift. bench:loop reports them; a difference counts as real beyond 2 s.e.
import { METRIC_KEYS, type MetricKey, type VideoMetrics } from '../world/metrics';

/**
 * World metrics a round must not make worse beyond noise, whatever the taste: prompt alignment
 * (a taste must not win by breaking the prompt) and visual quality. `temporalFlicker` is
 * lower-better; `dynamicDegree` is neutral and not guarded.
 */
export const GUARDED_METRICS: readonly MetricKey[] = [
  'colourCorrect', 'shapeCorrect', 'actionCorrect', 'objectFound',
  'temporalFlicker', 'subjectConsistency', 'backgroundConsistency', 'motionSmoothness',
];

/** How many standard errors a paired difference must exceed to count. */
export const BEYOND_NOISE_SE = 2;

export interface PairedDelta {
  mean: number;
  se: number;
}

export interface MetricDelta extends PairedDelta {
  worse_beyond_noise: boolean;
}

/** Mean of `xs` and its standard error (n − 1 in the variance). */
export function meanAndSe(xs: readonly number[]): PairedDelta {
  const n = xs.length;
  if (n === 0) return { mean: NaN, se: NaN };
  const mean = xs.reduce((a, b) => a + b, 0) / n;
  const se = Math.sqrt(xs.reduce((a, x) => a + (x - mean) ** 2, 0) / Math.max(1, n - 1) / n);
  return { mean, se };
}

/** Mean of `round[i] − base[i]` and its standard error. */
export function pairedDelta(round: readonly number[], base: readonly number[]): PairedDelta {
  if (round.length !== base.length) throw new Error(`pairedDelta: ${round.length} round items against ${base.length} base items`);
  return meanAndSe(round.map((x, i) => x - base[i]));
}

/** Per world metric, round − base on the same items; guarded metrics flag a change for the worse beyond noise. */
export function metricDeltas(round: readonly VideoMetrics[], base: readonly VideoMetrics[]): Record<MetricKey, MetricDelta> {
  const out = {} as Record<MetricKey, MetricDelta>;
  for (const key of METRIC_KEYS) {
    const { mean, se } = pairedDelta(round.map((m) => m[key]), base.map((m) => m[key]));
    const worse = key === 'temporalFlicker' ? mean : -mean;
    out[key] = { mean, se, worse_beyond_noise: GUARDED_METRICS.includes(key) && worse > BEYOND_NOISE_SE * se && worse > 1e-9 };
  }
  return out;
}

/** The names of the metrics worse than base beyond noise. */
export function regressions(deltas: Record<string, MetricDelta>): string[] {
  return Object.entries(deltas).filter(([, d]) => d.worse_beyond_noise).map(([k]) => k);
}

/** Round − base taste score per held-out item, in units of the taste's std over the base videos. */
export function tasteShift(roundScores: readonly number[], baseScores: readonly number[], std: number): PairedDelta {
  const { mean, se } = pairedDelta(roundScores, baseScores);
  return { mean: mean / std, se: se / std };
}
