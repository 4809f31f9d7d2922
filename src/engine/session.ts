/**
 * The engine's core (docs/architecture.md §1, §4, §6): the loaded model, the policy (base + merged
 * rounds) and the critic, with one method per request of src/engine/protocol.ts. It owns tfjs but
 * no worker globals, so the whole engine runs in Node under vitest (tfjs-wasm) exactly as in the
 * browser; src/engine/worker.ts is a thin shell that posts its events.
 *
 * Requests run one at a time in arrival order (`submit`, request-queue.ts); `cancel` jumps the
 * queue and acts on the request it names, running or queued. Every request but init ends with
 * exactly one final event carrying its id: `video`, `policy`, `roundDone`, `criticHints`, or
 * `error` (errors.ts). Helpers with one job each: video-bytes.ts (the videos sent as bytes),
 * round-weights.ts (earlier rounds' weights for Compare), critic-training.ts, online-round.ts.
 */
import { DEFAULT_GUIDANCE, DEFAULT_SAMPLE_STEPS } from '../diffusion/sampler';
import { kernelsStatus, preferenceLoss } from '../kernels';
import type { ModelConfig } from '../model/config';
import type { Params } from '../model/params';
import { criticLabeller, tasteLabeller, type Labeller } from '../prefs/online';
import type { VideoStore } from '../prefs/pairs';
import type { Judgment, LoraSnapshot, Pair, RoundRecord, VideoIndex } from '../prefs/types';
import { builtinTaste } from '../world/tastes';
import { pickShape, videoFromUint8 } from '../world/video';
import type { Critic } from './critic';
import { trainCritic } from './critic-training';
import { deviceLostMessage, errorEventOf, gpuErrorMessage, messageOf, RequestError } from './errors';
import { runOnlineRound, untrainedOnlineRecord } from './online-round';
import { Policy } from './policy';
import type {
  BackendName, CancelRequest, CriticRequest, EngineEvent, EngineRequest, ErrorKind, GenerateRequest,
  InitRequest, OnlineRoundSpec, RunRoundRequest, SetPolicyRequest,
} from './protocol';
import { RequestQueue } from './request-queue';
import { runRound, type RoundInput } from './round-runner';
import { RoundWeights } from './round-weights';
import { checkRequest } from './validate-request';
import { VideoBytesStore, pairVideoBytes } from './video-bytes';
import { errorKind, fetchCheckpoint, generateVideo, initBackend, loadModelFromBytes, watchGpuDevice, type LoadedModel } from './runtime';

export type Post = (event: EngineEvent) => void;

export interface EngineSessionOptions {
  /** Start a tfjs backend; default: WebGPU, WASM or CPU as the browser allows (runtime.ts). */
  startBackend?: (preferred: BackendName | undefined) => Promise<{ backend: BackendName; adapter: string }>;
  /** A checkpoint's bytes from the init request's URL; default: fetch. Node tests read the file. */
  loadCheckpoint?: (url: string, fileName: string) => Promise<Uint8Array>;
  /**
   * Calls back once when the GPU device is lost, and on every GPU error nobody caught (an invalid
   * pipeline drops the commands submitted with it: the results are zeros); default: tfjs-webgpu's
   * device (runtime.ts).
   */
  watchDevice?: (onLost: (detail: string) => void, onError: (message: string) => void) => void;
  /** Bradley–Terry steps of a critic training (default 200). */
  criticSteps?: number;
  /** Earlier rounds' weights kept for `generate` with `round` (Compare), default 3. */
  roundCacheSize?: number;
  now?: () => Date;
}

