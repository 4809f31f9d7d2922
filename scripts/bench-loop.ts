/**
 * Closed-loop benchmark of the preference engine, tfjs-wasm in Node:
 *   npm run bench:loop -- --rounds 3 --pairs 128 [--taste lively|big|centred|smooth|quality|PATH]
 *                         [--variants dpo,kto,online] [--model small]
 *                         [--label-noise 0.3 --tie-rate 0.2 --tie-margin 0.1 --both-bad -2] (taste-std units)
 *                         [--json FILE] [--eval 64] [--held-out-pairs 32] [--sample-steps 24]
 *                         [--steps N --beta B --lr LR --rank R --batch P --sft-weight W --reference previous|base --t-mean M]
 *                         [--targets default,ff.fc1,ff.fc2]  (LoRA targets; `default` is the default list)
 *                         [--cache DIR] [--first-frame] (HuViDPO: every pair and held-out item starts from a rendered first frame)
 * Per variant, from the same base model, `--rounds` times: sample `--pairs` on-policy pairs for
 * training prompts → label them (dpo, kto: a simulated person with the taste standing in for
 * people; online: the critic on the fly, unsure pairs to the simulated person) → train a round →
 * merge. After each round: the taste's win rate of round k vs base on held-out prompts with the
 * same seeds (noiseless judge, a tie within the tie margin counts ½, 95 % interval), the taste
 * shift (round − base in base-std units), the world metrics of both and which of them regressed
 * beyond noise, the implicit accuracy on held-out labelled pairs, and what the round cost.
 * The taste's std over the base model's held-out videos is the unit of label noise, tie margin
 * and taste shift, so one setting means the same for every taste.
 * `--model tiny` runs the whole loop in a minute as a smoke test (an untrained tiny model is
 * used when public/models/tiny.safetensors is missing).
 * `--cache DIR` keeps what the base model samples (held-out videos, labelled held-out pairs, the
 * first round's pairs, the online critic's warm-up pairs): the same in every run with the same
 * checkpoint and sampler, so a sweep over round settings pays for them once.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { DEFAULT_GUIDANCE, DEFAULT_SAMPLE_STEPS, sampleVideos } from '../src/diffusion/sampler';
import { Policy } from '../src/engine/policy';
import { runOnlineRound } from '../src/engine/online-round';
import { dpoSlots, type PreferenceSlot } from '../src/engine/preference-batch';
import { runRound } from '../src/engine/round-runner';
import { samplePairVideos } from '../src/engine/sample-pairs';
import { evaluatePreferences } from '../src/engine/train-round';
import { checkpointFromBytes } from '../src/model/checkpoint';
import type { ModelConfig } from '../src/model/config';
import { initParams, type Params } from '../src/model/params';
import { presetConfig } from '../src/model/presets';
import { Critic, criticConfig } from '../src/engine/critic';
import { criticExamples } from '../src/prefs/critic-examples';
import { dpoPreferences, preferredVideo } from '../src/prefs/judgments';
import { criticLabeller } from '../src/prefs/online';
import { pairwiseJudgment, planPairs, randomLeft } from '../src/prefs/pairs';
import { DEFAULT_ONLINE_CONFIDENCE, roundHyper } from '../src/prefs/rounds';
import { meanInterval } from '../src/prefs/win-rate';
import { metricDeltas, regressions, tasteShift, type MetricDelta, type PairedDelta } from '../src/prefs/paired-stats';
import type { Judgment, Pair, PairwiseJudgment, RoundHyperParameters, RoundMethod, RoundRecord } from '../src/prefs/types';
import { createSimulatedAnnotator, SIMULATED_PERSON, type SimulatedAnnotator } from '../src/world/annotator';
import { aggregateMetrics, videoMetrics, type AggregateMetrics } from '../src/world/metrics';
import { tasteSpread, type Taste } from '../src/world/tastes';
import { formatPrompt, HELD_OUT_SEED_BASE, sampleTrainingSpec, type PromptSpec } from '../src/world/prompt';
import { render } from '../src/world/render';
import { hashString, makeRng } from '../src/world/rng';
import type { Video } from '../src/world/video';
import { parseArgs } from './lib/args';
import { heldOutSet } from './lib/held-out';
import { useWasmBackend } from '../src/engine/tf-node';
import { loadTaste, scoreOrThrow } from './lib/taste-module';

const args = parseArgs(process.argv.slice(2), {
  model: 'small', checkpoint: '', rounds: '3', pairs: '128', taste: 'lively', variants: 'dpo,kto,online', json: '', eval: '64',
  'held-out-pairs': '32', 'sample-steps': String(DEFAULT_SAMPLE_STEPS), guidance: String(DEFAULT_GUIDANCE), seed: '1',
  steps: '', beta: '', lr: '', rank: '', batch: '', targets: '', 'sft-weight': '', reference: '', 't-mean': '',
  'label-noise': String(SIMULATED_PERSON.noise), 'tie-rate': String(SIMULATED_PERSON.tieRate), 'tie-margin': String(SIMULATED_PERSON.tieMargin), 'both-bad': String(SIMULATED_PERSON.bothBadThreshold), confidence: String(DEFAULT_ONLINE_CONFIDENCE), 'critic-steps': '300', cache: '',
}, ['first-frame']);

const VARIANTS: RoundMethod[] = ['dpo', 'kto', 'online'];

interface EvalItem { spec: PromptSpec; prompt: string; seed: number }

interface RoundResult {
  round: number;
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
  seconds: number;
  cost: { pairs: number; examples: number; human_labels: number; critic_labels: number; queued: number; steps: number; sample_s: number; label_s: number; train_s: number; eval_s: number; ms_per_step: number };
  train: { loss: number; implicit_accuracy: number; reward_margin: number };
  /** Online rounds: the share of the critic's left/right labels that the noiseless taste agrees with. */
  critic_label_accuracy?: number;
}

