/**
 * Training examples of a round and the per-step batches built from them (tensors). A batch holds
 * 2P preference samples — P winners then P losers, pair p's two samples sharing t and ε
 * (Diffusion-DPO) — then S SFT samples of rendered ground truth (IPO's real-video regulariser),
 * each with its own t and ε. Batch k is a pure function of (seed, round, k), so a round is
 * reproducible and two runs with the same settings give the same adapter.
 */
import * as tf from '@tensorflow/tfjs';
import { frameTimes, interpolate, supervisedFrames, trainingTimes } from '../diffusion/flow';
import { videoNoise } from '../diffusion/noise';
import type { ModelConfig } from '../model/config';
import { tokenizeBatch } from '../model/tokenizer';
import type { DpoPreference, KtoExample } from '../prefs/judgments';
import { firstFrameOf, videoOf, type VideoStore } from '../prefs/pairs';
import { HELD_OUT_SEED_BASE } from '../world/prompt';
import { render } from '../world/render';
import { hashString, makeRng, randNormal, shuffle } from '../world/rng';

/** One preference sample: a video, its prompt and first frame, and (KTO) whether it is desirable. */
export interface PreferenceSample {
  prompt: string;
  /** [H, W, 3] in [-1, 1] when the pair is first-frame conditioned. */
  firstFrame: Float32Array | null;
  video: Float32Array;
  desirable: boolean;
}

/**
 * What a round trains on, as slots of two: for DPO a (winner, loser) pair; for KTO two samples
 * that simply share a batch slot (KTO scores each sample on its own, only z0 is batch-wide).
 */
export type PreferenceSlot = [PreferenceSample, PreferenceSample];

/** Rendered ground truth for the SFT term: a prompt and, in first-frame mode, the render seed. */
export interface SftSource {
  prompt: string;
  /** Render seed whose frame 0 is the given first frame; null = text-to-video with a fresh seed per draw. */
  firstFrameSeed: number | null;
}

export interface VideoShape5 {
  frames: number;
  height: number;
  width: number;
}

/** DPO slots from preferences: winner first, loser second. */
export function dpoSlots(prefs: readonly DpoPreference[], store: VideoStore, shape: VideoShape5): PreferenceSlot[] {
  return prefs.map(({ pair, winner, loser }) => {
    const firstFrame = firstFrameOf(pair, shape, store);
    const sample = (v: 0 | 1, desirable: boolean): PreferenceSample => ({ prompt: pair.prompt, firstFrame, video: videoOf(pair, v, store), desirable });
    return [sample(winner, true), sample(loser, false)];
  });
}

/**
 * KTO slots: the examples two by two, in a seeded shuffle so that a slot mixes judgments; with an
 * odd count the last example is paired with a random other one.
 */
export function ktoSlots(examples: readonly KtoExample[], store: VideoStore, shape: VideoShape5, seed: number): PreferenceSlot[] {
  const samples: PreferenceSample[] = examples.map(({ pair, video, desirable }) => ({
    prompt: pair.prompt, firstFrame: firstFrameOf(pair, shape, store), video: videoOf(pair, video, store), desirable,
  }));
  const rng = makeRng(hashString(`kto-slots:${seed}`));
  shuffle(samples, rng);
  const slots: PreferenceSlot[] = [];
  for (let i = 0; i < samples.length; i += 2) slots.push([samples[i], samples[i + 1] ?? samples[Math.floor(rng() * (samples.length - 1))]]);
  return slots;
}

/** SFT sources for the prompts of the training pairs (first-frame pairs keep their render seed). */
export function sftSources(prefs: readonly { pair: { prompt: string; firstFrame: { kind: string; seed?: number } | null } }[]): SftSource[] {
  const seen = new Map<string, SftSource>();
  for (const { pair } of prefs) {
    const seed = pair.firstFrame?.kind === 'rendered' ? pair.firstFrame.seed! : null;
    seen.set(`${pair.prompt}|${seed}`, { prompt: pair.prompt, firstFrameSeed: seed });
  }
  return [...seen.values()];
}

/**
 * Slot indices of step k: epochs of seeded permutations, so every slot is seen once per epoch
 * whatever the batch size, and step k's indices depend only on (seed, k).
 */
