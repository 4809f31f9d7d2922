/**
 * Time to sample one video (24 Euler steps, CFG 2) with tfjs-wasm in Node and in Chromium
 * (the built studio, `?backend=wasm`), median of 5 after one warm-up, in the same run.
 *   npm run bench:sample -- [--model small] [--runs 5] [--json FILE]
 */
import fs from 'node:fs';
import { checkpointFromBytes } from '../src/model/checkpoint';
import { DEFAULT_GUIDANCE, DEFAULT_SAMPLE_STEPS, sampleVideos } from '../src/diffusion/sampler';
import { parseArgs } from './lib/args';
import { launchChromium, withPreview } from './lib/browser';
import { useWasmBackend } from '../src/engine/tf-node';

const args = parseArgs(process.argv.slice(2), { model: 'small', runs: '5', json: '', port: '4179', backends: 'wasm' });
const PROMPT = 'a red circle moves right';
const runs = Number(args.runs);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function nodeTimes(): Promise<number[]> {
  await useWasmBackend();
  const file = `public/models/${args.model}.safetensors`;
  const { config, params } = checkpointFromBytes(new Uint8Array(fs.readFileSync(file)), file);
  const times: number[] = [];
  for (let i = 0; i <= runs; i++) {
    const t0 = performance.now();
    await sampleVideos(params, config, { prompts: [PROMPT], seeds: [i], steps: DEFAULT_SAMPLE_STEPS, guidance: DEFAULT_GUIDANCE });
    if (i > 0) times.push(performance.now() - t0); // i = 0 is the warm-up
  }
  return times;
}

async function chromiumTimes(base: string, backend: string): Promise<{ times: number[]; adapter: string }> {
  const browser = await launchChromium();
  try {
    const page = await browser.newPage();
    await page.goto(`${base}/?model=${args.model}&backend=${backend}`);
    await page.getByTestId('engine-status').and(page.locator('[data-status="ready"]')).waitFor({ timeout: 300_000 });
    const adapter = (await page.getByTestId('adapter').textContent()) ?? '';
    const times: number[] = [];
    // Each click generates one pair (two videos, the app's own seeds); the header reports the last video's time.
    await page.getByRole('tab', { name: 'Generate' }).click();
    await page.getByRole('textbox', { name: 'Prompts' }).fill(PROMPT);
    await page.getByRole('spinbutton', { name: 'Pairs per prompt' }).fill('1');
    await page.getByRole('spinbutton', { name: 'Sampler steps' }).fill(String(DEFAULT_SAMPLE_STEPS));
    await page.getByRole('spinbutton', { name: 'Guidance' }).fill(String(DEFAULT_GUIDANCE));
    for (let i = 0; i <= runs; i++) {
      await page.getByRole('button', { name: 'Generate pairs' }).click();
      await page.getByTestId('pair-count').getByText(`${i + 1} ${i === 0 ? 'pair' : 'pairs'} in the project`).waitFor({ timeout: 600_000 });
      await page.locator('[data-testid="engine-status"][data-status="ready"]').waitFor({ timeout: 600_000 });
      const ms = Number(await page.getByTestId('generation-time').getAttribute('data-ms'));
      if (i > 0) times.push(ms);
    }
    return { times, adapter };
  } finally {
    await browser.close();
  }
}

async function main() {
  const node = await nodeTimes();
  const rows: { where: string; backend: string; adapter: string; median_ms: number; runs_ms: number[] }[] = [
    { where: 'node', backend: 'wasm (1 thread, SIMD)', adapter: 'cpu', median_ms: median(node), runs_ms: node },
  ];
  await withPreview('bench:sample', args.port, { build: true }, async (base) => {
    for (const backend of args.backends.split(',')) {
      const c = await chromiumTimes(base, backend);
      rows.push({ where: 'chromium', backend, adapter: c.adapter, median_ms: median(c.times), runs_ms: c.times });
    }
  });
  console.log(`\nsampling one ${args.model} video ("${PROMPT}", ${DEFAULT_SAMPLE_STEPS} steps, guidance ${DEFAULT_GUIDANCE}), median of ${runs}\n`);
  console.log('| where | backend | adapter | median | runs (ms) |\n|---|---|---|---:|---|');
  for (const r of rows) console.log(`| ${r.where} | ${r.backend} | ${r.adapter} | ${(r.median_ms / 1000).toFixed(2)} s | ${r.runs_ms.map((x) => x.toFixed(0)).join(', ')} |`);
  console.log(`\nratio chromium/node: ${(rows[1].median_ms / rows[0].median_ms).toFixed(2)}`);
  if (args.json) fs.writeFileSync(args.json, JSON.stringify({ model: args.model, prompt: PROMPT, steps: DEFAULT_SAMPLE_STEPS, guidance: DEFAULT_GUIDANCE, rows }, null, 2));
}

main().catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
