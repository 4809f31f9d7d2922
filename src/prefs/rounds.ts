// Rounds as data: default hyper-parameters (one place), their validation, and the bookkeeping of
// a session's round list — which rounds make up the policy, what the next round is, which
// judgments a round may train on. IPO's loop: generate → label → train → merge → next round.
import { DEFAULT_LORA_TARGETS } from '../model/lora-targets';
import type { Judgment, RoundHyperParameters, RoundRecord, StepMetrics } from './types';

/**
 * Defaults for a round, chosen on tastes (docs/tastes.md): `npm run bench:loop` on `small-p8`,
 * 128 on-policy pairs a round labelled by a simulated person (noise 0.3, tie margin 0.1 of the
 * taste's std), round 1's win rate vs base on 64 held-out items, and its taste shift in std:
 *
 *   taste     lr 1e-3            lr 3e-3            lr 3e-3, t-mean 1
 *   lively    56.3 %, +0.05      64.8 %, +0.09      65.6 %, +0.11
 *   big       100 %,  +0.93      100 %,  +1.56      –
 *   centred   57.8 %, +0.05      70.3 %, +0.15      –
 *   smooth    (see docs)         46.9 %, −0.02      –
 *
 * lr 3e-3 moved every taste that moved at all further, with β 2000, 200 steps, batch 8, rank 4,
 * SFT 0.25; a noise focus on high t (t-mean 1) added nothing on `lively` but more regressions.
 * (The earlier defaults were chosen on the world's quality score, where the base sits at its
 * ceiling and every setting scored ~50 %: docs/history.md §5.) β is on the per-element-MSE
 * scale (docs/architecture.md §4).
 */
export const DEFAULT_ROUND_HYPER: Readonly<RoundHyperParameters> = {
  method: 'dpo',
  beta: 2000,
  lr: 3e-3,
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

/**
 * KTO keeps the learning rate it had before the taste sweep: at DPO's new 3e-3 one KTO round on
 * `lively` (small-p8, 128 pairs) won 79.7 % but broke every prompt-alignment metric beyond noise
 * (colour, shape, action, object found: `regressions` in docs/tastes.md). Not swept further.
 */
export const DEFAULT_KTO_LR = 1e-3;

/**
 * Online rounds: a labeller's verdict below this confidence is left for people. One value for the
 * studio and bench:loop (they had drifted to 0.7 and 0.75); not yet swept on tastes.
 */
export const DEFAULT_ONLINE_CONFIDENCE = 0.75;

/** Defaults overridden field by field (lora merged one level deep); KTO gets its own default β. */
export function roundHyper(overrides: Partial<Omit<RoundHyperParameters, 'lora'>> & { lora?: Partial<RoundHyperParameters['lora']> } = {}): RoundHyperParameters {
  const { lora, ...rest } = overrides;
  const kto = overrides.method === 'kto';
  const beta = overrides.beta ?? (kto ? DEFAULT_KTO_BETA : DEFAULT_ROUND_HYPER.beta);
  const lr = overrides.lr ?? (kto ? DEFAULT_KTO_LR : DEFAULT_ROUND_HYPER.lr);
  return { ...DEFAULT_ROUND_HYPER, ...rest, beta, lr, lora: { ...DEFAULT_ROUND_HYPER.lora, targetModules: [...DEFAULT_ROUND_HYPER.lora.targetModules], ...lora } };
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
