// The engine worker's core (src/engine/session.ts) driven through its request queue exactly as
// the page drives the worker, on the shipped `tiny` checkpoint with tfjs-wasm in Node.
import * as tf from '@tensorflow/tfjs';
import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useWasmBackend } from '../../../src/engine/tf-node';
import type { CriticHintsEvent, EngineErrorEvent, EngineEvent, EngineRequest, OnlineDataEvent, RoundDoneEvent, RunRoundRequest, VideoEvent } from '../../../src/engine/protocol';
import { EngineSession, type EngineSessionOptions } from '../../../src/engine/session';
import { CheckpointError } from '../../../src/model/checkpoint';
import { selectKernels } from '../../../src/kernels';
import { base64ToFloat32, encodeModule } from '../../../src/prefs/lora-data';
import { roundHyper } from '../../../src/prefs/rounds';
import type { LoraSnapshot } from '../../../src/prefs/types';
import { makeRng, randNormal } from '../../../src/world/rng';
import { videoToUint8 } from '../../../src/world/video';
import { MORE_TRAIN_PROMPTS, plantedSession, tinyShape, TRAIN_PROMPTS } from '../fixtures/prefs';

const FRAME_BYTES = tinyShape.height * tinyShape.width * 3;
const VIDEO_BYTES = tinyShape.frames * FRAME_BYTES;
const PROMPT = 'a red circle moves left';

function newSession(opts: EngineSessionOptions = {}): EngineSession {
  return new EngineSession({
    startBackend: async () => {
      await useWasmBackend();
      selectKernels('wasm');
      return { backend: 'wasm', adapter: 'node' };
    },
    // As fetchCheckpoint does over HTTP: a missing file is an error that names it.
    loadCheckpoint: async (url, fileName) => new Uint8Array(await readFile(url).catch(() => {
      throw new CheckpointError(fileName, `could not be read from ${url}`);
    })),
    criticSteps: 20,
    ...opts,
  });
}

/** Sends requests through `submit` and keeps every event posted, for the page's-eye view. */
class Page {
  readonly events: EngineEvent[] = [];
  /** Called on every event as it is posted (to cancel mid-request, as a person would). */
  onEvent: (e: EngineEvent) => void = () => {};
  private nextId = 1;
  readonly post = (e: EngineEvent) => {
    this.events.push(e);
    this.onEvent(e);
  };

  constructor(readonly session: EngineSession) {}

  id(): number {
    return this.nextId++;
  }

  /** Submit and wait for the request's final event; returns all of its events in order. */
  async send(request: EngineRequest): Promise<EngineEvent[]> {
    await this.session.submit(request, this.post);
    return this.eventsOf(request.type === 'init' ? undefined : request.id);
  }

  eventsOf(id: number | undefined): EngineEvent[] {
    return this.events.filter((e) => (e as { id?: number }).id === id);
  }

  async generate(fields: { prompt?: string; seed?: number; round?: number; firstFrame?: Uint8Array; steps?: number; solver?: 'euler' | 'dpm++2m' } = {}): Promise<EngineEvent> {
    const events = await this.send({ type: 'generate', id: this.id(), prompt: PROMPT, seed: 3, steps: 3, ...fields });
    return events[events.length - 1];
  }

  async video(fields: Parameters<Page['generate']>[0] = {}): Promise<Uint8Array> {
    const last = await this.generate(fields);
    if (last.type !== 'video') throw new Error(`expected a video, got ${JSON.stringify(last)}`);
    return last.data;
  }

  async setPolicy(loras: LoraSnapshot[]): Promise<EngineEvent> {
    const events = await this.send({ type: 'setPolicy', id: this.id(), loras });
    return events[events.length - 1];
  }
}

