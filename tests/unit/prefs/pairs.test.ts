import { describe, expect, it } from 'vitest';
import { bradleyTerryExamples, decisionCounts, dpoPreferences, ktoExamples, latestJudgments, pairLabels, preferredVideo } from '../../../src/prefs/judgments';
import { concatenateSnapshots, decodeSnapshot, encodeModule, float32ToBase64, base64ToFloat32 } from '../../../src/prefs/lora-data';
import { checkPair, throwingCheck } from '../../../src/prefs/check-records';
import { firstFrameOf, pairwiseJudgment, planPairs, pointwiseJudgment } from '../../../src/prefs/pairs';
import type { Decision, Judgment, LoraSnapshot, Pair, VideoIndex } from '../../../src/prefs/types';
import { render } from '../../../src/world/render';
import { HELD_OUT_SEED_BASE } from '../../../src/world/prompt';

const sampler = { steps: 8, guidance: 2 };
const pairs = planPairs({ prompts: ['a red circle moves left', 'A blue square grows.'], pairsPerPrompt: 3, round: 0, seed: 7, sampler, now: '2025-01-01T00:00:00.000Z' });

let n = 0;
function judge(pair: Pair, decision: Decision, leftWas: VideoIndex = 0, annotator = 'ann', at = `2025-01-01T00:00:${String(n).padStart(2, '0')}.000Z`): Judgment {
  return pairwiseJudgment({ id: `j${n++}`, pair, decision, leftWas, annotator, annotatorKind: 'human', round: 1, responseMs: 900, now: at });
}

describe('pairs', () => {
  it('plans pairsPerPrompt pairs per canonical prompt with two different training seeds', () => {
    expect(pairs).toHaveLength(6);
    expect(pairs[3].prompt).toBe('a blue square grows');
    for (const p of pairs) {
      expect(p.seeds[0]).not.toBe(p.seeds[1]);
      expect(Math.max(...p.seeds)).toBeLessThan(HELD_OUT_SEED_BASE);
      expect(p.videoIds).toEqual([`${p.id}:0`, `${p.id}:1`]);
    }
    expect(new Set(pairs.map((p) => p.id)).size).toBe(6);
    // Same options, same plan; another seed, other seeds.
    expect(planPairs({ prompts: ['a red circle moves left'], pairsPerPrompt: 1, round: 0, seed: 7, sampler }).map((p) => p.seeds)).toEqual([pairs[0].seeds]);
    expect(planPairs({ prompts: ['a red circle moves left'], pairsPerPrompt: 1, round: 0, seed: 8, sampler })[0].seeds).not.toEqual(pairs[0].seeds);
  });
  it('rejects unknown prompt words by name', () => {
    expect(() => planPairs({ prompts: ['a red circel moves left'], pairsPerPrompt: 1, round: 0, seed: 1, sampler })).toThrow(/circel/);
  });
  it('first-frame pairs carry a rendered frame 0 of their own prompt', () => {
    const [p] = planPairs({ prompts: ['a green triangle moves up'], pairsPerPrompt: 1, round: 2, seed: 1, sampler, firstFrame: true });
    const shape = { frames: 4, height: 16, width: 16 };
    const frame = firstFrameOf(p, shape)!;
    expect(frame).toHaveLength(16 * 16 * 3);
    expect(Array.from(frame)).toEqual(Array.from(render(p.prompt, (p.firstFrame as { seed: number }).seed, shape).data.slice(0, 16 * 16 * 3)));
    expect(firstFrameOf(pairs[0], shape)).toBeNull();
    expect(() => firstFrameOf({ ...p, firstFrame: { kind: 'image', id: 'img-1' } }, shape, new Map())).toThrow(/img-1.*not in the video store/);
  });
  it('records survive a JSON round trip unchanged', () => {
    const j = judge(pairs[0], 'left', 1);
    expect(JSON.parse(JSON.stringify({ pairs, j }))).toEqual({ pairs, j });
  });
});

