/**
 * What a taste costs the guarded world metrics among the base model's own samples:
 *   npx tsx scripts/diagnostics/taste-tradeoffs.ts [--model small-p8] [--tastes lively,big,centred,smooth,examples/tastes/bright.mjs] [--cache DIR]
 * For 256 pairs of base samples (two seeds of one prompt: bench:loop's critic warm-up pairs and its
 * first DPO round's, read from its sample cache), the difference in taste score (in units of the
 * taste's std over these videos) against the difference in each guarded metric: the correlation,
 * and the least-squares slope — the metric change that comes with a +0.5 std move of the taste
 * between two samples of one prompt. A round that moves the taste by preferring samples like the
 * preferred ones inherits that change, so where it is larger than a round's noise (2 s.e. of a
 * paired difference on 64 held-out items), "no regressions" conflicts with the taste itself.
 */
import { useWasmBackend } from '../../src/engine/tf-node';
import { GUARDED_METRICS } from '../../src/prefs/paired-stats';
import { videoMetrics } from '../../src/world/metrics';
import { parsePrompt } from '../../src/world/prompt';
import { tasteSpread } from '../../src/world/tastes';
import { pickShape } from '../../src/world/video';
import { parseArgs } from '../lib/args';
import { diagnosticBase } from '../lib/loop/base-pairs';
import { loadTaste, scoreOrThrow } from '../lib/taste-module';

const args = parseArgs(process.argv.slice(2), { model: 'small-p8', tastes: 'lively,big,centred,smooth,examples/tastes/bright.mjs', cache: '', seed: '1' });

async function main() {
  await useWasmBackend();
  const store = new Map<string, Float32Array>();
  const { config, warm, firstRound } = await diagnosticBase(args.model, args.cache, Number(args.seed), 128, store);
  const shape = pickShape(config);
  const pairs = [...warm, ...firstRound];
  const video = (p: (typeof pairs)[number], v: 0 | 1) => ({ ...shape, data: store.get(p.videoIds[v])! });
  const metrics = pairs.map((p) => [0, 1].map((v) => videoMetrics(video(p, v as 0 | 1), parsePrompt(p.prompt))));
  const rows: Record<string, unknown>[] = [];
  console.log(`| taste | within-prompt std (share) | ${GUARDED_METRICS.map((m) => `${m}: corr, per +0.5 std`).join(' | ')} |`);
  console.log(`|---|---:|${GUARDED_METRICS.map(() => '---:').join('|')}|`);
  for (const name of args.tastes.split(',')) {
    const taste = await loadTaste(name.trim());
    const scores = pairs.map((p) => [0, 1].map((v) => scoreOrThrow(taste, video(p, v as 0 | 1), p.prompt, p.seeds[v])));
    const { std } = tasteSpread(scores.flat());
    const dt = scores.map(([a, b]) => (a - b) / std);
    const st = dt.reduce((s, x) => s + x * x, 0);
    const cells: string[] = [];
    const row: Record<string, unknown> = { taste: taste.name, within_prompt_share: Math.sqrt(st / (2 * dt.length)) };
    for (const key of GUARDED_METRICS) {
      const dm = metrics.map(([a, b]) => a[key] - b[key]);
      const sm = dm.reduce((s, x) => s + x * x, 0);
      const stm = dt.reduce((s, x, i) => s + x * dm[i], 0);
      const corr = sm > 0 ? stm / Math.sqrt(st * sm) : 0;
      const perHalf = (0.5 * stm) / st;
      row[key] = { corr, per_half_std: perHalf };
      cells.push(`${corr.toFixed(2)}, ${perHalf >= 0 ? '+' : ''}${perHalf.toPrecision(2)}`);
    }
    rows.push(row);
    console.log(`| ${taste.name} | ${(row.within_prompt_share as number).toFixed(2)} | ${cells.join(' | ')} |`);
  }
  console.log(JSON.stringify({ model: config.name, pairs: pairs.length, rows }));
}

main().catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
