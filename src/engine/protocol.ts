// Messages between the page and the engine worker (docs/architecture.md §1: UI → store → engine worker →
// tfjs; results come back as events). Plain types only: the page imports this file, so it must
// never pull in tfjs.
import type { SamplerName } from '../diffusion/sampler-defaults';
import type { ModelConfig } from '../model/config';
import type { Judgment, LoraSnapshot, Pair, RoundHyperParameters, RoundRecord, StepMetrics, VideoIndex } from '../prefs/types';

export type BackendName = 'webgpu' | 'wasm' | 'cpu';
export const BACKEND_NAMES: readonly BackendName[] = ['webgpu', 'wasm', 'cpu'];

/** Who should act on an error: the person — a prompt, a setting, or data that cannot train
 *  (`prompt`), the checkpoint or an imported file or adapter (`model`), the browser/GPU
 *  (`backend`, including a lost GPU device), the request was cancelled (`cancelled`), or us
 *  (`internal`). */
export type ErrorKind = 'prompt' | 'model' | 'backend' | 'cancelled' | 'internal';

// ---------------------------------------------------------------------------------------------
// page → worker
//
// Every request but `init` and `cancel` carries an `id`; the worker answers it with zero or more
// progress-like events and then exactly one final event with the same id: `video`, `policy`,
// `roundDone`, `criticHints`, or `error`. Requests run one at a time in arrival order, except
// `cancel`, which acts at once on the running request it names.
//
// Videos cross the boundary as RGB bytes, frame-major ([F, H, W, 3] uint8), the form the page
// stores in IndexedDB; a first frame is [H, W, 3] uint8.

/** Pick a backend (undefined: the runtime's own choice), then fetch and load the checkpoint. */
export interface InitRequest {
  type: 'init';
  backend?: BackendName;
  modelUrl: string;
  modelName: string;
}

/**
 * Sample one video; answered by `progress` events, then one `video` or `error` event with this id.
 * `round`: sample from the policy after that many merged rounds (0 = the base model, for Compare);
 * default the current policy. Same prompt, seed and round → the same video.
 */
export interface GenerateRequest {
  type: 'generate';
  id: number;
  prompt: string;
  seed: number;
  steps?: number;
  guidance?: number;
  /** The ODE solver (default DEFAULT_SAMPLER, Euler). */
  solver?: SamplerName;
  /** HuViDPO first-frame mode: frame 0 given, [H, W, 3] uint8. */
  firstFrame?: Uint8Array | null;
  round?: number;
}

/**
 * Make the policy base + these adapters merged in order (the completed rounds' LoRAs, and any
 * imported one): sent after a reload, an import or a restore. Answered by `policy`.
 */
export interface SetPolicyRequest {
  type: 'setPolicy';
  id: number;
  loras: LoraSnapshot[];
}

/** Where an online round's (OnlineVPO) pairs get their labels. */
export interface OnlineRoundSpec {
  labeller: 'critic' | 'simulated';
  /** The simulated person's taste (a built-in name, world/tastes.ts; default `quality`). */
  taste?: string;
  prompts: string[];
  pairsPerPrompt: number;
  /** Critic verdicts below this confidence are left for people (they do not train). */
  confidenceThreshold: number;
}

/**
 * Train one round (DPO, KTO, or online) on the session's data and merge it into the policy on
 * success. Answered by `roundStep` events (one per optimiser step), `onlineData` (online rounds:
 * the pairs, videos and labels the round made, for the page to store), then `roundDone` with
 * the round's record (status completed, cancelled or failed). A cancelled or failed round leaves
 * the policy unchanged.
 */
export interface RunRoundRequest {
  type: 'runRound';
  id: number;
  hyper: RoundHyperParameters;
  pairs: Pair[];
  judgments: Judgment[];
  /** Every round record so far (the judgments an earlier round used are not used again). */
  rounds: RoundRecord[];
  /** Pixels of the videos the pairs name, by video id. */
  videos: Record<string, Uint8Array>;
  online?: OnlineRoundSpec;
}