/** A LoRA on two kinds of module of every block with random A and B (large enough to change the video). */
function randomSnapshot(page: Page, seed: number, rank = 2, alpha = 4): LoraSnapshot {
  const rng = makeRng(seed);
  const modules: LoraSnapshot['modules'] = {};
  for (const [key, w] of page.session.policy!.base) {
    const name = key.replace(/\.weight$/, '');
    if (!/attn_spatial\.to_q$|ff\.fc1$/.test(name)) continue;
    const [inFeatures, outFeatures] = w.shape; // memory layout [in, out]
    const random = (n: number) => Float32Array.from({ length: n }, () => randNormal(rng) * 0.5);
    modules[name] = encodeModule({ inFeatures, outFeatures, loraA: random(rank * inFeatures), loraB: random(outFeatures * rank) });
  }
  return { rank, alpha, targetModules: ['attn_spatial.to_q', 'ff.fc1'], modules };
}

/** A planted session (clean render beats noisy render) with its videos as the bytes the page sends. */
function sessionData(prompts: string[], pairsPerPrompt: number, seed: number) {
  const s = plantedSession(prompts, pairsPerPrompt, seed);
  const videos: Record<string, Uint8Array> = {};
  for (const [id, data] of s.store) videos[id] = videoToUint8({ ...tinyShape, data });
  return { pairs: s.pairs, judgments: s.judgments, videos };
}

const final = (events: EngineEvent[]) => events[events.length - 1];
const hyper = roundHyper({ steps: 3, batchSize: 2, sftWeight: 0.1, lora: { rank: 2, alpha: 2 } });

let page: Page;

beforeAll(async () => {
  page = new Page(newSession());
  const [ready] = await page.send({ type: 'init', modelUrl: 'public/models/tiny.safetensors', modelName: 'tiny' });
  if (ready.type !== 'ready') throw new Error(`init failed: ${JSON.stringify(ready)}`);
});

afterAll(() => page.session.dispose());

describe('init', () => {
  it('loads the checkpoint from its URL and answers ready with the model and the kernel path', async () => {
    const ready = page.eventsOf(undefined).find((e) => e.type === 'ready');
    expect(ready).toMatchObject({ type: 'ready', backend: 'wasm', modelName: 'tiny', config: tinyShape, kernels: { fused: false } });
    expect(page.session.policy!.round).toBe(0);
    const other = new Page(newSession());
    const [error] = await other.send({ type: 'init', modelUrl: 'public/models/missing.safetensors', modelName: 'missing' });
    expect(error).toMatchObject({ type: 'error', kind: 'model', message: expect.stringMatching(/missing\.safetensors/) });
  });
});

