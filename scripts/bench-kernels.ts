/**
 * Fused WGSL kernels against the composed tfjs paths they replace, in Chromium on one WebGPU
 * adapter, in one run (the kernel lab page, src/kernel-lab/bench-lab.ts): attention forward and
 * forward+backward, the DPO/KTO loss, and one DPO training step of the small model. Medians after
 * a warm-up; the roofline is tfjs-webgpu's matmul measured in the same run.
 *   npm run bench:kernels -- [--json FILE] [--runs 10] [--warmup 2] [--cases a,b|none] [--loss-cases a,b|none]
 *                            [--train-pairs 2] [--matmul 256,512] [--no-train] [--no-build] [--port 4180]
 */
import fs from 'node:fs';
import type { BenchRow } from '../src/kernel-lab/bench-lab';
import type { KernelLab } from '../src/kernel-lab/main';
import { parseArgs } from './lib/args';
import { launchChromium, withPreview } from './lib/browser';

const args = parseArgs(
  process.argv.slice(2),
  { json: '', runs: '10', warmup: '2', cases: '', 'loss-cases': '', 'train-pairs': '2', matmul: '256,512', port: '4180' },
  ['no-train', 'no-build'],
);

declare const kernelLab: KernelLab;

function list(value: string): string[] | undefined {
  return value ? value.split(',').map((s) => s.trim()) : undefined;
}

function table(title: string, rows: BenchRow[]): string {
  const head = '| case | pass | runs | fused ms | composed ms | ratio | fused GFLOP/s | roofline % | max abs err | fused peak | composed peak |';
  const mib = (b: number) => `${(b / 2 ** 20).toFixed(2)} MiB`;
  const lines = rows.map((r) =>
    `| ${r.case} | ${r.pass} | ${r.runs} | ${r.fused_ms.toFixed(2)} | ${r.composed_ms.toFixed(2)} | ${r.ratio.toFixed(2)}× | ${r.fused_gflops.toFixed(3)} | ${r.roofline_pct.toFixed(1)} | ${r.max_abs_err.toExponential(1)} | ${mib(r.fused_peak_bytes)} | ${mib(r.composed_peak_bytes)} |`,
  );
  return [`\n${title}\n`, head, '|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|', ...lines].join('\n');
}

const geomean = (xs: number[]) => Math.exp(xs.reduce((a, x) => a + Math.log(x), 0) / xs.length);

async function main() {
  const result = await withPreview('bench:kernels', args.port, { build: !args['no-build'], path: '/kernel-lab.html' }, async (base) => {
    const browser = await launchChromium();
    try {
      const page = await browser.newPage();
      page.on('console', (m) => {
        if (m.text().startsWith('[bench]') || m.type() === 'error') console.log(m.text());
      });
      await page.goto(`${base}/kernel-lab.html`);
      const ready = await page.evaluate(() => kernelLab.ready);
      console.log(`kernel lab: ${JSON.stringify(ready)}`);
      return await page.evaluate(
        (opts) => kernelLab.bench(opts),
        {
          runs: Number(args.runs),
          warmup: Number(args.warmup),
          cases: list(args.cases),
          lossCases: list(args['loss-cases']),
          trainStep: !args['no-train'],
          trainPairs: Number(args['train-pairs']),
          matmulSizes: args.matmul.split(',').map(Number),
        },
      );
    } finally {
      await browser.close();
    }
  });

  if (result.gpu_errors.length > 0) {
    throw new Error(`bench:kernels: WebGPU errors during the run, the numbers are not valid:\n${result.gpu_errors.join('\n')}`);
  }
  const a = result.adapter;
  console.log(`\nadapter: ${[a.vendor, a.architecture, a.description].filter(Boolean).join(' ')}${a.isFallbackAdapter ? ' (fallback)' : ''}`);
  console.log(`matmul roofline (tfjs-webgpu matMul ${result.matmul_size}³): ${result.matmul_roofline_gflops.toFixed(2)} GFLOP/s; medians of ${result.runs} runs after ${result.warmup} warm-up`);
  console.log(table('attention (ratio = composed / fused)', result.attention));
  console.log(table('preference loss', result.loss));
  const smallFwdBwd = result.attention.filter((r) => r.case.startsWith('small-') && r.pass === 'forward+backward');
  if (smallFwdBwd.length > 0) console.log(`\nsmall-model cases, forward+backward: geometric-mean ratio ${geomean(smallFwdBwd.map((r) => r.ratio)).toFixed(2)}× (target ≥ 3×)`);
  const full1024 = result.attention.find((r) => r.case === 'full-1024' && r.pass === 'forward+backward');
  if (full1024) console.log(`full-1024 forward+backward: ${full1024.ratio.toFixed(2)}× (target ≥ 3×)`);
  if (result.train_step) {
    const t = result.train_step;
    console.log(`DPO train step, small model, ${t.pairs} pairs, median of ${t.runs}: fused ${t.fused_ms.toFixed(0)} ms, reference ${t.reference_ms.toFixed(0)} ms, ${t.ratio.toFixed(2)}× (target ≥ 1.3×); |Δ first loss| ${t.loss_abs_err.toExponential(1)}`);
  }
  if (args.json) {
    fs.writeFileSync(args.json, JSON.stringify(result, null, 2));
    console.log(`\nwrote ${args.json}`);
  }
}

main().catch((e) => {
  console.error(e instanceof Error ? e.stack ?? e.message : e);
  process.exit(1);
});
