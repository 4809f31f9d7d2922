/**
 * Two or more `npm run eval` reports of the same held-out set (same prompts and seeds), compared
 * item by item: per world metric, each report's mean, its paired difference from the first report
 * with the standard error, whether that is worse beyond noise (2 s.e., as bench:loop's
 * `regressions`), and the standard error of one report's mean alone (the noise of an eval of that
 * many samples, which is what two independent evals could tell apart).
 */
import { METRIC_KEYS, type MetricKey, type VideoMetrics } from '../../src/world/metrics';
import { meanAndSe, metricDeltas, type MetricDelta } from '../../src/prefs/paired-stats';

export interface EvalReport {
  sampler?: string;
  steps?: number;
  secondsPerVideo?: number;
  perSample: (VideoMetrics & { prompt: string; seed: number })[];
}

export interface ComparedReport {
  name: string;
  means: Record<MetricKey, number>;
  /** Paired against the first report (absent for the first). */
  deltas: Record<MetricKey, MetricDelta> | null;
  /** Standard error of this report's own mean, per metric. */
  meanSe: Record<MetricKey, number>;
  secondsPerVideo: number | null;
}

const key = (s: { prompt: string; seed: number }) => `${s.seed}\u0000${s.prompt}`;

export function compareEvals(reports: { name: string; report: EvalReport }[]): ComparedReport[] {
  if (reports.length < 2) throw new Error('eval-compare: give at least two eval reports (the first is the baseline)');
  const [base, ...rest] = reports;
  const items = base.report.perSample.map(key);
  const order = new Map(items.map((k, i) => [k, i]));
  for (const { name, report } of rest) {
    const missing = report.perSample.filter((s) => !order.has(key(s)));
    if (report.perSample.length !== items.length || missing.length > 0) {
      throw new Error(`eval-compare: ${name} is not the held-out set of ${base.name} (${report.perSample.length} items against ${items.length}${missing.length ? `; e.g. "${missing[0].prompt}" seed ${missing[0].seed} is not in ${base.name}` : ''}). Run both evals with the same --samples.`);
    }
  }
  const aligned = (r: EvalReport) => {
    const out = new Array<VideoMetrics>(items.length);
    for (const s of r.perSample) out[order.get(key(s))!] = s;
    return out;
  };
  const baseRows = aligned(base.report);
  return reports.map(({ name, report }, i) => {
    const rows = aligned(report);
    const means = {} as Record<MetricKey, number>;
    const meanSe = {} as Record<MetricKey, number>;
    for (const m of METRIC_KEYS) {
      const { mean, se } = meanAndSe(rows.map((r) => r[m]));
      means[m] = mean;
      meanSe[m] = se;
    }
    return { name, means, meanSe, deltas: i === 0 ? null : metricDeltas(rows, baseRows), secondsPerVideo: report.secondsPerVideo ?? null };
  });
}

/** A markdown table: one row per metric, per report its mean and (after the first) the paired difference ± s.e. */
export function compareTable(compared: ComparedReport[]): string {
  const [base, ...rest] = compared;
  const head = `| metric | ${base.name} (± s.e. of the mean) | ${rest.map((r) => `${r.name} | paired difference ± s.e.`).join(' | ')} |`;
  const rule = `|---|---:|${rest.map(() => '---:|---:').join('|')}|`;
  const fmt = (x: number) => (Math.abs(x) >= 0.1 || x === 0 ? x.toFixed(3) : x.toFixed(4));
  const rows = METRIC_KEYS.map((m) => `| ${m} | ${fmt(base.means[m])} ± ${fmt(base.meanSe[m])} | ${rest.map((r) => {
    const d = r.deltas![m];
    return `${fmt(r.means[m])} | ${d.mean >= 0 ? '+' : ''}${fmt(d.mean)} ± ${fmt(d.se)}${d.worse_beyond_noise ? ' (worse)' : ''}`;
  }).join(' | ')} |`);
  const seconds = `| seconds per video (as each eval ran) | ${base.secondsPerVideo?.toFixed(2) ?? '–'} | ${rest.map((r) => `${r.secondsPerVideo?.toFixed(2) ?? '–'} | `).join(' | ')} |`;
  return [head, rule, ...rows, seconds].join('\n');
}
