/**
 * How well the online critic learns a taste from people's labels, before any round runs:
 *   npx tsx scripts/diagnostics/critic-fit.ts [--model small-p8] [--taste lively] [--pairs 128]
 *        [--pixels-only] [--critic-steps 300] [--weight-decay 1e-2] [--hidden 4 --joint-hidden 8] [--critic-lr 3e-3] [--label-noise 0.3] [--cache DIR]
 * Trains the critic the way bench:loop's online variant does (on `--pairs` base pairs labelled by
 * the simulated person), then asks it about another 128 base pairs (bench:loop's first DPO round's)
 * and reports how often it sides with the taste itself (noiseless), over all pairs and over those
 * it is sure of (confidence ≥ --confidence), beside the simulated person's own label accuracy on
 * the same pairs: the critic is useful to an online round only where it beats a coin and comes
 * near the person.
 */
import { Critic, criticConfig, DEFAULT_CRITIC_SIZES, DEFAULT_CRITIC_WEIGHT_DECAY } from '../../src/engine/critic';
import { useWasmBackend } from '../../src/engine/tf-node';
import { criticExamples } from '../../src/prefs/critic-examples';
import { DEFAULT_ONLINE_CONFIDENCE } from '../../src/prefs/rounds';
import type { PairwiseJudgment } from '../../src/prefs/types';
import { SIMULATED_PERSON } from '../../src/world/annotator';
import { pickShape } from '../../src/world/video';
import { parseArgs } from '../lib/args';
import { diagnosticBase } from '../lib/loop/base-pairs';
import { HeldOut } from '../lib/loop/held-out';
import { labelAccuracy, simulatedJudgments } from '../lib/loop/people';
import { loadTaste } from '../lib/taste-module';

const args = parseArgs(process.argv.slice(2), {
  model: 'small-p8', taste: 'lively', pairs: '128', 'critic-steps': '300', 'weight-decay': String(DEFAULT_CRITIC_WEIGHT_DECAY), 'critic-lr': '3e-3',
  'label-noise': String(SIMULATED_PERSON.noise), confidence: String(DEFAULT_ONLINE_CONFIDENCE), seed: '1', cache: '', hidden: String(DEFAULT_CRITIC_SIZES.hidden), 'joint-hidden': String(DEFAULT_CRITIC_SIZES.jointHidden),
}, ['pixels-only']);

async function main() {
  await useWasmBackend();
  const seed = Number(args.seed);
  const store = new Map<string, Float32Array>();
  // bench:loop's online warm-up pairs train the critic; its first DPO round's pairs test it.
  const { config, params, cache, sampler, warm, firstRound: test } = await diagnosticBase(args.model, args.cache, seed, Number(args.pairs), store);
  const taste = await loadTaste(args.taste);
  const person = { ...SIMULATED_PERSON, noise: Number(args['label-noise']), seed };
  const heldOut = await HeldOut.prepare({ config, baseParams: params, sampler, taste, person, evalCount: 64, heldOutPairs: 32, firstFrame: false, cache });
  const shape = pickShape(config);
  const people = heldOut.person();
  const warmLabels = simulatedJudgments(warm, store, people, shape, 0, 'critic-warmup');
  const testLabels = simulatedJudgments(test, store, people, shape, 1, 'test') as PairwiseJudgment[];

  const critic = new Critic(criticConfig(config, config.vocab.slice(2), { hidden: Number(args.hidden), jointHidden: Number(args['joint-hidden']) }, args['pixels-only'] !== 'true'), seed);
  const t = performance.now();
  const losses = await critic.train(criticExamples(warm, warmLabels, store), { steps: Number(args['critic-steps']), seed, weightDecay: Number(args['weight-decay']), lr: Number(args['critic-lr']) });
  const trainS = (performance.now() - t) / 1000;
  // The taste's own order on the test pairs, as judgments the critic is scored against.
  const truth = criticExamples(test, testLabels, store).map((e, i) => {
    const [a, b] = [0, 1].map((v) => taste.score({ ...shape, data: store.get(test[i].videoIds[v])! }, test[i].prompt));
    return { ...e, a: store.get(test[i].videoIds[0])!, b: store.get(test[i].videoIds[1])!, label: a > b ? 1 : 0 };
  });
  const all = await critic.agreement(truth);
  const verdicts = await critic.judgeMany(truth);
  const bar = Number(args.confidence);
  const sure = verdicts.map((v, i) => ({ v, e: truth[i] })).filter(({ v }) => v.confidence >= bar);
  const sureAgree = sure.filter(({ v, e }) => v.preferred === (e.label > 0.5 ? 0 : 1)).length / Math.max(1, sure.length);
  const trainAgree = await critic.agreement(criticExamples(warm, warmLabels, store));
  // Coverage and agreement at other confidence bars (the online round's threshold).
  const bars = [0.5, 0.6, 0.7, 0.75, 0.8, 0.9].map((b) => {
    const kept = verdicts.map((v, i) => ({ v, e: truth[i] })).filter(({ v }) => v.confidence >= b);
    const right = kept.filter(({ v, e }) => v.preferred === (e.label > 0.5 ? 0 : 1)).length;
    return { bar: b, share: kept.length / truth.length, agreement: kept.length ? right / kept.length : NaN };
  });
  const result = {
    taste: taste.name, descriptors: args['pixels-only'] !== 'true', pairs: warm.length, critic_steps: Number(args['critic-steps']), weight_decay: Number(args['weight-decay']), critic_lr: Number(args['critic-lr']), label_noise: person.noise,
    person_label_accuracy: labelAccuracy(testLabels, test, store, taste, shape),
    critic_train_agreement: trainAgree.agreement, critic_agreement: all.agreement, sure_share: sure.length / truth.length, sure_agreement: sureAgree,
    bars,
    final_loss: losses.slice(-20).reduce((a, b) => a + b, 0) / Math.min(20, losses.length), train_s: trainS,
  };
  console.log(JSON.stringify(result));
  critic.dispose();
}

main().catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
