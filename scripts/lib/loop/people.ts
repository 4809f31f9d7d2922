// Simulated people for bench:loop: a taste and an annotator judging by it, labelling pairs as a
// person would (a random side shown on the left, recorded), and how often a set of labels sides
// with the taste.
import { preferredVideo } from '../../../src/prefs/judgments';
import { pairwiseJudgment, randomLeft } from '../../../src/prefs/pairs';
import type { Judgment, Pair, PairwiseJudgment } from '../../../src/prefs/types';
import type { SimulatedAnnotator } from '../../../src/world/annotator';
import { formatPrompt, sampleTrainingSpec } from '../../../src/world/prompt';
import { hashString, makeRng } from '../../../src/world/rng';
import type { Taste } from '../../../src/world/tastes';
import type { VideoShape } from '../../../src/world/video';
import { scoreOrThrow } from '../taste-module';

export interface Person {
  taste: Taste;
  annotator: SimulatedAnnotator;
}

type Store = ReadonlyMap<string, Float32Array>;

/** The taste's scores of a pair's two videos (an error names the prompt and the seed). */
function pairScores(taste: Taste, pair: Pair, store: Store, shape: VideoShape): [number, number] {
  const score = (v: 0 | 1) => scoreOrThrow(taste, { ...shape, data: store.get(pair.videoIds[v])! }, pair.prompt, pair.seeds[v]);
  return [score(0), score(1)];
}

/** Each pair shown with a random side on the left, judged by the person, recorded as a person's judgment. */
export function simulatedJudgments(pairs: readonly Pair[], store: Store, person: Person, shape: VideoShape, round: number, seed: string): Judgment[] {
  const rng = makeRng(hashString(`sides:${seed}`));
  return pairs.map((pair, i) => {
    const leftWas = randomLeft(rng);
    const scores = pairScores(person.taste, pair, store, shape);
    const decision = person.annotator.judgeScores(scores[leftWas], scores[1 - leftWas]);
    return pairwiseJudgment({ id: `sim-${seed}-${i}`, pair, decision, leftWas, annotator: 'simulated-person', annotatorKind: 'simulated', round });
  });
}

/** The share of strict (left/right) judgments that side with the video the taste scores higher. */
export function labelAccuracy(judgments: readonly PairwiseJudgment[], pairs: readonly Pair[], store: Store, taste: Taste, shape: VideoShape): number {
  const pairById = new Map(pairs.map((p) => [p.id, p]));
  let agree = 0;
  let count = 0;
  for (const j of judgments) {
    const preferred = preferredVideo(j);
    if (preferred === null) continue;
    const [a, b] = pairScores(taste, pairById.get(j.pairId)!, store, shape);
    if (a === b) continue;
    count++;
    agree += (a > b ? 0 : 1) === preferred ? 1 : 0;
  }
  return count ? agree / count : NaN;
}

/** `count` training prompts, the same for the same seed string. */
export function trainingPrompts(count: number, seed: string): string[] {
  const rng = makeRng(hashString(seed));
  return Array.from({ length: count }, () => formatPrompt(sampleTrainingSpec(rng)));
}