const num = (key: string, fallback?: number) => (args[key] === '' ? fallback : Number(args[key]));

/** Identity of the base weights for the sample cache (empty: an untrained model, never cached). */
let baseDigest = '';

function loadBase(): { config: ModelConfig; params: Params; source: string } {
  const file = args.checkpoint || `public/models/${args.model}.safetensors`;
  if (fs.existsSync(file)) {
    const bytes = new Uint8Array(fs.readFileSync(file));
    baseDigest = createHash('sha256').update(bytes).digest('hex');
    const { config, params, metadata } = checkpointFromBytes(bytes, file);
    return { config, params, source: `${file} (step ${metadata.step ?? '?'})` };
  }
  if (args.model !== 'tiny') throw new Error(`${file} does not exist. Pretrain it first (npm run pretrain -- --config ${args.model}) or pass --checkpoint.`);
  console.warn(`${file} is missing: using an untrained tiny model (a smoke test of the loop, not a measurement).`);
  const config = presetConfig('tiny');
  return { config, params: initParams(config, 1, false), source: 'untrained tiny (random init)' };
}

function hyperFromArgs(method: RoundMethod): RoundHyperParameters {
  const d = roundHyper({ method });
  return roundHyper({
    method, seed: Number(args.seed),
    steps: num('steps', d.steps), beta: num('beta', d.beta), lr: num('lr', d.lr), batchSize: num('batch', d.batchSize),
    sftWeight: num('sft-weight', d.sftWeight), tMean: num('t-mean', d.tMean), reference: (args.reference || d.reference) as RoundHyperParameters['reference'],
    lora: {
      rank: num('rank', d.lora.rank), alpha: num('rank', d.lora.alpha),
      targetModules: args.targets ? args.targets.split(',').flatMap((t) => (t.trim() === 'default' ? d.lora.targetModules : [t.trim()])) : d.lora.targetModules,
    },
  });
}

/**
 * Videos of the base model, from `--cache` when a run with the same weights, sampler and request
 * made them before. `request` must name everything the videos depend on besides the weights.
 */
