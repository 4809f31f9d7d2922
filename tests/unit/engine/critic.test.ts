import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { useWasmBackend } from '../../../src/engine/tf-node';
import { bradleyTerryLoss, Critic, criticConfig } from '../../../src/engine/critic';
import { criticExamples, type CriticExample } from '../../../src/prefs/critic-examples';
import { formatPrompt, HELD_OUT_SEED_BASE, heldOutSpecs, trainingSpecs, type PromptSpec } from '../../../src/world/prompt';
import { render, renderScene } from '../../../src/world/render';
import { sampleScene } from '../../../src/world/scene';
import { builtinTaste } from '../../../src/world/tastes';
import { makeRng } from '../../../src/world/rng';
import { COLOUR_NAMES } from '../../../src/world/vocab';
import { plantedSession, tinyConfig, tinyShape, TRAIN_PROMPTS } from '../fixtures/prefs';

beforeAll(async () => {
  await useWasmBackend();
});

/**
 * The planted preference: of two renders of the same prompt, people prefer the one whose object
 * has the colour the prompt asks for; a fifth of the pairs are two correct renders, judged a tie.
 * Text-conditioned on purpose: "red" is right for one prompt and wrong for the next.
 */
function colourPairs(specs: PromptSpec[], count: number, seed: number, seedBase: number): CriticExample[] {
  const rng = makeRng(seed);
  return Array.from({ length: count }, (_, i) => {
    const spec = specs[Math.floor(rng() * specs.length)];
    const prompt = formatPrompt(spec);
    const right = render(spec, seedBase + 2 * i, tinyShape).data;
    if (rng() < 0.2) return { prompt, a: right, b: render(spec, seedBase + 2 * i + 1, tinyShape).data, label: 0.5 };
    const others = COLOUR_NAMES.filter((c) => c !== spec.colour);
    const wrong = render({ ...spec, colour: others[Math.floor(rng() * others.length)] }, seedBase + 2 * i + 1, tinyShape).data;
    return rng() < 0.5 ? { prompt, a: right, b: wrong, label: 1 } : { prompt, a: wrong, b: right, label: 0 };
  });
}

describe('Bradley–Terry loss', () => {
  it('hand-computed: a win is softplus(−Δ), a tie is log 2 at Δ = 0 and pulls Δ towards 0', () => {
    const softplus = (x: number) => Math.log1p(Math.exp(x));
    const loss = bradleyTerryLoss(tf.tensor1d([0, 2, -1]), tf.tensor1d([0.5, 1, 0])).dataSync()[0];
    expect(loss).toBeCloseTo((Math.log(2) + softplus(-2) + softplus(-1)) / 3, 6);
    const grad = tf.grad((d: tf.Tensor) => bradleyTerryLoss(d as tf.Tensor1D, tf.tensor1d([0.5, 0.5])))(tf.tensor1d([0, 1])).dataSync();
    expect(grad[0]).toBeCloseTo(0, 7);
    expect(grad[1]).toBeGreaterThan(0); // a tie with Δ > 0 pushes Δ down
  });
});

/**
 * Pairs as a person with a taste sees them: two samples of one prompt that differ in how far the
 * object sits from the centre (scenes shifted at random), the more centred one preferred — a
 * difference that no prompt word names, as a taste's differences are.
 */
function centredPairs(specs: PromptSpec[], count: number, seed: number): CriticExample[] {
  const rng = makeRng(seed);
  const taste = builtinTaste('centred');
  const shifted = (spec: PromptSpec, s: number) => {
    const scene = sampleScene(spec, s, tinyShape);
    const dx = (rng() - 0.5) * 0.4;
    scene.centreX = scene.centreX.map((x) => x + dx);
    return renderScene(scene, tinyShape);
  };
  return Array.from({ length: count }, (_, i) => {
    const spec = specs[Math.floor(rng() * specs.length)];
    const prompt = formatPrompt(spec);
    const [a, b] = [shifted(spec, seed * 1000 + 2 * i), shifted(spec, seed * 1000 + 2 * i + 1)];
    return { prompt, a: a.data, b: b.data, label: taste.score(a, prompt) > taste.score(b, prompt) ? 1 : 0 };
  });
}

