// The base checkpoint and the pairs bench:loop plans, in one place for it and the diagnostics that
// read its sample cache (scripts/diagnostics/critic-fit.ts, taste-tradeoffs.ts): the same prompts,
// seeds and sampler give the same cached videos.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { checkpointFromBytes } from '../../../src/model/checkpoint';
import { planPairs } from '../../../src/prefs/pairs';
import type { Pair } from '../../../src/prefs/types';
import { trainingPrompts } from './people';

type Sampler = { steps: number; guidance: number };

/** A checkpoint file and the digest of its bytes (the sample cache's key). */
export function readCheckpoint(file: string) {
  const bytes = new Uint8Array(fs.readFileSync(file));
  return { ...checkpointFromBytes(bytes, file), digest: createHash('sha256').update(bytes).digest('hex') };
}

/** The online critic's warm-up pairs: `count` base pairs labelled by the person before any round. */
export function warmUpPairs(count: number, seed: number, sampler: Sampler, firstFrame: boolean, idPrefix = 'critic-warmup'): Pair[] {
  return planPairs({ prompts: trainingPrompts(count, `critic:${seed}`), pairsPerPrompt: 1, round: 0, seed: 7, sampler, idPrefix, firstFrame });
}

/** Round k's prompts for a variant (one pair each). */
export function roundPrompts(count: number, seed: number, variant: string, k: number): string[] {
  return trainingPrompts(count, `round:${seed}:${variant}:${k}`);
}

/** Round k's pairs of `prompts`, sampled from the policy after `policyRound` merged rounds. */
export function roundPairs(prompts: string[], o: { policyRound: number; seed: number; k: number; sampler: Sampler; firstFrame: boolean; idPrefix: string }): Pair[] {
  return planPairs({ prompts, pairsPerPrompt: 1, round: o.policyRound, seed: o.seed * 100 + o.k, sampler: o.sampler, idPrefix: o.idPrefix, firstFrame: o.firstFrame });
}
