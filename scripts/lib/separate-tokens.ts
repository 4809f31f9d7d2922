import { randNormal, type Rng } from '../../src/world/rng';

/**
 * Token-embedding surgery for word pairs a text encoder never told apart. Each pair (a, b) keeps
 * its mean m and gets a fresh difference: a = m + s·|m|·u, b = m − s·|m|·u, with u a random unit
 * vector orthogonal to m. The mean carries what the pair shares (for "left"/"right": a
 * horizontal move), so the rest of the network reads it as before; the difference is a new,
 * large asymmetry for training to pick up. `rows` is [vocab, dim] row-major and is not modified.
 * Returns the new rows and, per pair, the difference norm before and after.
 */
export function separateTokenPairs(
  rows: Float32Array, dim: number, pairs: readonly [number, number][], scale: number, rng: Rng,
): { rows: Float32Array; report: { before: number; after: number }[] } {
  const out = rows.slice();
  const norm = (v: ArrayLike<number>) => Math.hypot(...Array.from(v));
  const report = pairs.map(([a, b]) => {
    const ra = rows.subarray(a * dim, (a + 1) * dim);
    const rb = rows.subarray(b * dim, (b + 1) * dim);
    const m = ra.map((x, i) => (x + rb[i]) / 2);
    const mm = m.reduce((s, x) => s + x * x, 0);
    if (mm === 0) throw new Error(`token rows ${a} and ${b} have a zero mean; nothing to keep`);
    const u = m.map(() => randNormal(rng));
    const along = u.reduce((s, x, i) => s + x * m[i], 0) / mm;
    u.forEach((x, i) => { u[i] = x - along * m[i]; });
    const k = (scale * Math.sqrt(mm)) / norm(u);
    const before = norm(ra.map((x, i) => x - rb[i]));
    for (let i = 0; i < dim; i++) {
      out[a * dim + i] = m[i] + k * u[i];
      out[b * dim + i] = m[i] - k * u[i];
    }
    return { before, after: 2 * scale * Math.sqrt(mm) };
  });
  return { rows: out, report };
}