async function baseSamples(request: unknown, make: () => Promise<Float32Array[]>): Promise<Float32Array[]> {
  if (!args.cache || !baseDigest) return make();
  const key = createHash('sha256').update(baseDigest).update(JSON.stringify(request)).digest('hex').slice(0, 32);
  const file = path.join(args.cache, `${key}.bin`);
  if (fs.existsSync(file)) {
    const raw = fs.readFileSync(file);
    const count = raw.readUInt32LE(0);
    const all = new Float32Array(raw.buffer.slice(raw.byteOffset + 4, raw.byteOffset + raw.byteLength));
    const per = all.length / count;
    return Array.from({ length: count }, (_, i) => all.slice(i * per, (i + 1) * per));
  }
  const videos = await make();
  fs.mkdirSync(args.cache, { recursive: true });
  const header = Buffer.alloc(4);
  header.writeUInt32LE(videos.length);
  const body = new Float32Array(videos.reduce((n, v) => n + v.length, 0));
  let at = 0;
  for (const v of videos) { body.set(v, at); at += v.length; }
  fs.writeFileSync(file, Buffer.concat([header, Buffer.from(body.buffer)]));
  return videos;
}

/** samplePairVideos for the base model, through the cache; fills `store` either way. */
async function basePairVideos(config: ModelConfig, params: Params, pairs: Pair[], store: Map<string, Float32Array>): Promise<void> {
  const request = { what: 'pairs', pairs: pairs.map((p) => [p.prompt, p.seeds, p.sampler.steps, p.sampler.guidance, p.firstFrame]) };
  const videos = await baseSamples(request, async () => {
    const own = new Map<string, Float32Array>();
    await samplePairVideos(config, params, pairs, own);
    return pairs.flatMap((p) => p.videoIds.map((id) => own.get(id)!));
  });
  pairs.forEach((p, i) => p.videoIds.forEach((id, v) => store.set(id, videos[2 * i + v])));
}

/** First-frame mode: each held-out item starts from frame 0 of its rendered ground truth. */
const firstFrameMode = args['first-frame'] === 'true';

async function sampleSet(config: ModelConfig, params: Params, items: EvalItem[], steps: number, guidance: number): Promise<Video[]> {
  const shape = { frames: config.frames, height: config.height, width: config.width };
  const per = config.frames * config.height * config.width * 3;
  const frameSize = config.height * config.width * 3;
  const out: Video[] = [];
  for (let i = 0; i < items.length; i += 8) {
    const chunk = items.slice(i, i + 8);
    const firstFrames = firstFrameMode ? chunk.map((c) => render(c.spec, c.seed, shape).data.slice(0, frameSize)) : undefined;
    const data = await sampleVideos(params, config, { prompts: chunk.map((c) => c.prompt), seeds: chunk.map((c) => c.seed), steps, guidance, firstFrames });
    chunk.forEach((_, k) => out.push({ ...shape, data: data.slice(k * per, (k + 1) * per) }));
  }
  return out;
}

/**
 * Simulated people: each pair shown with a random side on the left, judged left / right / tie /
 * both-bad by the annotator, recorded as a person's judgment would be.
 */
function simulatedJudgments(pairs: Pair[], store: Map<string, Float32Array>, person: Person, config: ModelConfig, round: number, seed: string): Judgment[] {
  const shape = { frames: config.frames, height: config.height, width: config.width };
  const rng = makeRng(hashString(`sides:${seed}`));
  return pairs.map((pair, i) => {
    const leftWas = randomLeft(rng);
    const [left, right] = [leftWas, 1 - leftWas].map((v) => scoreOrThrow(person.taste, { ...shape, data: store.get(pair.videoIds[v])! }, pair.prompt, pair.seeds[v]));
    const decision = person.annotator.judgeScores(left, right);
    return pairwiseJudgment({ id: `sim-${seed}-${i}`, pair, decision, leftWas, annotator: 'simulated-person', annotatorKind: 'simulated', round });
  });
}

