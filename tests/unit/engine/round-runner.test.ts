import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { useWasmBackend } from '../../../src/engine/tf-node';
import { forward } from '../../../src/model/dit';
import { tokenizeBatch } from '../../../src/model/tokenizer';
import { gaussianNoise } from '../../../src/diffusion/noise';
import { Policy } from '../../../src/engine/policy';
import { runRound } from '../../../src/engine/round-runner';
import { samplePairVideos } from '../../../src/engine/sample-pairs';
import { runOnlineRound } from '../../../src/engine/online-round';
import { preferredVideo } from '../../../src/prefs/judgments';
import { routeVerdicts, simulatedLabeller, tasteLabeller, type Labeller } from '../../../src/prefs/online';
import { createSimulatedAnnotator } from '../../../src/world/annotator';
import { makeRng } from '../../../src/world/rng';
import { render } from '../../../src/world/render';
import { builtinTaste } from '../../../src/world/tastes';
import { completedRounds, nextRoundIndex, roundHyper, unusedJudgments, validateHyper } from '../../../src/prefs/rounds';
import { planPairs } from '../../../src/prefs/pairs';
import type { Judgment, Pair, RoundRecord } from '../../../src/prefs/types';
import { maxAbsDiff, paramsDiff, plantedSession, tinyConfig as config, tinyParams, TRAIN_PROMPTS } from '../fixtures/prefs';

beforeAll(async () => {
  await useWasmBackend();
});

const hyper = roundHyper({ steps: 4, batchSize: 2, lr: 5e-3, beta: 500, sftWeight: 0.1, lora: { rank: 2, alpha: 2 } });

/** A session of `rounds` planted sessions (one per round), all judgments available up front. */
function sessionData(seeds: number[]) {
  const pairs: Pair[] = [];
  const judgments: Judgment[] = [];
  const store = new Map<string, Float32Array>();
  for (const seed of seeds) {
    const s = plantedSession(TRAIN_PROMPTS, 1, seed);
    pairs.push(...s.pairs);
    judgments.push(...s.judgments);
    for (const [k, v] of s.store) store.set(k, v);
  }
  return { pairs, judgments, store };
}

/** Run rounds one after the other as the studio does: each trains on the judgments not used yet. */
async function runRounds(policy: Policy, data: ReturnType<typeof sessionData>, count: number, rounds: RoundRecord[] = [], overrides: Partial<typeof hyper> = {}) {
  for (let k = 0; k < count; k++) {
    // The studio labels a fresh batch per round; here round k gets the k-th planted session.
    const perRound = TRAIN_PROMPTS.length;
    const done = completedRounds(rounds).length;
    const judgments = data.judgments.slice(0, (done + 1) * perRound);
    rounds.push(await runRound({ config, policy, rounds, pairs: data.pairs, judgments, store: data.store, hyper: { ...hyper, ...overrides }, now: () => new Date('2025-01-02T00:00:00Z') }));
  }
  return rounds;
}

function probeOutput(params: Map<string, tf.Tensor>) {
  const { frames: f, height: h, width: w } = config;
  return tf.tidy(() => {
    const x = tf.tensor5d(gaussianNoise(5, 2 * f * h * w * 3), [2, f, h, w, 3]);
    const ids = tf.tensor2d(tokenizeBatch(['a red circle moves left', 'a green square grows'], config), [2, config.maxTextLength], 'int32');
    return forward(params, config, x, tf.fill([2, f], 0.6) as tf.Tensor2D, ids);
  });
}

