// bench:loop's per-round record (its JSON keys are the benchmark's interface: keep their names
// and meaning) and how it is printed.
import type { AggregateMetrics } from '../../../src/world/metrics';
import type { HeldOutScores } from './held-out';

export interface RoundResult extends HeldOutScores {
  round: number;
  seconds: number;
  cost: { pairs: number; examples: number; human_labels: number; critic_labels: number; queued: number; steps: number; sample_s: number; label_s: number; train_s: number; eval_s: number; ms_per_step: number };
  train: { loss: number; implicit_accuracy: number; reward_margin: number };
  /** Online rounds: the share of the critic's left/right labels that the noiseless taste agrees with. */
  critic_label_accuracy?: number;
}

const pct = (x: number) => (100 * x).toFixed(1);

/** One line a round, as it finishes. */
export function roundLine(variant: string, r: RoundResult): string {
  const critic = r.critic_label_accuracy === undefined ? '' : `, critic labels agree with the taste ${pct(r.critic_label_accuracy)} % (${r.cost.critic_labels} labels, ${r.cost.queued} queued)`;
  const c = r.cost;
  return `${variant} round ${r.round}: win ${pct(r.win_rate)} % [${pct(r.ci[0])}, ${pct(r.ci[1])}], taste shift ${r.taste_shift.mean.toFixed(2)} ± ${r.taste_shift.se.toFixed(2)} std, regressions: ${r.regressions.join(', ') || 'none'}, held-out implicit acc ${pct(r.implicit_accuracy)} %${critic}, ${r.seconds.toFixed(0)} s (sample ${c.sample_s.toFixed(0)}, label ${c.label_s.toFixed(1)}, train ${c.train_s.toFixed(0)} s at ${c.ms_per_step.toFixed(0)} ms/step)`;
}

/** The run's table: the base, then every variant's rounds. */
export function printTable(tasteName: string, variants: Record<string, { rounds: RoundResult[] }>, base: AggregateMetrics): void {
  const f3 = (x: number) => x.toFixed(3);
  console.log(`\n| taste | variant | round | win rate vs base (95 % CI) | taste shift (std) | held-out implicit acc | action acc | flicker ↓ | subject cons. | regressions | s/round |`);
  console.log('|---|---|---:|---|---:|---:|---:|---:|---:|---|---:|');
  console.log(`| ${tasteName} | base | 0 | – | – | – | ${f3(base.actionCorrect)} | ${f3(base.temporalFlicker)} | ${f3(base.subjectConsistency)} | – | – |`);
  for (const [name, v] of Object.entries(variants)) {
    for (const r of v.rounds) {
      console.log(`| ${tasteName} | ${name} | ${r.round} | ${pct(r.win_rate)} % (${pct(r.ci[0])}–${pct(r.ci[1])}) | ${r.taste_shift.mean.toFixed(2)} ± ${r.taste_shift.se.toFixed(2)} | ${pct(r.implicit_accuracy)} % | ${f3(r.metrics.actionCorrect)} | ${f3(r.metrics.temporalFlicker)} | ${f3(r.metrics.subjectConsistency)} | ${r.regressions.join(', ') || 'none'} | ${r.seconds.toFixed(0)} |`);
    }
  }
}
