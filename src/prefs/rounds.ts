// Rounds as data: default hyper-parameters (one place), their validation, and the bookkeeping of
// a session's round list — which rounds make up the policy, what the next round is, which
// judgments a round may train on. IPO's loop: generate → label → train → merge → next round.
import { DEFAULT_LORA_TARGETS } from '../model/lora-targets';
import type { Judgment, RoundHyperParameters, RoundRecord, StepMetrics } from './types';

/**
 * Defaults for a round, from `npm run bench:loop` on the pretrained `small` (step 11,400; one
 * round of 64 on-policy pairs labelled by the simulated annotator, win rate of round 1 vs base on
 * 64 held-out prompts with the same seeds; README "Preference rounds (engine)"):
 *   β 500,  lr 5e-3, 60 steps   41.4 % [34.7, 48.2]  — worse than the base: the adapter drifts
 *   β 500,  lr 1e-3, 60 steps   49.2 % [45.1, 53.3]  (the same without the SFT term)
 *   β 2000, lr 1e-3, 60 steps   49.2 % [45.8, 52.7]
 *   β 2000, lr 1e-3, 200 steps  52.3 % [47.8, 56.9]  subject consistency +0.018 (2σ), flicker −0.004 (3σ)
 *   β 2000, lr 1e-3, 120 steps, 128 pairs  50.8 % [46.7, 54.9]
 * So lr 1e-3 (5e-3 moves the policy away from what people liked), β 2000 (the stronger pull to
 * the reference), 200 steps (the only setting that measurably improved anything). β is on the
 * per-element-MSE scale (DESIGN §4).
 * On the shipped base (23,500) with 256 pairs a round, β 250–2000, lr 3e-3, 400 steps, a tie-prone
 * annotator, LoRA on the MLPs and rank 16 all stayed within 42–53 %, none better than these beyond noise
 * (README, session 6), so they stand.
 */
export const DEFAULT_ROUND_HYPER: Readonly<RoundHyperParameters> = {
  method: 'dpo',
  beta: 2000,
  lr: 1e-3,
  steps: 200,
  batchSize: 8,
  warmupSteps: 5,
  clipNorm: 1,
  sftWeight: 0.25,
  tMean: 0,
  ktoDesirableWeight: 1,
  ktoUndesirableWeight: 1,
  reference: 'previous',
  lora: { rank: 4, alpha: 4, dropout: 0, targetModules: [...DEFAULT_LORA_TARGETS] },
  seed: 1,
};

/**
 * KTO's default β, far below DPO's. Its loss λ·(1 − σ(β·s·(g − z0))) has no gradient once
 * |β·(g − z0)| ≫ 1, so at DPO's β a round collapses into making every sample worse: undesirable
 * samples reach loss 0, desirable ones saturate at loss λ with zero gradient. On the tiny model's
 * planted preference (tests/unit/engine/train-round.test.ts) held-out implicit accuracy after 25 steps is 0.95
 * at β = 20 and 0.15 at β = 500 (0.05–0.2 at β ∈ {50, 500} for other lr and step counts).
 */
export const DEFAULT_KTO_BETA = 20;

/** Defaults overridden field by field (lora merged one level deep); KTO gets its own default β. */
export function roundHyper(overrides: Partial<Omit<RoundHyperParameters, 'lora'>> & { lora?: Partial<RoundHyperParameters['lora']> } = {}): RoundHyperParameters {
  const { lora, ...rest } = overrides;
  const beta = overrides.beta ?? (overrides.method === 'kto' ? DEFAULT_KTO_BETA : DEFAULT_ROUND_HYPER.beta);
  return { ...DEFAULT_ROUND_HYPER, ...rest, beta, lora: { ...DEFAULT_ROUND_HYPER.lora, targetModules: [...DEFAULT_ROUND_HYPER.lora.targetModules], ...lora } };
}

