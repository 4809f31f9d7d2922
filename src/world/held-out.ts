// The held-out evaluation set: prompt combinations the grammar's split keeps out of training,
// with video seeds at or above HELD_OUT_SEED_BASE. One definition for `npm run eval`,
// `bench:loop` and the studio's Compare tab, so all of them score the same videos.
import { HELD_OUT_SEED_BASE, heldOutSpecs, type PromptSpec } from './prompt';
import { makeRng } from './rng';

/**
 * N held-out (spec, seed) pairs: the held-out combinations in a fixed shuffled order, cycled,
 * with video seeds ≥ HELD_OUT_SEED_BASE.
 */
export function heldOutSet(n: number, offset = 0): { spec: PromptSpec; seed: number }[] {
  const specs = heldOutSpecs();
  const rng = makeRng(20261121);
  for (let i = specs.length - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    [specs[i], specs[j]] = [specs[j], specs[i]];
  }
  return Array.from({ length: n }, (_, k) => ({ spec: specs[(k + offset) % specs.length], seed: HELD_OUT_SEED_BASE + k + offset }));
}
