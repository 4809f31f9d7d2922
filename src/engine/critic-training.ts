/**
 * Training a fresh critic for the session on the people's pairwise judgments, with a seeded
 * share held out to measure how often it agrees with them.
 */
import type { ModelConfig } from '../model/config';
import { criticExamples } from '../prefs/critic-examples';
import type { VideoStore } from '../prefs/pairs';
import type { Judgment, Pair } from '../prefs/types';
import { hashString, makeRng, shuffle } from '../world/rng';
import { pickShape } from '../world/video';
import { Critic, criticConfig } from './critic';
import { RequestError } from './errors';

/** The critic holds out this share of the judgments to measure its agreement with people… */
const CRITIC_HELD_OUT = 0.2;
/** …once there are this many (below, agreement is NaN: too few to measure). */
const CRITIC_MIN_FOR_AGREEMENT = 8;

export interface TrainedCritic {
  critic: Critic;
  agreement: number;
  trainedOn: number;
}

/**
 * A fresh critic on the pairwise judgments (not the critic's own verdicts: it would learn its
 * own mistakes back), CRITIC_HELD_OUT of them held out in a seeded split to measure agreement.
 */
export async function trainCritic(config: ModelConfig, pairs: readonly Pair[], judgments: readonly Judgment[], store: VideoStore, steps: number, onStep?: (done: number, total: number) => void): Promise<TrainedCritic> {
  const examples = criticExamples(pairs, judgments.filter((j) => j.annotatorKind !== 'critic'), store);
  if (examples.length === 0) {
    throw new RequestError('The critic has nothing to learn from: it needs left, right or tie judgments of people (both-bad and skips carry no order). Rank some pairs first.');
  }
  const order = shuffle(examples.map((_, i) => i), makeRng(hashString(`critic-held-out:${examples.length}`)));
  const heldOutCount = examples.length >= CRITIC_MIN_FOR_AGREEMENT ? Math.round(CRITIC_HELD_OUT * examples.length) : 0;
  const heldOut = order.slice(0, heldOutCount).map((i) => examples[i]);
  const train = order.slice(heldOutCount).map((i) => examples[i]);
  // The critic reads the prompt words: the tokenizer's vocabulary after <pad> and <bos>.
  const critic = new Critic(criticConfig(pickShape(config), config.vocab.slice(2)), 1);
  try {
    await critic.train(train, { steps, seed: 1, onStep: (step) => onStep?.(step, steps) });
    const agreement = heldOut.length ? (await critic.agreement(heldOut)).agreement : NaN;
    return { critic, agreement, trainedOn: train.length };
  } catch (e) {
    critic.dispose();
    throw e;
  }
}
