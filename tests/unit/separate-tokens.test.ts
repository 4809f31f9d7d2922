import { describe, expect, it } from 'vitest';
import { separateTokenPairs } from '../../scripts/lib/separate-tokens';
import { makeRng, randNormal } from '../../src/world/rng';

describe('separateTokenPairs', () => {
  const dim = 16;
  const rng = makeRng(3);
  const rows = Float32Array.from({ length: 5 * dim }, () => randNormal(rng));
  const row = (r: Float32Array, i: number) => Array.from(r.subarray(i * dim, (i + 1) * dim));
  const dot = (a: number[], b: number[]) => a.reduce((s, x, i) => s + x * b[i], 0);

  it('keeps each pair\'s mean and gives it a difference of 2·scale·|mean| orthogonal to the mean', () => {
    const { rows: out, report } = separateTokenPairs(rows, dim, [[1, 3]], 0.5, makeRng(1));
    const mean = row(rows, 1).map((x, i) => (x + row(rows, 3)[i]) / 2);
    const newMean = row(out, 1).map((x, i) => (x + row(out, 3)[i]) / 2);
    newMean.forEach((x, i) => expect(x).toBeCloseTo(mean[i], 5));
    const diff = row(out, 1).map((x, i) => x - row(out, 3)[i]);
    expect(Math.hypot(...diff)).toBeCloseTo(2 * 0.5 * Math.hypot(...mean), 4);
    expect(Math.abs(dot(diff, mean))).toBeLessThan(1e-4);
    expect(report[0].before).toBeCloseTo(Math.hypot(...row(rows, 1).map((x, i) => x - row(rows, 3)[i])), 4);
    expect(report[0].after).toBeCloseTo(Math.hypot(...diff), 4);
  });

  it('leaves other rows and its input alone and is a function of the seed', () => {
    const copy = rows.slice();
    const a = separateTokenPairs(rows, dim, [[0, 2], [1, 4]], 1, makeRng(9)).rows;
    const b = separateTokenPairs(rows, dim, [[0, 2], [1, 4]], 1, makeRng(9)).rows;
    expect(rows).toEqual(copy);
    expect(a).toEqual(b);
    expect(row(a, 3)).toEqual(row(rows, 3));
    expect(row(a, 0)).not.toEqual(row(rows, 0));
  });
});
