// The base checkpoint and the pairs bench:loop plans, in one place for it and the diagnostics that
// read its sample cache (scripts/diagnostics/critic-fit.ts, taste-tradeoffs.ts): the same prompts,
// seeds and sampler give the same cached videos.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { DEFAULT_GUIDANCE, DEFAULT_SAMPLE_STEPS } from '../../../src/diffusion/sampler';
import { checkpointFromBytes } from '../../../src/model/checkpoint';
import { planPairs } from '../../../src/prefs/pairs';
import type { Pair } from '../../../src/prefs/types';
import { trainingPrompts } from './people';
import { BaseSampleCache } from './sample-cache';

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

/**
 * What the diagnostics start from: model `name`'s shipped checkpoint, bench:loop's sample cache in
 * `cacheDir`, the default sampler, and bench:loop's critic warm-up pairs (`warmCount`) and first DPO
 * round's 128 pairs as the base samples them, their videos in `store` (from the cache when there).
 */
export async function diagnosticBase(name: string, cacheDir: string, seed: number, warmCount: number, store: Map<string, Float32Array>) {
  const { config, params, digest } = readCheckpoint(`public/models/${name}.safetensors`);
  const cache = new BaseSampleCache(cacheDir, digest);
  const sampler = { steps: DEFAULT_SAMPLE_STEPS, guidance: DEFAULT_GUIDANCE };
  const warm = warmUpPairs(warmCount, seed, sampler, false, 'warm');
  const firstRound = roundPairs(roundPrompts(128, seed, 'dpo', 1), { policyRound: 0, seed, k: 1, sampler, firstFrame: false, idPrefix: 'r1' });
  await cache.pairVideos(config, params, warm, store);
  await cache.pairVideos(config, params, firstRound, store);
  return { config, params, cache, sampler, warm, firstRound };
}
