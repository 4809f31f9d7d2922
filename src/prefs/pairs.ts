// Pairs as plans (prompt, first frame, two seeds) and the small helpers around them: seeds,
// shown sides, first frames, judgment records. Sampling the videos needs the model and lives in
// the engine (src/engine/policy.ts); everything here is plain data and runs anywhere.
import { formatPrompt, HELD_OUT_SEED_BASE, parsePrompt } from '../world/prompt';
import { render } from '../world/render';
import { hashString, makeRng, type Rng } from '../world/rng';
import type { VideoShape } from '../world/video';
import type { AnnotatorKind, Decision, FirstFrameRef, Pair, PairwiseJudgment, PointwiseJudgment, SamplerSettings, VideoIndex } from './types';

/** Pixels by video id: Float32 [F, H, W, 3] in [-1, 1] (a Map in Node, IndexedDB-backed in the studio). */
export interface VideoStore {
  get(id: string): Float32Array | undefined;
}

export interface PairPlanOptions {
  /** Prompts to pair up; each is validated and canonicalised (unknown words are an error). */
  prompts: string[];
  pairsPerPrompt: number;
  /** The policy that will sample them: rounds merged so far (0 = base). */
  round: number;
  /** Seeds every seed of the plan: same options, same pairs. */
  seed: number;
  /** HuViDPO mode: condition each pair on frame 0 of a rendered video of its prompt. */
  firstFrame?: boolean;
  sampler: SamplerSettings;
  /** Prefix of the pair ids (default `r<round>`), so ids from different sessions do not collide. */
  idPrefix?: string;
  /** ISO time stamp for createdAt (default now). */
  now?: string;
}

/**
 * Training seeds stay below HELD_OUT_SEED_BASE so that no training pair ever reuses a seed of the
 * held-out evaluation (scripts/eval.ts, bench:loop).
 */
function trainingSeed(rng: Rng): number {
  return Math.floor(rng() * (HELD_OUT_SEED_BASE - 1));
}

/** Pairs to sample: `pairsPerPrompt` per prompt, each with two different seeds. */
export function planPairs(opts: PairPlanOptions): Pair[] {
  if (!Number.isInteger(opts.pairsPerPrompt) || opts.pairsPerPrompt < 1) {
    throw new Error(`planPairs: pairsPerPrompt must be a positive integer, got ${opts.pairsPerPrompt}.`);
  }
  const canonical = opts.prompts.map((p) => formatPrompt(parsePrompt(p))); // PromptError names unknown words
  const prefix = opts.idPrefix ?? `r${opts.round}`;
  const createdAt = opts.now ?? new Date().toISOString();
  const pairs: Pair[] = [];
  canonical.forEach((prompt, i) => {
    for (let k = 0; k < opts.pairsPerPrompt; k++) {
      const rng = makeRng(hashString(`pair:${opts.seed}:${opts.round}:${i}:${prompt}:${k}`));
      const a = trainingSeed(rng);
      let b = trainingSeed(rng);
      while (b === a) b = trainingSeed(rng);
      const id = `${prefix}-p${pairs.length}`;
      const firstFrame: FirstFrameRef | null = opts.firstFrame ? { kind: 'rendered', seed: trainingSeed(rng) } : null;
      pairs.push({ id, prompt, firstFrame, seeds: [a, b], videoIds: [`${id}:0`, `${id}:1`], round: opts.round, sampler: { ...opts.sampler }, createdAt });
    }
  });
  return pairs;
}

/** Frame 0 a pair is conditioned on ([H, W, 3] in [-1, 1]), or null in text-to-video mode. */
export function firstFrameOf(pair: Pair, shape: VideoShape, store?: VideoStore): Float32Array | null {
  const ref = pair.firstFrame;
  if (!ref) return null;
  const frameSize = shape.height * shape.width * 3;
  if (ref.kind === 'rendered') return render(pair.prompt, ref.seed, shape).data.slice(0, frameSize);
  const image = store?.get(ref.id);
  if (!image) throw new Error(`Pair ${pair.id}: its first-frame image "${ref.id}" is not in the video store. Re-attach the image or regenerate the pair.`);
  if (image.length < frameSize) throw new Error(`Pair ${pair.id}: first-frame image "${ref.id}" has ${image.length} values, a ${shape.height}×${shape.width} frame needs ${frameSize}.`);
  return image.subarray(0, frameSize);
}

/** The pixels of one video of a pair, with an error that says what is missing. */
export function videoOf(pair: Pair, index: VideoIndex, store: VideoStore): Float32Array {
  const data = store.get(pair.videoIds[index]);
  if (!data) throw new Error(`Pair ${pair.id}: video "${pair.videoIds[index]}" (seed ${pair.seeds[index]}) is not in the video store. Regenerate the pair or drop its judgments.`);
  return data;
}

/** A random side for the first video, from a seeded stream (the Rank tab randomises per pair). */
export function randomLeft(rng: Rng): VideoIndex {
  return rng() < 0.5 ? 0 : 1;
}

interface JudgmentFields {
  id: string;
  pair: Pair;
  annotator: string;
  annotatorKind: AnnotatorKind;
  round: number;
  responseMs?: number;
  confidence?: number;
  now?: string;
}

export function pairwiseJudgment(f: JudgmentFields & { decision: Decision; leftWas: VideoIndex }): PairwiseJudgment {
  const j: PairwiseJudgment = {
    kind: 'pairwise', id: f.id, pairId: f.pair.id, decision: f.decision, leftWas: f.leftWas,
    annotator: f.annotator, annotatorKind: f.annotatorKind, createdAt: f.now ?? new Date().toISOString(),
    responseMs: f.responseMs ?? 0, round: f.round,
  };
  if (f.confidence !== undefined) j.confidence = f.confidence;
  return j;
}

export function pointwiseJudgment(f: JudgmentFields & { video: VideoIndex; desirable: boolean }): PointwiseJudgment {
  return {
    kind: 'pointwise', id: f.id, pairId: f.pair.id, video: f.video, desirable: f.desirable,
    annotator: f.annotator, annotatorKind: f.annotatorKind, createdAt: f.now ?? new Date().toISOString(),
    responseMs: f.responseMs ?? 0, round: f.round,
  };
}
