// A studio store for unit tests: a fake engine worker that answers the protocol the way the real
// one does (ids, progress, one final event per request) and a Map behind the project storage.
import type { EngineEvent, EngineRequest, ReadyEvent } from '../../src/engine/protocol';
import { EngineRequests, type EngineChannel } from '../../src/app/engine-requests';
import { createStudioStore } from '../../src/app/store';
import { memoryKeyValueStore, ProjectStorage, type KeyValueStore } from '../../src/app/store/persist';
import { loraModuleShapes } from '../../src/model/param-specs';
import { presetConfig } from '../../src/model/presets';
import { float32ToBase64 } from '../../src/prefs/lora-data';
import { startRoundRecord } from '../../src/prefs/rounds';
import type { LoraSnapshot } from '../../src/prefs/types';

export const tinyModel = presetConfig('tiny');
export const tinyShape = { frames: tinyModel.frames, height: tinyModel.height, width: tinyModel.width };
export const videoBytes = tinyShape.frames * tinyShape.height * tinyShape.width * 3;

export const readyEvent: ReadyEvent = {
  type: 'ready', backend: 'cpu', adapter: 'cpu', modelName: 'tiny', config: tinyShape, modelConfig: tinyModel,
  kernels: { fused: false, reason: 'cpu backend' },
};

/** A rank-r LoRA on two modules of the tiny model with B filled by `fill` (non-zero: it changes the model). */
export function tinySnapshot(rank = 2, fill = 0.01): LoraSnapshot {
  const shapes = loraModuleShapes(tinyModel);
  const names = ['transformer_blocks.0.attn_spatial.to_q', 'transformer_blocks.1.attn_temporal.to_v'];
  const modules: LoraSnapshot['modules'] = {};
  for (const name of names) {
    const { inFeatures, outFeatures } = shapes.get(name)!;
    modules[name] = {
      inFeatures, outFeatures,
      loraA: float32ToBase64(Float32Array.from({ length: rank * inFeatures }, (_, i) => ((i % 7) - 3) / 10)),
      loraB: float32ToBase64(new Float32Array(outFeatures * rank).fill(fill)),
    };
  }
  return { rank, alpha: rank, targetModules: ['attn_spatial.to_q', 'attn_temporal.to_v'], modules };
}

type Handler = (request: EngineRequest, post: (event: EngineEvent) => void) => void | Promise<void>;

/** Answers like the worker: generate → progress… video (bytes = seed mod 256); setPolicy → policy; runRound → roundStep… roundDone. */
export class FakeEngine implements EngineChannel {
  readonly sent: EngineRequest[] = [];
  private readonly listeners = new Set<(event: EngineEvent) => void>();
  policyRound = 0;
  cancelled = new Set<number>();
  readonly handlers: Partial<Record<EngineRequest['type'], Handler>> = {
    init: (_, post) => post(readyEvent),
    generate: async (r, post) => {
      if (r.type !== 'generate') return;
      const steps = r.steps ?? 4;
      for (let s = 1; s <= steps; s++) {
        await Promise.resolve();
        if (this.cancelled.has(r.id)) return post({ type: 'error', id: r.id, kind: 'cancelled', message: 'cancelled' });
        post({ type: 'progress', id: r.id, done: s, total: steps });
      }
      post({ type: 'video', id: r.id, frames: tinyShape.frames, height: tinyShape.height, width: tinyShape.width, data: new Uint8Array(videoBytes).fill(r.seed % 256), milliseconds: 5 });
    },
    setPolicy: (r, post) => {
      if (r.type !== 'setPolicy') return;
      this.policyRound = r.loras.length;
      post({ type: 'policy', id: r.id, round: r.loras.length });
    },
    runRound: async (r, post) => {
      if (r.type !== 'runRound') return;
      const record = startRoundRecord(r.rounds.reduce((m, x) => Math.max(m, x.index), 0) + 1, r.hyper, r.judgments.map((j) => j.id), 2);
      for (let s = 1; s <= r.hyper.steps; s++) {
        await Promise.resolve();
        // Cancel: the record says so and the policy stays where it was.
        if (this.cancelled.has(r.id)) return post({ type: 'roundDone', id: r.id, record: { ...record, status: 'cancelled', note: 'Cancelled' }, policyRound: this.policyRound });
        const metrics = { step: s, loss: 1 / s, preferenceLoss: 1 / s, sftLoss: 0, implicitAccuracy: 0.5, rewardMargin: s / 10, gradNorm: 1, lr: r.hyper.lr, ms: 1 };
        record.metrics.push(metrics);
        post({ type: 'roundStep', id: r.id, metrics, total: r.hyper.steps });
      }
      this.policyRound += 1;
      post({ type: 'roundDone', id: r.id, record: { ...record, status: 'completed', lora: tinySnapshot() }, policyRound: this.policyRound });
    },
    cancel: (r) => void (r.type === 'cancel' && this.cancelled.add(r.id)),
  };

  send(request: EngineRequest): void {
    this.sent.push(request);
    const handler = this.handlers[request.type];
    if (handler) queueMicrotask(() => void handler(request, (e) => this.emit(e)));
  }

  subscribe(listener: (event: EngineEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  emit(event: EngineEvent): void {
    for (const l of this.listeners) l(event);
  }

  sentOf<T extends EngineRequest['type']>(type: T): Extract<EngineRequest, { type: T }>[] {
    return this.sent.filter((r) => r.type === type) as Extract<EngineRequest, { type: T }>[];
  }
}

/** A Map-backed store that can be told to fail with a QuotaExceededError (storage full). */
export function failingKv(): KeyValueStore & { map: Map<string, unknown>; full: boolean } {
  const kv = memoryKeyValueStore();
  const wrapped = {
    ...kv,
    full: false,
    setMany: async (items: [string, unknown][]) => {
      if (wrapped.full) throw new DOMException('The quota has been exceeded.', 'QuotaExceededError');
      return kv.setMany(items);
    },
    replaceAll: async (items: [string, unknown][]) => {
      if (wrapped.full) throw new DOMException('The quota has been exceeded.', 'QuotaExceededError');
      return kv.replaceAll(items);
    },
  };
  return wrapped;
}

export interface TestStudio {
  store: ReturnType<typeof createStudioStore>;
  engine: FakeEngine;
  kv: ReturnType<typeof failingKv>;
  saved: { bytes: Uint8Array; fileName: string; mimeType: string }[];
}

/** A studio whose engine is up and whose project is loaded from `kv` (a fresh one by default). */
export async function startStudio(kv = failingKv(), engine = new FakeEngine()): Promise<TestStudio> {
  const saved: TestStudio['saved'] = [];
  const storage = new ProjectStorage(kv);
  const store = createStudioStore({
    engine: new EngineRequests(engine), storage, modelName: 'tiny', now: () => new Date(), save: (bytes, fileName, mimeType) => saved.push({ bytes, fileName, mimeType }),
  });
  store.getState().hydrate(await storage.load());
  await new Promise<void>((resolve) => store.getState().startEngine({ modelUrl: 'tiny.safetensors', modelName: 'tiny' }, resolve));
  await store.getState().syncPolicy();
  return { store, engine, kv, saved };
}

/** Let queued microtasks and the ui slice's coalesced write run. */
export const settle = () => new Promise((r) => setTimeout(r, 0));
