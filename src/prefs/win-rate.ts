// Win rates of one policy against another from per-item scores (win 1, tie ½, loss 0): the
// studio's blind A/B test and bench:loop's simulated-annotator comparison use the same interval.

/** Mean and 95 % normal interval of per-item scores in [0, 1] (win 1, tie ½, loss 0). */
export function meanInterval(scores: readonly number[]): { mean: number; ci: [number, number] } {
  const n = scores.length;
  if (n === 0) return { mean: NaN, ci: [NaN, NaN] };
  const mean = scores.reduce((a, b) => a + b, 0) / n;
  const variance = scores.reduce((a, s) => a + (s - mean) ** 2, 0) / Math.max(1, n - 1);
  const half = 1.96 * Math.sqrt(variance / n);
  return { mean, ci: [Math.max(0, mean - half), Math.min(1, mean + half)] };
}