describe('generate', () => {
  it('same prompt, seed and round: the same bytes; a progress event per step; another seed differs', async () => {
    const events = await page.send({ type: 'generate', id: page.id(), prompt: PROMPT, seed: 3, steps: 3 });
    expect(events.map((e) => e.type)).toEqual(['progress', 'progress', 'progress', 'video']);
    const video = final(events) as VideoEvent;
    expect([video.frames, video.height, video.width, video.data.length]).toEqual([4, 16, 16, VIDEO_BYTES]);
    expect(await page.video()).toEqual(video.data);
    expect(await page.video({ seed: 4 })).not.toEqual(video.data);
  });

  it('the solver: dpm++2m samples another video than Euler from the same seed, the same one every time; an unknown solver is refused', async () => {
    const euler = await page.video({ steps: 4 });
    const dpm = await page.video({ steps: 4, solver: 'dpm++2m' });
    expect(dpm).not.toEqual(euler);
    expect(await page.video({ steps: 4, solver: 'dpm++2m' })).toEqual(dpm);
    expect(await page.video({ steps: 4, solver: 'euler' })).toEqual(euler);
    const refused = final(await page.send({ type: 'generate', id: page.id(), prompt: PROMPT, seed: 3, steps: 4, solver: 'heun' as never }));
    expect(refused).toMatchObject({ type: 'error', message: expect.stringMatching(/Solver "heun" is not one of euler, dpm\+\+2m/) });
  });

  it('a first frame ([H, W, 3] bytes) is frame 0 of the video, exactly', async () => {
    const frame = Uint8Array.from({ length: FRAME_BYTES }, (_, i) => (i * 37) % 256);
    const video = await page.video({ firstFrame: frame });
    expect(video.subarray(0, FRAME_BYTES)).toEqual(frame);
    const bad = await page.generate({ firstFrame: frame.subarray(0, 10) });
    expect(bad).toMatchObject({ type: 'error', kind: 'prompt' });
    expect((bad as EngineErrorEvent).message).toMatch(/First frame: .*10 bytes.*16×16 RGB image/);
  });

  it('an unknown word is a prompt error that names it, and the engine goes on', async () => {
    const error = await page.generate({ prompt: 'a magenta circle moves left' });
    expect(error).toMatchObject({ type: 'error', kind: 'prompt' });
    expect((error as EngineErrorEvent).message).toMatch(/"magenta"/);
    expect((await page.generate()).type).toBe('video');
  });

  it('cancel stops the running sampling (kind cancelled) and a queued request before it starts; the queue goes on', async () => {
    const [running, queued, after] = [page.id(), page.id(), page.id()];
    page.onEvent = (e) => {
      if (e.type === 'progress' && e.id === running && e.done === 1) {
        void page.session.submit({ type: 'cancel', id: running }, page.post);
        void page.session.submit({ type: 'cancel', id: queued }, page.post);
      }
    };
    const sent = [running, queued, after].map((id) => page.session.submit({ type: 'generate', id, prompt: PROMPT, seed: 5, steps: 20 }, page.post));
    await Promise.all(sent);
    page.onEvent = () => {};
    expect(final(page.eventsOf(running))).toMatchObject({ type: 'error', kind: 'cancelled' });
    expect(page.eventsOf(running).filter((e) => e.type === 'progress')).toHaveLength(1);
    expect(page.eventsOf(queued)).toEqual([expect.objectContaining({ type: 'error', kind: 'cancelled', message: expect.stringMatching(/before it started/) })]);
    expect(final(page.eventsOf(after)).type).toBe('video');
  });
});

