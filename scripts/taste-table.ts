/**
 * The taste table from bench:loop JSON files (one per taste, as scripts/sweep-tastes.sh writes
 * them), as markdown: per taste, variant and round — win rate vs base with its 95 % interval,
 * taste shift in base-std units, regressions, human labels so far, seconds.
 *   npm run taste-table -- DIR_OR_JSON [...] [--label NAME]
 */
import fs from 'node:fs';
import path from 'node:path';

interface Round {
  round: number; win_rate: number; ci: [number, number]; taste_shift: { mean: number; se: number }; regressions: string[];
  implicit_accuracy: number; seconds: number; cost: { human_labels: number; ms_per_step: number }; critic_label_accuracy?: number;
}
interface Report { settings: { model: string; taste: string; pairs: number; first_frame?: boolean }; variants: Record<string, { rounds: Round[]; hyper: { beta: number; lr: number; steps: number; sftWeight: number; tMean: number } }> }

const files = process.argv.slice(2).flatMap((arg) =>
  fs.statSync(arg).isDirectory() ? fs.readdirSync(arg).filter((f) => f.endsWith('.json')).sort().map((f) => path.join(arg, f)) : [arg]);
if (files.length === 0) throw new Error('Give bench:loop JSON files or directories holding them.');

const pct = (x: number) => (100 * x).toFixed(1);
console.log('| model | taste | variant | settings | round | win rate vs base (95 % CI) | taste shift (std) | regressions | human labels | s/round |');
console.log('|---|---|---|---|---:|---|---:|---|---:|---:|');
for (const file of files) {
  const report = JSON.parse(fs.readFileSync(file, 'utf8')) as Report;
  const { model, taste, first_frame } = report.settings;
  for (const [variant, v] of Object.entries(report.variants)) {
    const h = v.hyper;
    const settings = `β ${h.beta}, lr ${h.lr}, ${h.steps} steps, SFT ${h.sftWeight}${h.tMean ? `, t-mean ${h.tMean}` : ''}${first_frame ? ', first frame' : ''}`;
    for (const r of v.rounds) {
      const critic = r.critic_label_accuracy === undefined ? '' : ` (critic labels ${pct(r.critic_label_accuracy)} % right)`;
      console.log(`| ${model} | ${taste} | ${variant}${critic} | ${settings} | ${r.round} | ${pct(r.win_rate)} % (${pct(r.ci[0])}–${pct(r.ci[1])}) | ${r.taste_shift.mean.toFixed(2)} ± ${r.taste_shift.se.toFixed(2)} | ${r.regressions.join(', ') || 'none'} | ${r.cost.human_labels} | ${r.seconds.toFixed(0)} |`);
    }
  }
}
