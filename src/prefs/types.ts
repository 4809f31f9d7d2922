// The preference data of a project as plain, JSON-serialisable records (docs/architecture.md §4, §7): pairs of
// generated videos, the judgments people (or the critic, or the simulated annotator) made on
// them, and the rounds that trained on those judgments. No tfjs, no DOM: the store persists
// these records as they are, the dataset exporter writes them out, and the engine reads them.
//
// Videos themselves are not in these records: a pair names its videos by id and the pixels live
// in a video store (IndexedDB in the studio, a Map in Node), because JSON is a poor container for
// megabytes of floats.

import type { SamplerName } from '../diffusion/sampler-defaults';

/** Who made a judgment: a person, the learned critic, or the world's simulated annotator. */
export type AnnotatorKind = 'human' | 'critic' | 'simulated';

/** A pairwise decision, in terms of the sides as they were shown. */
export type Decision = 'left' | 'right' | 'tie' | 'both-bad' | 'skip';

export const DECISIONS: readonly Decision[] = ['left', 'right', 'tie', 'both-bad', 'skip'];

/** Index of a video inside its pair: 0 is `videoIds[0]` (sampled with `seeds[0]`), 1 the other. */
export type VideoIndex = 0 | 1;

/**
 * Where a first frame came from (HuViDPO's first-frame mode). `rendered`: frame 0 of the world's
 * render of the pair's prompt with `seed` (reproducible anywhere); `image`: an uploaded image
 * kept in the video store under `id`.
 */
export type FirstFrameRef = { kind: 'rendered'; seed: number } | { kind: 'image'; id: string };

/** Sampler settings a pair's videos were generated with (to regenerate them exactly). */
export interface SamplerSettings {
  steps: number;
  guidance: number;
  /** The ODE solver (src/diffusion/sampler.ts); absent (records made before it was a choice): Euler. */
  solver?: SamplerName;
}

/**
 * Two videos for the same prompt (and first frame, if any) from different seeds, sampled from
 * the policy after round `round` (0 = the base model): the on-policy pairs of docs/architecture.md §4.
 */
export interface Pair {
  id: string;
  prompt: string;
  firstFrame: FirstFrameRef | null;
  seeds: [number, number];
  /** Keys of the two videos in the video store, in seed order. */
  videoIds: [string, string];
  /** The policy that sampled the pair: number of rounds merged into it (0 = base). */
  round: number;
  sampler: SamplerSettings;
  /** ISO 8601. */
  createdAt: string;
}

interface JudgmentBase {
  id: string;
  pairId: string;
  annotator: string;
  annotatorKind: AnnotatorKind;
  /** ISO 8601: when the judgment was made. */
  createdAt: string;
  /** Time from showing the pair to the decision, ms (0 for the critic and the simulated annotator). */
  responseMs: number;
  /** The round whose labelling session produced it (the policy round + 1 it will train). */
  round: number;
  /** The critic's confidence in [0.5, 1] when it made the call. */
  confidence?: number;
}

/** Which video is better, as seen side by side. */
export interface PairwiseJudgment extends JudgmentBase {
  kind: 'pairwise';
  decision: Decision;
  /** Which video of the pair was shown on the left (sides are randomised per pair). */
  leftWas: VideoIndex;
}

/** A thumbs up / down on one video of a pair (the pointwise mode KTO can use directly). */
export interface PointwiseJudgment extends JudgmentBase {
  kind: 'pointwise';
  video: VideoIndex;
  desirable: boolean;
}

export type Judgment = PairwiseJudgment | PointwiseJudgment;

/** The training objective of a round. `online`: DPO on pairs labelled on the fly (OnlineVPO). */
export type RoundMethod = 'dpo' | 'kto' | 'online';

/** What the round's implicit rewards are measured against (docs/architecture.md §4). */
export type ReferenceChoice = 'previous' | 'base';

export interface LoraHyperParameters {
  rank: number;
  alpha: number;
  dropout: number;
  targetModules: string[];
}

export interface RoundHyperParameters {
  method: RoundMethod;
  /** Per-element-mean scale of the implicit reward (docs/architecture.md §4). */
  beta: number;
  lr: number;
  steps: number;
  /** Slots per step: DPO pairs, or for KTO two videos each (2·batchSize videos); SFT adds ⌈batchSize/2⌉ renders. */
  batchSize: number;
  warmupSteps: number;
  /** Global gradient-norm clip (0 = off). */
  clipNorm: number;
  /** Weight λ of the SFT regulariser on rendered ground truth (IPO); 0 = off. */
  sftWeight: number;
  /**
   * Mean of the logit-normal noise level t the round trains at (before the model's time shift).
   * 0 spreads the steps over all noise levels like pretraining; > 0 puts them at high noise,
   * where a video's layout and motion are decided (t ≈ 0.9 at 1 with the small model's shift 3).
   * Rounds stored before this setting existed trained at 0.
   */
  tMean: number;
  /** KTO weights of desirable and undesirable examples (λ_D, λ_U). */
  ktoDesirableWeight: number;
  ktoUndesirableWeight: number;
  reference: ReferenceChoice;
  lora: LoraHyperParameters;
  /** Seeds every random draw of the round (batches, t, ε, LoRA init): same seed, same round. */
  seed: number;
}

/** One optimiser step's numbers (docs/architecture.md §6's live charts). */
export interface StepMetrics {
  step: number;
  /** Total loss: preference loss + λ·SFT. */
  loss: number;
  preferenceLoss: number;
  sftLoss: number;
  /** DPO: mean(z > 0); KTO: fraction of examples on the right side of the reference point. */
  implicitAccuracy: number;
  /** DPO: mean z; KTO: β·(mean g of desirable − mean g of undesirable). */
  rewardMargin: number;
  /** Pre-clip global gradient norm. */
  gradNorm: number;
  lr: number;
  ms: number;
}

/** A LoRA adapter as data, in PyTorch layout: lora_A [rank, in], lora_B [out, rank]. */
export interface LoraModuleData {
  inFeatures: number;
  outFeatures: number;
  /** Little-endian float32 bytes, base64 (compact and exact in JSON). */
  loraA: string;
  loraB: string;
}

export interface LoraSnapshot {
  rank: number;
  alpha: number;
  targetModules: string[];
  /** Keyed by module name, e.g. `transformer_blocks.0.attn_spatial.to_q`. */
  modules: Record<string, LoraModuleData>;
}

export type RoundStatus = 'running' | 'completed' | 'cancelled' | 'failed';

export interface RoundTimings {
  startedAt: string;
  finishedAt: string | null;
  seconds: number;
  msPerStep: number;
}

/** One round of generate → label → train → merge, as data. */
export interface RoundRecord {
  /** 1-based: round k trains on top of the policy of rounds 1..k−1. */
  index: number;
  status: RoundStatus;
  hyper: RoundHyperParameters;
  /** Ids of the judgments that entered training. */
  judgmentIds: string[];
  /** How many training examples those judgments gave (pairs for DPO, videos for KTO). */
  examples: number;
  metrics: StepMetrics[];
  timings: RoundTimings;
  /** The round's adapter; null unless completed (a cancelled round changes nothing). */
  lora: LoraSnapshot | null;
  /** Why a round failed or was cancelled. */
  note?: string;
  /** Set when the adapter came from a file (the studio's Import LoRA), not from training here. */
  importedFrom?: string;
}