describe('setPolicy', () => {
  it('merges the snapshots in order (the weights equal merging by hand); round k samples as the policy of round k did', async () => {
    const tensorsAtBase = tf.memory().numTensors;
    const base = await page.video();
    const [s1, s2] = [randomSnapshot(page, 1), randomSnapshot(page, 2)];
    expect(await page.setPolicy([s1])).toMatchObject({ type: 'policy', round: 1 });
    const round1 = await page.video();
    expect(round1).not.toEqual(base);
    expect(await page.setPolicy([s1, s2])).toMatchObject({ type: 'policy', round: 2 });

    // By hand, memory layout [in, out]: W + Σ_k (α_k / r_k)·A_kᵀ·B_kᵀ with A [r, in], B [out, r].
    const policy = page.session.policy!;
    let worst = 0;
    for (const name of Object.keys(s1.modules)) {
      worst = Math.max(worst, tf.tidy(() => {
        let w: tf.Tensor = policy.base.get(`${name}.weight`)!;
        for (const s of [s1, s2]) {
          const m = s.modules[name];
          const a = tf.tensor2d(base64ToFloat32(m.loraA), [s.rank, m.inFeatures]);
          const b = tf.tensor2d(base64ToFloat32(m.loraB), [m.outFeatures, s.rank]);
          w = tf.add(w, tf.mul(tf.matMul(a, b, true, true), s.alpha / s.rank)); // [in, r] x [r, out]
        }
        return tf.max(tf.abs(tf.sub(w, policy.params.get(`${name}.weight`)!))).dataSync()[0];
      }));
    }
    expect(worst).toBeLessThan(1e-6);

    // Compare: round 0 is the base, round 1 the policy as it was after one round, repeatably.
    expect(await page.video({ round: 0 })).toEqual(base);
    expect(await page.video({ round: 1 })).toEqual(round1);
    expect(await page.video({ round: 1 })).toEqual(round1);
    const round2 = await page.video();
    expect(round2).not.toEqual(round1);
    expect(await page.generate({ round: 3 })).toMatchObject({ type: 'error', kind: 'prompt', message: expect.stringMatching(/Round 3 is not available: the policy has 2/) });

    // A bad adapter: an error naming the module and the problem; the policy stays round 2.
    const tensors = tf.memory().numTensors;
    const name = 'transformer_blocks.1.ff.fc1';
    const wrongShape = randomSnapshot(page, 3);
    const m = wrongShape.modules[name];
    wrongShape.modules[name] = encodeModule({ inFeatures: m.inFeatures + 1, outFeatures: m.outFeatures, loraA: new Float32Array(2 * (m.inFeatures + 1)), loraB: new Float32Array(2 * m.outFeatures) });
    const shapeError = await page.setPolicy([s1, wrongShape]);
    expect(shapeError).toMatchObject({ type: 'error', kind: 'model' });
    expect((shapeError as EngineErrorEvent).message).toMatch(new RegExp(`Adapter 2 of 2 .*"${name.replace(/\./g, '\\.')}".*adapter is \\[${m.outFeatures}, ${m.inFeatures + 1}\\].*policy is unchanged \\(2 merged`));
    const corrupt = randomSnapshot(page, 4);
    corrupt.modules[name] = { ...corrupt.modules[name], loraA: '%%not base64%%' };
    const corruptError = await page.setPolicy([corrupt]);
    expect(corruptError).toMatchObject({ type: 'error', kind: 'model' });
    expect((corruptError as EngineErrorEvent).message).toMatch(new RegExp(`${name.replace(/\./g, '\\.')}\\.lora_A: not valid base64`));
    expect(tf.memory().numTensors).toBe(tensors); // nothing of the rejected policies is left behind
    expect(page.session.policy!.round).toBe(2);
    expect(await page.video()).toEqual(round2);

    // Back to the base: every merged and cached weight is released.
    expect(await page.setPolicy([])).toMatchObject({ type: 'policy', round: 0 });
    expect(tf.memory().numTensors).toBe(tensorsAtBase);
  });
});