/** Last path segment of a URL, for error messages that name the file. */
function fileNameOf(url: string): string {
  const path = url.split(/[?#]/)[0];
  return path.slice(path.lastIndexOf('/') + 1) || url;
}

/** Checks a snapshot's scalars; its modules are checked by decoding and merging them. */
function checkSnapshotFields(s: LoraSnapshot): void {
  if (!(Number.isInteger(s.rank) && s.rank >= 1)) throw new Error(`its rank ${JSON.stringify(s.rank)} is not a positive integer.`);
  if (!(Number.isFinite(s.alpha) && s.alpha > 0)) throw new Error(`its alpha ${JSON.stringify(s.alpha)} is not a positive number.`);
  if (typeof s.modules !== 'object' || s.modules === null) throw new Error('it has no modules.');
}

export class EngineSession {
  private model: LoadedModel | null = null;
  private current: Policy | null = null;
  private trainedCritic: Critic | null = null;
  private readonly roundWeights: RoundWeights;
  private readonly requests = new RequestQueue();
  /** Set once the GPU device is lost: the message every later request gets. */
  private deviceLost: string | null = null;
  /** A GPU error during the running request: that request fails (the next one starts clean). */
  private gpuError: string | null = null;
  /** Bumped by every init, so that a watcher of an earlier device stays silent. */
  private generation = 0;
  private readonly startBackend: NonNullable<EngineSessionOptions['startBackend']>;
  private readonly loadCheckpoint: NonNullable<EngineSessionOptions['loadCheckpoint']>;
  private readonly watchDevice: NonNullable<EngineSessionOptions['watchDevice']>;
  private readonly criticSteps: number;
  private readonly now: () => Date;

  constructor(opts: EngineSessionOptions = {}) {
    this.startBackend = opts.startBackend ?? initBackend;
    this.loadCheckpoint = opts.loadCheckpoint ?? fetchCheckpoint;
    this.watchDevice = opts.watchDevice ?? watchGpuDevice;
    this.criticSteps = opts.criticSteps ?? 200;
    this.roundWeights = new RoundWeights(opts.roundCacheSize ?? 3);
    this.now = opts.now ?? (() => new Date());
  }

  /** The policy now (null before init): base + the merged rounds. */
  get policy(): Policy | null {
    return this.current;
  }

  /**
   * Queue a request behind the ones before it; `cancel` acts at once. A request that fails its
   * checks (validate-request.ts) is answered at once with an error carrying its id. Resolves when
   * the request has posted its final event.
   */
  submit(sent: EngineRequest, post: Post): Promise<void> {
    const checked = checkRequest(sent); // types and ranges, at the worker boundary
    if ('error' in checked) {
      post(checked.error);
      return Promise.resolve();
    }
    const { request } = checked;
    if (request.type === 'cancel') {
      this.cancel(request, post);
      return Promise.resolve();
    }
    return this.requests.enqueue(request.type === 'init' ? null : request.id, () => this.handle(request, post));
  }

  private handle(request: Exclude<EngineRequest, CancelRequest>, post: Post): Promise<void> {
    switch (request.type) {
      case 'init':
        return this.init(request, post);
      case 'generate':
        return this.generate(request, post);
      case 'setPolicy':
        return this.setPolicy(request, post);
      case 'runRound':
        return this.runRound(request, post);
      case 'critic':
        return this.critic(request, post);
      default: {
        const unknown: never = request;
        post({ type: 'error', message: `engine: unknown request ${JSON.stringify(unknown)}`, kind: 'internal' });
        return Promise.resolve();
      }
    }
  }

  /** Pick a backend, load the checkpoint, start from the base model; answers `ready` or `error`. */
  async init(request: InitRequest, post: Post): Promise<void> {
    this.release();
    const generation = ++this.generation;
    try {
      const { backend, adapter } = await this.startBackend(request.backend);
      const fileName = fileNameOf(request.modelUrl);
      const model = await loadModelFromBytes(await this.loadCheckpoint(request.modelUrl, fileName), fileName);
      this.model = model;
      this.current = new Policy(model.config, model.params);
      this.deviceLost = null;
      this.watchDevice((detail) => {
        if (generation !== this.generation) return;
        this.deviceLost = deviceLostMessage(detail);
        post({ type: 'error', message: this.deviceLost, kind: 'backend' });
      }, (message) => {
        if (generation === this.generation) this.gpuError ??= gpuErrorMessage(message);
      });
      const { frames, height, width } = model.config;
      post({ type: 'ready', backend, adapter, modelName: model.name, config: { frames, height, width }, modelConfig: model.config, kernels: kernelsStatus() });
    } catch (e) {
      post({ type: 'error', message: messageOf(e), kind: errorKind(e) });
    }
  }

  /** One video from the policy (or the policy after `round` rounds); `progress`, then `video`. */
  generate(request: GenerateRequest, post: Post): Promise<void> {
    const { id } = request;
    return this.serve(id, post, 'internal', async () => {
      const { model, policy } = this.loaded();
      this.checkNotCancelled(id);
      const params = this.weightsAt(policy, request.round);
      const firstFrame = request.firstFrame ? this.firstFrameOf(request.firstFrame, model.config) : null;
      const started = performance.now();
      const data = await generateVideo({ config: model.config, params }, request.prompt, request.seed, {
        steps: request.steps, guidance: request.guidance, solver: request.solver, firstFrame,
        onProgress: (done, total) => post({ type: 'progress', id, done, total }),
        shouldCancel: () => this.stopping(id),
      });
      this.loaded(); // a device lost while sampling: its numbers are not a video
      const { frames, height, width } = model.config;
      post({ type: 'video', id, frames, height, width, data, milliseconds: performance.now() - started });
    });
  }

  /**
   * Base + these adapters merged in order, built beside the current policy and swapped in only
   * when every adapter merged: a bad one leaves the policy as it was. Answers `policy`.
   */
  setPolicy(request: SetPolicyRequest, post: Post): Promise<void> {
    const { id } = request;
    return this.serve(id, post, 'model', async () => {
      const { model, policy } = this.loaded();
      this.checkNotCancelled(id);
      const next = new Policy(model.config, policy.base);
      const count = request.loras.length;
      request.loras.forEach((snapshot, k) => {
        try {
          checkSnapshotFields(snapshot);
          next.merge(snapshot);
        } catch (e) {
          next.dispose();
          throw new RequestError(`Adapter ${k + 1} of ${count} cannot be merged into ${model.name}: ${messageOf(e)} The policy is unchanged (${policy.round} merged round(s)).`, 'model');
        }
      });
      try {
        this.loaded(); // a GPU error while merging: the new weights cannot be trusted
      } catch (e) {
        next.dispose();
        throw e;
      }
      policy.dispose();
      this.current = next;
      this.roundWeights.clear();
      post({ type: 'policy', id, round: next.round });
    });
  }

  /**
   * Train one round (DPO/KTO on the judgments sent, or an online round) and merge it on success:
   * `roundStep` per step, `onlineData` for online rounds, then `roundDone`. Cancelled or failed
   * rounds leave the policy unchanged (the round engine never writes the policy before merging).
   */
  runRound(request: RunRoundRequest, post: Post): Promise<void> {
    const { id } = request;
    return this.serve(id, post, 'prompt', async () => {
      const { model, policy } = this.loaded();
      const store = new VideoBytesStore(request.videos, pickShape(model.config));
      const input: Omit<RoundInput, 'store'> = {
        config: model.config, policy, rounds: request.rounds, pairs: request.pairs, judgments: request.judgments, hyper: request.hyper,
        onStep: (metrics, total) => post({ type: 'roundStep', id, metrics, total }),
        shouldCancel: () => this.stopping(id),
        // The fused DPO/KTO kernel on webgpu, the plain-tfjs reference elsewhere (src/kernels).
        lossFn: kernelsStatus().fused ? preferenceLoss : undefined,
        now: this.now,
      };
      if (!request.online && request.hyper.method === 'online') {
        throw new RequestError('An online round needs its prompts, pairs per prompt, labeller and confidence threshold (the request\'s "online" settings); choose DPO or KTO to train on the judgments you have.');
      }
      const before = [...policy.snapshots];
      let record: RoundRecord;
      try {
        record = request.online ? await this.onlineRound(request, request.online, store, input, post) : await runRound({ ...input, store });
        this.loaded(); // the device lost, or a GPU error, meanwhile: report that, not a record of dropped numbers
      } catch (e) {
        // A round may have merged just before the failure showed: the page will not store it.
        if (policy.round !== before.length) this.rebuild(policy, before);
        throw e;
      }
      post({ type: 'roundDone', id, record, policyRound: policy.round });
    });
  }

  /** Stop the request with this id: at its next sampler or optimiser step, or before it starts. */
  cancel(request: CancelRequest, _post?: Post): void {
    this.requests.cancel(request.id);
  }

  /**
   * Train a fresh critic on the people's pairwise judgments (a fifth of them held out to measure
   * its agreement once there are enough), keep it for online rounds, and answer `criticHints`.
   */
  critic(request: CriticRequest, post: Post): Promise<void> {
    const { id } = request;
    return this.serve(id, post, 'prompt', async () => {
      const { model } = this.loaded();
      this.checkNotCancelled(id);
      const store = new VideoBytesStore(request.videos, pickShape(model.config));
      const byId = new Map(request.pairs.map((p) => [p.id, p]));
      const hintPairs = request.hintPairIds.map((pairId) => {
        const pair = byId.get(pairId);
        if (!pair) throw new RequestError(`Critic hints: pair "${pairId}" is not among the ${request.pairs.length} pair(s) sent; send it with its videos.`);
        return pair;
      });
      const trained = await trainCritic(model.config, request.pairs, request.judgments, store, this.criticSteps, (done, total) => post({ type: 'progress', id, done, total }));
      try {
        const verdicts = await criticLabeller(trained.critic).label(hintPairs, store);
        const hints = hintPairs.map((p, i) => ({ pairId: p.id, preferred: verdicts[i].preferred as VideoIndex, confidence: verdicts[i].confidence }));
        this.loaded(); // a GPU error while training or judging: not a critic to keep
        this.trainedCritic?.dispose();
        this.trainedCritic = trained.critic;
        post({ type: 'criticHints', id, hints, agreement: trained.agreement, trainedOn: trained.trainedOn });
      } catch (e) {
        trained.critic.dispose();
        throw e;
      }
    });
  }

  /** Free every tensor the session holds (the model included). */
  dispose(): void {
    this.release();
  }

  // -------------------------------------------------------------------------------------------

  /** Run a request's work; any error becomes its `error` event (kind from the error). */
  private async serve(id: number, post: Post, plainKind: ErrorKind, work: () => Promise<void>): Promise<void> {
    this.gpuError = null;
    try {
      await work();
    } catch (e) {
      post(errorEventOf(id, e, plainKind, this.deviceLost ?? this.gpuError));
    } finally {
      this.requests.settle(id);
    }
  }

  /** The model and policy; throws when there is none, or the GPU failed the running request. */
  private loaded(): { model: LoadedModel; policy: Policy } {
    const gpu = this.deviceLost ?? this.gpuError;
    if (gpu) throw new RequestError(gpu, 'backend');
    if (!this.model || !this.current) throw new RequestError('No model is loaded: the engine failed to initialise (see the error before this one). Reload the page.', 'model');
    return { model: this.model, policy: this.current };
  }

  private stopping(id: number): boolean {
    return this.requests.isCancelled(id) || this.deviceLost !== null || this.gpuError !== null;
  }

  private checkNotCancelled(id: number): void {
    if (this.requests.isCancelled(id)) throw new RequestError(`Request ${id} was cancelled before it started.`, 'cancelled');
  }

  /** Back to base + exactly these snapshots (merged again in order: the same weights as before). */
  private rebuild(policy: Policy, snapshots: readonly LoraSnapshot[]): void {
    policy.reset();
    for (const snapshot of snapshots) policy.merge(snapshot);
  }

  /** The weights to sample from: the policy now, the base (round 0), or an earlier round. */
  private weightsAt(policy: Policy, round: number | undefined): Params {
    if (round === undefined || round === policy.round) return policy.params;
    if (!Number.isInteger(round) || round < 0 || round > policy.round) {
      throw new RequestError(`Round ${round} is not available: the policy has ${policy.round} merged round(s); ask for 0 (the base model) to ${policy.round}.`);
    }
    return round === 0 ? policy.base : this.roundWeights.params(policy, round);
  }

  /** The simulated person's taste of an online round (a built-in name; `quality` when none). */
  private tasteOf(spec: OnlineRoundSpec) {
    try {
      return builtinTaste(spec.taste ?? 'quality');
    } catch (e) {
      throw new RequestError(`Online round: ${messageOf(e)}`);
    }
  }

  /** [H, W, 3] bytes → [-1, 1] floats for the sampler. */
  private firstFrameOf(bytes: Uint8Array, config: ModelConfig): Float32Array {
    try {
      return videoFromUint8(bytes, { ...pickShape(config), frames: 1 }).data;
    } catch (e) {
      throw new RequestError(`First frame: ${messageOf(e)}; give a ${config.height}×${config.width} RGB image.`);
    }
  }

  private async onlineRound(request: RunRoundRequest, spec: OnlineRoundSpec, store: VideoBytesStore, input: Omit<RoundInput, 'store'>, post: Post): Promise<RoundRecord> {
    const { config, hyper } = input;
    const { id } = request;
    const shape = pickShape(config);
    const labeller: Labeller = spec.labeller === 'critic'
      ? criticLabeller(await this.criticForOnline(config, request.pairs, request.judgments, store))
      : tasteLabeller(this.tasteOf(spec), shape, hyper.seed);
    const result = await runOnlineRound({
      ...input, store, prompts: spec.prompts, pairsPerPrompt: spec.pairsPerPrompt, confidenceThreshold: spec.confidenceThreshold, labeller,
      sampler: { steps: DEFAULT_SAMPLE_STEPS, guidance: DEFAULT_GUIDANCE },
      onProgress: (phase, done, total) => {
        if (phase === 'sample') post({ type: 'progress', id, done, total });
      },
    });
    this.loaded(); // lost the device while sampling: the videos are not worth storing
    post({ type: 'onlineData', id, pairs: result.pairs, judgments: result.judgments, videos: pairVideoBytes(result.pairs, store, shape) });
    if (result.record) return result.record;
    return untrainedOnlineRecord(request.rounds, hyper, this.now, {
      cancelled: this.stopping(id), sampledPairs: result.pairs.length, queuedPairs: result.queued.length,
      labeller: spec.labeller, confidenceThreshold: spec.confidenceThreshold,
    });
  }

  /** The critic an online round labels with: the last one trained, else one trained now. */
  private async criticForOnline(config: ModelConfig, pairs: readonly Pair[], judgments: readonly Judgment[], store: VideoStore): Promise<Critic> {
    if (!this.trainedCritic) this.trainedCritic = (await trainCritic(config, pairs, judgments, store, this.criticSteps)).critic;
    return this.trainedCritic;
  }

  private release(): void {
    this.roundWeights.clear();
    this.trainedCritic?.dispose();
    this.trainedCritic = null;
    this.current?.dispose();
    this.current = null;
    if (this.model) for (const t of this.model.params.values()) t.dispose();
    this.model = null;
  }
}