/** Stop the running request with this id (a round: at the next step; sampling: at the next step). */
export interface CancelRequest {
  type: 'cancel';
  id: number;
}

/**
 * Train the learned critic (IPO critic / OnlineVPO reward model) on the human pairwise judgments
 * given, then predict the better video of each pair in `hintPairIds`. Answered by `criticHints`.
 */
export interface CriticRequest {
  type: 'critic';
  id: number;
  pairs: Pair[];
  judgments: Judgment[];
  videos: Record<string, Uint8Array>;
  hintPairIds: string[];
}

export type EngineRequest = InitRequest | GenerateRequest | SetPolicyRequest | RunRoundRequest | CancelRequest | CriticRequest;

// ---------------------------------------------------------------------------------------------
// worker → page

export interface ModelSummary {
  frames: number;
  height: number;
  width: number;
}

export interface ReadyEvent {
  type: 'ready';
  backend: BackendName;
  /** Human-readable adapter, e.g. "google swiftshader (fallback)" or "cpu". */
  adapter: string;
  modelName: string;
  config: ModelSummary;
  /** The whole model config (plain JSON): LoRA module shapes for import/export come from it. */
  modelConfig: ModelConfig;
  /** Whether the fused WGSL kernels run (webgpu) or the plain-tfjs reference paths, and why. */
  kernels: { fused: boolean; reason: string };
}

export interface ProgressEvent {
  type: 'progress';
  id: number;
  done: number;
  total: number;
}

/** RGB bytes, frame-major: data.length === frames · height · width · 3. */
export interface VideoEvent {
  type: 'video';
  id: number;
  frames: number;
  height: number;
  width: number;
  data: Uint8Array;
  /** Wall time of the sampling in the worker, ms. */
  milliseconds: number;
}

/** The policy now in the worker: how many adapters are merged into the base. */
export interface PolicyEvent {
  type: 'policy';
  id: number;
  round: number;
}

/** One optimiser step of a running round. */
export interface RoundStepEvent {
  type: 'roundStep';
  id: number;
  metrics: StepMetrics;
  total: number;
}

/** What an online round sampled and labelled, to be stored like any other pairs and judgments. */
export interface OnlineDataEvent {
  type: 'onlineData';
  id: number;
  pairs: Pair[];
  judgments: Judgment[];
  videos: Record<string, Uint8Array>;
}

/** The round's record; `record.lora` is set when it completed (and was merged). */
export interface RoundDoneEvent {
  type: 'roundDone';
  id: number;
  record: RoundRecord;
  /** The policy's round count after this round. */
  policyRound: number;
}

export interface CriticHint {
  pairId: string;
  /** The video index (in seed order, not screen side) the critic prefers. */
  preferred: VideoIndex;
  /** In [0.5, 1]. */
  confidence: number;
}

export interface CriticHintsEvent {
  type: 'criticHints';
  id: number;
  hints: CriticHint[];
  /** Held-out agreement of the critic with the human judgments it was trained on (NaN: too few). */
  agreement: number;
  trainedOn: number;
}

export interface EngineErrorEvent {
  type: 'error';
  /** The request that failed; absent for init and worker-level failures. */
  id?: number;
  message: string;
  kind: ErrorKind;
}

export type EngineEvent = ReadyEvent | ProgressEvent | VideoEvent | PolicyEvent | RoundStepEvent | OnlineDataEvent | RoundDoneEvent | CriticHintsEvent | EngineErrorEvent;

/** Buffers to transfer (not copy) with an event: the pixels of its videos. */
export function transferablesOf(event: EngineEvent): Transferable[] {
  const videos = event.type === 'video' ? [event.data] : event.type === 'onlineData' ? Object.values(event.videos) : [];
  // Transferring detaches the whole buffer, so only do it when the view owns all of it; a buffer
  // may be listed once only.
  const buffers = new Set<ArrayBuffer>();
  for (const data of videos) {
    const ownsBuffer = data.byteOffset === 0 && data.byteLength === data.buffer.byteLength;
    if (ownsBuffer && data.buffer instanceof ArrayBuffer) buffers.add(data.buffer);
  }
  return [...buffers];
}