describe('runRound', () => {
  function roundRequest(page: Page, data: ReturnType<typeof sessionData>, fields: Partial<RunRoundRequest> = {}): RunRoundRequest {
    return { type: 'runRound', id: page.id(), hyper, pairs: data.pairs, judgments: data.judgments, rounds: [], videos: data.videos, ...fields };
  }

  it('DPO: a roundStep per step, then roundDone completed with its LoRA merged (policy +1)', async () => {
    await page.setPolicy([]);
    const events = await page.send(roundRequest(page, sessionData(TRAIN_PROMPTS, 1, 11)));
    expect(events.map((e) => e.type)).toEqual(['roundStep', 'roundStep', 'roundStep', 'roundDone']);
    expect(events.slice(0, 3).map((e) => e.type === 'roundStep' && [e.metrics.step, e.total])).toEqual([[1, 3], [2, 3], [3, 3]]);
    const done = final(events) as RoundDoneEvent;
    expect(done.record.status).toBe('completed');
    expect(done.record.index).toBe(1);
    expect(done.record.examples).toBe(4);
    expect(done.record.lora).not.toBeNull();
    expect(done.policyRound).toBe(1);
    expect(page.session.policy!.snapshots).toEqual([done.record.lora]);
  });

  it('cancel mid-round: roundDone cancelled, the policy unchanged (the same video as before)', async () => {
    await page.setPolicy([]);
    const before = await page.video();
    const request = roundRequest(page, sessionData(TRAIN_PROMPTS, 1, 12), { hyper: { ...hyper, steps: 8 } });
    page.onEvent = (e) => {
      if (e.type === 'roundStep' && e.id === request.id) void page.session.submit({ type: 'cancel', id: request.id }, page.post);
    };
    const events = await page.send(request);
    page.onEvent = () => {};
    const done = final(events) as RoundDoneEvent;
    expect(done.type).toBe('roundDone');
    expect(done.record.status).toBe('cancelled');
    expect(done.record.lora).toBeNull();
    expect(done.record.metrics).toHaveLength(1);
    expect(done.policyRound).toBe(0);
    expect(await page.video()).toEqual(before);
  });

  it('nothing to train on, or bad settings: an error for the person to act on, no round', async () => {
    await page.setPolicy([]);
    const data = sessionData(TRAIN_PROMPTS, 1, 13);
    const ties = data.judgments.map((j) => ({ ...j, decision: 'tie' as const }));
    expect(final(await page.send(roundRequest(page, data, { judgments: ties })))).toMatchObject({ type: 'error', kind: 'prompt', message: expect.stringMatching(/Nothing to train on.*tie 4/) });
    expect(final(await page.send(roundRequest(page, data, { hyper: { ...hyper, beta: -1 } })))).toMatchObject({ type: 'error', kind: 'prompt', message: expect.stringMatching(/beta = -1/) });
    const shortVideo = { ...data.videos, [data.pairs[0].videoIds[0]]: new Uint8Array(7) };
    expect(final(await page.send(roundRequest(page, data, { videos: shortVideo })))).toMatchObject({ type: 'error', kind: 'prompt', message: expect.stringMatching(new RegExp(`Video "${data.pairs[0].videoIds[0]}": .*7 bytes`)) });
    expect(page.session.policy!.round).toBe(0);
  });

  it('online (simulated labeller): samples and labels new pairs, posts them with their videos, then trains', async () => {
    await page.setPolicy([]);
    const earlier = sessionData(TRAIN_PROMPTS, 1, 14);
    const request = roundRequest(page, earlier, {
      hyper: { ...hyper, method: 'online', steps: 2 }, judgments: [],
      online: { labeller: 'simulated', prompts: TRAIN_PROMPTS.slice(0, 2), pairsPerPrompt: 2, confidenceThreshold: 0.5 },
    });
    const events = await page.send(request);
    const types = events.map((e) => e.type);
    expect(types.filter((t) => t !== 'progress')).toEqual(['roundStep', 'roundStep', 'onlineData', 'roundDone']);
    expect(types[0]).toBe('progress'); // sampling comes first
    const data = events.find((e) => e.type === 'onlineData') as OnlineDataEvent;
    expect(data.pairs).toHaveLength(4);
    expect(data.pairs.every((p) => !earlier.pairs.some((q) => q.id === p.id) && p.round === 0)).toBe(true);
    expect(Object.keys(data.videos).sort()).toEqual(data.pairs.flatMap((p) => p.videoIds).sort());
    expect(Object.values(data.videos).every((v) => v.length === VIDEO_BYTES)).toBe(true);
    expect(data.judgments.length).toBeGreaterThan(0);
    expect(data.judgments.every((j) => j.annotatorKind === 'simulated' && data.pairs.some((p) => p.id === j.pairId))).toBe(true);
    const done = final(events) as RoundDoneEvent;
    expect(done.record).toMatchObject({ status: 'completed', hyper: { method: 'online' } });
    expect(done.record.judgmentIds.every((id) => data.judgments.some((j) => j.id === id))).toBe(true);
    expect(done.policyRound).toBe(1);
  });
});

