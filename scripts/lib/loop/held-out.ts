// What bench:loop measures every round against: held-out prompts with fixed seeds, the base
// model's videos of them, the taste's spread over those videos (the unit of label noise, tie
// margin and taste shift), the noiseless judge, and labelled held-out pairs for the implicit
// accuracy. `evaluate` scores a policy on all of it.
import type { SamplerSettings } from '../../../src/prefs/types';
import { sampleVideos } from '../../../src/diffusion/sampler';
import { dpoSlots, type PreferenceSlot } from '../../../src/engine/preference-batch';
import { evaluatePreferences } from '../../../src/engine/train-round';
import type { ModelConfig } from '../../../src/model/config';
import type { Params } from '../../../src/model/params';
import { dpoPreferences } from '../../../src/prefs/judgments';
import { metricDeltas, regressions, tasteShift, type MetricDelta, type PairedDelta } from '../../../src/prefs/paired-stats';
import { planPairs } from '../../../src/prefs/pairs';
import { meanInterval } from '../../../src/prefs/win-rate';
import { createSimulatedAnnotator, type AnnotatorOptions } from '../../../src/world/annotator';
import { heldOutSet } from '../../../src/world/held-out';
import { aggregateMetrics, videoMetrics, type AggregateMetrics, type VideoMetrics } from '../../../src/world/metrics';
import { formatPrompt, HELD_OUT_SEED_BASE, type PromptSpec } from '../../../src/world/prompt';
import { render } from '../../../src/world/render';
import { tasteSpread, type Taste, type TasteSpread } from '../../../src/world/tastes';
import { pickShape, type Video } from '../../../src/world/video';
import { scoreOrThrow } from '../taste-module';
import { simulatedJudgments, type Person } from './people';
import type { BaseSampleCache } from './sample-cache';

interface EvalItem { spec: PromptSpec; prompt: string; seed: number }

export interface HeldOutOptions {
  config: ModelConfig;
  baseParams: Params;
  sampler: SamplerSettings;
  taste: Taste;
  /** The simulated person's settings in taste-std units (noise, ties, both-bad) and seed. */
  person: Omit<AnnotatorOptions, 'taste' | 'spread'>;
  evalCount: number;
  heldOutPairs: number;
  /** HuViDPO mode: every pair and held-out item starts from a rendered first frame. */
  firstFrame: boolean;
  cache: BaseSampleCache;
}

/** How one round's policy compares with the base on the held-out set. */
export interface HeldOutScores {
  win_rate: number;
  ci: [number, number];
  implicit_accuracy: number;
  /** Round − base taste score on the held-out items, in base-std units (the effect size). */
  taste_shift: PairedDelta;
  /** Mean taste score of the round's held-out videos (raw units). */
  taste_score: number;
  metrics: AggregateMetrics;
  /** Paired difference round − base per metric, with its standard error. */
  metric_deltas: Record<string, MetricDelta>;
  /** The guarded world metrics worse than base beyond noise (2 s.e., paired). */
  regressions: string[];
}

export class HeldOut {
  readonly items: EvalItem[];
  baseMetrics!: AggregateMetrics;
  spread!: TasteSpread;
  /** The taste's std among samples of one prompt, as a share of `spread.std`: what pairs can label. */
  withinPromptStd = NaN;
  /** Rendered ground truth vs base by the judge. */
  groundTruth!: { mean: number; ci: [number, number] };
  private baseMetricList: VideoMetrics[] = [];
  private baseScores: number[] = [];
  private slots: PreferenceSlot[] = [];
  private judge!: ReturnType<typeof createSimulatedAnnotator>;

  private constructor(private readonly o: HeldOutOptions) {
    this.items = heldOutSet(o.evalCount).map(({ spec, seed }) => ({ spec, prompt: formatPrompt(spec), seed }));
  }

  /** Samples (or reads from the cache) the base model's held-out videos and labelled pairs. */
  static async prepare(o: HeldOutOptions): Promise<HeldOut> {
    const h = new HeldOut(o);
    await h.prepareBase();
    await h.prepareLabelledPairs();
    return h;
  }

  get labelledPairs(): number {
    return this.slots.length;
  }

  /** A simulated person with the run's settings, in units of the taste's spread over the base. */
  person(): Person {
    return { taste: this.o.taste, annotator: createSimulatedAnnotator({ ...this.o.person, taste: this.o.taste, spread: this.spread }) };
  }