describe('round records', () => {
  it('a completed round records its settings, judgments, per-step metrics, timings and LoRA, and is merged', async () => {
    const policy = new Policy(config, tinyParams());
    const data = sessionData([11, 12]);
    const tensors = tf.memory().numTensors;
    const [r1] = await runRounds(policy, data, 1);
    // The only tensors a round leaves behind are the merged policy's adapted weights.
    expect(tf.memory().numTensors - tensors).toBe(Object.keys(r1.lora!.modules).length);
    expect(r1.status).toBe('completed');
    expect(r1.index).toBe(1);
    expect(r1.judgmentIds).toEqual(data.judgments.slice(0, 4).map((j) => j.id));
    expect(r1.examples).toBe(4);
    expect(r1.metrics).toHaveLength(4);
    expect(Object.keys(r1.metrics[0]).sort()).toEqual(['gradNorm', 'implicitAccuracy', 'loss', 'lr', 'ms', 'preferenceLoss', 'rewardMargin', 'sftLoss', 'step']);
    expect(r1.timings.finishedAt).not.toBeNull();
    expect(r1.timings.msPerStep).toBeGreaterThan(0);
    expect(r1.lora!.rank).toBe(2);
    expect(Object.keys(r1.lora!.modules)).toHaveLength(12 * config.numLayers);
    expect(policy.round).toBe(1);
    const [adapted, base] = [probeOutput(policy.params), probeOutput(policy.base)];
    expect(maxAbsDiff(adapted, base)).toBeGreaterThan(1e-6);
    tf.dispose([adapted, base]);
    // Plain data: a JSON round trip is lossless.
    expect(JSON.parse(JSON.stringify(r1))).toEqual(r1);
    // The judgments it used are not offered to the next round.
    expect(unusedJudgments(data.judgments, [r1]).map((j) => j.id)).toEqual(data.judgments.slice(4).map((j) => j.id));
    policy.reset();
    expect(tf.memory().numTensors).toBe(tensors);
  });

  it('cancel: the record says so, the policy is unchanged, and its judgments stay available', async () => {
    const policy = new Policy(config, tinyParams());
    const data = sessionData([13]);
    const before = probeOutput(policy.params);
    let steps = 0;
    const record = await runRound({ config, policy, rounds: [], ...data, hyper, onStep: () => steps++, shouldCancel: () => steps >= 1 });
    expect(record.status).toBe('cancelled');
    expect(record.lora).toBeNull();
    expect(record.note).toMatch(/Cancelled after 1 of 4 steps; the policy is unchanged/);
    expect(policy.round).toBe(0);
    expect(maxAbsDiff(probeOutput(policy.params), before)).toBe(0);
    expect(unusedJudgments(data.judgments, [record])).toHaveLength(data.judgments.length);
    expect(nextRoundIndex([record])).toBe(2); // a cancelled round's index is not reused
  });

  it('reference choice: "previous" starts round 2 at log 2 (policy = reference); "base" does not', async () => {
    const data = sessionData([14, 15]);
    const previous = new Policy(config, tinyParams());
    const roundsPrev = await runRounds(previous, data, 2);
    expect(roundsPrev[1].metrics[0].preferenceLoss).toBeCloseTo(Math.log(2), 6);
    expect(roundsPrev[1].metrics[0].rewardMargin).toBe(0);
    const base = new Policy(config, tinyParams());
    const roundsBase = await runRounds(base, data, 1);
    await runRounds(base, data, 1, roundsBase, { reference: 'base' });
    expect(roundsBase[1].hyper.reference).toBe('base');
    // Round 1's LoRA is merged into the policy but not into the base reference: z ≠ 0 at step 1.
    expect(Math.abs(roundsBase[1].metrics[0].rewardMargin)).toBeGreaterThan(1e-4);
  });

  it('resume after a reload: the policy rebuilt from the (JSON) records is the same, and the next round is identical', async () => {
    const data = sessionData([16, 17, 18]);
    const live = new Policy(config, tinyParams());
    const rounds = await runRounds(live, data, 2);
    const reloaded = new Policy(config, tinyParams());
    const stored: RoundRecord[] = JSON.parse(JSON.stringify(rounds));
    reloaded.restore(stored);
    expect(reloaded.round).toBe(2);
    expect(paramsDiff(reloaded.params, live.params)).toBe(0);
    const [next] = (await runRounds(reloaded, data, 1, stored)).slice(2);
    const [liveNext] = (await runRounds(live, data, 1, rounds)).slice(2);
    expect(next.index).toBe(3);
    expect(next.lora).toEqual(liveNext.lora);
    // A policy that is out of step with the records refuses to train.
    await expect(runRound({ config, policy: new Policy(config, tinyParams()), rounds, ...data, hyper })).rejects.toThrow(/restore the policy/);
  });

  it('k rounds of rank r: base + the exported rank k·r LoRA equals the merged weights within 1e-5', async () => {
    const data = sessionData([19, 20, 21]);
    const policy = new Policy(config, tinyParams());
    await runRounds(policy, data, 3);
    const cumulative = policy.cumulativeLora();
    expect(cumulative.rank).toBe(3 * 2);
    expect(cumulative.alpha).toBe(6); // scale 1: the rounds' scales are folded into lora_A
    let worst = 0;
    for (const [name, m] of cumulative.modules) {
      worst = Math.max(worst, tf.tidy(() => {
        // ΔW (PyTorch layout [out, in]) = B [out, r] · A [r, in]; memory layout is its transpose.
        const delta = tf.matMul(tf.tensor2d(m.loraB, [m.outFeatures, m.rank]), tf.tensor2d(m.loraA, [m.rank, m.inFeatures]));
        return maxAbsDiff(tf.add(policy.base.get(`${name}.weight`)!, tf.transpose(delta)), policy.params.get(`${name}.weight`)!);
      }));
    }
    expect(worst).toBeLessThan(1e-5);
    // …and the rounds did change the weights, so the comparison is not between two copies of the base.
    expect(paramsDiff(policy.params, policy.base)).toBeGreaterThan(1e-4);
  });

  it('nothing to train on: an error that counts what there is and says what to do', async () => {
    const policy = new Policy(config, tinyParams());
    const s = plantedSession(TRAIN_PROMPTS, 1, 22, { decisions: (_, k) => (k % 2 ? 'tie' : 'skip') });
    await expect(runRound({ config, policy, rounds: [], ...s, hyper })).rejects.toThrow(/Nothing to train on: 4 new judgment\(s\).*tie 2.*skip 2.*Rank more pairs/);
    // Both-bad judgments do train KTO (as undesirable), not DPO.
    const bad = plantedSession(TRAIN_PROMPTS, 1, 23, { decisions: () => 'both-bad' });
    await expect(runRound({ config, policy, rounds: [], ...bad, hyper })).rejects.toThrow(/none usable for DPO/);
    const kto = await runRound({ config, policy, rounds: [], ...bad, hyper: { ...hyper, method: 'kto' } });
    expect(kto.status).toBe('completed');
    expect(kto.examples).toBe(8);
  });
});

