import { HELD_OUT_SEED_BASE, heldOutSpecs, type PromptSpec } from '../../src/world/prompt';
import { makeRng } from '../../src/world/rng';

/**
 * N held-out (spec, seed) pairs: the prompt combinations the grammar's split keeps out of
 * training, in a fixed shuffled order, cycled, with video seeds ≥ HELD_OUT_SEED_BASE. Used by
 * eval and bench:loop, so both score the same videos.
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
