// The pretraining batch of step k as plain arrays (no tfjs): a pure function of (seed, k) and the
// options, shared by `npm run pretrain` (tfjs-wasm) and the GPU twin's batch server
// (scripts/gpu-batches.ts), so both train on exactly the same videos, prompts and times.
import { videoNoise } from '../../src/diffusion/noise';
import { trainingTimes } from '../../src/diffusion/times';
import type { ModelConfig } from '../../src/model/config';
import { tokenizeBatch } from '../../src/model/tokenizer';
import { formatPrompt, HELD_OUT_SEED_BASE, sampleTrainingSpec } from '../../src/world/prompt';
import { renderScene, sampleScene } from '../../src/world/render';
import { hashString, makeRng, randNormal } from '../../src/world/rng';
import { ACTIONS, type Action } from '../../src/world/vocab';

export interface PretrainBatchOptions {
  batchSize: number;
  /** A fraction `focusRate` of the samples draw their action from `focusActions` (a curriculum). */
  focusActions: Action[];
  focusRate: number;
  /** Prompt dropout (the empty prompt: guidance's unconditional branch) and first-frame rates. */
  dropTextRate: number;
  firstFrameRate: number;
  /** Mean of the logit-normal training times before the config's shift. */
  tMean: number;
  /** Draw the noise ε too (the GPU twin draws its own on the device). */
  withNoise: boolean;
}

export interface PretrainBatch {
  /** [B, F, H, W, 3] clean videos in [-1, 1]. */
  x0: Float32Array;
  /** [B, F, H, W, 3] noise, or null without `withNoise`. */
  eps: Float32Array | null;
  prompts: string[];
  /** [B, maxTextLength] token ids. */
  ids: Int32Array;
  /** [B] training times (shifted). */
  t: Float32Array;
  firstFrame: boolean[];
}

export function pretrainBatch(config: ModelConfig, seed: number, step: number, o: PretrainBatchOptions): PretrainBatch {
  const rng = makeRng(hashString(`pretrain:${seed}:${step}`));
  const shape = { frames: config.frames, height: config.height, width: config.width };
  const per = config.frames * config.height * config.width * 3;
  const x0 = new Float32Array(o.batchSize * per);
  const eps = o.withNoise ? new Float32Array(o.batchSize * per) : null;
  const prompts: string[] = [];
  const normals: number[] = [];
  const firstFrame: boolean[] = [];
  for (let i = 0; i < o.batchSize; i++) {
    // The focus coin is drawn only with a focus list, so runs without one keep their batches.
    const focused = o.focusActions.length > 0 && rng() < o.focusRate;
    const spec = sampleTrainingSpec(rng, focused ? o.focusActions : ACTIONS);
    const scene = sampleScene(spec, Math.floor(rng() * (HELD_OUT_SEED_BASE - 1)), shape);
    x0.set(renderScene(scene, shape).data, i * per);
    const noiseSeed = Math.floor(rng() * 2 ** 32); // drawn either way: the stream stays aligned
    if (eps) eps.set(videoNoise(noiseSeed, config.frames, per / config.frames, config.noiseCorrelation), i * per);
    prompts.push(rng() < o.dropTextRate ? '' : formatPrompt(spec));
    normals.push(randNormal(rng));
    firstFrame.push(rng() < o.firstFrameRate);
  }
  return { x0, eps, prompts, ids: tokenizeBatch(prompts, config), t: trainingTimes(normals, config, o.tMean, 1), firstFrame };
}

/** The batch's command-line flags and their defaults, shared by `npm run pretrain` and scripts/gpu-batches.ts. */
export const PRETRAIN_BATCH_FLAGS = {
  'focus-actions': '', 'focus-rate': '0',
  'drop-text-rate': '0.1', 'first-frame-rate': '0.25', 't-mean': '0',
};

/** Batch options from parsed flags (PRETRAIN_BATCH_FLAGS), checked. */
export function batchOptionsFromArgs(args: Record<keyof typeof PRETRAIN_BATCH_FLAGS, string>, batchSize: number, withNoise: boolean): PretrainBatchOptions {
  return {
    batchSize, focusActions: parseFocusActions(args['focus-actions']), focusRate: Number(args['focus-rate']),
    dropTextRate: Number(args['drop-text-rate']), firstFrameRate: Number(args['first-frame-rate']), tMean: Number(args['t-mean']), withNoise,
  };
}

/** --focus-actions "moves left,moves right": a comma-separated subset of the world's actions. */
export function parseFocusActions(list: string): Action[] {
  if (list.trim() === '') return [];
  return list.split(',').map((word) => {
    const action = word.trim();
    if (!(ACTIONS as readonly string[]).includes(action)) {
      throw new Error(`--focus-actions: unknown action "${action}". Actions: ${ACTIONS.join(', ')}.`);
    }
    return action as Action;
  });
}