describe('round settings', () => {
  it('validation names the field and the valid range', () => {
    expect(() => validateHyper(roundHyper({ beta: -1 }))).toThrow(/beta = -1 is invalid; it must be a positive number/);
    expect(() => validateHyper(roundHyper({ lora: { rank: 0 } }))).toThrow(/lora.rank = 0/);
    expect(() => validateHyper(roundHyper({ reference: 'other' as 'base' }))).toThrow(/"previous" or "base"/);
    expect(() => validateHyper(roundHyper({ tMean: 5 }))).toThrow(/tMean = 5 is invalid/);
    expect(() => validateHyper(roundHyper({ tMean: Number.NaN }))).toThrow(/tMean/);
    expect(() => validateHyper(roundHyper())).not.toThrow();
  });
});

describe('on-policy pairs', () => {
  it('samples both videos of every pair from the policy with the pair’s seeds (deterministic)', async () => {
    const params = tinyParams();
    const pairs = planPairs({ prompts: ['a red circle moves left', 'a blue square grows'], pairsPerPrompt: 2, round: 0, seed: 3, sampler: { steps: 2, guidance: 2 }, firstFrame: true });
    const store = new Map<string, Float32Array>();
    const progress: number[] = [];
    expect(await samplePairVideos(config, params, pairs, store, { pairsPerBatch: 3, onProgress: (d) => progress.push(d) })).toBe(4);
    expect(progress).toEqual([3, 4]);
    expect(store.size).toBe(8);
    const again = new Map<string, Float32Array>();
    await samplePairVideos(config, params, pairs.slice(1, 2), again);
    expect(Array.from(again.get(pairs[1].videoIds[1])!)).toEqual(Array.from(store.get(pairs[1].videoIds[1])!));
    // Two seeds, two videos; first frames pinned to the same given frame.
    const [a, b] = pairs[0].videoIds.map((id) => store.get(id)!);
    const frame = config.height * config.width * 3;
    expect(maxAbsDiff(tf.tensor(a), tf.tensor(b))).toBeGreaterThan(0);
    expect(Array.from(a.subarray(0, frame))).toEqual(Array.from(b.subarray(0, frame)));
  });

  it("samples each pair with its own solver: a batch never mixes solvers, and a dpm++2m pair equals the same pair sampled alone", async () => {
    const params = tinyParams();
    const plan = (solver?: 'euler' | 'dpm++2m') => planPairs({ prompts: ['a red circle moves left'], pairsPerPrompt: 1, round: 0, seed: 5, sampler: { steps: 3, guidance: 2, ...(solver ? { solver } : {}) }, idPrefix: solver ?? 'default' });
    const [euler, dpm] = [plan(), plan('dpm++2m')].map((p) => p[0]);
    const together = new Map<string, Float32Array>();
    const progress: number[] = [];
    await samplePairVideos(config, params, [euler, dpm], together, { pairsPerBatch: 4, onProgress: (d) => progress.push(d) });
    expect(progress).toEqual([1, 2]); // two sampler calls: the solvers differ
    const alone = new Map<string, Float32Array>();
    await samplePairVideos(config, params, [dpm], alone);
    expect(Array.from(together.get(dpm.videoIds[0])!)).toEqual(Array.from(alone.get(dpm.videoIds[0])!));
    // Same seeds, another solver: not the same numbers (an ignored solver would give Euler's exactly).
    expect(Array.from(together.get(dpm.videoIds[0])!)).not.toEqual(Array.from(together.get(euler.videoIds[0])!));
  });
});