  /** Policy `params` (round k) against the base: win rate, taste shift, metrics, regressions, implicit accuracy. */
  async evaluate(params: Params, reference: Params, beta: number): Promise<HeldOutScores> {
    const videos = await this.sample(params);
    const metricList = videos.map((v, i) => videoMetrics(v, this.items[i].spec));
    const scores = this.tasteScores(videos);
    const win = meanInterval(this.winScores(scores));
    const deltas = metricDeltas(metricList, this.baseMetricList);
    const implicit = evaluatePreferences(this.o.config, { params }, { params: reference }, this.slots, beta, 'bench-heldout');
    return {
      win_rate: win.mean, ci: win.ci, implicit_accuracy: implicit.implicitAccuracy,
      taste_shift: tasteShift(scores, this.baseScores, this.spread.std), taste_score: scores.reduce((a, b) => a + b, 0) / scores.length,
      metrics: aggregateMetrics(metricList), metric_deltas: deltas, regressions: regressions(deltas),
    };
  }

  private async prepareBase(): Promise<void> {
    const { config, baseParams, sampler, firstFrame, cache, taste, person } = this.o;
    const request = { what: 'eval', items: this.items.map((e) => [e.prompt, e.seed]), sampler, ...(firstFrame ? { firstFrame: true } : {}) };
    const data = await cache.videos(request, async () => (await this.sample(baseParams)).map((v) => v.data));
    const videos: Video[] = data.map((d) => ({ ...pickShape(config), data: d }));
    this.baseMetricList = videos.map((v, i) => videoMetrics(v, this.items[i].spec));
    this.baseMetrics = aggregateMetrics(this.baseMetricList);
    this.baseScores = this.tasteScores(videos);
    this.spread = tasteSpread(this.baseScores);
    // The judge of round k vs base: noiseless, a tie (½) when the two differ by less than the tie margin.
    this.judge = createSimulatedAnnotator({ taste, spread: this.spread, noise: 0, tieRate: 1, tieMargin: person.tieMargin, seed: 0 });
    // Where the world's own videos stand on this taste (for `quality`, the most a round can reach).
    this.groundTruth = meanInterval(this.winScores(this.tasteScores(this.items.map((e) => render(e.spec, e.seed, config)))));
  }

  /** Held-out labelled pairs (base samples, other prompts' seeds) for the implicit accuracy. */
  private async prepareLabelledPairs(): Promise<void> {
    const { config, baseParams, sampler, firstFrame, cache, taste } = this.o;
    const store = new Map<string, Float32Array>();
    const pairs = planPairs({ prompts: heldOutSet(this.o.heldOutPairs, 1000).map((h) => formatPrompt(h.spec)), pairsPerPrompt: 1, round: 0, seed: 99, sampler, idPrefix: 'heldout', firstFrame })
      .map((p, i) => ({ ...p, seeds: [HELD_OUT_SEED_BASE + 500_000 + 2 * i, HELD_OUT_SEED_BASE + 500_001 + 2 * i] as [number, number] }));
    await cache.pairVideos(config, baseParams, pairs, store);
    this.slots = dpoSlots(dpoPreferences(pairs, simulatedJudgments(pairs, store, this.person(), pickShape(config), 0, 'heldout')), store, config);
    // Pairs share a prompt, so only the taste's spread among samples of one prompt reaches the
    // labels: E[(a − b)²] = 2·σ²_within.
    const diffs = pairs.map((p) => {
      const [a, b] = [0, 1].map((v) => scoreOrThrow(taste, { ...pickShape(config), data: store.get(p.videoIds[v])! }, p.prompt, p.seeds[v]));
      return (a - b) ** 2;
    });
    this.withinPromptStd = Math.sqrt(diffs.reduce((a, d) => a + d, 0) / (2 * Math.max(1, diffs.length))) / this.spread.std;
  }

  private tasteScores(videos: readonly Video[]): number[] {
    return videos.map((v, i) => scoreOrThrow(this.o.taste, v, this.items[i].prompt, this.items[i].seed));
  }

  /** Per held-out item: 1 if the video scored `scores[i]` beats the base video, ½ a tie, 0 a loss. */
  private winScores(scores: readonly number[]): number[] {
    return scores.map((s, i) => ({ left: 1, right: 0, tie: 0.5, 'both-bad': 0.5 })[this.judge.judgeScores(s, this.baseScores[i])]);
  }

  /** The held-out items sampled by `params` (from a rendered first frame in first-frame mode). */
  private async sample(params: Params): Promise<Video[]> {
    const { config, sampler, firstFrame } = this.o;
    const shape = pickShape(config);
    const per = config.frames * config.height * config.width * 3;
    const frameSize = config.height * config.width * 3;
    const out: Video[] = [];
    for (let i = 0; i < this.items.length; i += 8) {
      const chunk = this.items.slice(i, i + 8);
      const firstFrames = firstFrame ? chunk.map((c) => render(c.spec, c.seed, shape).data.slice(0, frameSize)) : undefined;
      const data = await sampleVideos(params, config, { prompts: chunk.map((c) => c.prompt), seeds: chunk.map((c) => c.seed), steps: sampler.steps, guidance: sampler.guidance, sampler: sampler.solver, firstFrames });
      chunk.forEach((_, k) => out.push({ ...shape, data: data.slice(k * per, (k + 1) * per) }));
    }
    return out;
  }
}
