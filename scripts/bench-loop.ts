/**
 * Closed-loop benchmark of the preference engine, tfjs-wasm in Node:
 *   npm run bench:loop -- --rounds 3 --pairs 128 [--taste lively|big|centred|smooth|quality|PATH]
 *                         [--variants dpo,kto,online] [--model small]
 *                         [--label-noise 0.3 --tie-rate 0.2 --tie-margin 0.1 --both-bad -2] (taste-std units)
 *                         [--json FILE] [--eval 64] [--held-out-pairs 32] [--sample-steps 24] [--sampler euler|dpm++2m]
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
import fs from 'node:fs';
import { DEFAULT_GUIDANCE, DEFAULT_SAMPLE_STEPS, DEFAULT_SAMPLER, isSamplerName, SAMPLERS } from '../src/diffusion/sampler-defaults';
import { useWasmBackend } from '../src/engine/tf-node';
import type { ModelConfig } from '../src/model/config';
import { initParams, type Params } from '../src/model/params';
import { presetConfig } from '../src/model/presets';
import { DEFAULT_ONLINE_CONFIDENCE, roundHyper } from '../src/prefs/rounds';
import type { RoundHyperParameters, RoundMethod, SamplerSettings } from '../src/prefs/types';
import { SIMULATED_PERSON } from '../src/world/annotator';
import type { AggregateMetrics } from '../src/world/metrics';
import { parseArgs } from './lib/args';
import { readCheckpoint } from './lib/loop/base-pairs';
import { HeldOut } from './lib/loop/held-out';
import { printTable, type RoundResult } from './lib/loop/report';
import { BaseSampleCache } from './lib/loop/sample-cache';
import { runVariant } from './lib/loop/variant';
import { loadTaste } from './lib/taste-module';

const args = parseArgs(process.argv.slice(2), {
  model: 'small', checkpoint: '', rounds: '3', pairs: '128', taste: 'lively', variants: 'dpo,kto,online', json: '', eval: '64',
  'held-out-pairs': '32', 'sample-steps': String(DEFAULT_SAMPLE_STEPS), sampler: DEFAULT_SAMPLER, guidance: String(DEFAULT_GUIDANCE), seed: '1',
  steps: '', beta: '', lr: '', rank: '', batch: '', targets: '', 'sft-weight': '', reference: '', 't-mean': '',
  'label-noise': String(SIMULATED_PERSON.noise), 'tie-rate': String(SIMULATED_PERSON.tieRate), 'tie-margin': String(SIMULATED_PERSON.tieMargin), 'both-bad': String(SIMULATED_PERSON.bothBadThreshold), confidence: String(DEFAULT_ONLINE_CONFIDENCE), 'critic-steps': '300', cache: '',
}, ['first-frame']);

const VARIANTS: RoundMethod[] = ['dpo', 'kto', 'online'];

const num = (key: string, fallback?: number) => (args[key] === '' ? fallback : Number(args[key]));

/** The base checkpoint, and the digest of its bytes (the sample cache's key; '' for an untrained model). */
function loadBase(): { config: ModelConfig; params: Params; source: string; digest: string } {
  const file = args.checkpoint || `public/models/${args.model}.safetensors`;
  if (fs.existsSync(file)) {
    const { config, params, metadata, digest } = readCheckpoint(file);
    return { config, params, source: `${file} (step ${metadata.step ?? '?'})`, digest };
  }
  if (args.model !== 'tiny') throw new Error(`${file} does not exist. Pretrain it first (npm run pretrain -- --config ${args.model}) or pass --checkpoint.`);
  console.warn(`${file} is missing: using an untrained tiny model (a smoke test of the loop, not a measurement).`);
  const config = presetConfig('tiny');
  return { config, params: initParams(config, 1, false), source: 'untrained tiny (random init)', digest: '' };
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

async function main() {
  await useWasmBackend();
  const { config, params: baseParams, source, digest } = loadBase();
  const rounds = Number(args.rounds);
  const pairs = Number(args.pairs);
  if (!isSamplerName(args.sampler)) throw new Error(`--sampler ${args.sampler}: one of ${SAMPLERS.join(', ')}`);
  // The solver is named only when it is not Euler, so the base-sample cache of Euler runs stays valid.
  const solver = args.sampler === 'euler' ? {} : { solver: args.sampler };
  const sampler: SamplerSettings = { steps: Number(args['sample-steps']), guidance: Number(args.guidance), ...solver };
  const variants = args.variants.split(',').map((v) => v.trim()) as RoundMethod[];
  for (const v of variants) if (!VARIANTS.includes(v)) throw new Error(`Unknown variant "${v}". Variants: ${VARIANTS.join(', ')}.`);
  const taste = await loadTaste(args.taste);
  const firstFrame = args['first-frame'] === 'true';
  const cache = new BaseSampleCache(args.cache, digest);
  console.log(`bench:loop — ${source}, ${config.name}: ${rounds} rounds × ${pairs} pairs, taste ${taste.name}, variants ${variants.join(', ')}, sampler ${args.sampler} ${sampler.steps} steps CFG ${sampler.guidance}`);

  // 1–2. The held-out set, the base's videos of it, the taste's spread, labelled held-out pairs.
  const t0 = performance.now();
  const person = { noise: Number(args['label-noise']), tieRate: Number(args['tie-rate']), tieMargin: Number(args['tie-margin']), bothBadThreshold: Number(args['both-bad']), seed: Number(args.seed) };
  const heldOut = await HeldOut.prepare({ config, baseParams, sampler, taste, person, evalCount: Number(args.eval), heldOutPairs: Number(args['held-out-pairs']), firstFrame, cache });
  const { spread, groundTruth } = heldOut;
  console.log(`base: ${heldOut.items.length} held-out videos, ${heldOut.labelledPairs} labelled held-out pairs (${((performance.now() - t0) / 1000).toFixed(0)} s)`);
  console.log(`taste ${taste.name} on the base's held-out videos: mean ${spread.mean.toPrecision(4)}, std ${spread.std.toPrecision(4)} (the unit of noise ${person.noise}, tie margin ${person.tieMargin}, shifts); among samples of one prompt: std ${(heldOut.withinPromptStd * spread.std).toPrecision(3)} = ${heldOut.withinPromptStd.toFixed(2)} of it`);
  console.log(`rendered ground truth vs base by this taste: ${(100 * groundTruth.mean).toFixed(1)} % [${(100 * groundTruth.ci[0]).toFixed(1)}, ${(100 * groundTruth.ci[1]).toFixed(1)}]`);

  const report: { settings: Record<string, unknown>; variants: Record<string, { base_metrics: AggregateMetrics; rounds: RoundResult[]; hyper: RoundHyperParameters }> } = {
    settings: {
      model: config.name, source, rounds, pairs, eval: heldOut.items.length, held_out_pairs: heldOut.labelledPairs,
      taste: taste.name, taste_spread: spread, taste_within_prompt_std: heldOut.withinPromptStd, first_frame: firstFrame, ground_truth: { win_rate: groundTruth.mean, ci: groundTruth.ci }, sampler,
      label_noise: person.noise, tie_rate: person.tieRate, tie_margin: person.tieMargin, both_bad: person.bothBadThreshold, confidence: Number(args.confidence),
    },
    variants: {},
  };
  // 3–4. Each variant from the same base: rounds, each evaluated on the held-out set.
  for (const variant of variants) {
    const hyper = hyperFromArgs(variant);
    const results = await runVariant({
      config, baseParams, hyper, rounds, pairs, sampler, seed: Number(args.seed), firstFrame,
      confidence: Number(args.confidence), criticSteps: Number(args['critic-steps']), heldOut, cache,
    });
    report.variants[variant] = { base_metrics: heldOut.baseMetrics, rounds: results, hyper };
  }
  printTable(taste.name, report.variants, heldOut.baseMetrics);
  if (args.json) {
    fs.writeFileSync(args.json, JSON.stringify(report, null, 2));
    console.log(`\nwrote ${args.json}`);
  }
}

main().catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