describe('online mode', () => {
  const fakeCritic = (confidence: (k: number) => number): Labeller => ({
    name: 'critic', kind: 'critic',
    // Prefers the smoother video (smaller mean |frame difference|), as sure as `confidence` says.
    label: async (pairs, store) => pairs.map((p, k) => {
      const roughness = (v: Float32Array) => v.reduce((a, x, i) => (i >= 768 ? a + Math.abs(x - v[i - 768]) : a), 0);
      const [r0, r1] = p.videoIds.map((id) => roughness(store.get(id)!));
      return { preferred: r0 <= r1 ? 0 : 1, confidence: confidence(k) };
    }),
  });

  it('routes verdicts: confident ones become judgments with the labeller recorded, unsure pairs are queued', () => {
    const pairs = planPairs({ prompts: TRAIN_PROMPTS, pairsPerPrompt: 1, round: 0, seed: 1, sampler: { steps: 2, guidance: 1 } });
    const verdicts = [{ preferred: 0, confidence: 0.9 }, { preferred: 1, confidence: 0.6 }, { preferred: null, confidence: 1 }, { preferred: 1, confidence: 0.75 }] as const;
    const { judgments, queued } = routeVerdicts(pairs, verdicts.map((v) => ({ ...v })), { name: 'critic', kind: 'critic' }, { threshold: 0.7, round: 1, rng: makeRng(1) });
    expect(queued.map((p) => p.id)).toEqual([pairs[1].id]);
    expect(judgments.map((j) => [j.pairId, preferredVideo(j), j.decision === 'tie', j.annotatorKind, j.confidence])).toEqual([
      [pairs[0].id, 0, false, 'critic', 0.9], [pairs[2].id, null, true, 'critic', 1], [pairs[3].id, 1, false, 'critic', 0.75],
    ]);
  });

  it('samples on-policy pairs, labels them on the fly and trains at once; low-confidence pairs wait for people', async () => {
    const policy = new Policy(config, tinyParams());
    const store = new Map<string, Float32Array>();
    const phases = new Set<string>();
    const result = await runOnlineRound({
      config, policy, rounds: [], pairs: [], judgments: [], store, hyper, prompts: TRAIN_PROMPTS, pairsPerPrompt: 2,
      sampler: { steps: 2, guidance: 1 }, labeller: fakeCritic((k) => (k % 4 === 3 ? 0.55 : 0.9)), confidenceThreshold: 0.7,
      onProgress: (phase) => phases.add(phase),
    });
    expect(result.pairs).toHaveLength(8);
    expect(result.pairs.every((p) => p.round === 0 && store.has(p.videoIds[0]) && store.has(p.videoIds[1]))).toBe(true);
    expect(result.queued.map((p) => p.id)).toEqual([result.pairs[3].id, result.pairs[7].id]);
    expect(result.judgments).toHaveLength(6);
    expect(result.record!.status).toBe('completed');
    expect(result.record!.hyper.method).toBe('online');
    expect(result.record!.judgmentIds.sort()).toEqual(result.judgments.map((j) => j.id).sort());
    expect(policy.round).toBe(1);
    expect([...phases]).toEqual(['sample', 'train']);
    // Nothing confident: no training, every pair queued.
    const none = await runOnlineRound({
      config, policy, rounds: [result.record!], pairs: result.pairs, judgments: result.judgments, store, hyper, prompts: TRAIN_PROMPTS.slice(0, 1),
      pairsPerPrompt: 2, sampler: { steps: 2, guidance: 1 }, labeller: fakeCritic(() => 0.5), confidenceThreshold: 0.7,
    });
    expect(none.record).toBeNull();
    expect(none.queued).toHaveLength(2);
    expect(none.pairs.every((p) => p.round === 1)).toBe(true);
    expect(policy.round).toBe(1);
  });

  it('the simulated annotator labels with full confidence, ties included', async () => {
    const s = plantedSession(TRAIN_PROMPTS, 1, 40);
    const labeller = simulatedLabeller(createSimulatedAnnotator({ noise: 0, tieRate: 0, seed: 1 }), { frames: config.frames, height: config.height, width: config.width });
    const verdicts = await labeller.label(s.pairs, s.store);
    expect(verdicts.every((v) => v.confidence === 1)).toBe(true);
    // It sees the planted noise: prefers the clean render.
    expect(verdicts.filter((v, i) => v.preferred === s.clean.get(s.pairs[i].id)).length).toBeGreaterThanOrEqual(3);
  });

  it('a simulated person with a taste labels by that taste, in units of the batch\'s spread', async () => {
    const shape = { frames: config.frames, height: config.height, width: config.width };
    const store = new Map<string, Float32Array>();
    const pairs = planPairs({ prompts: ['a red square grows', 'a blue circle moves left', 'a green triangle rotates', 'a red circle bounces'], pairsPerPrompt: 4, round: 0, seed: 3, sampler: { steps: 1, guidance: 1 } });
    // Video 0 of every pair is the "small" render, video 1 the "big" one, at the pair's seeds.
    for (const p of pairs) p.videoIds.forEach((id, v) => store.set(id, render(`a ${v ? 'big' : 'small'} ${p.prompt.slice(2)}`, p.seeds[v], shape).data));
    const big = await tasteLabeller(builtinTaste('big'), shape, 1).label(pairs, store);
    expect(big.filter((v) => v.preferred === 1).length).toBeGreaterThanOrEqual(14);
    const centred = tasteLabeller(builtinTaste('centred'), shape, 1);
    expect(centred.name).toBe('simulated (centred)');
  });
});
