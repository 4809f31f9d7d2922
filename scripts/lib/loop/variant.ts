// One variant of bench:loop from the base model, `rounds` times: on-policy pairs for training
// prompts → labels (dpo, kto: the simulated person; online: the critic on the fly, unsure pairs
// to the person) → a round → merge → the held-out evaluation.
import type { SamplerSettings } from '../../../src/prefs/types';
import { Critic, criticConfig } from '../../../src/engine/critic';
import { runOnlineRound } from '../../../src/engine/online-round';
import { Policy } from '../../../src/engine/policy';
import { runRound } from '../../../src/engine/round-runner';
import { samplePairVideos } from '../../../src/engine/sample-pairs';
import type { ModelConfig } from '../../../src/model/config';
import type { Params } from '../../../src/model/params';
import { criticExamples } from '../../../src/prefs/critic-examples';
import { criticLabeller } from '../../../src/prefs/online';
import type { Judgment, Pair, RoundHyperParameters, RoundRecord } from '../../../src/prefs/types';
import { pickShape } from '../../../src/world/video';
import type { HeldOut } from './held-out';
import { roundPairs, roundPrompts, warmUpPairs } from './base-pairs';
import { labelAccuracy, simulatedJudgments } from './people';
import { roundLine, type RoundResult } from './report';
import type { BaseSampleCache } from './sample-cache';

export interface VariantOptions {
  config: ModelConfig;
  baseParams: Params;
  hyper: RoundHyperParameters;
  rounds: number;
  /** Pairs a round (one per training prompt); also the online critic's warm-up pairs. */
  pairs: number;
  sampler: SamplerSettings;
  seed: number;
  firstFrame: boolean;
  /** Online: the critic's confidence bar and training steps. */
  confidence: number;
  criticSteps: number;
  heldOut: HeldOut;
  cache: BaseSampleCache;
}

interface Labelled {
  record: RoundRecord;
  sampleS: number;
  labelS: number;
  criticLabels: number;
  queued: number;
  criticAccuracy?: number;
}

export async function runVariant(o: VariantOptions): Promise<RoundResult[]> {
  const { config, hyper, heldOut } = o;
  const variant = hyper.method;
  const shape = pickShape(config);
  const policy = new Policy(config, o.baseParams);
  const records: RoundRecord[] = [];
  const pairs: Pair[] = [];
  const judgments: Judgment[] = [];
  const store = new Map<string, Float32Array>();
  const person = heldOut.person();
  const results: RoundResult[] = [];
  let critic: Critic | null = null;
  let humanLabels = 0;
  try {
    // Online: the critic starts from `pairs` people-labelled base pairs (OnlineVPO's reward model is trained first).
    if (variant === 'online') {
      const warm = warmUpPairs(o.pairs, o.seed, o.sampler, o.firstFrame);
      await o.cache.pairVideos(config, o.baseParams, warm, store);
      const warmJudgments = simulatedJudgments(warm, store, person, shape, 0, 'critic-warmup');
      humanLabels += warm.length;
      critic = new Critic(criticConfig(config, config.vocab.slice(2)), o.seed);
      await critic.train(criticExamples(warm, warmJudgments, store), { steps: o.criticSteps, seed: o.seed });
    }

    /** 3a. On-policy pairs labelled by the simulated person, one round of DPO or KTO. */
    const peopleRound = async (k: number, prompts: string[]): Promise<Labelled> => {
      const fresh = roundPairs(prompts, { policyRound: policy.round, seed: o.seed, k, sampler: o.sampler, firstFrame: o.firstFrame, idPrefix: `${variant}-r${k}` });
      let t = performance.now();
      if (policy.round === 0) await o.cache.pairVideos(config, policy.params, fresh, store);
      else await samplePairVideos(config, policy.params, fresh, store);
      const sampleS = (performance.now() - t) / 1000;
      t = performance.now();
      const labels = simulatedJudgments(fresh, store, person, shape, k, `${variant}-${k}`);
      const labelS = (performance.now() - t) / 1000;
      humanLabels += labels.length;
      pairs.push(...fresh);
      judgments.push(...labels);
      const record = await runRound({ config, policy, rounds: records, pairs, judgments, store, hyper });
      return { record, sampleS, labelS, criticLabels: 0, queued: 0 };
    };

    /** 3b. Online: the critic labels on-policy pairs on the fly; unsure ones go to "people". */
    const onlineRound = async (k: number, prompts: string[], tRound: number): Promise<Labelled> => {
      let sampleS = 0;
      const out = await runOnlineRound({
        config, policy, rounds: records, pairs, judgments, store, hyper, prompts, pairsPerPrompt: 1, sampler: o.sampler, firstFrame: o.firstFrame,
        labeller: criticLabeller(critic!), confidenceThreshold: o.confidence,
        onProgress: (phase, done, total) => { if (phase === 'sample' && done === total) sampleS = (performance.now() - tRound) / 1000; },
      });
      if (!out.record) throw new Error(`online round ${k}: no pair reached confidence ${o.confidence}; lower --confidence or train the critic longer (--critic-steps).`);
      const criticAccuracy = labelAccuracy(out.judgments, out.pairs, store, person.taste, shape);
      pairs.push(...out.pairs);
      judgments.push(...out.judgments);
      // People answer the queue; their labels train the next round and refine the critic.
      const t = performance.now();
      const answers = simulatedJudgments(out.queued, store, person, shape, k + 1, `queue-${k}`);
      humanLabels += answers.length;
      judgments.push(...answers);
      const human = judgments.filter((j) => j.annotatorKind === 'simulated');
      if (human.length) await critic!.train(criticExamples(pairs, human, store), { steps: Math.ceil(o.criticSteps / 3), seed: o.seed + k });
      return { record: out.record, sampleS, labelS: (performance.now() - t) / 1000, criticLabels: out.judgments.length, queued: out.queued.length, criticAccuracy };
    };

    for (let k = 1; k <= o.rounds; k++) {
      const tRound = performance.now();
      const prompts = roundPrompts(o.pairs, o.seed, variant, k);
      const done = variant === 'online' ? await onlineRound(k, prompts, tRound) : await peopleRound(k, prompts);
      const { record } = done;
      records.push(record);
      if (record.status !== 'completed') throw new Error(`${variant} round ${k} ${record.status}: ${record.note}`);
      const seconds = (performance.now() - tRound) / 1000;
      // 4. Evaluate round k against base on the held-out prompts, same seeds.
      const tEval = performance.now();
      const scores = await heldOut.evaluate(policy.params, policy.base, hyper.beta);
      const last = record.metrics.slice(-10);
      const avg = (f: (m: (typeof last)[number]) => number) => last.reduce((a, m) => a + f(m), 0) / Math.max(1, last.length);
      const result: RoundResult = {
        round: k, ...scores, seconds,
        cost: { pairs: prompts.length, examples: record.examples, human_labels: humanLabels, critic_labels: done.criticLabels, queued: done.queued, steps: record.metrics.length, sample_s: done.sampleS, label_s: done.labelS, train_s: record.timings.seconds, eval_s: (performance.now() - tEval) / 1000, ms_per_step: record.timings.msPerStep },
        ...(done.criticAccuracy === undefined ? {} : { critic_label_accuracy: done.criticAccuracy }),
        train: { loss: avg((m) => m.loss), implicit_accuracy: avg((m) => m.implicitAccuracy), reward_margin: avg((m) => m.rewardMargin) },
      };
      results.push(result);
      console.log(roundLine(variant, result));
    }
    return results;
  } finally {
    critic?.dispose();
    policy.dispose();
  }
}
