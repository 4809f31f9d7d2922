/**
 * An online round (OnlineVPO): sample pairs from the current policy, label them on the fly with
 * the critic or the simulated annotator, and train DPO on the confident labels straight away.
 * Pairs the labeller is unsure about are returned in `queued` for people; they do not train this
 * round. Everything produced (pairs, judgments, the round record) is plain data for the session.
 */
import type { ModelConfig } from '../model/config';
import { routeVerdicts, type Labeller } from '../prefs/online';
import { planPairs } from '../prefs/pairs';
import { nextRoundIndex, startRoundRecord } from '../prefs/rounds';
import type { Judgment, Pair, PairwiseJudgment, RoundHyperParameters, RoundRecord, SamplerSettings } from '../prefs/types';
import { hashString, makeRng } from '../world/rng';
import type { Policy } from './policy';
import { runRound, type RoundHooks } from './round-runner';
import { samplePairVideos } from './sample-pairs';

export interface OnlineRoundInput extends RoundHooks {
  config: ModelConfig;
  policy: Policy;
  rounds: readonly RoundRecord[];
  /** The session's pairs and judgments so far (the new ones are returned, not appended). */
  pairs: readonly Pair[];
  judgments: readonly Judgment[];
  /** Video store; the new pairs' videos are written into it. */
  store: Map<string, Float32Array>;
  hyper: RoundHyperParameters;
  prompts: string[];
  pairsPerPrompt: number;
  sampler: SamplerSettings;
  labeller: Labeller;
  /** Verdicts below this confidence go to people (the critic's confidence is in [0.5, 1]). */
  confidenceThreshold: number;
  firstFrame?: boolean;
  onProgress?: (phase: 'sample' | 'train', done: number, total: number) => void;
}

export interface OnlineRoundResult {
  pairs: Pair[];
  judgments: PairwiseJudgment[];
  queued: Pair[];
  /** Null when nothing was confident enough to train on (or sampling was cancelled). */
  record: RoundRecord | null;
}

export async function runOnlineRound(input: OnlineRoundInput): Promise<OnlineRoundResult> {
  const { config, policy, hyper } = input;
  const now = input.now ?? (() => new Date());
  const index = nextRoundIndex(input.rounds);
  // 1. Pairs from the current policy (its round = rounds merged so far).
  const pairs = planPairs({
    prompts: input.prompts, pairsPerPrompt: input.pairsPerPrompt, round: policy.round, seed: hyper.seed * 7919 + index,
    sampler: input.sampler, firstFrame: input.firstFrame, idPrefix: `online${index}`, now: now().toISOString(),
  });
  const sampled = await samplePairVideos(config, policy.params, pairs, input.store, {
    onProgress: (d, t) => input.onProgress?.('sample', d, t), shouldCancel: input.shouldCancel,
  });
  if (sampled < pairs.length) return { pairs: pairs.slice(0, sampled), judgments: [], queued: pairs.slice(0, sampled), record: null };
  // 2. Label on the fly; unsure verdicts are queued for people.
  const verdicts = await input.labeller.label(pairs, input.store);
  const { judgments, queued } = routeVerdicts(pairs, verdicts, input.labeller, {
    threshold: input.confidenceThreshold, round: index, rng: makeRng(hashString(`online-sides:${hyper.seed}:${index}`)), now: now().toISOString(), idPrefix: `${input.labeller.name}-r${index}`,
  });
  if (!judgments.some((j) => j.decision === 'left' || j.decision === 'right')) return { pairs, judgments, queued, record: null };
  // 3. Train DPO on them now (the round's examples are the judgments no earlier round used).
  const record = await runRound({
    config, policy, rounds: input.rounds, pairs: [...input.pairs, ...pairs], judgments: [...input.judgments, ...judgments], store: input.store,
    hyper: { ...hyper, method: 'online' }, onStep: (m, total) => {
      input.onProgress?.('train', m.step, total);
      input.onStep?.(m, total);
    }, shouldCancel: input.shouldCancel, lossFn: input.lossFn, now,
  });
  return { pairs, judgments, queued, record };
}

/**
 * The record of an online round that trained nothing: sampling was cancelled, or no verdict was
 * confident enough (the policy is unchanged either way).
 */
export function untrainedOnlineRecord(
  rounds: readonly RoundRecord[], hyper: RoundHyperParameters, now: () => Date,
  outcome: { cancelled: boolean; sampledPairs: number; queuedPairs: number; labeller: string; confidenceThreshold: number },
): RoundRecord {
  const record = startRoundRecord(nextRoundIndex(rounds), { ...hyper, method: 'online' }, [], 0, now());
  record.timings.finishedAt = now().toISOString();
  if (outcome.cancelled) {
    record.status = 'cancelled';
    record.note = `Cancelled while sampling, after ${outcome.sampledPairs} pair(s); nothing was trained and the policy is unchanged.`;
  } else {
    record.status = 'failed';
    record.note = `No pair got a ${outcome.labeller} verdict with confidence ≥ ${outcome.confidenceThreshold} (${outcome.queuedPairs} pair(s) are left for people, ties do not train DPO); nothing was trained and the policy is unchanged. Label the queued pairs, or lower the threshold.`;
  }
  return record;
}