export function stepIndices(count: number, batchSize: number, step: number, seed: string): number[] {
  const out: number[] = [];
  const permutations = new Map<number, number[]>();
  for (let j = 0; j < batchSize; j++) {
    const position = step * batchSize + j;
    const epoch = Math.floor(position / count);
    let perm = permutations.get(epoch);
    if (!perm) {
      perm = shuffle(Array.from({ length: count }, (_, i) => i), makeRng(hashString(`epoch:${seed}:${epoch}`)));
      permutations.set(epoch, perm);
    }
    out.push(perm[position % count]);
  }
  return out;
}

/** Tensors of one step. Disposed with `disposeBatch`. */
export interface StepBatch {
  /** P preference slots, S SFT samples; N = 2P + S rows. */
  pairs: number;
  sft: number;
  /** Noisy input x_t [N, F, H, W, 3]. */
  xt: tf.Tensor5D;
  /** Per-frame t [N, F] (0 on given first frames). */
  t: tf.Tensor2D;
  ids: tf.Tensor2D;
  /** Velocity target ε − x0 [N, F, H, W, 3]. */
  target: tf.Tensor5D;
  /** Supervised frames [N, F]. */
  mask: tf.Tensor2D;
  /** 1 desirable / 0 undesirable for the 2P preference samples (KTO). */
  desirable: tf.Tensor1D;
}

export interface BatchOptions {
  /** Mean and std of the logit-normal t (SD3); the default 0, 1 spreads effort over all noise levels. */
  tMean?: number;
  tStd?: number;
}

/**
 * 1. choose the slots and SFT sources of this step; 2. draw t and ε per pair (shared by its two
 * samples) and per SFT sample; 3. pin given first frames in x0 (frame 0 clean, unsupervised);
 * 4. x_t = (1 − t)·x0 + t·ε and the target ε − x0.
 */
export function buildStepBatch(config: ModelConfig, slots: readonly PreferenceSlot[], sft: readonly SftSource[], sftCount: number, batchSize: number, step: number, seed: string, opts: BatchOptions = {}): StepBatch {
  const { frames: f, height: h, width: w } = config;
  const per = f * h * w * 3;
  const frameSize = h * w * 3;
  const shape = { frames: f, height: h, width: w };
  // 1. slots of this step (pure function of seed and step)
  const chosen = stepIndices(slots.length, batchSize, step, seed).map((i) => slots[i]);
  const p = chosen.length;
  const s = sft.length > 0 ? sftCount : 0;
  const n = 2 * p + s;
  const rng = makeRng(hashString(`step:${seed}:${step}`));
  const x0 = new Float32Array(n * per);
  const eps = new Float32Array(n * per);
  const normals: number[] = new Array(n);
  const firstFrame: boolean[] = new Array(n);
  const prompts: string[] = new Array(n);
  const desirable = new Float32Array(2 * p);
  const place = (row: number, prompt: string, video: Float32Array, first: Float32Array | null) => {
    x0.set(video.subarray(0, per), row * per);
    if (first) x0.set(first.subarray(0, frameSize), row * per); // 3. frame 0 is the given frame, exactly
    prompts[row] = prompt;
    firstFrame[row] = first !== null;
  };
  // 2. preference pairs: sample p is slot p's first, sample P + p its second; shared t and ε.
  chosen.forEach(([a, b], i) => {
    const noise = videoNoise(Math.floor(rng() * 2 ** 32), f, frameSize, config.noiseCorrelation);
    const normal = randNormal(rng);
    for (const [row, sample] of [[i, a], [p + i, b]] as const) {
      place(row, sample.prompt, sample.video, sample.firstFrame);
      eps.set(noise, row * per);
      normals[row] = normal;
      desirable[row] = sample.desirable ? 1 : 0;
    }
  });
  // SFT samples: rendered ground truth of the round's prompts, own t and ε.
  for (let k = 0; k < s; k++) {
    const row = 2 * p + k;
    const source = sft[Math.floor(rng() * sft.length)];
    const renderSeed = source.firstFrameSeed ?? Math.floor(rng() * (HELD_OUT_SEED_BASE - 1));
    const video = render(source.prompt, renderSeed, shape).data;
    place(row, source.prompt, video, source.firstFrameSeed !== null ? video.subarray(0, frameSize) : null);
    eps.set(videoNoise(Math.floor(rng() * 2 ** 32), f, frameSize, config.noiseCorrelation), row * per);
    normals[row] = randNormal(rng);
  }
  const tPerSample = trainingTimes(normals, config, opts.tMean ?? 0, opts.tStd ?? 1);
  // 4. tensors
  return tf.tidy(() => {
    const dims: [number, number, number, number, number] = [n, f, h, w, 3];
    const x0t = tf.tensor5d(x0, dims);
    const epst = tf.tensor5d(eps, dims);
    const t = frameTimes(tPerSample, f, firstFrame);
    return {
      pairs: p,
      sft: s,
      xt: interpolate(x0t, epst, t),
      t,
      ids: tf.tensor2d(tokenizeBatch(prompts, config), [n, config.maxTextLength], 'int32'),
      target: tf.sub(epst, x0t) as tf.Tensor5D,
      mask: supervisedFrames(n, f, firstFrame),
      desirable: tf.tensor1d(desirable),
    };
  });
}