describe('critic', () => {
  it('trains on the judgments and hints the requested pairs (preferred video, confidence in [0.5, 1]); agreement on a held-out fifth', async () => {
    const data = sessionData(MORE_TRAIN_PROMPTS, 2, 31); // 16 pairs
    const hintPairIds = data.pairs.slice(0, 3).map((p) => p.id);
    const events = await page.send({ type: 'critic', id: page.id(), ...data, hintPairIds });
    expect(events.filter((e) => e.type === 'progress')).toHaveLength(20);
    const hints = final(events) as CriticHintsEvent;
    expect(hints.type).toBe('criticHints');
    expect(hints.hints.map((h) => h.pairId)).toEqual(hintPairIds);
    for (const h of hints.hints) {
      expect([0, 1]).toContain(h.preferred);
      expect(h.confidence).toBeGreaterThanOrEqual(0.5);
      expect(h.confidence).toBeLessThanOrEqual(1);
    }
    expect(hints.trainedOn).toBe(13); // 16 − 3 held out
    expect(hints.agreement).toBeGreaterThanOrEqual(0);
    expect(hints.agreement).toBeLessThanOrEqual(1);

    // Too few judgments to hold any out: agreement NaN, every judgment trains.
    const few = { ...data, judgments: data.judgments.slice(0, 5) };
    const small = final(await page.send({ type: 'critic', id: page.id(), ...few, hintPairIds })) as CriticHintsEvent;
    expect(small.trainedOn).toBe(5);
    expect(small.agreement).toBeNaN();

    const unknown = final(await page.send({ type: 'critic', id: page.id(), ...data, hintPairIds: ['nope'] }));
    expect(unknown).toMatchObject({ type: 'error', kind: 'prompt', message: expect.stringMatching(/pair "nope" is not among the 16/) });
  });
});

describe('a lost GPU device', () => {
  it('becomes a backend error that says nothing stored is lost and to reload; the round is not merged; later requests get it too', async () => {
    let lose: ((detail: string) => void) | null = null;
    const gpu = new Page(newSession({ watchDevice: (onLost) => (lose = onLost) }));
    await gpu.send({ type: 'init', modelUrl: 'public/models/tiny.safetensors', modelName: 'tiny' });
    const request: RunRoundRequest = { type: 'runRound', id: gpu.id(), hyper: { ...hyper, steps: 8 }, rounds: [], ...sessionData(TRAIN_PROMPTS, 1, 15) };
    gpu.onEvent = (e) => {
      if (e.type === 'roundStep' && e.metrics.step === 1) lose!('unknown: device hung');
    };
    const events = await gpu.send(request);
    const expected = { type: 'error', kind: 'backend', message: expect.stringMatching(/GPU device was lost \(unknown: device hung\)\. Nothing stored is lost.*Reload the page.*\?backend=wasm/) };
    expect(gpu.eventsOf(undefined)).toContainEqual(expected); // at once, without waiting for a request
    expect(final(events)).toMatchObject({ ...expected, id: request.id });
    expect(events.some((e) => e.type === 'roundDone')).toBe(false);
    expect(gpu.session.policy!.round).toBe(0);
    expect(await gpu.generate()).toMatchObject(expected);
    gpu.session.dispose();
  });

  it('a GPU error during a round (an invalid pipeline drops commands) fails that round, unmerged even at its last step; the next request runs', async () => {
    let gpuError: ((message: string) => void) | null = null;
    const gpu = new Page(newSession({ watchDevice: (_onLost, onError) => (gpuError = onError) }));
    await gpu.send({ type: 'init', modelUrl: 'public/models/tiny.safetensors', modelName: 'tiny' });
    const before = await gpu.video();
    const request: RunRoundRequest = { type: 'runRound', id: gpu.id(), hyper: { ...hyper, steps: 8 }, rounds: [], ...sessionData(TRAIN_PROMPTS, 1, 16) };
    gpu.onEvent = (e) => {
      // After the last step: the round completes and merges before the error shows.
      if (e.type === 'roundStep' && e.metrics.step === 8) gpuError!('[Invalid ComputePipeline "AddNPackedProgram"] is invalid');
    };
    const events = await gpu.send(request);
    gpu.onEvent = () => {};
    expect(final(events)).toMatchObject({ type: 'error', id: request.id, kind: 'backend', message: expect.stringMatching(/A GPU command failed \(\[Invalid ComputePipeline.*the policy is unchanged and nothing stored is lost/) });
    expect(events.filter((e) => e.type === 'roundStep')).toHaveLength(8);
    expect(gpu.session.policy!.round).toBe(0);
    expect(await gpu.video()).toEqual(before);
    gpu.session.dispose();
  });
});
