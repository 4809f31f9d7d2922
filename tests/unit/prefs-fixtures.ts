// Shared fixtures for the preference-engine tests: a `tiny` model whose weights are perturbed
// away from the zero-initialised adaLN gates (so that LoRA on the attentions changes the output),
// and sessions of pairs with a planted preference — a clean render beats the same prompt's
// render under noise — with judgments on randomised sides.
import * as tf from '@tensorflow/tfjs';
import { initParams, type Params } from '../../src/model/params';
import { presetConfig } from '../../src/model/presets';
import { decisionFor } from '../../src/prefs/judgments';
import { pairwiseJudgment, planPairs, randomLeft } from '../../src/prefs/pairs';
import type { Judgment, Pair } from '../../src/prefs/types';
import { addNoise } from '../../src/world/degrade';
import { render } from '../../src/world/render';
import { makeRng } from '../../src/world/rng';

export const tinyConfig = presetConfig('tiny');
export const tinyShape = { frames: tinyConfig.frames, height: tinyConfig.height, width: tinyConfig.width };

/** Deterministic non-trivial tiny weights (not trainable: only adapters train). */
export function tinyParams(seed = 1): Params {
  const params = initParams(tinyConfig, seed, false);
  for (const [name, t] of params) {
    params.set(name, tf.tidy(() => tf.add(t, tf.randomNormal(t.shape, 0, 0.05, 'float32', seed + 7))));
    t.dispose();
  }
  return params;
}

export const TRAIN_PROMPTS = ['a red circle moves left', 'a blue square moves up', 'a green triangle grows', 'a yellow circle bounces'];
export const MORE_TRAIN_PROMPTS = [...TRAIN_PROMPTS, 'a purple circle moves down', 'an orange square rotates', 'a red triangle shrinks on a white background', 'a blue circle grows on a gray background'];
export const HELD_OUT_PROMPTS = ['a purple square shrinks', 'an orange triangle moves right'];

export interface Session {
  pairs: Pair[];
  judgments: Judgment[];
  store: Map<string, Float32Array>;
  /** Which video of each pair is the clean one. */
  clean: Map<string, 0 | 1>;
}

/**
 * Pairs whose two videos are renders of the prompt with the pair's seeds; one of them (chosen
 * at random) gets Gaussian noise of std `noise`. A careful annotator prefers the clean one.
 */
export function plantedSession(prompts: string[], pairsPerPrompt: number, seed: number, opts: { noise?: number; round?: number; firstFrame?: boolean; decisions?: (clean: 0 | 1, k: number) => 'prefer-clean' | 'tie' | 'skip' | 'both-bad' } = {}): Session {
  const round = opts.round ?? 0;
  const pairs = planPairs({ prompts, pairsPerPrompt, round, seed, sampler: { steps: 4, guidance: 1 }, idPrefix: `s${seed}r${round}`, firstFrame: opts.firstFrame, now: '2025-01-01T00:00:00.000Z' });
  const rng = makeRng(seed);
  const store = new Map<string, Float32Array>();
  const clean = new Map<string, 0 | 1>();
  const judgments: Judgment[] = [];
  const frameSize = tinyShape.height * tinyShape.width * 3;
  pairs.forEach((pair, k) => {
    const first = pair.firstFrame?.kind === 'rendered' ? render(pair.prompt, pair.firstFrame.seed, tinyShape).data.slice(0, frameSize) : null;
    const cleanIndex = randomLeft(rng);
    [0, 1].forEach((v) => {
      let video = render(pair.prompt, pair.seeds[v], tinyShape);
      if (v !== cleanIndex) video = addNoise(video, opts.noise ?? 0.4, pair.seeds[v]);
      if (first) video.data.set(first, 0);
      store.set(pair.videoIds[v], video.data);
    });
    clean.set(pair.id, cleanIndex);
    const leftWas = randomLeft(rng);
    const what = opts.decisions?.(cleanIndex, k) ?? 'prefer-clean';
    const decision = what === 'prefer-clean' ? decisionFor(cleanIndex, leftWas) : what;
    judgments.push(pairwiseJudgment({ id: `${pair.id}-j`, pair, decision, leftWas, annotator: 'planted', annotatorKind: 'simulated', round: round + 1, now: '2025-01-01T00:00:01.000Z' }));
  });
  return { pairs, judgments, store, clean };
}

export const maxAbsDiff = (a: tf.Tensor, b: tf.Tensor): number => tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]);

/** Largest difference between two param maps over their shared keys. */
export function paramsDiff(a: Params, b: Params): number {
  let worst = 0;
  for (const [k, t] of a) worst = Math.max(worst, maxAbsDiff(t, b.get(k)!));
  return worst;
}