describe('critic', () => {
  const config = criticConfig(tinyShape, tinyConfig.vocab.slice(2));

  it('learns a taste no prompt word names from 128 pairs through its descriptor, where pixels alone do not carry to new pairs (97 % vs 56 % measured)', async () => {
    const train = centredPairs(trainingSpecs(), 128, 11);
    const heldOut = centredPairs(heldOutSpecs(), 96, 12);
    const agreementOf = async (descriptors: boolean) => {
      const critic = new Critic(criticConfig(tinyShape, tinyConfig.vocab.slice(2), {}, descriptors), 3);
      await critic.train(train, { steps: 150, seed: 4 });
      const { agreement } = await critic.agreement(heldOut);
      critic.dispose();
      return agreement;
    };
    const withDescriptor = await agreementOf(true);
    const pixelsOnly = await agreementOf(false);
    expect(withDescriptor).toBeGreaterThanOrEqual(0.8);
    expect(withDescriptor - pixelsOnly).toBeGreaterThan(0.1);
  });

  it('learns a planted, prompt-dependent colour preference to ≥ 85 % held-out agreement (94 % measured, from 47 %)', async () => {
    const train = colourPairs(trainingSpecs(), 192, 1, 0);
    // Held out: prompt combinations never trained on, seeds from the evaluation range.
    const heldOut = colourPairs(heldOutSpecs(), 96, 2, HELD_OUT_SEED_BASE);
    const critic = new Critic(config, 3);
    const before = await critic.agreement(heldOut);
    const losses = await critic.train(train, { steps: 240, batchSize: 16, lr: 5e-3, seed: 4 });
    const after = await critic.agreement(heldOut);
    expect(after.count).toBeGreaterThan(60);
    expect(after.agreement).toBeGreaterThanOrEqual(0.85);
    expect(after.agreement - before.agreement).toBeGreaterThan(0.2);
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    expect(mean(losses.slice(-25))).toBeLessThan(mean(losses.slice(0, 25)));
    // Confident where it is right: mean confidence well above a coin's.
    expect(after.meanConfidence).toBeGreaterThan(0.7);
    // judge() agrees with judgeMany() and answers in seed order.
    const e = heldOut.find((x) => x.label === 1)!;
    const v = await critic.judge(e.prompt, e.a, e.b);
    expect(v.confidence).toBeCloseTo(Math.max(v.probability0, 1 - v.probability0), 9);
    expect((await critic.judge(e.prompt, e.b, e.a)).probability0).toBeCloseTo(1 - v.probability0, 4);
    // Plain-data persistence gives the same verdicts.
    const restored = Critic.fromJSON(JSON.parse(JSON.stringify(critic.toJSON())));
    expect((await restored.judge(e.prompt, e.a, e.b)).probability0).toBeCloseTo(v.probability0, 6);
    critic.dispose();
    restored.dispose();
  });

  it('trains on session judgments: ties as half wins, both-bad and skips left out', async () => {
    const s = plantedSession(TRAIN_PROMPTS, 2, 31, { decisions: (_, k) => (['prefer-clean', 'tie', 'both-bad', 'skip'] as const)[k % 4] });
    const examples = criticExamples(s.pairs, s.judgments, s.store);
    expect(examples.map((e) => e.label).sort()).toEqual([0.5, 0.5, ...examples.filter((e) => e.label !== 0.5).map((e) => e.label)].sort());
    expect(examples).toHaveLength(4); // 2 strict + 2 ties out of 8
    const critic = new Critic(config, 5);
    const tensors = tf.memory().numTensors;
    expect(await critic.train(examples, { steps: 3 })).toHaveLength(3);
    await critic.judgeMany(examples);
    expect(tf.memory().numTensors).toBe(tensors); // training and judging release every intermediate
    await expect(critic.train([], { steps: 1 })).rejects.toThrow(/no judgments to learn from/);
    await expect(new Critic(criticConfig({ frames: 4, height: 16, width: 16 }, ['a']), 1).judge('a red circle moves left', s.store.values().next().value!, s.store.values().next().value!)).rejects.toThrow(/"red" is not in its vocabulary/);
    critic.dispose();
  });
});