/** The share of strict (left/right) judgments that side with the video the taste scores higher. */
function labelAccuracy(judgments: readonly PairwiseJudgment[], pairs: readonly Pair[], store: Map<string, Float32Array>, taste: Taste, config: ModelConfig): number {
  const shape = { frames: config.frames, height: config.height, width: config.width };
  const pairById = new Map(pairs.map((p) => [p.id, p]));
  let agree = 0, count = 0;
  for (const j of judgments) {
    const preferred = preferredVideo(j);
    if (preferred === null) continue;
    const pair = pairById.get(j.pairId)!;
    const [a, b] = [0, 1].map((v) => scoreOrThrow(taste, { ...shape, data: store.get(pair.videoIds[v])! }, pair.prompt, pair.seeds[v]));
    if (a === b) continue;
    count++;
    agree += (a > b ? 0 : 1) === preferred ? 1 : 0;
  }
  return count ? agree / count : NaN;
}

/** A simulated person: a taste and an annotator judging by it. */
interface Person { taste: Taste; annotator: SimulatedAnnotator }

function trainingPrompts(count: number, seed: string): string[] {
  const rng = makeRng(hashString(seed));
  return Array.from({ length: count }, () => formatPrompt(sampleTrainingSpec(rng)));
}

async function main() {
  await useWasmBackend();
  const { config, params: baseParams, source } = loadBase();
  const rounds = Number(args.rounds);
  const pairCount = Number(args.pairs);
  const sampler = { steps: Number(args['sample-steps']), guidance: Number(args.guidance) };
  const variants = args.variants.split(',').map((v) => v.trim()) as RoundMethod[];
  for (const v of variants) if (!VARIANTS.includes(v)) throw new Error(`Unknown variant "${v}". Variants: ${VARIANTS.join(', ')}.`);
  const taste = await loadTaste(args.taste);
  const tieMargin = Number(args['tie-margin']);
  console.log(`bench:loop — ${source}, ${config.name}: ${rounds} rounds × ${pairCount} pairs, taste ${taste.name}, variants ${variants.join(', ')}, sampler ${sampler.steps} steps CFG ${sampler.guidance}`);

  // 1. Held-out prompts with fixed seeds: base videos once; all variants compare against them.
  const t0 = performance.now();
  const evalItems: EvalItem[] = heldOutSet(Number(args.eval)).map(({ spec, seed }) => ({ spec, prompt: formatPrompt(spec), seed }));
  const baseData = await baseSamples({ what: 'eval', items: evalItems.map((e) => [e.prompt, e.seed]), sampler, ...(firstFrameMode ? { firstFrame: true } : {}) }, async () =>
    (await sampleSet(config, baseParams, evalItems, sampler.steps, sampler.guidance)).map((v) => v.data));
  const baseVideos: Video[] = baseData.map((data) => ({ frames: config.frames, height: config.height, width: config.width, data }));
  const baseMetricList = baseVideos.map((v, i) => videoMetrics(v, evalItems[i].spec));
  const baseMetrics = aggregateMetrics(baseMetricList);
  const tasteScores = (videos: readonly Video[]) => videos.map((v, i) => scoreOrThrow(taste, v, evalItems[i].prompt, evalItems[i].seed));
  const baseScores = tasteScores(baseVideos);
  // The taste's spread over the base model's held-out videos: the unit of noise, ties and shifts.
  const spread = tasteSpread(baseScores);
  const labelPerson = (): Person => ({
    taste,
    annotator: createSimulatedAnnotator({ taste, spread, noise: Number(args['label-noise']), tieRate: Number(args['tie-rate']), tieMargin, bothBadThreshold: Number(args['both-bad']), seed: Number(args.seed) }),
  });
  // The judge of round k vs base: noiseless, a tie (½) when the two differ by less than the tie margin.
  const judge = createSimulatedAnnotator({ taste, spread, noise: 0, tieRate: 1, tieMargin, seed: 0 });
  /** Per held-out item: 1 if the video scored `scores[i]` beats the base video, ½ a tie, 0 a loss. */
  const winScores = (scores: readonly number[]) => scores.map((s, i) => ({ left: 1, right: 0, tie: 0.5, 'both-bad': 0.5 })[judge.judgeScores(s, baseScores[i])]);
  // The rendered ground truth of each held-out item against the base by the same judge: where
  // the world's own videos stand on this taste (for `quality`, the most a round can reach).
  const groundTruth = meanInterval(winScores(tasteScores(evalItems.map((e) => render(e.spec, e.seed, config)))));
  // 2. Held-out labelled pairs (base samples, other seeds) for the implicit accuracy.
  const heldStore = new Map<string, Float32Array>();
  const heldPairs = planPairs({ prompts: heldOutSet(Number(args['held-out-pairs']), 1000).map((h) => formatPrompt(h.spec)), pairsPerPrompt: 1, round: 0, seed: 99, sampler, idPrefix: 'heldout', firstFrame: firstFrameMode })
    .map((p, i) => ({ ...p, seeds: [HELD_OUT_SEED_BASE + 500_000 + 2 * i, HELD_OUT_SEED_BASE + 500_001 + 2 * i] as [number, number] }));
  await basePairVideos(config, baseParams, heldPairs, heldStore);
  const heldSlots: PreferenceSlot[] = dpoSlots(dpoPreferences(heldPairs, simulatedJudgments(heldPairs, heldStore, labelPerson(), config, 0, 'heldout')), heldStore, config);
  console.log(`base: ${evalItems.length} held-out videos, ${heldSlots.length} labelled held-out pairs (${((performance.now() - t0) / 1000).toFixed(0)} s)`);
  // What a round can move: pairs share a prompt, so only the taste's spread among samples of one
  // prompt reaches the labels. From the held-out pairs: E[(a − b)²] = 2·σ²_within.
  const pairScores = heldPairs.map((p) => [0, 1].map((v) => scoreOrThrow(taste, { frames: config.frames, height: config.height, width: config.width, data: heldStore.get(p.videoIds[v])! }, p.prompt, p.seeds[v])));
  const withinStd = Math.sqrt(pairScores.reduce((a, [x, y]) => a + (x - y) ** 2, 0) / (2 * Math.max(1, pairScores.length)));
  console.log(`taste ${taste.name} on the base's held-out videos: mean ${spread.mean.toPrecision(4)}, std ${spread.std.toPrecision(4)} (the unit of noise ${args['label-noise']}, tie margin ${tieMargin}, shifts); among samples of one prompt: std ${withinStd.toPrecision(3)} = ${(withinStd / spread.std).toFixed(2)} of it`);
  console.log(`rendered ground truth vs base by this taste: ${(100 * groundTruth.mean).toFixed(1)} % [${(100 * groundTruth.ci[0]).toFixed(1)}, ${(100 * groundTruth.ci[1]).toFixed(1)}]`);

  const report: { settings: Record<string, unknown>; variants: Record<string, { base_metrics: AggregateMetrics; rounds: RoundResult[]; hyper: RoundHyperParameters }> } = {
    settings: {
      model: config.name, source, rounds, pairs: pairCount, eval: evalItems.length, held_out_pairs: heldSlots.length,
      taste: taste.name, taste_spread: spread, taste_within_prompt_std: withinStd / spread.std, first_frame: firstFrameMode, ground_truth: { win_rate: groundTruth.mean, ci: groundTruth.ci }, sampler,
      label_noise: Number(args['label-noise']), tie_rate: Number(args['tie-rate']), tie_margin: tieMargin, both_bad: Number(args['both-bad']), confidence: Number(args.confidence),
    },
    variants: {},
  };

  for (const variant of variants) {
    const hyper = hyperFromArgs(variant);
    const policy = new Policy(config, baseParams);
    const records: RoundRecord[] = [];
    const pairs: Pair[] = [];
    const judgments: Judgment[] = [];
    const store = new Map<string, Float32Array>();
    const person = labelPerson();
    const results: RoundResult[] = [];
    let critic: Critic | null = null;
    let humanLabels = 0;
    // Online: the critic starts from `--pairs` people-labelled base pairs (OnlineVPO's reward model is trained first).
    if (variant === 'online') {
      const warm = planPairs({ prompts: trainingPrompts(pairCount, `critic:${args.seed}`), pairsPerPrompt: 1, round: 0, seed: 7, sampler, idPrefix: 'critic-warmup', firstFrame: firstFrameMode });
      await basePairVideos(config, baseParams, warm, store);
      const warmJudgments = simulatedJudgments(warm, store, person, config, 0, 'critic-warmup');
      humanLabels += warm.length;
      critic = new Critic(criticConfig(config, config.vocab.slice(2)), Number(args.seed));
      await critic.train(criticExamples(warm, warmJudgments, store), { steps: Number(args['critic-steps']), seed: Number(args.seed) });
    }
    for (let k = 1; k <= rounds; k++) {
      const tRound = performance.now();
      let sampleS = 0, labelS = 0, queued = 0, criticLabels = 0, criticAccuracy: number | undefined;
      let record: RoundRecord;
      const prompts = trainingPrompts(pairCount, `round:${args.seed}:${variant}:${k}`);
      if (variant !== 'online') {
        // 3a. On-policy pairs, labelled by the simulated annotator, one round of DPO or KTO.
        const fresh = planPairs({ prompts, pairsPerPrompt: 1, round: policy.round, seed: Number(args.seed) * 100 + k, sampler, idPrefix: `${variant}-r${k}`, firstFrame: firstFrameMode });
        let t = performance.now();
        if (policy.round === 0) await basePairVideos(config, policy.params, fresh, store);
        else await samplePairVideos(config, policy.params, fresh, store);
        sampleS = (performance.now() - t) / 1000;
        t = performance.now();
        const labels = simulatedJudgments(fresh, store, person, config, k, `${variant}-${k}`);
        labelS = (performance.now() - t) / 1000;
        humanLabels += labels.length;
        pairs.push(...fresh);
        judgments.push(...labels);
        record = await runRound({ config, policy, rounds: records, pairs, judgments, store, hyper });
      } else {
        // 3b. Online: the critic labels on-policy pairs on the fly; unsure ones go to "people".
        const out = await runOnlineRound({
          config, policy, rounds: records, pairs, judgments, store, hyper, prompts, pairsPerPrompt: 1, sampler, firstFrame: firstFrameMode,
          labeller: criticLabeller(critic!), confidenceThreshold: Number(args.confidence),
          onProgress: (phase, done, total) => { if (phase === 'sample' && done === total) sampleS = (performance.now() - tRound) / 1000; },
        });
        if (!out.record) throw new Error(`online round ${k}: no pair reached confidence ${args.confidence}; lower --confidence or train the critic longer (--critic-steps).`);
        record = out.record;
        criticLabels = out.judgments.length;
        criticAccuracy = labelAccuracy(out.judgments, out.pairs, store, taste, config);
        queued = out.queued.length;
        pairs.push(...out.pairs);
        judgments.push(...out.judgments);
        // People answer the queue; their labels train the next round and refine the critic.
        const t = performance.now();
        const answers = simulatedJudgments(out.queued, store, person, config, k + 1, `queue-${k}`);
        humanLabels += answers.length;
        judgments.push(...answers);
        const human = judgments.filter((j) => j.annotatorKind === 'simulated');
        if (human.length) await critic!.train(criticExamples(pairs, human, store), { steps: Math.ceil(Number(args['critic-steps']) / 3), seed: Number(args.seed) + k });
        labelS = (performance.now() - t) / 1000;
      }
      records.push(record);
      if (record.status !== 'completed') throw new Error(`${variant} round ${k} ${record.status}: ${record.note}`);
      const trainS = record.timings.seconds;
      const seconds = (performance.now() - tRound) / 1000;
      // 4. Evaluate round k against base on the held-out prompts, same seeds.
      const tEval = performance.now();
      const videos = await sampleSet(config, policy.params, evalItems, sampler.steps, sampler.guidance);
      const metricList = videos.map((v, i) => videoMetrics(v, evalItems[i].spec));
      const roundScores = tasteScores(videos);
      const win = meanInterval(winScores(roundScores));
      const deltas = metricDeltas(metricList, baseMetricList);
      const implicit = evaluatePreferences(config, { params: policy.params }, { params: policy.base }, heldSlots, hyper.beta, 'bench-heldout');
      const last = record.metrics.slice(-10);
      const avg = (f: (m: (typeof last)[number]) => number) => last.reduce((a, m) => a + f(m), 0) / Math.max(1, last.length);
      results.push({
        round: k, win_rate: win.mean, ci: win.ci, implicit_accuracy: implicit.implicitAccuracy,
        taste_shift: tasteShift(roundScores, baseScores, spread.std), taste_score: roundScores.reduce((a, b) => a + b, 0) / roundScores.length,
        metrics: aggregateMetrics(metricList), metric_deltas: deltas, regressions: regressions(deltas), seconds,
        cost: { pairs: prompts.length, examples: record.examples, human_labels: humanLabels, critic_labels: criticLabels, queued, steps: record.metrics.length, sample_s: sampleS, label_s: labelS, train_s: trainS, eval_s: (performance.now() - tEval) / 1000, ms_per_step: record.timings.msPerStep },
        ...(criticAccuracy === undefined ? {} : { critic_label_accuracy: criticAccuracy }),
        train: { loss: avg((m) => m.loss), implicit_accuracy: avg((m) => m.implicitAccuracy), reward_margin: avg((m) => m.rewardMargin) },
      });
      const r = results[results.length - 1];
      console.log(`${variant} round ${k}: win ${(100 * r.win_rate).toFixed(1)} % [${(100 * r.ci[0]).toFixed(1)}, ${(100 * r.ci[1]).toFixed(1)}], taste shift ${r.taste_shift.mean.toFixed(2)} ± ${r.taste_shift.se.toFixed(2)} std, regressions: ${r.regressions.join(', ') || 'none'}, held-out implicit acc ${(100 * r.implicit_accuracy).toFixed(1)} %${r.critic_label_accuracy === undefined ? '' : `, critic labels agree with the taste ${(100 * r.critic_label_accuracy).toFixed(1)} % (${criticLabels} labels, ${queued} queued)`}, ${seconds.toFixed(0)} s (sample ${sampleS.toFixed(0)}, label ${labelS.toFixed(1)}, train ${trainS.toFixed(0)} s at ${r.cost.ms_per_step.toFixed(0)} ms/step)`);
    }
    report.variants[variant] = { base_metrics: baseMetrics, rounds: results, hyper };
    critic?.dispose();
    policy.dispose();
  }
  printTable(taste.name, report.variants, baseMetrics);
  if (args.json) {
    fs.writeFileSync(args.json, JSON.stringify(report, null, 2));
    console.log(`\nwrote ${args.json}`);
  }
}

