/**
 * Sample the two videos of each planned pair from the current policy (on-policy pairs, DESIGN
 * §4): same prompt and first frame, the pair's two seeds, the pair's sampler settings. Several
 * pairs share one sampler call (2 videos each) so the model runs on a real batch.
 */
import { sampleVideos } from '../diffusion/sampler';
import { solverOf } from '../diffusion/sampler-defaults';
import type { ModelConfig } from '../model/config';
import type { Params } from '../model/params';
import { firstFrameOf, type VideoStore } from '../prefs/pairs';
import type { Pair } from '../prefs/types';

export interface SamplePairsOptions {
  /** Pairs per sampler call (default 4 → batches of 8 videos). */
  pairsPerBatch?: number;
  /** Where first-frame images live (kind `image`). */
  images?: VideoStore;
  onProgress?: (donePairs: number, totalPairs: number) => void;
  /** Polled between batches; true stops early (pairs sampled so far stay in the store). */
  shouldCancel?: () => boolean;
}

/** Writes each pair's videos into `store` under its videoIds; returns how many pairs were sampled. */
export async function samplePairVideos(config: ModelConfig, params: Params, pairs: readonly Pair[], store: Map<string, Float32Array>, opts: SamplePairsOptions = {}): Promise<number> {
  const per = config.frames * config.height * config.width * 3;
  const shape = { frames: config.frames, height: config.height, width: config.width };
  const batch = opts.pairsPerBatch ?? 4;
  let done = 0;
  // One sampler call needs one set of sampler settings: group consecutive pairs that agree.
  for (let start = 0; start < pairs.length; ) {
    if (opts.shouldCancel?.()) break;
    const first = pairs[start];
    let end = start + 1;
    while (end < pairs.length && end - start < batch && pairs[end].sampler.steps === first.sampler.steps && pairs[end].sampler.guidance === first.sampler.guidance && solverOf(pairs[end].sampler) === solverOf(first.sampler)) end++;
    const chunk = pairs.slice(start, end);
    const firstFrames = chunk.flatMap((p) => {
      const frame = firstFrameOf(p, shape, opts.images);
      return [frame, frame];
    });
    const data = await sampleVideos(params, config, {
      prompts: chunk.flatMap((p) => [p.prompt, p.prompt]),
      seeds: chunk.flatMap((p) => p.seeds),
      steps: first.sampler.steps,
      guidance: first.sampler.guidance,
      sampler: first.sampler.solver,
      firstFrames: firstFrames.some((f) => f) ? firstFrames : undefined,
    });
    chunk.forEach((p, i) => {
      store.set(p.videoIds[0], data.slice(2 * i * per, (2 * i + 1) * per));
      store.set(p.videoIds[1], data.slice((2 * i + 1) * per, (2 * i + 2) * per));
    });
    done += chunk.length;
    opts.onProgress?.(done, pairs.length);
    start = end;
  }
  return done;
}