/** Throws an Error naming the field, its value and the valid range. */
export function validateHyper(h: RoundHyperParameters): void {
  const fail = (field: string, value: unknown, want: string): never => {
    throw new Error(`Round settings: ${field} = ${JSON.stringify(value)} is invalid; it must be ${want}.`);
  };
  if (!['dpo', 'kto', 'online'].includes(h.method)) fail('method', h.method, '"dpo", "kto" or "online"');
  if (!(h.beta > 0 && Number.isFinite(h.beta))) fail('beta', h.beta, 'a positive number (typically 500–5000 on the per-element MSE scale)');
  if (!(h.lr > 0 && h.lr < 1)) fail('lr', h.lr, 'in (0, 1), e.g. 1e-3');
  if (!(Number.isInteger(h.steps) && h.steps >= 1)) fail('steps', h.steps, 'a positive integer');
  if (!(Number.isInteger(h.batchSize) && h.batchSize >= 1)) fail('batchSize', h.batchSize, 'a positive integer');
  if (!(Number.isInteger(h.warmupSteps) && h.warmupSteps >= 0)) fail('warmupSteps', h.warmupSteps, 'a non-negative integer');
  if (!(h.clipNorm >= 0)) fail('clipNorm', h.clipNorm, '≥ 0 (0 turns clipping off)');
  if (!(Number.isFinite(h.tMean) && Math.abs(h.tMean) <= 3)) fail('tMean', h.tMean, 'a number in [−3, 3] (0: all noise levels; 1: mostly high noise)');
  if (!(h.sftWeight >= 0)) fail('sftWeight', h.sftWeight, '≥ 0 (0 turns the SFT regulariser off)');
  if (!(h.ktoDesirableWeight >= 0 && h.ktoUndesirableWeight >= 0)) fail('kto weights', [h.ktoDesirableWeight, h.ktoUndesirableWeight], '≥ 0');
  if (h.reference !== 'previous' && h.reference !== 'base') fail('reference', h.reference, '"previous" or "base"');
  if (!(Number.isInteger(h.lora.rank) && h.lora.rank >= 1)) fail('lora.rank', h.lora.rank, 'a positive integer');
  if (!(h.lora.alpha > 0)) fail('lora.alpha', h.lora.alpha, 'positive');
  if (!(h.lora.dropout >= 0 && h.lora.dropout < 1)) fail('lora.dropout', h.lora.dropout, 'in [0, 1)');
  if (!Array.isArray(h.lora.targetModules) || h.lora.targetModules.length === 0) fail('lora.targetModules', h.lora.targetModules, 'a non-empty list of module suffixes');
}

/** Completed rounds in order: together they are the current policy. */
export function completedRounds(rounds: readonly RoundRecord[]): RoundRecord[] {
  return rounds.filter((r) => r.status === 'completed' && r.lora !== null).sort((a, b) => a.index - b.index);
}

/** Index of the next round (cancelled and failed rounds leave their index unused). */
export function nextRoundIndex(rounds: readonly RoundRecord[]): number {
  return rounds.reduce((m, r) => Math.max(m, r.index), 0) + 1;
}

/** The judgments a new round has not trained on yet (each judgment trains once, as in IPO). */
export function unusedJudgments<J extends Judgment>(judgments: readonly J[], rounds: readonly RoundRecord[]): J[] {
  const used = new Set(completedRounds(rounds).flatMap((r) => r.judgmentIds));
  return judgments.filter((j) => !used.has(j.id));
}

/** A fresh record in state `running`. */
export function startRoundRecord(index: number, hyper: RoundHyperParameters, judgmentIds: string[], examples: number, now = new Date()): RoundRecord {
  return {
    index, status: 'running', hyper, judgmentIds, examples, metrics: [],
    timings: { startedAt: now.toISOString(), finishedAt: null, seconds: 0, msPerStep: 0 }, lora: null,
  };
}

/** Mean of each metric over the last `window` steps (the round history's summary line). */
export function summariseMetrics(metrics: readonly StepMetrics[], window = 10): Pick<StepMetrics, 'loss' | 'implicitAccuracy' | 'rewardMargin' | 'gradNorm'> {
  const tail = metrics.slice(-window);
  const mean = (k: keyof StepMetrics) => (tail.length ? tail.reduce((a, m) => a + m[k], 0) / tail.length : NaN);
  return { loss: mean('loss'), implicitAccuracy: mean('implicitAccuracy'), rewardMargin: mean('rewardMargin'), gradNorm: mean('gradNorm') };
}