describe('judgments', () => {
  it('undo the side randomisation: the preferred video and labels are in seed order', () => {
    expect(preferredVideo({ decision: 'left', leftWas: 1 })).toBe(1);
    expect(preferredVideo({ decision: 'right', leftWas: 1 })).toBe(0);
    expect(preferredVideo({ decision: 'tie', leftWas: 0 })).toBeNull();
    expect(pairLabels({ decision: 'right', leftWas: 0 })).toEqual([0, 1]);
    expect(pairLabels({ decision: 'tie', leftWas: 1 })).toEqual([0.5, 0.5]);
    expect(pairLabels({ decision: 'both-bad', leftWas: 1 })).toEqual([0, 0]);
    expect(pairLabels({ decision: 'skip', leftWas: 1 })).toBeNull();
  });

  const js = [
    judge(pairs[0], 'left', 1), // video 1 wins
    judge(pairs[1], 'right', 1), // video 0 wins
    judge(pairs[2], 'tie'),
    judge(pairs[3], 'both-bad'),
    judge(pairs[4], 'skip'),
    pointwiseJudgment({ id: 'thumb', pair: pairs[5], video: 1, desirable: true, annotator: 'ann', annotatorKind: 'human', round: 1, now: '2025-01-01T00:01:00.000Z' }),
  ];

  it('DPO takes strict preferences only: ties, both-bad and skips stay out', () => {
    const prefs = dpoPreferences(pairs, js);
    expect(prefs.map((p) => [p.pair.id, p.winner, p.loser])).toEqual([[pairs[0].id, 1, 0], [pairs[1].id, 0, 1]]);
  });
  it('KTO: winners desirable, losers undesirable, both-bad both undesirable, thumbs as given', () => {
    const ex = ktoExamples(pairs, js).map((e) => [e.pair.id, e.video, e.desirable]);
    expect(ex).toEqual([
      [pairs[0].id, 1, true], [pairs[0].id, 0, false],
      [pairs[1].id, 0, true], [pairs[1].id, 1, false],
      [pairs[3].id, 0, false], [pairs[3].id, 1, false],
      [pairs[5].id, 1, true],
    ]);
    expect(ktoExamples(pairs, js, { bothBadAsUndesirable: false })).toHaveLength(5);
  });
  it('Bradley–Terry: ties as half wins, both-bad and skips out', () => {
    expect(bradleyTerryExamples(pairs, js).map((e) => e.label0)).toEqual([0, 1, 0.5]);
  });
  it('a changed mind replaces the earlier judgment of the same annotator; other annotators count', () => {
    const first = judge(pairs[0], 'left', 0, 'ann', '2025-01-01T00:00:01.000Z');
    const changed = judge(pairs[0], 'right', 0, 'ann', '2025-01-01T00:00:05.000Z');
    const someoneElse = judge(pairs[0], 'left', 0, 'bob', '2025-01-01T00:00:02.000Z');
    expect(latestJudgments([changed, first, someoneElse]).map((j) => j.id)).toEqual([changed.id, someoneElse.id]);
    expect(dpoPreferences(pairs, [first, changed]).map((p) => p.winner)).toEqual([1]);
    expect(decisionCounts([first, changed, ...js])).toMatchObject({ left: 0, right: 2, tie: 1, 'both-bad': 1, skip: 1, thumbsUp: 1 }) // js[0] on pairs[0] is replaced by `changed`;
  });
});

describe('LoRA snapshots as data', () => {
  it('float32 ↔ base64 is exact', () => {
    const x = Float32Array.from([0, -1.5, Math.PI, 1e-30, -3.4e38]);
    expect(Array.from(base64ToFloat32(float32ToBase64(x)))).toEqual(Array.from(x));
    expect(() => base64ToFloat32('AAA')).toThrow(/corrupt/);
  });
  it('concatenating k rounds of rank r gives one rank k·r adapter with the same ΔW = Σ s_k·B_k·A_k', () => {
    // One module [out 3, in 2]; round 1 rank 1 α 2 (scale 2), round 2 rank 2 α 1 (scale ½).
    const snap = (rank: number, alpha: number, a: number[], b: number[]): LoraSnapshot => ({
      rank, alpha, targetModules: ['to_q'],
      modules: { 'm.to_q': encodeModule({ inFeatures: 2, outFeatures: 3, loraA: Float32Array.from(a), loraB: Float32Array.from(b) }) },
    });
    const r1 = snap(1, 2, [1, 2], [1, 0, -1]);
    const r2 = snap(2, 1, [1, 0, 0, 1], [1, 2, 3, 4, 5, 6]);
    const deltaOf = (s: LoraSnapshot) => {
      const m = decodeSnapshot(s).get('m.to_q')!;
      const scale = s.alpha / s.rank;
      return Array.from({ length: 6 }, (_, k) => {
        const [o, i] = [Math.floor(k / 2), k % 2];
        let sum = 0;
        for (let j = 0; j < s.rank; j++) sum += m.loraB[o * s.rank + j] * m.loraA[j * 2 + i];
        return scale * sum;
      });
    };
    const cumulative = concatenateSnapshots([r1, r2]);
    expect(cumulative.rank).toBe(3);
    expect(cumulative.alpha).toBe(3);
    const m = cumulative.modules.get('m.to_q')!;
    const asSnapshot: LoraSnapshot = { rank: 3, alpha: 3, targetModules: [], modules: { 'm.to_q': encodeModule(m) } };
    const expected = deltaOf(r1).map((d, k) => d + deltaOf(r2)[k]);
    deltaOf(asSnapshot).forEach((d, k) => expect(d).toBeCloseTo(expected[k], 6));
    expect(() => concatenateSnapshots([])).toThrow(/Run a round first/);
  });
});

describe('checkPair and the solver', () => {
  const [pair] = planPairs({ prompts: ['a red circle moves left'], pairsPerPrompt: 1, round: 0, seed: 1, sampler: { steps: 16, guidance: 2, solver: 'dpm++2m' } });
  it("keeps a pair's solver, takes a pair without one (made before it was a choice), refuses an unknown one", () => {
    expect(pair.sampler).toEqual({ steps: 16, guidance: 2, solver: 'dpm++2m' });
    expect(() => checkPair(pair, 'pair', throwingCheck)).not.toThrow();
    expect(() => checkPair({ ...pair, sampler: { steps: 24, guidance: 2 } }, 'pair', throwingCheck)).not.toThrow();
    expect(() => checkPair({ ...pair, sampler: { steps: 24, guidance: 2, solver: 'heun' } }, 'pair', throwingCheck)).toThrow(`pair "${pair.id}" names solver "heun" (expected one of euler, dpm++2m)`);
  });
});