function printTable(tasteName: string, variants: Record<string, { rounds: RoundResult[] }>, base: AggregateMetrics): void {
  const f3 = (x: number) => x.toFixed(3);
  console.log(`\n| taste | variant | round | win rate vs base (95 % CI) | taste shift (std) | held-out implicit acc | action acc | flicker ↓ | subject cons. | regressions | s/round |`);
  console.log('|---|---|---:|---|---:|---:|---:|---:|---:|---|---:|');
  console.log(`| ${tasteName} | base | 0 | – | – | – | ${f3(base.actionCorrect)} | ${f3(base.temporalFlicker)} | ${f3(base.subjectConsistency)} | – | – |`);
  for (const [name, v] of Object.entries(variants)) {
    for (const r of v.rounds) {
      console.log(`| ${tasteName} | ${name} | ${r.round} | ${(100 * r.win_rate).toFixed(1)} % (${(100 * r.ci[0]).toFixed(1)}–${(100 * r.ci[1]).toFixed(1)}) | ${r.taste_shift.mean.toFixed(2)} ± ${r.taste_shift.se.toFixed(2)} | ${(100 * r.implicit_accuracy).toFixed(1)} % | ${f3(r.metrics.actionCorrect)} | ${f3(r.metrics.temporalFlicker)} | ${f3(r.metrics.subjectConsistency)} | ${r.regressions.join(', ') || 'none'} | ${r.seconds.toFixed(0)} |`);
    }
  }
}

main().catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
