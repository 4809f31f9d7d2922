/**
 * A round end to end on a session's data: choose the judgments it trains on, build the
 * examples, train the LoRA, and on completion merge it into the policy — producing the round's
 * record (plain data, src/prefs/types.ts). IPO's iterative loop is this function called once per
 * round, with pairs sampled from the policy in between (src/engine/sample-pairs.ts).
 */
import type { ModelConfig } from '../model/config';
import { dpoPreferences, ktoExamples, latestJudgments, decisionCounts, type DpoPreference, type KtoExample } from '../prefs/judgments';
import type { VideoStore } from '../prefs/pairs';
import { completedRounds, nextRoundIndex, startRoundRecord, unusedJudgments, validateHyper } from '../prefs/rounds';
import type { Judgment, Pair, RoundHyperParameters, RoundRecord, StepMetrics } from '../prefs/types';
import type { Policy } from './policy';
import { dpoSlots, ktoSlots, sftSources, type PreferenceSlot, type SftSource } from './preference-batch';
import { trainRound, type PreferenceLossFn } from './train-round';

export interface RoundInput extends RoundHooks {
  config: ModelConfig;
  policy: Policy;
  /** Every round record of the session so far (completed, cancelled, failed). */
  rounds: readonly RoundRecord[];
  pairs: readonly Pair[];
  judgments: readonly Judgment[];
  store: VideoStore;
  hyper: RoundHyperParameters;
}

/** Callbacks and overrides shared by offline and online rounds. */
export interface RoundHooks {
  onStep?: (metrics: StepMetrics, total: number) => void;
  shouldCancel?: () => boolean;
  /** The preference loss (the fused kernel on webgpu); default: the plain-tfjs reference. */
  lossFn?: PreferenceLossFn;
  now?: () => Date;
}

export interface RoundExamples {
  slots: PreferenceSlot[];
  sft: SftSource[];
  judgmentIds: string[];
  /** Training examples: pairs for DPO, videos for KTO. */
  count: number;
}

/** The examples a round trains on: judgments not used by an earlier round, turned per method. */
export function roundExamples(input: Pick<RoundInput, 'config' | 'rounds' | 'pairs' | 'judgments' | 'store' | 'hyper'>): RoundExamples {
  const { config, hyper } = input;
  const shape = { frames: config.frames, height: config.height, width: config.width };
  const fresh = latestJudgments(unusedJudgments(input.judgments, input.rounds));
  let slots: PreferenceSlot[];
  let used: (DpoPreference | KtoExample)[];
  if (hyper.method === 'kto') {
    const examples = ktoExamples(input.pairs, fresh);
    used = examples;
    slots = examples.length ? ktoSlots(examples, input.store, shape, hyper.seed) : [];
  } else {
    const prefs = dpoPreferences(input.pairs, fresh);
    used = prefs;
    slots = dpoSlots(prefs, input.store, shape);
  }
  if (slots.length === 0) {
    const c = decisionCounts(fresh);
    const what = hyper.method === 'kto' ? 'a left/right, both-bad or thumbs judgment' : 'a left or right judgment (ties, both-bad and skips do not enter DPO)';
    throw new Error(`Nothing to train on: ${fresh.length} new judgment(s) (left ${c.left}, right ${c.right}, tie ${c.tie}, both-bad ${c['both-bad']}, skip ${c.skip}, thumbs ${c.thumbsUp + c.thumbsDown}), none usable for ${hyper.method.toUpperCase()}. Rank more pairs: the round needs ${what}.`);
  }
  return {
    slots,
    sft: hyper.sftWeight > 0 ? sftSources(used) : [],
    judgmentIds: [...new Set(used.map((e) => e.judgmentId))],
    count: used.length,
  };
}

/**
 * 1. validate; 2. check the policy holds exactly the completed rounds; 3. pick the examples;
 * 4. train; 5. completed → merge into the policy; cancelled → the policy is untouched.
 * Errors from the examples (nothing to train on) throw; errors during training give a `failed`
 * record with the message in `note` (the policy is untouched then too).
 */
export async function runRound(input: RoundInput): Promise<RoundRecord> {
  const { config, policy, hyper } = input;
  const now = input.now ?? (() => new Date());
  // 1.
  validateHyper(hyper);
  // 2.
  const done = completedRounds(input.rounds).length;
  if (policy.round !== done) {
    throw new Error(`The policy holds ${policy.round} merged round(s) but the session has ${done} completed; restore the policy from the round records (Policy.restore) before training.`);
  }
  // 3.
  const examples = roundExamples(input);
  const index = nextRoundIndex(input.rounds);
  const record = startRoundRecord(index, { ...hyper, lora: { ...hyper.lora, targetModules: [...hyper.lora.targetModules] } }, examples.judgmentIds, examples.count, now());
  // 4.
  try {
    const result = await trainRound({
      config, policy, hyper, roundIndex: index, slots: examples.slots, sft: examples.sft,
      onStep: (m, total) => {
        record.metrics.push(m);
        input.onStep?.(m, total);
      },
      shouldCancel: input.shouldCancel, lossFn: input.lossFn,
    });
    record.timings = { ...record.timings, finishedAt: now().toISOString(), seconds: result.seconds, msPerStep: result.msPerStep };
    // 5.
    if (result.status === 'completed') {
      policy.merge(result.lora!);
      record.lora = result.lora;
      record.status = 'completed';
    } else {
      record.status = 'cancelled';
      record.note = `Cancelled after ${result.metrics.length} of ${hyper.steps} steps; the policy is unchanged.`;
    }
  } catch (e) {
    record.status = 'failed';
    record.timings = { ...record.timings, finishedAt: now().toISOString() };
    record.note = e instanceof Error ? e.message : String(e);
  }
  return record;
}
