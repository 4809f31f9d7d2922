// Pairs and their videos: Generate plans pairs (prefs/pairs.ts planPairs), samples both videos of
// each from the current policy in the worker, and stores pair + videos before showing them.
import type { SamplerName } from '../../diffusion/sampler-defaults';
import { samplerSettingsProblem } from '../../engine/validate-request';
import { planPairs } from '../../prefs/pairs';
import type { Pair } from '../../prefs/types';
import { hashString } from '../../world/rng';
import { EngineError } from '../engine-requests';
import { firstFrameBytes } from '../lib/first-frame';
import { newId } from '../lib/ids';
import type { SliceCreator } from './types';

export type FirstFrameChoice = { mode: 'none' } | { mode: 'rendered'; seed: number | null } | { mode: 'image'; image: Uint8Array };

export interface GenerateSpec {
  /** Canonical prompts (checked on the page: lib/prompts.ts checkPrompts). */
  prompts: string[];
  pairsPerPrompt: number;
  steps: number;
  guidance: number;
  /** The ODE solver (default Euler). */
  solver?: SamplerName;
  firstFrame: FirstFrameChoice;
}

/** Sampler steps the Generate form allows (its input's max); the engine itself takes up to 1000. */
export const FORM_MAX_SAMPLE_STEPS = 200;

/**
 * `null`, or the alert for sampler settings the page will not send: the engine's check
 * (validate-request.ts) with the form's step limit. Generate and Compare both use it.
 */
export function samplerFormProblem(s: { steps: number; guidance: number }): string | null {
  const problem = samplerSettingsProblem(s, FORM_MAX_SAMPLE_STEPS);
  return problem && `${problem}: change it on the Generate tab.`;
}

/** Transient: sampler steps done over the whole batch (2 videos × steps per pair). */
export interface JobProgress {
  requestId: number | null;
  done: number;
  total: number;
  startedAt: number;
  /**
   * Why nothing moves yet: the worker runs one request at a time, so a job asked for while a round
   * trains waits for it. Cleared by the first step done, which also restarts the clock (the time
   * left counts work, not the wait).
   */
  waiting?: string | null;
}

/** A new job's progress; it says it waits when a round holds the worker. */
export function startJob(total: number, roundRunning: boolean): JobProgress {
  return { requestId: null, done: 0, total, startedAt: performance.now(), waiting: roundRunning ? 'waiting for the round that is training to finish' : null };
}

/** Progress `done`: the first step ends the wait and starts the clock. */
export function advanceJob(p: JobProgress, done: number): JobProgress {
  return p.waiting ? { ...p, done, waiting: null, startedAt: performance.now() } : { ...p, done };
}

export interface PairsSlice {
  pairs: Pair[];
  /** RGB bytes by video id ([F, H, W, 3]; first-frame images [H, W, 3]). */
  videos: Record<string, Uint8Array>;
  generation: JobProgress | null;
  /** Plan and sample pairs; resolves with how many pairs were made (and stored). */
  generatePairs(spec: GenerateSpec): Promise<number>;
  cancelGeneration(): void;
  /** Pairs (and their videos) made elsewhere, e.g. by an online round: stored, then shown. */
  addPairs(pairs: Pair[], videos: Record<string, Uint8Array>): Promise<void>;
}

export const createPairsSlice: SliceCreator<PairsSlice> = (deps) => (set, get) => {
  // Cancel between two requests (no request running to cancel) stops before the next one.
  let stopRequested = false;
  return {
    pairs: [],
    videos: {},
    generation: null,

    async generatePairs(spec) {
      const { engineInfo, policyRound } = get();
      if (!engineInfo) {
        get().pushAlert('input', 'The model is still loading: wait until the header shows the backend, then generate.');
        return 0;
      }
      if (get().generation) return 0;
      const samplerProblem = samplerFormProblem(spec);
      if (samplerProblem) {
        get().pushAlert('input', samplerProblem);
        return 0;
      }
      const shape = engineInfo.config;
      const now = deps.now();
      const batch = newId('g', now.getTime());
      let plan: Pair[];
      try {
        plan = planPairs({
          prompts: spec.prompts, pairsPerPrompt: spec.pairsPerPrompt, round: policyRound, seed: hashString(batch),
          firstFrame: spec.firstFrame.mode === 'rendered', sampler: { steps: spec.steps, guidance: spec.guidance, solver: spec.solver }, idPrefix: batch, now: now.toISOString(),
        });
      } catch (e) {
        get().pushAlert('prompt', e instanceof Error ? e.message : String(e));
        return 0;
      }
      const extra: Record<string, Uint8Array> = {};
      const firstFrame = spec.firstFrame;
      if (firstFrame.mode === 'image') {
        const imageId = `${batch}-image`;
        extra[imageId] = firstFrame.image;
        plan = plan.map((p) => ({ ...p, firstFrame: { kind: 'image', id: imageId } }));
      } else if (firstFrame.mode === 'rendered' && firstFrame.seed !== null) {
        plan = plan.map((p) => ({ ...p, firstFrame: { kind: 'rendered', seed: firstFrame.seed! } }));
      }

      const perVideo = spec.steps;
      set({ generation: startJob(plan.length * 2 * perVideo, get().liveRound !== null) });
      stopRequested = false;
      let made = 0;
      let pendingExtra = extra;
      try {
        for (const [k, pair] of plan.entries()) {
          const frame = firstFrameBytes(pair, shape, { ...get().videos, ...extra });
          const videos: Record<string, Uint8Array> = { ...pendingExtra };
          for (const v of [0, 1] as const) {
            if (stopRequested) throw new EngineError('Generation cancelled', 'cancelled');
            const base = (2 * k + v) * perVideo;
            const answer = await deps.engine.request(
              { type: 'generate', prompt: pair.prompt, seed: pair.seeds[v], steps: spec.steps, guidance: spec.guidance, solver: spec.solver, firstFrame: frame },
              {
                started: (id) => set({ generation: { ...get().generation!, requestId: id } }),
                onEvent: (e) => {
                  if (e.type === 'progress') set({ generation: advanceJob(get().generation!, base + Math.round((e.done / e.total) * perVideo)) });
                },
              },
            );
            videos[pair.videoIds[v]] = answer.data;
            set({ lastVideoMs: answer.milliseconds });
          }
          await get().addPairs([pair], videos);
          pendingExtra = {};
          made++;
        }
      } catch (e) {
        if (!(e instanceof EngineError && e.kind === 'cancelled')) get().report(e);
      } finally {
        set({ generation: null });
      }
      return made;
    },

    cancelGeneration() {
      stopRequested = true;
      const id = get().generation?.requestId;
      if (id != null) deps.engine.cancel(id);
    },

    async addPairs(pairs, videos) {
      try {
        await deps.storage.putPairs(pairs, videos);
      } catch (e) {
        // Kept on the page either way: the alert offers a backup (docs/architecture.md §6: lose nothing).
        get().report(e);
      }
      set((s) => ({ pairs: [...s.pairs, ...pairs], videos: { ...s.videos, ...videos } }));
    },
  };
};
