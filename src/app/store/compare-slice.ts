// Compare: the base model and the policy after round k on the held-out prompts (world/held-out.ts,
// the same set `npm run eval` scores) with the same seeds; world metrics per round
// (world/metrics.ts); and a blind A/B test that measures a person's win rate of round k vs base.
import { aggregateMetrics, videoMetrics, type AggregateMetrics, type VideoMetrics } from '../../world/metrics';
import { heldOutSet } from '../../world/held-out';
import { formatPrompt, type PromptSpec } from '../../world/prompt';
import { videoFromUint8 } from '../../world/video';
import { meanInterval } from '../../prefs/win-rate';
import { EngineError } from '../engine-requests';
import { solverOf, type SamplerName } from '../../diffusion/sampler-defaults';
import { advanceJob, samplerFormProblem, startJob, type JobProgress } from './pairs-slice';
import type { SliceCreator } from './types';

export interface CompareItem {
  prompt: string;
  spec: PromptSpec;
  seed: number;
}

export interface CompareResult {
  round: number;
  /** One video per item, in item order (RGB bytes). */
  videos: Uint8Array[];
  metrics: VideoMetrics[];
  aggregate: AggregateMetrics;
}

export type BlindChoice = 'left' | 'right' | 'tie';

export interface BlindTest {
  round: number;
  /** Items in a shuffled order, each with the side round k's video is on (hidden from the person). */
  order: { item: number; roundOnLeft: boolean }[];
  /** Per answered item: 1 when round k won, 0 when the base did, ½ for a tie. */
  scores: number[];
}

/** The sampler settings Compare's videos were made with. */
export interface CompareSetup {
  count: number;
  steps: number;
  guidance: number;
  /** Absent in setups stored before the solver was a choice: Euler. */
  solver?: SamplerName;
}

export function sameSetup(a: CompareSetup, b: CompareSetup): boolean {
  return a.count === b.count && a.steps === b.steps && a.guidance === b.guidance && solverOf(a) === solverOf(b);
}

export interface CompareSlice {
  /** The settings the results were sampled with; new settings start over. Results and a blind test in progress are stored (IndexedDB) and survive a reload. */
  compareSetup: CompareSetup | null;
  compareResults: Record<number, CompareResult>;
  compareProgress: JobProgress | null;
  blind: BlindTest | null;
  evaluateRounds(rounds: number[], setup: CompareSetup): Promise<void>;
  cancelCompare(): void;
  startBlind(round: number): void;
  judgeBlind(choice: BlindChoice): void;
  endBlind(): void;
}

export function compareItems(count: number): CompareItem[] {
  return heldOutSet(count).map(({ spec, seed }) => ({ prompt: formatPrompt(spec), spec, seed }));
}

/** Round k's win rate against the base with its 95 % interval (prefs/win-rate.ts). */
export function blindWinRate(test: BlindTest): { n: number; mean: number; ci: [number, number] } {
  return { n: test.scores.length, ...meanInterval(test.scores) };
}

export const createCompareSlice: SliceCreator<CompareSlice> = (deps) => (set, get) => {
  let stopRequested = false;
  const storeBlind = (blind: BlindTest | null) => {
    set({ blind });
    deps.storage.putBlind(blind).catch((e) => get().report(e));
  };
  return {
    compareSetup: null,
    compareResults: {},
    compareProgress: null,
    blind: null,

    async evaluateRounds(rounds, setup) {
      const info = get().engineInfo;
      if (!info || get().compareProgress) return;
      // Compare samples with the Generate form's settings: checked as Generate checks them.
      const samplerProblem = samplerFormProblem(setup);
      if (samplerProblem) {
        get().pushAlert('input', `Compare: ${samplerProblem}`);
        return;
      }
      const previous = get().compareSetup;
      if (!previous || !sameSetup(previous, setup)) {
        const old = Object.keys(get().compareResults).map(Number);
        set({ compareSetup: setup, compareResults: {}, blind: null });
        await deps.storage.deleteCompare(old).catch((e) => get().report(e));
      }
      const items = compareItems(setup.count);
      const todo = rounds.filter((r) => !get().compareResults[r]);
      if (todo.length === 0) return;
      stopRequested = false;
      set({ compareProgress: startJob(todo.length * items.length * setup.steps, get().liveRound !== null) });
      try {
        for (const [r, round] of todo.entries()) {
          const videos: Uint8Array[] = [];
          for (const [i, item] of items.entries()) {
            if (stopRequested) throw new EngineError('Compare cancelled', 'cancelled');
            const base = (r * items.length + i) * setup.steps;
            const answer = await deps.engine.request(
              { type: 'generate', prompt: item.prompt, seed: item.seed, steps: setup.steps, guidance: setup.guidance, solver: setup.solver, round },
              {
                started: (id) => set({ compareProgress: { ...get().compareProgress!, requestId: id } }),
                onEvent: (e) => {
                  if (e.type === 'progress') set({ compareProgress: advanceJob(get().compareProgress!, base + Math.round((e.done / e.total) * setup.steps)) });
                },
              },
            );
            videos.push(answer.data);
          }
          const metrics = videos.map((bytes, i) => videoMetrics(videoFromUint8(bytes, info.config), items[i].spec));
          const result: CompareResult = { round, videos, metrics, aggregate: aggregateMetrics(metrics) };
          set((s) => ({ compareResults: { ...s.compareResults, [round]: result } }));
          await deps.storage.putCompareResult(setup, result).catch((e) => get().report(e));
        }
      } catch (e) {
        get().report(e, 'Compare');
      } finally {
        set({ compareProgress: null });
      }
    },

    cancelCompare() {
      stopRequested = true;
      const id = get().compareProgress?.requestId;
      if (id != null) deps.engine.cancel(id);
    },

    startBlind(round) {
      const { compareResults } = get();
      const base = compareResults[0];
      const other = compareResults[round];
      if (!base || !other) {
        get().pushAlert('input', `The blind test shows videos already sampled: press Evaluate for the base and Round ${round} first.`);
        return;
      }
      const order = base.videos.map((_, item) => ({ item, roundOnLeft: Math.random() < 0.5, key: Math.random() }));
      order.sort((a, b) => a.key - b.key);
      storeBlind({ round, order: order.map(({ item, roundOnLeft }) => ({ item, roundOnLeft })), scores: [] });
    },

    judgeBlind(choice) {
      const blind = get().blind;
      if (!blind || blind.scores.length >= blind.order.length) return;
      const { roundOnLeft } = blind.order[blind.scores.length];
      const score = choice === 'tie' ? 0.5 : (choice === 'left') === roundOnLeft ? 1 : 0;
      storeBlind({ ...blind, scores: [...blind.scores, score] });
    },

    endBlind() {
      storeBlind(null);
    },
  };
};