/** A part of a step batch, with the shares of the whole batch's pairs and SFT samples it holds. */
export interface MicroBatch {
  batch: StepBatch;
  /** Its pairs / the batch's pairs: the weight of its mean preference loss in the step's loss. */
  pairShare: number;
  /** Its SFT samples / the batch's (0 when the batch has none). */
  sftShare: number;
}

/**
 * The step batch in parts of at most `maxRows` rows (fewer when every part already holds one
 * pair), pairs and SFT samples spread evenly, each part laid out like a batch (its winners, its
 * losers, its SFT samples). Σ share·(mean loss of the part) is the batch's mean loss, so the sum of
 * the parts' gradients is the batch's gradient (exactly for DPO and SFT; KTO's reference point z0
 * becomes each part's own batch mean). One part: the batch itself, not a copy.
 */
export function microBatches(batch: StepBatch, maxRows: number): MicroBatch[] {
  const { pairs: p, sft: s } = batch;
  const parts = Math.min(p, Math.max(1, Math.ceil((2 * p + s) / Math.max(1, maxRows))));
  if (parts <= 1) return [{ batch, pairShare: 1, sftShare: s > 0 ? 1 : 0 }];
  const spread = (total: number) => Array.from({ length: parts }, (_, i) => Math.floor(((i + 1) * total) / parts) - Math.floor((i * total) / parts));
  const range = (from: number, count: number) => Array.from({ length: count }, (_, i) => from + i);
  const sftCounts = spread(s);
  let pairAt = 0;
  let sftAt = 0;
  return spread(p).map((k, i) => {
    const sk = sftCounts[i];
    const pairRows = [...range(pairAt, k), ...range(p + pairAt, k)];
    const picked = [...pairRows, ...range(2 * p + sftAt, sk)];
    pairAt += k;
    sftAt += sk;
    const part = tf.tidy(() => {
      const index = tf.tensor1d(picked, 'int32');
      // Gathered as [N, rest] (as `rows` slices): no 5-D gather on any backend.
      const take = <T extends tf.Tensor>(x: T): T => {
        const rest = x.shape.slice(1);
        return tf.gather(x.reshape([x.shape[0], rest.reduce((a, b) => a * b, 1)]), index).reshape([picked.length, ...rest]) as T;
      };
      return {
        pairs: k, sft: sk, xt: take(batch.xt), t: take(batch.t), ids: take(batch.ids), target: take(batch.target), mask: take(batch.mask),
        desirable: tf.gather(batch.desirable, tf.tensor1d(pairRows, 'int32')) as tf.Tensor1D,
      };
    });
    return { batch: part, pairShare: k / p, sftShare: s > 0 ? sk / s : 0 };
  });
}

export function disposeBatch(b: StepBatch): void {
  tf.dispose([b.xt, b.t, b.ids, b.target, b.mask, b.desirable]);
}

/**
 * Rows [start, start + count) of a batch tensor along axis 0, sliced as a 2-D [N, rest] view: the
 * gradient of a slice is a pad of the same rank, and tfjs-webgpu 4.22 cannot compile a 5-D pad
 * (see src/diffusion/preference.ts, pairMses).
 */
export function rows<T extends tf.Tensor>(x: T, start: number, count: number): T {
  if (start === 0 && count === x.shape[0]) return x;
  const rest = x.shape.slice(1);
  const flat = x.reshape([x.shape[0], rest.reduce((a, b) => a * b, 1)]); // [N, rest]
  return tf.slice(flat, [start, 0], [count, -1]).reshape([count, ...rest]) as T;
}
